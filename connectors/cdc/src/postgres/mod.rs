//! PostgreSQL change data capture through logical replication (pgoutput): the slot and
//! publication, the replication reader, the chunked snapshot and the task that joins them,
//! with Debezium 1.7 PostgreSQL's events.
//!
//! - [`connector`]: validation (keys, server checks) and the one task.
//! - [`task`]: snapshot, then stream; offsets and the slot's confirmed position.
//! - [`chunk`]: an incremental snapshot's chunk between its watermarks.
//! - [`stream`]: the replication reader (decoding off the task's thread, bounded channel).
//! - [`pgoutput`]: the protocol's row messages. [`columns`]/[`values`]: the type mapping.
//! - [`server`]: sqlx side (checks, slot, publication, catalog). [`source`], [`position`].

pub mod chunk;
pub mod columns;
pub mod connector;
pub mod pgoutput;
pub mod position;
pub mod server;
pub mod source;
pub mod stream;
pub mod task;
pub mod values;

pub use connector::PgCdcConnector;
pub use task::{PgCdcTask, TASK_CLASS};
