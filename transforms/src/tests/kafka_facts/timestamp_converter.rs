//! Kafka's TimestampConverterTest (UTC throughout).

use connect_api::{
    FieldType, LogicalType, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value,
};

use super::{K, key_after, smt, value_after};
use crate::tests::{map, single_errors};

const DATE_PLUS_TIME: i64 = 86_401_234;
const FORMAT: &str = "yyyy MM dd HH mm ss SSS z";
const TEXT: &str = "1970 01 02 00 00 01 234 UTC";

fn converter(target: &str, extra: &[(&str, &str)]) -> crate::TransformChain {
    let mut config = vec![("target.type", target), ("format", FORMAT)];
    config.extend_from_slice(extra);
    smt("TimestampConverter$Value", &config)
}

fn schemaless(target: &str, extra: &[(&str, &str)], value: Value) -> Value {
    let out = value_after(
        &mut converter(target, extra),
        SchemaAndValue::new(None, value),
    );
    assert!(out.schema.is_none());
    out.value
}

/// What the target type's schema is: its logical type (Kafka names it `org.apache.kafka…`,
/// the RocketMQ family `io.openmessaging…`; the type is what a reader relies on).
fn kind(schema: &SchemaRef) -> (FieldType, Option<LogicalType>, bool) {
    (
        schema.field_type(),
        schema.logical_type(),
        schema.is_optional(),
    )
}

fn target_kind(target: &str, optional: bool) -> (FieldType, Option<LogicalType>, bool) {
    match target {
        "Timestamp" => (FieldType::Int64, Some(LogicalType::Timestamp), optional),
        "Date" => (FieldType::Int32, Some(LogicalType::Date), optional),
        "Time" => (FieldType::Int32, Some(LogicalType::Time), optional),
        "unix" => (FieldType::Int64, None, optional),
        _ => (FieldType::String, None, optional),
    }
}

#[test]
fn bad_configurations_are_refused() {
    let class = format!("{K}TimestampConverter$Value");
    assert_eq!(single_errors(&class, &[]), ["transforms.t.target.type"]);
    assert_eq!(
        single_errors(&class, &[("target.type", "invalid")]),
        ["transforms.t.target.type"]
    );
    assert_eq!(
        single_errors(
            &class,
            &[("target.type", "unix"), ("unix.precision", "invalid")]
        ),
        ["transforms.t.unix.precision"]
    );
    assert!(
        single_errors(
            &class,
            &[("target.type", "unix"), ("unix.precision", "seconds")]
        )
        .is_empty()
    );
    assert!(!single_errors(&class, &[("target.type", "string")]).is_empty());
    assert!(
        !single_errors(
            &class,
            &[("target.type", "string"), ("format", "bad-format")]
        )
        .is_empty()
    );
}

#[test]
fn schemaless_whole_values() {
    let ts = || Value::Timestamp(DATE_PLUS_TIME);
    assert_eq!(schemaless("Timestamp", &[], ts()), ts());
    assert_eq!(schemaless("Date", &[], ts()), Value::Date(1));
    assert_eq!(schemaless("Time", &[], ts()), Value::Time(1234));
    assert_eq!(schemaless("unix", &[], ts()), Value::Int64(DATE_PLUS_TIME));
    assert_eq!(schemaless("string", &[], ts()), Value::from(TEXT));
    assert_eq!(
        schemaless("Timestamp", &[], Value::Date(1)),
        Value::Timestamp(86_400_000)
    );
    assert_eq!(
        schemaless("Timestamp", &[], Value::Time(1234)),
        Value::Timestamp(1234)
    );
    assert_eq!(
        schemaless("Timestamp", &[], Value::Int64(DATE_PLUS_TIME)),
        ts()
    );
    assert_eq!(schemaless("Timestamp", &[], Value::from(TEXT)), ts());
    let unix =
        |precision: &str| schemaless("unix", &[("unix.precision", precision)], Value::from(TEXT));
    assert_eq!(unix("microseconds"), Value::Int64(86_401_234_000));
    assert_eq!(unix("nanoseconds"), Value::Int64(86_401_234_000_000));
    assert_eq!(unix("seconds"), Value::Int64(86_401));
    // Toward zero, as Kafka's TimeUnit: 1.5 s before the epoch is -1 s.
    let before = schemaless(
        "unix",
        &[("unix.precision", "seconds")],
        Value::Timestamp(-1500),
    );
    assert_eq!(before, Value::Int64(-1));

    let mut t = smt("TimestampConverter$Key", &[("target.type", "Timestamp")]);
    let keyed = key_after(&mut t, SchemaAndValue::new(None, ts()));
    assert_eq!((keyed.key_schema, keyed.key), (None, ts()));
}

#[test]
fn whole_values_with_schemas() {
    let timestamp = SchemaBuilder::timestamp().required().build();
    let cases: Vec<(&str, SchemaRef, Value, Value)> = vec![
        (
            "Timestamp",
            timestamp.clone(),
            Value::Timestamp(DATE_PLUS_TIME),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
        (
            "Date",
            timestamp.clone(),
            Value::Timestamp(DATE_PLUS_TIME),
            Value::Date(1),
        ),
        (
            "Time",
            timestamp.clone(),
            Value::Timestamp(DATE_PLUS_TIME),
            Value::Time(1234),
        ),
        (
            "unix",
            timestamp.clone(),
            Value::Timestamp(DATE_PLUS_TIME),
            Value::Int64(DATE_PLUS_TIME),
        ),
        (
            "string",
            timestamp,
            Value::Timestamp(DATE_PLUS_TIME),
            Value::from(TEXT),
        ),
        (
            "Timestamp",
            SchemaBuilder::date().required().build(),
            Value::Date(1),
            Value::Timestamp(86_400_000),
        ),
        (
            "Timestamp",
            SchemaBuilder::time().required().build(),
            Value::Time(1234),
            Value::Timestamp(1234),
        ),
        (
            "Timestamp",
            SchemaBuilder::int64().required().build(),
            Value::Int64(DATE_PLUS_TIME),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
        (
            "Timestamp",
            SchemaBuilder::string().required().build(),
            Value::from(TEXT),
            Value::Timestamp(DATE_PLUS_TIME),
        ),
    ];
    for (target, schema, input, expected) in cases {
        let out = value_after(
            &mut converter(target, &[]),
            SchemaAndValue::new(Some(schema), input),
        );
        assert_eq!(out.value, expected, "{target}");
        assert_eq!(
            kind(&out.schema.unwrap()),
            target_kind(target, false),
            "{target}"
        );
    }
}

fn optional_sources() -> Vec<SchemaRef> {
    vec![
        SchemaBuilder::int64().optional().build(),
        SchemaBuilder::time().optional().build(),
        SchemaBuilder::date().optional().build(),
        SchemaBuilder::string().optional().build(),
        SchemaBuilder::timestamp().optional().build(),
    ]
}

const TARGETS: [&str; 5] = ["Timestamp", "unix", "Time", "Date", "string"];

/// A null — whole value, field or struct — still gets the converted schema.
#[test]
fn nulls_get_the_converted_schema() {
    for target in TARGETS {
        for source in optional_sources() {
            let out = value_after(
                &mut converter(target, &[]),
                SchemaAndValue::new(Some(source.clone()), Value::Null),
            );
            assert!(out.value.is_null());
            assert_eq!(
                kind(&out.schema.unwrap()),
                target_kind(target, true),
                "{target} from {source:?}"
            );

            let struct_schema = |optional: bool| {
                SchemaBuilder::struct_()
                    .optional_if(optional)
                    .field("ts", source.clone())
                    .unwrap()
                    .field("other", SchemaBuilder::string().required().build())
                    .unwrap()
                    .build()
            };
            let mut t = converter(target, &[("field", "ts")]);
            // A null field in a struct.
            let schema = struct_schema(false);
            let value = Struct::from_values(schema.clone(), vec![Value::Null, Value::from("test")])
                .unwrap();
            let out = value_after(
                &mut t,
                SchemaAndValue::new(Some(schema), Value::Struct(value)),
            );
            let out_schema = out.schema.unwrap();
            assert!(!out_schema.is_optional());
            assert_eq!(
                kind(out_schema.field("ts").unwrap().schema()),
                target_kind(target, true),
                "{target}"
            );
            assert_eq!(
                out_schema.field("other").unwrap().schema(),
                &SchemaBuilder::string().required().build()
            );
            assert_eq!(out.value.as_struct().unwrap().get("ts"), Some(&Value::Null));
            // A null struct.
            let out = value_after(
                &mut t,
                SchemaAndValue::new(Some(struct_schema(true)), Value::Null),
            );
            assert!(out.value.is_null());
            let out_schema = out.schema.unwrap();
            assert!(out_schema.is_optional());
            assert_eq!(
                kind(out_schema.field("ts").unwrap().schema()),
                target_kind(target, true),
                "{target}: a null struct"
            );
            // No schema, a null stays a null.
            let out = value_after(&mut t, SchemaAndValue::null());
            assert_eq!(out, SchemaAndValue::null());
        }
    }
}

#[test]
fn a_field_is_converted() {
    let out = value_after(
        &mut converter("Date", &[("field", "ts")]),
        SchemaAndValue::new(None, map(&[("ts", Value::Timestamp(DATE_PLUS_TIME))])),
    );
    assert_eq!(out.value.map_get("ts"), Some(&Value::Date(1)));

    let schema = |ts: SchemaRef| {
        SchemaBuilder::struct_()
            .required()
            .field("ts", ts)
            .unwrap()
            .field("other", SchemaBuilder::string().required().build())
            .unwrap()
            .build()
    };
    let cases = [
        ("milliseconds", 86_401_234, DATE_PLUS_TIME),
        ("microseconds", 86_401_234_123, DATE_PLUS_TIME),
        ("nanoseconds", 86_401_234_123_456, DATE_PLUS_TIME),
        ("seconds", 86_401, 86_401_000),
    ];
    for (precision, raw, millis) in cases {
        let input_schema = schema(SchemaBuilder::int64().required().build());
        let value = Struct::from_values(
            input_schema.clone(),
            vec![Value::Int64(raw), Value::from("test")],
        )
        .unwrap();
        let mut t = converter(
            "Timestamp",
            &[("field", "ts"), ("unix.precision", precision)],
        );
        let out = value_after(
            &mut t,
            SchemaAndValue::new(Some(input_schema), Value::Struct(value)),
        );
        let s = out.value.as_struct().unwrap();
        assert_eq!(s.get("ts"), Some(&Value::Timestamp(millis)), "{precision}");
        assert_eq!(s.get_string("other").unwrap(), Some("test"));
        assert_eq!(
            kind(s.schema().field("ts").unwrap().schema()),
            target_kind("Timestamp", false)
        );
    }
}

/// `replace.null.with.default=false`: a null field with a default stays null.
#[test]
fn a_null_field_keeps_its_null_without_replace_null_with_default() {
    let schema = SchemaBuilder::struct_()
        .required()
        .field(
            "ts",
            SchemaBuilder::int64()
                .optional()
                .default_value(Value::Int64(0))
                .unwrap()
                .build(),
        )
        .unwrap()
        .field("other", SchemaBuilder::string().required().build())
        .unwrap()
        .build();
    let input = || {
        Value::Struct(
            Struct::from_values(schema.clone(), vec![Value::Null, Value::from("test")]).unwrap(),
        )
    };
    for (replace, expected) in [("false", Value::Null), ("true", Value::Timestamp(0))] {
        let mut t = converter(
            "Timestamp",
            &[("field", "ts"), ("replace.null.with.default", replace)],
        );
        let out = value_after(&mut t, SchemaAndValue::new(Some(schema.clone()), input()));
        let s = out.value.as_struct().unwrap();
        assert_eq!(
            s.get_without_default("ts"),
            Some(&expected),
            "replace={replace}"
        );
        let ts = s.schema().field("ts").unwrap().schema();
        assert_eq!(kind(ts), target_kind("Timestamp", true));
        assert_eq!(ts.default_value(), None);
    }
}
