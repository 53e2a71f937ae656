//! `RegexRouter`: when the record's topic matches `regex` entirely, routes it to `replacement`
//! (`$1` etc. refer to groups). Works on the `topic` extension, which is what source routing
//! reads; the Java class is abstract and cannot be used at all.

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConnectRecord, ConnectResult, Transform};
use regex::Regex;

use crate::util::{compile_full_match, java_replacement, valid_regex};

#[derive(Debug, Default)]
pub struct RegexRouter {
    regex: Option<Regex>,
    replacement: String,
}

impl Transform for RegexRouter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .required(
                "regex",
                ConfigType::String,
                "Regular expression the whole topic must match",
            )
            .validate_with(Validator::Custom(valid_regex))
            .required(
                "replacement",
                ConfigType::String,
                "New topic; $1 etc. refer to groups",
            )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.regex = Some(compile_full_match("regex", config.require("regex")?)?);
        self.replacement = java_replacement(config.require("replacement")?);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if let (Some(regex), Some(topic)) = (&self.regex, record.topic())
            && regex.is_match(topic)
        {
            let routed = regex.replace(topic, self.replacement.as_str()).into_owned();
            record.set_topic(routed);
        }
        Ok(Some(record))
    }
}
