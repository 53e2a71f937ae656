//! `io.debezium.transforms.ExtractNewRecordState` (Debezium 1.7): replaces a change envelope
//! by its `after` row, so sinks see plain rows.
//!
//! - `drop.tombstones` (default true): drop tombstones, else pass them on.
//! - `delete.handling.mode` (default `drop`): `drop` deletes, keep them as a null value with the
//!   row schema (`none`), or `rewrite` them as the `before` row plus `__deleted: "true"` (other
//!   rows then get `"false"`).
//! - `add.fields` / `add.headers`: envelope parts added as fields / headers. `op` and `ts_ms`
//!   come from the envelope, `id`, `total_order`, `data_collection_order` from `transaction`,
//!   any other bare name from `source`; `struct.field` names a part explicitly. The name is the
//!   prefix (`add.fields.prefix` / `add.headers.prefix`, default `__`) + the name with `.` as
//!   `_`, or + `NEW` for `part:NEW`. Headers become record extensions (RocketMQ message
//!   properties), their values printed as Java's `String.valueOf` would.
//! - `route.by.field`: the topic becomes the row's value of that field.
//!
//! Records that are not envelopes (heartbeats, schema changes: value schema names not ending
//! in `.Envelope`) pass through unchanged.

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::data::SchemaBuilder;
use connect_api::{
    Config, ConfigError, ConnectError, ConnectRecord, ConnectResult, SchemaRef, Struct, Value,
};

use crate::util::SchemaCache;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum DeleteHandling {
    #[default]
    Drop,
    None,
    Rewrite,
}

/// Where an added field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldRef {
    /// `None`: the envelope itself.
    part: Option<String>,
    field: String,
    /// The added field's or header's name (prefix included).
    output: String,
}

impl FieldRef {
    fn parse(raw: &str, prefix: &str) -> Self {
        let (path, rename) = match raw.split_once(':') {
            Some((path, rename)) => (path.trim(), Some(rename.trim())),
            None => (raw.trim(), None),
        };
        let (part, field) = match path.split_once('.') {
            Some((part, field)) => (Some(part.to_owned()), field.to_owned()),
            None => {
                let part = match path {
                    "op" | "ts_ms" => None,
                    "id" | "total_order" | "data_collection_order" => {
                        Some("transaction".to_owned())
                    }
                    _ => Some("source".to_owned()),
                };
                (part, path.to_owned())
            }
        };
        let output = match rename {
            Some(name) => format!("{prefix}{name}"),
            None => format!("{prefix}{}", path.replace('.', "_")),
        };
        Self {
            part,
            field,
            output,
        }
    }

    /// The referenced field's (optional) schema and value in `envelope`.
    fn resolve(&self, envelope: &Struct) -> Option<(SchemaRef, Value)> {
        let holder: &Struct = match &self.part {
            None => envelope,
            Some(part) => match envelope.get(part) {
                Some(Value::Struct(inner)) => inner,
                _ => {
                    // The part is absent (e.g. no transaction block): its schema still names
                    // the field, with a null value.
                    let part_schema = envelope.schema().field(part)?.schema().clone();
                    let field = part_schema.field(&self.field)?;
                    return Some((optional(field.schema()), Value::Null));
                }
            },
        };
        let field = holder.schema().field(&self.field)?;
        Some((optional(field.schema()), holder.get_field(field).clone()))
    }
}

fn optional(schema: &SchemaRef) -> SchemaRef {
    if schema.is_optional() {
        schema.clone()
    } else {
        connect_api::data::optional_copy(schema)
    }
}

/// The transform.
#[derive(Debug, Default)]
pub struct ExtractNewRecordState {
    drop_tombstones: bool,
    delete_handling: DeleteHandling,
    add_fields: Vec<FieldRef>,
    add_headers: Vec<FieldRef>,
    route_by_field: Option<String>,
    cache: SchemaCache,
}

/// `Value`s as Java's `String.valueOf` prints them in a header.
fn header_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::String(s) => s.clone(),
        Value::Boolean(b) => b.to_string(),
        Value::Int8(i) => i.to_string(),
        Value::Int16(i) => i.to_string(),
        Value::Int32(i) => i.to_string(),
        Value::Int64(i) => i.to_string(),
        Value::Float32(f) => f.to_string(),
        Value::Float64(f) => f.to_string(),
        other => format!("{other:?}"),
    }
}

impl ExtractNewRecordState {
    /// The row schema with the added fields (and `__deleted` in rewrite mode).
    fn extended_schema(
        &mut self,
        row_schema: &SchemaRef,
        added: &[(String, SchemaRef)],
    ) -> ConnectResult<SchemaRef> {
        let rewrite = self.delete_handling == DeleteHandling::Rewrite;
        self.cache.get_or_try_insert(row_schema, |schema| {
            let mut builder = SchemaBuilder::struct_();
            if let Some(name) = schema.name() {
                builder = builder.name(name);
            }
            builder = builder.parameters(schema.parameters().clone());
            for field in schema.fields() {
                builder = builder.field(field.name(), field.schema().clone())?;
            }
            for (name, field_schema) in added {
                builder = builder.field(name, field_schema.clone())?;
            }
            if rewrite {
                builder = builder.field("__deleted", SchemaBuilder::string().optional().build())?;
            }
            Ok(builder.optional().build())
        })
    }

    fn row_with_additions(
        &mut self,
        row: &Struct,
        envelope: &Struct,
        deleted: Option<bool>,
    ) -> ConnectResult<(SchemaRef, Value)> {
        if self.add_fields.is_empty() && deleted.is_none() {
            return Ok((row.schema().clone(), Value::Struct(row.clone())));
        }
        let mut added = Vec::with_capacity(self.add_fields.len());
        let mut values: Vec<Value> = row.values().to_vec();
        for reference in &self.add_fields {
            let (schema, value) = reference.resolve(envelope).ok_or_else(|| {
                ConnectError::data(format!(
                    "ExtractNewRecordState: the envelope has no field {}{}",
                    reference
                        .part
                        .as_deref()
                        .map(|p| format!("{p}."))
                        .unwrap_or_default(),
                    reference.field
                ))
            })?;
            added.push((reference.output.clone(), schema));
            values.push(value);
        }
        if let Some(deleted) = deleted {
            values.push(Value::String(deleted.to_string()));
        }
        let schema = self.extended_schema(row.schema(), &added)?;
        Ok((
            schema.clone(),
            Value::Struct(Struct::from_values(schema, values)?),
        ))
    }
}

impl connect_api::Transform for ExtractNewRecordState {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .optional(
                "drop.tombstones",
                ConfigType::Boolean,
                "true",
                "Drop tombstones",
            )
            .optional(
                "delete.handling.mode",
                ConfigType::String,
                "drop",
                "drop, none or rewrite",
            )
            .optional(
                "add.fields",
                ConfigType::List,
                "",
                "Envelope fields to add to the row",
            )
            .optional(
                "add.headers",
                ConfigType::List,
                "",
                "Envelope fields to add as headers",
            )
            .optional(
                "add.fields.prefix",
                ConfigType::String,
                "__",
                "Prefix of added fields",
            )
            .optional(
                "add.headers.prefix",
                ConfigType::String,
                "__",
                "Prefix of added headers",
            )
            .optional(
                "route.by.field",
                ConfigType::String,
                "",
                "Row field naming the topic",
            )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.drop_tombstones = config.get_bool_or("drop.tombstones", true)?;
        self.delete_handling = match config
            .get_string_or("delete.handling.mode", "drop")
            .to_ascii_lowercase()
            .as_str()
        {
            "drop" => DeleteHandling::Drop,
            "none" => DeleteHandling::None,
            "rewrite" => DeleteHandling::Rewrite,
            other => {
                return Err(ConnectError::Config(vec![ConfigError::invalid(
                    "delete.handling.mode",
                    other,
                    "expected drop, none or rewrite",
                )]));
            }
        };
        let fields_prefix = config.get_string_or("add.fields.prefix", "__").to_owned();
        let headers_prefix = config.get_string_or("add.headers.prefix", "__").to_owned();
        self.add_fields = config
            .get_list("add.fields")
            .iter()
            .map(|f| FieldRef::parse(f, &fields_prefix))
            .collect();
        self.add_headers = config
            .get_list("add.headers")
            .iter()
            .map(|f| FieldRef::parse(f, &headers_prefix))
            .collect();
        self.route_by_field = config.get_trimmed("route.by.field").map(str::to_owned);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if record.value.is_null() {
            if self.drop_tombstones {
                return Ok(None);
            }
            if let Some(op) = self
                .add_headers
                .iter()
                .find(|h| h.part.is_none() && h.field == "op")
            {
                record.extensions.put(op.output.clone(), "d");
            }
            return Ok(Some(record));
        }
        let is_envelope = record
            .value_schema
            .as_ref()
            .and_then(|s| s.name())
            .is_some_and(|n| n.ends_with(".Envelope"));
        let Value::Struct(envelope) = &record.value else {
            return Ok(Some(record));
        };
        if !is_envelope {
            return Ok(Some(record));
        }
        let envelope = envelope.clone();
        for header in &self.add_headers {
            let value = header
                .resolve(&envelope)
                .map(|(_, v)| v)
                .unwrap_or(Value::Null);
            record
                .extensions
                .put(header.output.clone(), header_text(&value));
        }
        let after = match envelope.get("after") {
            Some(Value::Struct(row)) => Some(row.clone()),
            _ => None,
        };
        let row_schema = envelope
            .schema()
            .field("after")
            .map(|f| f.schema().clone())
            .ok_or_else(|| {
                ConnectError::data("ExtractNewRecordState: the envelope has no 'after' field")
            })?;
        let rewrite = self.delete_handling == DeleteHandling::Rewrite;
        let (row, deleted) = match after {
            Some(row) => (row, rewrite.then_some(false)),
            None => {
                let before = match envelope.get("before") {
                    Some(Value::Struct(row)) => Some(row.clone()),
                    _ => None,
                };
                if let (Some(field), Some(before)) = (&self.route_by_field, &before)
                    && let Some(Value::String(topic)) = before.get(field)
                {
                    record.set_topic(topic.clone());
                }
                match (self.delete_handling, before) {
                    (DeleteHandling::Drop, _) => return Ok(None),
                    (DeleteHandling::None, _) | (DeleteHandling::Rewrite, None) => {
                        record.value_schema = Some(row_schema);
                        record.value = Value::Null;
                        return Ok(Some(record));
                    }
                    (DeleteHandling::Rewrite, Some(before)) => (before, Some(true)),
                }
            }
        };
        if deleted != Some(true)
            && let Some(field) = &self.route_by_field
            && let Some(Value::String(topic)) = row.get(field)
        {
            record.set_topic(topic.clone());
        }
        let (schema, value) = self.row_with_additions(&row, &envelope, deleted)?;
        record.value_schema = Some(schema);
        record.value = value;
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests;
