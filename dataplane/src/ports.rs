//! What a loop needs from the world around it, as small ports: how it is steered
//! ([`Control`] on a watch channel), where it reports ([`LoopEvents`]), where source positions
//! are read and persisted ([`PositionStore`]). The actor system implements them; tests
//! implement them in a few lines.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::{OffsetStorageReader, RecordOffset, RecordPartition};

/// What the loop should be doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Run,
    Pause,
    Stop,
}

/// Reported by the data loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopEvent {
    Started,
    Paused,
    Resumed,
    /// Still running, but retrying something that fails (`Some(trace)`), or recovered (`None`):
    /// shown as the RUNNING task's trace.
    Trouble(Option<String>),
    /// The loop ended: `Ok` when it was told to stop, `Err(trace)` when it failed.
    Exited(Result<(), String>),
}

/// Where a loop's events go (the task actor's mailbox in a worker). Never blocks.
pub trait LoopEvents: Send + Sync + Debug {
    fn send(&self, event: LoopEvent);
}

/// A channel's sender is a port too (loop tests read the receiver).
impl LoopEvents for tokio::sync::mpsc::UnboundedSender<LoopEvent> {
    fn send(&self, event: LoopEvent) {
        let _ = tokio::sync::mpsc::UnboundedSender::send(self, event);
    }
}

/// Why positions were not persisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PositionError {
    /// This commit was refused or failed (fenced by a newer claim, a store write failed): the
    /// positions stay pending and are offered again at the next commit.
    NotPersisted(String),
    /// The store is gone (the worker is shutting down): the task fails.
    Unavailable(String),
}

/// The committed source positions of one task: read by the task at start, written by its loop.
#[async_trait]
pub trait PositionStore: Send + Sync + Debug {
    /// The connector's committed positions, as its tasks read them.
    fn reader(&self) -> Arc<dyn OffsetStorageReader>;
    /// Persists `positions`; returns once they are durable.
    async fn commit(
        &self,
        positions: Vec<(RecordPartition, RecordOffset)>,
    ) -> Result<(), PositionError>;
}
