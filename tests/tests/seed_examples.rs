//! The seed document's examples, verbatim, through the real converters and transforms.

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

use connect_api::{
    Config, ConnectRecord, FieldType, RecordConverter, RecordOffset, RecordPartition, Value,
};
use connect_converters::create_converter;
use connect_tests::fixture;
use connect_transforms::TransformChain;
use serde_json::json;

const JSON_CONVERTER: &str =
    "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter";

fn json_converter() -> Box<dyn RecordConverter> {
    create_converter("value.converter", JSON_CONVERTER, &Config::new(), false).unwrap()
}

/// The seed's `employee` envelope decodes to the declared struct schema and values.
#[test]
fn seed_envelope_decodes_to_the_right_schema_and_struct() {
    let converter = json_converter();
    let decoded = converter
        .decode(
            "test-topic-02",
            Some(&fixture("seed_employee_envelope.json")),
        )
        .unwrap();
    let schema = decoded.schema.expect("envelope carries a schema");
    assert_eq!(schema.field_type(), FieldType::Struct);
    assert_eq!(
        schema.name(),
        Some("server_026.test_database.employee_copy3.Value")
    );
    assert!(schema.is_optional());
    let fields: Vec<(&str, FieldType)> = schema
        .fields()
        .iter()
        .map(|f| (f.name(), f.schema().field_type()))
        .collect();
    assert_eq!(
        fields,
        [
            ("id", FieldType::Int64),
            ("name", FieldType::String),
            ("howold", FieldType::Int32),
            ("male", FieldType::Int32),
            ("company", FieldType::String),
            ("money", FieldType::Float64),
            ("begin_time", FieldType::Int64),
            ("modify_time", FieldType::String),
        ]
    );
    assert_eq!(
        schema.field("begin_time").unwrap().schema().name(),
        Some("io.debezium.time.Timestamp")
    );
    assert!(schema.fields().iter().all(|f| f.schema().is_optional()));

    let employee = decoded.value.as_struct().expect("payload is a struct");
    assert_eq!(employee.get_int64("id").unwrap(), Some(12));
    assert_eq!(employee.get_string("name").unwrap(), Some("name-06"));
    assert_eq!(employee.get_int32("howold").unwrap(), Some(19));
    assert_eq!(employee.get_int32("male").unwrap(), Some(3));
    assert_eq!(employee.get("company"), Some(&Value::Null));
    assert_eq!(employee.get_float64("money").unwrap(), Some(0.0));
    assert_eq!(employee.get("begin_time"), Some(&Value::Null));
    assert_eq!(
        employee.get_string("modify_time").unwrap(),
        Some("2022-06-14T11:57:51Z")
    );
}

/// Encoding the decoded record gives back an equivalent envelope: the same schema JSON and the
/// same payload (numbers compared by value: `0` and `0.0` are the same double).
#[test]
fn seed_envelope_encodes_back_to_an_equivalent_envelope() {
    let converter = json_converter();
    let original: serde_json::Value =
        serde_json::from_slice(&fixture("seed_employee_envelope.json")).unwrap();
    let decoded = converter
        .decode("t", Some(&fixture("seed_employee_envelope.json")))
        .unwrap();
    let encoded = converter
        .encode("t", decoded.schema.as_deref(), &decoded.value)
        .unwrap()
        .unwrap();
    let reencoded: serde_json::Value = serde_json::from_slice(&encoded).unwrap();

    assert_eq!(reencoded["schema"], original["schema"]);
    let (a, b) = (
        original["payload"].as_object().unwrap(),
        reencoded["payload"].as_object().unwrap(),
    );
    assert_eq!(a.len(), b.len());
    for (key, left) in a {
        let right = &b[key];
        match (left.as_f64(), right.as_f64()) {
            (Some(l), Some(r)) => assert_eq!(l, r, "payload.{key}"),
            _ => assert_eq!(left, right, "payload.{key}"),
        }
    }
    // And it decodes to exactly the same thing again.
    assert_eq!(converter.decode("t", Some(&encoded)).unwrap(), decoded);
}

fn seed_record() -> ConnectRecord {
    let decoded = json_converter()
        .decode("t", Some(&fixture("seed_employee_envelope.json")))
        .unwrap();
    ConnectRecord::new(
        RecordPartition::new().with("table", "employee"),
        RecordOffset::new().with("id", 12),
        Some(1),
    )
    .with_value(decoded.schema, decoded.value)
}

fn config(json: serde_json::Value) -> Config {
    json.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// The seed's single-transform connector config, on the seed's envelope, end to end:
/// decode → PatternRename$Value → encode. Extra connector keys are ignored by the chain.
#[test]
fn seed_single_transform_config_on_the_seed_envelope() {
    let connector = config(json!({
        "connector.class": "org.apache.rocketmq.connect.jdbc.connector.JdbcSourceConnector",
        "max.tasks": "1",
        "connect.topicname": "test-topic-02",
        "transforms": "Replace",
        "transforms.Replace.field.pattern": "company",
        "transforms.Replace.field.replacement": "company02",
        "transforms.Replace.class": "org.apache.rocketmq.connect.transforms.PatternRename$Value",
        "key.converter": JSON_CONVERTER,
        "value.converter": JSON_CONVERTER
    }));
    let mut chain = TransformChain::from_config(&connector).unwrap();
    let out = chain.apply(seed_record()).unwrap().unwrap();
    let converter = create_converter(
        "value.converter",
        connector.get("value.converter").unwrap(),
        &Config::new(),
        false,
    )
    .unwrap();
    let bytes = converter
        .encode("test-topic-02", out.value_schema.as_deref(), &out.value)
        .unwrap()
        .unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let names: Vec<&str> = envelope["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "name",
            "howold",
            "male",
            "company02",
            "money",
            "begin_time",
            "modify_time"
        ]
    );
    assert!(envelope["payload"].get("company").is_none());
    assert_eq!(envelope["payload"]["company02"], serde_json::Value::Null);
    assert_eq!(envelope["payload"]["id"], json!(12));
}

/// The seed's two-transform config runs both, in the listed order.
#[test]
fn seed_multiple_transform_config_on_the_seed_envelope() {
    let connector = config(json!({
        "transforms": "Replace, Replace02",
        "transforms.Replace.field.pattern": "company",
        "transforms.Replace.field.replacement": "company02",
        "transforms.Replace.class": "org.apache.rocketmq.connect.transforms.PatternRename$Value",
        "transforms.Replace02.field.pattern": "company02",
        "transforms.Replace02.field.replacement": "company03",
        "transforms.Replace02.class": "org.apache.rocketmq.connect.transforms.PatternRename$Value"
    }));
    let mut chain = TransformChain::from_config(&connector).unwrap();
    let out = chain.apply(seed_record()).unwrap().unwrap();
    let schema = out.value_schema.unwrap();
    assert!(schema.field("company03").is_some());
    assert!(schema.field("company").is_none() && schema.field("company02").is_none());
    assert_eq!(
        out.value.as_struct().unwrap().get_int64("id").unwrap(),
        Some(12)
    );
}
