//! Every registered transform, minimally configured, meets odd inputs: each must keep, drop
//! or reject the record with an error — never panic.

use connect_api::{SchemaBuilder, Struct, Value};

use super::*;

/// The smallest valid configuration of each transform (by short class name prefix).
fn minimal_config(class: &str) -> Vec<(&'static str, &'static str)> {
    let simple = class.rsplit('.').next().unwrap_or(class);
    let base = simple.split('$').next().unwrap_or(simple);
    match base {
        "ChangeCase" => vec![("from", "LOWER_UNDERSCORE"), ("to", "UPPER_CAMEL")],
        "ExtractNestedField" => vec![
            ("input.outer.field.name", "a"),
            ("input.inner.field.name", "b"),
            ("output.field.name", "c"),
        ],
        "PatternFilter" => vec![("pattern", "x.*"), ("fields", "name")],
        "PatternRename" => vec![("field.pattern", "a"), ("field.replacement", "z")],
        "SetMaximumPrecision" => vec![("precision.max", "10")],
        "RegexRouter" => vec![("regex", "(.*)"), ("replacement", "r-$1")],
        "InsertField" => vec![("topic.field", "topic")],
        "ReplaceField" => vec![("exclude", "a")],
        "MaskField" => vec![("fields", "a")],
        "Cast" => vec![("spec", "a:string")],
        "ExtractField" | "HoistField" => vec![("field", "a")],
        "TimestampConverter" => vec![("field", "a"), ("target.type", "unix")],
        "ValueToKey" => vec![("fields", "a")],
        "SetSchemaMetadata" => vec![("schema.name", "renamed")],
        "DropHeaders" => vec![("headers", "h")],
        "InsertHeader" => vec![("header", "h"), ("value.literal", "v")],
        "HeaderFrom" => vec![("fields", "a"), ("headers", "h"), ("operation", "move")],
        _ => vec![],
    }
}

fn odd_inputs() -> Vec<ConnectRecord> {
    let nested = SchemaBuilder::struct_()
        .field("b", SchemaBuilder::int32().build())
        .unwrap()
        .build();
    let schema = SchemaBuilder::struct_()
        .field("a", nested.clone())
        .unwrap()
        .field("n", SchemaBuilder::string().build())
        .unwrap()
        .build();
    let mut inner = Struct::new(nested).unwrap();
    inner.put("b", 1).unwrap();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("a", Value::Struct(inner)).unwrap();
    vec![
        record(None, Value::Null),
        record(None, Value::Int32(7)),
        record(
            Some(SchemaBuilder::bytes().build()),
            Value::Bytes(vec![1, 2]),
        ),
        record(None, Value::Array(vec![Value::Null, Value::from("x")])),
        record(
            None,
            Value::Map(vec![(Value::Int32(1), Value::from("non-string key"))]),
        ),
        record(
            None,
            map(&[("a", Value::from("not a map")), ("x1", Value::Null)]),
        ),
        record(Some(schema), Value::Struct(s)),
        record(None, Value::from("x")).with_key(None, Value::Float64(f64::NAN)),
    ]
}

#[test]
fn every_transform_survives_odd_inputs() {
    let mut exercised = 0;
    for plugin in crate::transforms() {
        let alias_class = plugin.class_name;
        let mut chain =
            TransformChain::from_config(&single_config(alias_class, &minimal_config(alias_class)))
                .unwrap_or_else(|e| panic!("{alias_class} minimal config rejected: {e}"));
        for input in odd_inputs() {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                chain.apply(input.clone())
            }));
            assert!(outcome.is_ok(), "{alias_class} panicked on {input:?}");
        }
        exercised += 1;
    }
    assert_eq!(exercised, crate::transforms().len());
}
