//! [`StatusWriter`]: writes a distributed worker's status changes to the status log in the
//! order they happened, and keeps trying until each is stored.
//!
//! A status is advisory, but a lost one is not harmless: a task whose RUNNING never reached
//! the log shows its previous state on every worker until it changes again, which for a
//! healthy task is never. So a failed send is retried (with only what the broker did not
//! confirm and this replica has not read, so nothing is stored twice) until it is stored or
//! the worker stops; meanwhile later changes queue behind it, so the log never shows an
//! older change after a newer one.
//!
//! The writer does not wait to read its records back (the log's readers apply them like
//! anyone else's): statuses are pipelined, a batch of whatever queued while the previous one
//! travelled, instead of one round trip through the log per status on the state manager's
//! thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use connect_dataplane::metrics::WorkerMetrics;
use tokio::sync::mpsc;

use super::{StatusLogState, StatusOp};
use crate::cluster::log::ReplicatedLog;

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
    /// Where failed sends and the unstored count are exported.
    metrics: Arc<WorkerMetrics>,
}

impl Progress {
    fn add_unstored(&self, n: usize) {
        let now = self.unstored.fetch_add(n, Ordering::SeqCst) + n;
        self.export(now);
    }

    fn sub_unstored(&self, n: usize) {
        let now = self.unstored.fetch_sub(n, Ordering::SeqCst) - n;
        self.export(now);
    }

    fn export(&self, unstored: usize) {
        self.metrics
            .status_writes_pending
            .set(i64::try_from(unstored).unwrap_or(i64::MAX));
    }
}

impl StatusWriter {
    /// Starts the writing loop on `arbiter`; its failures and backlog show in `metrics`.
    pub fn start(
        log: ReplicatedLog<StatusLogState>,
        arbiter: &actix::ArbiterHandle,
        metrics: Arc<WorkerMetrics>,
    ) -> Self {
        Self::start_with(log, arbiter, metrics, BACKOFF)
    }

    fn start_with(
        log: ReplicatedLog<StatusLogState>,
        arbiter: &actix::ArbiterHandle,
        metrics: Arc<WorkerMetrics>,
        backoff: Backoff,
    ) -> Self {
        let (queue, commands) = mpsc::unbounded_channel();
        let progress = Arc::new(Progress {
            unstored: AtomicUsize::new(0),
            last_stored: AtomicI64::new(-1),
            metrics,
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
        self.progress.add_unstored(1);
        if self.queue.send(Command::Write(op)).is_err() {
            self.progress.sub_unstored(1);
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

/// Changes taken from the queue and not yet sent: at most one per status (a newer change of
/// a task or connector replaces an older one still waiting, so an outage holds one change per
/// status, not every change it saw), and the flushes waiting for them.
#[derive(Default)]
struct Pending {
    ops: Vec<StatusOp>,
    /// Writes taken (replaced ones included), for the count of unstored changes.
    taken: usize,
    flushes: Vec<std::sync::mpsc::SyncSender<()>>,
}

impl Pending {
    fn take(&mut self, command: Command) {
        match command {
            Command::Write(op) => {
                self.taken += 1;
                self.add(op);
            }
            Command::Flush(done) => self.flushes.push(done),
        }
    }

    /// Appends `op`, or replaces the waiting change of the same status when nothing that
    /// changes that connector's statuses as a whole (a removal, a retain) came between:
    /// changes of different statuses commute, those do not.
    fn add(&mut self, op: StatusOp) {
        let connector = connector_of(&op);
        let last = self.ops.iter().rposition(|queued| {
            connector_of(queued) == connector
                && (same_status(queued, &op)
                    || matches!(queued, StatusOp::Remove { .. } | StatusOp::Retain { .. }))
        });
        match last {
            Some(index) if same_status(&self.ops[index], &op) => self.ops[index] = op,
            _ => self.ops.push(op),
        }
    }
}

fn connector_of(op: &StatusOp) -> &str {
    match op {
        StatusOp::Connector { name, .. }
        | StatusOp::Remove { name }
        | StatusOp::Retain { name, .. } => name,
        StatusOp::Task { id, .. } => &id.connector,
    }
}

/// Whether `a` and `b` set the same status (so the later replaces the earlier).
fn same_status(a: &StatusOp, b: &StatusOp) -> bool {
    match (a, b) {
        (StatusOp::Connector { name: x, .. }, StatusOp::Connector { name: y, .. }) => x == y,
        (StatusOp::Task { id: x, .. }, StatusOp::Task { id: y, .. }) => x == y,
        _ => false,
    }
}

async fn write_in_order(
    log: ReplicatedLog<StatusLogState>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    progress: Arc<Progress>,
    backoff: Backoff,
) {
    let mut pending = Pending::default();
    loop {
        if pending.ops.is_empty() && pending.flushes.is_empty() {
            match commands.recv().await {
                Some(command) => pending.take(command),
                None => return,
            }
        }
        while let Ok(command) = commands.try_recv() {
            pending.take(command);
        }
        let batch = std::mem::take(&mut pending);
        if !batch.ops.is_empty() {
            let stored = store(
                &log,
                batch.ops,
                &mut commands,
                &mut pending,
                &progress,
                backoff,
            );
            if let Some(offset) = stored.await {
                progress.last_stored.fetch_max(offset, Ordering::SeqCst);
            }
        }
        progress.sub_unstored(batch.taken);
        for done in batch.flushes {
            let _ = done.send(());
        }
    }
}

/// How often a writer that keeps failing says so again.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Sends `ops` until the broker stored them (→ the last one's offset), the log was closed
/// (the worker stops), or the broker refused them for good (logged). While it retries,
/// changes queued meanwhile gather in `next`.
async fn store(
    log: &ReplicatedLog<StatusLogState>,
    ops: Vec<StatusOp>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    next: &mut Pending,
    progress: &Progress,
    backoff: Backoff,
) -> Option<i64> {
    let count = ops.len();
    let mut batch = match log.encode_ops(ops) {
        Ok(batch) => batch,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode status changes; they are not published");
            return None;
        }
    };
    let mut pause = backoff.first;
    let mut failures = 0u32;
    let mut warned_at: Option<std::time::Instant> = None;
    loop {
        match log.send_unread(&mut batch).await {
            Ok(offset) => {
                if failures > 0 {
                    tracing::info!(failures, "published the status changes after retrying");
                }
                return Some(offset);
            }
            Err(e) if log.is_closed() => {
                tracing::warn!(error = %e, changes = batch.len(), "the worker is stopping: status changes not published");
                return None;
            }
            Err(e) if !e.is_retriable() => {
                // Sending it again cannot help, and everything after it would wait forever.
                tracing::error!(error = %e, changes = batch.len(), of = count, "the status log refused status changes; they are not published");
                return None;
            }
            Err(e) => {
                if warned_at.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                    tracing::warn!(error = %e, changes = batch.len(), failures, "could not publish a status; retrying until the log takes it");
                    warned_at = Some(std::time::Instant::now());
                }
                failures += 1;
                progress.metrics.status_write_failures.inc();
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(backoff.longest);
                while let Ok(command) = commands.try_recv() {
                    next.take(command);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::log::SnapshotPolicy;
    use crate::cluster::log::tests::until_stored;
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
        let writer = StatusWriter::start_with(
            log.clone(),
            &actix::Arbiter::current(),
            WorkerMetrics::new(),
            backoff,
        );
        (mq, log, writer)
    }

    fn task(state: State) -> StatusOp {
        task_of(0, state)
    }

    fn task_of(task: u32, state: State) -> StatusOp {
        StatusOp::Task {
            id: TaskId {
                connector: "c".to_owned(),
                task,
            },
            status: Status {
                state,
                trace: None,
                worker_id: "w0".to_owned(),
                generation: 7,
            },
        }
    }

    /// The task records the broker holds, as (task, state), in log order.
    fn stored_tasks(mq: &MemoryMq) -> Vec<(u64, String)> {
        mq.messages("status")
            .concat()
            .iter()
            .filter_map(|m| serde_json::from_slice::<serde_json::Value>(&m.body).ok())
            .filter_map(|record| {
                let op = &record["body"]["op"];
                Some((
                    op["id"]["task"].as_u64()?,
                    op["status"]["state"].as_str()?.to_owned(),
                ))
            })
            .collect()
    }

    /// Waits until this replica applied everything stored (a barrier is read back after it),
    /// then checks the writer knows it.
    async fn applied_here(log: &ReplicatedLog<StatusLogState>, writer: &StatusWriter) {
        log.barrier(Duration::from_secs(10)).await.unwrap();
        assert!(!writer.has_unapplied());
    }

    /// The flush waits on a blocking thread: the writer runs on this test's only thread.
    async fn flush(writer: &StatusWriter) -> bool {
        let writer = writer.clone();
        tokio::task::spawn_blocking(move || writer.flush(Duration::from_secs(10)))
            .await
            .unwrap()
    }

    /// Through an outage longer than any deadline (here: 20 failed sends) the changes wait and
    /// are all stored once the broker is back, in the order they were written; changes made
    /// during the outage replace the waiting ones of the same status, so an outage holds one
    /// change per status however many it saw.
    #[actix_rt::test]
    async fn changes_survive_an_outage_in_order_and_merge_per_status() {
        let (mq, log, writer) = start().await;
        mq.set_down(true);
        writer.write(task_of(1, State::Unassigned));
        writer.write(task_of(0, State::Running));
        until_stored(&mq, || {
            writer.progress.metrics.status_write_failures.get() >= 20
        })
        .await;
        for round in 0..500 {
            let state = if round % 2 == 0 {
                State::Failed
            } else {
                State::Running
            };
            writer.write(task_of(0, state));
            writer.write(task_of(1, State::Paused));
        }
        let pending = || writer.progress.metrics.status_writes_pending.get();
        assert_eq!(
            pending(),
            1002,
            "every change written is pending until stored"
        );
        mq.set_down(false);
        assert!(flush(&writer).await, "stored once the broker is back");
        applied_here(&log, &writer).await;
        assert_eq!(pending(), 0);
        let shown = |task| log.read(|s| s.statuses["c"].tasks[&task].state);
        assert_eq!((shown(0), shown(1)), (State::Running, State::Paused));
        let stored = stored_tasks(&mq);
        let expect = [
            (1, "UNASSIGNED"),
            (0, "RUNNING"),
            (0, "RUNNING"),
            (1, "PAUSED"),
        ];
        let expect: Vec<(u64, String)> =
            expect.iter().map(|(t, s)| (*t, (*s).to_owned())).collect();
        assert_eq!(
            stored, expect,
            "the first batch, then one change per status"
        );
    }

    /// A waiting change is replaced by a newer one of the same status, but not across a
    /// removal of its connector (the removal must stay between them).
    #[test]
    fn merging_stops_at_a_removal() {
        let mut pending = Pending::default();
        pending.add(task_of(0, State::Running));
        pending.add(task_of(1, State::Running));
        pending.add(task_of(0, State::Failed));
        assert_eq!(
            pending.ops,
            [task_of(0, State::Failed), task_of(1, State::Running)]
        );
        pending.add(StatusOp::Remove {
            name: "c".to_owned(),
        });
        pending.add(task_of(0, State::Running));
        assert_eq!(pending.ops.len(), 4, "{:?}", pending.ops);
        assert_eq!(pending.ops[3], task_of(0, State::Running));
    }

    /// A send cut short after the broker stored part of it: the rest is sent again, and
    /// nothing the broker already holds is stored twice.
    #[actix_rt::test]
    async fn a_partly_stored_send_resends_only_the_rest() {
        let (mq, log, writer) = start().await;
        mq.store_only(1);
        for task in 0..3 {
            writer.write(task_of(task, State::Running));
        }
        assert!(flush(&writer).await);
        applied_here(&log, &writer).await;
        let stored: Vec<u64> = stored_tasks(&mq)
            .into_iter()
            .map(|(task, _)| task)
            .collect();
        assert_eq!(stored, [0, 1, 2]);
        assert_eq!(log.read(|s| s.statuses["c"].tasks.len()), 3);
        assert!(writer.progress.metrics.status_write_failures.get() >= 1);
    }

    /// A refused send is sent again: the changes arrive, in order.
    #[actix_rt::test]
    async fn a_refused_send_is_sent_again() {
        let (mq, log, writer) = start().await;
        mq.refuse_sends(3);
        writer.write(task(State::Running));
        writer.write(task(State::Paused));
        assert!(flush(&writer).await);
        applied_here(&log, &writer).await;
        assert_eq!(log.read(|s| s.statuses["c"].tasks[&0].state), State::Paused);
        assert!(writer.progress.metrics.status_write_failures.get() >= 3);
    }
}
