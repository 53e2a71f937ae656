//! The PostgreSQL `source` block of Debezium 1.7 (`io.debezium.connector.postgresql.Source`):
//! the common fields (`version`, `connector`, `name`, `ts_ms`, `snapshot`, `db`, `sequence`)
//! then PostgreSQL's (`schema`, `table`, `txId`, `lsn`, `xmin`).

use std::sync::OnceLock;

use connect_api::data::SchemaBuilder;
use connect_api::{ConnectError, SchemaRef, Struct};

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
    pub fn to_struct(&self) -> Result<Struct, ConnectError> {
        let mut s = Struct::new(schema())?;
        s.put("version", self.version)?;
        s.put("connector", "postgresql")?;
        s.put("name", self.server)?;
        s.put("ts_ms", self.ts_ms)?;
        s.put("snapshot", self.snapshot.as_str())?;
        s.put("db", self.db)?;
        let text = |lsn: Option<u64>| lsn.map_or("null".to_owned(), |l| format!("\"{l}\""));
        s.put(
            "sequence",
            format!("[{},{}]", text(self.last_commit_lsn), text(self.lsn)),
        )?;
        s.put("schema", self.schema)?;
        s.put("table", self.table)?;
        if let Some(tx) = self.tx_id {
            s.put("txId", tx)?;
        }
        if let Some(lsn) = self.lsn {
            s.put("lsn", lsn as i64)?;
        }
        Ok(s)
    }
}

/// PostgreSQL timestamps count µs from 2000-01-01; Unix ms from 1970.
pub fn pg_micros_to_unix_ms(micros: i64) -> i64 {
    (micros + 946_684_800_000_000).div_euclid(1000)
}
