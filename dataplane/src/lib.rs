//! The data plane: what moves records, and nothing else — no actors, no web, no RocketMQ
//! client (the queue is a port the runtime implements).
//!
//! Codemap, lower layers first (a module uses only modules above it in this list):
//! - [`ids`]: `TaskId`, `Epoch`. [`failure`]: `Stage`, `Failure`, `Origin`.
//! - [`policy`]: the `errors.*` policy. [`settings`]: the worker keys loops use.
//! - [`ports`]: `Control`, `LoopEvent`, the `LoopEvents` and `PositionStore` ports.
//! - [`mq`]: the message-queue ports, `routing` (key → queue), `side_topics`, and — feature
//!   `memory`, tests only — an in-process queue.
//! - [`offsets`]: the `OffsetTracker` (out-of-order acknowledgements → committable prefix).
//! - [`pipeline`]: converters + transform chain of a configuration.
//! - [`mapping`]: records ⇄ messages.
//! - [`control`]: `LoopControl`, run/pause/stop and every retry a loop makes.
//! - [`commit`]: flushing sinks and persisting positions.
//! - [`dead_letter`]: the dead-letter topic.
//! - [`plan`]: `TaskPlan`, a task's configuration parsed once.
//! - [`loops`]: the source, sink and direct loops and `loops::run`.

pub mod commit;
pub mod control;
pub mod dead_letter;
pub mod failure;
pub mod ids;
pub mod loops;
pub mod mapping;
pub mod metrics;
pub mod mq;
pub mod offsets;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod ports;
pub mod settings;

pub use ids::{Epoch, TaskId};
pub use loops::{LoopPorts, run};
pub use plan::TaskPlan;
