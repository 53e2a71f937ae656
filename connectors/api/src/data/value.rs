//! [`Value`]: the in-memory form of record keys and values.

use std::fmt;

use bigdecimal::BigDecimal;

use super::struct_::Struct;

/// A datum. One variant per [`FieldType`](super::FieldType) plus the four logical types, so a
/// value knows what it is even without a schema (schemaless records are common: JSON without
/// the envelope).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Absent. A record whose value is `Null` is a tombstone.
    #[default]
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    String(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    /// Entries in insertion order; keys may be any value (JSON objects give string keys).
    Map(Vec<(Value, Value)>),
    Struct(Struct),
    /// Logical Decimal.
    Decimal(BigDecimal),
    /// Logical Date: days since 1970-01-01.
    Date(i32),
    /// Logical Time: milliseconds since midnight.
    Time(i32),
    /// Logical Timestamp: milliseconds since the epoch.
    Timestamp(i64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The type's name for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Boolean(_) => "boolean",
            Self::Int8(_) => "int8",
            Self::Int16(_) => "int16",
            Self::Int32(_) => "int32",
            Self::Int64(_) => "int64",
            Self::Float32(_) => "float32",
            Self::Float64(_) => "float64",
            Self::String(_) => "string",
            Self::Bytes(_) => "bytes",
            Self::Array(_) => "array",
            Self::Map(_) => "map",
            Self::Struct(_) => "struct",
            Self::Decimal(_) => "Decimal",
            Self::Date(_) => "Date",
            Self::Time(_) => "Time",
            Self::Timestamp(_) => "Timestamp",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// Any integer variant widened to `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::Int8(v) => Some(v.into()),
            Self::Int16(v) => Some(v.into()),
            Self::Int32(v) => Some(v.into()),
            Self::Int64(v) => Some(v),
            _ => None,
        }
    }

    /// Any numeric variant as `f64` (lossy for large integers).
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Float32(v) => Some(f64::from(*v)),
            Self::Float64(v) => Some(*v),
            other => other.as_i64().map(|v| v as f64),
        }
    }

    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Self::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up a string key in a map value.
    pub fn map_get(&self, key: &str) -> Option<&Value> {
        match self {
            Self::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Builds a map value from string keys.
    pub fn map_of<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Self {
        Self::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::String(k.into()), v))
                .collect(),
        )
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Boolean(v)
    }
}
impl From<i8> for Value {
    fn from(v: i8) -> Self {
        Self::Int8(v)
    }
}
impl From<i16> for Value {
    fn from(v: i16) -> Self {
        Self::Int16(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Self::Int32(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int64(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Self::Float32(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Float64(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::String(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::String(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Self::Bytes(v)
    }
}
impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Self::Struct(v)
    }
}
impl From<BigDecimal> for Value {
    fn from(v: BigDecimal) -> Self {
        Self::Decimal(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// Text form used by the String converter and by transforms that cast to string. Strings print
/// raw (no quotes), bytes as lower-case hex, containers in a Java-like `{k=v}` / `[a, b]` style.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Boolean(v) => write!(f, "{v}"),
            Self::Int8(v) => write!(f, "{v}"),
            Self::Int16(v) => write!(f, "{v}"),
            Self::Int32(v) | Self::Date(v) | Self::Time(v) => write!(f, "{v}"),
            Self::Int64(v) | Self::Timestamp(v) => write!(f, "{v}"),
            Self::Float32(v) => write!(f, "{v:?}"),
            Self::Float64(v) => write!(f, "{v:?}"),
            Self::String(v) => f.write_str(v),
            Self::Bytes(bytes) => {
                for byte in bytes {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
            Self::Decimal(v) => write!(f, "{v}"),
            Self::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Self::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                f.write_str("}")
            }
            Self::Struct(s) => write!(f, "{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_plain_text() {
        assert_eq!(Value::from("abc").to_string(), "abc");
        assert_eq!(Value::Float64(1.0).to_string(), "1.0");
        assert_eq!(Value::Bytes(vec![0xab, 0x01]).to_string(), "ab01");
        let map = Value::map_of([("a", Value::Int32(1)), ("b", Value::Null)]);
        assert_eq!(map.to_string(), "{a=1, b=null}");
        assert_eq!(map.map_get("a"), Some(&Value::Int32(1)));
        assert_eq!(map.map_get("z"), None);
    }

    #[test]
    fn numeric_accessors_widen() {
        assert_eq!(Value::Int8(-3).as_i64(), Some(-3));
        assert_eq!(Value::Int32(7).as_f64(), Some(7.0));
        assert_eq!(Value::from("7").as_i64(), None);
        assert_eq!(Value::from(None::<i32>), Value::Null);
    }
}
