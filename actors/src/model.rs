//! The worker's domain types: what is stored, what is reported.

use std::collections::BTreeMap;
use std::fmt;

use connect_api::{Config, ConnectorKind};
use serde::{Deserialize, Serialize};

/// What the user asked a connector to be (set by pause, resume and stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    #[default]
    Started,
    /// The connector and its tasks stay, doing nothing.
    Paused,
    /// Kafka Connect's STOPPED (KIP-875): the connector is shut down and its task
    /// configurations are dropped, so no task exists until it is resumed; only then may its
    /// offsets be altered.
    Stopped,
}

/// `SOURCE` or `SINK`: how the seed's API writes a connector's type (for the API's
/// description; the value is a `connect_api::ConnectorKind`).
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = ConnectorKindName)]
#[allow(dead_code, reason = "only its schema is used")]
pub enum ConnectorKindName {
    #[schema(rename = "SOURCE")]
    Source,
    #[schema(rename = "SINK")]
    Sink,
}

/// What a connector or task is (the REST `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    Stopped,
}

impl State {
    /// The REST name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unassigned => "UNASSIGNED",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Failed => "FAILED",
            Self::Stopped => "STOPPED",
        }
    }
}

pub use connect_dataplane::ids::{Epoch, TaskId};

/// Something a worker runs and claims in distributed mode: a connector instance or a task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Unit {
    Connector(String),
    Task(TaskId),
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connector(name) => write!(f, "connector {name}"),
            Self::Task(id) => write!(f, "task {id}"),
        }
    }
}

/// A connector as stored: its configuration, target state and task configurations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorEntry {
    pub config: Config,
    pub target: TargetState,
    /// Task configurations as last computed by the running connector (empty until then).
    #[serde(default)]
    pub tasks: Vec<Config>,
}

/// All connector entries by name.
pub type ConfigSnapshot = BTreeMap<String, ConnectorEntry>;

/// One status record (`{"state", "trace", "workerId"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub state: State,
    pub trace: Option<String>,
    #[serde(rename = "workerId")]
    pub worker_id: String,
    /// Increases with every write; a newer generation wins.
    pub generation: u64,
}

/// Statuses of one connector and its tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorStatuses {
    pub connector: Option<Status>,
    pub tasks: BTreeMap<u32, Status>,
}

/// The REST shape of a task status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskState {
    pub state: State,
    pub trace: Option<String>,
    #[serde(rename = "workerId")]
    pub worker_id: String,
    pub id: u32,
}

/// The REST shape of a connector status (Java `ConnectorStateInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    #[schema(value_type = ConnectorKindName)]
    pub kind: ConnectorKind,
}

/// The connector part of [`ConnectorStateInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConnectorState {
    pub state: State,
    pub trace: Option<String>,
    #[serde(rename = "workerId")]
    pub worker_id: String,
}

/// The REST shape of a connector's configuration (Java `ConnectorInfo`); secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConnectorInfo {
    pub name: String,
    #[schema(value_type = BTreeMap<String, String>)]
    pub config: Config,
    pub tasks: Vec<TaskRef>,
    #[serde(rename = "type")]
    #[schema(value_type = ConnectorKindName)]
    pub kind: ConnectorKind,
}

/// `{"connector", "task"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskRef {
    pub connector: String,
    pub task: u32,
}

/// A task's configuration over REST (`{"id": {...}, "config": {...}}`); secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskInfo {
    pub id: TaskRef,
    #[schema(value_type = BTreeMap<String, String>)]
    pub config: Config,
}

/// A task as the worker sees it (`/allocated/tasks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WorkerTaskState {
    Pending,
    Running,
    Paused,
    Error,
    Stopping,
    Stopped,
}

/// One row of `/allocated/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AllocatedTask {
    #[serde(rename = "connectorName")]
    pub connector_name: String,
    pub id: u32,
    #[schema(value_type = BTreeMap<String, String>)]
    pub config: Config,
    #[serde(rename = "taskState")]
    pub state: WorkerTaskState,
}

/// What this worker runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Allocation {
    #[schema(value_type = BTreeMap<String, BTreeMap<String, String>>)]
    pub connectors: BTreeMap<String, Config>,
    pub tasks: Vec<AllocatedTask>,
}
