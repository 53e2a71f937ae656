//! JDBC connectors: tables → topics (source) and topics → tables (sink), for MariaDB/MySQL,
//! PostgreSQL and SQLite, under the Java connector's class names and configuration keys.
//!
//! # Codemap
//! - [`url`]: `connection.url` in the Java (`jdbc:mysql://…`) and native forms.
//! - [`config`]: the source's and sink's keys, parsed with every error named.
//! - [`types`]: tables, columns, column kinds → Connect schemas, value coercion, `db.timezone`.
//! - [`dialect`]: the [`Dialect`](dialect::Dialect) trait (the Java SPI's role) and the MySQL,
//!   PostgreSQL and SQLite implementations: metadata, streamed reads, transactional writes.
//! - [`source`]: connector (tables split across tasks) and task (a reader streaming rows into
//!   a bounded channel; positions per table).
//! - [`sink`]: connector and task (records → runs of batched statements in one transaction;
//!   auto create/evolve; record-by-record fallback so only bad records fail).
//! - [`probe`]: database checks from synchronous validation.
//! - [`plugins`]: registry entries under the Java class names and aliases.

pub mod config;
pub mod dialect;
pub mod probe;
pub mod sink;
pub mod source;
pub mod types;
pub mod url;

use connect_api::AnyConnector;
use connect_api::plugin::{ConnectorPlugins, Plugin, PluginKind, TaskFactory};

pub use sink::{JdbcSinkConnector, JdbcSinkTask};
pub use source::{JdbcSourceConnector, JdbcSourceTask};

/// The connector and task classes of this crate.
pub fn plugins() -> ConnectorPlugins {
    ConnectorPlugins {
        connectors: vec![
            Plugin {
                class_name: "org.apache.rocketmq.connect.jdbc.connector.JdbcSourceConnector",
                aliases: &[
                    "org.apache.rocketmq.connect.jdbc.source.JdbcSourceConnector",
                    "io.confluent.connect.jdbc.JdbcSourceConnector",
                    "JdbcSourceConnector",
                    "JdbcSource",
                ],
                kind: PluginKind::Source,
                factory: || AnyConnector::Source(Box::new(JdbcSourceConnector::default())),
            },
            Plugin {
                class_name: "org.apache.rocketmq.connect.jdbc.connector.JdbcSinkConnector",
                aliases: &[
                    "org.apache.rocketmq.connect.jdbc.sink.JdbcSinkConnector",
                    "io.confluent.connect.jdbc.JdbcSinkConnector",
                    "JdbcSinkConnector",
                    "JdbcSink",
                ],
                kind: PluginKind::Sink,
                factory: || AnyConnector::Sink(Box::new(JdbcSinkConnector::default())),
            },
        ],
        tasks: vec![
            Plugin {
                class_name: source::TASK_CLASS,
                aliases: &["JdbcSourceTask"],
                kind: PluginKind::Source,
                factory: TaskFactory::Source(|| Box::new(JdbcSourceTask::default())),
            },
            Plugin {
                class_name: sink::TASK_CLASS,
                aliases: &["JdbcSinkTask"],
                kind: PluginKind::Sink,
                factory: TaskFactory::Sink(|| Box::new(JdbcSinkTask::default())),
            },
        ],
    }
}
