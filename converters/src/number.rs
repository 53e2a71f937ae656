//! Fixed-width big-endian number converters (`ShortConverter`, `IntegerConverter`,
//! `LongConverter`, `FloatConverter`, `DoubleConverter`), byte-compatible with Java's
//! `ByteBuffer` encoding.

use std::marker::PhantomData;

use connect_api::{
    ConnectError, ConnectResult, FieldType, RecordConverter, Schema, SchemaAndValue, SchemaBuilder,
    SchemaRef, Value,
};

/// One fixed-width number type.
pub trait Number: Send + Sync + 'static {
    const FIELD_TYPE: FieldType;
    const WIDTH: usize;
    const NAME: &'static str;
    fn to_bytes(value: &Value) -> Option<Vec<u8>>;
    fn from_bytes(bytes: &[u8]) -> Value;
}

macro_rules! number {
    ($marker:ident, $ty:ty, $variant:ident, $field:ident, $name:literal) => {
        #[doc = concat!("Marker for the ", $name, " converter.")]
        #[derive(Debug)]
        pub struct $marker;
        impl Number for $marker {
            const FIELD_TYPE: FieldType = FieldType::$field;
            const WIDTH: usize = std::mem::size_of::<$ty>();
            const NAME: &'static str = $name;
            fn to_bytes(value: &Value) -> Option<Vec<u8>> {
                match value {
                    Value::$variant(v) => Some(v.to_be_bytes().to_vec()),
                    _ => None,
                }
            }
            fn from_bytes(bytes: &[u8]) -> Value {
                let mut raw = [0u8; std::mem::size_of::<$ty>()];
                raw.copy_from_slice(bytes);
                Value::$variant(<$ty>::from_be_bytes(raw))
            }
        }
    };
}

number!(Short, i16, Int16, Int16, "Short");
number!(Integer, i32, Int32, Int32, "Integer");
number!(Long, i64, Int64, Int64, "Long");
number!(Float, f32, Float32, Float32, "Float");
number!(Double, f64, Float64, Float64, "Double");

/// A converter for one fixed-width number type.
#[derive(Debug)]
pub struct NumberConverter<N> {
    schema: SchemaRef,
    _number: PhantomData<N>,
}

impl<N: Number> Default for NumberConverter<N> {
    fn default() -> Self {
        Self {
            schema: SchemaBuilder::of(N::FIELD_TYPE).optional().build(),
            _number: PhantomData,
        }
    }
}

impl<N: Number + std::fmt::Debug> RecordConverter for NumberConverter<N> {
    fn encode(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(schema) = schema
            && (schema.field_type() != N::FIELD_TYPE || schema.logical_type().is_some())
        {
            return Err(ConnectError::data(format!(
                "the {} converter needs a {} schema, got {}",
                N::NAME,
                N::FIELD_TYPE,
                schema.describe()
            )));
        }
        if value.is_null() {
            return Ok(None);
        }
        N::to_bytes(value).map(Some).ok_or_else(|| {
            ConnectError::data(format!(
                "the {} converter needs a {} value, got {}",
                N::NAME,
                N::FIELD_TYPE,
                value.type_name()
            ))
        })
    }

    fn decode(&self, _topic: &str, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::new(Some(self.schema.clone()), Value::Null));
        };
        if bytes.len() != N::WIDTH {
            return Err(ConnectError::data(format!(
                "the {} converter needs exactly {} bytes, got {}",
                N::NAME,
                N::WIDTH,
                bytes.len()
            )));
        }
        Ok(SchemaAndValue::new(
            Some(self.schema.clone()),
            N::from_bytes(bytes),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same bytes as Java's `ByteBuffer.putInt/putLong/…` (big-endian).
    #[test]
    fn encodings_are_big_endian_fixed_width() {
        let c = NumberConverter::<Integer>::default();
        assert_eq!(
            c.encode("t", None, &Value::Int32(1)).unwrap().unwrap(),
            vec![0, 0, 0, 1]
        );
        let c = NumberConverter::<Short>::default();
        assert_eq!(
            c.encode("t", None, &Value::Int16(-2)).unwrap().unwrap(),
            vec![0xff, 0xfe]
        );
        let c = NumberConverter::<Double>::default();
        let bytes = c.encode("t", None, &Value::Float64(1.5)).unwrap().unwrap();
        assert_eq!(bytes, 1.5f64.to_be_bytes().to_vec());
        assert_eq!(
            c.decode("t", Some(&bytes)).unwrap().value,
            Value::Float64(1.5)
        );
    }

    #[test]
    fn wrong_width_and_wrong_type_are_errors() {
        let c = NumberConverter::<Long>::default();
        let err = c.decode("t", Some(&[1, 2, 3])).unwrap_err();
        assert!(err.to_string().contains("exactly 8 bytes"), "{err}");
        assert!(c.encode("t", None, &Value::Int32(1)).is_err());
        let schema = SchemaBuilder::string().build();
        assert!(c.encode("t", Some(&schema), &Value::Int64(1)).is_err());
        assert_eq!(c.decode("t", None).unwrap().value, Value::Null);
    }
}
