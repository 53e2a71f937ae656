//! The `Worker` actor: runs the connectors and tasks assigned to this process.
//!
//! It applies assignments by difference (only what changed is stopped or started), and it owns
//! the restart policy: a task whose loop failed or panicked is restarted after an exponential
//! backoff, up to a limit, after which it stays FAILED until a restart request. A task that
//! ran healthily for a while before failing starts counting afresh.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use connect_api::Config;
use connect_dataplane::metrics::WorkerMetrics;

use crate::allocation::Assignment;
use crate::catalog::Catalog;
use crate::connector::{
    ConnectorActor, ConnectorSpec, SetConnectorTarget, StopConnector, TaskConfigsComputed,
};
use crate::error::ControllerError;
use crate::model::{
    AllocatedTask, Allocation, Epoch, State, TargetState, TaskId, Unit, WorkerTaskState,
};
use crate::offset_committer::{OffsetCommitter, PositionTable};
use crate::settings::WorkerSettings;
use crate::state_manager::{PutTaskStatus, StateManager};
use crate::task::{SetTaskTarget, StopTask, TaskActor, TaskFailed, TaskRunning, TaskSpec};

/// Extra time for an actor to acknowledge a stop beyond the stop timeout itself.
const STOP_MARGIN: std::time::Duration = std::time::Duration::from_secs(1);

struct ConnectorSlot {
    actor: Addr<ConnectorActor>,
    config: Config,
    target: TargetState,
    epoch: Epoch,
}

struct TaskSlot {
    config: Config,
    target: TargetState,
    /// The claim this task runs under (distributed mode).
    epoch: Epoch,
    actor: Option<Addr<TaskActor>>,
    phase: WorkerTaskState,
    /// Consecutive failed runs.
    attempts: u32,
    /// When the current actor reported its loop running (`None` while starting).
    running_since: Option<Instant>,
    retry: Option<SpawnHandle>,
    /// Bumped whenever the slot's actor is replaced or taken, so a restart that finishes after
    /// someone else changed the slot does not start a second actor.
    generation: u64,
    /// Set while a restart stops the slot's previous actor: the next restart waits for it, so
    /// two instances of a task never run at once and the old one's final status (UNASSIGNED)
    /// never lands after the new one's.
    stopping: Option<tokio::sync::watch::Receiver<bool>>,
}

/// The actors and stores a worker wires its connectors and tasks to.
#[derive(Debug, Clone)]
pub struct WorkerDeps {
    pub settings: Arc<WorkerSettings>,
    pub catalog: Arc<Catalog>,
    pub state_manager: Addr<StateManager>,
    pub committer: Addr<OffsetCommitter>,
    pub positions: PositionTable,
    pub task_configs: Recipient<TaskConfigsComputed>,
    /// The message queue for source and sink tasks (`None`: direct mode only).
    pub mq: Option<std::sync::Arc<dyn connect_dataplane::mq::MqClient>>,
    /// The worker's metrics registry.
    pub metrics: Arc<WorkerMetrics>,
}

pub struct Worker {
    deps: WorkerDeps,
    connectors: BTreeMap<String, ConnectorSlot>,
    tasks: BTreeMap<TaskId, TaskSlot>,
    /// Bumped by every applied assignment: a connector restart that finishes after an
    /// assignment changed things leaves the outcome to that assignment.
    assignment_epoch: u64,
    /// Connectors a restart is stopping and will start again: a concurrent restart of one of
    /// them has nothing more to do (that restart brings it back).
    restarting: std::collections::BTreeSet<String>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("connectors", &self.connectors.keys().collect::<Vec<_>>())
            .field("tasks", &self.tasks.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Worker {
    pub fn new(deps: WorkerDeps) -> Self {
        Self {
            deps,
            connectors: BTreeMap::new(),
            tasks: BTreeMap::new(),
            assignment_epoch: 0,
            restarting: std::collections::BTreeSet::new(),
        }
    }

    fn start_connector(&mut self, name: String, config: Config, target: TargetState, epoch: Epoch) {
        let actor = ConnectorActor::new(ConnectorSpec {
            name: name.clone(),
            config: config.clone(),
            target,
            epoch,
            settings: self.deps.settings.clone(),
            catalog: self.deps.catalog.clone(),
            state_manager: self.deps.state_manager.clone(),
            task_configs: self.deps.task_configs.clone(),
            metrics: self.deps.metrics.clone(),
        })
        .start();
        self.connectors.insert(
            name,
            ConnectorSlot {
                actor,
                config,
                target,
                epoch,
            },
        );
    }

    fn spawn_task(&mut self, id: &TaskId, ctx: &mut Context<Self>) {
        let Some(slot) = self.tasks.get_mut(id) else {
            return;
        };
        if slot.actor.is_some() {
            return; // Never start a second actor for one task.
        }
        slot.retry = None;
        slot.generation += 1;
        let actor = TaskActor::new(TaskSpec {
            id: id.clone(),
            config: slot.config.clone(),
            target: slot.target,
            epoch: slot.epoch,
            settings: self.deps.settings.clone(),
            catalog: self.deps.catalog.clone(),
            state_manager: self.deps.state_manager.clone(),
            committer: self.deps.committer.clone(),
            positions: self.deps.positions.clone(),
            failed: ctx.address().recipient(),
            running: ctx.address().recipient(),
            mq: self.deps.mq.clone(),
            metrics: self.deps.metrics.clone(),
        })
        .start();
        slot.actor = Some(actor);
        slot.phase = WorkerTaskState::Pending;
        slot.running_since = None;
    }

    fn add_task(
        &mut self,
        id: TaskId,
        config: Config,
        target: TargetState,
        epoch: Epoch,
        ctx: &mut Context<Self>,
    ) {
        self.tasks.insert(
            id.clone(),
            TaskSlot {
                config,
                target,
                epoch,
                actor: None,
                phase: WorkerTaskState::Pending,
                attempts: 0,
                running_since: None,
                retry: None,
                generation: 0,
                stopping: None,
            },
        );
        self.spawn_task(&id, ctx);
    }
}

impl Actor for Worker {
    type Context = Context<Self>;
}

/// Makes this worker run exactly `assignment`; replies once stops completed and starts began.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ApplyAssignment {
    pub assignment: Assignment,
}

impl Handler<ApplyAssignment> for Worker {
    type Result = AtomicResponse<Self, ()>;

    fn handle(&mut self, msg: ApplyAssignment, ctx: &mut Self::Context) -> Self::Result {
        let wanted = msg.assignment;
        self.assignment_epoch += 1;
        let applying = std::time::Instant::now();
        let mut stopping = Vec::new();

        // What stops here is forgotten by the metrics once stopped, whatever its actor last
        // reported (a task that failed while stopping never reports UNASSIGNED).
        let mut forgotten_tasks = Vec::new();
        let mut forgotten_connectors = Vec::new();
        let stale_tasks: Vec<TaskId> = self
            .tasks
            .iter()
            .filter(|(id, slot)| {
                wanted
                    .tasks
                    .get(*id)
                    .is_none_or(|(config, _)| *config != slot.config)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale_tasks {
            if let Some(slot) = self.tasks.remove(&id) {
                forgotten_tasks.push(id.clone());
                if let Some(retry) = slot.retry {
                    ctx.cancel_future(retry);
                }
                if let Some(actor) = slot.actor {
                    stopping.push(actor.send(StopTask));
                }
            }
        }
        let mut stopping_connectors = Vec::new();
        let stale_connectors: Vec<String> = self
            .connectors
            .iter()
            .filter(|(name, slot)| {
                wanted
                    .connectors
                    .get(*name)
                    .is_none_or(|(config, _)| *config != slot.config)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in stale_connectors {
            if let Some(slot) = self.connectors.remove(&name) {
                forgotten_connectors.push(name.clone());
                stopping_connectors.push(slot.actor.send(StopConnector));
            }
        }

        // Each actor bounds its own stop, but one busy in connector code (a hung start) may not
        // even read the request: never wait longer than the stop timeout plus a margin.
        let bound = self.deps.settings.stop_timeout + STOP_MARGIN;
        AtomicResponse::new(Box::pin(
            async move {
                // The sends above were queued at once, so these stops run concurrently.
                for stop in stopping {
                    if tokio::time::timeout(bound, stop).await.is_err() {
                        tracing::error!(
                            "a task did not acknowledge its stop in time; abandoning it"
                        );
                    }
                }
                for stop in stopping_connectors {
                    if tokio::time::timeout(bound, stop).await.is_err() {
                        tracing::error!(
                            "a connector did not acknowledge its stop in time; abandoning it"
                        );
                    }
                }
            }
            .into_actor(self)
            .map(move |(), worker, ctx| {
                for id in &forgotten_tasks {
                    worker.deps.metrics.forget_task(id);
                }
                for name in &forgotten_connectors {
                    worker.deps.metrics.set_connector_state(name, None);
                }
                let Assignment {
                    connectors,
                    tasks,
                    epochs,
                } = wanted;
                let claim_of = |unit: Unit| epochs.get(&unit).copied().unwrap_or(0);
                for (name, (config, target)) in connectors {
                    match worker.connectors.get_mut(&name) {
                        Some(slot) if slot.target != target => {
                            slot.target = target;
                            slot.actor.do_send(SetConnectorTarget(target));
                        }
                        Some(_) => {}
                        None => {
                            let epoch = claim_of(Unit::Connector(name.clone()));
                            worker.start_connector(name, config, target, epoch);
                        }
                    }
                }
                for (id, (config, target)) in tasks {
                    match worker.tasks.get_mut(&id) {
                        Some(slot) if slot.target != target => {
                            slot.target = target;
                            if let Some(actor) = &slot.actor {
                                actor.do_send(SetTaskTarget(target));
                            }
                        }
                        Some(_) => {}
                        None => {
                            let epoch = claim_of(Unit::Task(id.clone()));
                            worker.add_task(id, config, target, epoch, ctx);
                        }
                    }
                }
                let metrics = &worker.deps.metrics;
                metrics.rebalances.inc();
                metrics
                    .rebalance_time
                    .0
                    .observe_duration(applying.elapsed());
            }),
        ))
    }
}

impl Handler<TaskRunning> for Worker {
    type Result = ();
    fn handle(&mut self, msg: TaskRunning, _ctx: &mut Self::Context) {
        if let Some(slot) = self.tasks.get_mut(&msg.id)
            && slot.actor.as_ref() == Some(&msg.actor)
        {
            slot.phase = WorkerTaskState::Running;
            slot.running_since = Some(Instant::now());
        }
    }
}

impl Handler<TaskFailed> for Worker {
    type Result = ();

    fn handle(&mut self, msg: TaskFailed, ctx: &mut Self::Context) {
        let policy = self.deps.settings.restart;
        let Some(slot) = self.tasks.get_mut(&msg.id) else {
            return;
        };
        if slot.actor.as_ref() != Some(&msg.actor) {
            return; // A report from an actor already replaced.
        }
        slot.actor = None;
        slot.generation += 1;
        slot.phase = WorkerTaskState::Error;
        // Only a task that ran (not one that never got going) earns a fresh count.
        if slot
            .running_since
            .is_some_and(|since| since.elapsed() >= policy.healthy_after)
        {
            slot.attempts = 0;
        }
        slot.attempts += 1;
        let attempt = slot.attempts;
        let trace = if attempt <= policy.max_attempts {
            let delay = policy.backoff(attempt);
            let id = msg.id.clone();
            slot.retry = Some(ctx.run_later(delay, move |worker, ctx| worker.spawn_task(&id, ctx)));
            tracing::warn!(task = %msg.id, attempt, max = policy.max_attempts, delay_ms = delay.as_millis() as u64, "restarting failed task");
            format!(
                "{}\n(restart {attempt} of {} in {} ms)",
                msg.trace,
                policy.max_attempts,
                delay.as_millis()
            )
        } else {
            tracing::error!(task = %msg.id, attempts = policy.max_attempts, "task keeps failing; giving up until restarted");
            format!(
                "{}\n(gave up after {} restarts; POST /connectors/{}/tasks/{}/restart to try again)",
                msg.trace, policy.max_attempts, msg.id.connector, msg.id.task
            )
        };
        let epoch = slot.epoch;
        self.deps.state_manager.do_send(PutTaskStatus {
            id: msg.id,
            state: State::Failed,
            trace: Some(trace),
            epoch,
        });
    }
}

/// Restarts one task now, resetting its failure count.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ControllerError>")]
pub struct RestartTask {
    pub id: TaskId,
}

impl Handler<RestartTask> for Worker {
    type Result = ResponseActFuture<Self, Result<(), ControllerError>>;

    fn handle(&mut self, msg: RestartTask, ctx: &mut Self::Context) -> Self::Result {
        let Some(slot) = self.tasks.get_mut(&msg.id) else {
            let error =
                ControllerError::NotFound(format!("Task {} is not running on this worker", msg.id));
            return Box::pin(fut::ready(Err(error)));
        };
        if let Some(retry) = slot.retry.take() {
            ctx.cancel_future(retry);
        }
        slot.attempts = 0;
        slot.generation += 1;
        let generation = slot.generation;
        let stop = slot.actor.take().map(|actor| actor.send(StopTask));
        // A restart already stopping the previous actor: wait for it rather than race it.
        let earlier = slot.stopping.clone();
        let stopped = stop.as_ref().map(|_| {
            let (done, watch) = tokio::sync::watch::channel(false);
            slot.stopping = Some(watch);
            done
        });
        let id = msg.id;
        let bound = self.deps.settings.stop_timeout + STOP_MARGIN;
        Box::pin(
            async move {
                if let Some(stop) = stop {
                    let _ = tokio::time::timeout(bound, stop).await;
                } else if let Some(mut earlier) = earlier {
                    let _ = tokio::time::timeout(bound, earlier.wait_for(|done| *done)).await;
                }
                if let Some(stopped) = stopped {
                    let _ = stopped.send(true);
                }
            }
            .into_actor(self)
            .map(move |(), worker, ctx| {
                // Start it again only if nobody (another restart, an assignment) touched the
                // slot meanwhile; otherwise they decided what runs.
                if worker
                    .tasks
                    .get(&id)
                    .is_some_and(|slot| slot.generation == generation && slot.actor.is_none())
                {
                    worker.spawn_task(&id, ctx);
                }
                Ok(())
            }),
        )
    }
}

/// Restarts a connector instance (stop, then start with the same configuration).
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ControllerError>")]
pub struct RestartConnector {
    pub name: String,
}

impl Handler<RestartConnector> for Worker {
    type Result = ResponseActFuture<Self, Result<(), ControllerError>>;

    fn handle(&mut self, msg: RestartConnector, _ctx: &mut Self::Context) -> Self::Result {
        let Some(slot) = self.connectors.remove(&msg.name) else {
            if self.restarting.contains(&msg.name) {
                return Box::pin(fut::ready(Ok(())));
            }
            let error = ControllerError::NotFound(format!(
                "Connector [{}] is not running on this worker",
                msg.name
            ));
            return Box::pin(fut::ready(Err(error)));
        };
        let stop = slot.actor.send(StopConnector);
        let (name, config, target, claim) = (msg.name, slot.config, slot.target, slot.epoch);
        let epoch = self.assignment_epoch;
        let bound = self.deps.settings.stop_timeout + STOP_MARGIN;
        self.restarting.insert(name.clone());
        Box::pin(
            async move {
                let _ = tokio::time::timeout(bound, stop).await;
            }
            .into_actor(self)
            .map(move |(), worker, _ctx| {
                worker.restarting.remove(&name);
                // An assignment applied meanwhile (delete, update) decides instead.
                if worker.assignment_epoch == epoch && !worker.connectors.contains_key(&name) {
                    worker.start_connector(name, config, target, claim);
                }
                Ok(())
            }),
        )
    }
}

/// What this worker runs (`/allocated/*`).
#[derive(Debug, Message)]
#[rtype(result = "Allocation")]
pub struct GetAllocation;

impl Handler<GetAllocation> for Worker {
    type Result = MessageResult<GetAllocation>;
    fn handle(&mut self, _msg: GetAllocation, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(Allocation {
            connectors: self
                .connectors
                .iter()
                .map(|(name, slot)| (name.clone(), slot.config.masked()))
                .collect(),
            tasks: self
                .tasks
                .iter()
                .map(|(id, slot)| AllocatedTask {
                    connector_name: id.connector.clone(),
                    id: id.task,
                    config: slot.config.masked(),
                    state: if slot.phase == WorkerTaskState::Running
                        && slot.target != TargetState::Started
                    {
                        WorkerTaskState::Paused
                    } else {
                        slot.phase
                    },
                })
                .collect(),
        })
    }
}
