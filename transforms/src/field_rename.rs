//! Renaming the top-level fields of a struct or the keys of a map, shared by ChangeCase,
//! PatternRename and ReplaceField.

use connect_api::data::SchemaBuilder;
use connect_api::{ConnectError, ConnectResult, FieldType, SchemaAndValue, SchemaRef, Value};

use crate::util::{SchemaCache, field_values, make_struct, string_key, unsupported};

/// What to do with one field: keep under a (possibly new) name, or drop.
pub type RenameFn<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Applies `rename` to every top-level field name (struct) or key (map).
/// `like` starts the output struct schema from the input's ([`struct_like`] or
/// [`kafka_struct_like`]); `with_defaults` copies a null field as its default.
pub fn rename_fields(
    transform: &str,
    data: SchemaAndValue,
    cache: &mut SchemaCache,
    like: fn(&SchemaRef) -> SchemaBuilder,
    with_defaults: bool,
    rename: RenameFn<'_>,
) -> ConnectResult<SchemaAndValue> {
    match (data.schema, data.value) {
        (schema, Value::Null) => Ok(SchemaAndValue::new(schema, Value::Null)),
        (Some(schema), Value::Struct(s)) => {
            let out_schema =
                cache.get_or_try_insert(&schema, |input| renamed_schema(input, like, rename))?;
            let mut values = Vec::with_capacity(out_schema.fields().len());
            for (field, value) in schema.fields().iter().zip(field_values(s, with_defaults)) {
                if rename(field.name()).is_some() {
                    values.push(value);
                }
            }
            Ok(SchemaAndValue::new(
                Some(out_schema.clone()),
                make_struct(out_schema, values)?,
            ))
        }
        (schema, Value::Map(entries)) => {
            let mut out = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                let name = string_key(transform, &key)?;
                if let Some(new_name) = rename(name) {
                    if let Some(existing) = out
                        .iter_mut()
                        .find(|(k, _): &&mut (Value, Value)| k.as_str() == Some(new_name.as_str()))
                    {
                        existing.1 = value;
                    } else {
                        out.push((Value::String(new_name), value));
                    }
                }
            }
            // A schema'd map keeps its schema: keys stay strings.
            let schema = schema.filter(|s| s.field_type() == FieldType::Map);
            Ok(SchemaAndValue::new(schema, Value::Map(out)))
        }
        (_, other) => Err(unsupported(transform, &other)),
    }
}

fn renamed_schema(
    input: &SchemaRef,
    like: fn(&SchemaRef) -> SchemaBuilder,
    rename: RenameFn<'_>,
) -> ConnectResult<SchemaRef> {
    let mut builder = like(input);
    for field in input.fields() {
        if let Some(new_name) = rename(field.name()) {
            builder = builder
                .field(new_name.clone(), field.schema().clone())
                .map_err(|_| {
                    ConnectError::schema(format!(
                        "renaming '{}' to '{new_name}' collides with another field",
                        field.name()
                    ))
                })?;
        }
    }
    Ok(builder.build())
}

/// Kafka's `copySchemaBasics` for a struct: `input`'s name, version, doc and parameters, and
/// required — InsertField, ReplaceField and HeaderFrom build their output that way whatever
/// the input's optionality (Cast and TimestampConverter keep it: [`struct_like`]).
pub fn kafka_struct_like(input: &SchemaRef) -> SchemaBuilder {
    struct_like(input).required()
}

/// A struct schema like `input` (name, version, doc, optionality) but with no fields yet.
pub fn struct_like(input: &SchemaRef) -> SchemaBuilder {
    let mut builder = SchemaBuilder::struct_().optional_if(input.is_optional());
    if let Some(name) = input.name() {
        builder = builder.name(name);
    }
    if let Some(version) = input.version() {
        builder = builder.version(version);
    }
    if let Some(doc) = input.doc() {
        builder = builder.doc(doc);
    }
    builder.parameters(input.parameters().clone())
}
