//! `DropHeaders` and `InsertHeader`: remove or add record headers. A record's headers are its
//! extensions (string properties that travel as RocketMQ message properties), so a header has
//! one value: inserting an existing header replaces it (Kafka appends a second one), and
//! `value.literal` is kept as text (Kafka parses it into a typed value whose text is the same).

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConfigError, ConnectRecord, ConnectResult, Transform};

#[derive(Debug, Default)]
pub struct DropHeaders {
    headers: Vec<String>,
}

impl Transform for DropHeaders {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .required("headers", ConfigType::List, "The headers to remove")
            .validate_with(Validator::NonEmpty)
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.headers = config.get_list("headers");
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        for header in &self.headers {
            record.extensions.remove(header);
        }
        Ok(Some(record))
    }
}

#[derive(Debug, Default)]
pub struct InsertHeader {
    header: String,
    literal: String,
}

impl Transform for InsertHeader {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .required("header", ConfigType::String, "The header to set")
            .optional(
                "value.literal",
                ConfigType::String,
                "",
                "The header's value (required; may be empty)",
            )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.header = config.require("header")?.to_owned();
        // Required, yet an empty value is a value (Kafka accepts "").
        self.literal = config
            .get("value.literal")
            .ok_or_else(|| ConfigError::missing("value.literal"))?
            .to_owned();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        record.extensions.put(self.header.clone(), &self.literal);
        Ok(Some(record))
    }
}
