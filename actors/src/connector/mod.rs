//! The `ConnectorActor`: one connector instance on its own [`Isolate`]. Starts it, asks it for
//! task configurations (reported up to the controller, the single writer), pauses it (stop),
//! resumes it (start again), and stops it — every call bounded by a timeout and panic-safe.

use std::sync::Arc;

use actix::prelude::*;
use connect_api::{AnyConnector, Config, ConnectError, ConnectorContext};
use tokio::sync::Mutex;

use crate::catalog::Catalog;
use crate::error::ControllerError;
use crate::isolate::Isolate;
use crate::model::{State, TargetState};
use crate::security;
use crate::settings::WorkerSettings;
use crate::state_manager::{PutConnectorStatus, StateManager};

/// Task configurations a connector produced, for the controller to store.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct TaskConfigsComputed {
    pub connector: String,
    /// The connector configuration they were computed from (a stale report is ignored).
    pub connector_config: Config,
    pub tasks: Vec<Config>,
}

/// Everything a connector actor is made of.
#[derive(Debug)]
pub struct ConnectorSpec {
    pub name: String,
    pub config: Config,
    pub target: TargetState,
    /// The claim it runs under (distributed mode; 0 standalone).
    pub epoch: crate::model::Epoch,
    pub settings: Arc<WorkerSettings>,
    pub catalog: Arc<Catalog>,
    pub state_manager: Addr<StateManager>,
    pub task_configs: Recipient<TaskConfigsComputed>,
    /// The worker's metrics registry.
    pub metrics: Arc<connect_dataplane::metrics::WorkerMetrics>,
}

pub struct ConnectorActor {
    spec: ConnectorSpec,
    connector: Option<Arc<Mutex<AnyConnector>>>,
    isolate: Option<Isolate>,
    running: bool,
    failed: bool,
    /// A start in progress; cancelled (and its work aborted) by stop or pause, so a connector
    /// stuck in `start()` never holds up its own stop.
    starting: Option<SpawnHandle>,
    /// The configuration the connector was started with (provider references resolved).
    resolved: Option<Config>,
    /// A start was counted as an attempt and has neither run nor failed yet.
    starting_counted: bool,
}

impl std::fmt::Debug for ConnectorActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorActor")
            .field("name", &self.spec.name)
            .field("running", &self.running)
            .finish()
    }
}

/// What the connector may ask of the runtime, delivered to its actor.
#[derive(Debug)]
struct Context {
    actor: Addr<ConnectorActor>,
}

impl ConnectorContext for Context {
    fn request_task_reconfiguration(&self) {
        self.actor.do_send(Reconfigure);
    }
    fn raise_error(&self, error: ConnectError) {
        self.actor.do_send(RaiseError(error));
    }
}

/// The runtime keys every task configuration carries (as the Java runtime injects them).
/// `stored` is the connector's configuration as stored, `resolved` what the connector saw:
/// values the connector copied from a resolved provider reference go back to the reference.
fn prepare_task_configs(
    stored: &Config,
    resolved: &Config,
    task_class: &str,
    raw: Vec<Config>,
) -> Vec<Config> {
    raw.into_iter()
        .enumerate()
        .map(|(index, mut task)| {
            security::providers::unresolve(&mut task, stored, resolved);
            // Start from the connector configuration so converters, transforms and errors.*
            // reach every task even when a connector returns bare task configurations.
            let mut config = stored.clone();
            config.extend(&task);
            config.put("task.id", index);
            config.put("task.class", task_class);
            config
        })
        .collect()
}

impl ConnectorActor {
    pub fn new(spec: ConnectorSpec) -> Self {
        Self {
            spec,
            connector: None,
            isolate: None,
            running: false,
            failed: false,
            starting: None,
            resolved: None,
            starting_counted: false,
        }
    }

    fn report(&self, state: State, trace: Option<String>) {
        self.spec
            .metrics
            .set_connector_state(&self.spec.name, Some(state.as_str()));
        self.spec.state_manager.do_send(PutConnectorStatus {
            connector: self.spec.name.clone(),
            state,
            trace,
            epoch: self.spec.epoch,
        });
    }

    fn fail(&mut self, trace: String) {
        if std::mem::take(&mut self.starting_counted) {
            self.spec.metrics.connector_startup_failures.inc();
        }
        tracing::error!(connector = %self.spec.name, %trace, "connector failed");
        self.failed = true;
        self.running = false;
        self.report(State::Failed, Some(trace));
    }

    /// Starts the connector and computes task configurations.
    fn start_connector(&mut self, ctx: &mut actix::Context<Self>) {
        let (Some(isolate), Some(connector)) = (&self.isolate, &self.connector) else {
            return;
        };
        self.spec.metrics.connector_startup_attempts.inc();
        self.starting_counted = true;
        let connector = connector.clone();
        let stored = self.spec.config.clone();
        let defs = security::plugin_defs(&self.spec.catalog, &stored);
        let config = match security::prepare(self.spec.settings.gate(), &defs, &stored) {
            Ok(config) => config,
            Err(errors) => {
                return self.fail(format!(
                    "connector configuration refused by this worker: {}",
                    ControllerError::BadConfig(errors)
                ));
            }
        };
        self.resolved = Some(config.clone());
        let context: Arc<dyn ConnectorContext> = Arc::new(Context {
            actor: ctx.address(),
        });
        let max_tasks =
            usize::try_from(config.get_i32_or("max.tasks", 1).unwrap_or(1).max(1)).unwrap_or(1);
        let run = isolate.run(self.spec.settings.start_timeout, async move {
            let mut connector = connector.lock().await;
            connector
                .as_connector_mut()
                .start(config.clone(), context)
                .await?;
            let tasks = connector.as_connector().task_configs(max_tasks)?;
            Ok::<_, ConnectError>(prepare_task_configs(
                &stored,
                &config,
                connector.as_connector().task_class(),
                tasks,
            ))
        });
        if let Some(previous) = self.starting.take() {
            ctx.cancel_future(previous);
        }
        let start = run.into_actor(self).map(|outcome, actor, _ctx| {
            actor.starting = None;
            match outcome {
                Ok(Ok(tasks)) => {
                    actor.running = true;
                    actor.failed = false;
                    actor.starting_counted = false;
                    actor.report(State::Running, None);
                    actor.spec.task_configs.do_send(TaskConfigsComputed {
                        connector: actor.spec.name.clone(),
                        connector_config: actor.spec.config.clone(),
                        tasks,
                    });
                }
                Ok(Err(e)) => actor.fail(format!("connector failed to start: {e}")),
                Err(guarded) => actor.fail(format!("connector start {guarded}")),
            }
        });
        self.starting = Some(ctx.spawn(start));
    }

    /// Cancels a start in progress; true if there was one.
    fn cancel_start(&mut self, ctx: &mut actix::Context<Self>) -> bool {
        match self.starting.take() {
            Some(handle) => ctx.cancel_future(handle),
            None => false,
        }
    }

    /// Stops the connector (bounded); `then` runs afterwards.
    fn stop_connector(
        &mut self,
        ctx: &mut actix::Context<Self>,
        then: impl FnOnce(&mut Self, &mut actix::Context<Self>) + 'static,
    ) {
        let (Some(isolate), Some(connector), true) = (&self.isolate, &self.connector, self.running)
        else {
            then(self, ctx);
            return;
        };
        let connector = connector.clone();
        let run = isolate.run(self.spec.settings.stop_timeout, async move {
            connector.lock().await.as_connector_mut().stop().await
        });
        ctx.wait(run.into_actor(self).map(move |outcome, actor, ctx| {
            actor.running = false;
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(connector = %actor.spec.name, error = %e, "connector stop failed"),
                Err(guarded) => tracing::warn!(connector = %actor.spec.name, "connector stop {guarded}"),
            }
            then(actor, ctx);
        }));
    }
}

impl Actor for ConnectorActor {
    type Context = actix::Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let class = self
            .spec
            .config
            .get("connector.class")
            .unwrap_or_default()
            .to_owned();
        let Some(plugin) = self.spec.catalog.connector(&class) else {
            return self.fail(format!("unknown connector.class {class}"));
        };
        self.connector = Some(Arc::new(Mutex::new((plugin.factory)())));
        // At ERROR level, so the span is kept whenever any of its events is (a `warn` filter too).
        let span = tracing::error_span!("connector", connector = %self.spec.name);
        match Isolate::start(&format!("connector-{}", self.spec.name), span) {
            Ok(isolate) => self.isolate = Some(isolate),
            Err(e) => return self.fail(format!("cannot start the connector thread: {e}")),
        }
        match self.spec.target {
            TargetState::Started => self.start_connector(ctx),
            TargetState::Paused => self.report(State::Paused, None),
            TargetState::Stopped => self.report(State::Stopped, None),
        }
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.isolate.take();
    }
}

/// The connector asked for new task configurations.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Reconfigure;

impl Handler<Reconfigure> for ConnectorActor {
    type Result = ();
    fn handle(&mut self, _msg: Reconfigure, _ctx: &mut Self::Context) {
        let Some(connector) = self.connector.clone().filter(|_| self.running) else {
            return;
        };
        let max_tasks = usize::try_from(
            self.spec
                .config
                .get_i32_or("max.tasks", 1)
                .unwrap_or(1)
                .max(1),
        )
        .unwrap_or(1);
        let config = self.spec.config.clone();
        let resolved = self.resolved.clone().unwrap_or_else(|| config.clone());
        let name = self.spec.name.clone();
        let out = self.spec.task_configs.clone();
        if let Some(isolate) = &self.isolate {
            let timeout = self.spec.settings.start_timeout;
            let base = config.clone();
            let run = isolate.run(timeout, async move {
                let connector = connector.lock().await;
                let tasks = connector.as_connector().task_configs(max_tasks)?;
                Ok::<_, ConnectError>(prepare_task_configs(
                    &base,
                    &resolved,
                    connector.as_connector().task_class(),
                    tasks,
                ))
            });
            actix::spawn(async move {
                match run.await {
                    Ok(Ok(tasks)) => out.do_send(TaskConfigsComputed {
                        connector: name,
                        connector_config: config,
                        tasks,
                    }),
                    Ok(Err(e)) => {
                        tracing::error!(connector = %name, error = %e, "task reconfiguration failed")
                    }
                    Err(guarded) => {
                        tracing::error!(connector = %name, "task reconfiguration {guarded}")
                    }
                }
            });
        }
    }
}

/// The connector reported a background failure.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct RaiseError(ConnectError);

impl Handler<RaiseError> for ConnectorActor {
    type Result = ();
    fn handle(&mut self, msg: RaiseError, _ctx: &mut Self::Context) {
        self.fail(msg.0.to_string());
    }
}

/// Pause (stop the connector) or resume (start it again).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SetConnectorTarget(pub TargetState);

impl Handler<SetConnectorTarget> for ConnectorActor {
    type Result = ();
    fn handle(&mut self, msg: SetConnectorTarget, ctx: &mut Self::Context) {
        if self.spec.target == msg.0 {
            return;
        }
        self.spec.target = msg.0;
        let state = match msg.0 {
            TargetState::Started => return self.start_connector(ctx),
            TargetState::Paused => State::Paused,
            TargetState::Stopped => State::Stopped,
        };
        // Pausing or stopping during a start abandons the start: nothing is running to stop.
        if self.cancel_start(ctx) {
            return self.report(state, None);
        }
        self.stop_connector(ctx, move |actor, _| {
            if !actor.failed {
                actor.report(state, None);
            }
        });
    }
}

/// Stops the connector and the actor; replies when done (or the stop timed out).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopConnector;

impl Handler<StopConnector> for ConnectorActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _msg: StopConnector, ctx: &mut Self::Context) -> Self::Result {
        self.cancel_start(ctx);
        let run = match (&self.isolate, &self.connector, self.running) {
            (Some(isolate), Some(connector), true) => {
                let connector = connector.clone();
                Some(isolate.run(self.spec.settings.stop_timeout, async move {
                    connector.lock().await.as_connector_mut().stop().await
                }))
            }
            _ => None,
        };
        Box::pin(
            async move {
                match run {
                    Some(run) => Some(run.await),
                    None => None,
                }
            }
            .into_actor(self)
            .map(|outcome, actor, ctx| {
                actor.running = false;
                match outcome {
                    Some(Ok(Err(e))) => tracing::warn!(connector = %actor.spec.name, error = %e, "connector stop failed"),
                    Some(Err(guarded)) => tracing::warn!(connector = %actor.spec.name, "connector stop {guarded}"),
                    _ => {}
                }
                actor.report(State::Unassigned, None);
                ctx.stop();
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_configs_inherit_the_connector_config_and_get_runtime_keys() {
        let connector = Config::new()
            .with("connector.class", "X")
            .with("value.converter", "json")
            .with("a", "1");
        let raw = vec![Config::new().with("a", "2"), Config::new()];
        let tasks = prepare_task_configs(&connector, &connector, "XTask", raw);
        assert_eq!(tasks[0].get("a"), Some("2"));
        assert_eq!(tasks[1].get("a"), Some("1"));
        assert_eq!(tasks[1].get("value.converter"), Some("json"));
        assert_eq!(tasks[1].get("task.id"), Some("1"));
        assert_eq!(tasks[0].get("task.class"), Some("XTask"));
    }
}
