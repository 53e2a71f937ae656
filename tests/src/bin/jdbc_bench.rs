//! The JDBC benchmark: per dialect, the connector tasks against raw sqlx on the same rows in the
//! same run.
//!
//! - read: raw `fetch` of every row, each column decoded to its Rust type, vs the source task
//!   (`mode=incrementing`) polled until it produced every row as a record;
//! - insert: raw multi-row `INSERT` (1000 rows per statement) vs the sink task's `put` of the
//!   same rows as records (`insert.mode=insert`, `batch.size=1000`);
//! - upsert: the same with the upsert clause the sink writes (`insert.mode=upsert` by key).
//!
//! Each phase also shows this process's CPU per row (the database server's is not in it).
//!
//! `BENCH_ROWS` (default 200000); `BENCH_ROUNDS` (default 3; raw and task alternate, medians
//! are shown); `BENCH_DIALECTS` (default `mariadb,postgres,sqlite`) picks the
//! databases. Prints rows/s and the ratios; the process's peak RSS last. The process runs on the
//! worker's allocator, as the tasks do in the worker.

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

use connect_allocator as _;
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

/// Raw batched insert of `rows` rows into `table`, each statement ending in `$tail` (an upsert
/// clause, or nothing); returns rows/s.
macro_rules! raw_insert {
    ($db:ty, $conn:expr, $table:expr, $rows:expr, $amount:expr, $created:expr, $tail:expr) => {{
        let start = Measure::start();
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
                    .push_bind($created(i))
                    .push_bind(i % 2 == 0)
                    .push_bind(i as f64 * 0.5);
            });
            builder.push($tail);
            builder.build().execute(&mut $conn).await.unwrap();
            id = end;
        }
        start.finish($rows as f64)
    }};
}

/// One raw round on a new connection to `$url`: insert, upsert (with `$tail`), then read; the
/// macro spans the three sqlx database types.
macro_rules! raw_round {
    ($conn:ty, $db:ty, $url:expr, $rows:expr, $tail:expr, $amount:expr, $created:expr, $amount_ty:ty) => {{
        let mut conn = <$conn>::connect($url).await.unwrap();
        (
            raw_insert!($db, conn, "bench_raw_insert", $rows, $amount, $created, ""),
            raw_insert!(
                $db,
                conn,
                "bench_raw_upsert",
                $rows,
                $amount,
                $created,
                $tail
            ),
            raw_read!(conn, "bench_src", $amount_ty),
        )
    }};
}

/// Raw read of every row, each column decoded; returns rows/s.
macro_rules! raw_read {
    ($conn:expr, $table:expr, $amount:ty) => {{
        let start = Measure::start();
        let sql = format!(
            "SELECT id, name, amount, created, flag, score FROM {} WHERE id > -1 ORDER BY id ASC",
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
        start.finish(count as f64)
    }};
}

/// This process's CPU time (all threads, user + system), in seconds.
fn cpu_seconds() -> f64 {
    connect_tests::process_cpu_seconds("self")
}

/// A phase's rows/s and this process's CPU per row (the database servers' CPU is not in it).
#[derive(Clone, Copy)]
struct Measure {
    wall: Instant,
    cpu: f64,
}

#[derive(Clone, Copy, Default)]
struct Rate {
    per_second: f64,
    cpu_us_per_row: f64,
}

impl Measure {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    fn finish(self, rows: f64) -> Rate {
        Rate {
            per_second: rows / self.wall.elapsed().as_secs_f64(),
            cpu_us_per_row: (cpu_seconds() - self.cpu) * 1e6 / rows,
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0}/s ({:.1} µs CPU)",
            self.per_second, self.cpu_us_per_row
        )
    }
}

/// The upsert clause the sink writes for this table (same statement shape as the raw side).
fn upsert_tail(kind: DbKind) -> &'static str {
    match kind {
        DbKind::MariaDb => {
            " ON DUPLICATE KEY UPDATE name = VALUES(name), amount = VALUES(amount), \
             created = VALUES(created), flag = VALUES(flag), score = VALUES(score)"
        }
        DbKind::Postgres | DbKind::Sqlite => {
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, amount = excluded.amount, \
             created = excluded.created, flag = excluded.flag, score = excluded.score"
        }
    }
}

/// The tables each round writes (emptied before it).
const WRITTEN_TABLES: [&str; 4] = [
    "bench_raw_insert",
    "bench_raw_upsert",
    "bench_sink_insert",
    "bench_sink_upsert",
];

/// The median rate and, separately, the median CPU per row.
fn median(samples: Vec<Rate>) -> Rate {
    let middle = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Rate {
        per_second: middle(samples.iter().map(|r| r.per_second).collect()),
        cpu_us_per_row: middle(samples.iter().map(|r| r.cpu_us_per_row).collect()),
    }
}

fn decimal_text(i: i64) -> String {
    format!("{}.{:02}", i % 100_000, i % 100)
}

fn created(i: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + i)
        .unwrap()
        .naive_utc()
}

/// `created` as the text SQLite stores, written as the sink writes it (faster than sqlx's
/// own encoding of a `NaiveDateTime`, so the raw baseline gets it too).
fn created_text(i: i64) -> String {
    connect_jdbc::dialect::text::timestamp(&created(i))
}

fn decimal(i: i64) -> bigdecimal::BigDecimal {
    bigdecimal::BigDecimal::from_str(&decimal_text(i)).unwrap()
}

/// Polls a JDBC source task over `bench_src` until it produced `rows` records.
async fn read_all(config: &Config, rows: i64, mut take: impl FnMut(Vec<ConnectRecord>)) {
    let mut source = connect_jdbc::JdbcSourceTask::default();
    let context = SourceTaskContext {
        info: info(config),
        offsets: Arc::new(NoOffsets),
        topics: None,
        gauges: None,
    };
    source.start(config.clone(), context).await.unwrap();
    let mut read = 0;
    while read < rows {
        let batch = source.poll().await.unwrap();
        read += batch.len() as i64;
        take(batch);
    }
    source.stop().await.unwrap();
}

/// Puts `records` into `table` through a JDBC sink task in `insert.mode`; returns rows/s.
async fn write_all(config: &Config, mode: &str, table: &str, records: &[ConnectRecord]) -> Rate {
    let config = config
        .clone()
        .with("insert.mode", mode)
        .with("table.name.format", table);
    let mut sink = connect_jdbc::JdbcSinkTask::default();
    let context = SinkTaskContext {
        info: info(&config),
        control: Arc::new(NoControl),
        reporter: None,
    };
    sink.start(config, context).await.unwrap();
    let start = Measure::start();
    for chunk in records.chunks(1000) {
        sink.put(chunk).await.unwrap();
    }
    let rate = start.finish(records.len() as f64);
    sink.stop().await.unwrap();
    rate
}

fn info(config: &Config) -> TaskInfo {
    TaskInfo {
        connector_name: "bench".into(),
        task_id: 0,
        configs: config.clone(),
    }
}

fn main() {
    connect_allocator::tune();
    let rows: i64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!(
        "rows per run: {rows}, medians of {rounds} rounds; µs CPU = this process's CPU per row (the server's excluded)"
    );
    println!("| dialect | phase | raw | task | ratio |");
    println!("|---|---|---|---|---|");
    let wanted = std::env::var("BENCH_DIALECTS")
        .unwrap_or_else(|_| "mariadb,postgres,sqlite".to_owned())
        .to_ascii_lowercase();
    for kind in [DbKind::MariaDb, DbKind::Postgres, DbKind::Sqlite] {
        if !wanted.contains(&format!("{kind:?}").to_ascii_lowercase()) {
            continue;
        }
        let db = Database::start(kind, &dir.path().join(format!("{kind:?}")));
        db.execute(&ddl(kind, "bench_src"));
        for table in WRITTEN_TABLES {
            db.execute(&ddl(kind, table));
        }
        let url = db.url.clone();
        let tail = upsert_tail(kind);
        runtime.block_on(async {
            match kind {
                DbKind::MariaDb => {
                    let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
                    raw_insert!(sqlx::MySql, conn, "bench_src", rows, decimal, created, "");
                }
                DbKind::Postgres => {
                    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                    raw_insert!(
                        sqlx::Postgres,
                        conn,
                        "bench_src",
                        rows,
                        decimal,
                        created,
                        ""
                    );
                }
                DbKind::Sqlite => {
                    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                    raw_insert!(
                        sqlx::Sqlite,
                        conn,
                        "bench_src",
                        rows,
                        decimal_text,
                        created_text,
                        ""
                    );
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
            ("pk.mode", "record_key"),
            ("batch.size", "1000"),
        ] {
            config.put(k, v);
        }
        // Untimed: the records the sinks write, read once.
        let records = runtime.block_on(async {
            let mut records = Vec::with_capacity(rows as usize);
            read_all(&config, rows, |batch| records.extend(batch)).await;
            records
        });
        // Raw and task alternate, round by round, on emptied tables; medians are shown.
        // Per phase (read, insert, upsert): the raw tool's rates and the task's, by round.
        let mut samples: [(Vec<Rate>, Vec<Rate>); 3] = Default::default();
        for _ in 0..rounds {
            for table in WRITTEN_TABLES {
                db.execute(&format!("DELETE FROM {table}"));
            }
            let (raw_insert, raw_upsert, raw_read) = runtime.block_on(async {
                match kind {
                    DbKind::MariaDb => {
                        raw_round!(
                            sqlx::MySqlConnection,
                            sqlx::MySql,
                            &url,
                            rows,
                            tail,
                            decimal,
                            created,
                            bigdecimal::BigDecimal
                        )
                    }
                    DbKind::Postgres => {
                        raw_round!(
                            sqlx::PgConnection,
                            sqlx::Postgres,
                            &url,
                            rows,
                            tail,
                            decimal,
                            created,
                            bigdecimal::BigDecimal
                        )
                    }
                    DbKind::Sqlite => {
                        raw_round!(
                            sqlx::SqliteConnection,
                            sqlx::Sqlite,
                            &url,
                            rows,
                            tail,
                            decimal_text,
                            created_text,
                            String
                        )
                    }
                }
            });
            let (source_rate, insert_rate, upsert_rate) = runtime.block_on(async {
                // Records are dropped as polled, as the worker drops them once sent.
                let start = Measure::start();
                let mut read = 0;
                read_all(&config, rows, |batch| read += batch.len()).await;
                let source_rate = start.finish(rows as f64);
                assert_eq!(read as i64, rows);
                let insert_rate = write_all(&config, "insert", "bench_sink_insert", &records).await;
                let upsert_rate = write_all(&config, "upsert", "bench_sink_upsert", &records).await;
                (source_rate, insert_rate, upsert_rate)
            });
            for table in ["bench_sink_insert", "bench_sink_upsert"] {
                assert_eq!(
                    db.count(&format!("SELECT COUNT(*) FROM {table}")),
                    rows,
                    "every row written to {table}"
                );
            }
            for ((raws, tasks), (raw, task)) in samples.iter_mut().zip([
                (raw_read, source_rate),
                (raw_insert, insert_rate),
                (raw_upsert, upsert_rate),
            ]) {
                raws.push(raw);
                tasks.push(task);
            }
        }
        for (phase, (raws, tasks)) in ["read", "insert", "upsert"].into_iter().zip(samples) {
            let (raw, task) = (median(raws), median(tasks));
            println!(
                "| {kind:?} | {phase} | {raw} | {task} | {:.2} |",
                task.per_second / raw.per_second
            );
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?");
    println!(
        "benchmark process peak RSS ({peak}) — includes the {rows} records held for the sinks"
    );
}
