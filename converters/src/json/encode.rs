//! Values → JSON text, guided by the schema when there is one, written straight into the
//! output buffer.
//!
//! Why not serde: a CDC record is ~40 short strings (field names and values, 5–10 bytes each),
//! and serde_json writes each one as four calls through `io::Write` (separator, quote,
//! contents, quote), each a capacity check and a `memcpy`; that was ~130 instructions per
//! string and a seventh of the worker's instructions per streamed row (callgrind). Here a
//! string is one reservation, one copy of its run of plain bytes and two pushes. The text is
//! serde_json's, byte for byte: the same escapes (`escape_table_matches_serde_json`), its own
//! formatter for floats, `itoa` for integers (property-tested against serde_json in
//! `tests.rs`).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bigdecimal::BigDecimal;
use connect_api::data::logical::decimal_to_bytes;
use connect_api::{FieldType, LogicalType, Schema, SchemaRef, Struct, Value};
use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::ser::{CompactFormatter, Formatter};
use serde_json::value::RawValue;

use super::{DecimalFormat, JsonSettings};

/// Why a value could not be written (the value does not fit its schema, or no JSON text can
/// hold it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncodeError(String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Written = Result<(), EncodeError>;

fn fail(message: String) -> Written {
    Err(EncodeError(message))
}

/// Appends `value`'s JSON under `schema` (schemaless when `None`) to `out`. On an error `out`
/// holds a partial text; callers discard it.
pub(crate) fn write_payload(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    value: &Value,
    settings: &JsonSettings,
    keys: &mut ObjectKeys,
) -> Written {
    Writer {
        out,
        settings,
        keys,
    }
    .value(schema, value)
}

/// Struct schemas' field names as written object keys (`"name":`, `,"name":` after the first),
/// escaped once per schema rather than once per record: most of a record's strings are its
/// field names. Schemas are told apart by address; each entry holds its schema, so an address
/// in the table is never reused by another schema.
#[derive(Debug, Default)]
pub(crate) struct ObjectKeys {
    entries: Vec<(SchemaRef, Keys)>,
}

/// One struct schema's written keys, in field order.
type Keys = Arc<[Box<[u8]>]>;

/// How many struct schemas' keys are kept (a CDC record has three or four).
const OBJECT_KEYS: usize = 64;

impl ObjectKeys {
    fn of(&mut self, schema: &SchemaRef) -> Keys {
        if let Some((_, keys)) = self.entries.iter().find(|(s, _)| Arc::ptr_eq(s, schema)) {
            return keys.clone();
        }
        let keys: Keys = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let mut key = Vec::with_capacity(field.name().len() + 4);
                if i > 0 {
                    key.push(b',');
                }
                string(&mut key, field.name());
                key.push(b':');
                key.into_boxed_slice()
            })
            .collect();
        if self.entries.len() >= OBJECT_KEYS {
            self.entries.remove(0);
        }
        self.entries.push((schema.clone(), keys.clone()));
        keys
    }
}

/// A payload as a serde value, for the few places that write one inside serde output (a
/// schema's default in the schema's JSON). Written once by [`write_payload`], then embedded.
pub(crate) struct PayloadJson<'a> {
    pub schema: Option<&'a Schema>,
    pub value: &'a Value,
    pub settings: &'a JsonSettings,
}

impl Serialize for PayloadJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = Vec::new();
        let mut keys = ObjectKeys::default();
        write_payload(&mut out, self.schema, self.value, self.settings, &mut keys)
            .map_err(S::Error::custom)?;
        let text = String::from_utf8(out).map_err(S::Error::custom)?;
        RawValue::from_string(text)
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

struct Writer<'o, 's, 'k> {
    out: &'o mut Vec<u8>,
    settings: &'s JsonSettings,
    keys: &'k mut ObjectKeys,
}

impl Writer<'_, '_, '_> {
    /// Scalars are written here; nulls, logical types, containers and mismatches in functions
    /// of their own, so this one (called for every value) stays small.
    fn value(&mut self, schema: Option<&Schema>, value: &Value) -> Written {
        let Some(schema) = schema else {
            return self.schemaless(value);
        };
        if value.is_null() {
            return self.null(schema);
        }
        if let Some(logical) = schema.logical_type() {
            return self.logical(logical, value);
        }
        match (schema.field_type(), value) {
            (FieldType::Int8, Value::Int8(v)) => self.integer(*v),
            (FieldType::Int16, Value::Int16(v)) => self.integer(*v),
            (FieldType::Int32, Value::Int32(v)) => self.integer(*v),
            (FieldType::Int64, Value::Int64(v)) => self.integer(*v),
            (FieldType::Float32, Value::Float32(v)) => return self.float32(*v),
            (FieldType::Float64, Value::Float64(v)) => return self.float64(*v),
            (FieldType::Boolean, Value::Boolean(v)) => self.boolean(*v),
            (FieldType::String, Value::String(v)) => self.string(v),
            (FieldType::Bytes, Value::Bytes(v)) => self.base64(v),
            (FieldType::Struct, Value::Struct(s)) if std::ptr::eq(s.schema().as_ref(), schema) => {
                return self.structure(s);
            }
            _ => return self.container(schema, value),
        }
        Ok(())
    }

    /// A null: the schema's default (with `replace.null.with.default`), `null` for an
    /// optional schema, else an error.
    #[inline(never)]
    fn null(&mut self, schema: &Schema) -> Written {
        if let Some(default) = schema
            .default_value()
            .filter(|_| self.settings.replace_null_with_default)
        {
            return self.value(Some(schema), default);
        }
        if schema.is_optional() {
            self.raw(b"null");
            return Ok(());
        }
        fail(format!(
            "null value for a required {} schema",
            schema.describe()
        ))
    }

    #[inline(never)]
    fn logical(&mut self, logical: LogicalType, value: &Value) -> Written {
        match (logical, value) {
            (LogicalType::Decimal { scale }, Value::Decimal(d)) => self.decimal(d, scale),
            (LogicalType::Date, Value::Date(v)) | (LogicalType::Time, Value::Time(v)) => {
                self.integer(*v);
                Ok(())
            }
            (LogicalType::Timestamp, Value::Timestamp(v)) => {
                self.integer(*v);
                Ok(())
            }
            (logical, other) => fail(format!(
                "{} value for a {} schema",
                other.type_name(),
                logical.name()
            )),
        }
    }

    /// Arrays, maps, structs of an equal schema held elsewhere, and values that do not fit.
    #[inline(never)]
    fn container(&mut self, schema: &Schema, value: &Value) -> Written {
        match (schema.field_type(), value) {
            (FieldType::Array, Value::Array(items)) => {
                let element = schema.value_schema().map(AsRef::as_ref);
                self.array(items, |w, item| w.value(element, item))
            }
            (FieldType::Map, Value::Map(entries)) => {
                let key_schema = schema.key_schema().map(AsRef::as_ref);
                let value_schema = schema.value_schema().map(AsRef::as_ref);
                let string_keys = key_schema.is_some_and(|k| k.field_type() == FieldType::String);
                self.map(entries, key_schema, value_schema, string_keys)
            }
            (FieldType::Struct, Value::Struct(s)) => {
                if s.schema().as_ref() != schema {
                    return fail(format!(
                        "struct value's schema does not match the declared {} schema",
                        schema.describe()
                    ));
                }
                self.structure(s)
            }
            (ty, other) => fail(format!("{} value for a {ty} schema", other.type_name())),
        }
    }

    fn schemaless(&mut self, value: &Value) -> Written {
        match value {
            Value::Null => self.raw(b"null"),
            Value::Boolean(v) => self.boolean(*v),
            Value::Int8(v) => self.integer(*v),
            Value::Int16(v) => self.integer(*v),
            Value::Int32(v) | Value::Date(v) | Value::Time(v) => self.integer(*v),
            Value::Int64(v) | Value::Timestamp(v) => self.integer(*v),
            Value::Float32(v) => return self.float32(*v),
            Value::Float64(v) => return self.float64(*v),
            Value::String(v) => self.string(v),
            Value::Bytes(v) => self.base64(v),
            Value::Decimal(d) => self.raw(d.to_plain_string().as_bytes()),
            Value::Array(items) => return self.array(items, |w, item| w.schemaless(item)),
            Value::Map(entries) => {
                let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
                return self.map(entries, None, None, string_keys);
            }
            Value::Struct(s) => return self.structure(s),
        }
        Ok(())
    }

    fn structure(&mut self, s: &Struct) -> Written {
        let keys = self.keys.of(s.schema());
        self.out.push(b'{');
        for ((field, value), key) in s.schema().fields().iter().zip(s.values()).zip(keys.iter()) {
            self.out.extend_from_slice(key);
            self.value(Some(field.schema()), value)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    fn array<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T) -> Written) -> Written {
        self.out.push(b'[');
        for (i, one) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            item(self, one)?;
        }
        self.out.push(b']');
        Ok(())
    }

    /// String keys: an object. Other keys: an array of `[key, value]` pairs, as the Java
    /// converter writes.
    fn map(
        &mut self,
        entries: &[(Value, Value)],
        key_schema: Option<&Schema>,
        value_schema: Option<&Schema>,
        string_keys: bool,
    ) -> Written {
        if !string_keys {
            return self.array(entries, |w, (k, v)| {
                w.out.push(b'[');
                w.value(key_schema, k)?;
                w.out.push(b',');
                w.value(value_schema, v)?;
                w.out.push(b']');
                Ok(())
            });
        }
        self.out.push(b'{');
        for (i, (k, v)) in entries.iter().enumerate() {
            let Some(key) = k.as_str() else {
                return fail(format!("{} key in a map with string keys", k.type_name()));
            };
            if i > 0 {
                self.out.push(b',');
            }
            self.string(key);
            self.out.push(b':');
            self.value(value_schema, v)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    fn decimal(&mut self, decimal: &BigDecimal, scale: i32) -> Written {
        match self.settings.decimal_format {
            DecimalFormat::Base64 => self.base64(&decimal_to_bytes(decimal, scale)),
            // Exact: every digit and the scale kept (`1.5600` stays `1.5600`), never f64.
            DecimalFormat::Numeric => self.raw(
                decimal
                    .with_scale(i64::from(scale))
                    .to_plain_string()
                    .as_bytes(),
            ),
        }
        Ok(())
    }

    fn raw(&mut self, text: &[u8]) {
        self.out.extend_from_slice(text);
    }

    fn boolean(&mut self, v: bool) {
        self.raw(if v { b"true" } else { b"false" });
    }

    fn integer(&mut self, v: impl itoa::Integer) {
        self.raw(itoa::Buffer::new().format(v).as_bytes());
    }

    fn float64(&mut self, v: f64) -> Written {
        if !v.is_finite() {
            return fail(format!("{v} cannot be represented in JSON"));
        }
        // serde_json's own formatter: the same digits it writes.
        CompactFormatter
            .write_f64(self.out, v)
            .map_err(|e| EncodeError(e.to_string()))
    }

    /// A float32 with float32 precision (`12.34`, as Kafka writes it), not widened to f64
    /// first (`12.34000015258789`): both read back as the same f32.
    fn float32(&mut self, v: f32) -> Written {
        if !v.is_finite() {
            return fail(format!("{v} cannot be represented in JSON"));
        }
        CompactFormatter
            .write_f32(self.out, v)
            .map_err(|e| EncodeError(e.to_string()))
    }

    fn base64(&mut self, bytes: &[u8]) {
        // Base64's alphabet needs no escaping.
        self.out.push(b'"');
        self.raw(BASE64.encode(bytes).as_bytes());
        self.out.push(b'"');
    }

    fn string(&mut self, text: &str) {
        string(self.out, text);
    }
}

/// Appends `text` as a JSON string: plain runs copied whole, escapes as serde_json writes them.
fn string(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // Nearly every string needs no escape: a scan without an early exit (cheap for the short
    // names and values of records), then one copy.
    let plain = bytes.iter().fold(true, |plain, &byte| {
        plain & (ESCAPE[usize::from(byte)] == 0)
    });
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if plain {
        out.extend_from_slice(bytes);
    } else {
        escaped(out, bytes);
    }
    out.push(b'"');
}

fn escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut plain_from = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[plain_from..i]);
        plain_from = i + 1;
        if escape == UU {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xF)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
    }
    out.extend_from_slice(&bytes[plain_from..]);
}

const BB: u8 = b'b'; // \x08
const TT: u8 = b't'; // \x09
const NN: u8 = b'n'; // \x0A
const FF: u8 = b'f'; // \x0C
const RR: u8 = b'r'; // \x0D
const QU: u8 = b'"'; // \x22
const BS: u8 = b'\\'; // \x5C
const UU: u8 = b'u'; // other control characters: \u00XX
const __: u8 = 0;

/// The escape of each byte (0: written as it is): JSON's short escapes, `\u00XX` for the other
/// control characters; everything else, DEL and non-ASCII UTF-8 included, unescaped.
static ESCAPE: [u8; 256] = {
    let mut table = [__; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = UU;
        byte += 1;
    }
    table[0x08] = BB;
    table[0x09] = TT;
    table[0x0A] = NN;
    table[0x0C] = FF;
    table[0x0D] = RR;
    table[0x22] = QU;
    table[0x5C] = BS;
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every single-character string is escaped exactly as serde_json escapes it.
    #[test]
    fn escape_table_matches_serde_json() {
        let settings = JsonSettings::default();
        for c in (0u32..0x250).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let mut out = Vec::new();
            let mut keys = ObjectKeys::default();
            write_payload(
                &mut out,
                None,
                &Value::String(text.clone()),
                &settings,
                &mut keys,
            )
            .unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&text).unwrap(),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    /// Past the table's size the oldest schemas' keys are dropped and written again: every
    /// record's text is the one a fresh table gives, in every order.
    #[test]
    fn object_keys_beyond_the_table_are_written_again_alike() {
        use connect_api::SchemaBuilder;
        let settings = JsonSettings::default();
        let schemas: Vec<SchemaRef> = (0..OBJECT_KEYS + 8)
            .map(|n| {
                SchemaBuilder::struct_()
                    .field(format!("a{n}"), SchemaBuilder::int32().build())
                    .unwrap()
                    .field("b\u{1}\"", SchemaBuilder::string().build())
                    .unwrap()
                    .build()
            })
            .collect();
        let record = |schema: &SchemaRef, n: usize| {
            Value::Struct(
                Struct::from_values(
                    schema.clone(),
                    vec![Value::Int32(n as i32), Value::String(format!("v{n}"))],
                )
                .unwrap(),
            )
        };
        let mut shared = ObjectKeys::default();
        for round in 0..3 {
            for (n, schema) in schemas.iter().enumerate().rev().skip(round) {
                let value = record(schema, n);
                let mut out = Vec::new();
                write_payload(&mut out, Some(schema), &value, &settings, &mut shared).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    format!(r#"{{"a{n}":{n},"b\u0001\"":"v{n}"}}"#),
                    "round {round}, schema {n}"
                );
            }
        }
        assert_eq!(shared.entries.len(), OBJECT_KEYS);
    }
}
