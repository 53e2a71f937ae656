//! Integration tests of the whole workspace.
//!
//! # Codemap
//! - `tests/seed_examples.rs`: the seed document's literal examples (the JSON envelope, the two
//!   transform configurations) through the real converters and transform chain.
//! - [`fixture`]: reads files under `tests/fixtures/`.

use std::path::PathBuf;

/// The contents of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}
