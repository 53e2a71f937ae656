//! The JDBC source connector: validates against the database, finds the tables, and splits
//! them across `max.tasks` (each task config = the connector config + `tables=<list>`).

mod query;
mod task;

use std::sync::Arc;

use async_trait::async_trait;
use connect_api::{
    Config, ConfigDef, ConfigError, ConnectError, ConnectResult, Connector, ConnectorContext,
    SourceConnector, SourceTask,
};

pub use task::{JdbcSourceTask, TASK_CLASS};

use crate::config::SourceConfig;
use crate::dialect::{self, Dialect};
use crate::types::TableId;

/// Tables → topics. Java class `org.apache.rocketmq.connect.jdbc.connector.JdbcSourceConnector`.
#[derive(Debug, Default)]
pub struct JdbcSourceConnector {
    config: Option<Config>,
    tables: Vec<TableId>,
}

/// The topic of a table's records: `topic.prefix` + table; else none (the runtime then uses
/// `connect.topicname`); else the table's name made a valid topic name.
pub(crate) fn topic_for(config: &SourceConfig, table: &Option<String>) -> Option<String> {
    let table = table.as_deref().unwrap_or("");
    if !config.topic_prefix.is_empty() {
        Some(format!("{}{table}", config.topic_prefix))
    } else if config.topic_name.is_some() || table.is_empty() {
        None
    } else {
        Some(
            table
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "_-%|".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
        )
    }
}

/// The tables the database has, less the blacklist.
pub(crate) async fn discover_tables(
    dialect: &dyn Dialect,
    config: &SourceConfig,
) -> ConnectResult<Vec<TableId>> {
    let tables = dialect.list_tables(&config.common.table_types).await?;
    Ok(tables
        .into_iter()
        .filter(|table| {
            !config.blacklist.iter().any(|black| {
                black.name == table.name && (black.schema.is_none() || black.schema == table.schema)
            })
        })
        .collect())
}

/// Checks what only the database can tell: that it answers, the tables exist and have the
/// configured columns.
async fn check_database(config: SourceConfig) -> ConnectResult<Vec<ConfigError>> {
    let dialect = match crate::probe::connect(&config.common).await? {
        Ok(dialect) => dialect,
        Err(unreachable) => return Ok(vec![unreachable]),
    };
    let mut errors = Vec::new();
    if let Some(query) = &config.query {
        match dialect.describe_query(query).await {
            Ok(columns) => {
                if let Err(e) = task::check_columns(&config, "query", true, columns, &[]) {
                    errors.push(column_error(&config, e));
                }
            }
            Err(e) => errors.push(ConfigError::invalid(
                "query",
                query,
                format!("the database rejected it: {e}"),
            )),
        }
    }
    for table in &config.whitelist {
        match dialect.describe(table).await {
            Ok(Some(desc)) => {
                if let Err(e) = task::check_columns(
                    &config,
                    &table.to_string(),
                    false,
                    desc.columns.to_vec(),
                    &desc.primary_key,
                ) {
                    errors.push(column_error(&config, e));
                }
            }
            Ok(None) => errors.push(ConfigError::invalid(
                "table.whitelist",
                &table.to_string(),
                format!("table {table} does not exist"),
            )),
            Err(e) => errors.push(ConfigError::invalid(
                "table.whitelist",
                &table.to_string(),
                format!("cannot describe table {table}: {e}"),
            )),
        }
    }
    dialect.close().await;
    Ok(errors)
}

/// A column problem as a configuration error on the key it names.
fn column_error(config: &SourceConfig, error: ConnectError) -> ConfigError {
    let message = error.to_string();
    let (key, value) = if message.starts_with("incrementing.column.name") {
        (
            "incrementing.column.name",
            config.incrementing_column.clone().unwrap_or_default(),
        )
    } else if message.starts_with("timestamp.column.name") {
        ("timestamp.column.name", config.timestamp_columns.join(","))
    } else {
        ("table.whitelist", String::new())
    };
    ConfigError::invalid(key, &value, message)
}

#[async_trait]
impl Connector for JdbcSourceConnector {
    fn config_def(&self) -> ConfigDef {
        SourceConfig::def()
    }

    fn validate(&self, config: &Config) -> ConnectResult<()> {
        let mut errors = self.config_def().validate(config);
        let parsed = SourceConfig::parse(config);
        match parsed {
            Err(list) => errors.extend(list),
            Ok(parsed) if errors.is_empty() => {
                if parsed.query.is_some()
                    && parsed.topic_prefix.is_empty()
                    && parsed.topic_name.is_none()
                {
                    errors.push(ConfigError {
                        key: "topic.prefix".into(),
                        value: None,
                        message: "a query has no table name to derive a topic from: set topic.prefix or connect.topicname".into(),
                    });
                }
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
        let parsed = SourceConfig::parse(&config).map_err(ConnectError::Config)?;
        self.tables = if parsed.query.is_some() {
            Vec::new()
        } else if !parsed.whitelist.is_empty() {
            parsed.whitelist.clone()
        } else {
            let dialect = dialect::open(
                &parsed.common.url,
                parsed.common.dialect,
                parsed.common.dialect_options(),
            )?;
            let tables = discover_tables(dialect.as_ref(), &parsed).await;
            dialect.close().await;
            tables?
        };
        self.config = Some(config);
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| ConnectError::other("the JDBC source connector was not started"))?;
        if config.get_trimmed("query").is_some() || self.tables.is_empty() {
            return Ok(vec![config.clone().with("tables", "")]);
        }
        let groups = max_tasks.clamp(1, self.tables.len());
        let mut lists: Vec<Vec<String>> = vec![Vec::new(); groups];
        for (i, table) in self.tables.iter().enumerate() {
            lists[i % groups].push(table.to_string());
        }
        Ok(lists
            .into_iter()
            .map(|tables| config.clone().with("tables", tables.join(",")))
            .collect())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn task_class(&self) -> &'static str {
        TASK_CLASS
    }
}

impl SourceConnector for JdbcSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(JdbcSourceTask::default())
    }
}
