//! The CDC benchmark: on one MariaDB and one broker, in one run, the raw tools against the
//! connector moving the same rows.
//!
//! - streaming: `BENCH_ROWS` rows inserted in **one transaction**; raw = a mysql_async binlog
//!   stream reading and decoding every row value of it; connector = the MySQL CDC connector
//!   (`snapshot.mode=never`, JSON converters) from its start until its committed position is
//!   past the transaction (every row acknowledged by the broker). The worker's peak RSS during
//!   it is the "1M-row transaction" memory figure.
//! - snapshot: raw = `SELECT *` of the table through mysql_async (text protocol, every value
//!   read); connector = an `initial` snapshot until every row is acknowledged.
//!
//! - PostgreSQL (`postgres.rs`): the same two cases against raw logical replication (the
//!   transport and pgoutput parser) and a raw `SELECT`.
//!
//! `BENCH_DB` picks `mariadb`, `postgres` or `all` (default); `BENCH_SCHEMAS=false` drops the
//! JSON schema envelope from the messages; `BENCH_BATCH` sets `max.batch.size` (2048). Run it with
//! `scripts/bench-cdc.sh` (release build; starts the databases and a broker on loopback).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::print_stdout,
    reason = "a benchmark tool: a failure is a panic with its cause"
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use connect_runtime::rocketmq::RocketMqRuntime;
use connect_tests::db::{Database, DbKind};
use connect_tests::{Broker, WorkerProcess, eventually, raw_producer};
use futures_util::StreamExt;
use mysql_async::binlog::events::EventData;
use mysql_async::prelude::Queryable;
use serde_json::{Value, json};

#[path = "cdc_bench/postgres.rs"]
mod postgres;

const JSON: &str = "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter";

fn worker_binary() -> PathBuf {
    let bin = std::env::current_exe()
        .unwrap()
        .with_file_name("rocketmq-connect");
    assert!(
        bin.exists(),
        "{} not built: run scripts/bench-cdc.sh",
        bin.display()
    );
    bin
}

fn opts(db: &Database) -> mysql_async::Opts {
    mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(db.port())
        .user(Some("connect"))
        .pass(Some("connect"))
        .db_name(Some("connect"))
        .into()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The binlog's current end.
fn master_status(db: &Database) -> (String, u64) {
    runtime().block_on(async {
        let mut conn = mysql_async::Conn::new(opts(db)).await.unwrap();
        let row: (String, u64, String, String) = conn
            .query_first("SHOW MASTER STATUS")
            .await
            .unwrap()
            .unwrap();
        (row.0, row.1)
    })
}

/// Raw: read the binlog from (file, pos) to `end` and decode every row value. Rows/s.
fn raw_binlog(db: &Database, from: &(String, u64), end: u64, rows: usize) -> f64 {
    runtime().block_on(async {
        let conn = mysql_async::Conn::new(opts(db)).await.unwrap();
        let started = Instant::now();
        let request = mysql_async::BinlogStreamRequest::new(990_001)
            .with_filename(from.0.as_bytes())
            .with_pos(from.1);
        let mut stream = conn.get_binlog_stream(request).await.unwrap();
        let mut decoded = 0usize;
        let mut values = 0usize;
        while let Some(event) = stream.next().await {
            let event = event.unwrap();
            let log_pos = u64::from(event.header().log_pos());
            if let Some(EventData::RowsEvent(rows_event)) = event.read_data().unwrap() {
                let tme = stream.get_tme(rows_event.table_id()).unwrap();
                for row in rows_event.rows(tme) {
                    let (_, after) = row.unwrap();
                    let after = after.unwrap();
                    values += (0..after.len())
                        .filter(|&i| after.as_ref(i).is_some())
                        .count();
                    decoded += 1;
                }
            }
            if log_pos >= end && decoded >= rows {
                break;
            }
        }
        assert_eq!(decoded, rows, "rows decoded by the raw reader");
        assert!(values >= rows);
        decoded as f64 / started.elapsed().as_secs_f64()
    })
}

/// Raw: `SELECT *` of the table, every value read. Rows/s.
fn raw_select(db: &Database, rows: usize) -> f64 {
    runtime().block_on(async {
        let mut conn = mysql_async::Conn::new(opts(db)).await.unwrap();
        let started = Instant::now();
        let mut result = conn.query_iter("SELECT * FROM snap").await.unwrap();
        let mut count = 0usize;
        let mut bytes = 0usize;
        while let Some(row) = result.next().await.unwrap() {
            for i in 0..row.len() {
                if let Some(mysql_async::Value::Bytes(b)) = row.as_ref(i) {
                    bytes += b.len();
                }
            }
            count += 1;
        }
        assert_eq!(count, rows);
        assert!(bytes > 0);
        count as f64 / started.elapsed().as_secs_f64()
    })
}

/// `BENCH_SCHEMAS=false` writes the JSON without its schema envelope: messages a fifth the
/// size, so the broker's limit moves and the connector's own cost shows.
fn schemas_enabled() -> bool {
    std::env::var("BENCH_SCHEMAS").map_or(true, |v| v != "false")
}

fn cdc_config(port: u16, extra: Value) -> Value {
    let schemas = schemas_enabled().to_string();
    let mut config = json!({
        "connector.class": "org.apache.rocketmq.connect.debezium.mysql.DebeziumMysqlConnector",
        "database.hostname": "127.0.0.1", "database.port": port.to_string(),
        "database.user": "connect", "database.password": "connect",
        "key.converter": JSON, "value.converter": JSON,
        "key.converter.schemas.enable": schemas, "value.converter.schemas.enable": schemas,
        "max.batch.size": std::env::var("BENCH_BATCH").unwrap_or_else(|_| "2048".to_owned()),
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    config
}

/// What one connector run took.
struct Run {
    /// From the task RUNNING until the committed offset said done.
    seconds: f64,
    /// The worker's peak RSS meanwhile.
    peak_kib: u64,
    /// The worker's CPU time meanwhile (all its threads).
    cpu_seconds: f64,
}

/// Creates `name` and waits until its committed offset satisfies `done`.
fn run_connector(
    worker: &WorkerProcess,
    name: &str,
    config: &Value,
    done: impl Fn(&Value) -> bool,
) -> Run {
    let response = worker.post(&format!("/connectors/{name}"), &config.to_string());
    assert_eq!(response.status, 200, "{}", response.text);
    worker.wait_state(name, "RUNNING");
    let started = Instant::now();
    let cpu_before = worker.cpu_seconds();
    let mut peak = 0;
    eventually(&format!("{name} done"), Duration::from_secs(600), || {
        peak = peak.max(worker.rss_kib());
        let offsets = worker
            .get(&format!("/connectors/{name}/offsets"))
            .body()
            .clone();
        offsets["offsets"]
            .get(0)
            .is_some_and(|o| done(&o["offset"]))
    });
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = worker.cpu_seconds() - cpu_before;
    assert_eq!(worker.delete(&format!("/connectors/{name}")).status, 200);
    Run {
        seconds,
        peak_kib: peak,
        cpu_seconds,
    }
}

fn main() {
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let which = std::env::var("BENCH_DB").unwrap_or_else(|_| "all".to_owned());
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let worker_dir = dir.path().join("worker");
    std::fs::create_dir_all(&worker_dir).unwrap();
    let worker = WorkerProcess::start(
        worker_binary().to_str().unwrap(),
        &worker_dir,
        &[
            ("namesrvAddr", broker.namesrv_addr.as_str()),
            ("offsetCommitIntervalMsConfig", "200"),
        ],
        &[],
    );
    if which == "all" || which == "mariadb" {
        mariadb(dir.path(), &broker, &worker, rows);
    }
    if which == "all" || which == "postgres" {
        postgres::run(dir.path(), &broker, &worker, rows);
    }
}

/// The MariaDB cases and the broker's limit for the connector's messages.
fn mariadb(dir: &std::path::Path, broker: &Broker, worker: &WorkerProcess, rows: usize) {
    let db = Database::start(DbKind::MariaDb, &dir.join("db"));
    let table = "(id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, amount DECIMAL(12,2) NOT NULL, \
                 created DATETIME(3) NOT NULL, flag TINYINT NOT NULL, score DOUBLE NOT NULL)";
    let fill = |name: &str| {
        format!(
            "INSERT INTO {name} SELECT seq, CONCAT('name-', seq), seq / 100, \
             '2024-01-01 00:00:00' + INTERVAL seq SECOND, seq % 2, seq * 1.5 FROM seq_1_to_{rows}"
        )
    };

    // Streaming: one transaction of `rows` rows.
    db.execute(&format!("CREATE TABLE big {table}"));
    let from = master_status(&db);
    let load = Instant::now();
    db.execute(&fill("big"));
    println!(
        "loaded {rows} rows in one transaction in {:.1} s",
        load.elapsed().as_secs_f64()
    );
    let (end_file, end_pos) = master_status(&db);
    db.execute(&format!(
        "INSERT INTO big VALUES ({}, 'marker', 0, '2024-01-01', 0, 0)",
        rows + 1
    ));
    let raw_stream = raw_binlog(&db, &from, end_pos, rows);

    let idle_rss = worker.rss_kib();
    let stream_config = cdc_config(
        db.port(),
        json!({"database.server.name": "bench1", "snapshot.mode": "never",
               "table.include.list": "connect.big", "connect.topicname": "cdc-bench-stream"}),
    );
    // Every row of the big transaction is acknowledged once the marker row after it is: the
    // committed position only moves over a contiguous acknowledged prefix.
    let stream = run_connector(worker, "stream", &stream_config, |offset| {
        offset["file"].as_str() == Some(end_file.as_str())
            && offset["pos"].as_u64().is_some_and(|p| p >= end_pos)
    });
    let connector_stream = rows as f64 / stream.seconds;
    println!(
        "streaming: raw binlog read+decode {raw_stream:.0} rows/s, connector to RocketMQ {connector_stream:.0} rows/s, ratio {:.2}; worker CPU {:.1} µs/row ({:.0} rows per CPU-second); worker RSS idle {} MB, peak {} MB",
        connector_stream / raw_stream,
        stream.cpu_seconds * 1e6 / rows as f64,
        rows as f64 / stream.cpu_seconds,
        idle_rss / 1024,
        stream.peak_kib / 1024
    );

    let (stream_limit, size) = broker_limit(broker, "cdc-bench-stream", rows);
    println!(
        "broker limit: raw producer {stream_limit:.0} msg/s for these {size}-byte messages (the connector reaches {:.2} of it)",
        connector_stream / stream_limit
    );

    // Snapshot of a table of `rows` rows.
    db.execute(&format!("CREATE TABLE snap {table}"));
    db.execute(&fill("snap"));
    let raw_scan = raw_select(&db, rows);
    let snapshot_config = cdc_config(
        db.port(),
        json!({"database.server.name": "bench2", "snapshot.mode": "initial",
               "table.include.list": "connect.snap", "connect.topicname": "cdc-bench-snapshot",
               "incremental.snapshot.chunk.size": "4096"}),
    );
    // The last snapshot row's offset says the snapshot is over (no progress keys).
    let snapshot = run_connector(worker, "snapshot", &snapshot_config, |offset| {
        offset.get("snapshot_tables").is_none()
    });
    let connector_snapshot = rows as f64 / snapshot.seconds;

    println!(
        "snapshot:  raw SELECT {raw_scan:.0} rows/s, connector to RocketMQ {connector_snapshot:.0} rows/s, ratio {:.2}; worker CPU {:.1} µs/row; worker RSS peak {} MB",
        connector_snapshot / raw_scan,
        snapshot.cpu_seconds * 1e6 / rows as f64,
        snapshot.peak_kib / 1024
    );
    let (snapshot_limit, size) = broker_limit(broker, "cdc-bench-snapshot", rows);
    println!(
        "snapshot broker limit: raw producer {snapshot_limit:.0} msg/s for these {size}-byte messages (the connector reaches {:.2} of it)",
        connector_snapshot / snapshot_limit
    );
}

/// The broker's own limit for the messages the connector wrote to `topic`, measured now (the
/// broker slows as its commit log grows): the raw producer at its best sending copies of one
/// of them to a fresh topic. Messages per second, and the message's size.
fn broker_limit(broker: &Broker, topic: &str, rows: usize) -> (f64, usize) {
    let sample = broker.read_topic(topic, 1, Duration::from_secs(60))[0]
        .body
        .clone();
    let copies = vec![sample.clone(); rows.min(300_000)];
    let (mq, _client) = RocketMqRuntime::start(&broker.namesrv_addr, false).unwrap();
    let limit = raw_producer::produce(&mq, &broker.namesrv_addr, &format!("{topic}-raw"), &copies);
    mq.shutdown();
    (limit, sample.len())
}
