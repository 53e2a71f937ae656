//! Transform tests, driven through [`TransformChain`] so each also covers registration under the
//! Java class names and configuration validation.

mod chain;
mod kafka;
mod kafka_facts;
mod robustness;
mod rocketmq;
mod rocketmq_facts;

use connect_api::{
    Config, ConnectRecord, RecordOffset, RecordPartition, SchemaBuilder, SchemaRef, Struct, Value,
};

use crate::TransformChain;

/// A chain from `key=value` pairs.
pub fn chain(pairs: &[(&str, &str)]) -> TransformChain {
    TransformChain::from_config(&config(pairs)).unwrap()
}

pub fn config(pairs: &[(&str, &str)]) -> Config {
    pairs.iter().copied().collect()
}

/// The config errors' keys for a chain that must not build.
pub fn error_keys(pairs: &[(&str, &str)]) -> Vec<String> {
    TransformChain::validate(&config(pairs))
        .into_iter()
        .map(|e| e.key)
        .collect()
}

/// The seed's employee value schema (a subset).
pub fn employee_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("employee")
        .field("id", SchemaBuilder::int64().build())
        .unwrap()
        .field("name", SchemaBuilder::string().build())
        .unwrap()
        .field("company", SchemaBuilder::string().build())
        .unwrap()
        .build()
}

pub fn employee(id: i64, name: &str, company: &str) -> Value {
    let mut s = Struct::new(employee_schema()).unwrap();
    s.put("id", id)
        .unwrap()
        .put("name", name)
        .unwrap()
        .put("company", company)
        .unwrap();
    Value::Struct(s)
}

/// A record on topic `t`, queue 3, offset 17, timestamp 1000.
pub fn record(schema: Option<SchemaRef>, value: Value) -> ConnectRecord {
    let partition = RecordPartition::new()
        .with("topic", "t")
        .with("brokerName", "b")
        .with("queueId", "3");
    let offset = RecordOffset::new().with("queueOffset", "17");
    ConnectRecord::new(partition, offset, Some(1000)).with_value(schema, value)
}

pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::map_of(pairs.iter().cloned())
}

/// Applies the chain and expects a record back.
pub fn apply(chain: &mut TransformChain, record: ConnectRecord) -> ConnectRecord {
    chain.apply(record).unwrap().expect("record was dropped")
}

/// The field names of a struct value.
pub fn field_names(value: &Value) -> Vec<String> {
    value
        .as_struct()
        .unwrap()
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().to_owned())
        .collect()
}

/// A one-transform chain configuration: class plus `transforms.t.<key>` settings.
pub fn single_config(class: &str, extra: &[(&str, &str)]) -> Config {
    let mut config = Config::new()
        .with("transforms", "t")
        .with("transforms.t.class", class);
    for (k, v) in extra {
        config.put(format!("transforms.t.{k}"), v);
    }
    config
}

/// A one-transform chain that must build.
pub fn single(class: &str, extra: &[(&str, &str)]) -> TransformChain {
    TransformChain::from_config(&single_config(class, extra)).unwrap()
}

/// The error keys of a one-transform chain that must not build.
pub fn single_errors(class: &str, extra: &[(&str, &str)]) -> Vec<String> {
    TransformChain::validate(&single_config(class, extra))
        .into_iter()
        .map(|e| e.key)
        .collect()
}
