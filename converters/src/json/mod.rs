//! The JSON converter (`org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter`).
//!
//! With `schemas.enable=true` (the default) every message is an envelope
//! `{"schema": <schema|null>, "payload": <value>}`; with `false` it is the bare value and reads
//! are schemaless. Logical types are recognised by schema name; Decimal is written as base64 of
//! the unscaled bytes (`decimal.format=BASE64`, default, exact at any size) or as a JSON number
//! (`NUMERIC`: written from the decimal's exact text, scale kept, and read from the number's
//! own digits — a payload is parsed into [`tree::Node`], which keeps number text and field
//! order, so nothing passes through f64 and schemaless maps keep their key order).
//! `replace.null.with.default` (default `true`) writes and reads a null as its schema default.
//! Reading follows Kafka's leniency for numbers with leading zeros and for an empty message
//! without envelopes (a null).

mod encode;
mod numbers;
mod payload;
mod schema_json;
mod tree;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::data::LogicalNames;
use connect_api::{
    Config, ConnectError, ConnectResult, RecordConverter, Schema, SchemaAndValue, SchemaRef, Value,
};
use serde_json::value::RawValue;

use encode::{ObjectKeys, write_payload};
use payload::{decode_payload, decode_schemaless};
use schema_json::{SchemaJson, decode_schema};

/// How Decimal values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecimalFormat {
    Base64,
    Numeric,
}

/// Settings shared by encoding and decoding.
#[derive(Debug, Clone)]
pub(crate) struct JsonSettings {
    pub schemas_enable: bool,
    pub decimal_format: DecimalFormat,
    pub cache_size: usize,
    /// A null with a schema default is written/read as the default (`true`, Kafka's default)
    /// or kept null (`false`; then only optional schemas take a null).
    pub replace_null_with_default: bool,
    /// The names logical types are written with (Kafka's class name writes Kafka's).
    pub logical_names: LogicalNames,
}

impl Default for JsonSettings {
    fn default() -> Self {
        Self {
            schemas_enable: true,
            decimal_format: DecimalFormat::Base64,
            cache_size: 1000,
            replace_null_with_default: true,
            logical_names: LogicalNames::RocketMq,
        }
    }
}

/// JSON with or without the schema envelope.
#[derive(Debug, Default)]
pub struct JsonConverter {
    settings: JsonSettings,
    /// Parsed schemas by their raw JSON text, so a stream of one schema parses it once and a
    /// cache hit costs one string hash.
    schema_cache: Mutex<HashMap<String, SchemaRef>>,
    /// Written schemas: (address, the schema, its JSON). A stream of one schema is written
    /// once; a hit is an equality check (the address only picks the candidate, equality
    /// decides, so a reused address can never return another schema's text).
    written_schemas: Mutex<Vec<(usize, Schema, std::sync::Arc<str>)>>,
    /// Struct schemas' field names, escaped once (`encode::ObjectKeys`).
    object_keys: Mutex<ObjectKeys>,
    /// The size of the last message written: the next one's buffer starts that big, so a
    /// stream of similar records is written without growing (and copying) the buffer.
    last_len: AtomicUsize,
}

/// The largest buffer a message starts with (see `last_len`).
const MAX_MESSAGE_HINT: usize = 256 * 1024;

/// How many written schemas are kept (a task usually writes a handful).
const WRITTEN_SCHEMAS: usize = 16;

impl JsonConverter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The converter under Kafka's class name (`org.apache.kafka.connect.json.JsonConverter`):
    /// logical types are written with Kafka's names, so a Kafka reader sees them as such.
    pub fn kafka() -> Self {
        let mut converter = Self::default();
        converter.settings.logical_names = LogicalNames::Kafka;
        converter
    }

    /// The keys the converter accepts (after `key.converter.`/`value.converter.` is stripped).
    pub fn config_def() -> ConfigDef {
        ConfigDef::new()
            .optional(
                "schemas.enable",
                ConfigType::Boolean,
                "true",
                "Wrap values in a {schema, payload} envelope",
            )
            .optional(
                "schemas.cache.size",
                ConfigType::Int,
                "1000",
                "Parsed schemas kept in memory",
            )
            .validate_with(Validator::Range {
                min: 0,
                max: 1_000_000,
            })
            .optional(
                "decimal.format",
                ConfigType::String,
                "BASE64",
                "How Decimal values are written",
            )
            .validate_with(Validator::OneOf(&["BASE64", "NUMERIC"]))
            .optional(
                "replace.null.with.default",
                ConfigType::Boolean,
                "true",
                "Write and read a null that has a schema default as that default",
            )
    }

    fn cached_schema(&self, raw: &str) -> ConnectResult<SchemaRef> {
        let mut cache = self
            .schema_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(schema) = cache.get(raw) {
            return Ok(schema.clone());
        }
        let json =
            tree::parse(raw).map_err(|e| ConnectError::data(format!("{INVALID_JSON}: {e}")))?;
        let schema = decode_schema(&json, &self.settings, "schema")?;
        if self.settings.cache_size > 0 {
            if cache.len() >= self.settings.cache_size {
                cache.clear();
            }
            cache.insert(raw.to_owned(), schema.clone());
        }
        Ok(schema)
    }
}

impl JsonConverter {
    /// The JSON text of `schema`, from the written-schema cache or freshly serialised.
    fn written_schema(&self, schema: &Schema) -> Result<std::sync::Arc<str>, serde_json::Error> {
        let address = schema as *const Schema as usize;
        let mut written = self
            .written_schemas
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, text)) = written
            .iter()
            .find(|(a, s, _)| *a == address && s == schema)
            .or_else(|| written.iter().find(|(_, s, _)| s == schema))
        {
            return Ok(text.clone());
        }
        let text: std::sync::Arc<str> = serde_json::to_string(&SchemaJson {
            schema,
            field: None,
            settings: &self.settings,
        })?
        .into();
        if written.len() >= WRITTEN_SCHEMAS {
            written.remove(0);
        }
        written.push((address, schema.clone(), text.clone()));
        Ok(text)
    }
}

#[cfg(test)]
impl JsonConverter {
    /// How many parsed schemas the read cache holds.
    pub(crate) fn cached_read_schemas(&self) -> usize {
        self.schema_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// How many schemas the write cache holds.
    pub(crate) fn cached_written_schemas(&self) -> usize {
        self.written_schemas
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl RecordConverter for JsonConverter {
    fn configure(&mut self, config: &Config, _is_key: bool) -> ConnectResult<()> {
        let errors = Self::config_def().validate(config);
        if !errors.is_empty() {
            return Err(ConnectError::Config(errors));
        }
        self.settings.schemas_enable = config.get_bool_or("schemas.enable", true)?;
        self.settings.replace_null_with_default =
            config.get_bool_or("replace.null.with.default", true)?;
        self.settings.cache_size =
            usize::try_from(config.get_i32_or("schemas.cache.size", 1000)?).unwrap_or(0);
        self.settings.decimal_format = if config
            .get_string_or("decimal.format", "BASE64")
            .eq_ignore_ascii_case("NUMERIC")
        {
            DecimalFormat::Numeric
        } else {
            DecimalFormat::Base64
        };
        Ok(())
    }

    fn encode(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        // Sized from the last message (capped: one huge record must not make every later
        // buffer huge), so the buffer is not regrown while it is written.
        let mut out = Vec::with_capacity(self.last_len.load(Ordering::Relaxed));
        if self.settings.schemas_enable {
            // The envelope with the schema's text written once per schema: the same bytes as
            // serialising the whole envelope, without re-escaping the schema per record.
            out.extend_from_slice(b"{\"schema\":");
            match schema {
                Some(schema) => {
                    let text = self
                        .written_schema(schema)
                        .map_err(|e| ConnectError::data(format!("cannot encode as JSON: {e}")))?;
                    out.extend_from_slice(text.as_bytes());
                }
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
        }
        let mut keys = self
            .object_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        write_payload(&mut out, schema, value, &self.settings, &mut keys)
            .map_err(|e| ConnectError::data(format!("cannot encode as JSON: {e}")))?;
        if self.settings.schemas_enable {
            out.push(b'}');
        }
        self.last_len
            .store((out.len() + 64).min(MAX_MESSAGE_HINT), Ordering::Relaxed);
        Ok(Some(out))
    }

    fn decode(&self, _topic: &str, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::null());
        };
        match self.decode_json(bytes) {
            // Numbers written with leading zeros (`0012`) are read as Kafka reads them
            // (Jackson's ALLOW_LEADING_ZEROS_FOR_NUMBERS); only a message that is not JSON pays
            // for the retry. If the fixed text parses, its own error (a schema mismatch) is the
            // one that says what is wrong.
            Err(error) if error.to_string().contains(INVALID_JSON) => {
                match numbers::without_leading_zeros(bytes) {
                    Some(fixed) => match self.decode_json(&fixed) {
                        Err(retry) if retry.to_string().contains(INVALID_JSON) => Err(error),
                        other => other,
                    },
                    None => Err(error),
                }
            }
            other => other,
        }
    }
}

impl JsonConverter {
    fn decode_json(&self, bytes: &[u8]) -> ConnectResult<SchemaAndValue> {
        if !self.settings.schemas_enable {
            // An empty message is a null without a schema (as Kafka reads it).
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(SchemaAndValue::null());
            }
            let text = std::str::from_utf8(bytes)
                .map_err(|e| ConnectError::data(format!("{INVALID_JSON}: not UTF-8: {e}")))?;
            let json = tree::parse(text)
                .map_err(|e| ConnectError::data(format!("{INVALID_JSON}: {e}")))?;
            return Ok(SchemaAndValue::new(None, decode_schemaless(&json)));
        }
        // Split the envelope without parsing its parts: the schema is looked up by its text.
        let envelope: HashMap<String, &RawValue> = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_data() {
                ConnectError::data(ENVELOPE_REQUIRED)
            } else {
                ConnectError::data(format!("{INVALID_JSON}: {e}"))
            }
        })?;
        let (Some(schema), Some(payload), 2) = (
            envelope.get("schema"),
            envelope.get("payload"),
            envelope.len(),
        ) else {
            return Err(ConnectError::data(ENVELOPE_REQUIRED));
        };
        let payload = tree::parse(payload.get())
            .map_err(|e| ConnectError::data(format!("{INVALID_JSON}: {e}")))?;
        if schema.get() == "null" {
            return Ok(SchemaAndValue::new(None, decode_schemaless(&payload)));
        }
        let schema = self.cached_schema(schema.get())?;
        let value = decode_payload(Some(&schema), &payload, &self.settings, "payload")?;
        Ok(SchemaAndValue::new(Some(schema), value))
    }
}

/// How a message that is not JSON at all is reported.
const INVALID_JSON: &str = "invalid JSON";

const ENVELOPE_REQUIRED: &str = "with schemas.enable=true a message must be a JSON object with exactly two \
     fields, \"schema\" and \"payload\"; set schemas.enable=false to read plain JSON";

#[cfg(test)]
mod kafka_facts;
#[cfg(test)]
mod tests;
