//! The runtime: the `rocketmq-connect` binary and what it wires together.
//!
//! # Codemap
//! - [`cli`]: the command line (`standalone`, `plugins`, `transform`) and the standalone
//!   startup/shutdown sequence.
//! - [`worker_config`]: the Java-compatible `.conf` worker configuration, with env overrides.
//! - [`stores`]: crash-safe file documents behind the actors' stores.
//! - [`rest`]: the actix-web REST API; handlers call a `ControllerHandle`.
//! - [`plugins`]: the registry of connectors, tasks, transforms, predicates and converters.

pub mod cli;
pub mod plugins;
pub mod rest;
pub mod stores;
pub mod worker_config;
