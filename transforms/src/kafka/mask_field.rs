//! `MaskField$Key` / `$Value`: replaces the listed fields with an empty value of their type
//! (0, false, "", epoch, empty array/map) or with `replacement` parsed as that type. As in
//! Kafka: bytes cannot be masked, booleans, dates and collections take no replacement, an
//! empty `replacement` is refused, and a null field with a default is masked as its default.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{
    Config, ConfigError, ConnectError, ConnectRecord, ConnectResult, SchemaAndValue, Value,
};

use crate::side::FieldTransform;
use crate::util::{
    add_missing_as_null, field_values, make_struct, replace_null_with_default, unsupported,
    with_replace_null_key,
};

#[derive(Debug, Default)]
pub struct MaskField {
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

fn parse<T: FromStr>(text: &str, what: &str) -> ConnectResult<T> {
    text.trim().parse().map_err(|_| {
        ConnectError::data(format!(
            "MaskField: replacement '{text}' is not a valid {what}"
        ))
    })
}

/// The masked form of `value` (its type decides the empty value and how to parse a replacement).
fn mask(value: &Value, replacement: Option<&str>) -> ConnectResult<Value> {
    Ok(match (value, replacement) {
        (Value::Null, _) => Value::Null,
        (Value::Boolean(_), None) => Value::Boolean(false),

        (Value::Int8(_), r) => Value::Int8(r.map_or(Ok(0), |r| parse(r, "int8"))?),
        (Value::Int16(_), r) => Value::Int16(r.map_or(Ok(0), |r| parse(r, "int16"))?),
        (Value::Int32(_), r) => Value::Int32(r.map_or(Ok(0), |r| parse(r, "int32"))?),
        (Value::Int64(_), r) => Value::Int64(r.map_or(Ok(0), |r| parse(r, "int64"))?),
        (Value::Float32(_), r) => Value::Float32(r.map_or(Ok(0.0), |r| parse(r, "float32"))?),
        (Value::Float64(_), r) => Value::Float64(r.map_or(Ok(0.0), |r| parse(r, "float64"))?),
        (Value::Decimal(_), r) => {
            Value::Decimal(r.map_or(Ok(BigDecimal::from(0)), |r| parse(r, "decimal"))?)
        }
        (Value::String(_), r) => Value::String(r.unwrap_or("").to_owned()),
        (Value::Date(_), None) => Value::Date(0),
        (Value::Time(_), None) => Value::Time(0),
        (Value::Timestamp(_), None) => Value::Timestamp(0),
        (Value::Array(_), None) => Value::Array(Vec::new()),
        (Value::Map(_), None) => Value::Map(Vec::new()),
        (other, Some(_)) => {
            return Err(ConnectError::data(format!(
                "MaskField: a replacement cannot be applied to a {} field",
                other.type_name()
            )));
        }
        (Value::Struct(_), None) => {
            return Err(ConnectError::data(
                "MaskField: struct fields cannot be masked; mask their members",
            ));
        }
        (Value::Bytes(_), None) => {
            return Err(ConnectError::data(
                "MaskField: bytes fields cannot be masked (as in Kafka); drop them with \
                 ReplaceField instead",
            ));
        }
    })
}

impl FieldTransform for MaskField {
    fn config_def() -> ConfigDef {
        with_replace_null_key(
            ConfigDef::new()
                .required("fields", ConfigType::List, "Fields to mask")
                .validate_with(Validator::NonEmpty)
                .optional(
                    "replacement",
                    ConfigType::String,
                    "",
                    "Replacement value (default: the type's empty value)",
                ),
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.fields = config.get_list("fields");
        self.replacement = match config.get("replacement") {
            Some("") => {
                return Err(ConfigError::invalid(
                    "replacement",
                    "",
                    "must not be empty; leave it out to mask with the type's empty value",
                )
                .into());
            }
            other => other.map(str::to_owned),
        };
        self.replace_null_with_default = replace_null_with_default(config)?;
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let replacement = self.replacement.as_deref();
        let masked = |name: &str| self.fields.iter().any(|f| f == name);
        match (data.schema, data.value) {
            (schema, Value::Null) => Ok(Some(SchemaAndValue::new(schema, Value::Null))),
            (Some(schema), Value::Struct(s)) => {
                // Every field is copied as Kafka reads it (a null as its default unless
                // replace.null.with.default=false); the listed ones are then masked.
                let copied = field_values(s, self.replace_null_with_default);
                let mut values = Vec::with_capacity(copied.len());
                for (field, value) in schema.fields().iter().zip(copied) {
                    values.push(if masked(field.name()) {
                        mask(&value, replacement)?
                    } else {
                        value
                    });
                }
                Ok(Some(SchemaAndValue::new(
                    Some(schema.clone()),
                    make_struct(schema, values)?,
                )))
            }
            (schema, Value::Map(entries)) => {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let hit = k.as_str().is_some_and(masked);
                    out.push((k, if hit { mask(&v, replacement)? } else { v }));
                }
                // As Kafka: a listed key the map lacks is added, masked null (null).
                add_missing_as_null(&mut out, &self.fields);
                Ok(Some(SchemaAndValue::new(schema, Value::Map(out))))
            }
            (_, other) => Err(unsupported("MaskField", &other)),
        }
    }
}
