//! The PostgreSQL `source` block of Debezium 1.7 (`io.debezium.connector.postgresql.Source`):
//! the common fields (`version`, `connector`, `name`, `ts_ms`, `snapshot`, `db`, `sequence`)
//! then PostgreSQL's (`schema`, `table`, `txId`, `lsn`, `xmin`).

use std::sync::OnceLock;

use connect_api::data::SchemaBuilder;
use connect_api::{ConnectError, SchemaRef, Struct, Value};

use crate::envelope::SourceCommon;

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
    /// `ts_ms` is the commit time; the read time for snapshot rows.
    pub common: SourceCommon<'a>,
    pub schema: &'a str,
    pub table: &'a str,
    pub tx_id: Option<i64>,
    pub lsn: Option<u64>,
    /// The end of the last transaction sent in full (`sequence[0]`).
    pub last_commit_lsn: Option<u64>,
    /// The slot's `catalog_xmin` as last read (`xmin.fetch.interval.ms`).
    pub xmin: Option<i64>,
}

impl PgSourceInfo<'_> {
    pub fn to_struct(&self) -> Result<Struct, ConnectError> {
        self.common.block(
            schema(),
            "postgresql",
            sequence(self.last_commit_lsn, self.lsn).into(),
            [
                self.schema.into(),
                self.table.into(),
                self.tx_id.map_or(Value::Null, Value::from),
                self.lsn.map_or(Value::Null, |lsn| Value::from(lsn as i64)),
                self.xmin.map_or(Value::Null, Value::from),
            ],
        )
    }
}

/// `sequence`: `["<last commit LSN>","<LSN>"]`, `null` for either when unknown. Written with
/// `itoa` for every event: `format!` was a third of the block's cost.
fn sequence(last_commit_lsn: Option<u64>, lsn: Option<u64>) -> String {
    let mut text = String::with_capacity(48);
    let mut digits = itoa::Buffer::new();
    text.push('[');
    for (i, lsn) in [last_commit_lsn, lsn].into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        match lsn {
            Some(lsn) => {
                text.push('"');
                text.push_str(digits.format(lsn));
                text.push('"');
            }
            None => text.push_str("null"),
        }
    }
    text.push(']');
    text
}

/// PostgreSQL timestamps count µs from 2000-01-01; Unix ms from 1970.
pub fn pg_micros_to_unix_ms(micros: i64) -> i64 {
    (micros + 946_684_800_000_000).div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::SnapshotMarker;

    /// `sequence` as Debezium writes it: both LSNs as quoted decimals, `null` when unknown.
    #[test]
    fn sequences_name_both_lsns_or_null() {
        assert_eq!(sequence(None, Some(7)), "[null,\"7\"]");
        assert_eq!(
            sequence(Some(u64::MAX), Some(0)),
            format!("[\"{}\",\"0\"]", u64::MAX)
        );
        assert_eq!(sequence(None, None), "[null,null]");
    }

    /// Built by position: each value lands under its own name.
    #[test]
    fn every_value_lands_under_its_name() {
        let block = PgSourceInfo {
            common: SourceCommon {
                version: "1.7.2.Final",
                server: "pgserver1",
                ts_ms: 2_000,
                snapshot: SnapshotMarker::False,
                db: "connect",
            },
            schema: "public",
            table: "orders",
            tx_id: Some(771),
            lsn: Some(24_023_128),
            last_commit_lsn: None,
            xmin: Some(1_234),
        }
        .to_struct()
        .unwrap();
        crate::envelope::assert_fields(
            &block,
            &[
                ("version", Value::String("1.7.2.Final".into())),
                ("connector", Value::String("postgresql".into())),
                ("name", Value::String("pgserver1".into())),
                ("ts_ms", Value::Int64(2_000)),
                ("snapshot", Value::String("false".into())),
                ("db", Value::String("connect".into())),
                ("sequence", Value::String("[null,\"24023128\"]".into())),
                ("schema", Value::String("public".into())),
                ("table", Value::String("orders".into())),
                ("txId", Value::Int64(771)),
                ("lsn", Value::Int64(24_023_128)),
                ("xmin", Value::Int64(1_234)),
            ],
        );
    }
}
