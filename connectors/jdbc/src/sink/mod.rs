//! The JDBC sink connector: validates against the database; every task writes every table.

mod debezium;
mod plan;
mod task;

use std::sync::Arc;

use async_trait::async_trait;
use connect_api::{
    Config, ConfigDef, ConfigError, ConnectError, ConnectResult, Connector, ConnectorContext,
    SinkConnector, SinkTask,
};

pub use task::{JdbcSinkTask, TASK_CLASS};

use crate::config::SinkConfig;

/// Topics → tables. Java class `org.apache.rocketmq.connect.jdbc.connector.JdbcSinkConnector`.
#[derive(Debug, Default)]
pub struct JdbcSinkConnector {
    config: Option<Config>,
}

async fn check_database(config: SinkConfig) -> ConnectResult<Vec<ConfigError>> {
    Ok(match crate::probe::connect(&config.common).await? {
        Ok(dialect) => {
            dialect.close().await;
            Vec::new()
        }
        Err(unreachable) => vec![unreachable],
    })
}

#[async_trait]
impl Connector for JdbcSinkConnector {
    fn config_def(&self) -> ConfigDef {
        SinkConfig::def()
    }

    fn validate(&self, config: &Config) -> ConnectResult<()> {
        let mut errors = self.config_def().validate(config);
        match SinkConfig::parse(config) {
            Err(list) => errors.extend(list),
            Ok(parsed) if errors.is_empty() => {
                errors.extend(crate::probe::run(move || check_database(parsed))?);
            }
            Ok(_) => {}
        }
        crate::probe::verdict(errors)
    }

    async fn start(
        &mut self,
        config: Config,
        _context: Arc<dyn ConnectorContext>,
    ) -> ConnectResult<()> {
        SinkConfig::parse(&config).map_err(ConnectError::Config)?;
        self.config = Some(config);
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| ConnectError::other("the JDBC sink connector was not started"))?;
        Ok(vec![config.clone(); max_tasks.max(1)])
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn task_class(&self) -> &'static str {
        TASK_CLASS
    }
}

impl SinkConnector for JdbcSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(JdbcSinkTask::default())
    }
}
