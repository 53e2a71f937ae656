//! Kafka's own SMT unit tests (apache/kafka `connect/transforms`) replayed as facts: the same
//! configurations, inputs and expected outputs, through our registry under Kafka's class names.
//! Deliberate differences are in the README's table; each is asserted here as what we do.

mod cast;
mod differences;
mod fields;
mod flatten;
mod headers;
mod mask_field;
mod routing;
mod set_schema_metadata;
mod timestamp_converter;
mod timestamp_router;

use connect_api::{ConnectRecord, SchemaAndValue, Value};

use super::{record, single};
use crate::TransformChain;

pub const K: &str = "org.apache.kafka.connect.transforms.";

/// A one-transform chain of Kafka's `class` (`Cast$Value`…).
pub fn smt(class: &str, extra: &[(&str, &str)]) -> TransformChain {
    single(&format!("{K}{class}"), extra)
}

/// The value side of `input` after `chain`.
pub fn value_after(chain: &mut TransformChain, input: SchemaAndValue) -> SchemaAndValue {
    let mut out = chain
        .apply(record(input.schema, input.value))
        .unwrap()
        .expect("a record");
    out.take_value()
}

/// The key side of a record keyed by `input` after `chain`.
pub fn key_after(chain: &mut TransformChain, input: SchemaAndValue) -> ConnectRecord {
    let keyed = record(None, Value::Null).with_key(input.schema, input.value);
    chain.apply(keyed).unwrap().expect("a record")
}
