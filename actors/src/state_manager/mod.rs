//! The `StateManager` actor: connector and task statuses (state, trace, worker id,
//! generation). Tasks and connectors report; REST reads. Runs on a `SyncArbiter`.
//!
//! Standalone persists them in a file so a restarted worker shows the last known state until
//! its connectors report again. Distributed appends every change to the status topic and
//! serves reads from the replayed [`StatusLogState`], so any worker shows every worker's
//! statuses; a status carries the epoch of its writer's claim and an older claim's status
//! never replaces a newer one (a stopping former owner cannot hide the new owner's state).
//!
//! - [`writer`]: the distributed worker's ordered, retrying, pipelined status writes.

mod writer;

use std::collections::BTreeMap;
use std::time::Duration;

use actix::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cluster::log::{ReplicatedLog, StateMachine};
use crate::model::{ConnectorStatuses, State, Status, TaskId};
use crate::ports::{DocumentStore, load_json, save_json};
use writer::StatusWriter;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    generation: u64,
    statuses: BTreeMap<String, ConnectorStatuses>,
}

/// One change to the statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum StatusOp {
    Connector { name: String, status: Status },
    Task { id: TaskId, status: Status },
    Remove { name: String },
    Retain { name: String, count: u32 },
}

/// Applies `op`: a status replaces one of the same or an older generation only.
pub fn apply_status(statuses: &mut BTreeMap<String, ConnectorStatuses>, op: &StatusOp) {
    let newer =
        |old: Option<&Status>, new: &Status| old.is_none_or(|o| o.generation <= new.generation);
    match op {
        StatusOp::Connector { name, status } => {
            let entry = statuses.entry(name.clone()).or_default();
            if newer(entry.connector.as_ref(), status) {
                entry.connector = Some(status.clone());
            }
        }
        StatusOp::Task { id, status } => {
            let entry = statuses.entry(id.connector.clone()).or_default();
            if newer(entry.tasks.get(&id.task), status) {
                entry.tasks.insert(id.task, status.clone());
            }
        }
        StatusOp::Remove { name } => {
            statuses.remove(name);
        }
        StatusOp::Retain { name, count } => {
            if let Some(entry) = statuses.get_mut(name) {
                entry.tasks.retain(|id, _| id < count);
            }
        }
    }
}

/// The replicated statuses of a distributed worker.
#[derive(Debug, Default)]
pub struct StatusLogState {
    pub statuses: BTreeMap<String, ConnectorStatuses>,
}

impl StateMachine for StatusLogState {
    type Op = StatusOp;
    type Outcome = ();
    type Snapshot = BTreeMap<String, ConnectorStatuses>;
    fn apply(&mut self, _offset: i64, op: &StatusOp) {
        apply_status(&mut self.statuses, op);
    }
    fn snapshot(&self) -> Self::Snapshot {
        self.statuses.clone()
    }
    fn restore(&mut self, snapshot: Self::Snapshot) {
        self.statuses = snapshot;
    }
}

enum Backend {
    File {
        store: Box<dyn DocumentStore>,
        document: Document,
    },
    Log {
        log: ReplicatedLog<StatusLogState>,
        writer: StatusWriter,
    },
}

pub struct StateManager {
    backend: Backend,
    worker_id: String,
}

impl std::fmt::Debug for StateManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateManager")
            .field("worker_id", &self.worker_id)
            .finish_non_exhaustive()
    }
}

/// Longest trace kept in a status: a status record must fit in a message however long the
/// error a connector raised (Kafka Connect's traces are a stack, a few KiB).
const MAX_TRACE_BYTES: usize = 64 * 1024;

/// `trace` cut to [`MAX_TRACE_BYTES`] at a character boundary, saying how much was cut.
fn capped(mut trace: String) -> String {
    if trace.len() > MAX_TRACE_BYTES {
        let mut end = MAX_TRACE_BYTES;
        while !trace.is_char_boundary(end) {
            end -= 1;
        }
        let cut = trace.len() - end;
        trace.truncate(end);
        trace.push_str(&format!("… ({cut} more bytes)"));
    }
    trace
}

/// Longest [`Flush`] waits for the queued statuses to be stored (at shutdown, with the
/// broker gone, they cannot be).
const FLUSH_BOUND: Duration = Duration::from_secs(5);

impl StateManager {
    pub fn open(store: Box<dyn DocumentStore>, worker_id: String) -> Result<Self, String> {
        let document = load_json(store.as_ref())?;
        Ok(Self {
            backend: Backend::File { store, document },
            worker_id,
        })
    }

    /// A distributed state manager over the status log; `arbiter` runs the writes, whose
    /// failures and backlog show in `metrics`.
    pub fn replicated(
        log: ReplicatedLog<StatusLogState>,
        arbiter: &ArbiterHandle,
        worker_id: String,
        metrics: std::sync::Arc<connect_dataplane::metrics::WorkerMetrics>,
    ) -> Self {
        let writer = StatusWriter::start(log.clone(), arbiter, metrics);
        Self {
            backend: Backend::Log { log, writer },
            worker_id,
        }
    }

    /// A status written now: standalone numbers them; distributed uses the writer's claim.
    fn status(&mut self, state: State, trace: Option<String>, epoch: u64) -> Status {
        let generation = match &mut self.backend {
            Backend::File { document, .. } => {
                document.generation += 1;
                document.generation
            }
            Backend::Log { .. } => epoch,
        };
        Status {
            state,
            // A trace is stored and shown: an error that printed a URL with credentials (a
            // driver's message) is masked here, once, for every reader.
            trace: trace.map(|t| capped(connect_api::secrets::scrub_text(&t).into_owned())),
            worker_id: self.worker_id.clone(),
            generation,
        }
    }

    fn write(&mut self, op: StatusOp) {
        // Statuses are advisory: a failed write is logged, never fatal (distributed: queued
        // and retried until stored).
        match &mut self.backend {
            Backend::File { store, document } => {
                apply_status(&mut document.statuses, &op);
                if let Err(e) = save_json(store.as_ref(), document) {
                    tracing::warn!(error = %e, "could not persist statuses");
                }
            }
            Backend::Log { writer, .. } => writer.write(op),
        }
    }

    /// Whether a change written here may not show in [`read`](Self::read) yet.
    fn has_unapplied_writes(&self) -> bool {
        match &self.backend {
            Backend::File { .. } => false,
            Backend::Log { writer, .. } => writer.has_unapplied(),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&BTreeMap<String, ConnectorStatuses>) -> T) -> T {
        match &self.backend {
            Backend::File { document, .. } => f(&document.statuses),
            Backend::Log { log, .. } => log.read(|state| f(&state.statuses)),
        }
    }
}

impl Actor for StateManager {
    type Context = SyncContext<Self>;
}

/// A connector's new state.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PutConnectorStatus {
    pub connector: String,
    pub state: State,
    pub trace: Option<String>,
    /// The writer's claim on the connector (distributed mode).
    pub epoch: crate::model::Epoch,
}

/// A task's new state.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PutTaskStatus {
    pub id: TaskId,
    pub state: State,
    pub trace: Option<String>,
    /// The writer's claim on the task (distributed mode).
    pub epoch: crate::model::Epoch,
}

#[derive(Debug, Message)]
#[rtype(result = "Option<ConnectorStatuses>")]
pub struct GetStatuses {
    pub connector: String,
}

#[derive(Debug, Message)]
#[rtype(result = "BTreeMap<String, ConnectorStatuses>")]
pub struct GetAllStatuses;

/// Forgets a deleted connector's statuses.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RemoveStatuses {
    pub connector: String,
}

/// Forgets tasks numbered `count` and above (after a reconfiguration with fewer tasks).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RetainTasks {
    pub connector: String,
    pub count: u32,
}

/// Answers once every status sent before it was written (messages are handled in order;
/// distributed: stored in the status log, or a few seconds passed).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Flush;

impl Handler<Flush> for StateManager {
    type Result = ();
    fn handle(&mut self, _msg: Flush, _ctx: &mut Self::Context) {
        if let Backend::Log { writer, .. } = &self.backend
            && !writer.flush(FLUSH_BOUND)
        {
            tracing::warn!(
                "some status changes were not stored in {FLUSH_BOUND:?}; other workers may show an older state"
            );
        }
    }
}

impl Handler<PutConnectorStatus> for StateManager {
    type Result = ();
    fn handle(&mut self, msg: PutConnectorStatus, _ctx: &mut Self::Context) {
        let status = self.status(msg.state, msg.trace, msg.epoch);
        self.write(StatusOp::Connector {
            name: msg.connector,
            status,
        });
    }
}

impl Handler<PutTaskStatus> for StateManager {
    type Result = ();
    fn handle(&mut self, msg: PutTaskStatus, _ctx: &mut Self::Context) {
        let status = self.status(msg.state, msg.trace, msg.epoch);
        self.write(StatusOp::Task { id: msg.id, status });
    }
}

impl Handler<GetStatuses> for StateManager {
    type Result = Option<ConnectorStatuses>;
    fn handle(&mut self, msg: GetStatuses, _ctx: &mut Self::Context) -> Self::Result {
        self.read(|statuses| statuses.get(&msg.connector).cloned())
    }
}

impl Handler<GetAllStatuses> for StateManager {
    type Result = MessageResult<GetAllStatuses>;
    fn handle(&mut self, _msg: GetAllStatuses, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.read(Clone::clone))
    }
}

impl Handler<RemoveStatuses> for StateManager {
    type Result = ();
    fn handle(&mut self, msg: RemoveStatuses, _ctx: &mut Self::Context) {
        // A status written here may still be on its way: then remove regardless.
        if self.has_unapplied_writes()
            || self.read(|statuses| statuses.contains_key(&msg.connector))
        {
            self.write(StatusOp::Remove {
                name: msg.connector,
            });
        }
    }
}

impl Handler<RetainTasks> for StateManager {
    type Result = ();
    fn handle(&mut self, msg: RetainTasks, _ctx: &mut Self::Context) {
        let stale = self.has_unapplied_writes()
            || self.read(|statuses| {
                statuses
                    .get(&msg.connector)
                    .is_some_and(|s| s.tasks.keys().any(|id| *id >= msg.count))
            });
        if stale {
            self.write(StatusOp::Retain {
                name: msg.connector,
                count: msg.count,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_trace_is_cut_at_a_character_and_says_how_much() {
        let short = "boom".to_owned();
        assert_eq!(capped(short.clone()), short);
        let long = "é".repeat(MAX_TRACE_BYTES);
        let cut = capped(long.clone());
        assert!(cut.len() < MAX_TRACE_BYTES + 32, "{}", cut.len());
        assert!(
            cut.ends_with(&format!("… ({} more bytes)", MAX_TRACE_BYTES)),
            "{}",
            &cut[cut.len() - 40..]
        );
        assert!(long.starts_with(cut.trim_end_matches(|c: char| c != 'é')));
    }
}
