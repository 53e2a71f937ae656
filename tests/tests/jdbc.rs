//! The JDBC connectors against real databases (MariaDB and PostgreSQL servers on loopback,
//! SQLite files) and a real RocketMQ broker: table → topic → table round trips per dialect with
//! every column type, restarts, database outages, and validation errors.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;
use std::time::Duration;

use connect_tests::db::{Database, DbKind};
use connect_tests::{Broker, WorkerProcess, eventually};
use serde_json::{Value, json};

const WORKER: &str = env!("CARGO_BIN_EXE_connect-test-worker");
const JSON: &str = "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter";
const SOURCE: &str = "org.apache.rocketmq.connect.jdbc.connector.JdbcSourceConnector";
const SINK: &str = "org.apache.rocketmq.connect.jdbc.connector.JdbcSinkConnector";

fn start(dir: &Path) -> (Broker, WorkerProcess) {
    let broker = Broker::start(&dir.join("rocketmq"));
    let worker = WorkerProcess::start(
        WORKER,
        dir,
        &[("namesrvAddr", broker.namesrv_addr.as_str())],
        &[],
    );
    (broker, worker)
}

/// `base` with `extra` keys added.
fn merged(base: &Value, extra: Value) -> Value {
    let mut merged = base.clone();
    for (k, v) in extra.as_object().unwrap() {
        merged[k] = v.clone();
    }
    merged
}

fn create(worker: &WorkerProcess, name: &str, config: &Value) {
    let response = worker.post(&format!("/connectors/{name}"), &config.to_string());
    assert_eq!(response.status, 200, "{name}: {}", response.text);
}

/// One dialect's type-fidelity table: DDL, rows, and per-column text expressions to compare.
struct TypeTable {
    ddl: &'static str,
    rows: &'static str,
    /// Columns as text, in a form both the source and the auto-created table render alike.
    text_columns: &'static str,
    qualified: &'static str,
}

fn type_table(kind: DbKind) -> TypeTable {
    match kind {
        DbKind::MariaDb => TypeTable {
            ddl: "CREATE TABLE types_src (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, \
                  b TINYINT(1), i8 TINYINT, u8 TINYINT UNSIGNED, i16 SMALLINT, u16 SMALLINT UNSIGNED, \
                  i32 INT, u32 INT UNSIGNED, i64 BIGINT, u64 BIGINT UNSIGNED, f32 FLOAT, f64 DOUBLE, \
                  dec_ DECIMAL(20,4), d DATE, t TIME(3), dt DATETIME(3), ts TIMESTAMP(3) NULL, \
                  s VARCHAR(100), txt TEXT, bin BLOB, js JSON)",
            rows: "INSERT INTO types_src (b, i8, u8, i16, u16, i32, u32, i64, u64, f32, f64, dec_, d, t, dt, ts, s, txt, bin, js) VALUES \
                   (1, -128, 255, -32768, 65535, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, 1.5, 2.25, -12345678901234.5678, '1970-01-01', '23:59:59.999', '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789', 'ascii', 'ünïcödé ✓ 中文', X'00FF10', '{\"a\": [1, 2]}');\n\
                   INSERT INTO types_src (b) VALUES (NULL);\n\
                   INSERT INTO types_src (b, i8, u8, i16, u16, i32, u32, i64, u64, f32, f64, dec_, d, t, dt, ts, s, txt, bin, js) VALUES \
                   (0, 127, 0, 32767, 0, 2147483647, 0, 9223372036854775807, 0, -0.25, -1e300, 0.0001, '2999-12-31', '00:00:00', '1999-01-01 00:00:00', '1999-01-01 00:00:00', '', '', X'', '[]')",
            text_columns: "CAST(id AS CHAR), CAST(b AS CHAR), CAST(i8 AS CHAR), CAST(u8 AS CHAR), CAST(i16 AS CHAR), \
                   CAST(u16 AS CHAR), CAST(i32 AS CHAR), CAST(u32 AS CHAR), CAST(i64 AS CHAR), CAST(u64 AS CHAR), \
                   CAST(f32 AS CHAR), CAST(f64 AS CHAR), CAST(dec_ AS CHAR), CAST(d AS CHAR), CAST(t AS CHAR), \
                   CAST(dt AS CHAR), CAST(ts AS CHAR), s, txt, HEX(bin), js",
            qualified: "connect.types_src",
        },
        DbKind::Postgres => TypeTable {
            ddl: "CREATE TABLE types_src (id BIGSERIAL PRIMARY KEY, b BOOLEAN, i16 SMALLINT, i32 INTEGER, \
                  i64 BIGINT, f32 REAL, f64 DOUBLE PRECISION, dec_ NUMERIC(20,4), d DATE, t TIME(3), \
                  dt TIMESTAMP(3), ts TIMESTAMPTZ(3), s VARCHAR(100), txt TEXT, bin BYTEA, js JSONB, u UUID)",
            rows: "INSERT INTO types_src (b, i16, i32, i64, f32, f64, dec_, d, t, dt, ts, s, txt, bin, js, u) VALUES \
                   (true, -32768, -2147483648, -9223372036854775808, 1.5, 2.25, -12345678901234.5678, '1970-01-01', '23:59:59.999', '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789+08', 'ascii', 'ünïcödé ✓ 中文', '\\x00ff10', '{\"a\": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');\n\
                   INSERT INTO types_src (b) VALUES (NULL);\n\
                   INSERT INTO types_src (b, i16, i32, i64, f32, f64, dec_, d, t, dt, ts, s, txt, bin, js, u) VALUES \
                   (false, 32767, 2147483647, 9223372036854775807, -0.25, -1e300, 0.0001, '2999-12-31', '00:00:00', '1999-01-01 00:00:00', '1999-01-01 00:00:00Z', '', '', '\\x', '[]', '00000000-0000-0000-0000-000000000000')",
            text_columns: "id::text, b::text, i16::text, i32::text, i64::text, f32::text, f64::text, dec_::text, \
                   d::text, t::text, dt::text, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.MS'), s, txt, encode(bin, 'hex'), js::jsonb::text, u::text",
            qualified: "public.types_src",
        },
        DbKind::Sqlite => TypeTable {
            ddl: "CREATE TABLE types_src (id INTEGER PRIMARY KEY AUTOINCREMENT, b BOOLEAN, i8 TINYINT, \
                  i16 SMALLINT, i32 MEDIUMINT, i64 INTEGER, f64 DOUBLE, dec_ DECIMAL(20,4), d DATE, \
                  t TIME, dt DATETIME, s VARCHAR(100), txt TEXT, bin BLOB)",
            rows: "INSERT INTO types_src (b, i8, i16, i32, i64, f64, dec_, d, t, dt, s, txt, bin) VALUES \
                   (1, -128, -32768, -2147483648, -9223372036854775808, 2.25, '-12345678.5678', '1970-01-01', '23:59:59.999', '2024-02-29 12:34:56.789', 'ascii', 'ünïcödé ✓ 中文', X'00FF10');\n\
                   INSERT INTO types_src (b) VALUES (NULL);\n\
                   INSERT INTO types_src (b, i8, i16, i32, i64, f64, dec_, d, t, dt, s, txt, bin) VALUES \
                   (0, 127, 32767, 2147483647, 9223372036854775807, -1e300, '0.0001', '2999-12-31', '00:00:00.000', '1999-01-01 00:00:00.000', '', '', X'')",
            text_columns: "CAST(id AS TEXT), CAST(b AS TEXT), CAST(i8 AS TEXT), CAST(i16 AS TEXT), CAST(i32 AS TEXT), \
                   CAST(i64 AS TEXT), CAST(f64 AS TEXT), CAST(CAST(dec_ AS REAL) AS TEXT), CAST(d AS TEXT), strftime('%H:%M:%f', t), strftime('%Y-%m-%d %H:%M:%f', dt), s, txt, HEX(bin)",
            qualified: "types_src",
        },
    }
}

/// Every column type of `kind` goes table → topic → auto-created table and reads back the same.
fn round_trip(kind: DbKind) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(kind, &dir.path().join("db"));
    let table = type_table(kind);
    db.execute(table.ddl);
    db.execute(table.rows);
    let (_broker, worker) = start(dir.path());
    let topic = format!("jdbc-types-{}", format!("{kind:?}").to_lowercase());
    let converters = json!({"key.converter": JSON, "value.converter": JSON});
    create(
        &worker,
        "types-source",
        &merged(
            &db.connection(),
            merged(
                &converters,
                json!({
        "connector.class": SOURCE, "max.tasks": "1", "connect.topicname": topic,
        "table.whitelist": table.qualified, "mode": "incrementing", "incrementing.column.name": "id",
        "poll.interval.ms": "200"}),
            ),
        ),
    );
    create(
        &worker,
        "types-sink",
        &merged(
            &db.connection(),
            merged(
                &converters,
                json!({
        "connector.class": SINK, "connect.topicnames": topic, "consume.from.where": "CONSUME_FROM_FIRST_OFFSET",
        "table.name.format": "types_dst", "auto.create": "true", "insert.mode": "upsert", "pk.mode": "record_key"}),
            ),
        ),
    );
    eventually("3 rows in types_dst", Duration::from_secs(60), || {
        db.count("SELECT COUNT(*) FROM types_dst") == 3
    });
    let source = db.rows(&format!(
        "SELECT {} FROM types_src ORDER BY id",
        table.text_columns
    ));
    let copied = db.rows(&format!(
        "SELECT {} FROM types_dst ORDER BY id",
        table.text_columns
    ));
    assert_eq!(source.len(), 3);
    assert_eq!(copied, source, "{kind:?}: the copy differs from the source");
    let states = worker.states("types-sink");
    assert_eq!(states.0, "RUNNING");
}

#[test]
fn mariadb_round_trip_keeps_every_type() {
    round_trip(DbKind::MariaDb);
}

#[test]
fn postgres_round_trip_keeps_every_type() {
    round_trip(DbKind::Postgres);
}

#[test]
fn sqlite_round_trip_keeps_every_type() {
    round_trip(DbKind::Sqlite);
}

/// MariaDB killed (-9) and restarted while rows stream table → topic → MariaDB: the sink
/// retries through the outage and every row arrives; nothing is lost.
#[test]
fn sink_survives_a_database_restart_mid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let source_db = Database::start(DbKind::Sqlite, &dir.path().join("sqlite"));
    let target = Database::start(DbKind::MariaDb, &dir.path().join("mariadb"));
    source_db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
    let (_broker, worker) = start(dir.path());
    let converters = json!({"key.converter": JSON, "value.converter": JSON});
    create(
        &worker,
        "events-source",
        &merged(
            &source_db.connection(),
            merged(
                &converters,
                json!({
        "connector.class": SOURCE, "connect.topicname": "jdbc-events", "table.whitelist": "events",
        "mode": "incrementing", "incrementing.column.name": "id", "poll.interval.ms": "50"}),
            ),
        ),
    );
    create(
        &worker,
        "events-sink",
        &merged(
            &target.connection(),
            merged(
                &converters,
                json!({
        "connector.class": SINK, "connect.topicnames": "jdbc-events", "consume.from.where": "CONSUME_FROM_FIRST_OFFSET",
        "table.name.format": "events_copy", "auto.create": "true", "insert.mode": "upsert", "pk.mode": "record_key",
        "max.retries": "2", "retry.backoff.ms": "200"}),
            ),
        ),
    );
    let total = 20_000;
    let write = |from: i64, to: i64| {
        let values: Vec<String> = (from..to).map(|i| format!("({i}, 'event {i}')")).collect();
        source_db.execute(&format!(
            "INSERT INTO events (id, payload) VALUES {}",
            values.join(", ")
        ));
    };
    // The first half, and wait until some of it arrived.
    write(1, total / 2 + 1);
    eventually("rows arriving", Duration::from_secs(60), || {
        target.count("SELECT COUNT(*) FROM events_copy") > 0
    });
    target.kill();
    // The rest is produced while the database is down.
    write(total / 2 + 1, total + 1);
    eventually(
        "the outage in the sink's status",
        Duration::from_secs(60),
        || {
            let status = worker.get("/connectors/events-sink/status");
            status.text.contains("retriable") || status.text.contains("attempt")
        },
    );
    target.restart();
    eventually("every row in the copy", Duration::from_secs(120), || {
        target.count("SELECT COUNT(*) FROM events_copy") == total
    });
    assert_eq!(
        target.rows("SELECT CAST(MIN(id) AS CHAR), CAST(MAX(id) AS CHAR), CAST(COUNT(DISTINCT payload) AS CHAR) FROM events_copy"),
        [[Some("1".to_owned()), Some(total.to_string()), Some(total.to_string())]]
    );
    assert_eq!(worker.states("events-sink").0, "RUNNING");
}

/// Unknown mode, a column the table lacks, and an unreachable database are refused when the
/// connector is created, each naming its key.
#[test]
fn bad_configs_are_rejected_at_validation_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::Sqlite, &dir.path().join("sqlite"));
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
    let (_broker, worker) = start(dir.path());
    let base = merged(
        &db.connection(),
        json!({"connector.class": SOURCE, "connect.topicname": "x",
        "table.whitelist": "items", "mode": "incrementing", "incrementing.column.name": "id"}),
    );
    let refused = |config: Value| -> Value {
        let response = worker.post("/connectors/bad", &config.to_string());
        assert_eq!(response.status, 400, "{}", response.text);
        response.json["errors"].clone()
    };
    let errors = refused(merged(&base, json!({"mode": "sometimes"})));
    assert_eq!(errors[0]["key"], "mode", "{errors}");

    let errors = refused(merged(&base, json!({"incrementing.column.name": "nope"})));
    assert_eq!(errors[0]["key"], "incrementing.column.name", "{errors}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("not a column of items"),
        "{errors}"
    );

    let errors = refused(merged(&base, json!({"table.whitelist": "missing"})));
    assert_eq!(errors[0]["key"], "table.whitelist", "{errors}");

    let unreachable = json!({"connection.url": "jdbc:mysql://127.0.0.1:1/db"});
    let errors = refused(merged(&base, unreachable.clone()));
    assert_eq!(errors[0]["key"], "connection.url", "{errors}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{errors}"
    );
    let errors = refused(merged(
        &unreachable,
        json!({"connector.class": SINK, "connect.topicnames": "x",
        "connection.user": "u", "insert.mode": "merge"}),
    ));
    let keys: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"insert.mode"), "{errors}");
    // Nothing was created.
    assert_eq!(worker.get("/connectors/bad/status").status, 404);
}
