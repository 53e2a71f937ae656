//! [`ConnectRecord`] and its position ([`RecordPartition`] + [`RecordOffset`]) and
//! [`Extensions`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::schema::SchemaRef;
use super::value::Value;

/// Where a record came from in its source system, e.g. `{"filename": "/tmp/a.txt"}` or, for
/// records read from RocketMQ, `{"topic", "brokerName", "queueId"}`. Equal maps are the same
/// partition; offsets are tracked per partition.
///
/// The map is shared (`Arc`): every record of a partition and the offset tracker hold the same
/// one, so a clone per record costs a reference count, not a map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordPartition(pub Arc<BTreeMap<String, serde_json::Value>>);

/// How far into a partition a record is, e.g. `{"position": 1234}` or `{"queueOffset": 17}`.
/// Shared like [`RecordPartition`]: a record, its tombstone and the offset tracker hold one map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordOffset(pub Arc<BTreeMap<String, serde_json::Value>>);

macro_rules! position_map {
    ($ty:ident) => {
        impl $ty {
            /// An empty map.
            pub fn new() -> Self {
                Self::default()
            }

            /// Adds an entry (builder style).
            pub fn with(
                mut self,
                key: impl Into<String>,
                value: impl Into<serde_json::Value>,
            ) -> Self {
                self.insert(key, value);
                self
            }

            /// Sets an entry (copies the map first if it is shared).
            pub fn insert(&mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) {
                Arc::make_mut(&mut self.0).insert(key.into(), value.into());
            }

            /// The entries, in key order.
            pub fn iter(&self) -> impl Iterator<Item = (&String, &serde_json::Value)> {
                self.0.iter()
            }

            /// The map itself.
            pub fn as_map(&self) -> &BTreeMap<String, serde_json::Value> {
                &self.0
            }

            /// The entry for `key`.
            pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
                self.0.get(key)
            }

            /// The entry for `key` as a string (numbers are not converted).
            pub fn get_str(&self, key: &str) -> Option<&str> {
                self.0.get(key).and_then(serde_json::Value::as_str)
            }

            /// The entry for `key` as an integer; numeric strings are accepted because the Java
            /// runtime stores queue offsets as strings.
            pub fn get_i64(&self, key: &str) -> Option<i64> {
                match self.0.get(key)? {
                    serde_json::Value::Number(n) => n.as_i64(),
                    serde_json::Value::String(s) => s.parse().ok(),
                    _ => None,
                }
            }

            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl<K: Into<String>, V: Into<serde_json::Value>> FromIterator<(K, V)> for $ty {
            fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
                Self(Arc::new(
                    iter.into_iter()
                        .map(|(k, v)| (k.into(), v.into()))
                        .collect(),
                ))
            }
        }

        impl From<BTreeMap<String, serde_json::Value>> for $ty {
            fn from(map: BTreeMap<String, serde_json::Value>) -> Self {
                Self(Arc::new(map))
            }
        }

        /// Serialised as the bare map (what the stores and the REST API show).
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                BTreeMap::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

position_map!(RecordPartition);
position_map!(RecordOffset);

/// A record's position: its partition and its offset within that partition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordPosition {
    pub partition: RecordPartition,
    pub offset: RecordOffset,
}

/// String properties carried with a record (`KeyValue extensions` in Java). On the way to
/// RocketMQ they become message properties; the extension `topic` routes a source record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extensions(pub BTreeMap<String, String>);

impl Extensions {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    pub fn put(&mut self, key: impl Into<String>, value: impl ToString) {
        self.0.insert(key.into(), value.to_string());
    }
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
    /// The value of `key` parsed as an integer, if present and numeric.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A schema (possibly absent: schemaless data) and a value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaAndValue {
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

impl SchemaAndValue {
    pub fn new(schema: Option<SchemaRef>, value: Value) -> Self {
        Self { schema, value }
    }

    /// No schema, null value.
    pub fn null() -> Self {
        Self::default()
    }
}

/// Extension key that routes a source record to a topic (wins over `connect.topicname`).
pub const TOPIC_EXTENSION: &str = "topic";

/// One unit of data moving through the runtime.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectRecord {
    /// Where the record came from; the runtime commits offsets per partition.
    pub position: RecordPosition,
    /// Milliseconds since the epoch, if the source knows it.
    pub timestamp: Option<i64>,
    pub key_schema: Option<SchemaRef>,
    /// The key (`Null` when unkeyed). Keyed records keep per-key order through RocketMQ.
    pub key: Value,
    /// The value's schema (`schema` in the Java API).
    pub value_schema: Option<SchemaRef>,
    /// The value (`data` in the Java API); `Null` marks a tombstone.
    pub value: Value,
    pub extensions: Extensions,
}

impl ConnectRecord {
    /// A record at a position with no key or value yet.
    pub fn new(partition: RecordPartition, offset: RecordOffset, timestamp: Option<i64>) -> Self {
        Self {
            position: RecordPosition { partition, offset },
            timestamp,
            ..Self::default()
        }
    }

    /// Sets the value and its schema.
    pub fn with_value(mut self, schema: Option<SchemaRef>, value: impl Into<Value>) -> Self {
        self.value_schema = schema;
        self.value = value.into();
        self
    }

    /// Sets the key and its schema.
    pub fn with_key(mut self, schema: Option<SchemaRef>, key: impl Into<Value>) -> Self {
        self.key_schema = schema;
        self.key = key.into();
        self
    }

    /// Adds an extension.
    pub fn with_extension(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.extensions.put(key, value);
        self
    }

    /// The record's topic: the `topic` extension, else the partition's `topic` entry (set on
    /// records read from RocketMQ).
    pub fn topic(&self) -> Option<&str> {
        self.extensions
            .get(TOPIC_EXTENSION)
            .or_else(|| self.position.partition.get_str("topic"))
    }

    /// Routes the record to `topic` (sets the `topic` extension).
    pub fn set_topic(&mut self, topic: impl Into<String>) {
        self.extensions.put(TOPIC_EXTENSION, topic.into());
    }

    /// True when the value is null (a deletion marker for keyed sinks).
    pub fn is_tombstone(&self) -> bool {
        self.value.is_null()
    }

    /// The key and its schema, taken out of the record (leaving `Null`).
    pub fn take_key(&mut self) -> SchemaAndValue {
        SchemaAndValue::new(self.key_schema.take(), std::mem::take(&mut self.key))
    }

    /// The value and its schema, taken out of the record (leaving `Null`).
    pub fn take_value(&mut self) -> SchemaAndValue {
        SchemaAndValue::new(self.value_schema.take(), std::mem::take(&mut self.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_prefers_extension_over_partition() {
        let partition = RecordPartition::new().with("topic", "from-queue");
        let mut record = ConnectRecord::new(partition, RecordOffset::new(), Some(1));
        assert_eq!(record.topic(), Some("from-queue"));
        record.set_topic("routed");
        assert_eq!(record.topic(), Some("routed"));
    }

    /// Positions hash by value so they can key offset maps, and survive a JSON round trip.
    #[test]
    fn positions_are_value_keys_and_serialize_as_plain_maps() {
        let a = RecordPartition::new().with("filename", "/tmp/x");
        let b: RecordPartition = [("filename", "/tmp/x")].into_iter().collect();
        let mut offsets = std::collections::HashMap::new();
        offsets.insert(a, RecordOffset::new().with("position", 10));
        assert!(offsets.contains_key(&b));
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, r#"{"filename":"/tmp/x"}"#);
        let offset = RecordOffset::new().with("queueOffset", "42");
        assert_eq!(offset.get_i64("queueOffset"), Some(42));
    }

    #[test]
    fn take_leaves_nulls_behind() {
        let mut record = ConnectRecord::default().with_value(None, 5_i32);
        let taken = record.take_value();
        assert_eq!(taken.value, Value::Int32(5));
        assert!(record.is_tombstone());
    }
}
