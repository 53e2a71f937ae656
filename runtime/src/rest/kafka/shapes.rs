//! Kafka Connect's response bodies, made from the worker's model: snake_case `worker_id`,
//! lowercase `type`, and no `trace` unless there is one.

use std::collections::BTreeMap;

use connect_actors::model::{
    ConnectorInfo, ConnectorStateInfo, State, TaskInfo, TaskRef, TaskState,
};
use connect_api::{Config, ConnectorKind};
use serde::Serialize;

/// `source` or `sink`.
pub fn kind_name(kind: ConnectorKind) -> &'static str {
    match kind {
        ConnectorKind::Source => "source",
        ConnectorKind::Sink => "sink",
    }
}

/// `ConnectorInfo`: name, configuration (secrets masked), task ids, type.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Info {
    pub name: String,
    pub config: BTreeMap<String, String>,
    pub tasks: Vec<TaskRef>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl From<ConnectorInfo> for Info {
    fn from(info: ConnectorInfo) -> Self {
        Self {
            config: with_name(&info.config, &info.name),
            name: info.name,
            tasks: info.tasks,
            kind: kind_name(info.kind),
        }
    }
}

/// A configuration as Kafka Connect shows it: every key, `name` included.
pub fn with_name(config: &Config, name: &str) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = config
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    map.entry("name".to_owned())
        .or_insert_with(|| name.to_owned());
    map
}

/// A connector's or a task's state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StateOut {
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    pub worker_id: String,
}

/// A task's state, with its id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskStateOut {
    pub id: u32,
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    pub worker_id: String,
}

impl From<TaskState> for TaskStateOut {
    fn from(task: TaskState) -> Self {
        Self {
            id: task.id,
            state: task.state,
            trace: task.trace,
            worker_id: task.worker_id,
        }
    }
}

/// `ConnectorStateInfo`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Status {
    pub name: String,
    pub connector: StateOut,
    pub tasks: Vec<TaskStateOut>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl From<ConnectorStateInfo> for Status {
    fn from(status: ConnectorStateInfo) -> Self {
        Self {
            name: status.name,
            connector: StateOut {
                state: status.connector.state,
                trace: status.connector.trace,
                worker_id: status.connector.worker_id,
            },
            tasks: status.tasks.into_iter().map(TaskStateOut::from).collect(),
            kind: kind_name(status.kind),
        }
    }
}

/// `TaskInfo`: `{"id": {"connector", "task"}, "config"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: TaskRef,
    pub config: BTreeMap<String, String>,
}

impl From<TaskInfo> for Task {
    fn from(task: TaskInfo) -> Self {
        Self {
            config: task
                .config
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            id: task.id,
        }
    }
}
