//! The runtime: the `rocketmq-connect` binary and what it wires together.
//!
//! # Codemap
//! - [`cli`]: the command line (`standalone`, `distributed`, `plugins`, `transform`) and the
//!   standalone startup/shutdown sequence.
//! - [`ctl`]: `rocketmq-connect ctl`, a REST client (contexts, get/describe/apply, lifecycle,
//!   `top`).
//! - [`transform_command`]: `rocketmq-connect transform`, messages or whole records through a
//!   configuration's converters and transforms.
//! - [`worker_config`]: the Java-compatible `.conf` worker configuration, with env overrides.
//! - [`stores`]: crash-safe file documents behind the actors' stores.
//! - [`http_server`]: where the REST API listens (HTTP or HTTPS), its guards (authentication,
//!   cross-site refusal, body limits, error envelopes); no unauthenticated API off loopback.
//! - [`rest`]: the actix-web REST API — the seed's, and Kafka Connect's (`rest::kafka`) on
//!   `kafkaRestPort`; handlers call a `ControllerHandle`.
//! - [`log_levels`]: log levels changed at run time (`/admin/loggers`).
//! - [`rocketmq`]: the RocketMQ client behind the actors' message-queue ports.
//! - [`plugins`]: the registry of connectors, tasks, transforms, predicates and converters.

// The RocketMQ client's futures are deeply nested types (its own examples raise this too).
#![recursion_limit = "256"]

pub mod cli;
pub mod ctl;
pub mod http_server;
pub mod log_levels;
pub mod plugins;
pub mod rest;
pub mod rocketmq;
pub mod stores;
pub mod transform_command;
pub mod worker_config;
