//! The PostgreSQL CDC connector: validates the configuration and the server (one 400 naming
//! every problem and its fix), and runs one task — a slot has one reader.

use std::sync::Arc;

use async_trait::async_trait;
use connect_api::{
    Config, ConfigDef, ConfigError, ConnectError, ConnectResult, Connector, ConnectorContext,
    SourceConnector, SourceTask,
};
use sqlx::Connection;

use super::server;
use super::task::{PgCdcTask, TASK_CLASS};
use crate::config::{CdcConfig, Dialect};

/// Slot → topics. Java class `org.apache.rocketmq.connect.debezium.postgres.DebeziumPostgresConnector`.
#[derive(Debug, Default)]
pub struct PgCdcConnector {
    config: Option<Config>,
}

/// Connects and checks the server; every failed check names the setting and the fix.
async fn check_server(config: CdcConfig) -> ConnectResult<Vec<ConfigError>> {
    let mut conn = match server::connect(&config).await {
        Ok(conn) => conn,
        Err(e) => return Ok(vec![crate::check::unreachable(&config, e)]),
    };
    let failures = server::check(&mut conn, &config)
        .await
        .map_err(|e| ConnectError::other(e.to_string()))?;
    let _ = conn.close().await;
    Ok(crate::check::to_config_errors(failures))
}

#[async_trait]
impl Connector for PgCdcConnector {
    fn config_def(&self) -> ConfigDef {
        CdcConfig::def_for(Dialect::Postgres)
    }

    fn validate(&self, config: &Config) -> ConnectResult<()> {
        crate::check::validate(
            config,
            Dialect::Postgres,
            Vec::new(),
            "pg-cdc-probe",
            check_server,
        )
    }

    async fn start(
        &mut self,
        config: Config,
        _context: Arc<dyn ConnectorContext>,
    ) -> ConnectResult<()> {
        CdcConfig::parse_for(Dialect::Postgres, &config).map_err(ConnectError::Config)?;
        self.config = Some(config);
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Config>> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| ConnectError::other("the PostgreSQL CDC connector was not started"))?;
        // One slot, one reader.
        Ok(vec![config.clone()])
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn task_class(&self) -> &'static str {
        TASK_CLASS
    }
}

impl SourceConnector for PgCdcConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(PgCdcTask::default())
    }
}
