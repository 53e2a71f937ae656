//! `InsertField$Key` / `$Value`: adds fields with the record's topic, partition (`queueId`),
//! offset (`queueOffset`), timestamp, or a static string. A field name ending in `!` is
//! required, `?` (or nothing) optional — as in Kafka.

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::data::SchemaBuilder;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, SchemaAndValue, SchemaRef, Value,
};

use crate::field_rename::kafka_struct_like;
use crate::side::FieldTransform;
use crate::util::{
    SchemaCache, field_values, make_struct, replace_null_with_default, unsupported,
    with_replace_null_key,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Topic,
    Partition,
    Offset,
    Timestamp,
    Static,
}

#[derive(Debug, Clone)]
struct Insertion {
    name: String,
    required: bool,
    source: Source,
}

#[derive(Debug, Default)]
pub struct InsertField {
    insertions: Vec<Insertion>,
    static_value: Option<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

fn spec(raw: &str) -> (String, bool) {
    if let Some(name) = raw.strip_suffix('!') {
        (name.to_owned(), true)
    } else {
        (raw.strip_suffix('?').unwrap_or(raw).to_owned(), false)
    }
}

impl InsertField {
    fn value_of(&self, source: Source, record: &ConnectRecord) -> Value {
        match source {
            Source::Topic => Value::from(record.topic().map(str::to_owned)),
            Source::Partition => record
                .position
                .partition
                .get_i64("queueId")
                .and_then(|q| i32::try_from(q).ok())
                .map_or(Value::Null, Value::Int32),
            Source::Offset => record
                .position
                .offset
                .get_i64("queueOffset")
                .map_or(Value::Null, Value::Int64),
            Source::Timestamp => record.timestamp.map_or(Value::Null, Value::Timestamp),
            Source::Static => Value::from(self.static_value.clone()),
        }
    }

    fn field_schema(insertion: &Insertion) -> SchemaRef {
        let builder = match insertion.source {
            Source::Topic | Source::Static => SchemaBuilder::string(),
            Source::Partition => SchemaBuilder::int32(),
            Source::Offset => SchemaBuilder::int64(),
            Source::Timestamp => SchemaBuilder::timestamp(),
        };
        builder.optional_if(!insertion.required).build()
    }
}

impl FieldTransform for InsertField {
    fn config_def() -> ConfigDef {
        with_replace_null_key(
            ConfigDef::new()
                .optional(
                    "topic.field",
                    ConfigType::String,
                    "",
                    "Field for the topic (suffix ! = required)",
                )
                .optional(
                    "partition.field",
                    ConfigType::String,
                    "",
                    "Field for the queue id",
                )
                .optional(
                    "offset.field",
                    ConfigType::String,
                    "",
                    "Field for the queue offset",
                )
                .optional(
                    "timestamp.field",
                    ConfigType::String,
                    "",
                    "Field for the record timestamp",
                )
                .optional(
                    "static.field",
                    ConfigType::String,
                    "",
                    "Field for a static value",
                )
                .optional("static.value", ConfigType::String, "", "The static value"),
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        for (key, source) in [
            ("topic.field", Source::Topic),
            ("partition.field", Source::Partition),
            ("offset.field", Source::Offset),
            ("timestamp.field", Source::Timestamp),
            ("static.field", Source::Static),
        ] {
            if let Some(raw) = config.get_trimmed(key) {
                let (name, required) = spec(raw);
                self.insertions.push(Insertion {
                    name,
                    required,
                    source,
                });
            }
        }
        // An empty static value is a value (as Kafka).
        self.static_value = config.get("static.value").map(str::to_owned);
        self.replace_null_with_default = replace_null_with_default(config)?;
        if self.insertions.is_empty() {
            return Err(connect_api::ConfigError {
                key: "topic.field".to_owned(),
                value: None,
                message: "no field to insert: set at least one of topic.field, partition.field, offset.field, \
                          timestamp.field, static.field"
                    .to_owned(),
            }
            .into());
        }
        if self.insertions.iter().any(|i| i.source == Source::Static) && self.static_value.is_none()
        {
            return Err(connect_api::ConfigError::missing("static.value").into());
        }
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        match (data.schema, data.value) {
            // Tombstones pass untouched, as in Kafka.
            (schema, Value::Null) => Ok(Some(SchemaAndValue::new(schema, Value::Null))),
            (Some(schema), Value::Struct(s)) => {
                let insertions = self.insertions.clone();
                let out_schema = self.cache.get_or_try_insert(&schema, |input| {
                    let mut builder = kafka_struct_like(input);
                    for field in input.fields() {
                        builder = builder.field(field.name(), field.schema().clone())?;
                    }
                    for insertion in &insertions {
                        builder = builder
                            .field(insertion.name.clone(), Self::field_schema(insertion))
                            .map_err(|_| {
                                ConnectError::schema(format!(
                                    "InsertField: the value already has a field '{}'",
                                    insertion.name
                                ))
                            })?;
                    }
                    Ok(builder.build())
                })?;
                let mut values = field_values(s, self.replace_null_with_default);
                for insertion in &self.insertions {
                    values.push(self.value_of(insertion.source, record));
                }
                Ok(Some(SchemaAndValue::new(
                    Some(out_schema.clone()),
                    make_struct(out_schema, values)?,
                )))
            }
            (_, Value::Map(mut entries)) => {
                for insertion in &self.insertions {
                    // As Kafka: a schemaless timestamp is a plain long, and a partition or
                    // timestamp the record lacks adds no key.
                    let value = match self.value_of(insertion.source, record) {
                        Value::Timestamp(ms) => Value::Int64(ms),
                        Value::Null
                            if matches!(
                                insertion.source,
                                Source::Partition | Source::Timestamp
                            ) =>
                        {
                            continue;
                        }
                        value => value,
                    };
                    entries.retain(|(k, _)| k.as_str() != Some(insertion.name.as_str()));
                    entries.push((Value::String(insertion.name.clone()), value));
                }
                Ok(Some(SchemaAndValue::new(None, Value::Map(entries))))
            }
            (_, other) => Err(unsupported("InsertField", &other)),
        }
    }
}
