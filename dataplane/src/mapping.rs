//! Records ⇄ messages, as the Java runtime maps them — the one place that knows both shapes.
//!
//! Record → message (source side): topic from the record's `topic` extension, else
//! `connect.topicname`; key and value through the converters; `connect.timestamp`; the
//! `KEYS`/`TAGS` extensions as keys/tags, every other extension as `connect-ext-<key>`.
//!
//! Message → record (sink side): partition `{"topic", "brokerName", "queueId"}` and offset
//! `{"queueOffset"}` (strings, as the Java runtime); `connect-ext-*` back to extensions;
//! RocketMQ's own properties as `MQ-SYS-<key>`, the message id as `MQ-SYS-MSG_ID`.

use connect_api::{ConnectError, ConnectRecord, RecordOffset, RecordPartition};

use crate::failure::{Failure, Origin, Stage};
use crate::mq::{IncomingMessage, OutgoingMessage, QueueRef, TIMESTAMP_PROPERTY};
use crate::pipeline::Pipeline;

/// Prefix of extensions carried as message properties.
pub const EXTENSION_PREFIX: &str = "connect-ext-";

/// Message properties RocketMQ itself sets, renamed `MQ-SYS-<key>` on records.
const SYSTEM_PROPERTIES: [&str; 7] = [
    "MIN_OFFSET",
    "TRACE_ON",
    "MAX_OFFSET",
    "MSG_REGION",
    "UNIQ_KEY",
    "WAIT",
    "TAGS",
];

/// Builds the message for a transformed record; a failure names the converter. A record
/// without a topic fails with `ConnectError::Other` (a configuration problem, never tolerated).
pub fn to_message(
    pipeline: &Pipeline,
    default_topic: Option<&str>,
    record: &ConnectRecord,
) -> Result<OutgoingMessage, Failure> {
    let topic = record.topic().or(default_topic).ok_or_else(|| Failure {
        stage: Stage::RocketmqProduce,
        class_name: String::new(),
        error: ConnectError::other(
            "the record has no topic: set connect.topicname, or a \"topic\" extension on the record",
        ),
    })?;
    let keys = if record.key.is_null() {
        None
    } else {
        pipeline
            .key_converter
            .encode(topic, record.key_schema.as_deref(), &record.key)
            .map_err(|error| Failure {
                stage: Stage::KeyConverter,
                class_name: pipeline.key_converter_class.clone(),
                error,
            })?
            // Keys are text on the wire; valid UTF-8 (every converter's output but raw
            // bytes) is kept without a copy.
            .map(|bytes| {
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            })
    };
    let body = pipeline
        .value_converter
        .encode(topic, record.value_schema.as_deref(), &record.value)
        .map_err(|error| Failure {
            stage: Stage::ValueConverter,
            class_name: pipeline.value_converter_class.clone(),
            error,
        })?
        .unwrap_or_default();
    let mut message = OutgoingMessage {
        topic: topic.to_owned(),
        keys,
        tags: None,
        body: body.into(),
        timestamp: record.timestamp,
        properties: Default::default(),
        queue: None,
    };
    for (key, value) in record.extensions.iter() {
        match key {
            "topic" => {}
            "KEYS" => message.keys = Some(value.to_owned()),
            "TAGS" => message.tags = Some(value.to_owned()),
            other => {
                message
                    .properties
                    .insert(format!("{EXTENSION_PREFIX}{other}"), value.to_owned());
            }
        }
    }
    Ok(message)
}

/// A dead letter for a source record that failed before it became a message: the original
/// record through the task's converters, or its value as text if they cannot encode it.
pub fn letter_of(
    pipeline: &Pipeline,
    default_topic: Option<&str>,
    record: &ConnectRecord,
) -> OutgoingMessage {
    to_message(pipeline, default_topic.or(Some("")), record).unwrap_or_else(|_| text_letter(record))
}

/// A record as text (key and value printed), for a dead letter when nothing better exists:
/// its converters failed, or a sink task reported a record it made itself.
pub fn text_letter(record: &ConnectRecord) -> OutgoingMessage {
    OutgoingMessage {
        topic: record.topic().unwrap_or_default().to_owned(),
        keys: (!record.key.is_null()).then(|| record.key.to_string()),
        tags: None,
        body: record.value.to_string().into_bytes().into(),
        timestamp: None,
        properties: Default::default(),
        queue: None,
    }
}

/// The origin of a source record (its position as JSON) on `topic`.
pub fn origin_of_record(topic: &str, record: &ConnectRecord) -> Origin {
    Origin {
        topic: topic.to_owned(),
        partition: serde_json::to_string(&record.position.partition).unwrap_or_default(),
        offset: serde_json::to_string(&record.position.offset).unwrap_or_default(),
    }
}

/// The record partition of a queue (string values, as the Java runtime).
pub fn partition_of(queue: &QueueRef) -> RecordPartition {
    RecordPartition::new()
        .with("topic", queue.topic.clone())
        .with("brokerName", queue.broker_name.clone())
        .with("queueId", queue.queue_id.to_string())
}

/// The queue of a record partition (strings or numbers accepted).
pub fn queue_of(partition: &RecordPartition) -> Option<QueueRef> {
    Some(QueueRef {
        topic: partition.get_str("topic")?.to_owned(),
        broker_name: partition.get_str("brokerName")?.to_owned(),
        queue_id: i32::try_from(partition.get_i64("queueId")?).ok()?,
    })
}

/// Builds a record from a consumed message; a failure names the converter.
pub fn to_record(pipeline: &Pipeline, message: &IncomingMessage) -> Result<ConnectRecord, Failure> {
    let topic = message.queue.topic.as_str();
    let key = pipeline
        .key_converter
        .decode(topic, message.keys.as_ref().map(String::as_bytes))
        .map_err(|error| Failure {
            stage: Stage::KeyConverter,
            class_name: pipeline.key_converter_class.clone(),
            error,
        })?;
    let value = pipeline
        .value_converter
        .decode(topic, Some(&message.body))
        .map_err(|error| Failure {
            stage: Stage::ValueConverter,
            class_name: pipeline.value_converter_class.clone(),
            error,
        })?;
    let timestamp = message
        .properties
        .get(TIMESTAMP_PROPERTY)
        .and_then(|t| t.parse().ok())
        .unwrap_or(message.born_timestamp);
    let offset = RecordOffset::new().with("queueOffset", message.queue_offset.to_string());
    let mut record = ConnectRecord::new(partition_of(&message.queue), offset, Some(timestamp))
        .with_key(key.schema, key.value)
        .with_value(value.schema, value.value);
    for (name, text) in &message.properties {
        if name == TIMESTAMP_PROPERTY {
            continue;
        }
        let name = match name.strip_prefix(EXTENSION_PREFIX) {
            Some(stripped) => stripped.to_owned(),
            None if SYSTEM_PROPERTIES.contains(&name.as_str()) => format!("MQ-SYS-{name}"),
            None => name.clone(),
        };
        record.extensions.put(name, text);
    }
    if let Some(tags) = &message.tags {
        record.extensions.put("MQ-SYS-TAGS", tags);
    }
    record.extensions.put("MQ-SYS-MSG_ID", &message.msg_id);
    Ok(record)
}

/// The consumed message as it would be produced again (for a dead letter).
pub fn resend_of(message: &IncomingMessage) -> OutgoingMessage {
    OutgoingMessage {
        topic: message.queue.topic.clone(),
        keys: message.keys.clone(),
        tags: message.tags.clone(),
        body: message.body.clone().into(),
        // Already among the properties, as consumed.
        timestamp: None,
        properties: message.properties.clone(),
        queue: None,
    }
}

/// The origin of a consumed message.
pub fn origin_of_message(queue: &QueueRef, offset: i64) -> Origin {
    Origin {
        topic: queue.topic.clone(),
        partition: queue.queue_id.to_string(),
        offset: offset.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use connect_api::{Config, Value};

    use super::*;

    fn pipeline() -> Pipeline {
        Pipeline::from_config(
            &Config::new(),
            crate::pipeline::DEFAULT_CONVERTER,
            crate::pipeline::DEFAULT_CONVERTER,
        )
        .unwrap()
    }

    #[test]
    fn topic_extension_wins_then_default_then_error() {
        let p = pipeline();
        let record = ConnectRecord::new(RecordPartition::new(), RecordOffset::new(), Some(5))
            .with_value(None, Value::from("v"));
        assert_eq!(to_message(&p, Some("dflt"), &record).unwrap().topic, "dflt");
        let routed = record.clone().with_extension("topic", "routed");
        assert_eq!(
            to_message(&p, Some("dflt"), &routed).unwrap().topic,
            "routed"
        );
        let err = to_message(&p, None, &record).unwrap_err().error;
        assert!(err.to_string().contains("connect.topicname"), "{err}");
    }

    #[test]
    fn properties_keys_and_tags_follow_the_java_runtime() {
        let p = pipeline();
        let record = ConnectRecord::new(RecordPartition::new(), RecordOffset::new(), Some(42))
            .with_key(None, Value::from("k1"))
            .with_value(None, Value::from("v"))
            .with_extension("TAGS", "tag-a")
            .with_extension("source", "db1");
        let message = to_message(&p, Some("t"), &record).unwrap();
        assert_eq!(message.keys.as_deref(), Some("k1"));
        assert_eq!(message.tags.as_deref(), Some("tag-a"));
        assert_eq!(&message.body[..], b"v");
        assert_eq!(message.timestamp, Some(42));
        assert_eq!(
            message
                .properties
                .get("connect-ext-source")
                .map(String::as_str),
            Some("db1")
        );
    }

    #[test]
    fn records_carry_java_positions_and_extensions() {
        let pipeline = pipeline();
        let mut properties = BTreeMap::new();
        properties.insert("connect.timestamp".to_owned(), "77".to_owned());
        properties.insert("connect-ext-source".to_owned(), "db1".to_owned());
        properties.insert("UNIQ_KEY".to_owned(), "u".to_owned());
        let message = IncomingMessage {
            queue: QueueRef {
                topic: "t".into(),
                broker_name: "b".into(),
                queue_id: 2,
            },
            queue_offset: 9,
            msg_id: "m1".into(),
            keys: Some("k".into()),
            tags: None,
            body: b"hello".to_vec(),
            properties,
            born_timestamp: 1,
        };
        let record = to_record(&pipeline, &message).unwrap();
        assert_eq!(record.value, Value::from("hello"));
        assert_eq!(record.key, Value::from("k"));
        assert_eq!(record.timestamp, Some(77));
        assert_eq!(record.position.partition.get_str("queueId"), Some("2"));
        assert_eq!(record.position.offset.get_i64("queueOffset"), Some(9));
        assert_eq!(record.extensions.get("source"), Some("db1"));
        assert_eq!(record.extensions.get("MQ-SYS-UNIQ_KEY"), Some("u"));
        assert_eq!(record.extensions.get("MQ-SYS-MSG_ID"), Some("m1"));
        assert_eq!(queue_of(&record.position.partition), Some(message.queue));
    }
}
