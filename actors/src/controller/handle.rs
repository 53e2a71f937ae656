//! [`ControllerHandle`]: the async facade over the controller that the REST layer (and
//! anything else) uses. A closed mailbox folds into [`ControllerError::Internal`].

use std::collections::BTreeMap;

use actix::prelude::*;
use connect_api::{Config, ConfigError, RecordOffset, RecordPartition};

use super::ConnectController;
use super::messages::*;
use crate::error::ControllerError;
use crate::model::{
    Allocation, ConnectorInfo, ConnectorStateInfo, TargetState, TaskId, TaskInfo, TaskState,
};

/// A cloneable handle to the controller.
#[derive(Debug, Clone)]
pub struct ControllerHandle {
    addr: Addr<ConnectController>,
    /// The worker's metrics (read directly: they are atomics, not state to ask an actor for).
    metrics: std::sync::Arc<connect_dataplane::metrics::WorkerMetrics>,
}

type Reply<T> = Result<T, ControllerError>;

impl ControllerHandle {
    pub fn new(
        addr: Addr<ConnectController>,
        metrics: std::sync::Arc<connect_dataplane::metrics::WorkerMetrics>,
    ) -> Self {
        Self { addr, metrics }
    }

    /// The worker's metrics registry.
    pub fn metrics(&self) -> &std::sync::Arc<connect_dataplane::metrics::WorkerMetrics> {
        &self.metrics
    }

    async fn ask<M>(&self, msg: M) -> Reply<M::Result>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        ConnectController: Handler<M>,
    {
        self.addr
            .send(msg)
            .await
            .map_err(|e| ControllerError::mailbox(&e))
    }

    /// Validates (concurrently with other requests), then creates or updates atomically.
    pub async fn put_connector(
        &self,
        name: &str,
        config: Config,
        mode: PutMode,
    ) -> Reply<PutOutcome> {
        let config = self
            .ask(PrepareWrite {
                name: name.to_owned(),
                config,
            })
            .await??;
        let errors = self
            .ask(ValidateConfig {
                config: config.clone(),
            })
            .await?;
        if !errors.is_empty() {
            return Err(ControllerError::BadConfig(errors));
        }
        self.ask(PutConnectorConfig {
            name: name.to_owned(),
            config,
            mode,
            validated: true,
        })
        .await?
    }
    pub async fn delete_connector(&self, name: &str) -> Reply<()> {
        self.ask(DeleteConnector {
            name: name.to_owned(),
        })
        .await?
    }
    pub async fn delete_all(&self) -> Reply<Vec<String>> {
        self.ask(DeleteAllConnectors).await?
    }
    pub async fn set_target(&self, name: Option<&str>, target: TargetState) -> Reply<Vec<String>> {
        self.ask(SetTargetState {
            name: name.map(str::to_owned),
            target,
        })
        .await?
    }
    pub async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Reply<ConnectorStateInfo> {
        self.ask(RestartConnectorRequest {
            name: name.to_owned(),
            include_tasks,
            only_failed,
        })
        .await?
    }
    pub async fn restart_task(&self, id: TaskId) -> Reply<()> {
        self.ask(RestartTaskRequest { id }).await?
    }
    pub async fn connector_info(&self, name: &str) -> Reply<ConnectorInfo> {
        self.ask(GetConnectorInfo {
            name: name.to_owned(),
        })
        .await?
    }
    pub async fn task_infos(&self, name: &str) -> Reply<Vec<TaskInfo>> {
        self.ask(GetTaskInfos {
            name: name.to_owned(),
        })
        .await?
    }
    pub async fn connector_status(&self, name: &str) -> Reply<ConnectorStateInfo> {
        self.ask(GetConnectorStatus {
            name: name.to_owned(),
        })
        .await?
    }
    pub async fn task_status(&self, id: TaskId) -> Reply<TaskState> {
        self.ask(GetTaskStatus { id }).await?
    }
    pub async fn list(&self) -> Reply<Vec<String>> {
        self.ask(ListConnectors).await
    }
    pub async fn list_details(&self) -> Reply<BTreeMap<String, ConnectorDetails>> {
        self.ask(ListConnectorDetails).await
    }
    pub async fn allocation(&self) -> Reply<Allocation> {
        self.ask(GetAllocation).await?
    }
    pub async fn offsets(&self, name: &str) -> Reply<Vec<(RecordPartition, RecordOffset)>> {
        self.ask(GetOffsets {
            name: name.to_owned(),
        })
        .await?
    }
    /// Alters (`Patch`) or resets a stopped source connector's positions.
    pub async fn alter_offsets(
        &self,
        name: &str,
        change: crate::offset_committer::PositionChange,
    ) -> Reply<()> {
        self.ask(AlterOffsets {
            name: name.to_owned(),
            change,
        })
        .await?
    }
    pub async fn validate(&self, config: Config) -> Reply<Vec<ConfigError>> {
        self.ask(ValidateConfig { config }).await
    }
    pub async fn cluster_info(&self) -> Reply<Vec<String>> {
        self.ask(GetClusterInfo).await
    }
    /// Stops every connector and task with final commits; later writes get a conflict.
    pub async fn shutdown(&self) -> Reply<()> {
        self.ask(Shutdown).await
    }
}
