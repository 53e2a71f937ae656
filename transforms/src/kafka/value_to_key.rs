//! `ValueToKey`: replaces the key with a struct (or map) of the listed value fields.

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::data::SchemaBuilder;
use connect_api::{Config, ConnectError, ConnectRecord, ConnectResult, Transform, Value};

use crate::util::{
    SchemaCache, make_struct, replace_null_with_default, unsupported, with_replace_null_key,
};

#[derive(Debug, Default)]
pub struct ValueToKey {
    fields: Vec<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl Transform for ValueToKey {
    fn config_def(&self) -> ConfigDef {
        with_replace_null_key(
            ConfigDef::new()
                .required(
                    "fields",
                    ConfigType::List,
                    "Value fields that make up the key",
                )
                .validate_with(Validator::NonEmpty),
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.fields = config.get_list("fields");
        self.replace_null_with_default = replace_null_with_default(config)?;
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let fields = &self.fields;
        match (&record.value_schema, &record.value) {
            (_, Value::Null) => {}
            (Some(schema), Value::Struct(s)) => {
                let key_schema = self.cache.get_or_try_insert(schema, |input| {
                    let mut builder = SchemaBuilder::struct_().required();
                    for name in fields {
                        let field = input.field(name).ok_or_else(|| {
                            ConnectError::schema(format!(
                                "ValueToKey: no field '{name}' in {}",
                                input.describe()
                            ))
                        })?;
                        builder = builder.field(name.clone(), field.schema().clone())?;
                    }
                    Ok(builder.build())
                })?;
                let values = fields
                    .iter()
                    .map(|f| {
                        let value = if self.replace_null_with_default {
                            s.get(f)
                        } else {
                            s.get_without_default(f)
                        };
                        value.cloned().unwrap_or_default()
                    })
                    .collect();
                record.key = make_struct(key_schema.clone(), values)?;
                record.key_schema = Some(key_schema);
            }
            (_, value @ Value::Map(_)) => {
                let mut entries = Vec::with_capacity(fields.len());
                // As Kafka: a field the map lacks is a null in the key.
                for name in fields {
                    let v = value.map_get(name).cloned().unwrap_or_default();
                    entries.push((Value::String(name.clone()), v));
                }
                record.key = Value::Map(entries);
                record.key_schema = None;
            }
            (_, other) => return Err(unsupported("ValueToKey", other)),
        }
        Ok(Some(record))
    }
}
