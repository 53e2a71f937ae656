//! The `ConnectController` actor: the single writer of connector configurations and target
//! states, and the REST API's entry point (through [`handle::ControllerHandle`]).
//!
//! Writes are atomic (one at a time): validate → persist in the config store → update the
//! in-memory mirror → rebalance, which replies once the worker applied the change. Reads
//! combine the mirror with the state manager's statuses.

pub mod handle;
pub mod messages;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::Arc;

use actix::prelude::*;
use connect_api::{Config, ConfigError, ConnectorKind, PluginKind};

use crate::catalog::Catalog;
use crate::config_store::{
    ApplyOps, ConfigOp, ConfigStore, ConfigView, GetConfigs, RestartRequest,
};
use crate::connector::TaskConfigsComputed;
use crate::error::ControllerError;
use crate::model::{
    ConfigSnapshot, ConnectorEntry, ConnectorInfo, ConnectorState, ConnectorStateInfo,
    ConnectorStatuses, State, TaskId, TaskInfo, TaskRef, TaskState,
};
use crate::offset_committer::{AlterPositions, GetPositions, OffsetCommitter};
use crate::rebalancer::{Rebalance, Rebalancer, StopAll};
use crate::security;
use crate::settings::WorkerSettings;
use crate::state_manager::{
    GetAllStatuses, GetStatuses, RemoveStatuses, RetainTasks, StateManager,
};
use crate::worker::{self, Worker};
use messages::*;

/// The actors the controller talks to.
#[derive(Debug, Clone)]
pub struct ControllerDeps {
    pub settings: Arc<WorkerSettings>,
    pub catalog: Arc<Catalog>,
    pub config_store: Addr<ConfigStore>,
    pub state_manager: Addr<StateManager>,
    pub committer: Addr<OffsetCommitter>,
    pub worker: Addr<Worker>,
    pub rebalancer: Addr<Rebalancer>,
    /// Whether source and sink tasks can run through the message queue.
    pub data_plane: bool,
    /// The live members of a distributed cluster (`None`: standalone).
    pub members: Option<crate::cluster::Members>,
    /// The control logs' readers, closed at shutdown (distributed).
    pub control_logs: Option<crate::cluster::ControlLogs>,
}

#[derive(Debug)]
pub struct ConnectController {
    deps: ControllerDeps,
    /// Mirror of the config store (the controller is this worker's only writer; in
    /// distributed mode other workers' changes arrive as [`ConfigsChanged`]).
    configs: ConfigSnapshot,
    /// Version of `configs`; a view replaces the mirror only if it is newer.
    version: u64,
    loaded: bool,
    shutting_down: bool,
}

type Reply<T> = Result<T, ControllerError>;

fn mailbox<T>(result: Result<T, MailboxError>) -> Reply<T> {
    result.map_err(|e| ControllerError::mailbox(&e))
}

impl ConnectController {
    pub fn new(deps: ControllerDeps) -> Self {
        Self {
            deps,
            configs: ConfigSnapshot::new(),
            version: 0,
            loaded: false,
            shutting_down: false,
        }
    }

    fn kind(&self, entry: &ConnectorEntry) -> ConnectorKind {
        let class = entry.config.get("connector.class").unwrap_or_default();
        match self.deps.catalog.connector(class).map(|p| p.kind) {
            Some(PluginKind::Sink) => ConnectorKind::Sink,
            _ => ConnectorKind::Source,
        }
    }

    fn info(&self, name: &str, entry: &ConnectorEntry) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_owned(),
            config: entry.config.masked(),
            tasks: (0..entry.tasks.len())
                .map(|task| TaskRef {
                    connector: name.to_owned(),
                    task: u32::try_from(task).unwrap_or(u32::MAX),
                })
                .collect(),
            kind: self.kind(entry),
        }
    }

    fn state_info(
        &self,
        name: &str,
        entry: &ConnectorEntry,
        statuses: Option<&ConnectorStatuses>,
    ) -> ConnectorStateInfo {
        let worker_id = &self.deps.settings.worker_id;
        let unassigned = || ConnectorState {
            state: State::Unassigned,
            trace: None,
            worker_id: worker_id.clone(),
        };
        let connector = statuses
            .and_then(|s| s.connector.as_ref())
            .map_or_else(unassigned, |s| ConnectorState {
                state: s.state,
                trace: s.trace.clone(),
                worker_id: s.worker_id.clone(),
            });
        let tasks = (0..entry.tasks.len())
            .map(|index| {
                let id = u32::try_from(index).unwrap_or(u32::MAX);
                match statuses.and_then(|s| s.tasks.get(&id)) {
                    Some(s) => TaskState {
                        state: s.state,
                        trace: s.trace.clone(),
                        worker_id: s.worker_id.clone(),
                        id,
                    },
                    None => TaskState {
                        state: State::Unassigned,
                        trace: None,
                        worker_id: worker_id.clone(),
                        id,
                    },
                }
            })
            .collect();
        ConnectorStateInfo {
            name: name.to_owned(),
            connector,
            tasks,
            kind: self.kind(entry),
        }
    }

    fn entry(&self, name: &str) -> Reply<&ConnectorEntry> {
        self.configs
            .get(name)
            .ok_or_else(|| ControllerError::connector_not_found(name))
    }

    fn refuse_if_shutting_down(&self) -> Reply<()> {
        if self.shutting_down {
            Err(ControllerError::Conflict(
                "the worker is shutting down".to_owned(),
            ))
        } else {
            Ok(())
        }
    }

    /// Takes a view of the configurations if it is newer than the mirror.
    fn adopt(&mut self, view: ConfigView) -> bool {
        if view.version > self.version || !self.loaded {
            self.version = view.version;
            self.configs = view.connectors;
            true
        } else {
            false
        }
    }

    /// Applies `ops` in the config store, then rebalances with the resulting configurations
    /// (the reply comes once this worker applied them); on a store failure nothing changes.
    fn commit_ops(
        &mut self,
        ops: Vec<ConfigOp>,
    ) -> impl ActorFuture<Self, Output = Reply<ConfigView>> + 'static {
        let store = self.deps.config_store.clone();
        async move {
            let view = mailbox(store.send(ApplyOps { ops: ops.clone() }).await)?
                .map_err(ControllerError::Internal)?;
            Ok((view, ops))
        }
        .into_actor(self)
        .then(|result: Reply<(ConfigView, Vec<ConfigOp>)>, actor, _ctx| {
            let (view, ops) = match result {
                Ok(ok) => ok,
                Err(e) => return fut::ready(Err(e)).boxed_local(),
            };
            actor.adopt(view.clone());
            for name in ops.iter().map(ConfigOp::name) {
                match view.connectors.get(name) {
                    None => actor.deps.state_manager.do_send(RemoveStatuses {
                        connector: name.to_owned(),
                    }),
                    Some(entry) => actor.deps.state_manager.do_send(RetainTasks {
                        connector: name.to_owned(),
                        count: u32::try_from(entry.tasks.len()).unwrap_or(u32::MAX),
                    }),
                }
            }
            let rebalance = actor.deps.rebalancer.send(Rebalance {
                snapshot: actor.configs.clone(),
            });
            async move {
                mailbox(rebalance.await)?;
                Ok(view)
            }
            .into_actor(actor)
            .boxed_local()
        })
    }
}

impl Actor for ConnectController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Bring back every stored connector in its stored target state.
        let store = self.deps.config_store.clone();
        let rebalancer = self.deps.rebalancer.clone();
        ctx.wait(
            async move {
                let view = store.send(GetConfigs).await.unwrap_or_default();
                let _ = rebalancer
                    .send(Rebalance {
                        snapshot: view.connectors.clone(),
                    })
                    .await;
                view
            }
            .into_actor(self)
            .map(|view, actor, _| {
                tracing::info!(
                    connectors = view.connectors.len(),
                    "restored stored connectors"
                );
                actor.adopt(view);
                actor.loaded = true;
            }),
        );
    }
}

impl Handler<PutConnectorConfig> for ConnectController {
    type Result = AtomicResponse<Self, Reply<PutOutcome>>;

    fn handle(&mut self, msg: PutConnectorConfig, _ctx: &mut Self::Context) -> Self::Result {
        let early = self
            .refuse_if_shutting_down()
            .and_then(|()| validate::check_name(&msg.name).map_err(ControllerError::BadRequest));
        if let Err(e) = early {
            return AtomicResponse::new(Box::pin(fut::ready(Err(e))));
        }
        let existing = self.configs.get(&msg.name).cloned();
        if existing.is_none() && msg.mode == PutMode::UpdateOnly {
            let error =
                ControllerError::NotFound(format!("Connector [{}] does not exist", msg.name));
            return AtomicResponse::new(Box::pin(fut::ready(Err(error))));
        }
        let mut msg = msg;
        if let Some(entry) = &existing {
            msg.config = msg.config.with_secrets_kept_from(&entry.config);
            if msg.mode == PutMode::CreateOnly {
                let error =
                    ControllerError::Conflict(format!("Connector [{}] already exists", msg.name));
                return AtomicResponse::new(Box::pin(fut::ready(Err(error))));
            }
            if entry.config == msg.config {
                let info = self.info(&msg.name, entry);
                return AtomicResponse::new(Box::pin(fut::ready(Ok(PutOutcome {
                    created: false,
                    changed: false,
                    info,
                }))));
            }
        }
        // The handle validates before sending (outside this atomic section, so a slow connector
        // `validate` never blocks other requests); direct senders get validated here.
        let (catalog, settings, to_check, validated) = (
            self.deps.catalog.clone(),
            self.deps.settings.clone(),
            msg.config.clone(),
            msg.validated,
        );
        let data_plane = self.deps.data_plane;
        let validation = async move {
            if validated {
                Ok(())
            } else {
                validate::validate_connector(catalog, settings, to_check, data_plane).await
            }
        };
        let name = msg.name;
        let config = msg.config;
        AtomicResponse::new(Box::pin(validation.into_actor(self).then(
            move |validated, actor, _ctx| {
                let created = existing.is_none();
                let commit: Box<dyn ActorFuture<Self, Output = Reply<PutOutcome>>> = match validated
                {
                    Err(errors) => Box::new(fut::ready(Err(ControllerError::BadConfig(errors)))),
                    Ok(()) => {
                        let op = ConfigOp::PutConfig {
                            name: name.clone(),
                            config,
                        };
                        Box::new(actor.commit_ops(vec![op]).map(move |result, actor, _| {
                            let view = result?;
                            // Deleted again by a concurrent request before this one returned.
                            let entry = view
                                .connectors
                                .get(&name)
                                .ok_or_else(|| ControllerError::connector_not_found(&name))?;
                            Ok(PutOutcome {
                                created,
                                changed: true,
                                info: actor.info(&name, entry),
                            })
                        }))
                    }
                };
                Box::into_pin(commit)
            },
        )))
    }
}

impl Handler<TaskConfigsComputed> for ConnectController {
    type Result = AtomicResponse<Self, ()>;

    fn handle(&mut self, msg: TaskConfigsComputed, _ctx: &mut Self::Context) -> Self::Result {
        let Some(entry) = self.configs.get(&msg.connector) else {
            return AtomicResponse::new(Box::pin(fut::ready(())));
        };
        // A report computed from an older configuration, or nothing new: ignore.
        if entry.config != msg.connector_config || entry.tasks == msg.tasks || self.shutting_down {
            return AtomicResponse::new(Box::pin(fut::ready(())));
        }
        let name = msg.connector;
        let op = ConfigOp::SetTasks {
            name: name.clone(),
            computed_from: msg.connector_config,
            tasks: msg.tasks,
        };
        AtomicResponse::new(Box::pin(self.commit_ops(vec![op]).map(move |result, _, _| {
            if let Err(e) = result {
                tracing::error!(connector = %name, error = %e, "could not store task configurations");
            }
        })))
    }
}

impl Handler<DeleteConnector> for ConnectController {
    type Result = AtomicResponse<Self, Reply<()>>;

    fn handle(&mut self, msg: DeleteConnector, _ctx: &mut Self::Context) -> Self::Result {
        if let Err(e) = self
            .refuse_if_shutting_down()
            .and_then(|()| self.entry(&msg.name).map(|_| ()))
        {
            return AtomicResponse::new(Box::pin(fut::ready(Err(e))));
        }
        let op = ConfigOp::Delete { name: msg.name };
        AtomicResponse::new(Box::pin(
            self.commit_ops(vec![op])
                .map(|result, _, _| result.map(drop)),
        ))
    }
}

impl Handler<DeleteAllConnectors> for ConnectController {
    type Result = AtomicResponse<Self, Reply<Vec<String>>>;

    fn handle(&mut self, _msg: DeleteAllConnectors, _ctx: &mut Self::Context) -> Self::Result {
        if let Err(e) = self.refuse_if_shutting_down() {
            return AtomicResponse::new(Box::pin(fut::ready(Err(e))));
        }
        let names: Vec<String> = self.configs.keys().cloned().collect();
        let ops = names
            .iter()
            .map(|name| ConfigOp::Delete { name: name.clone() })
            .collect();
        AtomicResponse::new(Box::pin(
            self.commit_ops(ops)
                .map(move |result, _, _| result.map(|_| names)),
        ))
    }
}

impl Handler<SetTargetState> for ConnectController {
    type Result = AtomicResponse<Self, Reply<Vec<String>>>;

    fn handle(&mut self, msg: SetTargetState, _ctx: &mut Self::Context) -> Self::Result {
        let names: Vec<String> = match &msg.name {
            Some(name) => match self
                .refuse_if_shutting_down()
                .and_then(|()| self.entry(name))
            {
                Ok(_) => vec![name.clone()],
                Err(e) => return AtomicResponse::new(Box::pin(fut::ready(Err(e)))),
            },
            // Pause-all and resume-all leave STOPPED connectors stopped: ending a stop (while
            // an operator resets offsets, say) takes a request naming the connector.
            None => self
                .configs
                .iter()
                .filter(|(_, entry)| entry.target != crate::model::TargetState::Stopped)
                .map(|(name, _)| name.clone())
                .collect(),
        };
        let ops: Vec<ConfigOp> = names
            .iter()
            .filter(|name| {
                self.configs
                    .get(*name)
                    .is_some_and(|e| e.target != msg.target)
            })
            .map(|name| ConfigOp::SetTarget {
                name: name.clone(),
                target: msg.target,
            })
            .collect();
        AtomicResponse::new(Box::pin(
            self.commit_ops(ops)
                .map(move |result, _, _| result.map(|_| names)),
        ))
    }
}

/// Restarts what `request` names that runs on this worker; in a cluster, what runs elsewhere
/// is asked of its owner through the config log (the owner restarts it when it reads the
/// request). Standalone, a unit that does not run here is an error.
async fn restart_here_or_through_the_log(
    worker: Addr<Worker>,
    config_store: Addr<ConfigStore>,
    distributed: bool,
    request: RestartRequest,
) -> Reply<()> {
    let mut elsewhere = RestartRequest {
        name: request.name.clone(),
        connector: false,
        tasks: Vec::new(),
    };
    let not_here = |result: Reply<()>| match result {
        Ok(()) => Ok(false),
        Err(ControllerError::NotFound(_)) if distributed => Ok(true),
        Err(e) => Err(e),
    };
    if request.connector {
        elsewhere.connector = not_here(mailbox(
            worker
                .send(worker::RestartConnector {
                    name: request.name.clone(),
                })
                .await,
        )?)?;
    }
    for task in request.tasks {
        let id = TaskId::new(request.name.clone(), task);
        if not_here(mailbox(worker.send(worker::RestartTask { id }).await)?)? {
            elsewhere.tasks.push(task);
        }
    }
    if elsewhere.connector || !elsewhere.tasks.is_empty() {
        mailbox(
            config_store
                .send(ApplyOps {
                    ops: vec![ConfigOp::Restart(elsewhere)],
                })
                .await,
        )?
        .map_err(ControllerError::Internal)?;
    }
    Ok(())
}

impl Handler<RestartConnectorRequest> for ConnectController {
    type Result = ResponseActFuture<Self, Reply<ConnectorStateInfo>>;

    fn handle(&mut self, msg: RestartConnectorRequest, _ctx: &mut Self::Context) -> Self::Result {
        let entry = match self
            .refuse_if_shutting_down()
            .and_then(|()| self.entry(&msg.name))
        {
            Ok(entry) => entry.clone(),
            Err(e) => return Box::pin(fut::ready(Err(e))),
        };
        let worker = self.deps.worker.clone();
        let config_store = self.deps.config_store.clone();
        let distributed = self.deps.members.is_some();
        let state_manager = self.deps.state_manager.clone();
        let name = msg.name.clone();
        let tasks = u32::try_from(entry.tasks.len()).unwrap_or(u32::MAX);
        Box::pin(
            async move {
                let statuses = mailbox(
                    state_manager
                        .send(GetStatuses {
                            connector: name.clone(),
                        })
                        .await,
                )?
                .unwrap_or_default();
                let failed =
                    |s: Option<&crate::model::Status>| s.is_some_and(|s| s.state == State::Failed);
                let request = RestartRequest {
                    name: name.clone(),
                    connector: !msg.only_failed || failed(statuses.connector.as_ref()),
                    tasks: (0..tasks)
                        .filter(|task| {
                            msg.include_tasks
                                && (!msg.only_failed || failed(statuses.tasks.get(task)))
                        })
                        .collect(),
                };
                restart_here_or_through_the_log(worker, config_store, distributed, request).await?;
                // Report the statuses as they are now (restarted parts show their new state
                // as soon as they report it).
                mailbox(
                    state_manager
                        .send(GetStatuses {
                            connector: name.clone(),
                        })
                        .await,
                )
            }
            .into_actor(self)
            .map(move |result: Reply<Option<ConnectorStatuses>>, actor, _| {
                let statuses = result?;
                let entry = actor.entry(&msg.name)?;
                Ok(actor.state_info(&msg.name, entry, statuses.as_ref()))
            }),
        )
    }
}

impl Handler<RestartTaskRequest> for ConnectController {
    type Result = ResponseFuture<Reply<()>>;

    fn handle(&mut self, msg: RestartTaskRequest, _ctx: &mut Self::Context) -> Self::Result {
        let known = self
            .refuse_if_shutting_down()
            .and_then(|()| self.entry(&msg.id.connector))
            .map(|e| (msg.id.task as usize) < e.tasks.len());
        let worker = self.deps.worker.clone();
        let config_store = self.deps.config_store.clone();
        let distributed = self.deps.members.is_some();
        Box::pin(async move {
            match known {
                Err(e) => Err(e),
                Ok(false) => Err(ControllerError::NotFound(format!(
                    "Task {} does not exist",
                    msg.id
                ))),
                Ok(true) => {
                    let request = RestartRequest {
                        name: msg.id.connector,
                        connector: false,
                        tasks: vec![msg.id.task],
                    };
                    restart_here_or_through_the_log(worker, config_store, distributed, request)
                        .await
                }
            }
        })
    }
}

/// Restart requests read from the config log (distributed): this worker restarts what of
/// them it runs and ignores the rest (their owners act on them).
impl Handler<RestartsRequested> for ConnectController {
    type Result = ();
    fn handle(&mut self, msg: RestartsRequested, ctx: &mut Self::Context) {
        if self.shutting_down {
            return;
        }
        let worker = self.deps.worker.clone();
        ctx.spawn(
            async move {
                for request in msg.requests {
                    if request.connector {
                        let name = request.name.clone();
                        let _ = worker.send(worker::RestartConnector { name }).await;
                    }
                    for task in request.tasks {
                        let id = TaskId::new(request.name.clone(), task);
                        let _ = worker.send(worker::RestartTask { id }).await;
                    }
                }
            }
            .into_actor(self),
        );
    }
}

impl Handler<GetConnectorInfo> for ConnectController {
    type Result = Reply<ConnectorInfo>;
    fn handle(&mut self, msg: GetConnectorInfo, _ctx: &mut Self::Context) -> Self::Result {
        let entry = self.entry(&msg.name)?;
        Ok(self.info(&msg.name, entry))
    }
}

impl Handler<GetTaskInfos> for ConnectController {
    type Result = Reply<Vec<TaskInfo>>;
    fn handle(&mut self, msg: GetTaskInfos, _ctx: &mut Self::Context) -> Self::Result {
        let entry = self.entry(&msg.name)?;
        Ok(entry
            .tasks
            .iter()
            .enumerate()
            .map(|(task, config)| TaskInfo {
                id: TaskRef {
                    connector: msg.name.clone(),
                    task: u32::try_from(task).unwrap_or(u32::MAX),
                },
                config: config.masked(),
            })
            .collect())
    }
}

impl Handler<GetConnectorStatus> for ConnectController {
    type Result = ResponseActFuture<Self, Reply<ConnectorStateInfo>>;
    fn handle(&mut self, msg: GetConnectorStatus, _ctx: &mut Self::Context) -> Self::Result {
        if let Err(e) = self.entry(&msg.name) {
            return Box::pin(fut::ready(Err(e)));
        }
        let request = self.deps.state_manager.send(GetStatuses {
            connector: msg.name.clone(),
        });
        Box::pin(async move { mailbox(request.await) }.into_actor(self).map(
            move |statuses, actor, _| {
                let statuses = statuses?;
                let entry = actor.entry(&msg.name)?;
                Ok(actor.state_info(&msg.name, entry, statuses.as_ref()))
            },
        ))
    }
}

impl Handler<GetTaskStatus> for ConnectController {
    type Result = ResponseActFuture<Self, Reply<TaskState>>;
    fn handle(&mut self, msg: GetTaskStatus, _ctx: &mut Self::Context) -> Self::Result {
        if let Err(e) = self.entry(&msg.id.connector) {
            return Box::pin(fut::ready(Err(e)));
        }
        let request = self.deps.state_manager.send(GetStatuses {
            connector: msg.id.connector.clone(),
        });
        Box::pin(async move { mailbox(request.await) }.into_actor(self).map(
            move |statuses, actor, _| {
                let statuses = statuses?;
                let entry = actor.entry(&msg.id.connector)?;
                actor
                    .state_info(&msg.id.connector, entry, statuses.as_ref())
                    .tasks
                    .into_iter()
                    .find(|t| t.id == msg.id.task)
                    .ok_or_else(|| {
                        ControllerError::NotFound(format!("No status found for task {}", msg.id))
                    })
            },
        ))
    }
}

impl Handler<ListConnectors> for ConnectController {
    type Result = MessageResult<ListConnectors>;
    fn handle(&mut self, _msg: ListConnectors, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.configs.keys().cloned().collect())
    }
}

impl Handler<ListConnectorDetails> for ConnectController {
    type Result = ResponseActFuture<Self, BTreeMap<String, ConnectorDetails>>;
    fn handle(&mut self, _msg: ListConnectorDetails, _ctx: &mut Self::Context) -> Self::Result {
        let request = self.deps.state_manager.send(GetAllStatuses);
        Box::pin(
            async move { request.await.unwrap_or_default() }
                .into_actor(self)
                .map(|statuses, actor, _| {
                    // A connector without a status is listed as UNASSIGNED, never an error for all.
                    actor
                        .configs
                        .iter()
                        .map(|(name, entry)| {
                            let details = ConnectorDetails {
                                status: actor.state_info(name, entry, statuses.get(name)),
                                info: actor.info(name, entry),
                            };
                            (name.clone(), details)
                        })
                        .collect()
                }),
        )
    }
}

impl Handler<GetAllocation> for ConnectController {
    type Result = ResponseFuture<Reply<crate::model::Allocation>>;
    fn handle(&mut self, _msg: GetAllocation, _ctx: &mut Self::Context) -> Self::Result {
        let request = self.deps.worker.send(worker::GetAllocation);
        Box::pin(async move { mailbox(request.await) })
    }
}

impl Handler<GetOffsets> for ConnectController {
    type Result =
        ResponseFuture<Reply<Vec<(connect_api::RecordPartition, connect_api::RecordOffset)>>>;
    fn handle(&mut self, msg: GetOffsets, _ctx: &mut Self::Context) -> Self::Result {
        let exists = self.entry(&msg.name).map(|_| ());
        let request = self.deps.committer.send(GetPositions {
            connector: msg.name,
        });
        Box::pin(async move {
            exists?;
            mailbox(request.await)
        })
    }
}

impl Handler<AlterOffsets> for ConnectController {
    type Result = ResponseFuture<Reply<()>>;
    fn handle(&mut self, msg: AlterOffsets, _ctx: &mut Self::Context) -> Self::Result {
        let checked = self.refuse_if_shutting_down().and_then(|()| {
            let entry = self.entry(&msg.name)?;
            if entry.target != crate::model::TargetState::Stopped {
                return Err(ControllerError::BadRequest(format!(
                    "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{}/stop' endpoint",
                    msg.name
                )));
            }
            if self.kind(entry) == ConnectorKind::Sink {
                return Err(ControllerError::BadRequest(format!(
                    "{} is a sink connector: its offsets are its RocketMQ consumer group's, which this worker does not alter; reset the group with the broker's tools (mqadmin resetOffsetByTime)",
                    msg.name
                )));
            }
            Ok(())
        });
        if let Err(e) = checked {
            return Box::pin(async move { Err(e) });
        }
        let allocation = self.deps.worker.send(worker::GetAllocation);
        let committer = self.deps.committer.clone();
        Box::pin(async move {
            // A task of the connector still stopping here would commit over the change (in
            // distributed mode the alteration also fences the tasks other workers run).
            if mailbox(allocation.await)?
                .tasks
                .iter()
                .any(|t| t.connector_name == msg.name)
            {
                return Err(ControllerError::Conflict(format!(
                    "the tasks of {} are still stopping; retry once its status shows no task",
                    msg.name
                )));
            }
            let request = committer.send(AlterPositions {
                connector: msg.name,
                change: msg.change,
            });
            mailbox(request.await)?.map_err(ControllerError::Internal)
        })
    }
}

impl Handler<PrepareWrite> for ConnectController {
    type Result = Reply<Config>;
    fn handle(&mut self, msg: PrepareWrite, _ctx: &mut Self::Context) -> Self::Result {
        validate::check_name(&msg.name).map_err(ControllerError::BadRequest)?;
        let limits = self.deps.settings.limits;
        let size = security::config_bytes(&msg.config);
        if size > limits.max_config_bytes {
            return Err(ControllerError::TooLarge(format!(
                "the configuration of {} is {size} bytes, over this worker's limit of {} (worker key {})",
                msg.name,
                limits.max_config_bytes,
                security::MAX_CONFIG_BYTES
            )));
        }
        match self.configs.get(&msg.name) {
            Some(entry) => Ok(msg.config.with_secrets_kept_from(&entry.config)),
            None if self.configs.len() >= limits.max_connectors => {
                Err(ControllerError::BadRequest(format!(
                    "this worker already runs {} connectors, its limit (worker key {}); delete one or raise the limit",
                    self.configs.len(),
                    security::MAX_CONNECTORS
                )))
            }
            None => Ok(msg.config),
        }
    }
}

impl Handler<ValidateConfig> for ConnectController {
    type Result = ResponseFuture<Vec<ConfigError>>;
    fn handle(&mut self, msg: ValidateConfig, _ctx: &mut Self::Context) -> Self::Result {
        let validation = validate::validate_connector(
            self.deps.catalog.clone(),
            self.deps.settings.clone(),
            msg.config,
            self.deps.data_plane,
        );
        Box::pin(async move { validation.await.err().unwrap_or_default() })
    }
}

impl Handler<GetClusterInfo> for ConnectController {
    type Result = MessageResult<GetClusterInfo>;
    fn handle(&mut self, _msg: GetClusterInfo, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(match &self.deps.members {
            Some(members) => members.read().clone(),
            None => vec![self.deps.settings.worker_id.clone()],
        })
    }
}

impl Handler<ConfigsChanged> for ConnectController {
    type Result = ();
    fn handle(&mut self, msg: ConfigsChanged, _ctx: &mut Self::Context) {
        if self.loaded && !self.shutting_down && self.adopt(msg.view) {
            self.deps.rebalancer.do_send(Rebalance {
                snapshot: self.configs.clone(),
            });
        }
    }
}

impl Handler<Shutdown> for ConnectController {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, _msg: Shutdown, _ctx: &mut Self::Context) -> Self::Result {
        self.shutting_down = true;
        let rebalancer = self.deps.rebalancer.clone();
        let state_manager = self.deps.state_manager.clone();
        let control_logs = self.deps.control_logs.clone();
        AtomicResponse::new(Box::pin(
            async move {
                // Units stop with their final commits and report their last statuses; once
                // the broker stored those (at most a few seconds' wait), the logs' readers
                // let go, so nothing keeps the client from shutting down.
                let _ = rebalancer.send(StopAll).await;
                tracing::info!("every connector and task stopped");
                let _ = state_manager.send(crate::state_manager::Flush).await;
                if let Some(logs) = control_logs {
                    tracing::info!("last statuses written; closing the control-log readers");
                    logs.close().await;
                    tracing::info!("control-log readers closed");
                }
            }
            .into_actor(self),
        ))
    }
}
