//! The `StateManager` actor: connector and task statuses (state, trace, worker id,
//! generation). Tasks and connectors report; REST reads. Persisted so a restarted worker shows
//! the last known state until its connectors report again. Runs on a `SyncArbiter`.

use std::collections::BTreeMap;

use actix::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{ConnectorStatuses, State, Status, TaskId};
use crate::ports::{DocumentStore, load_json, save_json};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    generation: u64,
    statuses: BTreeMap<String, ConnectorStatuses>,
}

#[derive(Debug)]
pub struct StateManager {
    store: Box<dyn DocumentStore>,
    document: Document,
    worker_id: String,
}

impl StateManager {
    pub fn open(store: Box<dyn DocumentStore>, worker_id: String) -> Result<Self, String> {
        let document = load_json(store.as_ref())?;
        Ok(Self {
            store,
            document,
            worker_id,
        })
    }

    fn status(&mut self, state: State, trace: Option<String>) -> Status {
        self.document.generation += 1;
        Status {
            state,
            trace,
            worker_id: self.worker_id.clone(),
            generation: self.document.generation,
        }
    }

    fn persist(&self) {
        // Statuses are advisory: a failed write is logged, never fatal.
        if let Err(e) = save_json(self.store.as_ref(), &self.document) {
            tracing::warn!(error = %e, "could not persist statuses");
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
}

/// A task's new state.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PutTaskStatus {
    pub id: TaskId,
    pub state: State,
    pub trace: Option<String>,
}

/// The statuses of one connector.
#[derive(Debug, Message)]
#[rtype(result = "Option<ConnectorStatuses>")]
pub struct GetStatuses {
    pub connector: String,
}

/// Every status.
#[derive(Debug, Message)]
#[rtype(result = "BTreeMap<String, ConnectorStatuses>")]
pub struct GetAllStatuses;

/// Forgets a deleted connector.
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

impl Handler<PutConnectorStatus> for StateManager {
    type Result = ();
    fn handle(&mut self, msg: PutConnectorStatus, _ctx: &mut Self::Context) {
        let status = self.status(msg.state, msg.trace);
        self.document
            .statuses
            .entry(msg.connector)
            .or_default()
            .connector = Some(status);
        self.persist();
    }
}

impl Handler<PutTaskStatus> for StateManager {
    type Result = ();
    fn handle(&mut self, msg: PutTaskStatus, _ctx: &mut Self::Context) {
        let status = self.status(msg.state, msg.trace);
        self.document
            .statuses
            .entry(msg.id.connector)
            .or_default()
            .tasks
            .insert(msg.id.task, status);
        self.persist();
    }
}

impl Handler<GetStatuses> for StateManager {
    type Result = Option<ConnectorStatuses>;
    fn handle(&mut self, msg: GetStatuses, _ctx: &mut Self::Context) -> Self::Result {
        self.document.statuses.get(&msg.connector).cloned()
    }
}

impl Handler<GetAllStatuses> for StateManager {
    type Result = MessageResult<GetAllStatuses>;
    fn handle(&mut self, _msg: GetAllStatuses, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.document.statuses.clone())
    }
}

impl Handler<RemoveStatuses> for StateManager {
    type Result = ();
    fn handle(&mut self, msg: RemoveStatuses, _ctx: &mut Self::Context) {
        if self.document.statuses.remove(&msg.connector).is_some() {
            self.persist();
        }
    }
}

impl Handler<RetainTasks> for StateManager {
    type Result = ();
    fn handle(&mut self, msg: RetainTasks, _ctx: &mut Self::Context) {
        if let Some(statuses) = self.document.statuses.get_mut(&msg.connector) {
            statuses.tasks.retain(|id, _| *id < msg.count);
            self.persist();
        }
    }
}
