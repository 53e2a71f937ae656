//! `TimestampConverter$Key` / `$Value`: converts a timestamp (the whole value, or `field`)
//! between a formatted string (`format`, Java `SimpleDateFormat` syntax), a unix number
//! (`unix.precision`), and the logical Date, Time and Timestamp types. Times are UTC.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::data::SchemaBuilder;
use connect_api::data::logical::MILLIS_PER_DAY;
use connect_api::{
    Config, ConfigError, ConnectError, ConnectRecord, ConnectResult, FieldType, LogicalType,
    Schema, SchemaAndValue, SchemaRef, Value,
};

use crate::field_rename::struct_like;
use crate::side::FieldTransform;
use crate::util::{
    SchemaCache, field_values, make_struct, replace_null_with_default, unsupported,
    with_replace_null_key,
};

const TARGETS: &[&str] = &["string", "unix", "Date", "Time", "Timestamp"];
const PRECISIONS: &[&str] = &["seconds", "milliseconds", "microseconds", "nanoseconds"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Target {
    String,
    Unix,
    Date,
    Time,
    #[default]
    Timestamp,
}

#[derive(Debug, Default)]
pub struct TimestampConverter {
    field: Option<String>,
    target: Target,
    /// chrono format translated from the Java pattern.
    format: Option<String>,
    /// Unix units per second.
    units_per_second: i64,
    cache: SchemaCache,
    replace_null_with_default: bool,
}

/// The Java pattern under `key` as a chrono format string and its parsed items; a pattern
/// chrono cannot use is a configuration error naming the key (one rule for every transform
/// that takes a date format).
pub fn java_date_format(
    key: &str,
    java: &str,
) -> Result<(String, Vec<Item<'static>>), ConfigError> {
    let chrono = java_to_chrono(java).map_err(|e| ConfigError::invalid(key, java, e))?;
    let items = StrftimeItems::new(&chrono)
        .parse_to_owned()
        .map_err(|_| ConfigError::invalid(key, java, "not a usable date format"))?;
    Ok((chrono, items))
}

/// Translates a Java `SimpleDateFormat` pattern into a chrono format string.
pub fn java_to_chrono(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal; '' is a single quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '%' {
                    out.push_str("%%");
                } else {
                    out.push(chars[i]);
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            if c == '%' {
                out.push_str("%%");
            } else {
                out.push(c);
            }
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        let spec = match (c, n) {
            ('y' | 'u', 2) => "%y",
            ('y', _) => "%Y",
            ('M', 1) => "%-m",
            ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('D', _) => "%j",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('h', 1) => "%-I",
            ('h', _) => "%I",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('S', 6) => "%6f",
            ('S', 9) => "%9f",
            ('S', _) => "%3f",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('a', _) => "%p",
            ('Z', _) | ('X', 2) => "%z",
            ('X', 1) => "%#z",
            ('X', _) => "%:z",
            ('z', _) => "%Z",
            (other, _) => return Err(format!("pattern letter '{other}' is not supported")),
        };
        out.push_str(spec);
        i += n;
    }
    Ok(out)
}

impl TimestampConverter {
    fn to_millis(&self, value: &Value, schema: Option<&SchemaRef>) -> ConnectResult<i64> {
        let logical = schema.and_then(|s| s.logical_type());
        Ok(match (value, logical) {
            (Value::Timestamp(ms), _) => *ms,
            (Value::Date(days), _) => i64::from(*days) * MILLIS_PER_DAY,
            (Value::Time(ms), _) => i64::from(*ms),
            (Value::String(text), _) => self.parse(text)?,
            (Value::Int64(n), Some(LogicalType::Timestamp)) => *n,
            (other, _) => {
                let n = other.as_i64().ok_or_else(|| {
                    ConnectError::data(format!(
                        "TimestampConverter: cannot read a timestamp from a {}",
                        other.type_name()
                    ))
                })?;
                match self.units_per_second {
                    1 => n.saturating_mul(1000),
                    1000 => n,
                    units => n / (units / 1000),
                }
            }
        })
    }

    fn parse(&self, text: &str) -> ConnectResult<i64> {
        let format = self.format.as_deref().ok_or_else(|| {
            ConnectError::data("TimestampConverter: reading a string needs 'format'")
        })?;
        if let Ok(dt) = DateTime::parse_from_str(text, format) {
            return Ok(dt.timestamp_millis());
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(dt.and_utc().timestamp_millis());
        }
        if let Ok(date) = NaiveDate::parse_from_str(text, format) {
            return Ok(date.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
        }
        match NaiveTime::parse_from_str(text, format) {
            Ok(time) => Ok((time - NaiveTime::MIN).num_milliseconds()),
            Err(e) => Err(ConnectError::data(format!(
                "TimestampConverter: '{text}' does not match the format: {e}"
            ))),
        }
    }

    fn millis_to_target(&self, ms: i64) -> ConnectResult<Value> {
        Ok(match self.target {
            Target::Timestamp => Value::Timestamp(ms),
            Target::Unix => Value::Int64(match self.units_per_second {
                // Toward zero, as Kafka's TimeUnit conversion: -1500 ms is -1 s.
                1 => ms / 1000,
                units => ms.saturating_mul(units / 1000),
            }),
            Target::Date => {
                Value::Date(i32::try_from(ms.div_euclid(MILLIS_PER_DAY)).map_err(|_| {
                    ConnectError::data(format!("TimestampConverter: {ms} ms is out of Date range"))
                })?)
            }
            #[allow(clippy::cast_possible_truncation)]
            Target::Time => Value::Time(ms.rem_euclid(MILLIS_PER_DAY) as i32),
            Target::String => {
                let format = self.format.as_deref().unwrap_or("%Y-%m-%dT%H:%M:%S%.3fZ");
                let dt = DateTime::from_timestamp_millis(ms).ok_or_else(|| {
                    ConnectError::data(format!("TimestampConverter: {ms} ms is out of range"))
                })?;
                Value::String(dt.format(format).to_string())
            }
        })
    }

    fn target_schema(&self, optional: bool) -> SchemaRef {
        match self.target {
            Target::String => SchemaBuilder::string(),
            Target::Unix => SchemaBuilder::int64(),
            Target::Date => SchemaBuilder::date(),
            Target::Time => SchemaBuilder::time(),
            Target::Timestamp => SchemaBuilder::timestamp(),
        }
        .optional_if(optional)
        .build()
    }

    fn convert(&self, value: &Value, schema: Option<&SchemaRef>) -> ConnectResult<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        self.millis_to_target(self.to_millis(value, schema)?)
    }
}

fn no_field(name: &str, schema: &Schema) -> ConnectError {
    ConnectError::schema(format!(
        "TimestampConverter: no field '{name}' in {}",
        schema.describe()
    ))
}

impl TimestampConverter {
    /// `schema` with field `name` given the target type (cached per input schema).
    fn struct_schema(&mut self, schema: &SchemaRef, name: &str) -> ConnectResult<SchemaRef> {
        let field = schema.field(name).ok_or_else(|| no_field(name, schema))?;
        let index = field.index();
        let replacement = self.target_schema(field.schema().is_optional());
        self.cache.get_or_try_insert(schema, |input| {
            let mut builder = struct_like(input);
            for f in input.fields() {
                let fs = if f.index() == index {
                    replacement.clone()
                } else {
                    f.schema().clone()
                };
                builder = builder.field(f.name(), fs)?;
            }
            Ok(builder.build())
        })
    }
}

impl FieldTransform for TimestampConverter {
    fn config_def() -> ConfigDef {
        with_replace_null_key(
            ConfigDef::new()
                .optional(
                    "field",
                    ConfigType::String,
                    "",
                    "Field holding the timestamp (empty: the whole value)",
                )
                .required(
                    "target.type",
                    ConfigType::String,
                    "string, unix, Date, Time or Timestamp",
                )
                .validate_with(Validator::OneOf(TARGETS))
                .optional(
                    "format",
                    ConfigType::String,
                    "",
                    "SimpleDateFormat pattern for strings",
                )
                .optional(
                    "unix.precision",
                    ConfigType::String,
                    "milliseconds",
                    "Unit of unix numbers",
                )
                .validate_with(Validator::OneOf(PRECISIONS)),
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.replace_null_with_default = replace_null_with_default(config)?;
        self.field = config.get_trimmed("field").map(str::to_owned);
        self.target = match config.require("target.type")?.to_ascii_lowercase().as_str() {
            "string" => Target::String,
            "unix" => Target::Unix,
            "date" => Target::Date,
            "time" => Target::Time,
            _ => Target::Timestamp,
        };
        self.format = match config.get_trimmed("format") {
            None => None,
            Some(java) => Some(java_date_format("format", java)?.0),
        };
        if self.target == Target::String && self.format.is_none() {
            return Err(ConfigError::missing("format").into());
        }
        self.units_per_second = match config.get_string_or("unix.precision", "milliseconds") {
            "seconds" => 1,
            "microseconds" => 1_000_000,
            "nanoseconds" => 1_000_000_000,
            _ => 1000,
        };
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let Some(name) = self.field.clone() else {
            let optional = data.schema.as_ref().is_none_or(|s| s.is_optional());
            let value = self.convert(&data.value, data.schema.as_ref())?;
            let schema = data.schema.as_ref().map(|_| self.target_schema(optional));
            return Ok(Some(SchemaAndValue::new(schema, value)));
        };
        match (data.schema, data.value) {
            // A null struct still gets the converted schema: a tombstone and a record of one
            // stream carry the same schema.
            (Some(schema), Value::Null) if schema.field_type() == FieldType::Struct => {
                let out_schema = self.struct_schema(&schema, &name)?;
                Ok(Some(SchemaAndValue::new(Some(out_schema), Value::Null)))
            }
            (schema, Value::Null) => Ok(Some(SchemaAndValue::new(schema, Value::Null))),
            (Some(schema), Value::Struct(s)) => {
                let out_schema = self.struct_schema(&schema, &name)?;
                let field = schema
                    .field(&name)
                    .ok_or_else(|| no_field(&name, &schema))?;
                let index = field.index();
                let field_schema = field.schema().clone();
                // Every field is copied as Kafka reads it (a null as its default unless
                // replace.null.with.default=false); the named one is then converted.
                let mut values = field_values(s, self.replace_null_with_default);
                values[index] = self.convert(&values[index], Some(&field_schema))?;
                Ok(Some(SchemaAndValue::new(
                    Some(out_schema.clone()),
                    make_struct(out_schema, values)?,
                )))
            }
            (_, Value::Map(mut entries)) => {
                for (k, v) in &mut entries {
                    if k.as_str() == Some(name.as_str()) {
                        *v = self.convert(v, None)?;
                    }
                }
                Ok(Some(SchemaAndValue::new(None, Value::Map(entries))))
            }
            (_, other) => Err(unsupported("TimestampConverter", &other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_patterns_translate() {
        assert_eq!(
            java_to_chrono("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").unwrap(),
            "%Y-%m-%dT%H:%M:%S.%3f%:z"
        );
        assert_eq!(java_to_chrono("dd/MM/yy").unwrap(), "%d/%m/%y");
        assert_eq!(java_to_chrono("'100%' yyyy").unwrap(), "100%% %Y");
        assert!(java_to_chrono("yyyy G").is_err());
    }
}
