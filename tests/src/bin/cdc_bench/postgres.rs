//! The PostgreSQL half: raw logical replication (the transport and the pgoutput parser, every
//! tuple read) and raw `SELECT` against the PostgreSQL CDC connector moving the same rows.

use std::time::Instant;

use connect_cdc::postgres::pgoutput::{self, Datum, Message};
use connect_tests::db::{Database, DbKind};
use connect_tests::{Broker, WorkerProcess};
use pgwire_replication::{Lsn, ReplicationClient, ReplicationConfig, ReplicationEvent, TlsConfig};
use serde_json::json;
use sqlx::{Connection, Row, ValueRef};

use super::{broker_limit, cdc_config, run_connector, runtime};

const TABLE: &str = "(id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, amount NUMERIC(12,2) NOT NULL, \
                     created TIMESTAMP(3) NOT NULL, flag SMALLINT NOT NULL, score DOUBLE PRECISION NOT NULL)";

fn fill(table: &str, rows: usize) -> String {
    format!(
        "INSERT INTO {table} SELECT g, 'name-' || g, g / 100.0, \
         TIMESTAMP '2024-01-01' + g * INTERVAL '1 second', (g % 2)::smallint, g * 1.5 \
         FROM generate_series(1, {rows}) g"
    )
}

fn current_lsn(db: &Database) -> u64 {
    let text = db.rows("SELECT pg_current_wal_lsn()::text")[0][0]
        .clone()
        .unwrap();
    connect_cdc::postgres::position::parse_lsn(&text).unwrap()
}

/// Raw: stream the slot from its start and parse every row of the transaction. Rows/s.
fn raw_stream(db: &Database, slot: &str, rows: usize, end: u64) -> f64 {
    runtime().block_on(async {
        let config = ReplicationConfig::new(
            "127.0.0.1",
            "connect",
            "connect",
            "connect",
            slot,
            "bench_raw",
        )
        .with_port(db.port())
        .with_tls(TlsConfig::disabled())
        .with_buffer_size(8192);
        let started = Instant::now();
        let mut client = ReplicationClient::connect(config).await.unwrap();
        let mut decoded = 0usize;
        let mut values = 0usize;
        while let Some(event) = client.recv().await.unwrap() {
            match event {
                ReplicationEvent::XLogData { data, .. } => {
                    if let Message::Insert { new, .. } = pgoutput::parse(&data).unwrap() {
                        values += new.iter().filter(|d| matches!(d, Datum::Text(_))).count();
                        decoded += 1;
                    }
                }
                ReplicationEvent::Commit { end_lsn, .. } if end_lsn.as_u64() >= end => break,
                _ => {}
            }
        }
        client.update_applied_lsn(Lsn::from_u64(end));
        assert_eq!(decoded, rows, "rows decoded by the raw reader");
        assert!(values >= rows);
        decoded as f64 / started.elapsed().as_secs_f64()
    })
}

/// Raw: `SELECT *` of the table (text results, every value read). Rows/s.
fn raw_select(db: &Database, rows: usize) -> f64 {
    runtime().block_on(async {
        use futures_util::TryStreamExt;
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let started = Instant::now();
        let mut stream = sqlx::raw_sql("SELECT * FROM snap").fetch(&mut conn);
        let mut count = 0usize;
        let mut bytes = 0usize;
        while let Some(row) = stream.try_next().await.unwrap() {
            for i in 0..row.len() {
                let raw = row.try_get_raw(i).unwrap();
                if !raw.is_null() {
                    bytes += raw.as_bytes().unwrap().len();
                }
            }
            count += 1;
        }
        assert_eq!(count, rows);
        assert!(bytes > 0);
        count as f64 / started.elapsed().as_secs_f64()
    })
}

/// Runs the PostgreSQL cases, and the broker's limit for the connector's messages.
pub fn run(dir: &std::path::Path, broker: &Broker, worker: &WorkerProcess, rows: usize) {
    let db = Database::start(DbKind::Postgres, &dir.join("pg"));
    db.execute(&format!("CREATE TABLE big {TABLE}"));
    db.execute("CREATE PUBLICATION bench_raw FOR TABLE big");
    db.execute("SELECT 1 FROM pg_create_logical_replication_slot('bench_raw', 'pgoutput')");
    db.execute("SELECT 1 FROM pg_create_logical_replication_slot('bench_stream', 'pgoutput')");
    let load = Instant::now();
    db.execute(&fill("big", rows));
    println!(
        "postgres: loaded {rows} rows in one transaction in {:.1} s",
        load.elapsed().as_secs_f64()
    );
    let end = current_lsn(&db);
    // A marker transaction after the big one: its record's offset says the big one is stored.
    db.execute(&format!(
        "INSERT INTO big VALUES ({}, 'marker', 0, '2024-01-01', 0, 0)",
        rows + 1
    ));
    let raw = raw_stream(&db, "bench_raw", rows, end);
    let pg = |extra: serde_json::Value| {
        let mut config = cdc_config(
            db.port(),
            json!({
                "connector.class": "org.apache.rocketmq.connect.debezium.postgres.DebeziumPostgresConnector",
                "database.dbname": "connect", "publication.name": "bench_raw",
                "publication.autocreate.mode": "disabled",
            }),
        );
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        config
    };
    let stream_config = pg(json!({
        "database.server.name": "pgbench1", "snapshot.mode": "never", "slot.name": "bench_stream",
        "table.include.list": "public.big", "connect.topicname": "cdc-bench-pg-stream",
    }));
    let stream = run_connector(worker, "pg-stream", &stream_config, |offset| {
        offset["lsn_commit"].as_u64().is_some_and(|l| l >= end)
    });
    let connector = rows as f64 / stream.seconds;
    println!(
        "postgres streaming: raw pgoutput read+parse {raw:.0} rows/s, connector to RocketMQ {connector:.0} rows/s, ratio {:.2}; worker CPU {:.1} µs/row; worker RSS peak {} MB",
        connector / raw,
        stream.cpu_seconds * 1e6 / rows as f64,
        stream.peak_kib / 1024
    );

    let (limit, size) = broker_limit(broker, "cdc-bench-pg-stream", rows);
    println!(
        "postgres broker limit: raw producer {limit:.0} msg/s for these {size}-byte messages (the connector reaches {:.2} of it)",
        connector / limit
    );

    db.execute(&format!("CREATE TABLE snap {TABLE}"));
    db.execute(&fill("snap", rows));
    db.execute("ALTER PUBLICATION bench_raw ADD TABLE snap");
    let raw_scan = raw_select(&db, rows);
    let snapshot_config = pg(json!({
        "database.server.name": "pgbench2", "snapshot.mode": "initial", "slot.name": "bench_snap",
        "table.include.list": "public.snap", "connect.topicname": "cdc-bench-pg-snapshot",
        "incremental.snapshot.chunk.size": "4096",
    }));
    let snapshot = run_connector(worker, "pg-snapshot", &snapshot_config, |offset| {
        offset.get("snapshot_tables").is_none()
    });
    let connector_snapshot = rows as f64 / snapshot.seconds;
    println!(
        "postgres snapshot:  raw SELECT {raw_scan:.0} rows/s, connector to RocketMQ {connector_snapshot:.0} rows/s, ratio {:.2}; worker CPU {:.1} µs/row; worker RSS peak {} MB",
        connector_snapshot / raw_scan,
        snapshot.cpu_seconds * 1e6 / rows as f64,
        snapshot.peak_kib / 1024
    );
    let (limit, size) = broker_limit(broker, "cdc-bench-pg-snapshot", rows);
    println!(
        "postgres snapshot broker limit: raw producer {limit:.0} msg/s for these {size}-byte messages (the connector reaches {:.2} of it)",
        connector_snapshot / limit
    );
}
