//! The connector's own work per row, without a database or a broker: a MySQL change of the
//! CDC benchmark's table (six columns) becomes its `source` block, offset, envelope record and
//! JSON key and value, as a streaming row and as a snapshot row (whose offset carries the
//! snapshot's progress, built once per chunk as the tasks do; `ROW_PATH_TABLES` sets how many
//! tables it names).
//!
//! Allocates through the worker's allocator (`connect_allocator`). Prints nanoseconds per row. Time on a shared machine moves ±10–20% between runs, so compare
//! changes by instructions, which do not:
//! `valgrind --tool=callgrind --callgrind-out-file=/dev/null <bench binary>` and divide the
//! total by `ROW_PATH_ROWS` (default 20,000; 2,000 under valgrind is plenty).

use std::sync::Arc;
use std::time::Instant;

use bigdecimal::BigDecimal;
use connect_api::data::SchemaBuilder;
use connect_api::{Config, RecordConverter, RecordOffset, RecordPartition, SchemaRef, Value};
use connect_cdc::envelope::{self, Change, Op, SnapshotMarker, SourceCommon, TableSchemas};
use connect_cdc::mysql::source::{self, SourceInfo};
use connect_cdc::position::{BinlogPoint, Position, RestartPoint, SnapshotProgress};
use connect_converters::JsonConverter;

fn main() {
    connect_allocator::tune();
    let rows = env_or("ROW_PATH_ROWS", 20_000);
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
    // Streaming: each row's offset built for it.
    let started = Instant::now();
    let mut bytes = 0;
    for i in 0..rows {
        let offset = position(i, None).to_offset();
        bytes += one_row(&table, &partition, &converters, i, false, offset);
    }
    report("streaming", started, rows, bytes);
    // Snapshot: one offset per chunk and one past it, as the tasks build them, with the
    // offset naming `ROW_PATH_TABLES` tables still to read (default 1).
    let tables: Vec<String> = (0..env_or("ROW_PATH_TABLES", 1))
        .map(|t| format!("connect.snap{t}"))
        .collect();
    let started = Instant::now();
    let mut bytes = 0;
    for first in (0..rows).step_by(CHUNK) {
        let count = CHUNK.min(rows - first);
        let start = position(first, Some(&tables)).to_offset();
        let end = position(first + count, Some(&tables)).to_offset();
        let offsets = connect_cdc::position::chunk_offsets(start, end, count);
        for (i, offset) in (first..first + count).zip(offsets) {
            bytes += one_row(&table, &partition, &converters, i, true, offset);
        }
    }
    report("snapshot", started, rows, bytes);
}

/// The default `incremental.snapshot.chunk.size`.
const CHUNK: usize = 1024;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

#[allow(
    clippy::print_stdout,
    reason = "the benchmark's figures are its output"
)]
fn report(what: &str, started: Instant, rows: usize, bytes: usize) {
    println!(
        "{what}: {:.0} ns/row ({rows} rows, {} bytes per message)",
        started.elapsed().as_nanos() as f64 / rows as f64,
        bytes / rows
    );
}

/// The connector's position after row `i`: streaming, or inside a snapshot with `tables`
/// still to read.
fn position(i: usize, snapshot_tables: Option<&[String]>) -> Position {
    Position {
        restart: RestartPoint {
            at: BinlogPoint::new("mysql-bin.000003", 4096),
            events: 1,
            rows: i as u64,
        },
        ts_sec: 1_700_000_000,
        server_id: 1,
        gtids: Some("0-1-42".into()),
        snapshot: snapshot_tables.map(|tables| SnapshotProgress {
            tables: tables.to_vec(),
            after: Some(vec![serde_json::Value::from(i)]),
            incremental: false,
        }),
        signals: Default::default(),
    }
}

/// One row through the connector: returns the bytes written.
fn one_row(
    table: &Arc<TableSchemas>,
    partition: &RecordPartition,
    [key_converter, value_converter]: &[JsonConverter; 2],
    i: usize,
    snapshot: bool,
    offset: RecordOffset,
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
    let change = Change {
        table: table.clone(),
        op: if snapshot { Op::Read } else { Op::Create },
        before: None,
        after: Some(row),
        source,
        processed_ms: 1_700_000_000_123,
        transaction: None,
    };
    let records = envelope::records(change, partition, offset, true, Some(1_700_000_000_123))
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
