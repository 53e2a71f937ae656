//! Change data capture, Debezium-compatible: the Java plugin's class names, configuration keys,
//! offsets and events, natively (no JVM, no embedded Debezium).
//!
//! # Codemap
//! What every database shares:
//! - [`config`]: the keys (Debezium 1.7 names and 2.x aliases) in one table, parsed once.
//! - [`filters`]: include/exclude lists and `message.key.columns`.
//! - [`envelope`]: the change envelope, key, tombstone, heartbeat and schema-change records.
//! - [`ddl`]: the tables a DDL statement creates, alters or drops (`tableChanges`).
//! - [`position`]: the offset model (restart point + snapshot progress) in Debezium's keys.
//! - [`routing`]: in-task `kafka.transforms` and the RocketMQ-valid topic.
//! - [`refused`]: the Java plugin's other classes, refused at validation with the reason.
//! - [`signals`]: ad-hoc signals (signal table, signal topic) and their effect on the snapshot.
//!
//! - [`table`]: a captured table's kept columns, key and schemas, from either side's columns.
//! - [`window`]: which rows of a snapshot chunk changes inside its window superseded (DBLog).
//! - [`values`]: Debezium's semantic names and shared value helpers.
//! - [`outbox`]: a task's queued records, their routing, and when a heartbeat is due.
//! - [`transaction`]: the open transaction's counts (`provide.transaction.metadata`).
//! - [`check`]: a failed server check as a 400 entry.
//!
//! MySQL/MariaDB ([`mysql`]): the binlog reader, the lock-free chunked snapshot (DBLog
//! watermarks) and the task that merges them; the connector with its server checks.
//!
//! PostgreSQL ([`postgres`]): the slot and publication, the pgoutput reader, the snapshot
//! read after the slot's consistent point, and the task; the connector with its checks.

pub mod check;
pub mod config;
pub mod ddl;
pub mod envelope;
pub mod filters;
pub mod gauges;
pub mod mysql;
pub mod outbox;
pub mod position;
pub mod postgres;
pub mod refused;
pub mod routing;
pub mod signals;
pub mod table;
pub mod transaction;
pub mod values;
pub mod window;

use connect_api::AnyConnector;
use connect_api::plugin::{ConnectorPlugins, Plugin, PluginKind, TaskFactory};

pub use mysql::{MySqlCdcConnector, MySqlCdcTask};
pub use postgres::{PgCdcConnector, PgCdcTask};

/// The connector and task classes of this crate.
pub fn plugins() -> ConnectorPlugins {
    let mut connectors: Vec<Plugin<connect_api::plugin::ConnectorFactory>> = vec![Plugin {
        class_name: "org.apache.rocketmq.connect.debezium.mysql.DebeziumMysqlConnector",
        aliases: &[
            // The Java plugin's README spells it this way (a class that would not load there).
            "org.apache.rocketmq.connect.debezium.MySQL.DebeziumMySQLConnector",
            "org.apache.rocketmq.connect.debezium.mysql.DebeziumMySQLConnector",
            "io.debezium.connector.mysql.MySqlConnector",
            "MySqlCdc",
            "mysql-cdc",
        ],
        kind: PluginKind::Source,
        factory: || AnyConnector::Source(Box::new(MySqlCdcConnector::default())),
    }];
    connectors.push(Plugin {
        class_name: "org.apache.rocketmq.connect.debezium.postgres.DebeziumPostgresConnector",
        aliases: &[
            "io.debezium.connector.postgresql.PostgresConnector",
            "PostgresCdc",
            "postgres-cdc",
        ],
        kind: PluginKind::Source,
        factory: || AnyConnector::Source(Box::new(PgCdcConnector::default())),
    });
    connectors.extend(refused::plugins());
    ConnectorPlugins {
        connectors,
        tasks: vec![
            Plugin {
                class_name: postgres::TASK_CLASS,
                aliases: &[
                    "io.debezium.connector.postgresql.PostgresConnectorTask",
                    "PostgresCdcTask",
                ],
                kind: PluginKind::Source,
                factory: TaskFactory::Source(|| Box::new(PgCdcTask::default())),
            },
            Plugin {
                class_name: mysql::TASK_CLASS,
                aliases: &[
                    "io.debezium.connector.mysql.MySqlConnectorTask",
                    "MySqlCdcTask",
                ],
                kind: PluginKind::Source,
                factory: TaskFactory::Source(|| Box::new(MySqlCdcTask::default())),
            },
        ],
    }
}
