//! The MySQL `source` block of Debezium 1.7 (`io.debezium.connector.mysql.Source`): the
//! common fields (`version`, `connector`, `name`, `ts_ms`, `snapshot`, `db`, `sequence`) then
//! MySQL's (`table`, `server_id`, `gtid`, `file`, `pos`, `row`, `thread`, `query`).

use std::sync::OnceLock;

use connect_api::data::SchemaBuilder;
use connect_api::{ConnectError, SchemaRef, Struct, Value};

use crate::envelope::SnapshotMarker;

/// The schema of the `source` block.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| build().unwrap_or_else(|_| SchemaBuilder::struct_().optional().build()))
        .clone()
}

fn build() -> Result<SchemaRef, ConnectError> {
    let string = || SchemaBuilder::string().optional().build();
    let int64 = || SchemaBuilder::int64().optional().build();
    crate::envelope::source_schema(
        "io.debezium.connector.mysql.Source",
        &[
            ("table", string()),
            ("server_id", int64()),
            ("gtid", string()),
            ("file", string()),
            ("pos", int64()),
            ("row", SchemaBuilder::int32().optional().build()),
            ("thread", int64()),
            ("query", string()),
        ],
    )
}

/// The values of one event's `source` block.
#[derive(Debug, Clone)]
pub struct SourceInfo<'a> {
    pub version: &'a str,
    pub server: &'a str,
    /// Binlog event time (s) × 1000; the snapshot's read time for snapshot rows.
    pub ts_ms: i64,
    pub snapshot: SnapshotMarker,
    pub db: &'a str,
    pub table: &'a str,
    pub server_id: u32,
    pub gtid: Option<&'a str>,
    pub file: &'a str,
    pub pos: u64,
    pub row: i32,
    pub thread: Option<i64>,
}

impl SourceInfo<'_> {
    /// The block, its values in the schema's field order (one per field, no lookup by name:
    /// every streamed row builds one).
    pub fn to_struct(&self) -> Result<Struct, ConnectError> {
        Struct::from_values(
            schema(),
            vec![
                self.version.into(),
                "mysql".into(),
                self.server.into(),
                self.ts_ms.into(),
                self.snapshot.as_str().into(),
                self.db.into(),
                Value::Null, // sequence: MySQL leaves it unset
                self.table.into(),
                i64::from(self.server_id).into(),
                self.gtid.map_or(Value::Null, Value::from),
                self.file.into(),
                (self.pos as i64).into(),
                self.row.into(),
                self.thread.map_or(Value::Null, Value::from),
                Value::Null, // query: never filled (the connector does not offer `include.query`)
            ],
        )
    }
}
