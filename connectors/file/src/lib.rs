//! File connectors, compatible with the Java sample
//! (`org.apache.rocketmq.connect.file.FileSourceConnector` / `FileSinkConnector`, key
//! `filename`).
//!
//! # Codemap
//! - [`source`]: follows a file, one record per line; partition `{"filename"}`, offset
//!   `{"nextPosition"}` (byte position after the line), so a restart resumes exactly.
//! - [`sink`]: appends each record's value as a line; `flush` makes it durable (fsync).
//! - [`plugins`]: registry entries under the Java class names and short aliases.
//!
//! Lines are bytes: valid UTF-8 becomes a string value, anything else a bytes value, so a
//! file → file pipeline is byte-identical.

pub mod sink;
pub mod source;

use connect_api::AnyConnector;
use connect_api::plugin::{ConnectorPlugins, Plugin, PluginKind, TaskFactory};

pub use sink::{FileSinkConnector, FileSinkTask};
pub use source::{FileSourceConnector, FileSourceTask};

/// The connector and task classes of this crate.
pub fn plugins() -> ConnectorPlugins {
    ConnectorPlugins {
        connectors: vec![
            Plugin {
                class_name: "org.apache.rocketmq.connect.file.FileSourceConnector",
                aliases: &[
                    "FileSourceConnector",
                    "FileSource",
                    "org.apache.kafka.connect.file.FileStreamSourceConnector",
                ],
                kind: PluginKind::Source,
                factory: || AnyConnector::Source(Box::new(FileSourceConnector::default())),
            },
            Plugin {
                class_name: "org.apache.rocketmq.connect.file.FileSinkConnector",
                aliases: &[
                    "FileSinkConnector",
                    "FileSink",
                    "org.apache.kafka.connect.file.FileStreamSinkConnector",
                ],
                kind: PluginKind::Sink,
                factory: || AnyConnector::Sink(Box::new(FileSinkConnector::default())),
            },
        ],
        tasks: vec![
            Plugin {
                class_name: source::TASK_CLASS,
                aliases: &["FileSourceTask"],
                kind: PluginKind::Source,
                factory: TaskFactory::Source(|| Box::new(FileSourceTask::default())),
            },
            Plugin {
                class_name: sink::TASK_CLASS,
                aliases: &["FileSinkTask"],
                kind: PluginKind::Sink,
                factory: TaskFactory::Sink(|| Box::new(FileSinkTask::default())),
            },
        ],
    }
}
