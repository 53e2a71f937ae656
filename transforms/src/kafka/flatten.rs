//! `Flatten$Key` / `$Value`: lifts nested struct (or map) fields to the top level, joining
//! names with `delimiter` (default `.`). Arrays are kept as they are; a MAP field in a
//! schema'd struct is refused (as Kafka). Structs inside schemaless maps are flattened too
//! (Kafka refuses them).

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::data::SchemaBuilder;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, FieldType, SchemaAndValue, SchemaRef,
    Struct, Value,
};

use crate::field_rename::kafka_struct_like;
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

/// Adds `schema`'s leaves to `builder`. A leaf is optional when it or any ancestor (the
/// top-level struct included) is; its default is its own, else its value in the nearest
/// ancestor's default (Kafka's rules).
fn flatten_schema(
    schema: &SchemaRef,
    prefix: &str,
    delimiter: &str,
    optional: bool,
    parent_default: Option<&Struct>,
    builder: SchemaBuilder,
) -> ConnectResult<SchemaBuilder> {
    let mut builder = builder;
    for field in schema.fields() {
        let name = join(prefix, delimiter, field.name());
        let fs = field.schema();
        let default = fs
            .default_value()
            .or_else(|| parent_default.map(|d| d.get_field(field)))
            .filter(|d| !d.is_null());
        let optional = optional || fs.is_optional();
        match fs.field_type() {
            FieldType::Struct => {
                let default = default.and_then(Value::as_struct);
                builder = flatten_schema(fs, &name, delimiter, optional, default, builder)?;
            }
            FieldType::Map => {
                return Err(ConnectError::data(format!(
                    "Flatten does not support MAP fields in records with schemas (field {name})"
                )));
            }
            _ => {
                let unchanged = fs.is_optional() == optional && fs.default_value() == default;
                let leaf = if unchanged {
                    fs.clone()
                } else {
                    let mut leaf = SchemaBuilder::from_schema(fs).optional_if(optional);
                    if let Some(default) = default {
                        leaf = leaf.default_value(default.clone())?;
                    }
                    leaf.build()
                };
                builder = builder.field(name, leaf)?;
            }
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
                    // The flat struct itself is required; an optional input makes every leaf
                    // optional instead, and the input's default feeds the leaves' defaults.
                    let flat = kafka_struct_like(input);
                    let default = input.default_value().and_then(Value::as_struct);
                    let optional = input.is_optional();
                    Ok(flatten_schema(input, "", &delimiter, optional, default, flat)?.build())
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
