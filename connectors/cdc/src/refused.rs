//! The Java plugin's other Debezium connectors: known by name so that a configuration naming
//! one gets a clear 400 ("not in this build", and what to use) instead of "unknown class".

use std::sync::Arc;

use async_trait::async_trait;
use connect_api::plugin::{Plugin, PluginKind};
use connect_api::{
    AnyConnector, Config, ConfigError, ConnectError, ConnectResult, Connector, ConnectorContext,
    SourceConnector, SourceTask,
};

/// A connector class this build does not provide.
#[derive(Debug)]
pub struct RefusedConnector {
    class: &'static str,
    database: &'static str,
}

impl RefusedConnector {
    fn error(&self) -> ConnectError {
        ConnectError::Config(vec![ConfigError::invalid(
            "connector.class",
            self.class,
            format!(
                "change data capture from {} is not in this native build (MySQL/MariaDB and PostgreSQL are: org.apache.rocketmq.connect.debezium.mysql.DebeziumMysqlConnector, org.apache.rocketmq.connect.debezium.postgres.DebeziumPostgresConnector); run this connector on the Java runtime",
                self.database
            ),
        )])
    }
}

#[async_trait]
impl Connector for RefusedConnector {
    fn validate(&self, _config: &Config) -> ConnectResult<()> {
        Err(self.error())
    }
    async fn start(
        &mut self,
        _config: Config,
        _context: Arc<dyn ConnectorContext>,
    ) -> ConnectResult<()> {
        Err(self.error())
    }
    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Err(self.error())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> &'static str {
        self.class
    }
}

impl SourceConnector for RefusedConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        unreachable_task()
    }
}

/// Never called: a refused connector never validates, so no task of it is created. Should it
/// happen anyway, the task fails on start with the same message.
fn unreachable_task() -> Box<dyn SourceTask> {
    Box::new(crate::mysql::MySqlCdcTask::default())
}

macro_rules! refused {
    ($class:literal, $database:literal) => {
        Plugin {
            class_name: $class,
            aliases: &[],
            kind: PluginKind::Source,
            factory: || {
                AnyConnector::Source(Box::new(RefusedConnector {
                    class: $class,
                    database: $database,
                }))
            },
        }
    };
}

/// The refused classes.
pub fn plugins() -> Vec<Plugin<connect_api::plugin::ConnectorFactory>> {
    vec![
        refused!(
            "org.apache.rocketmq.connect.debezium.oracle.DebeziumOracleConnector",
            "Oracle"
        ),
        refused!(
            "org.apache.rocketmq.connect.debezium.sqlserver.DebeziumSqlServerConnector",
            "SQL Server"
        ),
        refused!(
            "org.apache.rocketmq.connect.debezium.mongodb.DebeziumMongoDBConnector",
            "MongoDB"
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each refused class fails validation on `connector.class`, saying why and what to use.
    #[test]
    fn refused_classes_explain_themselves() {
        for plugin in plugins() {
            let connector = (plugin.factory)();
            let error = connector
                .as_connector()
                .validate(&Config::new())
                .unwrap_err();
            let errors = error.config_errors();
            assert_eq!(errors[0].key, "connector.class");
            assert!(errors[0].message.contains("not in this native build"));
        }
    }
}
