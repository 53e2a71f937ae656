//! The worker's actix actor system.
//!
//! # Codemap
//! - [`controller`]: `ConnectController`, the single writer of connector configurations and
//!   target states; [`controller::handle::ControllerHandle`] is its async facade for REST;
//!   [`controller::validate`] checks configurations before anything is stored.
//! - [`allocation`]: the pure assignment core (round robin, consistent hashing with bounded
//!   loads) — (members, configs) → units per worker; no actor.
//! - [`rebalancer`]: `Rebalancer`, which runs [`allocation`] and, in distributed mode, claims
//!   units before running them.
//! - [`cluster`]: distributed mode: replicated logs on RocketMQ topics, membership from
//!   heartbeats, self-fencing.
//! - [`worker`]: `Worker`, runs the assigned connectors and tasks, restarts failed tasks.
//! - [`connector`]: `ConnectorActor`, one connector instance on its own isolate.
//! - [`task`]: `TaskActor` (lifecycle, status): parses the task's plan and runs its loop from
//!   `connect-dataplane` on the task's isolate, turning the loop's events into statuses.
//! - [`config_store`], [`state_manager`], [`offset_committer`]: the three stores, on
//!   `SyncArbiter` threads, persisted through [`ports::DocumentStore`].
//! - [`isolate`]: a thread + runtime per connector and task: panics become values, hangs
//!   become timeouts.
//! - [`security`]: the gate every configuration passes before connector code sees it:
//!   `allowedPaths`, configuration providers, fault-injection switches, limits.
//! - [`catalog`], [`model`], [`settings`], [`error`], [`system`] (startup sequence).
//!
//! Requests flow down (REST → controller → rebalancer → worker → connector/task actors);
//! events flow up through recipients (task → worker, connector → controller). No actor awaits
//! one above it, so there are no request cycles.

pub mod allocation;
pub mod catalog;
pub mod cluster;
pub mod config_store;
pub mod connector;
pub mod controller;
pub mod error;
pub mod isolate;
pub mod model;
pub mod offset_committer;
pub mod ports;
pub mod rebalancer;
pub mod security;
pub mod settings;
pub mod state_manager;
pub mod system;
pub mod task;
pub mod worker;

pub use controller::handle::ControllerHandle;
pub use error::ControllerError;
