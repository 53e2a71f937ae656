use std::str::FromStr;

use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::BigInt;
use connect_api::{Config, FieldType, RecordConverter, SchemaBuilder, SchemaRef, Struct, Value};
use proptest::prelude::*;
use serde_json::json;

use super::JsonConverter;

fn converter(config: Config) -> JsonConverter {
    let mut c = JsonConverter::new();
    c.configure(&config, false).unwrap();
    c
}

fn roundtrip(
    c: &JsonConverter,
    schema: Option<&SchemaRef>,
    value: &Value,
) -> (Option<SchemaRef>, Value) {
    let bytes = c.encode("t", schema.map(AsRef::as_ref), value).unwrap();
    let back = c.decode("t", bytes.as_deref()).unwrap();
    (back.schema, back.value)
}

/// Logical types travel with their names; Decimal as base64 by default, number when NUMERIC.
#[test]
fn logical_types_round_trip_in_both_decimal_formats() {
    let schema = SchemaBuilder::struct_()
        .field("price", SchemaBuilder::decimal(2).build())
        .unwrap()
        .field("day", SchemaBuilder::date().build())
        .unwrap()
        .field("at", SchemaBuilder::time().build())
        .unwrap()
        .field("ts", SchemaBuilder::timestamp().build())
        .unwrap()
        .build();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("price", BigDecimal::from_str("12.34").unwrap())
        .unwrap();
    s.put("day", Value::Date(19_000)).unwrap();
    s.put("at", Value::Time(3_600_000)).unwrap();
    s.put("ts", Value::Timestamp(1_655_207_871_000)).unwrap();
    let value = Value::Struct(s);

    let base64 = converter(Config::new());
    let bytes = base64.encode("t", Some(&schema), &value).unwrap().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        json["payload"]["price"],
        json!("BNI="),
        "1234 unscaled = 0x04d2"
    );
    assert_eq!(
        json["schema"]["fields"][0]["parameters"]["scale"],
        json!("2")
    );
    assert_eq!(
        roundtrip(&base64, Some(&schema), &value),
        (Some(schema.clone()), value.clone())
    );

    let numeric = converter(Config::new().with("decimal.format", "NUMERIC"));
    let bytes = numeric.encode("t", Some(&schema), &value).unwrap().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["payload"]["price"].to_string(), "12.34");
    assert_eq!(
        roundtrip(&numeric, Some(&schema), &value),
        (Some(schema), value)
    );
}

/// BASE64 decimals are exact at any size (beyond what f64 or i128 hold).
#[test]
fn huge_decimals_are_exact_in_base64() {
    let c = converter(Config::new());
    let schema = SchemaBuilder::decimal(30).build();
    let big =
        BigDecimal::from_str("12345678901234567890123456789012345.123456789012345678901234567890")
            .unwrap();
    assert_eq!(
        roundtrip(&c, Some(&schema), &Value::Decimal(big.clone())).1,
        Value::Decimal(big)
    );
}

/// Maps with string keys are objects; other keys are arrays of pairs (as the Java converter).
#[test]
fn maps_use_objects_or_pair_arrays_by_key_type() {
    let c = converter(Config::new());
    let int_keys = SchemaBuilder::map(
        SchemaBuilder::int32().build(),
        SchemaBuilder::string().build(),
    )
    .build();
    let value = Value::Map(vec![
        (Value::Int32(2), Value::from("b")),
        (Value::Int32(1), Value::from("a")),
    ]);
    let bytes = c.encode("t", Some(&int_keys), &value).unwrap().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["payload"], json!([[2, "b"], [1, "a"]]));
    assert_eq!(roundtrip(&c, Some(&int_keys), &value).1, value);
}

#[test]
fn schemaless_mode_reads_and_writes_plain_json() {
    let c = converter(Config::new().with("schemas.enable", "false"));
    let back = c
        .decode("t", Some(br#"{"a":1,"b":[true,null],"c":1.5}"#))
        .unwrap();
    assert!(back.schema.is_none());
    assert_eq!(back.value.map_get("a"), Some(&Value::Int64(1)));
    assert_eq!(back.value.map_get("c"), Some(&Value::Float64(1.5)));
    let bytes = c.encode("t", None, &back.value).unwrap().unwrap();
    assert_eq!(bytes, br#"{"a":1,"b":[true,null],"c":1.5}"#);
}

#[test]
fn envelope_with_null_schema_is_schemaless() {
    let c = converter(Config::new());
    let back = c
        .decode("t", Some(br#"{"schema":null,"payload":"x"}"#))
        .unwrap();
    assert_eq!((back.schema, back.value), (None, Value::from("x")));
    assert_eq!(c.encode("t", None, &Value::Null).unwrap(), None);
    assert_eq!(c.decode("t", None).unwrap().value, Value::Null);
}

/// Each malformed input gets an error that says what was wrong and where.
#[test]
fn bad_input_is_a_clear_error_never_a_panic() {
    let c = converter(Config::new());
    let cases: &[(&[u8], &str)] = &[
        (b"{not json", "invalid JSON"),
        (br#"{"a":1}"#, "\"schema\" and \"payload\""),
        (br#"{"schema":{"type":"int32"},"payload":"12"}"#, "expected an int32"),
        (br#"{"schema":{"type":"int8"},"payload":300}"#, "expected an int8"),
        (br#"{"schema":{"type":"varchar"},"payload":1}"#, "unknown type \"varchar\""),
        (br#"{"schema":{"optional":true},"payload":1}"#, "no string \"type\""),
        (br#"{"schema":{"type":"struct","fields":[{"type":"int32"}]},"payload":{}}"#, "no string \"field\" name"),
        (br#"{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"}]},"payload":{}}"#, "'payload.id': null for a required"),
        (br#"{"schema":{"type":"bytes"},"payload":"%%%"}"#, "invalid base64"),
        (br#"{"schema":{"type":"array"},"payload":[]}"#, "no \"items\""),
        (br#"{"schema":{"type":"string","optional":false},"payload":null}"#, "null for a required"),
    ];
    for (input, expected) in cases {
        let err = c.decode("t", Some(input)).unwrap_err().to_string();
        assert!(
            err.contains(expected),
            "input {} gave {err}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn encode_rejects_values_that_do_not_fit_the_schema() {
    let c = converter(Config::new());
    let schema = SchemaBuilder::int32().required().build();
    let err = c.encode("t", Some(&schema), &Value::from("x")).unwrap_err();
    assert!(
        err.to_string().contains("string value for a int32 schema"),
        "{err}"
    );
    assert!(c.encode("t", Some(&schema), &Value::Null).is_err());
    let float = SchemaBuilder::float64().build();
    assert!(
        c.encode("t", Some(&float), &Value::Float64(f64::NAN))
            .is_err()
    );
}

#[test]
fn defaults_fill_missing_fields() {
    let c = converter(Config::new());
    let input = br#"{"schema":{"type":"struct","fields":[{"field":"n","type":"int32","default":7}]},"payload":{}}"#;
    let back = c.decode("t", Some(input)).unwrap();
    assert_eq!(
        back.value.as_struct().unwrap().get_int32("n").unwrap(),
        Some(7)
    );
}

#[test]
fn bad_converter_config_names_every_bad_key() {
    let mut c = JsonConverter::new();
    let err = c
        .configure(
            &Config::new()
                .with("schemas.enable", "yes")
                .with("decimal.format", "HEX"),
            false,
        )
        .unwrap_err();
    let keys: Vec<&str> = err.config_errors().iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, vec!["schemas.enable", "decimal.format"]);
}

// ---- property test: encode then decode gives back the same schema and value -------------

fn leaf_schema() -> impl Strategy<Value = SchemaRef> {
    (0..13u8, any::<bool>(), 0..6i32).prop_map(|(kind, optional, scale)| {
        let builder = match kind {
            0 => SchemaBuilder::int8(),
            1 => SchemaBuilder::int16(),
            2 => SchemaBuilder::int32(),
            3 => SchemaBuilder::int64(),
            4 => SchemaBuilder::float32(),
            5 => SchemaBuilder::float64(),
            6 => SchemaBuilder::bool(),
            7 => SchemaBuilder::string(),
            8 => SchemaBuilder::bytes(),
            9 => SchemaBuilder::decimal(scale),
            10 => SchemaBuilder::date(),
            11 => SchemaBuilder::time(),
            _ => SchemaBuilder::timestamp(),
        };
        builder.optional_if(optional).build()
    })
}

fn arb_schema() -> impl Strategy<Value = SchemaRef> {
    leaf_schema().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (inner.clone(), any::<bool>())
                .prop_map(|(e, o)| SchemaBuilder::array(e).optional_if(o).build()),
            (inner.clone(), any::<bool>()).prop_map(|(v, o)| SchemaBuilder::map(
                SchemaBuilder::string().required().build(),
                v
            )
            .optional_if(o)
            .build()),
            (inner.clone(), any::<bool>()).prop_map(|(v, o)| SchemaBuilder::map(
                SchemaBuilder::int32().required().build(),
                v
            )
            .optional_if(o)
            .build()),
            (
                prop::collection::vec(inner, 1..4),
                any::<bool>(),
                "[a-z]{1,8}"
            )
                .prop_map(|(fields, o, name)| {
                    let mut b = SchemaBuilder::struct_().name(name).optional_if(o);
                    for (i, f) in fields.into_iter().enumerate() {
                        b = b.field(format!("f{i}"), f).unwrap();
                    }
                    b.build()
                }),
        ]
    })
}

fn arb_value(schema: SchemaRef) -> BoxedStrategy<Value> {
    let present = arb_present_value(schema.clone());
    if schema.is_optional() {
        prop_oneof![1 => Just(Value::Null), 4 => present].boxed()
    } else {
        present
    }
}

fn arb_present_value(schema: SchemaRef) -> BoxedStrategy<Value> {
    use connect_api::LogicalType;
    if let Some(logical) = schema.logical_type() {
        return match logical {
            // Exact in both formats at any size: unscaled values up to 38 digits.
            LogicalType::Decimal { scale } => any::<i128>()
                .prop_map(move |u| {
                    Value::Decimal(BigDecimal::new(BigInt::from(u), i64::from(scale)))
                })
                .boxed(),
            LogicalType::Date => any::<i32>().prop_map(Value::Date).boxed(),
            LogicalType::Time => (0..86_400_000i32).prop_map(Value::Time).boxed(),
            LogicalType::Timestamp => any::<i64>().prop_map(Value::Timestamp).boxed(),
        };
    }
    let finite32 = prop::num::f32::NORMAL | prop::num::f32::ZERO | prop::num::f32::SUBNORMAL;
    let finite64 = prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL;
    match schema.field_type() {
        FieldType::Int8 => any::<i8>().prop_map(Value::Int8).boxed(),
        FieldType::Int16 => any::<i16>().prop_map(Value::Int16).boxed(),
        FieldType::Int32 => any::<i32>().prop_map(Value::Int32).boxed(),
        FieldType::Int64 => any::<i64>().prop_map(Value::Int64).boxed(),
        FieldType::Float32 => finite32.prop_map(Value::Float32).boxed(),
        FieldType::Float64 => finite64.prop_map(Value::Float64).boxed(),
        FieldType::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        FieldType::String => ".{0,12}".prop_map(Value::String).boxed(),
        FieldType::Bytes => prop::collection::vec(any::<u8>(), 0..16)
            .prop_map(Value::Bytes)
            .boxed(),
        FieldType::Array => {
            let element = schema.value_schema().unwrap().clone();
            prop::collection::vec(arb_value(element), 0..4)
                .prop_map(Value::Array)
                .boxed()
        }
        FieldType::Map => {
            let key = schema.key_schema().unwrap().clone();
            let value = schema.value_schema().unwrap().clone();
            if key.field_type() == FieldType::String {
                // JSON objects come back in key order, so generate sorted unique keys.
                prop::collection::btree_map("[a-z]{1,6}", arb_value(value), 0..4)
                    .prop_map(|m| {
                        Value::Map(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect())
                    })
                    .boxed()
            } else {
                prop::collection::vec(
                    (any::<i32>().prop_map(Value::Int32), arb_value(value)),
                    0..4,
                )
                .prop_map(Value::Map)
                .boxed()
            }
        }
        FieldType::Struct => {
            let fields: Vec<BoxedStrategy<Value>> = schema
                .fields()
                .iter()
                .map(|f| arb_value(f.schema().clone()))
                .collect();
            fields
                .prop_map(move |values| {
                    Value::Struct(Struct::from_values(schema.clone(), values).unwrap())
                })
                .boxed()
        }
        FieldType::Datetime => Just(Value::Null).boxed(),
    }
}

fn arb_schema_and_value() -> impl Strategy<Value = (SchemaRef, Value)> {
    arb_schema().prop_flat_map(|schema| (Just(schema.clone()), arb_value(schema)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any schema'd value survives encode → decode unchanged, schema included.
    #[test]
    fn envelope_round_trip((schema, value) in arb_schema_and_value(), numeric in any::<bool>()) {
        let config = if numeric { Config::new().with("decimal.format", "NUMERIC") } else { Config::new() };
        let c = converter(config);
        let bytes = c.encode("t", Some(&schema), &value).unwrap();
        let back = c.decode("t", bytes.as_deref()).unwrap();
        if bytes.is_some() {
            prop_assert_eq!(back.schema.as_deref(), Some(schema.as_ref()));
        }
        prop_assert_eq!(back.value, value);
    }

    /// Strings, floats and integers are written as serde_json writes them (the encoder does
    /// not use serde): escapes, float digits, signs.
    #[test]
    fn scalars_are_written_as_serde_json_writes_them(
        text in any::<String>(),
        control in prop::collection::vec(0u8..0x30, 0..8),
        double in any::<f64>().prop_filter("finite", |v| v.is_finite()),
        single in any::<f32>().prop_filter("finite", |v| v.is_finite()),
        long in any::<i64>(),
        short in any::<i8>(),
    ) {
        let c = converter(Config::new().with("schemas.enable", "false"));
        let text = text + &String::from_utf8(control).unwrap();
        let cases = [
            (Value::String(text.clone()), serde_json::to_string(&text)),
            (Value::Float64(double), serde_json::to_string(&double)),
            (Value::Float32(single), serde_json::to_string(&single)),
            (Value::Int64(long), serde_json::to_string(&long)),
            (Value::Int8(short), serde_json::to_string(&short)),
        ];
        for (value, expected) in cases {
            let written = c.encode("t", None, &value).unwrap().unwrap();
            prop_assert_eq!(String::from_utf8(written).unwrap(), expected.unwrap());
        }
    }

    /// Arbitrary bytes never panic the decoder.
    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let c = converter(Config::new());
        let _ = c.decode("t", Some(&bytes));
    }
}

/// Writing a schema once per schema gives exactly the bytes of serialising the whole envelope,
/// on a hit, on a miss, for equal schemas at other addresses and after evictions.
#[test]
fn written_schemas_give_the_same_bytes_as_whole_envelopes() {
    use connect_api::data::SchemaBuilder;
    let converter = JsonConverter::new();
    let schema_of = |n: usize| {
        SchemaBuilder::struct_()
            .name(format!("s{n}.Value"))
            .field("id", SchemaBuilder::int64().build())
            .unwrap()
            .field("name\"quoted", SchemaBuilder::string().optional().build())
            .unwrap()
            .build()
    };
    for round in 0..2 {
        for n in 0..(super::WRITTEN_SCHEMAS + 4) {
            let schema = schema_of(n);
            let mut value = connect_api::Struct::new(schema.clone()).unwrap();
            value.put("id", n as i64).unwrap();
            value.put("name\"quoted", format!("r{round}")).unwrap();
            let value = Value::Struct(value);
            // The whole envelope, its schema written by serde and the payload by hand.
            let schema_text = serde_json::to_string(&super::SchemaJson {
                schema: &schema,
                field: None,
                settings: &converter.settings,
            })
            .unwrap();
            let expected = format!(
                r#"{{"schema":{schema_text},"payload":{{"id":{n},"name\"quoted":"r{round}"}}}}"#
            )
            .into_bytes();
            let written = converter
                .encode("t", Some(&schema), &value)
                .unwrap()
                .unwrap();
            assert_eq!(written, expected, "schema {n}, round {round}");
            // Again: now from the cache.
            let again = converter
                .encode("t", Some(&schema), &value)
                .unwrap()
                .unwrap();
            assert_eq!(again, expected);
        }
    }
}
