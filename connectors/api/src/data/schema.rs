//! [`FieldType`], [`Schema`] and [`Field`]: the type descriptions records carry.
//!
//! Schemas are immutable once built and shared as [`SchemaRef`] (`Arc<Schema>`), so a record
//! stream with one schema allocates it once and transforms can cache derived schemas by pointer.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::logical;
use super::value::Value;
use crate::error::ConnectError;

/// A shared, immutable schema.
pub type SchemaRef = Arc<Schema>;

/// The physical type of a value, named as in the Java API (`io.openmessaging.connector.api.data.FieldType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FieldType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    /// Present for API parity; the Java runtime never produces it and neither do we.
    Datetime,
    Struct,
}

impl FieldType {
    /// True for the nine primitive types.
    pub fn is_primitive(self) -> bool {
        !matches!(
            self,
            Self::Array | Self::Map | Self::Struct | Self::Datetime
        )
    }

    /// The lower-case name used by the JSON envelope (`"int32"`, `"float"`, `"struct"` …).
    pub fn json_name(self) -> &'static str {
        match self {
            Self::Int8 => "int8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::Float32 => "float",
            Self::Float64 => "double",
            Self::Boolean => "boolean",
            Self::String => "string",
            Self::Bytes => "bytes",
            Self::Array => "array",
            Self::Map => "map",
            Self::Datetime => "datetime",
            Self::Struct => "struct",
        }
    }

    /// Parses a JSON-envelope or config type name; accepts `float32`/`float64` too.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "int8" => Self::Int8,
            "int16" => Self::Int16,
            "int32" => Self::Int32,
            "int64" => Self::Int64,
            "float" | "float32" => Self::Float32,
            "double" | "float64" => Self::Float64,
            "boolean" | "bool" => Self::Boolean,
            "string" => Self::String,
            "bytes" => Self::Bytes,
            "array" => Self::Array,
            "map" => Self::Map,
            "struct" => Self::Struct,
            "datetime" => Self::Datetime,
            _ => return None,
        })
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.json_name())
    }
}

/// A named member of a struct schema.
#[derive(Debug, Clone)]
pub struct Field {
    index: usize,
    name: String,
    schema: SchemaRef,
}

/// Fields sharing their schema are equal without walking it: a converter checks every
/// record's schema against the one it cached (a clone, so its fields share these `Arc`s),
/// and the walk was most of that check.
impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
            && self.name == other.name
            && (Arc::ptr_eq(&self.schema, &other.schema) || self.schema == other.schema)
    }
}

impl Field {
    pub(crate) fn new(index: usize, name: String, schema: SchemaRef) -> Self {
        Self {
            index,
            name,
            schema,
        }
    }

    /// Position of the field in its struct.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The field name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }
}

/// A type description: physical type plus name, version, doc, optionality, default, parameters,
/// and the nested schemas of structs, arrays and maps. Build one with
/// [`SchemaBuilder`](super::SchemaBuilder).
#[derive(Debug, Clone)]
pub struct Schema {
    pub(crate) field_type: FieldType,
    pub(crate) name: Option<String>,
    pub(crate) version: Option<i32>,
    pub(crate) doc: Option<String>,
    pub(crate) optional: bool,
    pub(crate) default_value: Option<Value>,
    pub(crate) parameters: BTreeMap<String, String>,
    pub(crate) fields: Vec<Field>,
    pub(crate) key_schema: Option<SchemaRef>,
    pub(crate) value_schema: Option<SchemaRef>,
    /// What `name`, `field_type` and `parameters` denote, worked out once when the schema is
    /// built: converters and validation ask it for every value, and the answer compares the
    /// name against eight strings and parses a Decimal's scale.
    pub(crate) logical: Option<logical::LogicalType>,
    /// Given once per built schema and kept by its clones. A schema never changes after it is
    /// built, so the same identity means the same content: comparing a record's schema with
    /// the one it was built from (every record, in converters and struct checks) is one
    /// integer comparison instead of a walk over names and fields.
    pub(crate) identity: u64,
}

/// Equal content, whatever the identities: two schemas built alike are equal.
impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.identity == other.identity
            || (self.field_type == other.field_type
                && self.name == other.name
                && self.version == other.version
                && self.doc == other.doc
                && self.optional == other.optional
                && self.default_value == other.default_value
                && self.parameters == other.parameters
                && self.fields == other.fields
                && self.key_schema == other.key_schema
                && self.value_schema == other.value_schema)
    }
}

impl Schema {
    pub fn field_type(&self) -> FieldType {
        self.field_type
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn version(&self) -> Option<i32> {
        self.version
    }

    pub fn doc(&self) -> Option<&str> {
        self.doc.as_deref()
    }

    pub fn is_optional(&self) -> bool {
        self.optional
    }

    pub fn default_value(&self) -> Option<&Value> {
        self.default_value.as_ref()
    }

    pub fn parameters(&self) -> &BTreeMap<String, String> {
        &self.parameters
    }

    /// The fields of a struct schema, in declaration order; empty for other types.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Looks a struct field up by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The key schema of a map.
    pub fn key_schema(&self) -> Option<&SchemaRef> {
        self.key_schema.as_ref()
    }

    /// The element schema of an array, or the value schema of a map.
    pub fn value_schema(&self) -> Option<&SchemaRef> {
        self.value_schema.as_ref()
    }

    /// The logical type this schema denotes, if its name is one of the four logical names.
    pub fn logical_type(&self) -> Option<logical::LogicalType> {
        self.logical
    }

    /// Checks that `value` may be stored under this schema (deeply, for containers).
    pub fn validate_value(&self, value: &Value) -> Result<(), ConnectError> {
        if self.takes_scalar(value) || (value.is_null() && self.takes_null()) {
            return Ok(());
        }
        self.validate_at(value, "")
    }

    /// Whether a null is valid here: the schema is optional or has a default. Inline, as
    /// [`Self::takes_scalar`]: a CDC row's source block and envelope hold several nulls.
    #[inline]
    fn takes_null(&self) -> bool {
        self.optional || self.default_value.is_some()
    }

    /// Whether `value` is a non-null scalar of this schema's type: the usual case, decided
    /// inline (every field of every record a source builds is checked; the full check is a
    /// call that prepares error paths).
    #[inline]
    fn takes_scalar(&self, value: &Value) -> bool {
        match self.logical {
            Some(logical) => logical.accepts(value),
            None => matches!(
                (self.field_type, value),
                (FieldType::Int8, Value::Int8(_))
                    | (FieldType::Int16, Value::Int16(_))
                    | (FieldType::Int32, Value::Int32(_))
                    | (FieldType::Int64, Value::Int64(_))
                    | (FieldType::Float32, Value::Float32(_))
                    | (FieldType::Float64, Value::Float64(_))
                    | (FieldType::Boolean, Value::Boolean(_))
                    | (FieldType::String, Value::String(_))
                    | (FieldType::Bytes, Value::Bytes(_))
            ),
        }
    }

    fn validate_at(&self, value: &Value, path: &str) -> Result<(), ConnectError> {
        let here = || {
            if path.is_empty() {
                "value".to_owned()
            } else {
                format!("field '{path}'")
            }
        };
        if value.is_null() {
            if self.takes_null() {
                return Ok(());
            }
            return Err(ConnectError::schema(format!(
                "{} is null but its schema ({}) is required",
                here(),
                self.describe()
            )));
        }
        if let Some(logical) = self.logical_type() {
            return if logical.accepts(value) {
                Ok(())
            } else {
                Err(ConnectError::schema(format!(
                    "{} has type {} but its schema is the logical type {}",
                    here(),
                    value.type_name(),
                    logical.name()
                )))
            };
        }
        // No logical type here: a scalar of the schema's type, or a container of its kind.
        let matches = self.takes_scalar(value)
            || matches!(
                (self.field_type, value),
                (FieldType::Array, Value::Array(_))
                    | (FieldType::Map, Value::Map(_))
                    | (FieldType::Struct, Value::Struct(_))
            );
        if !matches {
            return Err(ConnectError::schema(format!(
                "{} has type {} but its schema expects {}",
                here(),
                value.type_name(),
                self.describe()
            )));
        }
        match value {
            Value::Array(items) => {
                if let Some(element) = &self.value_schema {
                    for (i, item) in items.iter().enumerate() {
                        element.validate_at(item, &format!("{path}[{i}]"))?;
                    }
                }
            }
            Value::Map(entries) => {
                for (key, item) in entries {
                    if let Some(key_schema) = &self.key_schema {
                        key_schema.validate_at(key, &format!("{path}{{key}}"))?;
                    }
                    if let Some(value_schema) = &self.value_schema {
                        value_schema.validate_at(item, &format!("{path}{{value}}"))?;
                    }
                }
            }
            Value::Struct(inner)
                if !std::ptr::eq(inner.schema().as_ref(), self)
                    && inner.schema().as_ref() != self =>
            {
                return Err(ConnectError::schema(format!(
                    "{} is a struct of a different schema than declared",
                    here()
                )));
            }
            _ => {}
        }
        Ok(())
    }

    /// A short human description such as `int32` or `struct employee`.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("{} {name}", self.field_type),
            None => self.field_type.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SchemaBuilder, Struct};

    #[test]
    fn type_names_round_trip() {
        for ty in [
            FieldType::Int8,
            FieldType::Int16,
            FieldType::Int32,
            FieldType::Int64,
            FieldType::Float32,
            FieldType::Float64,
            FieldType::Boolean,
            FieldType::String,
            FieldType::Bytes,
            FieldType::Array,
            FieldType::Map,
            FieldType::Struct,
        ] {
            assert_eq!(FieldType::from_name(ty.json_name()), Some(ty));
        }
        assert_eq!(FieldType::from_name("varchar"), None);
        assert!(FieldType::Bytes.is_primitive());
        assert!(!FieldType::Struct.is_primitive());
    }

    /// Equality is by content: a clone (same identity) and a schema built alike (another
    /// identity) are equal; one that differs only in a nested field's optionality is not.
    #[test]
    fn schemas_are_equal_by_content_whatever_their_identity() {
        let build = |optional_name: bool| {
            let name = SchemaBuilder::string();
            let name = if optional_name {
                name.optional()
            } else {
                name.required()
            };
            SchemaBuilder::struct_()
                .name("row")
                .field("id", SchemaBuilder::int64().build())
                .unwrap()
                .field("name", name.build())
                .unwrap()
                .build()
        };
        let a = build(true);
        let clone = (*a).clone();
        let alike = build(true);
        let different = build(false);
        assert_eq!(clone.identity, a.identity);
        assert_ne!(alike.identity, a.identity);
        assert_eq!(*a, clone);
        assert_eq!(a, alike);
        assert_ne!(a, different);
        assert_eq!(a.logical_type(), None);
    }

    /// Validation rejects wrong types, nulls in required slots and foreign structs.
    #[test]
    fn validate_value_catches_mismatches() {
        let int = SchemaBuilder::int32().required().build();
        assert!(int.validate_value(&Value::Int32(1)).is_ok());
        let err = int.validate_value(&Value::Int64(1)).unwrap_err();
        assert!(err.to_string().contains("expects int32"), "{err}");
        assert!(int.validate_value(&Value::Null).is_err());
        let optional = SchemaBuilder::int32().optional().build();
        assert!(optional.validate_value(&Value::Null).is_ok());
        let defaulted = SchemaBuilder::int32()
            .required()
            .default_value(Value::Int32(7))
            .unwrap()
            .build();
        assert!(defaulted.validate_value(&Value::Null).is_ok());

        let arr = SchemaBuilder::array(SchemaBuilder::string().required().build()).build();
        assert!(
            arr.validate_value(&Value::Array(vec![Value::from("a")]))
                .is_ok()
        );
        assert!(
            arr.validate_value(&Value::Array(vec![Value::Int8(1)]))
                .is_err()
        );

        let a = SchemaBuilder::struct_()
            .name("a")
            .field("x", SchemaBuilder::int8().build())
            .unwrap()
            .build();
        let b = SchemaBuilder::struct_()
            .name("b")
            .field("x", SchemaBuilder::int8().build())
            .unwrap()
            .build();
        let value = Value::Struct(Struct::new(b).unwrap());
        assert!(a.validate_value(&value).is_err());
    }
}
