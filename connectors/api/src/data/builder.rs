//! [`SchemaBuilder`]: fluent construction of [`Schema`]s, mirroring the Java `SchemaBuilder`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::logical::{self, LogicalType};
use super::schema::{Field, FieldType, Schema, SchemaRef};
use super::value::Value;
use crate::error::ConnectError;

/// Builds a [`Schema`].
///
/// Like the Java builder, a schema is **optional unless [`required`](Self::required) is
/// called**; this keeps schemas written for the Java runtime meaning the same thing here.
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    field_type: FieldType,
    name: Option<String>,
    version: Option<i32>,
    doc: Option<String>,
    optional: Option<bool>,
    default_value: Option<Value>,
    parameters: BTreeMap<String, String>,
    fields: Vec<Field>,
    key_schema: Option<SchemaRef>,
    value_schema: Option<SchemaRef>,
}

impl SchemaBuilder {
    /// A builder for any type; prefer the typed constructors below.
    pub fn of(field_type: FieldType) -> Self {
        Self {
            field_type,
            name: None,
            version: None,
            doc: None,
            optional: None,
            default_value: None,
            parameters: BTreeMap::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }

    pub fn int8() -> Self {
        Self::of(FieldType::Int8)
    }
    pub fn int16() -> Self {
        Self::of(FieldType::Int16)
    }
    pub fn int32() -> Self {
        Self::of(FieldType::Int32)
    }
    pub fn int64() -> Self {
        Self::of(FieldType::Int64)
    }
    pub fn float32() -> Self {
        Self::of(FieldType::Float32)
    }
    pub fn float64() -> Self {
        Self::of(FieldType::Float64)
    }
    pub fn bool() -> Self {
        Self::of(FieldType::Boolean)
    }
    pub fn string() -> Self {
        Self::of(FieldType::String)
    }
    pub fn bytes() -> Self {
        Self::of(FieldType::Bytes)
    }
    /// A struct; add fields with [`field`](Self::field). (`struct` is a Rust keyword.)
    pub fn struct_() -> Self {
        Self::of(FieldType::Struct)
    }
    /// An array whose elements follow `element`.
    pub fn array(element: SchemaRef) -> Self {
        let mut builder = Self::of(FieldType::Array);
        builder.value_schema = Some(element);
        builder
    }
    /// A map from `key` to `value` schemas.
    pub fn map(key: SchemaRef, value: SchemaRef) -> Self {
        let mut builder = Self::of(FieldType::Map);
        builder.key_schema = Some(key);
        builder.value_schema = Some(value);
        builder
    }

    /// The logical Decimal type: BYTES holding the unscaled value, with parameter `scale`.
    pub fn decimal(scale: i32) -> Self {
        Self::bytes()
            .name(logical::DECIMAL_NAME)
            .version(1)
            .parameter(logical::DECIMAL_SCALE, scale.to_string())
    }
    /// The logical Date type: INT32 days since the epoch.
    pub fn date() -> Self {
        Self::int32().name(logical::DATE_NAME).version(1)
    }
    /// The logical Time type: INT32 milliseconds of the day. (The Java builder's `time()`
    /// returns a Timestamp builder; this one does what it says.)
    pub fn time() -> Self {
        Self::int32().name(logical::TIME_NAME).version(1)
    }
    /// The logical Timestamp type: INT64 milliseconds since the epoch.
    pub fn timestamp() -> Self {
        Self::int64().name(logical::TIMESTAMP_NAME).version(1)
    }

    /// Starts a builder that copies everything from `schema` (fields included).
    pub fn from_schema(schema: &Schema) -> Self {
        Self {
            field_type: schema.field_type,
            name: schema.name.clone(),
            version: schema.version,
            doc: schema.doc.clone(),
            optional: Some(schema.optional),
            default_value: schema.default_value.clone(),
            parameters: schema.parameters.clone(),
            fields: schema.fields.clone(),
            key_schema: schema.key_schema.clone(),
            value_schema: schema.value_schema.clone(),
        }
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn version(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.doc = Some(doc.into());
        self
    }
    pub fn optional(mut self) -> Self {
        self.optional = Some(true);
        self
    }
    pub fn required(mut self) -> Self {
        self.optional = Some(false);
        self
    }
    /// Sets optionality from a flag (handy when copying another schema).
    pub fn optional_if(mut self, optional: bool) -> Self {
        self.optional = Some(optional);
        self
    }
    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.insert(key.into(), value.into());
        self
    }
    pub fn parameters(mut self, parameters: BTreeMap<String, String>) -> Self {
        self.parameters.extend(parameters);
        self
    }

    /// Sets the default; it must be valid for the schema being built.
    pub fn default_value(mut self, value: Value) -> Result<Self, ConnectError> {
        let probe = self.clone().optional().build_inner();
        probe.validate_value(&value)?;
        self.default_value = Some(value);
        Ok(self)
    }

    /// Appends a struct field; names must be unique.
    pub fn field(
        mut self,
        name: impl Into<String>,
        schema: SchemaRef,
    ) -> Result<Self, ConnectError> {
        let name = name.into();
        if self.field_type != FieldType::Struct {
            return Err(ConnectError::schema(format!(
                "cannot add field '{name}' to a {} schema: only structs have fields",
                self.field_type
            )));
        }
        if self.fields.iter().any(|field| field.name() == name) {
            return Err(ConnectError::schema(format!(
                "cannot add field '{name}': a field of that name already exists"
            )));
        }
        let index = self.fields.len();
        self.fields.push(Field::new(index, name, schema));
        Ok(self)
    }

    /// Removes a field if present (used by transforms that rebuild schemas).
    pub fn without_field(mut self, name: &str) -> Self {
        self.fields.retain(|field| field.name() != name);
        for (index, field) in self.fields.iter_mut().enumerate() {
            *field = Field::new(index, field.name().to_owned(), field.schema().clone());
        }
        self
    }

    /// The field type being built.
    pub fn field_type(&self) -> FieldType {
        self.field_type
    }

    fn build_inner(self) -> Schema {
        let logical =
            LogicalType::denoted_by(self.name.as_deref(), self.field_type, &self.parameters);
        Schema {
            field_type: self.field_type,
            name: self.name,
            version: self.version,
            doc: self.doc,
            optional: self.optional.unwrap_or(true),
            default_value: self.default_value,
            parameters: self.parameters,
            fields: self.fields,
            key_schema: self.key_schema,
            value_schema: self.value_schema,
            logical,
            identity: NEXT_IDENTITY.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Finishes the schema.
    pub fn build(self) -> SchemaRef {
        Arc::new(self.build_inner())
    }
}

/// The next built schema's identity (see `Schema::identity`).
static NEXT_IDENTITY: AtomicU64 = AtomicU64::new(0);

/// Returns `schema` made optional (a no-op clone of the `Arc` when it already is).
pub fn optional_copy(schema: &SchemaRef) -> SchemaRef {
    if schema.is_optional() {
        schema.clone()
    } else {
        SchemaBuilder::from_schema(schema).optional().build()
    }
}

/// The optional schema for a logical type.
pub fn logical_schema(logical: LogicalType) -> SchemaRef {
    match logical {
        LogicalType::Decimal { scale } => SchemaBuilder::decimal(scale),
        LogicalType::Date => SchemaBuilder::date(),
        LogicalType::Time => SchemaBuilder::time(),
        LogicalType::Timestamp => SchemaBuilder::timestamp(),
    }
    .optional()
    .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's struct example: name, default, optional, doc and two fields.
    #[test]
    fn builds_the_seed_struct_example() {
        let schema = SchemaBuilder::struct_()
            .name("test")
            .optional()
            .doc("this is a demo")
            .field("string-field", SchemaBuilder::string().build())
            .unwrap()
            .field("bool-field", SchemaBuilder::bool().build())
            .unwrap()
            .build();
        assert_eq!(schema.name(), Some("test"));
        assert_eq!(schema.doc(), Some("this is a demo"));
        assert!(schema.is_optional());
        assert_eq!(schema.fields().len(), 2);
        assert_eq!(schema.field("bool-field").unwrap().index(), 1);
        assert_eq!(
            schema.field("string-field").unwrap().schema().field_type(),
            FieldType::String
        );
    }

    #[test]
    fn optional_is_the_default_and_required_overrides_it() {
        assert!(SchemaBuilder::int32().build().is_optional());
        assert!(!SchemaBuilder::int32().required().build().is_optional());
    }

    #[test]
    fn duplicate_fields_and_fields_on_non_structs_are_rejected() {
        let err = SchemaBuilder::struct_()
            .field("a", SchemaBuilder::int8().build())
            .unwrap()
            .field("a", SchemaBuilder::int8().build())
            .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert!(
            SchemaBuilder::int8()
                .field("a", SchemaBuilder::int8().build())
                .is_err()
        );
    }

    #[test]
    fn default_value_must_match_the_type() {
        assert!(
            SchemaBuilder::int32()
                .default_value(Value::Int32(3))
                .is_ok()
        );
        assert!(
            SchemaBuilder::int32()
                .default_value(Value::from("three"))
                .is_err()
        );
    }

    #[test]
    fn logical_builders_carry_names_and_parameters() {
        let decimal = SchemaBuilder::decimal(2).build();
        assert_eq!(
            decimal.logical_type(),
            Some(LogicalType::Decimal { scale: 2 })
        );
        assert_eq!(
            SchemaBuilder::time().build().logical_type(),
            Some(LogicalType::Time)
        );
        assert_eq!(SchemaBuilder::date().build().field_type(), FieldType::Int32);
        assert_eq!(
            SchemaBuilder::timestamp().build().field_type(),
            FieldType::Int64
        );
    }
}
