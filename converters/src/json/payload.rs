//! JSON → values, guided by the schema when there is one: decoding walks a parsed payload
//! (`JsonLike`) alongside the schema. Encoding is `encode.rs`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bigdecimal::BigDecimal;
use connect_api::data::logical::decimal_from_bytes;
use connect_api::{ConnectError, FieldType, LogicalType, Schema, SchemaRef, Struct, Value};

use super::JsonSettings;
use super::tree::JsonLike;

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
