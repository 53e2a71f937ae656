//! `SetSchemaMetadata$Key` / `$Value`: gives the key or value schema a new `schema.name`
//! and/or `schema.version`; everything else about the schema is kept. A struct is re-homed on
//! the renamed schema (a null field with a default becomes the default unless
//! `replace.null.with.default=false`). Nested schemas keep their names.

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::data::SchemaBuilder;
use connect_api::{
    Config, ConfigError, ConnectError, ConnectRecord, ConnectResult, SchemaAndValue, Struct, Value,
};

use crate::side::FieldTransform;
use crate::util::{SchemaCache, replace_null_with_default, with_replace_null_key};

#[derive(Debug, Default)]
pub struct SetSchemaMetadata {
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl FieldTransform for SetSchemaMetadata {
    fn config_def() -> ConfigDef {
        with_replace_null_key(
            ConfigDef::new()
                .optional("schema.name", ConfigType::String, "", "The new schema name")
                .optional(
                    "schema.version",
                    ConfigType::Int,
                    "",
                    "The new schema version",
                ),
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.name = config.get_trimmed("schema.name").map(str::to_owned);
        self.version = match config.get_trimmed("schema.version") {
            Some(_) => Some(config.get_i32_or("schema.version", 0)?),
            None => None,
        };
        if self.name.is_none() && self.version.is_none() {
            return Err(ConfigError {
                key: "schema.name".to_owned(),
                value: None,
                message: "neither schema.name nor schema.version is set; set one or both"
                    .to_owned(),
            }
            .into());
        }
        self.replace_null_with_default = replace_null_with_default(config)?;
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let Some(schema) = data.schema else {
            if data.value.is_null() {
                return Ok(Some(data));
            }
            return Err(ConnectError::data(
                "SetSchemaMetadata: a schema is required to update schema metadata",
            ));
        };
        let (name, version) = (self.name.clone(), self.version);
        let renamed = self.cache.get_or_try_insert(&schema, |input| {
            let mut builder = SchemaBuilder::from_schema(input);
            if let Some(name) = name {
                builder = builder.name(name);
            }
            if let Some(version) = version {
                builder = builder.version(version);
            }
            Ok(builder.build())
        })?;
        let value = match data.value {
            Value::Struct(s) => {
                let values = if self.replace_null_with_default {
                    s.schema()
                        .fields()
                        .iter()
                        .map(|f| s.get_field(f).clone())
                        .collect()
                } else {
                    s.into_values()
                };
                Value::Struct(Struct::from_values(renamed.clone(), values)?)
            }
            other => other,
        };
        Ok(Some(SchemaAndValue::new(Some(renamed), value)))
    }
}
