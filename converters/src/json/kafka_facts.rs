//! Kafka's own JsonConverter tests (apache/kafka `connect/json` JsonConverterTest and
//! JsonConverterConfigTest) replayed as facts: the same inputs, the same expected schemas and
//! values. Kafka compares parsed JSON trees, so the writing facts do too, except where the
//! exact text is the point (float32 precision, a decimal's scale). Deliberate differences are
//! in the README's table (lenient numeric narrowing, exact NUMERIC reads past 15 digits).

use std::str::FromStr;

use bigdecimal::BigDecimal;
use connect_api::{
    Config, RecordConverter, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value,
};
use serde_json::{Value as Json, json};

use super::JsonConverter;

const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
const DATE: &str = "org.apache.kafka.connect.data.Date";
const TIME: &str = "org.apache.kafka.connect.data.Time";
const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

fn converter(pairs: &[(&str, &str)]) -> JsonConverter {
    let config = pairs
        .iter()
        .fold(Config::new(), |config, (k, v)| config.with(*k, *v));
    // Kafka's class name: logical types are written with Kafka's names.
    let mut c = JsonConverter::kafka();
    c.configure(&config, false).unwrap();
    c
}

fn read(c: &JsonConverter, text: &str) -> SchemaAndValue {
    c.decode("topic", Some(text.as_bytes()))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn written(c: &JsonConverter, schema: Option<&SchemaRef>, value: &Value) -> Json {
    let bytes = c
        .encode("topic", schema.map(AsRef::as_ref), value)
        .unwrap()
        .expect("a message");
    serde_json::from_slice(&bytes).unwrap()
}

fn kafka_decimal(scale: i32) -> SchemaBuilder {
    SchemaBuilder::bytes()
        .required()
        .name(DECIMAL)
        .version(1)
        .parameter("scale", scale.to_string())
}

fn decimal(text: &str) -> Value {
    Value::Decimal(BigDecimal::from_str(text).unwrap())
}

/// Logical types take the names of the converter's family, whatever built the schema: a
/// schema made by a RocketMQ-named source or transform reaches a Kafka reader as Kafka's
/// Timestamp, and the other way round; both names are read.
#[test]
fn logical_names_follow_the_converters_family() {
    let rocketmq_named = SchemaBuilder::timestamp().required().build();
    let kafka_named = SchemaBuilder::int64()
        .required()
        .name(TIMESTAMP)
        .version(1)
        .build();
    let value = Value::Timestamp(4_000_000_000);
    let kafka = converter(&[]);
    let rocketmq = JsonConverter::new();
    for schema in [&rocketmq_named, &kafka_named] {
        assert_eq!(
            written(&kafka, Some(schema), &value)["schema"]["name"],
            json!(TIMESTAMP)
        );
        assert_eq!(
            written(&rocketmq, Some(schema), &value)["schema"]["name"],
            json!("io.openmessaging.connector.api.data.logical.Timestamp")
        );
    }
    for c in [&kafka, &rocketmq] {
        for name in [
            TIMESTAMP,
            "io.openmessaging.connector.api.data.logical.Timestamp",
        ] {
            let input = format!(
                r#"{{"schema":{{"type":"int64","name":"{name}","version":1}},"payload":42}}"#
            );
            assert_eq!(read(c, &input).value, Value::Timestamp(42), "{name}");
        }
    }
}

#[test]
fn config_decimal_format_is_case_insensitive_and_cache_size_one_is_fine() {
    let c = converter(&[("decimal.format", "NuMeRiC"), ("schemas.cache.size", "1")]);
    let schema = kafka_decimal(2).build();
    let out = written(&c, Some(&schema), &decimal("1.56"));
    assert_eq!(out["payload"], json!(1.56));
}

#[test]
fn reads_primitives_with_their_schemas() {
    let c = converter(&[]);
    let cases: Vec<(&str, SchemaRef, Value)> = vec![
        (
            r#"{"schema":{"type":"boolean"},"payload":true}"#,
            SchemaBuilder::bool().required().build(),
            Value::Boolean(true),
        ),
        (
            r#"{"schema":{"type":"boolean","optional":true},"payload":null}"#,
            SchemaBuilder::bool().optional().build(),
            Value::Null,
        ),
        (
            r#"{"schema":{"type":"boolean","default":true},"payload":null}"#,
            SchemaBuilder::bool()
                .required()
                .default_value(Value::Boolean(true))
                .unwrap()
                .build(),
            Value::Boolean(true),
        ),
        (
            r#"{"schema":{"type":"boolean","optional":false,"name":"bool","version":2,"doc":"the documentation","parameters":{"foo":"bar"}},"payload":true}"#,
            SchemaBuilder::bool()
                .required()
                .name("bool")
                .version(2)
                .doc("the documentation")
                .parameter("foo", "bar")
                .build(),
            Value::Boolean(true),
        ),
        (
            r#"{"schema":{"type":"int8"},"payload":12}"#,
            SchemaBuilder::int8().required().build(),
            Value::Int8(12),
        ),
        (
            r#"{"schema":{"type":"int16"},"payload":12}"#,
            SchemaBuilder::int16().required().build(),
            Value::Int16(12),
        ),
        (
            r#"{"schema":{"type":"int32"},"payload":12}"#,
            SchemaBuilder::int32().required().build(),
            Value::Int32(12),
        ),
        (
            r#"{"schema":{"type":"int64"},"payload":12}"#,
            SchemaBuilder::int64().required().build(),
            Value::Int64(12),
        ),
        (
            r#"{"schema":{"type":"int64"},"payload":4398046511104}"#,
            SchemaBuilder::int64().required().build(),
            Value::Int64(4_398_046_511_104),
        ),
        (
            r#"{"schema":{"type":"float"},"payload":12.34}"#,
            SchemaBuilder::float32().required().build(),
            Value::Float32(12.34),
        ),
        (
            r#"{"schema":{"type":"double"},"payload":12.34}"#,
            SchemaBuilder::float64().required().build(),
            Value::Float64(12.34),
        ),
        (
            r#"{"schema":{"type":"bytes"},"payload":"dGVzdC1zdHJpbmc="}"#,
            SchemaBuilder::bytes().required().build(),
            Value::Bytes(b"test-string".to_vec()),
        ),
        (
            r#"{"schema":{"type":"string"},"payload":"foo-bar-baz"}"#,
            SchemaBuilder::string().required().build(),
            Value::from("foo-bar-baz"),
        ),
    ];
    for (input, schema, value) in cases {
        let got = read(&c, input);
        assert_eq!(got.schema.as_ref(), Some(&schema), "{input}");
        assert_eq!(got.value, value, "{input}");
    }
}

#[test]
fn reads_numbers_written_with_leading_zeros() {
    let c = converter(&[]);
    let cases = [
        (
            r#"{"schema":{"type":"int8"},"payload":0012}"#,
            Value::Int8(12),
        ),
        (
            r#"{"schema":{"type":"int16"},"payload":000123}"#,
            Value::Int16(123),
        ),
        (
            r#"{"schema":{"type":"int32"},"payload":000012345}"#,
            Value::Int32(12_345),
        ),
        (
            r#"{"schema":{"type":"int64"},"payload":00000123456789}"#,
            Value::Int64(123_456_789),
        ),
    ];
    for (input, value) in cases {
        assert_eq!(read(&c, input).value, value, "{input}");
    }
    // Once the zeros are read past, a value that does not fit says so (not "invalid number").
    let err = c
        .decode(
            "topic",
            Some(br#"{"schema":{"type":"int8"},"payload":0300}"#),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected an int8"), "{err}");
}

#[test]
fn reads_arrays_maps_and_structs() {
    let c = converter(&[]);
    let int32 = SchemaBuilder::int32().required().build();
    let got = read(
        &c,
        r#"{"schema":{"type":"array","items":{"type":"int32"}},"payload":[1,2,3]}"#,
    );
    assert_eq!(
        got.schema,
        Some(SchemaBuilder::array(int32.clone()).required().build())
    );
    assert_eq!(
        got.value,
        Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)])
    );

    let string = SchemaBuilder::string().required().build();
    let got = read(
        &c,
        r#"{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":{"key1":12,"key2":15}}"#,
    );
    assert_eq!(
        got.schema,
        Some(SchemaBuilder::map(string, int32.clone()).required().build())
    );
    assert_eq!(
        got.value,
        Value::Map(vec![
            (Value::from("key1"), Value::Int32(12)),
            (Value::from("key2"), Value::Int32(15))
        ])
    );

    let got = read(
        &c,
        r#"{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[[1,12],[2,15]]}"#,
    );
    assert_eq!(
        got.value,
        Value::Map(vec![
            (Value::Int32(1), Value::Int32(12)),
            (Value::Int32(2), Value::Int32(15))
        ])
    );

    let got = read(
        &c,
        r#"{"schema":{"type":"struct","fields":[{"field":"field1","type":"boolean"},{"field":"field2","type":"string"}]},"payload":{"field1":true,"field2":"string"}}"#,
    );
    let s = got.value.as_struct().unwrap();
    assert_eq!(s.get("field1"), Some(&Value::Boolean(true)));
    assert_eq!(s.get_string("field2").unwrap(), Some("string"));

    // An optional field absent from the payload is null.
    let got = read(
        &c,
        r#"{"schema":{"type":"struct","fields":[{"field":"optional","type":"string","optional":true},{"field":"required","type":"string"}]},"payload":{"required":"required"}}"#,
    );
    let s = got.value.as_struct().unwrap();
    assert_eq!(s.get("optional"), Some(&Value::Null));
    assert_eq!(s.get_string("required").unwrap(), Some("required"));
}

#[test]
fn reads_nulls_and_schemaless_envelopes() {
    let c = converter(&[]);
    assert_eq!(c.decode("topic", None).unwrap(), SchemaAndValue::null());
    assert_eq!(
        read(&c, r#"{"schema":null,"payload":null}"#),
        SchemaAndValue::null()
    );
    let cases = [
        ("true", Value::Boolean(true)),
        ("12", Value::Int64(12)),
        ("12.24", Value::Float64(12.24)),
        (r#""a string""#, Value::from("a string")),
        (
            r#"[1,"2",3]"#,
            Value::Array(vec![Value::Int64(1), Value::from("2"), Value::Int64(3)]),
        ),
        (
            r#"{"field1":1,"field2":2}"#,
            Value::Map(vec![
                (Value::from("field1"), Value::Int64(1)),
                (Value::from("field2"), Value::Int64(2)),
            ]),
        ),
    ];
    for (payload, value) in cases {
        let got = read(&c, &format!(r#"{{"schema":null,"payload":{payload}}}"#));
        assert_eq!(got, SchemaAndValue::new(None, value), "{payload}");
    }
}

#[test]
fn reads_logical_types() {
    let c = converter(&[]);
    let cases: Vec<(&str, Value)> = vec![
        (
            r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"AJw="}"#,
            decimal("1.56"),
        ),
        (
            r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"optional":true,"parameters":{"scale":"2"}},"payload":null}"#,
            Value::Null,
        ),
        (
            r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"default":"AJw=","parameters":{"scale":"2"}},"payload":null}"#,
            decimal("1.56"),
        ),
        (
            r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"optional":true,"default":"AJw=","parameters":{"scale":"2"}},"payload":null}"#,
            decimal("1.56"),
        ),
        // Numbers are read whatever decimal.format says.
        (
            r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":1.56}"#,
            decimal("1.56"),
        ),
        (
            r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4"}},"payload":1.5600}"#,
            decimal("1.5600"),
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date","version":1},"payload":10000}"#,
            Value::Date(10_000),
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date","version":1,"optional":true},"payload":null}"#,
            Value::Null,
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date","version":1,"default":0},"payload":null}"#,
            Value::Date(0),
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date","version":1,"optional":true,"default":0},"payload":null}"#,
            Value::Date(0),
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time","version":1},"payload":14400000}"#,
            Value::Time(14_400_000),
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time","version":1,"optional":true},"payload":null}"#,
            Value::Null,
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time","version":1,"default":0},"payload":null}"#,
            Value::Time(0),
        ),
        (
            r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}"#,
            Value::Timestamp(4_000_000_000),
        ),
        (
            r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1,"optional":true},"payload":null}"#,
            Value::Null,
        ),
        (
            r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1,"default":42},"payload":null}"#,
            Value::Timestamp(42),
        ),
        (
            r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1,"optional":true,"default":42},"payload":null}"#,
            Value::Timestamp(42),
        ),
    ];
    for (input, value) in cases {
        let got = read(&c, input);
        assert_eq!(got.value, value, "{input}");
        // The schema keeps Kafka's name: a Kafka reader downstream sees its own logical type.
        let name = got
            .schema
            .as_ref()
            .and_then(|s| s.name().map(str::to_owned));
        assert!(
            name.is_some_and(|n| n.starts_with("org.apache.kafka.connect.data.")),
            "{input}"
        );
    }
    // Past what an f64 holds, every digit is read.
    let input = r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"17"}},"payload":1.23456789123456789}"#;
    assert_eq!(read(&c, input).value, decimal("1.23456789123456789"));
    // The scale is the schema's: 1.5600 keeps its four digits.
    let Value::Decimal(d) = read(&c, cases_scale_4()).value else {
        panic!("a decimal")
    };
    assert_eq!(d.to_plain_string(), "1.5600");
}

fn cases_scale_4() -> &'static str {
    r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4"}},"payload":1.5600}"#
}

#[test]
fn writes_primitives_with_their_schemas() {
    let c = converter(&[]);
    let cases: Vec<(SchemaRef, Value, Json, Json)> = vec![
        (
            SchemaBuilder::bool().required().build(),
            Value::Boolean(true),
            json!({"type":"boolean","optional":false}),
            json!(true),
        ),
        (
            SchemaBuilder::bool().optional().build(),
            Value::Null,
            json!({"type":"boolean","optional":true}),
            Json::Null,
        ),
        (
            SchemaBuilder::bool()
                .required()
                .default_value(Value::Boolean(true))
                .unwrap()
                .build(),
            Value::Boolean(true),
            json!({"type":"boolean","optional":false,"default":true}),
            json!(true),
        ),
        (
            SchemaBuilder::bool()
                .required()
                .name("bool")
                .version(3)
                .doc("the documentation")
                .parameter("foo", "bar")
                .build(),
            Value::Boolean(true),
            json!({"type":"boolean","optional":false,"name":"bool","version":3,"doc":"the documentation","parameters":{"foo":"bar"}}),
            json!(true),
        ),
        (
            SchemaBuilder::int8().required().build(),
            Value::Int8(12),
            json!({"type":"int8","optional":false}),
            json!(12),
        ),
        (
            SchemaBuilder::int16().required().build(),
            Value::Int16(12),
            json!({"type":"int16","optional":false}),
            json!(12),
        ),
        (
            SchemaBuilder::int32().required().build(),
            Value::Int32(12),
            json!({"type":"int32","optional":false}),
            json!(12),
        ),
        (
            SchemaBuilder::int64().required().build(),
            Value::Int64(4_398_046_511_104),
            json!({"type":"int64","optional":false}),
            json!(4_398_046_511_104_i64),
        ),
        (
            SchemaBuilder::float64().required().build(),
            Value::Float64(12.34),
            json!({"type":"double","optional":false}),
            json!(12.34),
        ),
        (
            SchemaBuilder::bytes().required().build(),
            Value::Bytes(b"test-string".to_vec()),
            json!({"type":"bytes","optional":false}),
            json!("dGVzdC1zdHJpbmc="),
        ),
        (
            SchemaBuilder::string().required().build(),
            Value::from("test-string"),
            json!({"type":"string","optional":false}),
            json!("test-string"),
        ),
        (
            SchemaBuilder::array(SchemaBuilder::int32().required().build())
                .required()
                .build(),
            Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)]),
            json!({"type":"array","items":{"type":"int32","optional":false},"optional":false}),
            json!([1, 2, 3]),
        ),
        (
            SchemaBuilder::map(
                SchemaBuilder::string().required().build(),
                SchemaBuilder::int32().required().build(),
            )
            .required()
            .required()
            .build(),
            Value::Map(vec![
                (Value::from("key1"), Value::Int32(12)),
                (Value::from("key2"), Value::Int32(15)),
            ]),
            json!({"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false}),
            json!({"key1": 12, "key2": 15}),
        ),
        (
            SchemaBuilder::map(
                SchemaBuilder::int32().required().build(),
                SchemaBuilder::int32().required().build(),
            )
            .required()
            .required()
            .build(),
            Value::Map(vec![
                (Value::Int32(1), Value::Int32(12)),
                (Value::Int32(2), Value::Int32(15)),
            ]),
            json!({"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false}),
            json!([[1, 12], [2, 15]]),
        ),
        (
            SchemaBuilder::int32()
                .required()
                .name(DATE)
                .version(1)
                .build(),
            Value::Date(10_000),
            json!({"type":"int32","optional":false,"name":DATE,"version":1}),
            json!(10_000),
        ),
        (
            SchemaBuilder::int32()
                .required()
                .name(TIME)
                .version(1)
                .build(),
            Value::Time(14_400_000),
            json!({"type":"int32","optional":false,"name":TIME,"version":1}),
            json!(14_400_000),
        ),
        (
            SchemaBuilder::int64()
                .required()
                .name(TIMESTAMP)
                .version(1)
                .build(),
            Value::Timestamp(4_000_000_000),
            json!({"type":"int64","optional":false,"name":TIMESTAMP,"version":1}),
            json!(4_000_000_000_i64),
        ),
        (
            kafka_decimal(2).build(),
            decimal("1.56"),
            json!({"type":"bytes","optional":false,"name":DECIMAL,"version":1,"parameters":{"scale":"2"}}),
            json!("AJw="),
        ),
    ];
    for (schema, value, expected_schema, expected_payload) in cases {
        let out = written(&c, Some(&schema), &value);
        assert_eq!(
            out,
            json!({"schema": expected_schema, "payload": expected_payload}),
            "{value:?}"
        );
    }
}

#[test]
fn writes_structs_and_schemaless_values() {
    let c = converter(&[]);
    let schema = SchemaBuilder::struct_()
        .required()
        .field("field1", SchemaBuilder::bool().required().build())
        .unwrap()
        .field("field2", SchemaBuilder::string().required().build())
        .unwrap()
        .field("field3", SchemaBuilder::string().required().build())
        .unwrap()
        .field("field4", SchemaBuilder::bool().required().build())
        .unwrap()
        .build();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("field1", true)
        .unwrap()
        .put("field2", "string2")
        .unwrap()
        .put("field3", "string3")
        .unwrap()
        .put("field4", false)
        .unwrap();
    let out = written(&c, Some(&schema), &Value::Struct(s.clone()));
    assert_eq!(
        out,
        json!({
            "schema": {"type":"struct","optional":false,"fields":[
                {"field":"field1","type":"boolean","optional":false},
                {"field":"field2","type":"string","optional":false},
                {"field":"field3","type":"string","optional":false},
                {"field":"field4","type":"boolean","optional":false}]},
            "payload": {"field1":true,"field2":"string2","field3":"string3","field4":false}
        })
    );
    // A struct whose schema is an equal copy of the declared one is accepted.
    let copy = SchemaBuilder::from_schema(&schema).build();
    assert_eq!(
        written(&c, Some(&copy), &Value::Struct(s))["payload"]["field2"],
        json!("string2")
    );

    assert_eq!(
        written(&c, None, &Value::Boolean(true)),
        json!({"schema": null, "payload": true})
    );
    assert_eq!(
        written(
            &c,
            None,
            &Value::Array(vec![
                Value::Int32(1),
                Value::from("string"),
                Value::Boolean(true)
            ])
        ),
        json!({"schema": null, "payload": [1, "string", true]})
    );
    assert_eq!(
        written(
            &c,
            None,
            &Value::Map(vec![
                (Value::from("key1"), Value::Int32(12)),
                (Value::from("key2"), Value::from("string")),
                (Value::from("key3"), Value::Boolean(true))
            ])
        ),
        json!({"schema": null, "payload": {"key1": 12, "key2": "string", "key3": true}})
    );
    assert_eq!(
        written(
            &c,
            None,
            &Value::Map(vec![
                (Value::from("string"), Value::Int32(12)),
                (Value::Int32(52), Value::from("string")),
                (Value::Boolean(false), Value::Boolean(true))
            ])
        ),
        json!({"schema": null, "payload": [["string", 12], [52, "string"], [false, true]]})
    );
    // A null without a schema is no message at all, with or without envelopes.
    assert_eq!(c.encode("topic", None, &Value::Null).unwrap(), None);
    let plain = converter(&[("schemas.enable", "false")]);
    assert_eq!(plain.encode("topic", None, &Value::Null).unwrap(), None);
    // A value that does not fit its schema is refused.
    let float = SchemaBuilder::float64().required().build();
    assert!(
        c.encode("topic", Some(&float), &Value::Boolean(true))
            .is_err()
    );
}

/// The exact text matters here: a float32 is written with float32 precision and a NUMERIC
/// decimal with its scale (Kafka writes BigDecimal text; `1.5600` is not `1.56` to a reader
/// comparing scales).
#[test]
fn writes_float32_and_numeric_decimals_exactly() {
    let c = converter(&[]);
    let bytes = c
        .encode(
            "topic",
            Some(&SchemaBuilder::float32().required().build()),
            &Value::Float32(12.34),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        r#"{"schema":{"type":"float","optional":false},"payload":12.34}"#
    );

    let numeric = converter(&[("decimal.format", "NUMERIC")]);
    let text = |schema: SchemaRef, value: Value| {
        let out = numeric
            .encode("topic", Some(&schema), &value)
            .unwrap()
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        text[text.find("\"payload\":").unwrap() + 10..text.len() - 1].to_owned()
    };
    assert_eq!(text(kafka_decimal(2).build(), decimal("1.56")), "1.56");
    assert_eq!(text(kafka_decimal(4).build(), decimal("1.5600")), "1.5600");
    // Past what an f64 holds, every digit is kept.
    assert_eq!(
        text(kafka_decimal(17).build(), decimal("1.23456789123456789")),
        "1.23456789123456789"
    );
    assert_eq!(
        text(
            kafka_decimal(0).build(),
            decimal("123456789012345678901234567890")
        ),
        "123456789012345678901234567890"
    );
}

/// Jackson keeps an object's field order; so do we (a schemaless map, key by key).
#[test]
fn schemaless_maps_keep_their_key_order() {
    let c = converter(&[("schemas.enable", "false")]);
    let got = read(&c, r#"{"zeta":1,"alpha":{"y":2,"b":3},"mid":[1]}"#);
    let Value::Map(entries) = &got.value else {
        panic!("{got:?}")
    };
    let keys: Vec<String> = entries.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["zeta", "alpha", "mid"]);
    let out = c.encode("topic", None, &got.value).unwrap().unwrap();
    assert_eq!(out, br#"{"zeta":1,"alpha":{"y":2,"b":3},"mid":[1]}"#);
}

#[test]
fn schemas_disabled_reads_plain_json_and_an_empty_message_as_null() {
    let c = converter(&[("schemas.enable", "false")]);
    assert_eq!(
        read(&c, "true"),
        SchemaAndValue::new(None, Value::Boolean(true))
    );
    assert_eq!(read(&c, ""), SchemaAndValue::null());
    assert_eq!(
        read(&c, r#"{"a":"","b":null}"#).value,
        Value::Map(vec![
            (Value::from("a"), Value::from("")),
            (Value::from("b"), Value::Null)
        ])
    );
    let out = c
        .encode("topic", None, &Value::Boolean(true))
        .unwrap()
        .unwrap();
    assert_eq!(out, b"true");
    // With a schema the bare payload is still written by that schema (a base64 decimal).
    let out = c
        .encode("topic", Some(&kafka_decimal(2).build()), &decimal("1.56"))
        .unwrap()
        .unwrap();
    assert_eq!(out, br#""AJw=""#);
    // With envelopes, an empty message is no envelope: an error that says so.
    let enveloped = converter(&[]);
    let err = enveloped
        .decode("topic", Some(b""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid JSON"), "{err}");
}

#[test]
fn an_envelope_has_exactly_schema_and_payload() {
    let c = converter(&[]);
    let err = c
        .decode("topic", Some(br#"{"schema":null,"payload":1,"extra":2}"#))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("exactly two") && err.contains("schemas.enable=false"),
        "{err}"
    );
}

/// `replace.null.with.default` (KIP-1040): `true` (the default) writes and reads a null as its
/// schema's default; `false` keeps the null.
#[test]
fn replace_null_with_default_on_write_and_read() {
    let optional_with_default = SchemaBuilder::string()
        .optional()
        .default_value(Value::from("default"))
        .unwrap()
        .build();
    let struct_schema = SchemaBuilder::struct_()
        .required()
        .field("field1", optional_with_default.clone())
        .unwrap()
        .build();
    let null_struct =
        Value::Struct(Struct::from_values(struct_schema.clone(), vec![Value::Null]).unwrap());

    let replacing = converter(&[]);
    let keeping = converter(&[("replace.null.with.default", "false")]);

    let expected_schema = json!({"type":"string","optional":true,"default":"default"});
    assert_eq!(
        written(&replacing, Some(&optional_with_default), &Value::Null),
        json!({"schema": expected_schema, "payload": "default"})
    );
    assert_eq!(
        written(&keeping, Some(&optional_with_default), &Value::Null),
        json!({"schema": expected_schema, "payload": null})
    );
    let struct_json = json!({"type":"struct","fields":[{"field":"field1","type":"string","optional":true,"default":"default"}],"optional":false});
    assert_eq!(
        written(&replacing, Some(&struct_schema), &null_struct),
        json!({"schema": struct_json, "payload": {"field1": "default"}})
    );
    assert_eq!(
        written(&keeping, Some(&struct_schema), &null_struct),
        json!({"schema": struct_json, "payload": {"field1": null}})
    );

    let input =
        r#"{"schema":{"type":"string","optional":true,"default":"default"},"payload":null}"#;
    assert_eq!(read(&replacing, input).value, Value::from("default"));
    assert_eq!(read(&keeping, input).value, Value::Null);
    // Keeping nulls, a required schema still refuses one, default or not.
    let required = r#"{"schema":{"type":"string","default":"default"},"payload":null}"#;
    assert!(keeping.decode("topic", Some(required.as_bytes())).is_err());
}

/// The README's deliberate differences from Kafka's JsonConverter, asserted as what we do.
#[test]
fn deliberate_differences() {
    let c = converter(&[]);
    // Narrowing is an error, not a Java cast.
    for input in [
        r#"{"schema":{"type":"int8"},"payload":300}"#,
        r#"{"schema":{"type":"int32"},"payload":12.5}"#,
        r#"{"schema":{"type":"boolean"},"payload":"true"}"#,
    ] {
        let err = c
            .decode("topic", Some(input.as_bytes()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'payload': expected"), "{input}: {err}");
    }
    // NaN is refused.
    assert!(
        c.encode(
            "topic",
            Some(&SchemaBuilder::float64().build()),
            &Value::Float64(f64::NAN)
        )
        .is_err()
    );
    // A Decimal without a schema is written as a number.
    assert_eq!(
        written(&c, None, &decimal("1.50")),
        json!({"schema": null, "payload": 1.50})
    );
    // A struct schema without fields is an empty struct; non-string parameters are their JSON.
    let got = read(&c, r#"{"schema":{"type":"struct"},"payload":{}}"#);
    assert_eq!(got.schema.unwrap().fields().len(), 0);
    let got = read(
        &c,
        r#"{"schema":{"type":"int32","parameters":{"n":1}},"payload":1}"#,
    );
    assert_eq!(
        got.schema
            .unwrap()
            .parameters()
            .get("n")
            .map(String::as_str),
        Some("1")
    );
    // A NUMERIC decimal takes the schema's scale.
    let got = read(
        &c,
        r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":2}"#,
    );
    let Value::Decimal(d) = got.value else {
        panic!("a decimal")
    };
    assert_eq!(d.to_plain_string(), "2.00");
    // Digits the schema's scale cannot hold are an error, not cut off (Kafka keeps 1.567 under
    // a scale-2 schema; a reader of that schema would see a value it cannot represent).
    for payload in ["1.567", "-1.567", "1e10000000"] {
        let input = format!(
            r#"{{"schema":{{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{{"scale":"2"}}}},"payload":{payload}}}"#
        );
        let err = c
            .decode("topic", Some(input.as_bytes()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a decimal"), "{payload}: {err}");
    }
}

/// `testCacheSchemaToConnectConversion` and `testCacheSchemaToJsonConversion`: a schema read or
/// written again is not parsed or serialised again; a different one is.
#[test]
fn schemas_are_cached_both_ways() {
    let c = converter(&[]);
    assert_eq!(c.cached_read_schemas(), 0);
    read(&c, r#"{"schema":{"type":"boolean"},"payload":true}"#);
    assert_eq!(c.cached_read_schemas(), 1);
    read(&c, r#"{"schema":{"type":"boolean"},"payload":true}"#);
    assert_eq!(c.cached_read_schemas(), 1);
    read(
        &c,
        r#"{"schema":{"type":"boolean","optional":true},"payload":true}"#,
    );
    assert_eq!(c.cached_read_schemas(), 2);
    read(
        &c,
        r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#,
    );
    assert_eq!(c.cached_read_schemas(), 3);

    assert_eq!(c.cached_written_schemas(), 0);
    written(
        &c,
        Some(&SchemaBuilder::bool().required().build()),
        &Value::Boolean(true),
    );
    assert_eq!(c.cached_written_schemas(), 1);
    // An equal schema built again is the same cache entry.
    written(
        &c,
        Some(&SchemaBuilder::bool().required().build()),
        &Value::Boolean(true),
    );
    assert_eq!(c.cached_written_schemas(), 1);
    written(
        &c,
        Some(&SchemaBuilder::bool().optional().build()),
        &Value::Boolean(true),
    );
    assert_eq!(c.cached_written_schemas(), 2);
}

/// Schema defaults are read from the same lossless tree as payloads: every digit of a NUMERIC
/// decimal default, and `-0` as an int64 default.
#[test]
fn schema_defaults_lose_nothing() {
    let c = converter(&[]);
    let got = read(
        &c,
        r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"optional":true,"default":1.23456789123456789,"parameters":{"scale":"17"}},"payload":null}"#,
    );
    assert_eq!(got.value, decimal("1.23456789123456789"));
    let got = read(
        &c,
        r#"{"schema":{"type":"int64","optional":true,"default":-0},"payload":null}"#,
    );
    assert_eq!(got.value, Value::Int64(0));
}
