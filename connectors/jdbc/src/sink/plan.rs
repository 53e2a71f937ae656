//! From records to writes: which table, which operation, which columns and values. Pure (no
//! database), so the rules — key sources, whitelists, tombstones — are unit-tested here.
//!
//! Records of one shape (topic or `table.name.from.header` table, value schema, and with
//! `pk.mode=record_key` the key's schema) write alike, so their [`Layout`] —
//! table, operation, columns and where each column's value sits in the record — is worked out
//! once by the [`Planner`] and shared. A [`Write`] is a layout and a record: its values are read
//! from the record when they are bound, borrowed, with nothing copied but what a Debezium type
//! changes.

use std::borrow::Cow;
use std::mem::Discriminant;
use std::sync::Arc;

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

/// Where a column's value sits in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The whole key (a primitive key, named by `pk.fields`).
    Key,
    /// The key struct's field, or the key map's entry, at this index.
    KeyField(usize),
    /// The value struct's field, or the value map's entry, at this index.
    ValueField(usize),
}

/// A column a write sets: its name, the schema its values come with, where they sit.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPlan<'r> {
    pub name: Cow<'r, str>,
    pub schema: SchemaRef,
    source: Source,
    /// A Debezium time type (`io.debezium.time.*`): each value goes through
    /// [`super::debezium::normalize`].
    debezium: bool,
}

/// What every record of one shape writes alike.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout<'r> {
    pub table: TableId,
    pub op: Op,
    /// Key columns first (empty with `pk.mode=none`).
    pub key: Vec<ColumnPlan<'r>>,
    /// The other columns (empty for deletes).
    pub values: Vec<ColumnPlan<'r>>,
}

/// One record's write: its layout, and the record its values are read from.
#[derive(Debug, Clone)]
pub struct Write<'r> {
    pub layout: Arc<Layout<'r>>,
    record: &'r ConnectRecord,
}

impl<'r> Write<'r> {
    pub fn table(&self) -> &TableId {
        &self.layout.table
    }

    /// `column`'s value in this write's record (a column of its layout). Runs for every
    /// value bound: only a Debezium time is converted (its schema is not built).
    pub fn value_of(&self, column: &ColumnPlan<'r>) -> Cow<'r, Value> {
        let stored = self.stored(column);
        if column.debezium
            && let Some((_, value)) = super::debezium::convert(&column.schema, stored)
        {
            return Cow::Owned(value);
        }
        Cow::Borrowed(stored)
    }

    /// `column`'s value as the record holds it.
    fn stored(&self, column: &ColumnPlan<'r>) -> &'r Value {
        let record = self.record;
        match column.source {
            Source::Key => &record.key,
            Source::KeyField(index) => nth(&record.key, index),
            Source::ValueField(index) => nth(&record.value, index),
        }
    }

    /// `column` with its value and schema, Debezium's time types as Connect's.
    fn field(&self, column: &ColumnPlan<'r>) -> FieldValue<'r> {
        let field = FieldValue {
            name: column.name.clone(),
            value: Cow::Borrowed(self.stored(column)),
            schema: column.schema.clone(),
        };
        if column.debezium {
            super::debezium::normalize(field)
        } else {
            field
        }
    }

    /// The key's columns with this record's values (for creating and evolving tables).
    pub fn key_fields(&self) -> Vec<FieldValue<'r>> {
        self.layout.key.iter().map(|c| self.field(c)).collect()
    }

    /// The other columns with this record's values.
    pub fn value_fields(&self) -> Vec<FieldValue<'r>> {
        self.layout.values.iter().map(|c| self.field(c)).collect()
    }

    /// True when `other` writes the same table the same way with the same columns, so both
    /// can share a statement. Runs for every record: writes of one layout answer at once.
    pub fn batches_with(&self, other: &Write<'_>) -> bool {
        let (a, b) = (&*self.layout, &*other.layout);
        std::ptr::addr_eq(a, b)
            || (a.table == b.table
                && a.op == b.op
                && a.key.len() == b.key.len()
                && a.values.len() == b.values.len()
                && a.key
                    .iter()
                    .chain(&a.values)
                    .zip(b.key.iter().chain(&b.values))
                    .all(|(x, y)| x.name == y.name))
    }
}

/// The `index`th field of a struct (its default when null) or entry of a map; a layout's
/// sources only name fields its shape has.
fn nth(value: &Value, index: usize) -> &Value {
    match value {
        Value::Struct(s) => s.get_field(&s.schema().fields()[index]),
        Value::Map(entries) => &entries[index].1,
        // A layout's sources name fields only of structs and maps (`columns_of`).
        other => {
            if cfg!(debug_assertions) {
                unreachable!("a layout read field {index} of a {}", other.type_name());
            }
            other
        }
    }
}

/// What makes records write alike: their topic (or source table) and their key's and value's
/// schemas. Schemaless (map) records have no shape: each is planned by itself.
#[derive(Debug, PartialEq)]
struct Shape<'r> {
    topic: Option<&'r str>,
    header_table: Option<&'r str>,
    value: Part<'r>,
    key: Part<'r>,
}

#[derive(Debug)]
enum Part<'r> {
    Struct(&'r SchemaRef),
    Null,
    Primitive(Discriminant<Value>, Option<&'r SchemaRef>),
    /// Not part of the layout (the key with `pk.mode` other than `record_key`).
    Unused,
}

impl PartialEq for Part<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Part::Struct(a), Part::Struct(b)) => Arc::ptr_eq(a, b) || a == b,
            (Part::Null, Part::Null) | (Part::Unused, Part::Unused) => true,
            (Part::Primitive(a, x), Part::Primitive(b, y)) => {
                a == b
                    && match (x, y) {
                        (Some(x), Some(y)) => Arc::ptr_eq(x, y) || x == y,
                        (None, None) => true,
                        _ => false,
                    }
            }
            _ => false,
        }
    }
}

impl<'r> Part<'r> {
    fn of(value: &'r Value, schema: Option<&'r SchemaRef>) -> Option<Self> {
        match value {
            Value::Struct(s) => Some(Part::Struct(s.schema())),
            Value::Null => Some(Part::Null),
            Value::Map(_) | Value::Array(_) => None,
            primitive => Some(Part::Primitive(std::mem::discriminant(primitive), schema)),
        }
    }
}

/// Plans records' writes, one layout per run of records of one shape.
#[derive(Debug)]
pub struct Planner<'r> {
    config: &'r SinkConfig,
    last: Option<(Shape<'r>, Arc<Layout<'r>>)>,
}

impl<'r> Planner<'r> {
    pub fn new(config: &'r SinkConfig) -> Self {
        Self { config, last: None }
    }

    /// The write a record asks for; `None` for a tombstone when deletes are off (nothing to
    /// write).
    pub fn plan(&mut self, record: &'r ConnectRecord) -> ConnectResult<Option<Write<'r>>> {
        let config = self.config;
        if record.value.is_null() && !config.delete_enabled {
            return Ok(None);
        }
        let shape = self.shape_of(record);
        if let (Some(shape), Some((last, layout))) = (&shape, &self.last)
            && shape == last
        {
            return Ok(Some(Write {
                layout: layout.clone(),
                record,
            }));
        }
        let layout = Arc::new(layout_of(config, record)?);
        if let Some(shape) = shape {
            self.last = Some((shape, layout.clone()));
        }
        Ok(Some(Write { layout, record }))
    }

    fn shape_of(&self, record: &'r ConnectRecord) -> Option<Shape<'r>> {
        let config = self.config;
        let value = Part::of(&record.value, record.value_schema.as_ref())?;
        let key = match config.pk_mode {
            PkMode::RecordKey => Part::of(&record.key, record.key_schema.as_ref())?,
            PkMode::None | PkMode::RecordValue => Part::Unused,
        };
        Some(Shape {
            topic: topic_of(record),
            header_table: header_table(config, record),
            value,
            key,
        })
    }
}

/// The layout of a record's write (a tombstone's is a delete). A record that leaves no column
/// to write is refused: it would make an empty statement, or none.
fn layout_of<'r>(config: &'r SinkConfig, record: &'r ConnectRecord) -> ConnectResult<Layout<'r>> {
    let table = table_of(config, record)?;
    let layout = unchecked_layout(config, record, table)?;
    if layout.key.is_empty() && layout.values.is_empty() {
        return Err(ConnectError::data(format!(
            "the record gives table {} no column to write (pk.mode, fields.whitelist and the record's fields leave none)",
            layout.table
        )));
    }
    Ok(layout)
}

fn unchecked_layout<'r>(
    config: &'r SinkConfig,
    record: &'r ConnectRecord,
    table: TableId,
) -> ConnectResult<Layout<'r>> {
    if record.value.is_null() {
        let key = key_columns(config, record, &[])?;
        return Ok(Layout {
            table,
            op: Op::Delete,
            key,
            values: Vec::new(),
        });
    }
    let mut columns = columns_of(&record.value, "value", Source::ValueField)?;
    let key = key_columns(config, record, &columns)?;
    columns.retain(|c| !key.iter().any(|k| k.name == c.name));
    if !config.fields_whitelist.is_empty() {
        columns.retain(|c| config.fields_whitelist.iter().any(|w| *w == c.name));
    }
    let op = match config.insert_mode {
        InsertMode::Insert => Op::Insert,
        InsertMode::Upsert => Op::Upsert,
        InsertMode::Update => Op::Update,
    };
    Ok(Layout {
        table,
        op,
        key,
        values: columns,
    })
}

/// The record's topic, or the one its partition names.
fn topic_of(record: &ConnectRecord) -> Option<&str> {
    record
        .topic()
        .or_else(|| record.position.partition.get_str("topic"))
}

/// With `table.name.from.header`, the record's `__source_table` header as
/// `ExtractNewRecordState` adds it, or its `table` extension.
fn header_table<'r>(config: &SinkConfig, record: &'r ConnectRecord) -> Option<&'r str> {
    if !config.table_from_header {
        return None;
    }
    record
        .extensions
        .get("__source_table")
        .or_else(|| record.extensions.get("table"))
}

/// `table.name.format` with `${topic}` replaced, or the [`header_table`].
fn table_of(config: &SinkConfig, record: &ConnectRecord) -> ConnectResult<TableId> {
    if let Some(table) = header_table(config, record) {
        return Ok(TableId::parse(table));
    }
    let topic = topic_of(record).unwrap_or_default();
    if topic.is_empty() && config.table_format.contains("${topic}") {
        return Err(ConnectError::data(
            "the record names no topic, so table.name.format '${topic}' gives no table",
        ));
    }
    Ok(TableId::parse(
        &config.table_format.replace("${topic}", topic),
    ))
}

/// The columns of a struct (by its schema) or a map (schemaless JSON, schemas inferred from
/// this record's values).
fn columns_of<'r>(
    value: &'r Value,
    what: &str,
    source: fn(usize) -> Source,
) -> ConnectResult<Vec<ColumnPlan<'r>>> {
    match value {
        Value::Struct(s) => Ok(s
            .schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(index, field)| ColumnPlan {
                name: Cow::Borrowed(field.name()),
                schema: field.schema().clone(),
                source: source(index),
                debezium: super::debezium::is_debezium_time(field.schema()),
            })
            .collect()),
        Value::Map(entries) => entries
            .iter()
            .enumerate()
            .map(|(index, (k, v))| {
                let name = k.as_str().ok_or_else(|| {
                    ConnectError::data(format!(
                        "the record {what} is a map with a non-string key ({k})"
                    ))
                })?;
                Ok(ColumnPlan {
                    name: Cow::Borrowed(name),
                    schema: infer_schema(v),
                    source: source(index),
                    debezium: false,
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
fn key_columns<'r>(
    config: &'r SinkConfig,
    record: &'r ConnectRecord,
    values: &[ColumnPlan<'r>],
) -> ConnectResult<Vec<ColumnPlan<'r>>> {
    match config.pk_mode {
        PkMode::None => Ok(Vec::new()),
        PkMode::RecordKey => match &record.key {
            Value::Null => Err(ConnectError::data(
                "the record has no key, and pk.mode=record_key needs one",
            )),
            key @ (Value::Struct(_) | Value::Map(_)) => {
                let mut columns = columns_of(key, "key", Source::KeyField)?;
                if !config.pk_fields.is_empty() {
                    columns.retain(|c| config.pk_fields.iter().any(|p| *p == c.name));
                }
                if columns.is_empty() {
                    return Err(ConnectError::data(format!(
                        "the record key has none of the pk.fields ({})",
                        config.pk_fields.join(", ")
                    )));
                }
                Ok(columns)
            }
            primitive => {
                let name = config.pk_fields.first().ok_or_else(|| {
                    ConnectError::data(
                        "the record key is a primitive: pk.fields must name its column (pk.mode=record_key)",
                    )
                })?;
                let schema = record
                    .key_schema
                    .clone()
                    .unwrap_or_else(|| infer_schema(primitive));
                Ok(vec![ColumnPlan {
                    name: Cow::Borrowed(name),
                    debezium: super::debezium::is_debezium_time(&schema),
                    schema,
                    source: Source::Key,
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
                        .find(|c| c.name == name.as_str())
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

    fn plan<'r>(
        config: &'r SinkConfig,
        record: &'r ConnectRecord,
    ) -> ConnectResult<Option<Write<'r>>> {
        Planner::new(config).plan(record)
    }

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
        assert_eq!(write.table().to_string(), "shop.orders");
        assert_eq!(write.layout.op, Op::Upsert);
        let names: Vec<&str> = write
            .layout
            .key
            .iter()
            .chain(&write.layout.values)
            .map(|c| c.name.as_ref())
            .collect();
        assert_eq!(names, ["id", "name"]);
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
        assert_eq!(write.layout.op, Op::Delete);
        assert_eq!(*write.key_fields()[0].value, Value::Int64(7));

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
        assert!(
            plan(&keep, &record(Value::Int64(7), Value::Null))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn schemaless_maps_are_rows_and_scalars_are_not() {
        let config = config(&[]);
        let value = Value::map_of([("id", Value::Int64(1)), ("price", Value::Float64(2.5))]);
        let map = record(Value::Null, value);
        let write = plan(&config, &map).unwrap().unwrap();
        assert_eq!(
            write.value_fields()[1].schema.field_type(),
            connect_api::FieldType::Float64
        );
        let error = plan(&config, &record(Value::Null, Value::String("x".into()))).unwrap_err();
        assert!(error.to_string().contains("expected a struct"), "{error}");
    }

    /// Records of one shape share one layout and still give their own values (a Debezium
    /// time converted per value); another topic, another schema or a schemaless record gets a
    /// layout of its own, and writes batch by their columns, not by their layouts.
    #[test]
    fn records_of_one_shape_share_a_layout_and_keep_their_values() {
        let config = config(&[("pk.mode", "record_value"), ("pk.fields", "id")]);
        let schema = SchemaBuilder::struct_()
            .field("id", SchemaBuilder::int64().build())
            .unwrap()
            .field(
                "at",
                SchemaBuilder::int64()
                    .name("io.debezium.time.MicroTimestamp")
                    .build(),
            )
            .unwrap()
            .build();
        let row = |id: i64, micros: i64| {
            let mut s = Struct::new(schema.clone()).unwrap();
            s.put("id", id).unwrap();
            s.put("at", micros).unwrap();
            Value::Struct(s)
        };
        let first = record(Value::Null, row(1, 1_000_000));
        let second = record(Value::Null, row(2, 2_500_000));
        let mut elsewhere = record(Value::Null, row(3, 0));
        elsewhere.set_topic("refunds");
        let map = record(
            Value::Null,
            Value::map_of([("id", Value::Int64(4)), ("at", Value::Int64(5))]),
        );
        let mut planner = Planner::new(&config);
        let [a, b, c, d] =
            [&first, &second, &elsewhere, &map].map(|r| planner.plan(r).unwrap().unwrap());
        assert!(Arc::ptr_eq(&a.layout, &b.layout));
        assert!(!Arc::ptr_eq(&a.layout, &c.layout));
        assert_eq!(c.table().to_string(), "refunds");
        assert_eq!(*b.key_fields()[0].value, Value::Int64(2));
        let at = &b.value_fields()[0];
        assert_eq!(*at.value, Value::Timestamp(2_500));
        assert_eq!(
            at.schema.logical_type(),
            Some(connect_api::LogicalType::Timestamp)
        );
        assert!(a.batches_with(&b) && !a.batches_with(&c));
        // The map names the same columns for the same topic: a layout of its own that
        // batches with the structs'.
        assert!(!Arc::ptr_eq(&a.layout, &d.layout) && a.batches_with(&d));
        assert_eq!(*d.value_fields()[0].value, Value::Int64(5));
    }

    /// What a layout depends on is part of the shape: with `pk.mode=record_key` the key's
    /// schema (a struct's, or a primitive's type and schema), and with
    /// `table.name.from.header` the header's table.
    #[test]
    fn keys_and_header_tables_are_part_of_the_shape() {
        let config = config(&[
            ("pk.mode", "record_key"),
            ("pk.fields", "id"),
            ("table.name.from.header", "true"),
        ]);
        let key_of = |field: &str| {
            let schema = SchemaBuilder::struct_()
                .field(field, SchemaBuilder::int64().build())
                .unwrap()
                .build();
            let mut key = Struct::new(schema).unwrap();
            key.put(field, 1i64).unwrap();
            Value::Struct(key)
        };
        let keyed = record(key_of("id"), row());
        let other_key = record(key_of("code"), row());
        let mut primitive = record(Value::Int64(1), row());
        primitive.key_schema = Some(SchemaBuilder::int64().build());
        let mut text = record(Value::String("1".into()), row());
        text.key_schema = Some(SchemaBuilder::string().build());
        let mut from_header = record(key_of("id"), row());
        from_header.extensions.put("__source_table", "shop.refunds");
        let mut planner = Planner::new(&config);
        let [a, b] = [&keyed, &keyed].map(|r| planner.plan(r).unwrap().unwrap());
        assert!(Arc::ptr_eq(&a.layout, &b.layout));
        // pk.fields names `id`, which the other key struct lacks: planned anew, and refused.
        let error = planner.plan(&other_key).unwrap_err();
        assert!(
            error.to_string().contains("none of the pk.fields"),
            "{error}"
        );
        let p = planner.plan(&primitive).unwrap().unwrap();
        let t = planner.plan(&text).unwrap().unwrap();
        assert!(!Arc::ptr_eq(&p.layout, &t.layout));
        assert_eq!(*t.key_fields()[0].value, Value::String("1".into()));
        assert_eq!(
            t.key_fields()[0].schema.field_type(),
            connect_api::FieldType::String
        );
        let h = planner.plan(&from_header).unwrap().unwrap();
        assert_eq!(h.table().to_string(), "shop.refunds");
        assert_eq!(a.table().to_string(), "orders");
    }

    /// A record that leaves no column to write is refused, not written as nothing.
    #[test]
    fn records_without_a_column_to_write_are_refused() {
        let config = config(&[("fields.whitelist", "nothing_like_it")]);
        let error = plan(&config, &record(Value::Null, row())).unwrap_err();
        assert!(error.to_string().contains("no column to write"), "{error}");
    }
}
