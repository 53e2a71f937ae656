//! The Debezium event contract (1.7), as the Java plugin puts it on the topic: the change
//! envelope (`before`, `after`, `source`, `op`, `ts_ms`, `transaction`), the key struct, the
//! tombstone after a delete, and the heartbeat record. Every schema is optional throughout,
//! because the Java adaptor converts Debezium's schemas that way; the JSON on the topic is what
//! existing consumers already read.
//!
//! The `source` block starts with the fields every connector writes ([`SourceCommon`],
//! [`source_schema`]); each database adds its own (`mysql::source`, `postgres::source`).

use std::sync::Arc;

use connect_api::data::SchemaBuilder;
use connect_api::{
    ConnectError, ConnectRecord, RecordOffset, RecordPartition, SchemaRef, Struct, Value,
};

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `r`: read by a snapshot.
    Read,
    /// `c`
    Create,
    /// `u`
    Update,
    /// `d`
    Delete,
}

impl Op {
    pub fn code(self) -> &'static str {
        match self {
            Self::Read => "r",
            Self::Create => "c",
            Self::Update => "u",
            Self::Delete => "d",
        }
    }
}

/// The `snapshot` field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMarker {
    /// A streamed change.
    False,
    /// A snapshot row.
    True,
    /// The last row of the initial snapshot.
    Last,
    /// A row of an ad-hoc (incremental) snapshot.
    Incremental,
}

impl SnapshotMarker {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::False => "false",
            Self::True => "true",
            Self::Last => "last",
            Self::Incremental => "incremental",
        }
    }
}

impl SnapshotMarker {
    /// The field's schema: Debezium's Enum of the values, `false` by default.
    pub fn schema() -> Result<SchemaRef, ConnectError> {
        Ok(SchemaBuilder::string()
            .name(crate::values::names::ENUM)
            .parameter("allowed", "true,last,false")
            .optional()
            .default_value(Value::String("false".into()))?
            .build())
    }
}

/// A captured table's schemas, built once per column layout and shared by every event of it.
#[derive(Debug)]
pub struct TableSchemas {
    /// `<db>.<table>` (PostgreSQL: `<schema>.<table>`).
    pub id: String,
    /// The Debezium topic, `<server>.<db>.<table>`.
    pub topic: String,
    /// `<server>.<db>.<table>.Key`; `None` when the table has no key.
    pub key: Option<SchemaRef>,
    /// `<server>.<db>.<table>.Value`: `before` and `after`.
    pub value: SchemaRef,
    /// `<server>.<db>.<table>.Envelope`.
    pub envelope: SchemaRef,
    /// Indexes into the value's fields of the key's fields, in key order.
    pub key_fields: Vec<usize>,
}

impl TableSchemas {
    /// Builds the schemas of a table whose value fields are `fields` (name, optional schema)
    /// and whose key is made of `key_fields` (indexes into `fields`).
    pub fn new(
        server: &str,
        id: &str,
        fields: &[(String, SchemaRef)],
        key_fields: Vec<usize>,
        source: &SchemaRef,
    ) -> Result<Self, ConnectError> {
        let base = format!("{server}.{id}");
        let mut value = SchemaBuilder::struct_().name(schema_name(&format!("{base}.Value")));
        for (name, schema) in fields {
            value = value.field(name, schema.clone())?;
        }
        let value = value.optional().build();
        let key = if key_fields.is_empty() {
            None
        } else {
            let mut key = SchemaBuilder::struct_().name(schema_name(&format!("{base}.Key")));
            for &index in &key_fields {
                let (name, schema) = &fields[index];
                key = key.field(name, schema.clone())?;
            }
            Some(key.optional().build())
        };
        let envelope = SchemaBuilder::struct_()
            .name(schema_name(&format!("{base}.Envelope")))
            .field("before", value.clone())?
            .field("after", value.clone())?
            .field("source", source.clone())?
            .field("op", SchemaBuilder::string().optional().build())?
            .field("ts_ms", SchemaBuilder::int64().optional().build())?
            .field("transaction", transaction_block_schema())?
            .optional()
            .build();
        Ok(Self {
            id: id.to_owned(),
            topic: base,
            key,
            value,
            envelope,
            key_fields,
        })
    }

    /// A row as the `before`/`after` struct.
    pub fn row(&self, values: Vec<Value>) -> Result<Struct, ConnectError> {
        Struct::from_values(self.value.clone(), values)
    }

    /// The key struct of a row (`None` for keyless tables).
    pub fn key_of(&self, row: &[Value]) -> Result<Option<Struct>, ConnectError> {
        let Some(schema) = &self.key else {
            return Ok(None);
        };
        let values = self.key_fields.iter().map(|&i| row[i].clone()).collect();
        Struct::from_values(schema.clone(), values).map(Some)
    }
}

/// Avro-safe schema names, as Debezium makes them: characters other than letters, digits,
/// `_` and `.` become `_` (a leading digit too).
pub fn schema_name(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if c.is_ascii_alphabetic() || c == '_' || c == '.' || (i > 0 && c.is_ascii_digit()) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The `transaction` block (`provide.transaction.metadata`).
fn transaction_block_schema() -> SchemaRef {
    static SCHEMA: std::sync::OnceLock<SchemaRef> = std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            SchemaBuilder::struct_()
                .field("id", SchemaBuilder::string().optional().build())
                .and_then(|b| b.field("total_order", SchemaBuilder::int64().optional().build()))
                .and_then(|b| {
                    b.field(
                        "data_collection_order",
                        SchemaBuilder::int64().optional().build(),
                    )
                })
                .map(|b| b.optional().build())
                .unwrap_or_else(|_| SchemaBuilder::struct_().optional().build())
        })
        .clone()
}

/// One change, ready to become records: the table's schemas, the operation, the row images
/// and the `source` block.
#[derive(Debug)]
pub struct Change {
    pub table: Arc<TableSchemas>,
    pub op: Op,
    pub before: Option<Vec<Value>>,
    pub after: Option<Vec<Value>>,
    pub source: Struct,
    /// Envelope `ts_ms`: when the connector processed the change.
    pub processed_ms: i64,
    /// The `transaction` block (`provide.transaction.metadata`).
    pub transaction: Option<TransactionOrder>,
}

impl Change {
    /// A row read by a snapshot.
    pub fn read(table: Arc<TableSchemas>, row: Vec<Value>, source: Struct, now_ms: i64) -> Self {
        Self {
            table,
            op: Op::Read,
            before: None,
            after: Some(row),
            source,
            processed_ms: now_ms,
            transaction: None,
        }
    }
}

/// The `source` block's schema: the fields every connector writes (`version`, `connector`,
/// `name`, `ts_ms`, `snapshot`, `db`, `sequence`) then `own` (name, schema) in order.
pub fn source_schema(name: &str, own: &[(&str, SchemaRef)]) -> Result<SchemaRef, ConnectError> {
    let string = || SchemaBuilder::string().optional().build();
    let mut builder = SchemaBuilder::struct_()
        .name(name)
        .field("version", string())?
        .field("connector", string())?
        .field("name", string())?
        .field("ts_ms", SchemaBuilder::int64().optional().build())?
        .field("snapshot", SnapshotMarker::schema()?)?
        .field("db", string())?
        .field("sequence", string())?;
    for (field, schema) in own {
        builder = builder.field(*field, schema.clone())?;
    }
    Ok(builder.optional().build())
}

/// The values of the fields every `source` block starts with, but `connector` and `sequence`,
/// which each database fills its own way.
#[derive(Debug, Clone)]
pub struct SourceCommon<'a> {
    pub version: &'a str,
    pub server: &'a str,
    /// The event's time (ms); the read time for snapshot rows.
    pub ts_ms: i64,
    pub snapshot: SnapshotMarker,
    pub db: &'a str,
}

impl SourceCommon<'_> {
    /// The block of `schema` (built by [`source_schema`]): these values, `connector`,
    /// `sequence`, then the database's `own` values in its schema's order. Built by position,
    /// not by name: every row builds one.
    pub fn block<const N: usize>(
        &self,
        schema: SchemaRef,
        connector: &'static str,
        sequence: Value,
        own: [Value; N],
    ) -> Result<Struct, ConnectError> {
        let mut values = Vec::with_capacity(7 + N);
        values.extend([
            self.version.into(),
            connector.into(),
            self.server.into(),
            self.ts_ms.into(),
            self.snapshot.as_str().into(),
            self.db.into(),
            sequence,
        ]);
        values.extend(own);
        Struct::from_values(schema, values)
    }
}

/// Asserts that `block` has exactly the fields `expected` names, in that order, each holding
/// its value (for blocks built by position: a misordered value still passes type checks).
#[cfg(test)]
pub fn assert_fields(block: &Struct, expected: &[(&str, Value)]) {
    let names: Vec<&str> = block.schema().fields().iter().map(|f| f.name()).collect();
    let wanted: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, wanted);
    for (name, value) in expected {
        assert_eq!(block.get(name), Some(value), "{name}");
    }
}

/// A change's place in its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionOrder {
    pub id: String,
    /// Position among all the transaction's events (from 1).
    pub total_order: i64,
    /// Position among the transaction's events of this table (from 1).
    pub data_collection_order: i64,
}

/// Builds the change's record(s): the envelope record, and for a delete with
/// `tombstones.on.delete` a tombstone with the same key. The position is the caller's.
pub fn records(
    change: Change,
    partition: &RecordPartition,
    offset: RecordOffset,
    tombstone: bool,
    timestamp: Option<i64>,
) -> Result<Vec<ConnectRecord>, ConnectError> {
    let table = &change.table;
    let key_image = change.after.as_deref().or(change.before.as_deref());
    let key = match key_image {
        Some(row) => table.key_of(row)?,
        None => None,
    };
    let transaction = match change.transaction {
        Some(order) => Value::Struct(Struct::from_values(
            transaction_block_schema(),
            vec![
                order.id.into(),
                order.total_order.into(),
                order.data_collection_order.into(),
            ],
        )?),
        None => Value::Null,
    };
    let image = |row: Option<Vec<Value>>| -> Result<Value, ConnectError> {
        Ok(row
            .map(|r| table.row(r))
            .transpose()?
            .map_or(Value::Null, Value::Struct))
    };
    // In the envelope's field order (`names_and_field_order`): no lookup by name per row.
    let envelope = Struct::from_values(
        table.envelope.clone(),
        vec![
            image(change.before)?,
            image(change.after)?,
            change.source.into(),
            change.op.code().into(),
            change.processed_ms.into(),
            transaction,
        ],
    )?;
    let key_value = key.map(Value::Struct).unwrap_or(Value::Null);
    // Only a delete followed by a tombstone needs a second copy of the key and position.
    let tomb = (tombstone && change.op == Op::Delete && !key_value.is_null())
        .then(|| (key_value.clone(), offset.clone()));
    let mut record = ConnectRecord::new(partition.clone(), offset, timestamp)
        .with_key(table.key.clone(), key_value)
        .with_value(Some(table.envelope.clone()), envelope);
    record.set_topic(table.topic.clone());
    let mut out = vec![record];
    if let Some((key_value, offset)) = tomb {
        let mut tomb = ConnectRecord::new(partition.clone(), offset, timestamp)
            .with_key(table.key.clone(), key_value);
        tomb.set_topic(table.topic.clone());
        out.push(tomb);
    }
    Ok(out)
}

/// The value schema name of heartbeat records.
const HEARTBEAT_SCHEMA: &str = "io.debezium.connector.common.Heartbeat";

/// The heartbeat record: key `ServerNameKey{serverName}`, value `Heartbeat{ts_ms}`, on
/// `<prefix>.<server>`.
pub fn heartbeat(
    server: &str,
    prefix: &str,
    partition: &RecordPartition,
    offset: RecordOffset,
    now_ms: i64,
) -> Result<ConnectRecord, ConnectError> {
    let key_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.common.ServerNameKey")
        .field("serverName", SchemaBuilder::string().optional().build())?
        .optional()
        .build();
    let value_schema = SchemaBuilder::struct_()
        .name(HEARTBEAT_SCHEMA)
        .field("ts_ms", SchemaBuilder::int64().optional().build())?
        .optional()
        .build();
    let mut key = Struct::new(key_schema.clone())?;
    key.put("serverName", server)?;
    let mut value = Struct::new(value_schema.clone())?;
    value.put("ts_ms", now_ms)?;
    let mut record = ConnectRecord::new(partition.clone(), offset, Some(now_ms))
        .with_key(Some(key_schema), key)
        .with_value(Some(value_schema), value);
    record.set_topic(format!("{prefix}.{server}"));
    Ok(record)
}

/// Whether `record` is a heartbeat made by [`heartbeat`].
pub fn is_heartbeat(record: &ConnectRecord) -> bool {
    record
        .value_schema
        .as_ref()
        .and_then(|s| s.name())
        .is_some_and(|name| name == HEARTBEAT_SCHEMA)
}

/// Whether a statement changes schemas (what schema-change records publish): table, index,
/// view and database DDL — not users, grants or flushes.
pub fn is_ddl(statement: &str) -> bool {
    let mut words = statement.split_whitespace().map(|w| w.to_ascii_uppercase());
    let (Some(verb), Some(object)) = (words.next(), words.next()) else {
        return false;
    };
    let object = if object == "OR" || object == "TEMPORARY" || object == "UNIQUE" {
        words
            .find(|w| w != "REPLACE" && w != "ALGORITHM")
            .unwrap_or_default()
    } else {
        object
    };
    matches!(
        verb.as_str(),
        "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE"
    ) && matches!(
        object.as_str(),
        "TABLE" | "TABLES" | "DATABASE" | "SCHEMA" | "INDEX" | "VIEW"
    ) || verb == "TRUNCATE"
}

/// A transaction-metadata record on `<server>.transaction`: `BEGIN` (counts absent) or `END`
/// with the event count per table (`data_collections`).
pub fn transaction_record(
    server: &str,
    id: &str,
    end: Option<&[(String, i64)]>,
    partition: &RecordPartition,
    offset: RecordOffset,
    timestamp: i64,
) -> Result<ConnectRecord, ConnectError> {
    let string = || SchemaBuilder::string().optional().build();
    let int64 = || SchemaBuilder::int64().optional().build();
    let key_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.common.TransactionMetadataKey")
        .field("id", string())?
        .optional()
        .build();
    let collection = SchemaBuilder::struct_()
        .field("data_collection", string())?
        .field("event_count", int64())?
        .optional()
        .build();
    let value_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.common.TransactionMetadataValue")
        .field("status", string())?
        .field("id", string())?
        .field("event_count", int64())?
        .field(
            "data_collections",
            SchemaBuilder::array(collection.clone()).optional().build(),
        )?
        .optional()
        .build();
    let mut key = Struct::new(key_schema.clone())?;
    key.put("id", id)?;
    let mut value = Struct::new(value_schema.clone())?;
    value.put("id", id)?;
    match end {
        None => {
            value.put("status", "BEGIN")?;
        }
        Some(collections) => {
            value.put("status", "END")?;
            value.put(
                "event_count",
                collections.iter().map(|(_, n)| n).sum::<i64>(),
            )?;
            let mut items = Vec::with_capacity(collections.len());
            for (name, count) in collections {
                let mut item = Struct::new(collection.clone())?;
                item.put("data_collection", name.as_str())?;
                item.put("event_count", *count)?;
                items.push(Value::Struct(item));
            }
            value.put("data_collections", Value::Array(items))?;
        }
    }
    let mut record = ConnectRecord::new(partition.clone(), offset, Some(timestamp))
        .with_key(Some(key_schema), key)
        .with_value(Some(value_schema), value);
    record.set_topic(format!("{server}.transaction"));
    Ok(record)
}

/// A table a DDL statement changed, as `tableChanges` lists it: the change, the table's id
/// and its layout after the statement (`None` when it cannot be known: dropped, or changed
/// again later in binlog not yet read).
#[derive(Debug, Clone, PartialEq)]
pub struct TableChange {
    pub kind: crate::ddl::TableChangeKind,
    /// Debezium's `"db"."table"`.
    pub id: String,
    pub table: Option<TableLayout>,
}

impl TableChange {
    /// The change a DDL statement makes to `target`, with the layout after it if known.
    pub fn of(target: crate::ddl::TableTarget, table: Option<TableLayout>) -> Self {
        Self {
            kind: target.kind,
            id: target.id(),
            table,
        }
    }
}

/// A table's layout (`io.debezium.connector.schema.Table`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableLayout {
    pub default_charset: Option<String>,
    pub primary_key: Vec<String>,
    pub columns: Vec<ColumnLayout>,
}

/// A column (`io.debezium.connector.schema.Column`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnLayout {
    pub name: String,
    /// `java.sql.Types`.
    pub jdbc_type: i32,
    pub type_name: String,
    pub type_expression: Option<String>,
    pub charset: Option<String>,
    pub length: Option<i32>,
    pub scale: Option<i32>,
    /// 1-based.
    pub position: i32,
    pub optional: bool,
    pub auto_incremented: bool,
    pub generated: bool,
}

/// The schemas of one `tableChanges` element, its table and its columns.
struct ChangeSchemas {
    change: SchemaRef,
    table: SchemaRef,
    column: SchemaRef,
}

fn table_change_schemas() -> Result<ChangeSchemas, ConnectError> {
    let string = || SchemaBuilder::string().build();
    let opt_string = || SchemaBuilder::string().optional().build();
    let opt_int = || SchemaBuilder::int32().optional().build();
    let opt_bool = || SchemaBuilder::bool().optional().build();
    let column = SchemaBuilder::struct_()
        .name("io.debezium.connector.schema.Column")
        .field("name", string())?
        .field("jdbcType", SchemaBuilder::int32().build())?
        .field("nativeType", opt_int())?
        .field("typeName", string())?
        .field("typeExpression", opt_string())?
        .field("charsetName", opt_string())?
        .field("length", opt_int())?
        .field("scale", opt_int())?
        .field("position", SchemaBuilder::int32().build())?
        .field("optional", opt_bool())?
        .field("autoIncremented", opt_bool())?
        .field("generated", opt_bool())?
        .build();
    let table = SchemaBuilder::struct_()
        .name("io.debezium.connector.schema.Table")
        .field("defaultCharsetName", opt_string())?
        .field(
            "primaryKeyColumnNames",
            SchemaBuilder::array(string()).optional().build(),
        )?
        .field("columns", SchemaBuilder::array(column.clone()).build())?
        // Debezium always fills it; here a dropped table (or one whose layout at this point
        // in the binlog is unknown) has none.
        .optional()
        .build();
    let change = SchemaBuilder::struct_()
        .name("io.debezium.connector.schema.Change")
        .field("type", string())?
        .field("id", string())?
        .field("table", table.clone())?
        .build();
    Ok(ChangeSchemas {
        change,
        table,
        column,
    })
}

fn table_change_struct(
    schemas: &ChangeSchemas,
    change: &TableChange,
) -> Result<Value, ConnectError> {
    let mut out = Struct::new(schemas.change.clone())?;
    out.put("type", change.kind.as_str())?;
    out.put("id", change.id.as_str())?;
    if let Some(layout) = &change.table {
        let mut table = Struct::new(schemas.table.clone())?;
        if let Some(charset) = &layout.default_charset {
            table.put("defaultCharsetName", charset.as_str())?;
        }
        table.put(
            "primaryKeyColumnNames",
            Value::Array(
                layout
                    .primary_key
                    .iter()
                    .map(|k| Value::from(k.as_str()))
                    .collect(),
            ),
        )?;
        let mut columns = Vec::with_capacity(layout.columns.len());
        for c in &layout.columns {
            let mut column = Struct::new(schemas.column.clone())?;
            column.put("name", c.name.as_str())?;
            column.put("jdbcType", c.jdbc_type)?;
            column.put("typeName", c.type_name.as_str())?;
            if let Some(e) = &c.type_expression {
                column.put("typeExpression", e.as_str())?;
            }
            if let Some(charset) = &c.charset {
                column.put("charsetName", charset.as_str())?;
            }
            if let Some(length) = c.length {
                column.put("length", length)?;
            }
            if let Some(scale) = c.scale {
                column.put("scale", scale)?;
            }
            column.put("position", c.position)?;
            column.put("optional", c.optional)?;
            column.put("autoIncremented", c.auto_incremented)?;
            column.put("generated", c.generated)?;
            columns.push(Value::Struct(column));
        }
        table.put("columns", Value::Array(columns))?;
        out.put("table", table)?;
    }
    Ok(Value::Struct(out))
}

/// A schema-change record on `<server>` (`include.schema.changes`): the statement, the
/// database, and the tables it changed with their layouts after it.
#[allow(clippy::too_many_arguments, reason = "one record's parts, each named")]
pub fn schema_change(
    server: &str,
    database: &str,
    ddl: &str,
    table_changes: &[TableChange],
    source: Struct,
    partition: &RecordPartition,
    offset: RecordOffset,
    timestamp: i64,
) -> Result<ConnectRecord, ConnectError> {
    let string = || SchemaBuilder::string().optional().build();
    let key_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.mysql.SchemaChangeKey")
        .field("databaseName", string())?
        .optional()
        .build();
    let schemas = table_change_schemas()?;
    let value_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.mysql.SchemaChangeValue")
        .field("source", source.schema().clone())?
        .field("databaseName", string())?
        .field("schemaName", string())?
        .field("ddl", string())?
        .field(
            "tableChanges",
            SchemaBuilder::array(schemas.change.clone())
                .optional()
                .build(),
        )?
        .optional()
        .build();
    let mut key = Struct::new(key_schema.clone())?;
    key.put("databaseName", database)?;
    let mut value = Struct::new(value_schema.clone())?;
    value.put("source", source)?;
    value.put("databaseName", database)?;
    value.put("ddl", ddl)?;
    let changes = table_changes
        .iter()
        .map(|c| table_change_struct(&schemas, c))
        .collect::<Result<Vec<_>, _>>()?;
    value.put("tableChanges", Value::Array(changes))?;
    let mut record = ConnectRecord::new(partition.clone(), offset, Some(timestamp))
        .with_key(Some(key_schema), key)
        .with_value(Some(value_schema), value);
    record.set_topic(server);
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("io.debezium.connector.mysql.Source")
            .field("db", SchemaBuilder::string().optional().build())
            .unwrap()
            .optional()
            .build()
    }

    fn table() -> Arc<TableSchemas> {
        let fields = vec![
            ("id".to_owned(), SchemaBuilder::int32().optional().build()),
            (
                "name".to_owned(),
                SchemaBuilder::string().optional().build(),
            ),
        ];
        Arc::new(
            TableSchemas::new(
                "dbserver1",
                "inventory.customers",
                &fields,
                vec![0],
                &source(),
            )
            .unwrap(),
        )
    }

    /// Schema names follow `<server>.<db>.<table>.{Key,Value,Envelope}`, the envelope's fields
    /// are in Debezium's order.
    #[test]
    fn names_and_field_order() {
        let t = table();
        assert_eq!(t.topic, "dbserver1.inventory.customers");
        assert_eq!(t.value.name(), Some("dbserver1.inventory.customers.Value"));
        assert_eq!(
            t.key.as_ref().unwrap().name(),
            Some("dbserver1.inventory.customers.Key")
        );
        let names: Vec<&str> = t.envelope.fields().iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            ["before", "after", "source", "op", "ts_ms", "transaction"]
        );
        assert_eq!(schema_name("1srv.my-db.t"), "_srv.my_db.t");
    }

    /// Only statements that change schemas are published as schema changes.
    #[test]
    fn ddl_statements() {
        for ddl in [
            "ALTER TABLE t ADD COLUMN c INT",
            "create table t (id int)",
            "CREATE OR REPLACE TABLE t (id INT)",
            "DROP TABLE IF EXISTS t",
            "RENAME TABLE a TO b",
            "TRUNCATE t",
            "CREATE DATABASE d",
            "CREATE UNIQUE INDEX i ON t (c)",
        ] {
            assert!(is_ddl(ddl), "{ddl}");
        }
        for other in [
            "CREATE USER u",
            "GRANT ALL ON *.* TO u",
            "FLUSH TABLES",
            "SAVEPOINT x",
        ] {
            assert!(!is_ddl(other), "{other}");
        }
    }

    /// A delete is followed by a tombstone with the same key when asked.
    #[test]
    fn delete_then_tombstone() {
        let t = table();
        let mut src = Struct::new(source()).unwrap();
        src.put("db", "inventory").unwrap();
        let change = Change {
            table: t,
            op: Op::Delete,
            before: Some(vec![Value::Int32(7), Value::String("x".into())]),
            after: None,
            source: src,
            processed_ms: 1,
            transaction: None,
        };
        let out = records(
            change,
            &RecordPartition::new(),
            RecordOffset::new(),
            true,
            None,
        )
        .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].key, out[1].key);
        assert!(out[1].is_tombstone());
        let envelope = out[0].value.as_struct().unwrap();
        assert_eq!(envelope.get("op"), Some(&Value::String("d".into())));
        assert_eq!(envelope.get("after"), Some(&Value::Null));
    }
}
