//! The JDBC benchmark: per dialect, the connector tasks against raw sqlx on the same rows in the
//! same run.
//!
//! - read: raw `fetch` of every row, each column decoded to its Rust type, vs the source task
//!   (`mode=incrementing`) polled until it produced every row as a record;
//! - write: raw multi-row `INSERT` (1000 rows per statement) vs the sink task's `put` of the
//!   same rows as records (`batch.size=1000`, upsert by key).
//!
//! `BENCH_ROWS` (default 200000). Prints rows/s and the ratios; the process's peak RSS last.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "benchmark"
)]

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use connect_api::{
    Config, ConnectRecord, OffsetStorageReader, RecordOffset, RecordPartition, SinkTask,
    SinkTaskContext, SourceTask, SourceTaskContext, TaskInfo,
};
use connect_tests::db::{Database, DbKind};
use futures_util::TryStreamExt;
use sqlx::{Connection, QueryBuilder, Row};

#[derive(Debug)]
struct NoOffsets;
impl OffsetStorageReader for NoOffsets {
    fn read_offset(&self, _: &RecordPartition) -> Option<RecordOffset> {
        None
    }
}

#[derive(Debug)]
struct NoControl;
impl connect_api::SinkTaskControl for NoControl {
    fn reset_offset(&self, _: &RecordPartition, _: &RecordOffset) {}
    fn pause(&self, _: &[RecordPartition]) {}
    fn resume(&self, _: &[RecordPartition]) {}
    fn assignment(&self) -> HashSet<RecordPartition> {
        HashSet::new()
    }
}

fn ddl(kind: DbKind, table: &str) -> String {
    let (ts, flag) = match kind {
        DbKind::MariaDb => ("DATETIME(3)", "TINYINT(1)"),
        DbKind::Postgres => ("TIMESTAMP(3)", "BOOLEAN"),
        DbKind::Sqlite => ("DATETIME", "BOOLEAN"),
    };
    format!(
        "CREATE TABLE {table} (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, \
         amount DECIMAL(12,2) NOT NULL, created {ts} NOT NULL, flag {flag} NOT NULL, score DOUBLE PRECISION NOT NULL)"
    )
    .replace("DOUBLE PRECISION", if kind == DbKind::MariaDb { "DOUBLE" } else { "DOUBLE PRECISION" })
}

/// Raw batched insert of `rows` rows into `table`; returns rows/s.
macro_rules! raw_insert {
    ($db:ty, $conn:expr, $table:expr, $rows:expr, $amount:expr) => {{
        let start = Instant::now();
        let mut id = 0i64;
        while id < $rows {
            let end = ($rows).min(id + 1000);
            let mut builder = QueryBuilder::<$db>::new(format!(
                "INSERT INTO {} (id, name, amount, created, flag, score) ",
                $table
            ));
            builder.push_values(id..end, |mut b, i| {
                b.push_bind(i)
                    .push_bind(format!("name-{i}"))
                    .push_bind($amount(i))
                    .push_bind(
                        chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + i)
                            .unwrap()
                            .naive_utc(),
                    )
                    .push_bind(i % 2 == 0)
                    .push_bind(i as f64 * 0.5);
            });
            builder.build().execute(&mut $conn).await.unwrap();
            id = end;
        }
        $rows as f64 / start.elapsed().as_secs_f64()
    }};
}

/// Raw read of every row, each column decoded; returns rows/s.
macro_rules! raw_read {
    ($conn:expr, $table:expr, $amount:ty) => {{
        let start = Instant::now();
        let sql = format!(
            "SELECT id, name, amount, created, flag, score FROM {}",
            $table
        );
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut $conn);
        let mut count = 0u64;
        let mut checksum = 0i64;
        while let Some(row) = rows.try_next().await.unwrap() {
            let id: i64 = row.get(0);
            let name: String = row.get(1);
            let _amount: $amount = row.try_get_unchecked(2).unwrap();
            let created: chrono::NaiveDateTime = row.get(3);
            let flag: bool = row.get(4);
            let score: f64 = row.get(5);
            checksum = checksum.wrapping_add(
                id + name.len() as i64
                    + created.and_utc().timestamp_millis()
                    + i64::from(flag)
                    + score as i64,
            );
            count += 1;
        }
        std::hint::black_box(checksum);
        count as f64 / start.elapsed().as_secs_f64()
    }};
}

fn decimal_text(i: i64) -> String {
    format!("{}.{:02}", i % 100_000, i % 100)
}

fn decimal(i: i64) -> bigdecimal::BigDecimal {
    bigdecimal::BigDecimal::from_str(&decimal_text(i)).unwrap()
}

fn main() {
    let rows: i64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("rows per run: {rows}");
    println!("| dialect | raw read | source task | ratio | raw insert | sink task | ratio |");
    println!("|---|---|---|---|---|---|---|");
    for kind in [DbKind::MariaDb, DbKind::Postgres, DbKind::Sqlite] {
        let db = Database::start(kind, &dir.path().join(format!("{kind:?}")));
        db.execute(&ddl(kind, "bench_src"));
        db.execute(&ddl(kind, "bench_raw"));
        db.execute(&ddl(kind, "bench_sink"));
        let url = db.url.clone();
        let (raw_insert, raw_read) = runtime.block_on(async {
            match kind {
                DbKind::MariaDb => {
                    let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
                    let _fill = raw_insert!(sqlx::MySql, conn, "bench_src", rows, decimal);
                    let insert = raw_insert!(sqlx::MySql, conn, "bench_raw", rows, decimal);
                    let read = raw_read!(conn, "bench_src", bigdecimal::BigDecimal);
                    (insert, read)
                }
                DbKind::Postgres => {
                    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                    let _fill = raw_insert!(sqlx::Postgres, conn, "bench_src", rows, decimal);
                    let insert = raw_insert!(sqlx::Postgres, conn, "bench_raw", rows, decimal);
                    let read = raw_read!(conn, "bench_src", bigdecimal::BigDecimal);
                    (insert, read)
                }
                DbKind::Sqlite => {
                    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                    let _fill = raw_insert!(sqlx::Sqlite, conn, "bench_src", rows, decimal_text);
                    let insert = raw_insert!(sqlx::Sqlite, conn, "bench_raw", rows, decimal_text);
                    let read = raw_read!(conn, "bench_src", String);
                    (insert, read)
                }
            }
        });
        let mut config = Config::new()
            .with("connection.url", db.jdbc_url())
            .with("connection.user", "connect")
            .with("connection.password", "connect");
        for (k, v) in [
            ("table.whitelist", "bench_src"),
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("batch.max.rows", "1000"),
            ("topic.prefix", "bench_"),
            ("table.name.format", "bench_sink"),
            ("insert.mode", "upsert"),
            ("pk.mode", "record_key"),
            ("batch.size", "1000"),
        ] {
            config.put(k, v);
        }
        let info = TaskInfo {
            connector_name: "bench".into(),
            task_id: 0,
            configs: config.clone(),
        };
        let (source_rate, sink_rate) = runtime.block_on(async {
            let mut source = connect_jdbc::JdbcSourceTask::default();
            let context = SourceTaskContext {
                info: info.clone(),
                offsets: Arc::new(NoOffsets),
                topics: None,
                gauges: None,
            };
            let start = Instant::now();
            source.start(config.clone(), context).await.unwrap();
            let mut records: Vec<ConnectRecord> = Vec::with_capacity(rows as usize);
            while (records.len() as i64) < rows {
                records.extend(source.poll().await.unwrap());
            }
            let source_rate = rows as f64 / start.elapsed().as_secs_f64();
            source.stop().await.unwrap();

            let mut sink = connect_jdbc::JdbcSinkTask::default();
            let context = SinkTaskContext {
                info: info.clone(),
                control: Arc::new(NoControl),
                reporter: None,
            };
            sink.start(config.clone(), context).await.unwrap();
            let start = Instant::now();
            for chunk in records.chunks(1000) {
                sink.put(chunk).await.unwrap();
            }
            let sink_rate = rows as f64 / start.elapsed().as_secs_f64();
            sink.stop().await.unwrap();
            (source_rate, sink_rate)
        });
        assert_eq!(
            db.count("SELECT COUNT(*) FROM bench_sink"),
            rows,
            "every row written"
        );
        println!(
            "| {kind:?} | {raw_read:.0}/s | {source_rate:.0}/s | {:.2} | {raw_insert:.0}/s | {sink_rate:.0}/s | {:.2} |",
            source_rate / raw_read,
            sink_rate / raw_insert
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?");
    println!(
        "benchmark process peak RSS ({peak}) — includes the {rows} records held for the sink phase"
    );
}
