//! The connector SDK: everything a connector, transform or converter author needs, and
//! nothing of the runtime (no actix, no web framework, no RocketMQ client).
//!
//! # Codemap
//! - [`data`]: the data model. [`Schema`](data::Schema)/[`SchemaBuilder`](data::SchemaBuilder)
//!   describe types; [`Value`](data::Value) holds data (logical Decimal/Date/Time/Timestamp
//!   included); [`Struct`](data::Struct) validates on put; [`ConnectRecord`](data::ConnectRecord)
//!   carries key, value, position and extensions.
//! - [`config`]: [`Config`], string key/value configuration with typed getters whose errors
//!   name the key; [`config_def`]: declared keys ([`ConfigDef`]) validated all at once.
//! - [`connector`]: [`Connector`], [`SourceConnector`], [`SinkConnector`], [`ConnectorContext`].
//! - [`task`]: [`SourceTask`], [`SinkTask`] and their contexts (offset reader, consumer
//!   control, error record reporter).
//! - [`transform`]: [`Transform`] and [`Predicate`]; [`converter`]: [`RecordConverter`].
//! - [`error`]: [`ConnectError`] (with a retriable kind) and [`ConfigError`].
//! - [`secrets`]: which keys are secret and how values, nested JSON, URLs and free text are
//!   masked; a masked value written back keeps the stored secret.
//! - [`plugin`]: descriptors for registries keyed by Java class name and aliases.
//!
//! Compatibility: names and semantics follow the Java OpenConnect API 0.1.4 used by Apache
//! RocketMQ Connect, so schemas and configurations written for it mean the same here.

pub mod config;
pub mod config_def;
pub mod connector;
pub mod converter;
pub mod data;
pub mod error;
pub mod plugin;
pub mod secrets;
pub mod task;
pub mod transform;

pub use config::Config;
pub use config_def::{ConfigDef, ConfigType, Validator};
pub use connector::{
    AnyConnector, Connector, ConnectorContext, ConnectorKind, SinkConnector, SourceConnector,
};
pub use converter::RecordConverter;
pub use data::{
    ConnectRecord, Extensions, Field, FieldType, LogicalType, RecordOffset, RecordPartition,
    RecordPosition, Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value,
};
pub use error::{ConfigError, ConnectError, ConnectResult};
pub use plugin::{ConnectorFactory, ConnectorPlugins, Plugin, PluginKind, TaskFactory};
pub use task::{
    ErrorRecordReporter, MessageIds, OffsetMap, OffsetStorageReader, SendMetadata, SentBatch,
    SideMessage, SidePositions, SinkTask, SinkTaskContext, SinkTaskControl, SourceGauge,
    SourceGauges, SourceTask, SourceTaskContext, TaskInfo, TopicMessages, TopicSubscriptions,
};
pub use transform::{Predicate, Transform};
