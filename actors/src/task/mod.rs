//! The `TaskActor`: one task's lifecycle and status. It parses the task's [`TaskPlan`],
//! starts its data loop ([`connect_dataplane::run`]) on the task's own [`Isolate`], steers it
//! (run / pause / stop) through a watch channel, turns the loop's events into statuses, and
//! tells the worker when the loop failed. It never touches records.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use connect_api::Config;
use connect_dataplane::TaskPlan;
use connect_dataplane::control::LoopControl;
use connect_dataplane::loops::{LoopFuture, LoopPorts};
use connect_dataplane::metrics::{Sides, WorkerMetrics};
use connect_dataplane::plan::Mode;
use connect_dataplane::ports::{Control, LoopEvent, LoopEvents};
use tokio::sync::watch;

use crate::catalog::Catalog;
use crate::error::ControllerError;
use crate::isolate::{Guarded, Isolate, join_guarded};
use crate::model::{State, TargetState, TaskId};
use crate::offset_committer::{OffsetCommitter, PositionTable, TaskPositions};
use crate::security;
use crate::settings::WorkerSettings;
use crate::state_manager::{PutTaskStatus, StateManager};

impl From<TargetState> for Control {
    fn from(target: TargetState) -> Self {
        match target {
            TargetState::Started => Self::Run,
            // A stopped connector has no tasks; one not yet removed does nothing meanwhile.
            TargetState::Paused | TargetState::Stopped => Self::Pause,
        }
    }
}

/// A loop's event, delivered to its task actor.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct LoopReport(pub LoopEvent);

/// The loop's [`LoopEvents`] port: the task actor's mailbox.
#[derive(Debug)]
struct ToActor(Recipient<LoopReport>);

impl LoopEvents for ToActor {
    fn send(&self, event: LoopEvent) {
        self.0.do_send(LoopReport(event));
    }
}

/// Sent to the worker when a task's loop failed (error or panic).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct TaskFailed {
    pub id: TaskId,
    pub trace: String,
    /// The actor that reported it (a restarted task has a new one).
    pub actor: Addr<TaskActor>,
}

/// Sent to the worker when a task's loop is running.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct TaskRunning {
    pub id: TaskId,
    pub actor: Addr<TaskActor>,
}

/// Everything a task actor is made of.
#[derive(Debug)]
pub struct TaskSpec {
    pub id: TaskId,
    pub config: Config,
    pub target: TargetState,
    /// The claim it runs under (distributed mode; 0 standalone).
    pub epoch: crate::model::Epoch,
    pub settings: Arc<WorkerSettings>,
    pub catalog: Arc<Catalog>,
    pub state_manager: Addr<StateManager>,
    pub committer: Addr<OffsetCommitter>,
    pub positions: PositionTable,
    pub failed: Recipient<TaskFailed>,
    pub running: Recipient<TaskRunning>,
    /// The message queue for source and sink tasks (`None`: direct mode only).
    pub mq: Option<Arc<dyn connect_dataplane::mq::MqClient>>,
    /// The worker's metrics registry.
    pub metrics: Arc<WorkerMetrics>,
}

#[derive(Debug)]
pub struct TaskActor {
    spec: TaskSpec,
    control: watch::Sender<Control>,
    exited: watch::Sender<bool>,
    started: bool,
    isolate: Option<Isolate>,
}

impl TaskActor {
    pub fn new(spec: TaskSpec) -> Self {
        let (control, _) = watch::channel(Control::from(spec.target));
        let (exited, _) = watch::channel(false);
        Self {
            spec,
            control,
            exited,
            started: false,
            isolate: None,
        }
    }

    fn report(&self, state: State, trace: Option<String>) {
        self.spec
            .metrics
            .set_task_state(&self.spec.id, Some(state.as_str()));
        self.spec.state_manager.do_send(PutTaskStatus {
            id: self.spec.id.clone(),
            state,
            trace,
            epoch: self.spec.epoch,
        });
    }

    /// The data loop this task runs: its configuration (as the task's code sees it) parsed
    /// into a [`TaskPlan`], connected to this worker's ports.
    fn data_loop(&self, ctx: &mut Context<Self>) -> Result<LoopFuture, String> {
        let spec = &self.spec;
        // What the task's code sees: provider references resolved, files confined.
        let config = security::prepare(
            spec.settings.gate(),
            &security::plugin_defs(&spec.catalog, &spec.config),
            &spec.config,
        )
        .map_err(|errors| {
            format!(
                "task configuration refused by this worker: {}",
                ControllerError::BadConfig(errors)
            )
        })?;
        let catalog = spec.catalog.clone();
        let plan = TaskPlan::parse(
            spec.id.clone(),
            &config,
            &|class| catalog.task(class).map(|p| p.factory),
            &spec.settings.data,
            spec.mq.is_some(),
        )
        .map_err(|errors| {
            format!(
                "task configuration cannot run: {}",
                ControllerError::BadConfig(errors)
            )
        })?;
        let sides = match &plan.mode {
            Mode::Source(_) => Sides {
                source: true,
                sink: false,
            },
            Mode::Sink(_) => Sides {
                source: false,
                sink: true,
            },
            Mode::Direct(_) => Sides {
                source: true,
                sink: true,
            },
        };
        let task_metrics = spec.metrics.register_task(&spec.id, sides);
        let events = Arc::new(ToActor(ctx.address().recipient()));
        let ports = LoopPorts {
            settings: Arc::new(spec.settings.data.clone()),
            control: LoopControl::new(self.control.subscribe(), events, task_metrics.clone()),
            positions: Arc::new(TaskPositions {
                id: spec.id.clone(),
                epoch: spec.epoch,
                committer: spec.committer.clone(),
                table: spec.positions.clone(),
            }),
            mq: spec.mq.clone(),
        };
        Ok(connect_dataplane::run(plan, ports))
    }

    fn fail(&mut self, trace: String, ctx: &mut Context<Self>) {
        if !self.started {
            self.spec.metrics.task_startup_failures.inc();
        }
        tracing::error!(task = %self.spec.id, %trace, "task failed");
        self.report(State::Failed, Some(trace.clone()));
        self.spec.failed.do_send(TaskFailed {
            id: self.spec.id.clone(),
            trace,
            actor: ctx.address(),
        });
        let _ = self.control.send(Control::Stop);
        ctx.stop();
    }
}

impl Actor for TaskActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.spec.metrics.task_startup_attempts.inc();
        let id = self.spec.id.clone();
        // At ERROR level, so the span is kept whenever any of its events is (a `warn` filter too).
        let span = tracing::error_span!("task", connector = %id.connector, task = id.task);
        let isolate = match Isolate::start(&format!("task-{id}"), span) {
            Ok(isolate) => isolate,
            Err(e) => return self.fail(format!("cannot start the task thread: {e}"), ctx),
        };
        let data_loop = match self.data_loop(ctx) {
            Ok(data_loop) => data_loop,
            Err(trace) => return self.fail(trace, ctx),
        };
        let join = isolate.spawn(data_loop);
        let events = ctx.address().recipient::<LoopReport>();
        // A watcher on the same thread turns the loop's end (including a panic) into an event.
        isolate.spawn(async move {
            let outcome = match join_guarded(join).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(Guarded::Panicked(message)) => Err(format!("task panicked: {message}")),
                Err(other) => Err(format!("task {other}")),
            };
            events.do_send(LoopReport(LoopEvent::Exited(outcome)));
        });
        self.isolate = Some(isolate);
        // A task that never gets going is failed after the start timeout.
        ctx.run_later(self.spec.settings.start_timeout, |actor, ctx| {
            if !actor.started && !*actor.exited.borrow() {
                let timeout = actor.spec.settings.start_timeout;
                actor.fail(
                    format!("task did not start within {} ms", timeout.as_millis()),
                    ctx,
                );
            }
        });
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        let _ = self.control.send(Control::Stop);
        // A failed task's cells stay exported (with the errors that failed it) until its next
        // instance replaces them or the worker forgets the task.
        // Dropping the isolate stops its runtime; a thread stuck in connector code is detached.
        self.isolate.take();
    }
}

impl Handler<LoopReport> for TaskActor {
    type Result = ();

    fn handle(&mut self, LoopReport(event): LoopReport, ctx: &mut Self::Context) {
        match event {
            LoopEvent::Started => {
                self.started = true;
                let paused = *self.control.borrow() == Control::Pause;
                self.report(
                    if paused {
                        State::Paused
                    } else {
                        State::Running
                    },
                    None,
                );
                self.spec.running.do_send(TaskRunning {
                    id: self.spec.id.clone(),
                    actor: ctx.address(),
                });
            }
            LoopEvent::Paused => self.report(State::Paused, None),
            LoopEvent::Resumed => self.report(State::Running, None),
            LoopEvent::Trouble(trace) => {
                if self.started && *self.control.borrow() == Control::Run {
                    self.report(State::Running, trace);
                }
            }
            LoopEvent::Exited(outcome) => {
                let _ = self.exited.send(true);
                match outcome {
                    Ok(()) if *self.control.borrow() == Control::Stop => {}
                    Ok(()) => self.fail(
                        "task loop ended without being asked to stop".to_owned(),
                        ctx,
                    ),
                    Err(trace) => self.fail(trace, ctx),
                }
            }
        }
    }
}

/// Run or pause.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SetTaskTarget(pub TargetState);

impl Handler<SetTaskTarget> for TaskActor {
    type Result = ();
    fn handle(&mut self, msg: SetTaskTarget, _ctx: &mut Self::Context) {
        let _ = self.control.send(Control::from(msg.0));
    }
}

/// Stops the task (final commit included); replies when it stopped or the stop timed out.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopTask;

impl Handler<StopTask> for TaskActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _msg: StopTask, _ctx: &mut Self::Context) -> Self::Result {
        let _ = self.control.send(Control::Stop);
        let mut exited = self.exited.subscribe();
        let timeout: Duration = self.spec.settings.stop_timeout;
        let id = self.spec.id.clone();
        Box::pin(
            async move {
                let done = tokio::time::timeout(timeout, exited.wait_for(|done| *done)).await;
                if done.is_err() {
                    tracing::error!(task = %id, timeout_ms = timeout.as_millis() as u64, "task did not stop in time; abandoning its thread");
                }
            }
            .into_actor(self)
            .map(|(), actor, ctx| {
                actor.report(State::Unassigned, None);
                ctx.stop();
            }),
        )
    }
}
