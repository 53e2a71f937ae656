//! [`StatusWriter`]: writes a distributed worker's status changes to the status log in the
//! order they happened, and keeps trying until each is stored.
//!
//! A status is advisory, but a lost one is not harmless: a task whose RUNNING never reached
//! the log shows its previous state on every worker until it changes again, which for a
//! healthy task is never. So a failed send is retried (with the same ids, so a copy stored
//! twice is applied once) until it is stored or the worker stops; meanwhile later changes
//! queue behind it, so the log never shows an older change after a newer one.
//!
//! The writer does not wait to read its records back (the log's readers apply them like
//! anyone else's): statuses are pipelined, a batch of whatever queued while the previous one
//! travelled, instead of one round trip through the log per status on the state manager's
//! thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{StatusLogState, StatusOp};
use crate::cluster::log::ReplicatedLog;

/// Most status changes sent in one batch.
const MAX_BATCH: usize = 256;
/// The pause after a failed send: doubled per failure, from the first to the longest.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    first: Duration,
    longest: Duration,
}

const BACKOFF: Backoff = Backoff {
    first: Duration::from_millis(200),
    longest: Duration::from_secs(5),
};

enum Command {
    Write(StatusOp),
    /// Answered once every change queued before it was stored (or given up at stop).
    Flush(std::sync::mpsc::SyncSender<()>),
}

/// The queue in front of the status log; cheap to call from the state manager's thread.
#[derive(Debug, Clone)]
pub struct StatusWriter {
    queue: mpsc::UnboundedSender<Command>,
    progress: Arc<Progress>,
    log: ReplicatedLog<StatusLogState>,
}

#[derive(Debug)]
struct Progress {
    /// Changes queued and not yet stored.
    unstored: AtomicUsize,
    /// Offset of the last change stored (-1: none yet).
    last_stored: AtomicI64,
    /// Sends that failed (and were retried).
    failed_sends: AtomicU64,
}

impl StatusWriter {
    /// Starts the writing loop on `arbiter`.
    pub fn start(log: ReplicatedLog<StatusLogState>, arbiter: &actix::ArbiterHandle) -> Self {
        Self::start_with(log, arbiter, BACKOFF)
    }

    fn start_with(
        log: ReplicatedLog<StatusLogState>,
        arbiter: &actix::ArbiterHandle,
        backoff: Backoff,
    ) -> Self {
        let (queue, commands) = mpsc::unbounded_channel();
        let progress = Arc::new(Progress {
            unstored: AtomicUsize::new(0),
            last_stored: AtomicI64::new(-1),
            failed_sends: AtomicU64::new(0),
        });
        arbiter.spawn(write_in_order(
            log.clone(),
            commands,
            progress.clone(),
            backoff,
        ));
        Self {
            queue,
            progress,
            log,
        }
    }

    /// Queues `op` behind every change queued before it.
    pub fn write(&self, op: StatusOp) {
        self.progress.unstored.fetch_add(1, Ordering::SeqCst);
        if self.queue.send(Command::Write(op)).is_err() {
            self.progress.unstored.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("the status writer has stopped; a status change is not published");
        }
    }

    /// Whether some change written here is not yet in this worker's replicated state
    /// (queued, travelling, or stored and not read back yet).
    pub fn has_unapplied(&self) -> bool {
        self.progress.unstored.load(Ordering::SeqCst) > 0
            || self.log.applied_offset() < self.progress.last_stored.load(Ordering::SeqCst)
    }

    /// Waits (at most `bound`) until every change queued before this call is stored; false
    /// when the bound passed first.
    pub fn flush(&self, bound: Duration) -> bool {
        let (done, wait) = std::sync::mpsc::sync_channel(1);
        self.queue.send(Command::Flush(done)).is_ok() && wait.recv_timeout(bound).is_ok()
    }
}

async fn write_in_order(
    log: ReplicatedLog<StatusLogState>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    progress: Arc<Progress>,
    backoff: Backoff,
) {
    while let Some(first) = commands.recv().await {
        let mut ops = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Write(op) => ops.push(op),
                Command::Flush(done) => flushes.push(done),
            }
            if ops.len() < MAX_BATCH {
                next = commands.try_recv().ok();
            }
        }
        let count = ops.len();
        if count > 0 {
            if let Some(offset) = store(&log, ops, &progress, backoff).await {
                progress.last_stored.fetch_max(offset, Ordering::SeqCst);
            }
            progress.unstored.fetch_sub(count, Ordering::SeqCst);
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Sends `ops` until the broker stored them (→ the last one's offset), or the log was closed
/// (the worker stops).
async fn store(
    log: &ReplicatedLog<StatusLogState>,
    ops: Vec<StatusOp>,
    progress: &Progress,
    backoff: Backoff,
) -> Option<i64> {
    let count = ops.len();
    let batch = match log.encode_ops(ops) {
        Ok(batch) => batch,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode status changes; they are not published");
            return None;
        }
    };
    let mut pause = backoff.first;
    let mut failures = 0u32;
    loop {
        match log.send_unread(&batch).await {
            Ok(offset) => {
                if failures > 0 {
                    tracing::info!(failures, "published the status changes after retrying");
                }
                return Some(offset);
            }
            Err(e) if log.is_closed() => {
                tracing::warn!(error = %e, changes = count, "the worker is stopping: status changes not published");
                return None;
            }
            Err(e) => {
                // One warning per outage, not one per retry.
                if failures == 0 {
                    tracing::warn!(error = %e, changes = count, "could not publish a status; retrying until the log takes it");
                }
                failures += 1;
                progress.failed_sends.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(backoff.longest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::log::SnapshotPolicy;
    use crate::model::{State, Status, TaskId};
    use connect_dataplane::mq::MqClient;
    use connect_dataplane::mq::memory::MemoryMq;

    /// A status log on an in-memory broker and a writer over it that retries within
    /// milliseconds.
    async fn start() -> (MemoryMq, ReplicatedLog<StatusLogState>, StatusWriter) {
        let mq = MemoryMq::new();
        let client: Arc<dyn MqClient> = Arc::new(mq.clone());
        let log = ReplicatedLog::open(
            &client,
            "status",
            "reader",
            "producer",
            "w0@1",
            StatusLogState::default(),
            SnapshotPolicy::default(),
        )
        .await
        .unwrap();
        let backoff = Backoff {
            first: Duration::from_millis(1),
            longest: Duration::from_millis(2),
        };
        let writer = StatusWriter::start_with(log.clone(), &actix::Arbiter::current(), backoff);
        (mq, log, writer)
    }

    fn task(state: State) -> StatusOp {
        StatusOp::Task {
            id: TaskId {
                connector: "c".to_owned(),
                task: 0,
            },
            status: Status {
                state,
                trace: None,
                worker_id: "w0".to_owned(),
                generation: 7,
            },
        }
    }

    /// The flush waits on a blocking thread: the writer runs on this test's only thread.
    async fn flush(writer: &StatusWriter) -> bool {
        let writer = writer.clone();
        tokio::task::spawn_blocking(move || writer.flush(Duration::from_secs(10)))
            .await
            .unwrap()
    }

    async fn until(mut done: impl FnMut() -> bool) {
        let give_up = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(
                tokio::time::Instant::now() < give_up,
                "condition not reached"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Through an outage longer than any deadline (here: 20 failed sends) the changes wait in
    /// order and are all stored once the broker is back; the last one written is the one
    /// every replica shows, and the writer knows when its changes are applied here.
    #[actix_rt::test]
    async fn changes_survive_an_outage_in_the_order_they_were_written() {
        let (mq, log, writer) = start().await;
        mq.set_down(true);
        for state in [
            State::Unassigned,
            State::Running,
            State::Failed,
            State::Running,
        ] {
            writer.write(task(state));
        }
        assert!(writer.has_unapplied());
        until(|| writer.progress.failed_sends.load(Ordering::SeqCst) >= 20).await;
        mq.set_down(false);
        assert!(flush(&writer).await, "stored once the broker is back");
        until(|| !writer.has_unapplied()).await;
        let shown = log.read(|s| s.statuses["c"].tasks[&0].state);
        assert_eq!(shown, State::Running, "the last change wins");
        let stored: Vec<String> = mq
            .messages("status")
            .concat()
            .iter()
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .filter(|body| body.contains("\"task\""))
            .collect();
        let states: Vec<&str> = stored
            .iter()
            .map(|body| {
                ["UNASSIGNED", "RUNNING", "FAILED"]
                    .into_iter()
                    .find(|state| body.contains(state))
                    .unwrap()
            })
            .collect();
        assert_eq!(states, ["UNASSIGNED", "RUNNING", "FAILED", "RUNNING"]);
    }

    /// A refused send is sent again: the changes arrive, in order.
    #[actix_rt::test]
    async fn a_refused_send_is_sent_again() {
        let (mq, log, writer) = start().await;
        mq.refuse_sends(3);
        writer.write(task(State::Running));
        writer.write(task(State::Paused));
        assert!(flush(&writer).await);
        until(|| !writer.has_unapplied()).await;
        assert_eq!(log.read(|s| s.statuses["c"].tasks[&0].state), State::Paused);
        assert!(writer.progress.failed_sends.load(Ordering::SeqCst) >= 3);
    }
}
