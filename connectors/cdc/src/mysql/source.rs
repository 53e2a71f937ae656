//! The MySQL `source` block of Debezium 1.7 (`io.debezium.connector.mysql.Source`): the
//! common fields (`version`, `connector`, `name`, `ts_ms`, `snapshot`, `db`, `sequence`) then
//! MySQL's (`table`, `server_id`, `gtid`, `file`, `pos`, `row`, `thread`, `query`).

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
    pub common: SourceCommon<'a>,
    pub table: &'a str,
    pub server_id: u32,
    pub gtid: Option<&'a str>,
    pub file: &'a str,
    pub pos: u64,
    pub row: i32,
    pub thread: Option<i64>,
}

impl SourceInfo<'_> {
    pub fn to_struct(&self) -> Result<Struct, ConnectError> {
        self.common.block(
            schema(),
            "mysql",
            Value::Null, // sequence: MySQL leaves it unset
            [
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::SnapshotMarker;

    /// Built by position: each value lands under its own name (a misordered string would
    /// still pass the type checks).
    #[test]
    fn every_value_lands_under_its_name() {
        let block = SourceInfo {
            common: SourceCommon {
                version: "1.7.2.Final",
                server: "dbserver1",
                ts_ms: 1_000,
                snapshot: SnapshotMarker::Last,
                db: "inventory",
            },
            table: "customers",
            server_id: 223_344,
            gtid: Some("0-1-5"),
            file: "mysql-bin.000003",
            pos: 154,
            row: 2,
            thread: None,
        }
        .to_struct()
        .unwrap();
        crate::envelope::assert_fields(
            &block,
            &[
                ("version", Value::String("1.7.2.Final".into())),
                ("connector", Value::String("mysql".into())),
                ("name", Value::String("dbserver1".into())),
                ("ts_ms", Value::Int64(1_000)),
                ("snapshot", Value::String("last".into())),
                ("db", Value::String("inventory".into())),
                ("sequence", Value::Null),
                ("table", Value::String("customers".into())),
                ("server_id", Value::Int64(223_344)),
                ("gtid", Value::String("0-1-5".into())),
                ("file", Value::String("mysql-bin.000003".into())),
                ("pos", Value::Int64(154)),
                ("row", Value::Int32(2)),
                ("thread", Value::Null),
                ("query", Value::Null),
            ],
        );
    }
}
