//! Kafka's MaskFieldTest.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use connect_api::{SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value};

use super::{K, smt, value_after};
use crate::tests::{map, record, single_errors};

fn decimal(text: &str) -> Value {
    Value::Decimal(BigDecimal::from_str(text).unwrap())
}

fn schema() -> SchemaRef {
    let required = |b: SchemaBuilder| b.required().build();
    SchemaBuilder::struct_()
        .required()
        .field("magic", required(SchemaBuilder::int32()))
        .unwrap()
        .field("bool", required(SchemaBuilder::bool()))
        .unwrap()
        .field("byte", required(SchemaBuilder::int8()))
        .unwrap()
        .field("short", required(SchemaBuilder::int16()))
        .unwrap()
        .field("int", required(SchemaBuilder::int32()))
        .unwrap()
        .field("long", required(SchemaBuilder::int64()))
        .unwrap()
        .field("float", required(SchemaBuilder::float32()))
        .unwrap()
        .field("double", required(SchemaBuilder::float64()))
        .unwrap()
        .field("string", required(SchemaBuilder::string()))
        .unwrap()
        .field("date", required(SchemaBuilder::date()))
        .unwrap()
        .field("time", required(SchemaBuilder::time()))
        .unwrap()
        .field("timestamp", required(SchemaBuilder::timestamp()))
        .unwrap()
        .field("decimal", required(SchemaBuilder::decimal(0)))
        .unwrap()
        .field(
            "array",
            required(SchemaBuilder::array(
                SchemaBuilder::int32().required().build(),
            )),
        )
        .unwrap()
        .field(
            "map",
            required(SchemaBuilder::map(
                SchemaBuilder::string().required().build(),
                SchemaBuilder::string().required().build(),
            )),
        )
        .unwrap()
        .field(
            "withDefault",
            SchemaBuilder::string()
                .optional()
                .default_value(Value::from("default"))
                .unwrap()
                .build(),
        )
        .unwrap()
        .build()
}

fn value() -> Value {
    let now = 1_700_000_000_123;
    Value::Struct(
        Struct::from_values(
            schema(),
            vec![
                Value::Int32(42),
                Value::Boolean(true),
                Value::Int8(42),
                Value::Int16(42),
                Value::Int32(42),
                Value::Int64(42),
                Value::Float32(42.0),
                Value::Float64(42.0),
                Value::from("hmm"),
                Value::Date(19_676),
                Value::Time(3_600_000),
                Value::Timestamp(now),
                decimal("42"),
                Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)]),
                Value::Map(vec![(Value::from("what"), Value::from("what"))]),
                Value::Null,
            ],
        )
        .unwrap(),
    )
}

fn schemaless() -> Value {
    map(&[
        ("magic", Value::Int32(42)),
        ("bool", Value::Boolean(true)),
        ("byte", Value::Int8(42)),
        ("short", Value::Int16(42)),
        ("int", Value::Int32(42)),
        ("long", Value::Int64(42)),
        ("float", Value::Float32(42.0)),
        ("double", Value::Float64(42.0)),
        ("string", Value::from("55.121.20.20")),
        ("date", Value::Timestamp(1_700_000_000_123)),
        ("bigdec", decimal("42.0")),
        ("list", Value::Array(vec![Value::Int32(42)])),
        (
            "map",
            Value::Map(vec![(Value::from("key"), Value::from("value"))]),
        ),
    ])
}

fn mask(fields: &str, replacement: Option<&str>) -> crate::TransformChain {
    let mut config = vec![("fields", fields), ("replace.null.with.default", "false")];
    if let Some(r) = replacement {
        config.push(("replacement", r));
    }
    smt("MaskField$Value", &config)
}

#[test]
fn schemaless_fields_are_masked_to_their_empty_values() {
    let fields = "bool,byte,short,int,long,float,double,string,date,bigdec,list,map";
    let out = value_after(
        &mut mask(fields, None),
        SchemaAndValue::new(None, schemaless()),
    );
    let expected = [
        ("magic", Value::Int32(42)),
        ("bool", Value::Boolean(false)),
        ("byte", Value::Int8(0)),
        ("short", Value::Int16(0)),
        ("int", Value::Int32(0)),
        ("long", Value::Int64(0)),
        ("float", Value::Float32(0.0)),
        ("double", Value::Float64(0.0)),
        ("string", Value::from("")),
        ("date", Value::Timestamp(0)),
        ("bigdec", decimal("0")),
        ("list", Value::Array(vec![])),
        ("map", Value::Map(vec![])),
    ];
    for (name, value) in expected {
        assert_eq!(out.value.map_get(name), Some(&value), "{name}");
    }
}

#[test]
fn schema_fields_are_masked_to_their_empty_values() {
    let fields = "bool,byte,short,int,long,float,double,string,date,time,timestamp,decimal,array,map,withDefault";
    let out = value_after(
        &mut mask(fields, None),
        SchemaAndValue::new(Some(schema()), value()),
    );
    let s = out.value.as_struct().unwrap();
    let expected = [
        ("magic", Value::Int32(42)),
        ("bool", Value::Boolean(false)),
        ("byte", Value::Int8(0)),
        ("short", Value::Int16(0)),
        ("int", Value::Int32(0)),
        ("long", Value::Int64(0)),
        ("float", Value::Float32(0.0)),
        ("double", Value::Float64(0.0)),
        ("string", Value::from("")),
        ("date", Value::Date(0)),
        ("time", Value::Time(0)),
        ("timestamp", Value::Timestamp(0)),
        ("decimal", decimal("0")),
        ("array", Value::Array(vec![])),
        ("map", Value::Map(vec![])),
        ("withDefault", Value::Null),
    ];
    for (name, value) in expected {
        assert_eq!(s.get_without_default(name), Some(&value), "{name}");
    }
}

#[test]
fn replacements_are_parsed_as_the_fields_type() {
    let cases = [
        ("short", "123", Value::Int16(123)),
        ("byte", "123", Value::Int8(123)),
        ("int", "123", Value::Int32(123)),
        ("long", "123", Value::Int64(123)),
        ("float", "123.0", Value::Float32(123.0)),
        ("double", "123.0", Value::Float64(123.0)),
        ("string", "123", Value::from("123")),
        ("bigdec", "123.0", decimal("123.0")),
    ];
    for (field, replacement, expected) in &cases {
        let out = value_after(
            &mut mask(field, Some(replacement)),
            SchemaAndValue::new(None, schemaless()),
        );
        assert_eq!(out.value.map_get(field), Some(expected), "{field}");
    }
    for (field, replacement, expected) in cases {
        let field = if field == "bigdec" { "decimal" } else { field };
        let out = value_after(
            &mut mask(field, Some(replacement)),
            SchemaAndValue::new(Some(schema()), value()),
        );
        assert_eq!(
            out.value.as_struct().unwrap().get(field),
            Some(&expected),
            "{field}"
        );
    }
}

#[test]
fn replacements_for_types_that_take_none_are_refused() {
    for (field, replacement) in [
        ("date", "Thu Nov 14 22:13:20 UTC 2023"),
        ("int,date", "123"),
        ("bool", "false"),
        ("list", "[123]"),
        ("map", "{123=321}"),
    ] {
        let err = mask(field, Some(replacement))
            .apply(record(None, schemaless()))
            .unwrap_err();
        assert!(err.to_string().contains("MaskField"), "{field}: {err}");
    }
    for field in ["time", "timestamp", "array"] {
        let err = mask(field, Some("123"))
            .apply(record(Some(schema()), value()))
            .unwrap_err();
        assert!(err.to_string().contains("MaskField"), "{field}: {err}");
    }
}

#[test]
fn replacements_that_do_not_parse_are_refused() {
    for field in [
        "byte",
        "short",
        "int",
        "long",
        "float",
        "double",
        "bigdec",
        "string,int",
    ] {
        let err = mask(field, Some("foo"))
            .apply(record(None, schemaless()))
            .unwrap_err();
        assert!(err.to_string().contains("not a valid"), "{field}: {err}");
    }
}

/// Kafka puts every listed field: one the map lacks comes out as a null.
#[test]
fn a_listed_key_the_map_lacks_is_added_as_null() {
    let out = value_after(
        &mut mask("absent,int", None),
        SchemaAndValue::new(None, schemaless()),
    );
    assert_eq!(out.value.map_get("absent"), Some(&Value::Null));
    assert_eq!(out.value.map_get("int"), Some(&Value::Int32(0)));
    let out = value_after(
        &mut smt("Cast$Value", &[("spec", "absent:int64")]),
        SchemaAndValue::new(None, schemaless()),
    );
    assert_eq!(out.value.map_get("absent"), Some(&Value::Null));
}

#[test]
fn an_empty_replacement_is_a_config_error() {
    assert_eq!(
        single_errors(
            &format!("{K}MaskField$Value"),
            &[("fields", "short"), ("replacement", "")]
        ),
        ["transforms.t.replacement"]
    );
}

/// Bytes cannot be masked in Kafka (no empty value is defined for them).
#[test]
fn bytes_cannot_be_masked() {
    let err = mask("bytes", None)
        .apply(record(None, map(&[("bytes", Value::Bytes(vec![1, 2]))])))
        .unwrap_err();
    assert!(err.to_string().contains("bytes"), "{err}");
}

/// With `replace.null.with.default=true` (the default) a null field's default is what gets
/// masked: the default can never reach a writer unmasked.
#[test]
fn the_default_of_a_null_field_is_masked() {
    let mut t = smt("MaskField$Value", &[("fields", "withDefault")]);
    let out = value_after(&mut t, SchemaAndValue::new(Some(schema()), value()));
    let s = out.value.as_struct().unwrap();
    assert_eq!(s.get_without_default("withDefault"), Some(&Value::from("")));
}
