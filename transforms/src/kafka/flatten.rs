//! `Flatten$Key` / `$Value`: lifts nested struct (or map) fields to the top level, joining
//! names with `delimiter` (default `.`). Arrays are kept as they are.

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::data::{SchemaBuilder, optional_copy};
use connect_api::{
    Config, ConnectRecord, ConnectResult, FieldType, SchemaAndValue, SchemaRef, Struct, Value,
};

use crate::field_rename::struct_like;
use crate::side::FieldTransform;
use crate::util::{SchemaCache, make_struct, unsupported};

#[derive(Debug, Default)]
pub struct Flatten {
    delimiter: String,
    cache: SchemaCache,
}

fn join(prefix: &str, delimiter: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}{delimiter}{name}")
    }
}

fn flatten_schema(
    schema: &SchemaRef,
    prefix: &str,
    delimiter: &str,
    optional: bool,
    builder: SchemaBuilder,
) -> ConnectResult<SchemaBuilder> {
    let mut builder = builder;
    for field in schema.fields() {
        let name = join(prefix, delimiter, field.name());
        let fs = field.schema();
        if fs.field_type() == FieldType::Struct {
            builder = flatten_schema(fs, &name, delimiter, optional || fs.is_optional(), builder)?;
        } else {
            let fs = if optional {
                optional_copy(fs)
            } else {
                fs.clone()
            };
            builder = builder.field(name, fs)?;
        }
    }
    Ok(builder)
}

fn flatten_values(s: Option<&Struct>, schema: &SchemaRef, out: &mut Vec<Value>) {
    for field in schema.fields() {
        let value = s.map_or(Value::Null, |s| s.get_field(field).clone());
        if field.schema().field_type() == FieldType::Struct {
            flatten_values(value.as_struct(), field.schema(), out);
        } else {
            out.push(value);
        }
    }
}

fn flatten_map(
    entries: Vec<(Value, Value)>,
    prefix: &str,
    delimiter: &str,
    out: &mut Vec<(Value, Value)>,
) {
    for (k, v) in entries {
        let name = join(prefix, delimiter, &k.to_string());
        match v {
            Value::Map(inner) => flatten_map(inner, &name, delimiter, out),
            Value::Struct(s) => {
                let schema = s.schema().clone();
                let nested = schema
                    .fields()
                    .iter()
                    .map(|f| (Value::String(f.name().to_owned()), s.get_field(f).clone()))
                    .collect();
                flatten_map(nested, &name, delimiter, out);
            }
            other => out.push((Value::String(name), other)),
        }
    }
}

impl FieldTransform for Flatten {
    fn config_def() -> ConfigDef {
        ConfigDef::new().optional(
            "delimiter",
            ConfigType::String,
            ".",
            "Separator between joined field names",
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.delimiter = config.get("delimiter").unwrap_or(".").to_owned();
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let delimiter = self.delimiter.clone();
        match (data.schema, data.value) {
            (schema, Value::Null) => Ok(Some(SchemaAndValue::new(schema, Value::Null))),
            (Some(schema), Value::Struct(s)) => {
                let out_schema = self.cache.get_or_try_insert(&schema, |input| {
                    Ok(flatten_schema(input, "", &delimiter, false, struct_like(input))?.build())
                })?;
                let mut values = Vec::with_capacity(out_schema.fields().len());
                flatten_values(Some(&s), &schema, &mut values);
                Ok(Some(SchemaAndValue::new(
                    Some(out_schema.clone()),
                    make_struct(out_schema, values)?,
                )))
            }
            (_, Value::Map(entries)) => {
                let mut out = Vec::with_capacity(entries.len());
                flatten_map(entries, "", &delimiter, &mut out);
                Ok(Some(SchemaAndValue::new(None, Value::Map(out))))
            }
            (_, other) => Err(unsupported("Flatten", &other)),
        }
    }
}
