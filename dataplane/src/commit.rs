//! Committing, written once for every loop: flushing a sink task (`pre_commit`, bounded by
//! the commit timeout) and persisting source positions through the [`PositionStore`]. A
//! failure that may pass leaves everything pending for the next commit; nothing is skipped.

use std::time::Duration;

use connect_api::{
    ConnectError, ConnectResult, OffsetMap, RecordOffset, RecordPartition, SinkTask,
};

use crate::ports::{PositionError, PositionStore};

/// Flushes `sink` up to `offsets`; the offsets it confirms, or `None` when the flush failed
/// retriably or timed out (the same offsets are offered at the next commit).
pub async fn flush(
    sink: &mut dyn SinkTask,
    offsets: OffsetMap,
    timeout: Duration,
) -> ConnectResult<Option<OffsetMap>> {
    match tokio::time::timeout(timeout, sink.pre_commit(offsets)).await {
        Ok(Ok(confirmed)) => Ok(Some(confirmed)),
        Ok(Err(e)) if e.is_retriable() => {
            tracing::warn!(error = %e, "flush failed; offsets stay uncommitted until the next commit");
            Ok(None)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => {
            tracing::warn!(
                timeout_ms = timeout.as_millis() as u64,
                "flush timed out; offsets stay uncommitted until the next commit"
            );
            Ok(None)
        }
    }
}

/// Persists `positions`; `true` once they are durable, `false` when they were not (they stay
/// pending and are offered again at the next commit). Fails only when the store is gone.
pub async fn persist(
    store: &dyn PositionStore,
    positions: Vec<(RecordPartition, RecordOffset)>,
    timeout: Duration,
) -> ConnectResult<bool> {
    match tokio::time::timeout(timeout, store.commit(positions)).await {
        Ok(Ok(())) => Ok(true),
        Ok(Err(PositionError::NotPersisted(e))) => {
            tracing::warn!(error = %e, "positions not persisted; retrying at the next commit");
            Ok(false)
        }
        Ok(Err(PositionError::Unavailable(e))) => Err(ConnectError::other(format!(
            "offset committer unavailable: {e}"
        ))),
        Err(_) => {
            tracing::warn!("persisting positions timed out; retrying at the next commit");
            Ok(false)
        }
    }
}
