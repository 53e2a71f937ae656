//! From records to writes: which table, which operation, which columns and values. Pure (no
//! database), so the rules — key sources, whitelists, tombstones — are unit-tested here.
//!
//! A write borrows its names and values from the record (and the configuration) it came
//! from: planning a row copies nothing but what a Debezium type changes.

use std::borrow::Cow;

use connect_api::data::logical::DECIMAL_PRECISION;
use connect_api::{ConnectError, ConnectRecord, ConnectResult, SchemaBuilder, SchemaRef, Value};

use crate::config::{InsertMode, PkMode, SinkConfig};
use crate::types::TableId;

/// A column's value and the schema it came with (inferred for schemaless records).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue<'r> {
    pub name: Cow<'r, str>,
    pub value: Cow<'r, Value>,
    pub schema: SchemaRef,
}

/// What to do with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Insert,
    Upsert,
    Update,
    Delete,
}

/// One record's write.
#[derive(Debug, Clone, PartialEq)]
pub struct Write<'r> {
    pub table: TableId,
    pub op: Op,
    /// Key columns first (empty with `pk.mode=none`).
    pub key: Vec<FieldValue<'r>>,
    /// The other columns (empty for deletes).
    pub values: Vec<FieldValue<'r>>,
}

impl Write<'_> {
    /// The column names, key first.
    pub fn column_names(&self) -> Vec<String> {
        self.key
            .iter()
            .chain(&self.values)
            .map(|f| f.name.clone().into_owned())
            .collect()
    }

    /// True when `other` writes the same table the same way with the same columns, so both
    /// can share a statement. Compared in place: this runs for every record.
    pub fn batches_with(&self, other: &Write<'_>) -> bool {
        self.table == other.table
            && self.op == other.op
            && self.key.len() == other.key.len()
            && self.values.len() == other.values.len()
            && self
                .key
                .iter()
                .chain(&self.values)
                .zip(other.key.iter().chain(&other.values))
                .all(|(a, b)| a.name == b.name)
    }
}

/// The write a record asks for; `None` for a tombstone when deletes are off (nothing to write).
pub fn plan<'r>(
    config: &'r SinkConfig,
    record: &'r ConnectRecord,
) -> ConnectResult<Option<Write<'r>>> {
    let table = table_of(config, record)?;
    if record.value.is_null() {
        if !config.delete_enabled {
            return Ok(None);
        }
        let key = key_fields(config, record, &[])?;
        return Ok(Some(Write {
            table,
            op: Op::Delete,
            key,
            values: Vec::new(),
        }));
    }
    let mut fields = value_fields(record)?;
    let key = key_fields(config, record, &fields)?;
    fields.retain(|f| !key.iter().any(|k| k.name == f.name));
    if !config.fields_whitelist.is_empty() {
        fields.retain(|f| config.fields_whitelist.iter().any(|w| *w == f.name));
    }
    let op = match config.insert_mode {
        InsertMode::Insert => Op::Insert,
        InsertMode::Upsert => Op::Upsert,
        InsertMode::Update => Op::Update,
    };
    Ok(Some(Write {
        table,
        op,
        key,
        values: fields,
    }))
}

/// `table.name.format` with `${topic}` replaced (or, with `table.name.from.header`, the
/// record's `__source_table` header as `ExtractNewRecordState` adds it, or its `table`
/// extension).
fn table_of(config: &SinkConfig, record: &ConnectRecord) -> ConnectResult<TableId> {
    if config.table_from_header
        && let Some(table) = record
            .extensions
            .get("__source_table")
            .or_else(|| record.extensions.get("table"))
    {
        return Ok(TableId::parse(table));
    }
    let topic = record
        .topic()
        .map(str::to_owned)
        .or_else(|| {
            record
                .position
                .partition
                .get_str("topic")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if topic.is_empty() && config.table_format.contains("${topic}") {
        return Err(ConnectError::data(
            "the record names no topic, so table.name.format '${topic}' gives no table",
        ));
    }
    Ok(TableId::parse(
        &config.table_format.replace("${topic}", &topic),
    ))
}

/// The value's fields: a struct's by its schema, a map's (schemaless JSON) with inferred
/// schemas.
fn value_fields(record: &ConnectRecord) -> ConnectResult<Vec<FieldValue<'_>>> {
    fields_of(&record.value, "value")
}

fn fields_of<'r>(value: &'r Value, what: &str) -> ConnectResult<Vec<FieldValue<'r>>> {
    match value {
        Value::Struct(s) => Ok(s
            .schema()
            .fields()
            .iter()
            .map(|field| {
                super::debezium::normalize(FieldValue {
                    name: Cow::Borrowed(field.name()),
                    value: Cow::Borrowed(s.get_field(field)),
                    schema: field.schema().clone(),
                })
            })
            .collect()),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| {
                let name = k.as_str().ok_or_else(|| {
                    ConnectError::data(format!(
                        "the record {what} is a map with a non-string key ({k})"
                    ))
                })?;
                Ok(FieldValue {
                    name: Cow::Borrowed(name),
                    value: Cow::Borrowed(v),
                    schema: infer_schema(v),
                })
            })
            .collect(),
        other => Err(ConnectError::data(format!(
            "the record {what} is a {}, expected a struct (or a JSON object) with one field per column",
            other.type_name()
        ))),
    }
}

/// The primary key columns per `pk.mode`.
fn key_fields<'r>(
    config: &'r SinkConfig,
    record: &'r ConnectRecord,
    values: &[FieldValue<'r>],
) -> ConnectResult<Vec<FieldValue<'r>>> {
    match config.pk_mode {
        PkMode::None => Ok(Vec::new()),
        PkMode::RecordKey => match &record.key {
            Value::Null => Err(ConnectError::data(
                "the record has no key, and pk.mode=record_key needs one",
            )),
            key @ (Value::Struct(_) | Value::Map(_)) => {
                let mut fields = fields_of(key, "key")?;
                if !config.pk_fields.is_empty() {
                    fields.retain(|f| config.pk_fields.iter().any(|p| *p == f.name));
                }
                if fields.is_empty() {
                    return Err(ConnectError::data(format!(
                        "the record key has none of the pk.fields ({})",
                        config.pk_fields.join(", ")
                    )));
                }
                Ok(fields)
            }
            primitive => {
                let name = config.pk_fields.first().ok_or_else(|| {
                    ConnectError::data(
                        "the record key is a primitive: pk.fields must name its column (pk.mode=record_key)",
                    )
                })?;
                Ok(vec![FieldValue {
                    name: Cow::Borrowed(name),
                    value: Cow::Borrowed(primitive),
                    schema: record
                        .key_schema
                        .clone()
                        .unwrap_or_else(|| infer_schema(primitive)),
                }])
            }
        },
        PkMode::RecordValue => {
            if config.pk_fields.is_empty() {
                return Ok(values.to_vec());
            }
            config
                .pk_fields
                .iter()
                .map(|name| {
                    values
                        .iter()
                        .find(|f| f.name == name.as_str())
                        .cloned()
                        .ok_or_else(|| {
                            ConnectError::data(format!(
                                "pk.fields names '{name}', which the record value lacks"
                            ))
                        })
                })
                .collect()
        }
    }
}

/// A schema for a schemaless value (for `auto.create`).
fn infer_schema(value: &Value) -> SchemaRef {
    let builder = match value {
        Value::Boolean(_) => SchemaBuilder::bool(),
        Value::Int8(_) => SchemaBuilder::int8(),
        Value::Int16(_) => SchemaBuilder::int16(),
        Value::Int32(_) => SchemaBuilder::int32(),
        Value::Int64(_) => SchemaBuilder::int64(),
        Value::Float32(_) => SchemaBuilder::float32(),
        Value::Float64(_) => SchemaBuilder::float64(),
        Value::Bytes(_) => SchemaBuilder::bytes(),
        Value::Decimal(d) => {
            let (_, scale) = d.as_bigint_and_exponent();
            SchemaBuilder::decimal(i32::try_from(scale).unwrap_or(0))
                .parameter(DECIMAL_PRECISION, "38")
        }
        Value::Date(_) => SchemaBuilder::date(),
        Value::Time(_) => SchemaBuilder::time(),
        Value::Timestamp(_) => SchemaBuilder::timestamp(),
        _ => SchemaBuilder::string(),
    };
    builder.optional().build()
}

#[cfg(test)]
mod tests {
    use connect_api::{Config, RecordOffset, RecordPartition, Struct};

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> SinkConfig {
        let mut config = Config::new().with("connection.url", "jdbc:sqlite::memory:");
        for (k, v) in pairs {
            config.put(*k, *v);
        }
        SinkConfig::parse(&config).unwrap()
    }

    fn record(key: Value, value: Value) -> ConnectRecord {
        let mut record = ConnectRecord::new(RecordPartition::new(), RecordOffset::new(), None);
        record.key = key;
        record.value = value;
        record.set_topic("orders");
        record
    }

    fn row() -> Value {
        let schema = SchemaBuilder::struct_()
            .field("id", SchemaBuilder::int64().build())
            .unwrap()
            .field("name", SchemaBuilder::string().optional().build())
            .unwrap()
            .field("secret", SchemaBuilder::string().optional().build())
            .unwrap()
            .build();
        let mut s = Struct::new(schema).unwrap();
        s.put("id", 7i64).unwrap();
        s.put("name", "ann").unwrap();
        Value::Struct(s)
    }

    #[test]
    fn record_value_keys_and_the_whitelist() {
        let config = config(&[
            ("insert.mode", "upsert"),
            ("pk.mode", "record_value"),
            ("pk.fields", "id"),
            ("fields.whitelist", "name"),
            ("table.name.format", "shop.${topic}"),
        ]);
        let row = record(Value::Null, row());
        let write = plan(&config, &row).unwrap().unwrap();
        assert_eq!(write.table.to_string(), "shop.orders");
        assert_eq!(write.op, Op::Upsert);
        assert_eq!(write.column_names(), ["id", "name"]);
    }

    #[test]
    fn primitive_keys_need_a_column_name_and_tombstones_delete() {
        let config = config(&[
            ("pk.mode", "record_key"),
            ("pk.fields", "id"),
            ("delete.enabled", "true"),
        ]);
        let tombstone = record(Value::Int64(7), Value::Null);
        let write = plan(&config, &tombstone).unwrap().unwrap();
        assert_eq!(write.op, Op::Delete);
        assert_eq!(*write.key[0].value, Value::Int64(7));

        let no_name = crate::config::SinkConfig {
            pk_fields: Vec::new(),
            ..config.clone()
        };
        let error = plan(&no_name, &record(Value::Int64(7), row())).unwrap_err();
        assert!(error.to_string().contains("pk.fields must name"), "{error}");

        let keep = crate::config::SinkConfig {
            delete_enabled: false,
            ..config
        };
        assert_eq!(
            plan(&keep, &record(Value::Int64(7), Value::Null)).unwrap(),
            None
        );
    }

    #[test]
    fn schemaless_maps_are_rows_and_scalars_are_not() {
        let config = config(&[]);
        let value = Value::map_of([("id", Value::Int64(1)), ("price", Value::Float64(2.5))]);
        let map = record(Value::Null, value);
        let write = plan(&config, &map).unwrap().unwrap();
        assert_eq!(
            write.values[1].schema.field_type(),
            connect_api::FieldType::Float64
        );
        let error = plan(&config, &record(Value::Null, Value::String("x".into()))).unwrap_err();
        assert!(error.to_string().contains("expected a struct"), "{error}");
    }
}
