//! Where a change record goes. Inside the task, a record's topic is Debezium's
//! (`<server>.<db>.<table>`), so the Java configurations' `kafka.transforms` (a RegexRouter on
//! that name, ExtractNewRecordState…) see what they expect. Afterwards the topic must be one
//! RocketMQ accepts (`^[%|a-zA-Z0-9_-]+$`, ≤ 127 characters; Java issue #518 sends the dotted
//! name and fails): a topic a transform chose is kept (made valid), otherwise
//! `connect.topicname` takes every table's records, otherwise the Debezium name is made
//! valid (`.` → `_`).

use connect_api::{ConnectRecord, ConnectResult};
use connect_transforms::TransformChain;

/// Runs the in-task transforms and settles the topic.
pub struct Router {
    transforms: TransformChain,
    topic_name: Option<String>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("topic_name", &self.topic_name)
            .finish_non_exhaustive()
    }
}

/// The longest topic name RocketMQ accepts.
const MAX_TOPIC_LEN: usize = 127;

/// `topic` with every character RocketMQ refuses replaced by `_`, cut to its length limit.
pub fn valid_topic(topic: &str) -> String {
    topic
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_TOPIC_LEN)
        .collect()
}

/// Whether `topic` is already what [`valid_topic`] makes of it.
fn is_valid_topic(topic: &str) -> bool {
    topic.len() <= MAX_TOPIC_LEN
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

impl Router {
    pub fn new(transforms: TransformChain, topic_name: Option<String>) -> Self {
        Self {
            transforms,
            topic_name,
        }
    }

    /// The record after the transforms with its final topic; `None` when a transform dropped it.
    pub fn route(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if self.transforms.is_empty() {
            // Without transforms the record keeps the table's topic: nothing to compare.
            match &self.topic_name {
                Some(_) => {
                    record.extensions.remove(connect_api::data::TOPIC_EXTENSION);
                }
                None => {
                    if let Some(topic) = record.topic().filter(|t| !is_valid_topic(t)) {
                        let topic = valid_topic(topic);
                        record.set_topic(topic);
                    }
                }
            }
            return Ok(Some(record));
        }
        let original = record.topic().map(str::to_owned);
        let Some(mut record) = self.transforms.apply(record)? else {
            return Ok(None);
        };
        let topic = record.topic().map(str::to_owned);
        let changed = topic != original;
        match (topic, &self.topic_name) {
            (Some(topic), _) if changed => record.set_topic(valid_topic(&topic)),
            (_, Some(_)) => {
                // connect.topicname: the runtime routes records without a topic extension there.
                record.extensions.remove(connect_api::data::TOPIC_EXTENSION);
            }
            (Some(topic), None) => record.set_topic(valid_topic(&topic)),
            (None, None) => {}
        }
        Ok(Some(record))
    }

    /// Like [`route`](Self::route), for records whose own topic wins over
    /// `connect.topicname` (schema changes and heartbeats live beside the data, not in it).
    pub fn route_own_topic(
        &mut self,
        record: ConnectRecord,
    ) -> ConnectResult<Option<ConnectRecord>> {
        let Some(mut record) = self.transforms.apply(record)? else {
            return Ok(None);
        };
        if let Some(topic) = record.topic().map(valid_topic) {
            record.set_topic(topic);
        }
        Ok(Some(record))
    }

    pub fn stop(&mut self) {
        self.transforms.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::Config;

    fn record(topic: &str) -> ConnectRecord {
        let mut r = ConnectRecord::default();
        r.set_topic(topic);
        r
    }

    /// Without configuration the Debezium name is made valid; with `connect.topicname` the
    /// record has no topic of its own; a RegexRouter's choice wins over both.
    #[test]
    fn topic_rules() {
        let mut plain = Router::new(TransformChain::empty(), None);
        let out = plain
            .route(record("dbserver1.inventory.customers"))
            .unwrap()
            .unwrap();
        assert_eq!(out.topic(), Some("dbserver1_inventory_customers"));

        let mut one_topic = Router::new(TransformChain::empty(), Some("cdc-topic".into()));
        let out = one_topic
            .route(record("dbserver1.inventory.customers"))
            .unwrap()
            .unwrap();
        assert_eq!(out.topic(), None);

        let kafka = Config::new()
            .with("transforms", "TopicRoute")
            .with(
                "transforms.TopicRoute.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            )
            .with("transforms.TopicRoute.regex", "([^.]+)\\.([^.]+)\\.([^.]+)")
            .with("transforms.TopicRoute.replacement", "$1-$3");
        let mut routed = Router::new(
            TransformChain::from_config(&kafka).unwrap(),
            Some("cdc-topic".into()),
        );
        let out = routed
            .route(record("dbserver1.inventory.customers"))
            .unwrap()
            .unwrap();
        assert_eq!(out.topic(), Some("dbserver1-customers"));
        assert_eq!(valid_topic(&"x".repeat(200)).len(), 127);
        // A name already valid is kept as it is; one too long is cut.
        let out = plain.route(record("db-1_x%y|z")).unwrap().unwrap();
        assert_eq!(out.topic(), Some("db-1_x%y|z"));
        let out = plain.route(record(&"y".repeat(200))).unwrap().unwrap();
        assert_eq!(out.topic().map(str::len), Some(127));
    }

    /// The check that skips rewriting agrees with the rewrite.
    #[test]
    fn valid_topics_are_their_own_rewrite() {
        for topic in [
            "a.b",
            "a_b",
            "ünï",
            "x y",
            "%|_-",
            "",
            "a/b",
            &"z".repeat(127),
            &"z".repeat(128),
        ] {
            assert_eq!(
                is_valid_topic(topic),
                valid_topic(topic) == topic,
                "{topic:?}"
            );
        }
    }
}
