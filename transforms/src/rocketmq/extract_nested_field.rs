//! `ExtractNestedField$Key` / `$Value`: copies `outer.inner` to a new top-level field named
//! `output.field.name` (the Java version ignores that key and reuses the inner name).

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::data::optional_copy;
use connect_api::{Config, ConnectError, ConnectRecord, ConnectResult, SchemaAndValue, Value};

use crate::field_rename::struct_like;
use crate::side::FieldTransform;
use crate::util::{SchemaCache, make_struct, unsupported};

#[derive(Debug, Default)]
pub struct ExtractNestedField {
    outer: String,
    inner: String,
    output: String,
    cache: SchemaCache,
}

impl FieldTransform for ExtractNestedField {
    fn config_def() -> ConfigDef {
        ConfigDef::new()
            .required(
                "input.outer.field.name",
                ConfigType::String,
                "The struct (or map) field holding the nested field",
            )
            .required(
                "input.inner.field.name",
                ConfigType::String,
                "The nested field to extract",
            )
            .required(
                "output.field.name",
                ConfigType::String,
                "Name of the new top-level field",
            )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.outer = config.require("input.outer.field.name")?.to_owned();
        self.inner = config.require("input.inner.field.name")?.to_owned();
        self.output = config.require("output.field.name")?.to_owned();
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let (outer, inner, output) = (&self.outer, &self.inner, &self.output);
        match (data.schema, data.value) {
            (schema, Value::Null) => Ok(Some(SchemaAndValue::new(schema, Value::Null))),
            (Some(schema), Value::Struct(s)) => {
                let out_schema = self.cache.get_or_try_insert(&schema, |input| {
                    let outer_field = input.field(outer).ok_or_else(|| {
                        ConnectError::schema(format!(
                            "ExtractNestedField: no field '{outer}' in {}",
                            input.describe()
                        ))
                    })?;
                    let inner_field = outer_field.schema().field(inner).ok_or_else(|| {
                        ConnectError::schema(format!(
                            "ExtractNestedField: field '{outer}' has no nested field '{inner}'"
                        ))
                    })?;
                    let mut builder = struct_like(input);
                    for field in input.fields() {
                        builder = builder.field(field.name(), field.schema().clone())?;
                    }
                    Ok(builder
                        .field(output.clone(), optional_copy(inner_field.schema()))?
                        .build())
                })?;
                let nested = match s.get(outer) {
                    Some(Value::Struct(o)) => o.get(inner).cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                let mut values = s.into_values();
                values.push(nested);
                Ok(Some(SchemaAndValue::new(
                    Some(out_schema.clone()),
                    make_struct(out_schema, values)?,
                )))
            }
            (schema, Value::Map(mut entries)) => {
                let nested = entries
                    .iter()
                    .find(|(k, _)| k.as_str() == Some(outer.as_str()))
                    .and_then(|(_, v)| v.map_get(inner).cloned())
                    .unwrap_or(Value::Null);
                entries.retain(|(k, _)| k.as_str() != Some(output.as_str()));
                entries.push((Value::String(output.clone()), nested));
                // The new entry may not fit a schema'd map's value type, so the result is schemaless.
                let _ = schema;
                Ok(Some(SchemaAndValue::new(None, Value::Map(entries))))
            }
            (_, other) => Err(unsupported("ExtractNestedField", &other)),
        }
    }
}
