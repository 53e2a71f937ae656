//! Verifiable connectors, like Kafka's VerifiableSource/VerifiableSink: the source emits
//! `(task, seq)` records with consecutive sequence numbers per task; the sink records what it
//! receives and reports gaps and duplicates. Fault-injection keys make a task fail, panic or
//! hang on demand, so supervision and recovery can be tested against real processes.
//!
//! # Codemap
//! - [`source`]: `VerifiableSourceConnector` / task; partition `{"task": id}`, offset `{"seq"}`.
//! - [`sink`]: `VerifiableSinkConnector` / task; `file` (received pairs), `report.file` (JSON).
//! - [`plugins`]: registry entries.

pub mod sink;
pub mod source;

use connect_api::AnyConnector;
use connect_api::plugin::{ConnectorPlugins, Plugin, PluginKind, TaskFactory};

pub use sink::{VerifiableSinkConnector, VerifiableSinkTask};
pub use source::{VerifiableSourceConnector, VerifiableSourceTask};

/// The connector and task classes of this crate.
pub fn plugins() -> ConnectorPlugins {
    ConnectorPlugins {
        connectors: vec![
            Plugin {
                class_name: "org.apache.rocketmq.connect.verifiable.VerifiableSourceConnector",
                aliases: &["VerifiableSourceConnector", "VerifiableSource"],
                kind: PluginKind::Source,
                factory: || AnyConnector::Source(Box::new(VerifiableSourceConnector::default())),
            },
            Plugin {
                class_name: "org.apache.rocketmq.connect.verifiable.VerifiableSinkConnector",
                aliases: &["VerifiableSinkConnector", "VerifiableSink"],
                kind: PluginKind::Sink,
                factory: || AnyConnector::Sink(Box::new(VerifiableSinkConnector::default())),
            },
        ],
        tasks: vec![
            Plugin {
                class_name: source::TASK_CLASS,
                aliases: &["VerifiableSourceTask"],
                kind: PluginKind::Source,
                factory: TaskFactory::Source(|| Box::new(VerifiableSourceTask::default())),
            },
            Plugin {
                class_name: sink::TASK_CLASS,
                aliases: &["VerifiableSinkTask"],
                kind: PluginKind::Sink,
                factory: TaskFactory::Sink(|| Box::new(VerifiableSinkTask::default())),
            },
        ],
    }
}

/// The sequence number a record carries: `(task, seq)` from a struct or map value.
pub fn task_and_seq(record: &connect_api::ConnectRecord) -> Option<(i64, i64)> {
    use connect_api::Value;
    let field = |name: &str| match &record.value {
        Value::Struct(s) => s.get(name).and_then(Value::as_i64),
        map @ Value::Map(_) => map.map_get(name).and_then(Value::as_i64),
        _ => None,
    };
    Some((field("task")?, field("seq")?))
}
