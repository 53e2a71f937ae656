//! [`DataPlaneSettings`]: the worker keys a data loop uses (parsed by the worker, once).

use std::time::Duration;

use crate::pipeline::DEFAULT_CONVERTER;

/// The worker's settings every loop of it shares.
#[derive(Debug, Clone)]
pub struct DataPlaneSettings {
    /// How often tasks commit positions (`offsetCommitIntervalMsConfig`).
    pub offset_commit_interval: Duration,
    /// Longest a commit may take (`offsetCommitTimeoutMsConfig`).
    pub offset_commit_timeout: Duration,
    /// Default converters (`keyConverter`, `valueConverter`).
    pub key_converter: String,
    pub value_converter: String,
    /// Whether tasks create missing topics (`autoCreateTopicEnable`).
    pub auto_create_topics: bool,
    /// Producer group of source tasks and dead-letter producers (`rmqProducerGroup`).
    pub producer_group: String,
}

impl Default for DataPlaneSettings {
    fn default() -> Self {
        Self {
            offset_commit_interval: Duration::from_secs(30),
            offset_commit_timeout: Duration::from_secs(5),
            key_converter: DEFAULT_CONVERTER.to_owned(),
            value_converter: DEFAULT_CONVERTER.to_owned(),
            auto_create_topics: true,
            producer_group: "connector-producer-group".to_owned(),
        }
    }
}
