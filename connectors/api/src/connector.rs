//! Connector traits: a connector validates its configuration, starts, splits work into task
//! configurations and creates the tasks that move data.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::config_def::ConfigDef;
use crate::error::{ConnectError, ConnectResult};
use crate::task::{SinkTask, SourceTask};

/// Whether a connector reads from an external system (source) or writes to one (sink).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConnectorKind {
    Source,
    Sink,
}

/// What a running connector may ask of the runtime.
pub trait ConnectorContext: Send + Sync + std::fmt::Debug {
    /// The connector's inputs changed (a table appeared, a file was added): the runtime calls
    /// [`Connector::task_configs`] again and restarts tasks whose configuration changed.
    fn request_task_reconfiguration(&self);

    /// The connector hit an unrecoverable error in a background activity; the runtime marks
    /// it FAILED with this error as trace.
    fn raise_error(&self, error: ConnectError);
}

/// Behaviour common to source and sink connectors. Call order: `validate` → `start` →
/// `task_configs` (any number of times) → `stop`.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The keys this connector understands (drives `/plugin/config` and validation).
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    /// Checks a configuration without starting anything. The default checks the
    /// [`config_def`](Self::config_def).
    fn validate(&self, config: &Config) -> ConnectResult<()> {
        ConnectError::verdict(self.config_def().validate(config))
    }

    /// Starts the connector with a validated configuration.
    async fn start(
        &mut self,
        config: Config,
        context: Arc<dyn ConnectorContext>,
    ) -> ConnectResult<()>;

    /// Splits the work into at most `max_tasks` task configurations (at least one).
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Config>>;

    /// Releases what `start` acquired. Must return promptly.
    async fn stop(&mut self) -> ConnectResult<()>;

    /// The class name recorded as `task.class` in task configurations.
    fn task_class(&self) -> &'static str;

    /// A version string for `/plugin/list`.
    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}

/// A connector whose tasks read an external system and produce records.
pub trait SourceConnector: Connector {
    /// A fresh, unstarted task.
    fn create_task(&self) -> Box<dyn SourceTask>;
}

/// A connector whose tasks consume records and write them to an external system.
pub trait SinkConnector: Connector {
    /// A fresh, unstarted task.
    fn create_task(&self) -> Box<dyn SinkTask>;
}

/// A connector of either kind, as the runtime holds it.
pub enum AnyConnector {
    Source(Box<dyn SourceConnector>),
    Sink(Box<dyn SinkConnector>),
}

impl AnyConnector {
    pub fn kind(&self) -> ConnectorKind {
        match self {
            Self::Source(_) => ConnectorKind::Source,
            Self::Sink(_) => ConnectorKind::Sink,
        }
    }

    /// The connector through its common trait.
    pub fn as_connector(&self) -> &dyn Connector {
        match self {
            Self::Source(c) => c.as_ref(),
            Self::Sink(c) => c.as_ref(),
        }
    }

    /// The connector through its common trait, mutably.
    pub fn as_connector_mut(&mut self) -> &mut dyn Connector {
        match self {
            Self::Source(c) => c.as_mut(),
            Self::Sink(c) => c.as_mut(),
        }
    }
}

impl std::fmt::Debug for AnyConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AnyConnector({:?}, {})",
            self.kind(),
            self.as_connector().task_class()
        )
    }
}

/// Runs an async check to completion on a thread and runtime of its own, for
/// [`Connector::validate`] (synchronous, and callable from any runtime) when it must talk to
/// the external system. `name` names the thread; a panic in the check is an error.
pub fn run_check<T, F>(name: &str, check: impl FnOnce() -> F + Send + 'static) -> ConnectResult<T>
where
    F: std::future::Future<Output = ConnectResult<T>>,
    T: Send + 'static,
{
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| ConnectError::other(format!("cannot start a runtime: {e}")))?;
            runtime.block_on(check())
        })
        .map_err(|e| ConnectError::other(format!("cannot start a thread: {e}")))?
        .join()
        .map_err(|_| ConnectError::other("the check panicked"))?
}
