//! Storage ports: where the stores keep their documents. Standalone uses crash-safe files
//! (adapter in the runtime crate); tests use [`MemoryDocument`].

use std::fmt::Debug;
use std::sync::Arc;

use parking_lot::Mutex;

/// One persisted document (the whole of a store's state, written atomically).
pub trait DocumentStore: Send + Sync + Debug {
    /// The last saved bytes; `None` when nothing was ever saved.
    fn load(&self) -> std::io::Result<Option<Vec<u8>>>;
    /// Replaces the document; when this returns `Ok`, it survives a crash.
    fn save(&self, bytes: &[u8]) -> std::io::Result<()>;
    /// Where it lives, for messages.
    fn describe(&self) -> String;
}

/// An in-memory document, shareable so a test can "restart" a store on the same data.
#[derive(Debug, Clone, Default)]
pub struct MemoryDocument {
    bytes: Arc<Mutex<Option<Vec<u8>>>>,
}

impl DocumentStore for MemoryDocument {
    fn load(&self) -> std::io::Result<Option<Vec<u8>>> {
        Ok(self.bytes.lock().clone())
    }
    fn save(&self, bytes: &[u8]) -> std::io::Result<()> {
        *self.bytes.lock() = Some(bytes.to_vec());
        Ok(())
    }
    fn describe(&self) -> String {
        "memory".to_owned()
    }
}

/// Loads and parses a document, or the default when there is none.
pub fn load_json<T: serde::de::DeserializeOwned + Default>(
    store: &dyn DocumentStore,
) -> Result<T, String> {
    match store.load() {
        Ok(None) => Ok(T::default()),
        Ok(Some(bytes)) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} is not a valid store document: {e}", store.describe())),
        Err(e) => Err(format!("cannot read {}: {e}", store.describe())),
    }
}

/// Serializes and saves a document.
pub fn save_json<T: serde::Serialize>(store: &dyn DocumentStore, value: &T) -> Result<(), String> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| format!("cannot serialize {}: {e}", store.describe()))?;
    store
        .save(&bytes)
        .map_err(|e| format!("cannot write {}: {e}", store.describe()))
}
