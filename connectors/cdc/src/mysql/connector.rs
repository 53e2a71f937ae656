//! The MySQL/MariaDB CDC connector: validates the configuration and the server (one 400 naming
//! every problem and its fix), and runs one task — a binlog has one reader.

use std::sync::Arc;

use async_trait::async_trait;
use connect_api::{
    Config, ConfigDef, ConfigError, ConnectError, ConnectResult, Connector, ConnectorContext,
    SourceConnector, SourceTask,
};

use super::server;
use super::task::{MySqlCdcTask, TASK_CLASS};
use crate::config::{CdcConfig, Dialect};

/// Binlog → topics. Java class `org.apache.rocketmq.connect.debezium.mysql.DebeziumMysqlConnector`.
#[derive(Debug, Default)]
pub struct MySqlCdcConnector {
    config: Option<Config>,
}

/// Connects and checks the server; every failed check becomes an error naming the server
/// setting (or grant) and the fix.
async fn check_server(config: CdcConfig) -> ConnectResult<Vec<ConfigError>> {
    let mut conn = match server::connect(&config).await {
        Ok(conn) => conn,
        Err(e) => return Ok(vec![crate::check::unreachable(&config, e)]),
    };
    let failures = server::check(&mut conn)
        .await
        .map_err(|e| ConnectError::other(e.to_string()))?;
    let _ = conn.disconnect().await;
    Ok(crate::check::to_config_errors(failures))
}

#[async_trait]
impl Connector for MySqlCdcConnector {
    fn config_def(&self) -> ConfigDef {
        CdcConfig::def()
    }

    fn validate(&self, config: &Config) -> ConnectResult<()> {
        crate::check::validate(
            config,
            Dialect::MySql,
            Vec::new(),
            "cdc-probe",
            check_server,
        )
    }

    async fn start(
        &mut self,
        config: Config,
        _context: Arc<dyn ConnectorContext>,
    ) -> ConnectResult<()> {
        CdcConfig::parse(&config).map_err(ConnectError::Config)?;
        self.config = Some(config);
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Config>> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| ConnectError::other("the MySQL CDC connector was not started"))?;
        // One binlog, one reader: more tasks would read the same changes again.
        Ok(vec![config.clone()])
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn task_class(&self) -> &'static str {
        TASK_CLASS
    }
}

impl SourceConnector for MySqlCdcConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(MySqlCdcTask::default())
    }
}
