//! `HeaderFrom$Key` / `$Value`: copies (`operation=copy`) or moves (`move`) the listed
//! `fields` of the key or value into the listed `headers` (pairwise). A header is an
//! extension, so its value is text ([`header_text`]: structs, maps and arrays as JSON); a null
//! field sets no header. A null field with a schema default gives the default unless
//! `replace.null.with.default=false`. Moving a field out of a schema'd struct drops it from
//! the schema too.

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{
    Config, ConfigError, ConnectError, ConnectRecord, ConnectResult, SchemaAndValue, Transform,
    Value,
};

use crate::field_rename::kafka_struct_like;
use crate::java_text::header_text;
use crate::side::Side;
use crate::util::{
    SchemaCache, field_values, make_struct, replace_null_with_default, unsupported,
    with_replace_null_key,
};

/// A header's name and its text (`None`: the field was null, no header).
type HeaderText = (String, Option<String>);

#[derive(Debug)]
pub struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    headers: Vec<String>,
    moving: bool,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl HeaderFrom {
    pub fn new(side: Side) -> Self {
        Self {
            side,
            fields: Vec::new(),
            headers: Vec::new(),
            moving: false,
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// The headers to set (name, text) from `data`, and `data` with moved fields removed.
    fn split(&mut self, data: SchemaAndValue) -> ConnectResult<(SchemaAndValue, Vec<HeaderText>)> {
        let pairs = self.fields.iter().zip(&self.headers);
        match (data.schema, data.value) {
            (Some(schema), Value::Struct(s)) => {
                let mut headers = Vec::with_capacity(self.headers.len());
                for (field, header) in pairs {
                    let f = schema.field(field).ok_or_else(|| {
                        ConnectError::data(format!(
                            "HeaderFrom: no field '{field}' in {}",
                            schema.describe()
                        ))
                    })?;
                    let value = if self.replace_null_with_default {
                        s.get_field(f)
                    } else {
                        &s.values()[f.index()]
                    };
                    headers.push((header.clone(), header_text(value)));
                }
                if !self.moving {
                    return Ok((SchemaAndValue::new(Some(schema), Value::Struct(s)), headers));
                }
                let moved = &self.fields;
                let out_schema = self.cache.get_or_try_insert(&schema, |input| {
                    let mut builder = kafka_struct_like(input);
                    for f in input.fields() {
                        if !moved.iter().any(|m| m == f.name()) {
                            builder = builder.field(f.name(), f.schema().clone())?;
                        }
                    }
                    Ok(builder.build())
                })?;
                let values = schema
                    .fields()
                    .iter()
                    .zip(field_values(s, self.replace_null_with_default))
                    .filter(|(f, _)| !moved.iter().any(|m| m == f.name()))
                    .map(|(_, v)| v)
                    .collect();
                let value = make_struct(out_schema.clone(), values)?;
                Ok((SchemaAndValue::new(Some(out_schema), value), headers))
            }
            (schema @ None, Value::Map(mut entries)) => {
                let mut headers = Vec::with_capacity(self.headers.len());
                for (field, header) in pairs {
                    let value = entries
                        .iter()
                        .find(|(k, _)| k.as_str() == Some(field.as_str()))
                        .map(|(_, v)| v);
                    headers.push((header.clone(), value.and_then(header_text)));
                }
                if self.moving {
                    entries.retain(|(k, _)| {
                        !k.as_str()
                            .is_some_and(|k| self.fields.iter().any(|f| f == k))
                    });
                }
                Ok((SchemaAndValue::new(schema, Value::Map(entries)), headers))
            }
            (_, other) => Err(unsupported("HeaderFrom", &other)),
        }
    }
}

impl Transform for HeaderFrom {
    fn config_def(&self) -> ConfigDef {
        with_replace_null_key(
            ConfigDef::new()
                .required("fields", ConfigType::List, "Fields to copy or move")
                .validate_with(Validator::NonEmpty)
                .required("headers", ConfigType::List, "Header names, one per field")
                .validate_with(Validator::NonEmpty)
                .required("operation", ConfigType::String, "move or copy")
                .validate_with(Validator::OneOf(&["move", "copy"])),
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.fields = config.get_list("fields");
        self.headers = config.get_list("headers");
        if self.fields.len() != self.headers.len() {
            return Err(ConfigError::invalid(
                "headers",
                config.get("headers").unwrap_or_default(),
                format!(
                    "'fields' has {} names and 'headers' {}: they are paired, one header per field",
                    self.fields.len(),
                    self.headers.len()
                ),
            )
            .into());
        }
        // Exactly `move` or `copy`, as Kafka (the validator alone ignores case).
        self.moving = match config.require("operation")? {
            "move" => true,
            "copy" => false,
            other => {
                return Err(ConfigError::invalid(
                    "operation",
                    other,
                    "expected move or copy (lower case)",
                )
                .into());
            }
        };
        self.replace_null_with_default = replace_null_with_default(config)?;
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let data = match self.side {
            Side::Key => record.take_key(),
            Side::Value => record.take_value(),
        };
        let (data, headers) = self.split(data)?;
        match self.side {
            Side::Key => (record.key_schema, record.key) = (data.schema, data.value),
            Side::Value => (record.value_schema, record.value) = (data.schema, data.value),
        }
        for (header, text) in headers {
            if let Some(text) = text {
                record.extensions.put(header, text);
            }
        }
        Ok(Some(record))
    }
}
