//! [`Struct`]: a value of a STRUCT schema, validated on every `put`.

use std::fmt;

use super::schema::{Field, FieldType, SchemaRef};
use super::value::Value;
use crate::error::ConnectError;

/// A structured value. Field values are stored by field index; every [`put`](Self::put) checks
/// the value against the field's schema, so a `Struct` can never hold a wrongly typed field.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: SchemaRef,
    values: Vec<Value>,
}

impl Struct {
    /// An empty struct (all fields null) of a STRUCT schema.
    pub fn new(schema: SchemaRef) -> Result<Self, ConnectError> {
        if schema.field_type() != FieldType::Struct {
            return Err(ConnectError::schema(format!(
                "a Struct needs a struct schema, got {}",
                schema.describe()
            )));
        }
        let values = vec![Value::Null; schema.fields().len()];
        Ok(Self { schema, values })
    }

    /// A struct from values in field order, each validated against its field schema. The
    /// vector becomes the struct's storage (no copy).
    pub fn from_values(schema: SchemaRef, values: Vec<Value>) -> Result<Self, ConnectError> {
        if schema.field_type() != FieldType::Struct {
            return Err(ConnectError::schema(format!(
                "a Struct needs a struct schema, got {}",
                schema.describe()
            )));
        }
        let fields = schema.fields();
        if values.len() != fields.len() {
            return Err(ConnectError::schema(format!(
                "{} has {} fields but {} values were given",
                schema.describe(),
                fields.len(),
                values.len()
            )));
        }
        for (field, value) in fields.iter().zip(&values) {
            field
                .schema()
                .validate_value(value)
                .map_err(|err| ConnectError::schema(format!("field '{}': {err}", field.name())))?;
        }
        Ok(Self { schema, values })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn field(&self, name: &str) -> Result<&Field, ConnectError> {
        self.schema.field(name).ok_or_else(|| {
            ConnectError::schema(format!(
                "'{name}' is not a field of {}",
                self.schema.describe()
            ))
        })
    }

    /// Sets field `name`, validating the value against the field schema.
    pub fn put(&mut self, name: &str, value: impl Into<Value>) -> Result<&mut Self, ConnectError> {
        let index = self.field(name)?.index();
        self.put_at(index, value.into())
    }

    /// Sets the field at `index`, validating the value against its schema.
    pub fn put_at(&mut self, index: usize, value: Value) -> Result<&mut Self, ConnectError> {
        let field = self.schema.fields().get(index).ok_or_else(|| {
            ConnectError::schema(format!(
                "field index {index} is out of range for {}",
                self.schema.describe()
            ))
        })?;
        field
            .schema()
            .validate_value(&value)
            .map_err(|err| ConnectError::schema(format!("field '{}': {err}", field.name())))?;
        self.values[index] = value;
        Ok(self)
    }

    /// The value of `name`, falling back to the field's default when null; `None` if there is
    /// no such field.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let field = self.schema.field(name)?;
        Some(self.get_field(field))
    }

    /// The value of `field`, falling back to its default when null.
    pub fn get_field<'a>(&'a self, field: &'a Field) -> &'a Value {
        let value = &self.values[field.index()];
        match (value, field.schema().default_value()) {
            (Value::Null, Some(default)) => default,
            _ => value,
        }
    }

    /// The stored value of `name` without applying defaults.
    pub fn get_without_default(&self, name: &str) -> Option<&Value> {
        let field = self.schema.field(name)?;
        Some(&self.values[field.index()])
    }

    /// Values in field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Consumes the struct, returning values in field order.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// Checks that every required field without a default is set.
    pub fn validate(&self) -> Result<(), ConnectError> {
        for field in self.schema.fields() {
            field
                .schema()
                .validate_value(self.get_field(field))
                .map_err(|err| ConnectError::schema(format!("field '{}': {err}", field.name())))?;
        }
        Ok(())
    }

    fn typed<'a, T>(
        &'a self,
        name: &str,
        expected: &str,
        pick: impl Fn(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, ConnectError> {
        let value = self.get(name).ok_or_else(|| {
            ConnectError::schema(format!(
                "'{name}' is not a field of {}",
                self.schema.describe()
            ))
        })?;
        if value.is_null() {
            return Ok(None);
        }
        pick(value).map(Some).ok_or_else(|| {
            ConnectError::schema(format!(
                "field '{name}' is {} not {expected}",
                value.type_name()
            ))
        })
    }

    pub fn get_int8(&self, name: &str) -> Result<Option<i8>, ConnectError> {
        self.typed(name, "int8", |v| match v {
            Value::Int8(x) => Some(*x),
            _ => None,
        })
    }
    pub fn get_int16(&self, name: &str) -> Result<Option<i16>, ConnectError> {
        self.typed(name, "int16", |v| match v {
            Value::Int16(x) => Some(*x),
            _ => None,
        })
    }
    pub fn get_int32(&self, name: &str) -> Result<Option<i32>, ConnectError> {
        self.typed(name, "int32", |v| match v {
            Value::Int32(x) => Some(*x),
            _ => None,
        })
    }
    pub fn get_int64(&self, name: &str) -> Result<Option<i64>, ConnectError> {
        self.typed(name, "int64", |v| match v {
            Value::Int64(x) => Some(*x),
            _ => None,
        })
    }
    pub fn get_float32(&self, name: &str) -> Result<Option<f32>, ConnectError> {
        self.typed(name, "float32", |v| match v {
            Value::Float32(x) => Some(*x),
            _ => None,
        })
    }
    pub fn get_float64(&self, name: &str) -> Result<Option<f64>, ConnectError> {
        self.typed(name, "float64", |v| match v {
            Value::Float64(x) => Some(*x),
            _ => None,
        })
    }
    pub fn get_boolean(&self, name: &str) -> Result<Option<bool>, ConnectError> {
        self.typed(name, "boolean", |v| match v {
            Value::Boolean(x) => Some(*x),
            _ => None,
        })
    }
    pub fn get_string(&self, name: &str) -> Result<Option<&str>, ConnectError> {
        self.typed(name, "string", Value::as_str)
    }
    pub fn get_bytes(&self, name: &str) -> Result<Option<&[u8]>, ConnectError> {
        self.typed(name, "bytes", |v| match v {
            Value::Bytes(x) => Some(x.as_slice()),
            _ => None,
        })
    }
    pub fn get_array(&self, name: &str) -> Result<Option<&[Value]>, ConnectError> {
        self.typed(name, "array", |v| match v {
            Value::Array(x) => Some(x.as_slice()),
            _ => None,
        })
    }
    pub fn get_map(&self, name: &str) -> Result<Option<&[(Value, Value)]>, ConnectError> {
        self.typed(name, "map", |v| match v {
            Value::Map(x) => Some(x.as_slice()),
            _ => None,
        })
    }
    pub fn get_struct(&self, name: &str) -> Result<Option<&Struct>, ConnectError> {
        self.typed(name, "struct", Value::as_struct)
    }
}

impl fmt::Display for Struct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Struct{")?;
        let mut first = true;
        for (field, value) in self.schema.fields().iter().zip(&self.values) {
            if value.is_null() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{}={value}", field.name())?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SchemaBuilder;

    fn seed_schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("test")
            .field("string-field", SchemaBuilder::string().build())
            .unwrap()
            .field("bool-field", SchemaBuilder::bool().build())
            .unwrap()
            .build()
    }

    /// The seed puts `true` into "string-field": the Java Struct throws, so must we.
    #[test]
    fn put_validates_against_the_field_schema() {
        let mut s = Struct::new(seed_schema()).unwrap();
        s.put("string-field", "test").unwrap();
        let err = s.put("string-field", true).unwrap_err();
        assert!(err.to_string().contains("string-field"), "{err}");
        assert_eq!(s.get_string("string-field").unwrap(), Some("test"));
        assert!(s.put("missing", 1).is_err());
    }

    #[test]
    fn typed_getters_check_types_and_defaults_apply() {
        let schema = SchemaBuilder::struct_()
            .field(
                "n",
                SchemaBuilder::int32()
                    .default_value(Value::Int32(9))
                    .unwrap()
                    .build(),
            )
            .unwrap()
            .build();
        let s = Struct::new(schema).unwrap();
        assert_eq!(s.get_int32("n").unwrap(), Some(9));
        assert_eq!(s.get_without_default("n"), Some(&Value::Null));
        assert!(s.get_string("n").is_err());
    }

    #[test]
    fn validate_reports_missing_required_fields() {
        let schema = SchemaBuilder::struct_()
            .field("id", SchemaBuilder::int64().required().build())
            .unwrap()
            .build();
        let mut s = Struct::new(schema).unwrap();
        assert!(s.validate().is_err());
        s.put("id", 5_i64).unwrap();
        assert!(s.validate().is_ok());
        assert_eq!(s.to_string(), "Struct{id=5}");
    }

    #[test]
    fn non_struct_schema_is_rejected() {
        assert!(Struct::new(SchemaBuilder::int8().build()).is_err());
    }
}
