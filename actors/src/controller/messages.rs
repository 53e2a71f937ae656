//! Requests the controller answers. Commands are imperative, queries `Get…`/`List…`.

use std::collections::BTreeMap;

use actix::prelude::*;
use connect_api::{Config, ConfigError, RecordOffset, RecordPartition};
use serde::Serialize;

use crate::error::ControllerError;
use crate::model::{
    Allocation, ConnectorInfo, ConnectorStateInfo, TargetState, TaskId, TaskInfo, TaskState,
};

/// Whether a PUT may replace an existing connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// Create, or update when the configuration differs (the seed's create-or-update).
    CreateOrUpdate,
    /// Create only; an existing name is a conflict (`POST /connectors`).
    CreateOnly,
    /// Update only; a missing connector is not found (Kafka Connect's `PATCH …/config`, which
    /// must not re-create a connector deleted meanwhile).
    UpdateOnly,
}

/// Creates or updates a connector. Identical configuration: no change.
#[derive(Debug, Message)]
#[rtype(result = "Result<PutOutcome, ControllerError>")]
pub struct PutConnectorConfig {
    pub name: String,
    pub config: Config,
    pub mode: PutMode,
    /// The sender already validated `config` (the controller skips validation).
    pub validated: bool,
}

/// What a put did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    pub created: bool,
    pub changed: bool,
    pub info: ConnectorInfo,
}

/// Stops and removes a connector (its positions are kept).
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ControllerError>")]
pub struct DeleteConnector {
    pub name: String,
}

/// Stops and removes every connector; replies with their names.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<String>, ControllerError>")]
pub struct DeleteAllConnectors;

/// Pauses or resumes one connector (`Some`) or all (`None`); replies with the names changed.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<String>, ControllerError>")]
pub struct SetTargetState {
    pub name: Option<String>,
    pub target: TargetState,
}

/// Restarts a connector and, optionally, its tasks (all, or only failed ones).
#[derive(Debug, Message)]
#[rtype(result = "Result<ConnectorStateInfo, ControllerError>")]
pub struct RestartConnectorRequest {
    pub name: String,
    pub include_tasks: bool,
    pub only_failed: bool,
}

/// Restarts one task.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ControllerError>")]
pub struct RestartTaskRequest {
    pub id: TaskId,
}

#[derive(Debug, Message)]
#[rtype(result = "Result<ConnectorInfo, ControllerError>")]
pub struct GetConnectorInfo {
    pub name: String,
}

#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<TaskInfo>, ControllerError>")]
pub struct GetTaskInfos {
    pub name: String,
}

#[derive(Debug, Message)]
#[rtype(result = "Result<ConnectorStateInfo, ControllerError>")]
pub struct GetConnectorStatus {
    pub name: String,
}

#[derive(Debug, Message)]
#[rtype(result = "Result<TaskState, ControllerError>")]
pub struct GetTaskStatus {
    pub id: TaskId,
}

/// Names of all connectors.
#[derive(Debug, Message)]
#[rtype(result = "Vec<String>")]
pub struct ListConnectors;

/// `/connectors/list`: every connector's status and info.
#[derive(Debug, Message)]
#[rtype(result = "BTreeMap<String, ConnectorDetails>")]
pub struct ListConnectorDetails;

/// One entry of `/connectors/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConnectorDetails {
    pub status: ConnectorStateInfo,
    pub info: ConnectorInfo,
}

#[derive(Debug, Message)]
#[rtype(result = "Result<Allocation, ControllerError>")]
pub struct GetAllocation;

/// Committed source positions of a connector.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<(RecordPartition, RecordOffset)>, ControllerError>")]
pub struct GetOffsets {
    pub name: String,
}

/// Changes a stopped source connector's committed positions (KIP-875).
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ControllerError>")]
pub struct AlterOffsets {
    pub name: String,
    pub change: crate::offset_committer::PositionChange,
}

/// A configuration a client wants to store, made ready for validation: within the worker's
/// limits, and with every value the client was shown masked put back to the stored secret.
#[derive(Debug, Message)]
#[rtype(result = "Result<Config, ControllerError>")]
pub struct PrepareWrite {
    pub name: String,
    pub config: Config,
}

/// Validates a configuration without storing it.
#[derive(Debug, Message)]
#[rtype(result = "Vec<ConfigError>")]
pub struct ValidateConfig {
    pub config: Config,
}

/// The ids of the live workers.
#[derive(Debug, Message)]
#[rtype(result = "Vec<String>")]
pub struct GetClusterInfo;

/// Configurations changed through another worker (the distributed config log's listener).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ConfigsChanged {
    pub view: crate::config_store::ConfigView,
}

/// Restart requests other workers wrote to the config log (distributed).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RestartsRequested {
    pub requests: Vec<crate::config_store::RestartRequest>,
}

/// Stops every connector and task (final commits included); later writes are refused.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Shutdown;
