//! The connector's own work per row, without a database or a broker: a MySQL change of the
//! CDC benchmark's table (six columns) becomes its `source` block, offset, envelope record and
//! JSON key and value, as a streaming row and as a snapshot row (whose offset carries the
//! snapshot's progress).
//!
//! Allocates through the worker's allocator (`connect_allocator`). Prints nanoseconds per row. Time on a shared machine moves ±10–20% between runs, so compare
//! changes by instructions, which do not:
//! `valgrind --tool=callgrind --callgrind-out-file=/dev/null <bench binary>` and divide the
//! total by `ROW_PATH_ROWS` (default 20,000; 2,000 under valgrind is plenty).

use std::sync::Arc;
use std::time::Instant;

use bigdecimal::BigDecimal;
use connect_api::data::SchemaBuilder;
use connect_api::{Config, RecordConverter, RecordPartition, SchemaRef, Value};
use connect_cdc::envelope::{self, Change, Op, SnapshotMarker, SourceCommon, TableSchemas};
use connect_cdc::mysql::source::{self, SourceInfo};
use connect_cdc::position::{BinlogPoint, Position, RestartPoint, SnapshotProgress};
use connect_converters::JsonConverter;

#[allow(
    clippy::print_stdout,
    reason = "the benchmark's figures are its output"
)]
fn main() {
    connect_allocator::tune();
    let rows: usize = std::env::var("ROW_PATH_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let table = table();
    // One converter for keys and one for values, as a worker configures them.
    let converters = [false, true].map(|is_key| {
        let mut converter = JsonConverter::new();
        converter
            .configure(&Config::new(), is_key)
            .expect("the default configuration is valid");
        converter
    });
    let partition = RecordPartition::new().with("server", "bench");
    for snapshot in [false, true] {
        let started = Instant::now();
        let mut bytes = 0;
        for i in 0..rows {
            bytes += one_row(&table, &partition, &converters, i, snapshot);
        }
        let elapsed = started.elapsed();
        println!(
            "{}: {:.0} ns/row ({rows} rows, {} bytes per message)",
            if snapshot { "snapshot" } else { "streaming" },
            elapsed.as_nanos() as f64 / rows as f64,
            bytes / rows
        );
    }
}

/// One row through the connector: returns the bytes written.
fn one_row(
    table: &Arc<TableSchemas>,
    partition: &RecordPartition,
    [key_converter, value_converter]: &[JsonConverter; 2],
    i: usize,
    snapshot: bool,
) -> usize {
    let id = i as i32;
    let row = vec![
        Value::Int32(id),
        Value::String(format!("name-{i}")),
        Value::Decimal(BigDecimal::new(i.into(), 2)),
        Value::Int64(1_704_067_200_000 + i as i64 * 1000),
        Value::Int16((i % 2) as i16),
        Value::Float64(i as f64 * 1.5),
    ];
    let file = "mysql-bin.000003";
    let source = SourceInfo {
        common: SourceCommon {
            version: "1.7.2.Final",
            server: "bench",
            ts_ms: 1_700_000_000_000,
            snapshot: if snapshot {
                SnapshotMarker::True
            } else {
                SnapshotMarker::False
            },
            db: "connect",
        },
        table: "big",
        server_id: 1,
        gtid: Some("0-1-42"),
        file,
        pos: 4096 + i as u64,
        row: 0,
        thread: None,
    }
    .to_struct()
    .expect("the source block matches its schema");
    let position = Position {
        restart: RestartPoint {
            at: BinlogPoint::new(file, 4096),
            events: 1,
            rows: i as u64,
        },
        ts_sec: 1_700_000_000,
        server_id: 1,
        gtids: Some("0-1-42".into()),
        snapshot: snapshot.then(|| SnapshotProgress {
            tables: vec!["connect.snap".to_owned()],
            after: Some(vec![serde_json::Value::from(id)]),
            incremental: false,
        }),
        signals: Default::default(),
    };
    let change = Change {
        table: table.clone(),
        op: if snapshot { Op::Read } else { Op::Create },
        before: None,
        after: Some(row),
        source,
        processed_ms: 1_700_000_000_123,
        transaction: None,
    };
    let records = envelope::records(
        change,
        partition,
        position.to_offset(),
        true,
        Some(1_700_000_000_123),
    )
    .expect("the envelope matches its schema");
    records
        .iter()
        .map(|record| {
            let key = key_converter
                .encode("t", record.key_schema.as_deref(), &record.key)
                .expect("the key encodes");
            let value = value_converter
                .encode("t", record.value_schema.as_deref(), &record.value)
                .expect("the value encodes");
            key.map_or(0, |k| k.len()) + value.map_or(0, |v| v.len())
        })
        .sum()
}

/// The benchmark table's schemas, as the connector maps its columns by default (`id INT
/// PRIMARY KEY, name VARCHAR, amount DECIMAL(12,2), created DATETIME(3), flag TINYINT, score
/// DOUBLE`).
fn table() -> Arc<TableSchemas> {
    let fields: Vec<(String, SchemaRef)> = vec![
        ("id".to_owned(), SchemaBuilder::int32().required().build()),
        (
            "name".to_owned(),
            SchemaBuilder::string().required().build(),
        ),
        (
            "amount".to_owned(),
            SchemaBuilder::decimal(2)
                .parameter("connect.decimal.precision", "12")
                .required()
                .build(),
        ),
        (
            "created".to_owned(),
            SchemaBuilder::int64()
                .name("io.debezium.time.Timestamp")
                .version(1)
                .required()
                .build(),
        ),
        ("flag".to_owned(), SchemaBuilder::int16().required().build()),
        (
            "score".to_owned(),
            SchemaBuilder::float64().required().build(),
        ),
    ];
    Arc::new(
        TableSchemas::new("bench", "connect.big", &fields, vec![0], &source::schema())
            .expect("the table's schemas build"),
    )
}
