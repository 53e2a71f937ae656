//! The PostgreSQL `source` block of Debezium 1.7 (`io.debezium.connector.postgresql.Source`):
//! the common fields (`version`, `connector`, `name`, `ts_ms`, `snapshot`, `db`, `sequence`)
//! then PostgreSQL's (`schema`, `table`, `txId`, `lsn`, `xmin`).

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
        "io.debezium.connector.postgresql.Source",
        &[
            ("schema", string()),
            ("table", string()),
            ("txId", int64()),
            ("lsn", int64()),
            ("xmin", int64()),
        ],
    )
}

/// The values of one event's `source` block.
#[derive(Debug, Clone)]
pub struct PgSourceInfo<'a> {
    pub version: &'a str,
    pub server: &'a str,
    /// Commit time (ms); the read time for snapshot rows.
    pub ts_ms: i64,
    pub snapshot: SnapshotMarker,
    pub db: &'a str,
    pub schema: &'a str,
    pub table: &'a str,
    pub tx_id: Option<i64>,
    pub lsn: Option<u64>,
    /// The end of the last transaction sent in full (`sequence[0]`).
    pub last_commit_lsn: Option<u64>,
}

impl PgSourceInfo<'_> {
    /// The block, its values in the schema's field order (one per field, no lookup by name:
    /// every streamed row builds one).
    pub fn to_struct(&self) -> Result<Struct, ConnectError> {
        let text = |lsn: Option<u64>| lsn.map_or("null".to_owned(), |l| format!("\"{l}\""));
        Struct::from_values(
            schema(),
            vec![
                self.version.into(),
                "postgresql".into(),
                self.server.into(),
                self.ts_ms.into(),
                self.snapshot.as_str().into(),
                self.db.into(),
                format!("[{},{}]", text(self.last_commit_lsn), text(self.lsn)).into(),
                self.schema.into(),
                self.table.into(),
                self.tx_id.map_or(Value::Null, Value::from),
                self.lsn.map_or(Value::Null, |lsn| Value::from(lsn as i64)),
                Value::Null, // xmin: always null (`xmin.fetch.interval.ms` is accepted, not implemented)
            ],
        )
    }
}

/// PostgreSQL timestamps count µs from 2000-01-01; Unix ms from 1970.
pub fn pg_micros_to_unix_ms(micros: i64) -> i64 {
    (micros + 946_684_800_000_000).div_euclid(1000)
}
