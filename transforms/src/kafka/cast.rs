//! `Cast$Key` / `$Value`: casts the whole value (`spec=int64`) or listed fields
//! (`spec=id:int64,score:float64`) to int8/16/32/64, float32/64, boolean or string.
//! Out-of-range integers are errors, not silent wrap-arounds as in Kafka. Casts to `string` write
//! Kafka's text ([`java_text`]: ISO dates, Java float forms); schema defaults are cast with their
//! fields; `replace.null.with.default` (default `true`) casts a null field's default in its place.

use bigdecimal::ToPrimitive;
use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::data::SchemaBuilder;
use connect_api::{
    Config, ConfigError, ConnectError, ConnectRecord, ConnectResult, FieldType, Schema,
    SchemaAndValue, SchemaRef, Value,
};

use crate::field_rename::struct_like;
use crate::java_text::java_text;
use crate::side::FieldTransform;
use crate::util::{
    SchemaCache, add_missing_as_null, field_values, make_struct, replace_null_with_default,
    unsupported, with_replace_null_key,
};

const TYPES: &[&str] = &[
    "int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string",
];

#[derive(Debug, Default)]
pub struct Cast {
    whole: Option<FieldType>,
    replace_null_with_default: bool,
    fields: Vec<(String, FieldType)>,
    /// The names in `fields` (kept for the schemaless path).
    field_names: Vec<String>,
    cache: SchemaCache,
}

fn parse_type(raw: &str, spec: &str) -> Result<FieldType, ConfigError> {
    match FieldType::from_name(raw.trim()) {
        Some(t) if t.is_primitive() && t != FieldType::Bytes => Ok(t),
        _ => Err(ConfigError::invalid(
            "spec",
            spec,
            format!(
                "'{raw}' is not a cast target; expected one of {}",
                TYPES.join(", ")
            ),
        )),
    }
}

fn out_of_range(value: &Value, target: FieldType) -> ConnectError {
    ConnectError::data(format!("Cast: {value} does not fit in {target}"))
}

fn as_i128(value: &Value, target: FieldType) -> ConnectResult<i128> {
    Ok(match value {
        Value::Boolean(b) => i128::from(*b),
        Value::Float32(f) => {
            float_to_i128(f64::from(*f)).ok_or_else(|| out_of_range(value, target))?
        }
        Value::Float64(f) => float_to_i128(*f).ok_or_else(|| out_of_range(value, target))?,
        Value::Decimal(d) => d.to_i128().ok_or_else(|| out_of_range(value, target))?,
        Value::String(s) => s
            .trim()
            .parse::<i128>()
            .ok()
            .or_else(|| s.trim().parse::<f64>().ok().and_then(float_to_i128))
            .ok_or_else(|| ConnectError::data(format!("Cast: '{s}' is not a number")))?,
        Value::Date(v) | Value::Time(v) => i128::from(*v),
        Value::Timestamp(v) => i128::from(*v),
        other => i128::from(other.as_i64().ok_or_else(|| {
            ConnectError::data(format!(
                "Cast: cannot cast {} to {target}",
                other.type_name()
            ))
        })?),
    })
}

#[allow(clippy::cast_possible_truncation)]
fn float_to_i128(f: f64) -> Option<i128> {
    (f.is_finite() && f.abs() < 1.7e38).then(|| f.trunc() as i128)
}

fn as_f64(value: &Value, target: FieldType) -> ConnectResult<f64> {
    match value {
        Value::Boolean(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Decimal(d) => d.to_f64().ok_or_else(|| out_of_range(value, target)),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| ConnectError::data(format!("Cast: '{s}' is not a number"))),
        Value::Date(v) | Value::Time(v) => Ok(f64::from(*v)),
        #[allow(clippy::cast_precision_loss, reason = "Kafka casts a long to a double")]
        Value::Timestamp(v) => Ok(*v as f64),
        other => other.as_f64().ok_or_else(|| {
            ConnectError::data(format!(
                "Cast: cannot cast {} to {target}",
                other.type_name()
            ))
        }),
    }
}

/// Casts one value.
pub fn cast_value(value: &Value, target: FieldType) -> ConnectResult<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let int = |v: &Value| as_i128(v, target);
    Ok(match target {
        FieldType::Int8 => {
            Value::Int8(i8::try_from(int(value)?).map_err(|_| out_of_range(value, target))?)
        }
        FieldType::Int16 => {
            Value::Int16(i16::try_from(int(value)?).map_err(|_| out_of_range(value, target))?)
        }
        FieldType::Int32 => {
            Value::Int32(i32::try_from(int(value)?).map_err(|_| out_of_range(value, target))?)
        }
        FieldType::Int64 => {
            Value::Int64(i64::try_from(int(value)?).map_err(|_| out_of_range(value, target))?)
        }
        #[allow(clippy::cast_possible_truncation)]
        FieldType::Float32 => Value::Float32(as_f64(value, target)? as f32),
        FieldType::Float64 => Value::Float64(as_f64(value, target)?),
        FieldType::Boolean => Value::Boolean(match value {
            Value::Boolean(b) => *b,
            Value::String(s) if s.trim().eq_ignore_ascii_case("true") => true,
            Value::String(s) if s.trim().eq_ignore_ascii_case("false") => false,
            Value::String(s) => {
                return Err(ConnectError::data(format!("Cast: '{s}' is not a boolean")));
            }
            // A number is true when its integral part is not zero (Kafka: `longValue() != 0`).
            Value::Float32(f) => !f.is_nan() && f.trunc() != 0.0,
            Value::Float64(f) => !f.is_nan() && f.trunc() != 0.0,
            Value::Decimal(d) => d.abs() >= 1,
            other => as_i128(other, target)? != 0,
        }),
        FieldType::String => Value::String(java_text(value)),
        other => {
            return Err(ConnectError::data(format!(
                "Cast: {other} is not a cast target"
            )));
        }
    })
}

/// The schema a value of `schema` has once cast to `target`: the target type, the same
/// optionality, and the default cast too.
fn cast_schema(schema: &Schema, target: FieldType) -> ConnectResult<SchemaRef> {
    let mut builder = SchemaBuilder::of(target).optional_if(schema.is_optional());
    if let Some(default) = schema.default_value() {
        builder = builder.default_value(cast_value(default, target)?)?;
    }
    Ok(builder.build())
}

impl FieldTransform for Cast {
    fn config_def() -> ConfigDef {
        with_replace_null_key(
            ConfigDef::new()
                .required(
                    "spec",
                    ConfigType::List,
                    "A type for the whole value, or field:type pairs",
                )
                .validate_with(Validator::NonEmpty),
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.replace_null_with_default = replace_null_with_default(config)?;
        let spec = config.require("spec")?;
        let items = config.get_list("spec");
        if items.len() == 1 && !items[0].contains(':') {
            self.whole = Some(parse_type(&items[0], spec)?);
            return Ok(());
        }
        for item in items {
            let (field, ty) = item.split_once(':').ok_or_else(|| {
                ConfigError::invalid("spec", spec, format!("'{item}' is not field:type"))
            })?;
            self.fields
                .push((field.trim().to_owned(), parse_type(ty, spec)?));
        }
        self.field_names = self.fields.iter().map(|(f, _)| f.clone()).collect();
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        if let Some(target) = self.whole {
            // A null key or value passes untouched, schema and all.
            if data.value.is_null() {
                return Ok(Some(data));
            }
            let schema = match &data.schema {
                Some(s) => Some(cast_schema(s, target)?),
                None => None,
            };
            return Ok(Some(SchemaAndValue::new(
                schema,
                cast_value(&data.value, target)?,
            )));
        }
        let target_of = |name: &str| self.fields.iter().find(|(f, _)| f == name).map(|(_, t)| *t);
        match (data.schema, data.value) {
            (schema, Value::Null) => Ok(Some(SchemaAndValue::new(schema, Value::Null))),
            (Some(schema), Value::Struct(s)) => {
                let fields = self.fields.clone();
                let out_schema = self.cache.get_or_try_insert(&schema, |input| {
                    let mut builder = struct_like(input);
                    for field in input.fields() {
                        let fs = match fields.iter().find(|(f, _)| f == field.name()) {
                            Some((_, t)) => cast_schema(field.schema(), *t)?,
                            None => field.schema().clone(),
                        };
                        builder = builder.field(field.name(), fs)?;
                    }
                    Ok(builder.build())
                })?;
                // Every field is copied as Kafka reads it (a null as its default unless
                // replace.null.with.default=false); the listed ones are then cast.
                let copied = field_values(s, self.replace_null_with_default);
                let mut values = Vec::with_capacity(copied.len());
                for (field, value) in schema.fields().iter().zip(copied) {
                    values.push(match target_of(field.name()) {
                        Some(t) => cast_value(&value, t)?,
                        None => value,
                    });
                }
                Ok(Some(SchemaAndValue::new(
                    Some(out_schema.clone()),
                    make_struct(out_schema, values)?,
                )))
            }
            (_, Value::Map(entries)) => {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let v = match k.as_str().and_then(target_of) {
                        Some(t) => cast_value(&v, t)?,
                        None => v,
                    };
                    out.push((k, v));
                }
                // As Kafka: a listed field the map lacks is added as null.
                add_missing_as_null(&mut out, &self.field_names);
                Ok(Some(SchemaAndValue::new(None, Value::Map(out))))
            }
            (_, other) => Err(unsupported("Cast", &other)),
        }
    }
}
