//! Schema ⇄ JSON, in the envelope's `"schema"` format:
//! `{"type", "optional", "name"?, "version"?, "doc"?, "parameters"?, "default"?,
//!   "fields"? | "items"? | "keys"?+"values"?}` with `"field"` naming struct members.

use std::collections::BTreeMap;

use connect_api::{ConnectError, FieldType, Schema, SchemaBuilder, SchemaRef};
use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};

use super::JsonSettings;
use super::encode::PayloadJson;
use super::payload::decode_payload;
use super::tree::{JsonLike, Node};

/// Serializes a schema as envelope JSON; `field` is set for struct members.
pub(crate) struct SchemaJson<'a> {
    pub schema: &'a Schema,
    pub field: Option<&'a str>,
    pub settings: &'a JsonSettings,
}

impl Serialize for SchemaJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let schema = self.schema;
        if schema.field_type() == FieldType::Datetime {
            return Err(S::Error::custom(
                "the DATETIME field type cannot be encoded",
            ));
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", schema.field_type().json_name())?;
        map.serialize_entry("optional", &schema.is_optional())?;
        // A logical type's name is the converter's family's; other names are kept.
        let name = schema
            .logical_type()
            .map(|logical| logical.schema_name(self.settings.logical_names))
            .or(schema.name());
        if let Some(name) = name {
            map.serialize_entry("name", name)?;
        }
        if let Some(version) = schema.version() {
            map.serialize_entry("version", &version)?;
        }
        if let Some(doc) = schema.doc() {
            map.serialize_entry("doc", doc)?;
        }
        if !schema.parameters().is_empty() {
            map.serialize_entry("parameters", schema.parameters())?;
        }
        if let Some(default) = schema.default_value() {
            map.serialize_entry(
                "default",
                &PayloadJson {
                    schema: Some(schema),
                    value: default,
                    settings: self.settings,
                },
            )?;
        }
        match schema.field_type() {
            FieldType::Struct => {
                let fields: Vec<SchemaJson<'_>> = schema
                    .fields()
                    .iter()
                    .map(|f| SchemaJson {
                        schema: f.schema(),
                        field: Some(f.name()),
                        settings: self.settings,
                    })
                    .collect();
                map.serialize_entry("fields", &fields)?;
            }
            FieldType::Array => {
                if let Some(items) = schema.value_schema() {
                    map.serialize_entry("items", &self.nested(items))?;
                }
            }
            FieldType::Map => {
                if let Some(keys) = schema.key_schema() {
                    map.serialize_entry("keys", &self.nested(keys))?;
                }
                if let Some(values) = schema.value_schema() {
                    map.serialize_entry("values", &self.nested(values))?;
                }
            }
            _ => {}
        }
        if let Some(field) = self.field {
            map.serialize_entry("field", field)?;
        }
        map.end()
    }
}

impl<'a> SchemaJson<'a> {
    fn nested(&self, schema: &'a Schema) -> SchemaJson<'a> {
        SchemaJson {
            schema,
            field: None,
            settings: self.settings,
        }
    }
}

/// Parses envelope schema JSON (the lossless tree, so a default keeps every digit). `path`
/// locates the schema in error messages.
pub(crate) fn decode_schema(
    json: &Node<'_>,
    settings: &JsonSettings,
    path: &str,
) -> Result<SchemaRef, ConnectError> {
    if json.fields().is_none() {
        return Err(ConnectError::data(format!(
            "schema at '{path}' must be a JSON object, found {}",
            json.shown()
        )));
    }
    let type_name = json
        .get("type")
        .and_then(JsonLike::as_str)
        .ok_or_else(|| ConnectError::data(format!("schema at '{path}' has no string \"type\"")))?;
    let field_type = FieldType::from_name(type_name).ok_or_else(|| {
        ConnectError::data(format!(
            "schema at '{path}' has unknown type \"{type_name}\"; expected one of boolean, int8, \
             int16, int32, int64, float, double, bytes, string, array, map, struct"
        ))
    })?;
    let mut builder = match field_type {
        FieldType::Array => {
            let items = json.get("items").ok_or_else(|| {
                ConnectError::data(format!("array schema at '{path}' has no \"items\""))
            })?;
            SchemaBuilder::array(decode_schema(items, settings, &format!("{path}.items"))?)
        }
        FieldType::Map => {
            let keys = json.get("keys").ok_or_else(|| {
                ConnectError::data(format!("map schema at '{path}' has no \"keys\""))
            })?;
            let values = json.get("values").ok_or_else(|| {
                ConnectError::data(format!("map schema at '{path}' has no \"values\""))
            })?;
            SchemaBuilder::map(
                decode_schema(keys, settings, &format!("{path}.keys"))?,
                decode_schema(values, settings, &format!("{path}.values"))?,
            )
        }
        other => SchemaBuilder::of(other),
    };
    if field_type == FieldType::Struct {
        let fields = match json.get("fields") {
            None => Vec::new(),
            Some(fields) => fields.items().ok_or_else(|| {
                ConnectError::data(format!(
                    "struct schema at '{path}' has \"fields\" that is not an array: {}",
                    fields.shown()
                ))
            })?,
        };
        for field in fields {
            let name = field
                .get("field")
                .and_then(JsonLike::as_str)
                .ok_or_else(|| {
                    ConnectError::data(format!(
                        "a field of the struct schema at '{path}' has no string \"field\" name"
                    ))
                })?;
            let field_schema = decode_schema(field, settings, &format!("{path}.{name}"))?;
            builder = builder.field(name, field_schema)?;
        }
    }
    // Kafka and the Java runtime both read a missing "optional" as required.
    builder = builder.optional_if(
        json.get("optional")
            .and_then(JsonLike::as_bool)
            .unwrap_or(false),
    );
    if let Some(name) = json.get("name").and_then(JsonLike::as_str) {
        builder = builder.name(name);
    }
    if let Some(version) = json.get("version").and_then(JsonLike::as_i64) {
        let version = i32::try_from(version).map_err(|_| {
            ConnectError::data(format!(
                "schema at '{path}' has version {version} beyond int32"
            ))
        })?;
        builder = builder.version(version);
    }
    if let Some(doc) = json.get("doc").and_then(JsonLike::as_str) {
        builder = builder.doc(doc);
    }
    if let Some(parameters) = json.get("parameters") {
        let parameters = parameters.fields().ok_or_else(|| {
            ConnectError::data(format!(
                "schema at '{path}' has \"parameters\" that is not an object"
            ))
        })?;
        let parameters: BTreeMap<String, String> = parameters
            .into_iter()
            .map(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.text(), str::to_owned);
                (k.to_owned(), text)
            })
            .collect();
        builder = builder.parameters(parameters);
    }
    if let Some(default) = json.get("default").filter(|d| !d.is_null()) {
        let probe = builder.clone().build();
        let value = decode_payload(Some(&probe), default, settings, &format!("{path}.default"))?;
        builder = builder.default_value(value)?;
    }
    Ok(builder.build())
}
