//! `rocketmq-connect transform`: runs messages from stdin through a connector configuration's
//! converters and transform chain, printing each result on one line, so any chain can be
//! tried from the shell.
//!
//! `--input json` (default) and `--input lines` read message bodies and print the value as the
//! value converter writes it. `--input record` reads whole records —
//! `{"topic", "key", "value", "headers", "partition", "offset", "timestamp"}`, all optional — and
//! prints the whole record after the chain in the same form, so routers, header transforms
//! and key transforms show what they did. In a record, a string key or value is the message's
//! text as it is on the wire; any other JSON value stands for its JSON text.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use clap::ValueEnum;
use connect_api::data::TOPIC_EXTENSION;
use connect_api::{Config, ConnectRecord, RecordOffset, RecordPartition};
use connect_dataplane::pipeline::{DEFAULT_CONVERTER, Pipeline};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use serde_json::value::RawValue;

/// How stdin is split into messages.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Input {
    /// A stream of JSON documents (each may span lines), each a message body.
    Json,
    /// One message body per line.
    Lines,
    /// A stream of JSON records: topic, key, value, headers, partition, offset, timestamp.
    Record,
}

/// A record as the command prints it (the same fields as [`RecordJson`]).
#[derive(Debug, Serialize)]
struct RecordOut {
    topic: Option<String>,
    partition: Option<i64>,
    offset: Option<i64>,
    timestamp: Option<i64>,
    headers: BTreeMap<String, String>,
    key: Option<Box<RawValue>>,
    value: Option<Box<RawValue>>,
}

/// A record as `--input record` reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordJson {
    #[serde(default)]
    topic: Option<String>,
    /// The queue (Kafka's partition).
    #[serde(default)]
    partition: Option<i64>,
    /// The queue offset.
    #[serde(default)]
    offset: Option<i64>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    timestamp: Option<i64>,
    /// Headers (the record's extensions); values are text.
    #[serde(default)]
    headers: BTreeMap<String, Json>,
    /// As written: its text is the message's (field order and number digits kept).
    #[serde(default)]
    key: Option<Box<RawValue>>,
    #[serde(default)]
    value: Option<Box<RawValue>>,
}

/// The message bytes a record's key or value stands for: a JSON string is the text on the
/// wire; `null` is no bytes; anything else is its JSON text exactly as written.
fn wire_bytes(raw: Option<&RawValue>) -> Result<Option<Vec<u8>>, String> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    match raw.get() {
        "null" => Ok(None),
        text if text.starts_with('"') => serde_json::from_str::<String>(text)
            .map(|s| Some(s.into_bytes()))
            .map_err(|e| e.to_string()),
        text => Ok(Some(text.as_bytes().to_vec())),
    }
}

/// Encoded bytes shown in a record: the converter's JSON exactly as written (field order
/// kept), else the bytes as a JSON string.
fn shown(bytes: Option<Vec<u8>>) -> Option<Box<RawValue>> {
    let text = String::from_utf8_lossy(&bytes?).into_owned();
    match RawValue::from_string(text.clone()) {
        Ok(raw) => Some(raw),
        Err(_) => serde_json::to_string(&text)
            .ok()
            .and_then(|quoted| RawValue::from_string(quoted).ok()),
    }
}

fn header_text(value: Json) -> String {
    match value {
        Json::String(text) => text,
        other => other.to_string(),
    }
}

/// Runs one `--input record` document through the pipeline; `None` when it was dropped.
fn run_record(
    pipeline: &mut Pipeline,
    default_topic: &str,
    text: &str,
) -> Result<Option<String>, String> {
    let input: RecordJson = serde_json::from_str(text).map_err(|e| format!("not a record: {e}"))?;
    let topic = input.topic.as_deref().unwrap_or(default_topic);
    let mut record = pipeline
        .decode(
            topic,
            wire_bytes(input.key.as_deref())?.as_deref(),
            wire_bytes(input.value.as_deref())?.as_deref(),
        )
        .map_err(|e| e.to_string())?;
    let mut partition = RecordPartition::new().with("topic", topic);
    if let Some(queue) = input.partition {
        partition.insert("queueId", queue.to_string());
    }
    let offset = input.offset.map_or_else(RecordOffset::new, |o| {
        RecordOffset::new().with("queueOffset", o.to_string())
    });
    record.position.partition = partition;
    record.position.offset = offset;
    record.timestamp = input.timestamp;
    for (name, value) in input.headers {
        record.extensions.put(name, header_text(value));
    }
    let Some(record) = pipeline.transform(record).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let out = record_json(pipeline, &record)?;
    serde_json::to_string(&out)
        .map(Some)
        .map_err(|e| e.to_string())
}

fn record_json(pipeline: &Pipeline, record: &ConnectRecord) -> Result<RecordOut, String> {
    let headers = record
        .extensions
        .iter()
        .filter(|(name, _)| *name != TOPIC_EXTENSION)
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    Ok(RecordOut {
        topic: record.topic().map(str::to_owned),
        partition: record.position.partition.get_i64("queueId"),
        offset: record.position.offset.get_i64("queueOffset"),
        timestamp: record.timestamp,
        headers,
        key: shown(
            pipeline
                .encode_key(record)
                .map_err(|e| format!("key: {e}"))?,
        ),
        value: shown(
            pipeline
                .encode_value(record)
                .map_err(|e| format!("value: {e}"))?,
        ),
    })
}

/// The messages on stdin, one per JSON document or line.
fn messages(input: Input) -> Box<dyn Iterator<Item = Result<Vec<u8>, String>>> {
    let stdin = std::io::stdin().lock();
    match input {
        Input::Lines => Box::new(
            stdin
                .lines()
                .map(|l| l.map(String::into_bytes).map_err(|e| e.to_string())),
        ),
        // Each document's text as written: the converter sees the message's own bytes.
        Input::Json | Input::Record => Box::new(
            serde_json::Deserializer::from_reader(stdin)
                .into_iter::<Box<RawValue>>()
                .map(|v| {
                    v.map(|v| v.get().as_bytes().to_vec())
                        .map_err(|e| format!("invalid JSON input: {e}"))
                }),
        ),
    }
}

/// Runs the command; the number of messages that failed.
#[allow(clippy::print_stdout, reason = "this is the command's output")]
pub fn run(config: &Config, topic: &str, input: Input) -> Result<usize, String> {
    let mut pipeline = Pipeline::from_config(config, DEFAULT_CONVERTER, DEFAULT_CONVERTER)
        .map_err(|e| e.to_string())?;
    let mut failures = 0;
    let mut out = std::io::stdout().lock();
    for (index, message) in messages(input).enumerate() {
        let line = message.and_then(|bytes| match input {
            Input::Record => {
                let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
                run_record(&mut pipeline, topic, &text)
            }
            Input::Json | Input::Lines => {
                let record = pipeline
                    .decode_and_transform(topic, None, Some(&bytes))
                    .map_err(|e| e.to_string())?;
                record
                    .map(|r| {
                        let bytes = pipeline.encode_value(&r).map_err(|e| e.to_string())?;
                        Ok(bytes.map_or_else(
                            || "null".to_owned(),
                            |b| String::from_utf8_lossy(&b).into_owned(),
                        ))
                    })
                    .transpose()
            }
        });
        match line {
            Ok(Some(line)) => writeln!(out, "{line}").map_err(|e| e.to_string())?,
            Ok(None) => eprintln!("message {index}: dropped by a transform"),
            Err(e) => {
                failures += 1;
                eprintln!("message {index}: {e}");
            }
        }
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(pairs: &[(&str, &str)]) -> Pipeline {
        let config: Config = pairs.iter().copied().collect();
        Pipeline::from_config(&config, DEFAULT_CONVERTER, DEFAULT_CONVERTER).unwrap()
    }

    fn run_one(pipeline: &mut Pipeline, record: Json) -> Json {
        let line = run_record(pipeline, "test-topic", &record.to_string())
            .unwrap()
            .unwrap();
        serde_json::from_str(&line).unwrap()
    }

    /// A router, a header transform and a key transform, all visible in the printed record.
    #[test]
    fn whole_records_round_trip_through_a_chain() {
        let mut p = pipeline(&[
            (
                "key.converter",
                "org.apache.rocketmq.connect.runtime.converter.record.StringConverter",
            ),
            (
                "value.converter",
                "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
            ("transforms", "route,tag,drop"),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.TimestampRouter",
            ),
            (
                "transforms.tag.type",
                "org.apache.kafka.connect.transforms.InsertHeader",
            ),
            ("transforms.tag.header", "origin"),
            ("transforms.tag.value.literal", "cli"),
            (
                "transforms.drop.type",
                "org.apache.kafka.connect.transforms.DropHeaders",
            ),
            ("transforms.drop.headers", "secret"),
        ]);
        let out = run_one(
            &mut p,
            serde_json::json!({
                "topic": "orders", "partition": 3, "offset": 17, "timestamp": 1_483_425_001_864_i64,
                "headers": {"secret": "x", "trace": "t-1"},
                "key": "order-1", "value": {"id": 1}
            }),
        );
        assert_eq!(
            out,
            serde_json::json!({
                "topic": "orders-20170103", "partition": 3, "offset": 17,
                "timestamp": 1_483_425_001_864_i64,
                "headers": {"origin": "cli", "trace": "t-1"},
                "key": "order-1", "value": {"id": 1}
            })
        );
        // Bytes are printed as the converter wrote them, field order included (the string
        // converter keeps the key's text as it is).
        let line = run_record(
            &mut p,
            "t",
            r#"{"timestamp": 0, "key": "{\"b\":1,\"a\":2}"}"#,
        )
        .unwrap()
        .unwrap();
        assert!(line.contains(r#""key":{"b":1,"a":2}"#), "{line}");
        // A JSON key or value stands for its text exactly as written: order and digits kept.
        let line = run_record(
            &mut p,
            "t",
            r#"{"timestamp": 0, "key": {"b": 1, "a": 12345678901234567890.5}}"#,
        )
        .unwrap()
        .unwrap();
        assert!(
            line.contains(r#""key":{"b": 1, "a": 12345678901234567890.5}"#),
            "{line}"
        );
    }

    /// A logical type made by a transform is written with the converter's family's name: a
    /// Kafka pipeline gives Kafka readers `org.apache.kafka.connect.data.Timestamp`.
    #[test]
    fn logical_types_made_by_transforms_take_the_pipelines_names() {
        for (converter, name) in [
            (
                "org.apache.kafka.connect.json.JsonConverter",
                "org.apache.kafka.connect.data.Timestamp",
            ),
            (
                "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter",
                "io.openmessaging.connector.api.data.logical.Timestamp",
            ),
        ] {
            let mut p = pipeline(&[
                ("value.converter", converter),
                ("transforms", "ts"),
                (
                    "transforms.ts.type",
                    "org.apache.kafka.connect.transforms.TimestampConverter$Value",
                ),
                ("transforms.ts.target.type", "Timestamp"),
            ]);
            let out = run_one(
                &mut p,
                serde_json::json!({"value": {"schema": {"type": "int64"}, "payload": 1000}}),
            );
            assert_eq!(
                out["value"]["schema"]["name"],
                serde_json::json!(name),
                "{converter}"
            );
            assert_eq!(out["value"]["payload"], serde_json::json!(1000));
        }
    }

    #[test]
    fn bad_records_are_errors_naming_the_problem() {
        let mut p = pipeline(&[]);
        let err = run_record(&mut p, "t", r#"{"valeu": 1}"#).unwrap_err();
        assert!(err.contains("valeu"), "{err}");
        let err = run_record(&mut p, "t", "[1]").unwrap_err();
        assert!(err.contains("not a record"), "{err}");
        // A value its converter cannot read, and a chain that fails: each an error naming why.
        let mut json = pipeline(&[(
            "value.converter",
            "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter",
        )]);
        let err = run_record(&mut json, "t", r#"{"value": "not json"}"#).unwrap_err();
        assert!(err.contains("invalid JSON"), "{err}");
        let mut failing = pipeline(&[
            ("transforms", "ts"),
            (
                "transforms.ts.type",
                "org.apache.kafka.connect.transforms.TimestampRouter",
            ),
        ]);
        let err = run_record(&mut failing, "t", r#"{"value": "v"}"#).unwrap_err();
        assert!(err.contains("no timestamp"), "{err}");
    }
}
