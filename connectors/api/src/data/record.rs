//! [`ConnectRecord`] and its position ([`RecordPartition`] + [`RecordOffset`]) and
//! [`Extensions`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::schema::SchemaRef;
use super::value::Value;

/// A position map's entries: sorted by key, keys unique. Keys are usually literals (`"file"`,
/// `"pos"`), so they are borrowed, not allocated, and a handful of entries is searched faster
/// in a vector than in a tree.
type Entries = Vec<(Cow<'static, str>, serde_json::Value)>;

/// Where a record came from in its source system, e.g. `{"filename": "/tmp/a.txt"}` or, for
/// records read from RocketMQ, `{"topic", "brokerName", "queueId"}`. Equal maps are the same
/// partition; offsets are tracked per partition.
///
/// The map is shared (`Arc`): every record of a partition and the offset tracker hold the same
/// one, so a clone per record costs a reference count, not a map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordPartition(Arc<Entries>);

/// How far into a partition a record is, e.g. `{"position": 1234}` or `{"queueOffset": 17}`.
/// Shared like [`RecordPartition`]: a record, its tombstone and the offset tracker hold one map.
/// Built per record, so building one costs two allocations (the shared vector and its
/// entries), plus owned keys or values if the caller passes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordOffset(Arc<Entries>);

macro_rules! position_map {
    ($ty:ident) => {
        impl $ty {
            /// An empty map.
            pub fn new() -> Self {
                Self::default()
            }

            /// An empty map with room for `entries` entries: one allocation for a map built
            /// per record whose size the caller knows.
            pub fn with_capacity(entries: usize) -> Self {
                Self(Arc::new(Vec::with_capacity(entries)))
            }

            /// A map of `entries`, whose keys must be distinct, sorted once: a map built per
            /// record this way costs one sort instead of a search, a shift and a uniqueness
            /// check of the shared vector per entry. Entries passed in key order are only
            /// checked (a sort of three cost 108 instructions, the check 30).
            pub fn from_entries(mut entries: Vec<(Cow<'static, str>, serde_json::Value)>) -> Self {
                if !entries.is_sorted_by(|(a, _), (b, _)| a < b) {
                    entries.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
                }
                debug_assert!(
                    entries.windows(2).all(|pair| pair[0].0 != pair[1].0),
                    "duplicate keys in a position map"
                );
                Self(Arc::new(entries))
            }

            /// Adds an entry (builder style).
            pub fn with(
                mut self,
                key: impl Into<Cow<'static, str>>,
                value: impl Into<serde_json::Value>,
            ) -> Self {
                self.insert(key, value);
                self
            }

            /// Sets an entry (copies the map first if it is shared).
            pub fn insert(
                &mut self,
                key: impl Into<Cow<'static, str>>,
                value: impl Into<serde_json::Value>,
            ) {
                let key = key.into();
                let entries = Arc::make_mut(&mut self.0);
                match entries.binary_search_by(|(k, _)| k.as_ref().cmp(key.as_ref())) {
                    Ok(at) => entries[at].1 = value.into(),
                    Err(at) => {
                        if entries.capacity() == 0 {
                            entries.reserve_exact(4);
                        }
                        entries.insert(at, (key, value.into()));
                    }
                }
            }

            /// The entries, in key order.
            pub fn iter(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
                self.0.iter().map(|(k, v)| (k.as_ref(), v))
            }

            /// The entries as a JSON object.
            pub fn to_json_map(&self) -> serde_json::Map<String, serde_json::Value> {
                self.0
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect()
            }

            /// The entry for `key`.
            pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
                self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }

            /// The entry for `key` as a string (numbers are not converted).
            pub fn get_str(&self, key: &str) -> Option<&str> {
                self.get(key).and_then(serde_json::Value::as_str)
            }

            /// The entry for `key` as an integer; numeric strings are accepted because the Java
            /// runtime stores queue offsets as strings.
            pub fn get_i64(&self, key: &str) -> Option<i64> {
                match self.get(key)? {
                    serde_json::Value::Number(n) => n.as_i64(),
                    serde_json::Value::String(s) => s.parse().ok(),
                    _ => None,
                }
            }

            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// True when both are the same shared map (a cheap test before comparing entries).
            pub fn same_map(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0)
            }
        }

        impl<K: Into<Cow<'static, str>>, V: Into<serde_json::Value>> FromIterator<(K, V)> for $ty {
            fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
                let mut map = Self::new();
                for (k, v) in iter {
                    map.insert(k, v);
                }
                map
            }
        }

        impl From<BTreeMap<String, serde_json::Value>> for $ty {
            fn from(map: BTreeMap<String, serde_json::Value>) -> Self {
                // Already sorted and unique.
                Self(Arc::new(
                    map.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect(),
                ))
            }
        }

        impl From<serde_json::Map<String, serde_json::Value>> for $ty {
            fn from(map: serde_json::Map<String, serde_json::Value>) -> Self {
                map.into_iter().collect()
            }
        }

        /// Serialised as the bare map (what the stores and the REST API show).
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(k, v)| (k.as_ref(), v)))
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
///
/// A record has a few of them, set per record, so they are a vector sorted by key (no tree
/// node per record) and literal keys are not copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions(Vec<(Cow<'static, str>, String)>);

impl Extensions {
    pub fn new() -> Self {
        Self::default()
    }
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|at| self.0[at].1.as_str())
    }
    pub fn put(&mut self, key: impl Into<Cow<'static, str>>, value: impl ToString) {
        self.set(key, value.to_string());
    }
    /// Sets `key` to `value` (taken as is, not converted).
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: String) {
        let key = key.into();
        match self.find(&key) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (key, value)),
        }
    }
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.find(key).ok().map(|at| self.0.remove(at).1)
    }
    pub fn contains(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }
    /// The value of `key` parsed as an integer, if present and numeric.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }
    /// The entries, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<K: Into<Cow<'static, str>>, V: Into<String>> FromIterator<(K, V)> for Extensions {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut extensions = Self::new();
        for (k, v) in iter {
            extensions.set(k, v.into());
        }
        extensions
    }
}

/// Serialised as a plain JSON object of strings.
impl Serialize for Extensions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Extensions {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A map's keys are unique and sorted already.
        BTreeMap::<String, String>::deserialize(deserializer)
            .map(|map| Self(map.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect()))
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
        // Field by field, not `..Self::default()`: a default position is two shared empty
        // maps, allocated and dropped again for every record.
        Self {
            position: RecordPosition { partition, offset },
            timestamp,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::Null,
            extensions: Extensions::new(),
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
    pub fn with_extension(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl ToString,
    ) -> Self {
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
        self.extensions.set(TOPIC_EXTENSION, topic.into());
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

    /// A map built from its entries at once equals the map built entry by entry, whatever
    /// order the entries come in (equality and hashing depend on the sorted order).
    #[test]
    fn a_map_from_entries_equals_one_built_by_inserts() {
        let one_by_one = RecordOffset::new()
            .with("pos", 4)
            .with("file", "b.000001")
            .with("row", 2)
            .with("event", 1);
        let at_once = RecordOffset::from_entries(vec![
            ("row".into(), 2.into()),
            ("pos".into(), 4.into()),
            ("event".into(), 1.into()),
            ("file".into(), "b.000001".into()),
        ]);
        assert_eq!(at_once, one_by_one);
        assert_eq!(
            at_once.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["event", "file", "pos", "row"]
        );
        assert_eq!(at_once.get_i64("pos"), Some(4));
        // Entries already in key order are taken as they are; one out of order is sorted.
        let in_order = |keys: [&'static str; 4]| {
            RecordOffset::from_entries(
                keys.into_iter()
                    .map(|key| (key.into(), one_by_one.get(key).cloned().unwrap_or_default()))
                    .collect(),
            )
        };
        assert_eq!(in_order(["event", "file", "pos", "row"]), one_by_one);
        assert_eq!(in_order(["event", "file", "row", "pos"]), one_by_one);
    }

    #[test]
    fn take_leaves_nulls_behind() {
        let mut record = ConnectRecord::default().with_value(None, 5_i32);
        let taken = record.take_value();
        assert_eq!(taken.value, Value::Int32(5));
        assert!(record.is_tombstone());
    }
}
