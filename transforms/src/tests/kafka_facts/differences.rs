//! The README's deliberate differences from Kafka's SMTs, each asserted as what we do (the
//! rows about headers are asserted in `headers.rs`, Cast's wrap-around in `cast.rs`).

use connect_api::{FieldType, SchemaAndValue, SchemaBuilder, Value};

use super::{K, smt, value_after};
use crate::tests::{map, record, single_errors};

#[test]
fn cast_refuses_text_that_is_no_boolean_and_takes_short_type_names() {
    let mut t = smt("Cast$Value", &[("spec", "boolean")]);
    let err = t.apply(record(None, Value::from("yes"))).unwrap_err();
    assert!(err.to_string().contains("not a boolean"), "{err}");
    let out = value_after(&mut t, SchemaAndValue::new(None, Value::from("TRUE")));
    assert_eq!(out.value, Value::Boolean(true));
    for (short, ty) in [
        ("float", FieldType::Float32),
        ("double", FieldType::Float64),
        ("bool", FieldType::Boolean),
    ] {
        let mut t = smt("Cast$Value", &[("spec", short)]);
        let out = value_after(
            &mut t,
            SchemaAndValue::new(Some(SchemaBuilder::int32().build()), Value::Int32(1)),
        );
        assert_eq!(out.schema.unwrap().field_type(), ty, "{short}");
    }
}

#[test]
fn a_whole_value_cast_schema_has_no_name() {
    let mut t = smt("Cast$Value", &[("spec", "int64")]);
    let out = value_after(
        &mut t,
        SchemaAndValue::new(
            Some(SchemaBuilder::timestamp().required().build()),
            Value::Timestamp(5),
        ),
    );
    let schema = out.schema.unwrap();
    assert_eq!(
        (schema.field_type(), schema.name()),
        (FieldType::Int64, None)
    );
    assert_eq!(out.value, Value::Int64(5));
}

#[test]
fn timestamp_converter_target_type_ignores_case_and_reads_zone_names_as_utc() {
    let mut t = smt(
        "TimestampConverter$Value",
        &[
            ("target.type", "timestamp"),
            ("format", "yyyy MM dd HH mm ss SSS z"),
        ],
    );
    let out = value_after(
        &mut t,
        SchemaAndValue::new(None, Value::from("1970 01 02 00 00 01 234 PST")),
    );
    assert_eq!(out.value, Value::Timestamp(86_401_234));
}

#[test]
fn value_to_key_passes_a_tombstone() {
    let mut t = smt("ValueToKey", &[("fields", "a")]);
    let out = t.apply(record(None, Value::Null)).unwrap().unwrap();
    assert!(out.value.is_null() && out.key.is_null());
}

#[test]
fn flatten_flattens_a_struct_inside_a_schemaless_map() {
    let schema = SchemaBuilder::struct_()
        .field("b", SchemaBuilder::int32().build())
        .unwrap()
        .build();
    let inner = connect_api::Struct::from_values(schema, vec![Value::Int32(1)]).unwrap();
    let mut t = smt("Flatten$Value", &[]);
    let out = value_after(
        &mut t,
        SchemaAndValue::new(None, map(&[("a", Value::Struct(inner))])),
    );
    assert_eq!(out.value, map(&[("a.b", Value::Int32(1))]));
}

#[test]
fn regex_router_needs_a_replacement_and_replace_field_takes_old_names() {
    assert_eq!(
        single_errors(
            &format!("{K}RegexRouter"),
            &[("regex", "(.*)"), ("replacement", "")]
        ),
        ["transforms.t.replacement"]
    );
    let mut t = smt(
        "ReplaceField$Value",
        &[("whitelist", "a,b"), ("blacklist", "b")],
    );
    let out = value_after(
        &mut t,
        SchemaAndValue::new(
            None,
            map(&[
                ("a", Value::Int32(1)),
                ("b", Value::Int32(2)),
                ("c", Value::Int32(3)),
            ]),
        ),
    );
    assert_eq!(out.value, map(&[("a", Value::Int32(1))]));
}

#[test]
fn hoist_field_keeps_a_null_whose_required_schema_has_a_default() {
    let schema = SchemaBuilder::int32()
        .required()
        .default_value(Value::Int32(7))
        .unwrap()
        .build();
    let mut t = smt("HoistField$Value", &[("field", "magic")]);
    let out = value_after(&mut t, SchemaAndValue::new(Some(schema), Value::Null));
    let s = out.value.as_struct().unwrap();
    assert_eq!(s.get_without_default("magic"), Some(&Value::Null));
    assert_eq!(s.get("magic"), Some(&Value::Int32(7)));
}

#[test]
fn timestamp_converter_drops_a_struct_schemas_default() {
    let shape = SchemaBuilder::struct_()
        .optional()
        .field("ts", SchemaBuilder::int64().optional().build())
        .unwrap();
    let default =
        connect_api::Struct::from_values(shape.clone().build(), vec![Value::Int64(1)]).unwrap();
    let schema = shape.default_value(Value::Struct(default)).unwrap().build();
    let mut t = smt(
        "TimestampConverter$Value",
        &[("field", "ts"), ("target.type", "Timestamp")],
    );
    let out = value_after(&mut t, SchemaAndValue::new(Some(schema), Value::Null));
    let out_schema = out.schema.unwrap();
    assert_eq!(out_schema.default_value(), None);
    assert_eq!(
        out_schema.field("ts").unwrap().schema().logical_type(),
        Some(connect_api::LogicalType::Timestamp)
    );
}
