//! Kafka Connect's predicates, over RocketMQ records: the topic is the record's `topic`
//! extension or partition entry; "headers" are the record's extensions (message properties).

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConnectRecord, ConnectResult, Predicate};
use regex::Regex;

use crate::util::{compile_full_match, valid_regex};

/// True when the record's topic matches `pattern` entirely.
#[derive(Debug, Default)]
pub struct TopicNameMatches {
    pattern: Option<Regex>,
}

impl Predicate for TopicNameMatches {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .required(
                "pattern",
                ConfigType::String,
                "Regular expression the whole topic name must match",
            )
            .validate_with(Validator::Custom(valid_regex))
    }
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.pattern = Some(compile_full_match("pattern", config.require("pattern")?)?);
        Ok(())
    }
    fn test(&self, record: &ConnectRecord) -> bool {
        match (&self.pattern, record.topic()) {
            (Some(pattern), Some(topic)) => pattern.is_match(topic),
            _ => false,
        }
    }
}

/// True when the record has an extension (header) named `name`.
#[derive(Debug, Default)]
pub struct HasHeaderKey {
    name: String,
}

impl Predicate for HasHeaderKey {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().required(
            "name",
            ConfigType::String,
            "Extension (header) key to look for",
        )
    }
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.name = config.require("name")?.to_owned();
        Ok(())
    }
    fn test(&self, record: &ConnectRecord) -> bool {
        record.extensions.contains(&self.name)
    }
}

/// True when the record's value is null.
#[derive(Debug, Default)]
pub struct RecordIsTombstone;

impl Predicate for RecordIsTombstone {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn configure(&mut self, _config: &Config) -> ConnectResult<()> {
        Ok(())
    }
    fn test(&self, record: &ConnectRecord) -> bool {
        record.is_tombstone()
    }
}
