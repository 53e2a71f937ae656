//! `TimestampRouter`: routes a record to a topic built from its topic and its timestamp:
//! `topic.format` (default `${topic}-${timestamp}`) with the timestamp written in
//! `timestamp.format` (Java `SimpleDateFormat`, default `yyyyMMdd`, UTC) — e.g. `orders-20170103`.

use chrono::DateTime;
use chrono::format::Item;
use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::{Config, ConnectError, ConnectRecord, ConnectResult, Transform};

use super::timestamp_converter::java_date_format;

#[derive(Debug, Default)]
pub struct TimestampRouter {
    topic_format: String,
    /// The Java pattern, translated and parsed once.
    timestamp_format: Vec<Item<'static>>,
}

impl Transform for TimestampRouter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .optional(
                "topic.format",
                ConfigType::String,
                "${topic}-${timestamp}",
                "The new topic; ${topic} and ${timestamp} are replaced",
            )
            .optional(
                "timestamp.format",
                ConfigType::String,
                "yyyyMMdd",
                "SimpleDateFormat pattern of ${timestamp} (UTC)",
            )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.topic_format = config
            .get_string_or("topic.format", "${topic}-${timestamp}")
            .to_owned();
        let java = config.get_string_or("timestamp.format", "yyyyMMdd");
        self.timestamp_format = java_date_format("timestamp.format", java)?.1;
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let millis = record.timestamp.ok_or_else(|| {
            ConnectError::data("TimestampRouter: the record has no timestamp to route by")
        })?;
        let at = DateTime::from_timestamp_millis(millis).ok_or_else(|| {
            ConnectError::data(format!(
                "TimestampRouter: timestamp {millis} is out of range"
            ))
        })?;
        let topic = record.topic().unwrap_or_default().to_owned();
        // ${topic} first, then ${timestamp} (Kafka's order).
        let routed = self.topic_format.replace("${topic}", &topic).replace(
            "${timestamp}",
            &at.format_with_items(self.timestamp_format.iter())
                .to_string(),
        );
        record.set_topic(routed);
        Ok(Some(record))
    }
}
