//! Values ⇄ JSON, guided by the schema when there is one.
//!
//! Encoding is a `Serialize` impl written straight into the output buffer (no intermediate
//! JSON tree). Decoding walks a parsed `serde_json::Value` alongside the schema.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bigdecimal::BigDecimal;
use connect_api::data::logical::{decimal_from_bytes, decimal_to_bytes};
use connect_api::{ConnectError, FieldType, LogicalType, Schema, SchemaRef, Struct, Value};
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::tree::JsonLike;
use super::{DecimalFormat, JsonSettings};

/// Serializes `value` under `schema` (or schemaless when `schema` is `None`).
pub(crate) struct PayloadJson<'a> {
    pub schema: Option<&'a Schema>,
    pub value: &'a Value,
    pub settings: &'a JsonSettings,
}

impl<'a> PayloadJson<'a> {
    fn nested(&self, schema: Option<&'a Schema>, value: &'a Value) -> PayloadJson<'a> {
        PayloadJson {
            schema,
            value,
            settings: self.settings,
        }
    }
}

fn float<S: Serializer>(serializer: S, v: f64) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        serializer.serialize_f64(v)
    } else {
        Err(S::Error::custom(format!(
            "{v} cannot be represented in JSON"
        )))
    }
}

/// A float32 written with float32 precision (`12.34`, as Kafka writes it), not widened to
/// f64 first (`12.34000015258789`): both read back as the same f32.
fn float32<S: Serializer>(serializer: S, v: f32) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        serializer.serialize_f32(v)
    } else {
        Err(S::Error::custom(format!(
            "{v} cannot be represented in JSON"
        )))
    }
}

/// A decimal as a JSON number written from its exact text: every digit and the scale kept
/// (`1.5600` stays `1.5600`), never through f64.
fn exact_number<S: Serializer>(serializer: S, text: String) -> Result<S::Ok, S::Error> {
    let raw = RawValue::from_string(text)
        .map_err(|e| S::Error::custom(format!("decimal is not a JSON number: {e}")))?;
    raw.serialize(serializer)
}

fn decimal_json<S: Serializer>(
    serializer: S,
    decimal: &BigDecimal,
    scale: i32,
    format: DecimalFormat,
) -> Result<S::Ok, S::Error> {
    match format {
        DecimalFormat::Base64 => {
            serializer.serialize_str(&BASE64.encode(decimal_to_bytes(decimal, scale)))
        }
        DecimalFormat::Numeric => exact_number(
            serializer,
            decimal.with_scale(i64::from(scale)).to_plain_string(),
        ),
    }
}

impl Serialize for PayloadJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.value;
        let Some(schema) = self.schema else {
            return self.serialize_schemaless(serializer);
        };
        if value.is_null() {
            if let Some(default) = schema
                .default_value()
                .filter(|_| self.settings.replace_null_with_default)
            {
                return self.nested(Some(schema), default).serialize(serializer);
            }
            if schema.is_optional() {
                return serializer.serialize_unit();
            }
            return Err(S::Error::custom(format!(
                "null value for a required {} schema",
                schema.describe()
            )));
        }
        if let Some(logical) = schema.logical_type() {
            return match (logical, value) {
                (LogicalType::Decimal { scale }, Value::Decimal(d)) => {
                    decimal_json(serializer, d, scale, self.settings.decimal_format)
                }
                (LogicalType::Date, Value::Date(days)) => serializer.serialize_i32(*days),
                (LogicalType::Time, Value::Time(ms)) => serializer.serialize_i32(*ms),
                (LogicalType::Timestamp, Value::Timestamp(ms)) => serializer.serialize_i64(*ms),
                (logical, other) => Err(S::Error::custom(format!(
                    "{} value for a {} schema",
                    other.type_name(),
                    logical.name()
                ))),
            };
        }
        match (schema.field_type(), value) {
            (FieldType::Int8, Value::Int8(v)) => serializer.serialize_i8(*v),
            (FieldType::Int16, Value::Int16(v)) => serializer.serialize_i16(*v),
            (FieldType::Int32, Value::Int32(v)) => serializer.serialize_i32(*v),
            (FieldType::Int64, Value::Int64(v)) => serializer.serialize_i64(*v),
            (FieldType::Float32, Value::Float32(v)) => float32(serializer, *v),
            (FieldType::Float64, Value::Float64(v)) => float(serializer, *v),
            (FieldType::Boolean, Value::Boolean(v)) => serializer.serialize_bool(*v),
            (FieldType::String, Value::String(v)) => serializer.serialize_str(v),
            (FieldType::Bytes, Value::Bytes(v)) => serializer.serialize_str(&BASE64.encode(v)),
            (FieldType::Array, Value::Array(items)) => {
                let element = schema.value_schema().map(AsRef::as_ref);
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&self.nested(element, item))?;
                }
                seq.end()
            }
            (FieldType::Map, Value::Map(entries)) => {
                let key_schema = schema.key_schema().map(AsRef::as_ref);
                let value_schema = schema.value_schema().map(AsRef::as_ref);
                let string_keys = key_schema.is_some_and(|k| k.field_type() == FieldType::String);
                self.serialize_map_entries(
                    serializer,
                    entries,
                    key_schema,
                    value_schema,
                    string_keys,
                )
            }
            (FieldType::Struct, Value::Struct(s)) => {
                let same =
                    std::ptr::eq(s.schema().as_ref(), schema) || s.schema().as_ref() == schema;
                if !same {
                    return Err(S::Error::custom(format!(
                        "struct value's schema does not match the declared {} schema",
                        schema.describe()
                    )));
                }
                self.serialize_struct(serializer, s)
            }
            (ty, other) => Err(S::Error::custom(format!(
                "{} value for a {ty} schema",
                other.type_name()
            ))),
        }
    }
}

impl PayloadJson<'_> {
    fn serialize_struct<S: Serializer>(
        &self,
        serializer: S,
        s: &Struct,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(s.values().len()))?;
        for (field, value) in s.schema().fields().iter().zip(s.values()) {
            map.serialize_entry(field.name(), &self.nested(Some(field.schema()), value))?;
        }
        map.end()
    }

    fn serialize_map_entries<S: Serializer>(
        &self,
        serializer: S,
        entries: &[(Value, Value)],
        key_schema: Option<&Schema>,
        value_schema: Option<&Schema>,
        string_keys: bool,
    ) -> Result<S::Ok, S::Error> {
        if string_keys {
            let mut map = serializer.serialize_map(Some(entries.len()))?;
            for (k, v) in entries {
                let key = k.as_str().ok_or_else(|| {
                    S::Error::custom(format!("{} key in a map with string keys", k.type_name()))
                })?;
                map.serialize_entry(key, &self.nested(value_schema, v))?;
            }
            map.end()
        } else {
            // Non-string keys: an array of [key, value] pairs, as the Java converter writes.
            let mut seq = serializer.serialize_seq(Some(entries.len()))?;
            for (k, v) in entries {
                seq.serialize_element(&(self.nested(key_schema, k), self.nested(value_schema, v)))?;
            }
            seq.end()
        }
    }

    fn serialize_schemaless<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Null => serializer.serialize_unit(),
            Value::Boolean(v) => serializer.serialize_bool(*v),
            Value::Int8(v) => serializer.serialize_i8(*v),
            Value::Int16(v) => serializer.serialize_i16(*v),
            Value::Int32(v) | Value::Date(v) | Value::Time(v) => serializer.serialize_i32(*v),
            Value::Int64(v) | Value::Timestamp(v) => serializer.serialize_i64(*v),
            Value::Float32(v) => float32(serializer, *v),
            Value::Float64(v) => float(serializer, *v),
            Value::String(v) => serializer.serialize_str(v),
            Value::Bytes(v) => serializer.serialize_str(&BASE64.encode(v)),
            Value::Decimal(d) => exact_number(serializer, d.to_plain_string()),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&self.nested(None, item))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
                self.serialize_map_entries(serializer, entries, None, None, string_keys)
            }
            Value::Struct(s) => self.serialize_struct(serializer, s),
        }
    }
}

fn mismatch<J: JsonLike>(path: &str, expected: &str, found: &J) -> ConnectError {
    let mut shown = found.shown();
    if shown.len() > 64 {
        let mut end = 64;
        while !shown.is_char_boundary(end) {
            end -= 1;
        }
        shown.truncate(end);
        shown.push('…');
    }
    ConnectError::data(format!("'{path}': expected {expected}, found {shown}"))
}

fn integer<T: TryFrom<i64>, J: JsonLike>(
    json: &J,
    path: &str,
    expected: &str,
) -> Result<T, ConnectError> {
    json.as_i64()
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| mismatch(path, expected, json))
}

/// Decodes payload JSON under `schema`; `path` locates the value in error messages.
pub(crate) fn decode_payload<J: JsonLike>(
    schema: Option<&SchemaRef>,
    json: &J,
    settings: &JsonSettings,
    path: &str,
) -> Result<Value, ConnectError> {
    let Some(schema) = schema else {
        return Ok(decode_schemaless(json));
    };
    if json.is_null() {
        if let Some(default) = schema
            .default_value()
            .filter(|_| settings.replace_null_with_default)
        {
            return Ok(default.clone());
        }
        if schema.is_optional() {
            return Ok(Value::Null);
        }
        return Err(ConnectError::data(format!(
            "'{path}': null for a required {} schema",
            schema.describe()
        )));
    }
    if let Some(logical) = schema.logical_type() {
        return match logical {
            LogicalType::Decimal { scale } => {
                if let Some(text) = json.as_str() {
                    let bytes = BASE64.decode(text).map_err(|e| {
                        ConnectError::data(format!("'{path}': invalid base64 decimal: {e}"))
                    })?;
                    Ok(Value::Decimal(decimal_from_bytes(&bytes, scale)))
                } else if let Some(text) = json.number_text() {
                    // Exact: the number's own digits, never through f64.
                    let decimal: BigDecimal = text
                        .parse()
                        .map_err(|_| mismatch(path, "a decimal number", json))?;
                    Ok(Value::Decimal(at_scale(decimal, scale, path, json)?))
                } else {
                    Err(mismatch(
                        path,
                        "a base64 string or number for a Decimal",
                        json,
                    ))
                }
            }
            LogicalType::Date => Ok(Value::Date(integer(json, path, "an int32 day count")?)),
            LogicalType::Time => Ok(Value::Time(integer(
                json,
                path,
                "an int32 millisecond of day",
            )?)),
            LogicalType::Timestamp => Ok(Value::Timestamp(integer(
                json,
                path,
                "an int64 epoch millisecond",
            )?)),
        };
    }
    Ok(match schema.field_type() {
        FieldType::Int8 => Value::Int8(integer(json, path, "an int8")?),
        FieldType::Int16 => Value::Int16(integer(json, path, "an int16")?),
        FieldType::Int32 => Value::Int32(integer(json, path, "an int32")?),
        FieldType::Int64 => Value::Int64(integer(json, path, "an int64")?),
        #[allow(clippy::cast_possible_truncation)]
        FieldType::Float32 => Value::Float32(
            json.as_f64()
                .ok_or_else(|| mismatch(path, "a number", json))? as f32,
        ),
        FieldType::Float64 => Value::Float64(
            json.as_f64()
                .ok_or_else(|| mismatch(path, "a number", json))?,
        ),
        FieldType::Boolean => Value::Boolean(
            json.as_bool()
                .ok_or_else(|| mismatch(path, "a boolean", json))?,
        ),
        FieldType::String => Value::String(
            json.as_str()
                .ok_or_else(|| mismatch(path, "a string", json))?
                .to_owned(),
        ),
        FieldType::Bytes => {
            let text = json
                .as_str()
                .ok_or_else(|| mismatch(path, "a base64 string", json))?;
            Value::Bytes(
                BASE64
                    .decode(text)
                    .map_err(|e| ConnectError::data(format!("'{path}': invalid base64: {e}")))?,
            )
        }
        FieldType::Array => {
            let items = json
                .items()
                .ok_or_else(|| mismatch(path, "an array", json))?;
            let element = schema.value_schema();
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(decode_payload(
                    element,
                    item,
                    settings,
                    &format!("{path}[{i}]"),
                )?);
            }
            Value::Array(out)
        }
        FieldType::Map => decode_map(schema, json, settings, path)?,
        FieldType::Struct => {
            let object = json
                .fields()
                .ok_or_else(|| mismatch(path, "an object", json))?;
            let mut values = Vec::with_capacity(schema.fields().len());
            for (index, field) in schema.fields().iter().enumerate() {
                let item = field_named(&object, index, field.name());
                let child = format!("{path}.{}", field.name());
                values.push(match item {
                    Some(item) => decode_payload(Some(field.schema()), item, settings, &child)?,
                    None => decode_payload(Some(field.schema()), &J::null(), settings, &child)?,
                });
            }
            Value::Struct(Struct::from_values(schema.clone(), values)?)
        }
        FieldType::Datetime => {
            return Err(ConnectError::data(format!(
                "'{path}': the DATETIME type cannot be decoded"
            )));
        }
    })
}

/// How far a number's own exponent may be from its schema's scale: further is refused rather
/// than expanded (`1e10000000` would be ten million digits).
const MAX_RESCALE: i64 = 10_000;

/// `decimal` at the schema's `scale`: more zeros are added freely, but digits that would be
/// cut off are an error, never a silent truncation (`1.567` under scale 2).
fn at_scale<J: JsonLike>(
    decimal: BigDecimal,
    scale: i32,
    path: &str,
    json: &J,
) -> Result<BigDecimal, ConnectError> {
    let (_, own_scale) = decimal.as_bigint_and_exponent();
    let target = i64::from(scale);
    if (own_scale - target).abs() > MAX_RESCALE {
        return Err(mismatch(
            path,
            &format!("a decimal near scale {scale}"),
            json,
        ));
    }
    let rescaled = decimal.with_scale(target);
    if rescaled != decimal {
        return Err(mismatch(
            path,
            &format!("a decimal with at most {scale} decimal places"),
            json,
        ));
    }
    Ok(rescaled)
}

/// The value of field `name` in an object; writers usually keep the schema's order, so the
/// field at `index` is tried first.
fn field_named<'j, J>(object: &[(&str, &'j J)], index: usize, name: &str) -> Option<&'j J> {
    match object.get(index) {
        Some((key, value)) if *key == name => Some(*value),
        _ => object.iter().find(|(key, _)| *key == name).map(|(_, v)| *v),
    }
}

fn decode_map<J: JsonLike>(
    schema: &Schema,
    json: &J,
    settings: &JsonSettings,
    path: &str,
) -> Result<Value, ConnectError> {
    let key_schema = schema.key_schema();
    let value_schema = schema.value_schema();
    let mut entries = Vec::new();
    if let Some(object) = json.fields() {
        for (k, v) in object {
            let key = decode_payload(
                key_schema,
                &J::string(k),
                settings,
                &format!("{path}{{key}}"),
            )?;
            let value = decode_payload(value_schema, v, settings, &format!("{path}.{k}"))?;
            entries.push((key, value));
        }
    } else if let Some(pairs) = json.items() {
        for (i, pair) in pairs.into_iter().enumerate() {
            let pair = pair
                .items()
                .filter(|p| p.len() == 2)
                .ok_or_else(|| mismatch(&format!("{path}[{i}]"), "a [key, value] pair", pair))?;
            let key = decode_payload(key_schema, pair[0], settings, &format!("{path}[{i}].key"))?;
            let value = decode_payload(
                value_schema,
                pair[1],
                settings,
                &format!("{path}[{i}].value"),
            )?;
            entries.push((key, value));
        }
    } else {
        return Err(mismatch(path, "an object or an array of pairs", json));
    }
    Ok(Value::Map(entries))
}

/// Schemaless JSON: objects become string-keyed maps (in document order), integers int64,
/// other numbers float64.
pub(crate) fn decode_schemaless<J: JsonLike>(json: &J) -> Value {
    if json.is_null() {
        Value::Null
    } else if let Some(b) = json.as_bool() {
        Value::Boolean(b)
    } else if let Some(s) = json.as_str() {
        Value::String(s.to_owned())
    } else if json.number_text().is_some() {
        match json.as_i64() {
            Some(i) => Value::Int64(i),
            None => Value::Float64(json.as_f64().unwrap_or(f64::NAN)),
        }
    } else if let Some(items) = json.items() {
        Value::Array(items.into_iter().map(decode_schemaless).collect())
    } else {
        Value::Map(
            json.fields()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (Value::String(k.to_owned()), decode_schemaless(v)))
                .collect(),
        )
    }
}
