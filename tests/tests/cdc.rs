//! Change data capture from a real MariaDB (binlog ROW, FULL image and metadata) through a real
//! broker: the snapshot under concurrent writes with a worker killed mid-way, the topic folded
//! by key against `SELECT *`; type goldens where snapshot and stream must agree; validation
//! naming the server setting to fix; a purged binlog.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use connect_tests::db::{Database, DbKind, execute_at};
use connect_tests::{Broker, IncomingMessage, WorkerProcess, eventually};
use serde_json::{Value, json};

#[path = "cdc/postgres.rs"]
mod postgres;

const WORKER: &str = env!("CARGO_BIN_EXE_connect-test-worker");
const JSON: &str = "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter";
const MYSQL_CDC: &str = "org.apache.rocketmq.connect.debezium.mysql.DebeziumMysqlConnector";

/// The Java README's keys for `db`, with `extra` on top.
fn cdc_config(db: &Database, topic: &str, extra: Value) -> Value {
    let mut config = json!({
        "connector.class": MYSQL_CDC, "max.tasks": "1", "connect.topicname": topic,
        "database.hostname": "127.0.0.1", "database.port": db.port(),
        "database.user": "connect", "database.password": "connect",
        "database.server.name": "dbserver1", "database.server.id": "184054",
        "database.include.list": "connect", "database.history.skip.unparseable.ddl": "true",
        "database.history.name.srv.addr": "127.0.0.1:9876",
        "database.history.rocketmq.topic": "db-history-debezium-topic",
        "include.schema.changes": "false", "database.connectionTimeZone": "UTC",
        "key.converter": JSON, "value.converter": JSON,
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    config
}

/// A message's key (JSON with its schema): the key schema's field names, and the key's value.
fn key_of(keys: Option<&str>) -> (Vec<String>, Value) {
    let key: Value = serde_json::from_str(keys.unwrap_or("null")).unwrap_or(Value::Null);
    let fields = key["schema"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("a message without a key schema: {key}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    (fields, key["payload"].clone())
}

fn create(worker: &WorkerProcess, name: &str, config: &Value) {
    let response = worker.post(&format!("/connectors/{name}"), &config.to_string());
    assert_eq!(response.status, 200, "{name}: {}", response.text);
}

/// One change message: its key text, op, `after` row, and where it came from.
#[derive(Debug, Clone)]
struct ChangeMessage {
    key: String,
    op: Option<String>,
    after: Value,
    /// (file, pos, row) of a streamed change; None for snapshot rows and tombstones.
    origin: Option<(String, i64, i64)>,
}

fn parse(message: &IncomingMessage) -> ChangeMessage {
    let key = message.keys.clone().unwrap_or_default();
    if message.body.is_empty() {
        return ChangeMessage {
            key,
            op: None,
            after: Value::Null,
            origin: None,
        };
    }
    let envelope: Value = serde_json::from_slice(&message.body).unwrap();
    let payload = &envelope["payload"];
    let op = payload["op"].as_str().map(str::to_owned);
    let source = &payload["source"];
    // Where a streamed change came from: (file, pos, row) on MySQL, (txId, lsn) on PostgreSQL.
    let origin = (op.as_deref() != Some("r")).then(|| match source["connector"].as_str() {
        Some("postgresql") => (
            source["txId"].to_string(),
            source["lsn"].as_i64().unwrap_or(0),
            0,
        ),
        _ => (
            source["file"].as_str().unwrap_or("").to_owned(),
            source["pos"].as_i64().unwrap_or(0),
            source["row"].as_i64().unwrap_or(0),
        ),
    });
    ChangeMessage {
        key,
        op,
        after: payload["after"].clone(),
        origin,
    }
}

/// The topic folded by key: the last `after` of each key (deletes and tombstones remove it),
/// as `id → [name, qty]`; and how many messages repeat one already seen.
fn fold(messages: &[IncomingMessage]) -> (BTreeMap<i64, (String, i64)>, usize) {
    let mut rows: HashMap<String, Value> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0;
    for message in messages {
        let change = parse(message);
        let identity = match (&change.op, &change.origin) {
            (Some(op), Some(origin)) => format!("{op}{origin:?}{}", change.key),
            (Some(op), None) => format!("{op}{}{}", change.key, change.after),
            (None, _) => format!("tombstone{}{}", change.key, rows.contains_key(&change.key)),
        };
        if change.op.is_some() && !seen.insert(identity) {
            duplicates += 1;
        }
        match change.op.as_deref() {
            Some("c" | "u" | "r") => {
                rows.insert(change.key, change.after);
            }
            _ => {
                rows.remove(&change.key);
            }
        }
    }
    let folded = rows
        .values()
        .map(|after| {
            (
                after["id"].as_i64().unwrap(),
                (
                    after["name"].as_str().unwrap_or("").to_owned(),
                    after["qty"].as_i64().unwrap_or(0),
                ),
            )
        })
        .collect();
    (folded, duplicates)
}

fn table_rows(db: &Database) -> BTreeMap<i64, (String, i64)> {
    let sql = match db.kind {
        DbKind::Postgres => "SELECT id::text, name, qty::text FROM items",
        _ => "SELECT CAST(id AS CHAR), name, CAST(qty AS CHAR) FROM items",
    };
    db.rows(sql)
        .into_iter()
        .map(|r| {
            (
                r[0].as_deref().unwrap().parse().unwrap(),
                (
                    r[1].clone().unwrap_or_default(),
                    r[2].as_deref().unwrap().parse().unwrap(),
                ),
            )
        })
        .collect()
}

/// Random inserts, updates and deletes on `items` at `url` (ids up to 24,000).
fn random_writes(url: &str, ops: usize, seed: u64) {
    random_writes_on(url, "items", 24_000, ops, seed);
}

/// Random inserts, updates and deletes on `table` at `url`, ids up to `ids` (a small LCG:
/// reproducible, no extra crate).
fn random_writes_on(url: &str, table: &str, ids: i64, ops: usize, seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as i64
    };
    let mut statements = Vec::new();
    for i in 0..ops {
        let id = next() % ids + 1;
        statements.push(match next() % 3 {
            0 if url.starts_with("postgres") => format!(
                "INSERT INTO {table} (id, name, qty) VALUES ({id}, 'ins-{i}', {i}) ON CONFLICT (id) DO UPDATE SET name = 'dup-{i}', qty = {table}.qty + 1"
            ),
            0 => format!(
                "INSERT INTO {table} (id, name, qty) VALUES ({id}, 'ins-{i}', {i}) ON DUPLICATE KEY UPDATE name = 'dup-{i}', qty = qty + 1"
            ),
            1 => format!("UPDATE {table} SET name = 'upd-{i}', qty = qty + 7 WHERE id = {id}"),
            _ => format!("DELETE FROM {table} WHERE id = {id}"),
        });
        // Several statements per transaction, so restarts land inside transactions too.
        if statements.len() == 5 {
            execute_at(
                url,
                &format!("START TRANSACTION;\n{};\nCOMMIT", statements.join(";\n")),
            );
            statements.clear();
        }
    }
    if !statements.is_empty() {
        execute_at(url, &statements.join(";\n"));
    }
}

/// The snapshot runs while a writer inserts, updates and deletes at random; the worker is
/// killed (-9) in the middle of the snapshot and restarted; more writes follow. The topic
/// folded by key equals `SELECT *`: nothing lost, the snapshot resumed where it stopped (the
/// duplicates are bounded by what the commit interval can leave unacknowledged), no locks.
#[test]
fn snapshot_under_writes_survives_kill9_and_folds_to_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), qty INT NOT NULL DEFAULT 0)",
    );
    // 20,000 rows in one statement each 2,000.
    for block in 0..10 {
        let values: Vec<String> = (1..=2000)
            .map(|i| {
                let id = block * 2000 + i;
                format!("({id}, 'row-{id}', {id})")
            })
            .collect();
        db.execute(&format!("INSERT INTO items VALUES {}", values.join(",")));
    }
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    let topic = "cdc-items";
    create(
        &worker,
        "items-cdc",
        &cdc_config(
            &db,
            topic,
            json!({"incremental.snapshot.chunk.size": "100", "snapshot.mode": "initial"}),
        ),
    );
    let url = db.url.clone();
    let writer = std::thread::spawn(move || random_writes(&url, 600, 7));
    // Kill the worker once a commit shows the snapshot half-way.
    eventually(
        "a committed position inside the snapshot",
        Duration::from_secs(60),
        || {
            let offsets = worker.get("/connectors/items-cdc/offsets").body().clone();
            offsets["offsets"][0]["offset"]["snapshot_after"]
                .as_array()
                .and_then(|k| k[0].as_str().and_then(|s| s.parse::<i64>().ok()))
                .is_some_and(|after| after > 2000)
        },
    );
    worker.kill9();
    let mut worker = worker.restart(&[]);
    writer.join().unwrap();
    random_writes(&db.url, 150, 11);
    worker.wait_state("items-cdc", "RUNNING");
    let expected = table_rows(&db);
    let messages = broker.read_topic_until(topic, Duration::from_secs(120), |messages| {
        fold(messages).0 == expected
    });
    let (folded, duplicates) = fold(&messages);
    assert_eq!(
        folded.len(),
        expected.len(),
        "rows in the fold vs the table"
    );
    assert_eq!(
        folded, expected,
        "the topic folded by key differs from the table"
    );
    println!(
        "{} messages for {} rows, {duplicates} duplicates after kill -9",
        messages.len(),
        expected.len()
    );
    assert!(duplicates < 5_000, "{duplicates} duplicates");
    worker.terminate(Duration::from_secs(10));
}

/// Every MariaDB column type as the Java plugin puts it on the topic: a row read by the
/// snapshot and the same values streamed from the binlog give the same payload, equal to the
/// golden (Debezium 1.7's mapping).
#[test]
fn type_goldens_snapshot_and_stream_agree() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    let columns = "b TINYINT(1), i8 TINYINT, u8 TINYINT UNSIGNED, i16 SMALLINT, u16 SMALLINT UNSIGNED, \
        i24 MEDIUMINT, i32 INT, u32 INT UNSIGNED, i64 BIGINT, u64 BIGINT UNSIGNED, f32 FLOAT, \
        f64 DOUBLE, dec1 DECIMAL(11,2), dec2 DECIMAL(30,10), dec3 DECIMAL(65,30), bit1 BIT(1), bit10 BIT(10), \
        d DATE, t0 TIME, t6 TIME(6), tneg TIME, dt0 DATETIME, dt3 DATETIME(3), dt6 DATETIME(6), \
        ts0 TIMESTAMP NULL, ts6 TIMESTAMP(6) NULL, y YEAR, c CHAR(3), vc VARCHAR(20), txt TEXT, \
        bin BINARY(3), vb VARBINARY(8), blb BLOB, e ENUM('small','large'), s SET('a','b','c'), js JSON";
    db.execute(&format!(
        "CREATE TABLE types (id INT PRIMARY KEY, {columns})"
    ));
    // The FLOAT has more than six digits: the text protocol would print it rounded, the binlog
    // carries the stored f32 (widened as Debezium does).
    let values = "1, -128, 255, -32768, 65535, -8388608, -2147483648, 4294967295, \
        -9223372036854775808, 18446744073709551615, 1.2345678, 2.25, -123456789.25, \
        12345678901234567890.0123456789, \
        -12345678901234567890123456789012345.678901234567890123456789012345, b'1', b'1000000001', '2024-02-29', '838:59:59', \
        '23:59:59.999999', '-00:30:00', '1999-12-31 23:59:59', '2022-06-14 11:57:51.123', \
        '2022-06-14 11:57:51.123456', '2022-06-14 11:57:51', '2038-01-19 03:14:07.5', 2024, \
        'abc', 'ünïcödé ✓ 中文', 'text', X'000102', X'FF00', X'DEADBEEF', 'large', 'a,c', \
        '{\"k\": [1, 2]}'";
    let names = columns
        .split(", ")
        .map(|c| c.split(' ').next().unwrap())
        .collect::<Vec<_>>()
        .join(", ");
    db.execute(&format!(
        "INSERT INTO types (id, {names}) VALUES (1, {values})"
    ));
    db.execute("INSERT INTO types (id) VALUES (2)");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "types-cdc",
        &cdc_config(
            &db,
            "cdc-types",
            json!({"table.include.list": "connect.types", "provide.transaction.metadata": "true"}),
        ),
    );
    // The snapshot done (both rows on the topic), the same values arrive through the binlog.
    broker.read_topic("cdc-types", 2, Duration::from_secs(60));
    db.execute(&format!(
        "INSERT INTO types (id, {names}) VALUES (3, {values})"
    ));
    let messages = broker.read_topic("cdc-types", 3, Duration::from_secs(60));
    assert_eq!(messages.len(), 3);
    let envelopes: Vec<Value> = messages
        .iter()
        .map(|m| serde_json::from_slice(&m.body).unwrap())
        .collect();
    let by_id = |id: i64| {
        envelopes
            .iter()
            .find(|e| e["payload"]["after"]["id"] == id)
            .unwrap_or_else(|| panic!("no row {id}"))
    };
    let (snapshot, streamed) = (by_id(1), by_id(3));
    assert_eq!(snapshot["payload"]["op"], "r");
    assert_eq!(streamed["payload"]["op"], "c");
    let mut snapshot_row = snapshot["payload"]["after"].clone();
    let mut streamed_row = streamed["payload"]["after"].clone();
    snapshot_row["id"] = json!(0);
    streamed_row["id"] = json!(0);
    // MariaDB prints a JSON column (LONGTEXT) exactly as stored, on both paths.
    assert_eq!(snapshot_row, streamed_row, "snapshot and binlog disagree");
    assert_eq!(snapshot["schema"], streamed["schema"], "schemas differ");
    let golden: Value =
        serde_json::from_slice(&connect_tests::fixture("cdc_mariadb_types_after.json")).unwrap();
    assert_eq!(
        streamed_row, golden,
        "the row differs from the Debezium golden"
    );
    let nulls = &by_id(2)["payload"]["after"];
    assert!(
        nulls
            .as_object()
            .unwrap()
            .iter()
            .all(|(k, v)| k == "id" || v.is_null())
    );
    // The schema as the Java plugin writes it: Debezium names, RocketMQ's Decimal name.
    let after_fields = snapshot["schema"]["fields"][1]["fields"]
        .as_array()
        .unwrap();
    let field = |name: &str| {
        after_fields
            .iter()
            .find(|f| f["field"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(field("dt3")["name"], "io.debezium.time.Timestamp");
    assert_eq!(field("dt6")["name"], "io.debezium.time.MicroTimestamp");
    assert_eq!(field("ts6")["name"], "io.debezium.time.ZonedTimestamp");
    assert_eq!(
        field("dec1")["name"],
        "io.openmessaging.connector.api.data.logical.Decimal"
    );
    assert_eq!(field("dec1")["parameters"]["scale"], "2");
    assert_eq!(field("e")["parameters"]["allowed"], "small,large");
    assert_eq!(field("bit10")["parameters"]["length"], "10");
    assert_eq!(
        snapshot["schema"]["name"],
        "dbserver1.connect.types.Envelope"
    );
    assert_eq!(snapshot["payload"]["source"]["connector"], "mysql");
    assert_eq!(streamed["payload"]["source"]["snapshot"], "false");
    // MariaDB names the transaction: domain-server-sequence.
    let gtid = streamed["payload"]["source"]["gtid"]
        .as_str()
        .unwrap()
        .to_owned();
    let parts: Vec<&str> = gtid.split('-').collect();
    assert!(parts.len() == 3 && parts[..2] == ["0", "1"], "gtid {gtid}");
    assert!(snapshot["payload"]["source"]["gtid"].is_null());
    // Transaction metadata: the streamed row's place in its transaction, BEGIN and END.
    let block = &streamed["payload"]["transaction"];
    assert_eq!(block["id"], gtid.as_str());
    assert_eq!(block["total_order"], 1);
    assert_eq!(block["data_collection_order"], 1);
    assert!(snapshot["payload"]["transaction"].is_null());
    let markers = broker.read_topic("dbserver1_transaction", 2, Duration::from_secs(30));
    let markers: Vec<Value> = markers
        .iter()
        .map(|m| serde_json::from_slice::<Value>(&m.body).unwrap()["payload"].clone())
        .collect();
    let end = markers
        .iter()
        .find(|m| m["status"] == "END")
        .expect("an END record");
    assert!(
        markers
            .iter()
            .any(|m| m["status"] == "BEGIN" && m["id"] == gtid.as_str())
    );
    assert_eq!(end["id"], gtid.as_str());
    assert_eq!(end["event_count"], 1);
    assert_eq!(
        end["data_collections"][0]["data_collection"],
        "connect.types"
    );
}

/// Bad configuration and a server that cannot be captured are refused with 400s naming the
/// key or the server setting and the fix; the Java plugin's other classes say they are not in
/// this build.
#[test]
fn validation_names_keys_and_server_settings() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start_with_env(
        DbKind::MariaDb,
        &dir.path().join("db"),
        &[("DB_BINLOG", "off")],
    );
    let worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let bad = cdc_config(
        &db,
        "t",
        json!({"snapshot.mode": "sometimes", "decimal.handling.mode": "float", "table.whitelist": "db.("}),
    );
    let response = worker.post("/connectors/bad", &bad.to_string());
    assert_eq!(response.status, 400, "{}", response.text);
    for key in ["snapshot.mode", "decimal.handling.mode", "table.whitelist"] {
        assert!(
            response.text.contains(key),
            "{key} not named: {}",
            response.text
        );
    }
    let no_binlog = worker.post(
        "/connectors/nobinlog",
        &cdc_config(&db, "t", json!({})).to_string(),
    );
    assert_eq!(no_binlog.status, 400, "{}", no_binlog.text);
    assert!(no_binlog.text.contains("log_bin"), "{}", no_binlog.text);
    assert!(no_binlog.text.contains("--log-bin"), "{}", no_binlog.text);
    let unreachable = cdc_config(&db, "t", json!({"database.port": "1"}));
    let response = worker.post("/connectors/unreachable", &unreachable.to_string());
    assert_eq!(response.status, 400);
    assert!(
        response.text.contains("database.hostname"),
        "{}",
        response.text
    );
    let oracle = json!({
        "connector.class": "org.apache.rocketmq.connect.debezium.oracle.DebeziumOracleConnector",
        "connect.topicname": "t",
    });
    let response = worker.post("/connectors/oracle", &oracle.to_string());
    assert_eq!(response.status, 400);
    assert!(
        response.text.contains("not in this native build"),
        "{}",
        response.text
    );
    // The Java README's misspelt class name is accepted.
    let misspelt = json!({"connector.class": "org.apache.rocketmq.connect.debezium.MySQL.DebeziumMySQLConnector"});
    let response = worker.post("/connectors/misspelt", &misspelt.to_string());
    assert!(!response.text.contains("unknown"), "{}", response.text);
}

/// Starts a new binlog file and purges the ones before it.
fn rotate_and_purge_binlog(db: &Database) {
    let first = db.first_column("SHOW BINARY LOGS")[0].clone();
    db.execute("FLUSH BINARY LOGS");
    // The server keeps a file until its crash-recovery checkpoint is written: purge until
    // the first file is gone.
    eventually(
        "the first binlog file purged",
        Duration::from_secs(30),
        || {
            db.execute("PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 DAY");
            !db.first_column("SHOW BINARY LOGS").contains(&first)
        },
    );
}

/// A binlog purged while the worker was stopped: `when_needed` takes a new snapshot and the
/// topic folds to the table again; `initial` fails, naming `snapshot.mode`.
#[test]
fn purged_binlog_resnapshots_when_needed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), qty INT NOT NULL DEFAULT 0)",
    );
    db.execute("INSERT INTO items VALUES (1, 'a', 1), (2, 'b', 2)");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    // Two connectors on one server need their own replica ids (the server refuses a second
    // replica with the same id) and names.
    let config = |mode: &str, topic: &str, id: &str| {
        cdc_config(
            &db,
            topic,
            json!({"snapshot.mode": mode, "table.include.list": "connect.items",
                   "database.server.id": id, "database.server.name": topic}),
        )
    };
    create(&worker, "strict", &config("initial", "cdc-strict", "5401"));
    create(
        &worker,
        "lenient",
        &config("when_needed", "cdc-lenient", "5402"),
    );
    let expected = table_rows(&db);
    for topic in ["cdc-strict", "cdc-lenient"] {
        broker.read_topic_until(topic, Duration::from_secs(60), |m| fold(m).0 == expected);
    }
    // Let both commit, then stop: no binlog reader holds the files while they are purged.
    eventually("positions committed", Duration::from_secs(30), || {
        ["strict", "lenient"].iter().all(|name| {
            worker.get(&format!("/connectors/{name}/offsets")).body()["offsets"]
                .as_array()
                .is_some_and(|o| !o.is_empty())
        })
    });
    assert!(worker.terminate(Duration::from_secs(20)).success());
    db.execute("INSERT INTO items VALUES (3, 'c', 3)");
    rotate_and_purge_binlog(&db);
    db.execute("UPDATE items SET qty = 20 WHERE id = 2");
    let worker = worker.restart(&[]);
    eventually(
        "strict FAILED naming snapshot.mode",
        Duration::from_secs(60),
        || {
            let status = worker.get("/connectors/strict/status");
            status.text.contains("FAILED") && status.text.contains("snapshot.mode")
        },
    );
    let expected = table_rows(&db);
    let messages = broker.read_topic_until("cdc-lenient", Duration::from_secs(60), |m| {
        fold(m).0 == expected
    });
    assert_eq!(fold(&messages).0, expected);
}

fn snapshot_reads(messages: &[IncomingMessage]) -> usize {
    messages
        .iter()
        .filter(|m| parse(m).op.as_deref() == Some("r"))
        .count()
}

/// A table without a key folded as a multiset of rows: creates and snapshot reads add their
/// `after`, deletes remove their `before`, updates both.
fn fold_keyless(messages: &[IncomingMessage]) -> BTreeMap<(i64, String), i64> {
    let mut rows: BTreeMap<(i64, String), i64> = BTreeMap::new();
    let row = |image: &Value| {
        (
            image["id"].as_i64().unwrap(),
            image["line"].as_str().unwrap_or("").to_owned(),
        )
    };
    for message in messages.iter().filter(|m| !m.body.is_empty()) {
        let payload = &serde_json::from_slice::<Value>(&message.body).unwrap()["payload"];
        if !payload["before"].is_null() {
            *rows.entry(row(&payload["before"])).or_default() -= 1;
        }
        if !payload["after"].is_null() {
            *rows.entry(row(&payload["after"])).or_default() += 1;
        }
    }
    rows.retain(|_, n| *n != 0);
    rows
}

/// A table without a key has nothing to order chunks by: it is read whole in one consistent
/// snapshot, streamed from the server in batches (bounded memory), and the changes made
/// meanwhile follow it. The topic folds to the table's rows; the last row is marked `last`.
#[test]
fn a_table_without_a_key_is_read_in_batches_and_changes_follow() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute("CREATE TABLE logs (id INT NOT NULL, line VARCHAR(64))");
    let values: Vec<String> = (1..=5000).map(|i| format!("({i}, 'line-{i}')")).collect();
    db.execute(&format!("INSERT INTO logs VALUES {}", values.join(",")));
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "keyless",
        &cdc_config(
            &db,
            "cdc-keyless",
            json!({"table.include.list": "connect.logs", "incremental.snapshot.chunk.size": "100"}),
        ),
    );
    db.execute("INSERT INTO logs VALUES (6000, 'during'), (6001, 'during')");
    db.execute("DELETE FROM logs WHERE id <= 10");
    db.execute("UPDATE logs SET line = 'changed' WHERE id = 20");
    let expected: BTreeMap<(i64, String), i64> = db
        .rows("SELECT CAST(id AS CHAR), line FROM logs")
        .into_iter()
        .fold(BTreeMap::new(), |mut rows, r| {
            *rows
                .entry((
                    r[0].as_deref().unwrap().parse().unwrap(),
                    r[1].clone().unwrap_or_default(),
                ))
                .or_default() += 1;
            rows
        });
    let messages = broker.read_topic_until("cdc-keyless", Duration::from_secs(90), |m| {
        fold_keyless(m) == expected
    });
    assert_eq!(fold_keyless(&messages), expected);
    let markers: Vec<String> = messages
        .iter()
        .filter_map(|m| {
            let payload = &serde_json::from_slice::<Value>(&m.body).unwrap()["payload"];
            (payload["op"] == "r").then(|| payload["source"]["snapshot"].to_string())
        })
        .collect();
    assert!(markers.len() > 4900, "{} snapshot rows", markers.len());
    assert_eq!(
        markers.iter().filter(|m| m.contains("last")).count(),
        1,
        "one row ends the snapshot"
    );
    worker.wait_state("keyless", "RUNNING");
    // The task's gauges: the snapshot is over, and a change streamed after it was measured.
    db.execute("INSERT INTO logs VALUES (7000, 'after the snapshot')");
    let series = |name: &str| format!(r#"rocketmq_connect_{name}{{connector="keyless",task="0"}}"#);
    worker.eventually("the CDC gauges", Duration::from_secs(30), || {
        worker.metric(&series("cdc_snapshot_running")) == Some(0.0)
            && worker
                .metric(&series("cdc_milliseconds_behind_source"))
                // Measured when the change was read: seconds, not the time since the snapshot.
                .is_some_and(|behind| (0.0..60_000.0).contains(&behind))
    });
}

/// A table without a `PRIMARY KEY` whose first unique index has only NOT NULL columns has
/// that index as its primary key on the server, and the binlog's table maps say so: snapshot
/// rows and streamed changes are keyed by it alike, in its column order.
#[test]
fn a_promoted_unique_index_keys_the_snapshot_and_the_stream_alike() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute(
        "CREATE TABLE promo (a INT NULL, b INT NOT NULL, c VARCHAR(10) NOT NULL, \
         UNIQUE KEY ua (a), UNIQUE KEY ubc (c, b))",
    );
    db.execute("INSERT INTO promo VALUES (1, 2, 'read')");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "promo",
        &cdc_config(
            &db,
            "cdc-promo",
            json!({"table.include.list": "connect.promo"}),
        ),
    );
    worker.wait_state("promo", "RUNNING");
    db.execute("INSERT INTO promo VALUES (NULL, 3, 'created')");
    let messages = broker.read_topic_until("cdc-promo", Duration::from_secs(60), |m| {
        ["r", "c"]
            .iter()
            .all(|op| m.iter().map(parse).any(|c| c.op.as_deref() == Some(op)))
    });
    for message in messages.iter().map(parse) {
        let (fields, key) = key_of(Some(&message.key));
        assert_eq!(fields, ["c", "b"], "{:?}", message.op);
        let expected = match message.op.as_deref() {
            Some("r") => json!({"c": "read", "b": 2}),
            _ => json!({"c": "created", "b": 3}),
        };
        assert_eq!(key, expected, "{:?}", message.op);
    }
}

/// Positioned by GTID, a connector stopped while its binlog file was rotated and purged —
/// with nothing unread in it — resumes streaming in the next file: no new snapshot, even
/// under `snapshot.mode=initial`.
#[test]
fn gtids_resume_past_a_purged_file_with_nothing_unread() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), qty INT NOT NULL)");
    db.execute("INSERT INTO items VALUES (1, 'a', 1), (2, 'b', 2)");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    let config = cdc_config(
        &db,
        "cdc-gtid",
        json!({"snapshot.mode": "initial", "table.include.list": "connect.items"}),
    );
    create(&worker, "gtid", &config);
    db.execute("UPDATE items SET qty = 10 WHERE id = 1");
    let expected = table_rows(&db);
    broker.read_topic_until("cdc-gtid", Duration::from_secs(60), |m| {
        fold(m).0 == expected
    });
    eventually(
        "the update's position committed",
        Duration::from_secs(30),
        || {
            worker
                .get("/connectors/gtid/offsets")
                .text
                .contains("gtids")
        },
    );
    assert!(worker.terminate(Duration::from_secs(20)).success());
    rotate_and_purge_binlog(&db);
    db.execute("INSERT INTO items VALUES (3, 'c', 3)");
    db.execute("DELETE FROM items WHERE id = 2");
    let worker = worker.restart(&[]);
    let expected = table_rows(&db);
    let messages = broker.read_topic_until("cdc-gtid", Duration::from_secs(60), |m| {
        fold(m).0 == expected
    });
    assert_eq!(fold(&messages).0, expected);
    assert_eq!(snapshot_reads(&messages), 2, "no second snapshot");
    let status = worker.get("/connectors/gtid/status");
    assert!(!status.text.contains("FAILED"), "{}", status.text);
}

/// A failover: the connector read the primary, the worker stopped, the primary took more
/// writes and died; its replica (other binlog files and positions, the same GTIDs) becomes the
/// primary and the connector is pointed at it. It resumes after the last GTID it sent: the
/// writes it had not read arrive from the replica's binlog, then the replica's own writes,
/// with no new snapshot.
#[test]
fn failover_to_a_replica_resumes_by_gtid() {
    let dir = tempfile::tempdir().unwrap();
    let primary = Database::start(DbKind::MariaDb, &dir.path().join("primary"));
    let replica = Database::start_with_env(
        DbKind::MariaDb,
        &dir.path().join("replica"),
        &[("DB_SERVER_ID", "2")],
    );
    let primary_pos = primary.first_column("SELECT @@GLOBAL.gtid_binlog_pos")[0].clone();
    // The replica's files are its own: what it replicates lands in binlog.000003, at other
    // positions than on the primary (whose file/position would mean nothing here).
    replica.execute("FLUSH BINARY LOGS;\nFLUSH BINARY LOGS");
    replica.execute(&format!(
        "SET GLOBAL gtid_slave_pos = '{primary_pos}';\n\
         CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {}, MASTER_USER = 'connect', \
         MASTER_PASSWORD = 'connect', MASTER_USE_GTID = slave_pos;\n\
         START SLAVE",
        primary.port()
    ));
    primary.execute("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), qty INT NOT NULL)");
    primary.execute("INSERT INTO items VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    let config = |db: &Database| {
        cdc_config(
            db,
            "cdc-failover",
            json!({"snapshot.mode": "initial", "table.include.list": "connect.items"}),
        )
    };
    create(&worker, "failover", &config(&primary));
    random_writes_on(&primary.url, "items", 40, 60, 7);
    let expected = table_rows(&primary);
    let before = broker.read_topic_until("cdc-failover", Duration::from_secs(60), |m| {
        fold(m).0 == expected
    });
    eventually("positions committed", Duration::from_secs(30), || {
        worker
            .get("/connectors/failover/offsets")
            .text
            .contains("gtids")
    });
    assert!(worker.terminate(Duration::from_secs(20)).success());
    // Writes the connector has not read, then the primary dies once the replica has them.
    random_writes_on(&primary.url, "items", 40, 60, 8);
    let last = primary.first_column("SELECT @@GLOBAL.gtid_binlog_pos")[0].clone();
    eventually("the replica caught up", Duration::from_secs(30), || {
        replica.first_column("SELECT @@GLOBAL.gtid_slave_pos")[0] == last
    });
    primary.kill();
    replica.execute("STOP SLAVE");
    let worker = worker.restart(&[]);
    let response = worker.put("/connectors/failover/config", &config(&replica).to_string());
    assert!(response.status < 300, "{}", response.text);
    random_writes_on(&replica.url, "items", 40, 30, 9);
    let expected = table_rows(&replica);
    let messages = broker.read_topic_until("cdc-failover", Duration::from_secs(90), |m| {
        fold(m).0 == expected
    });
    assert_eq!(fold(&messages).0, expected);
    assert_eq!(
        snapshot_reads(&messages),
        snapshot_reads(&before),
        "no second snapshot"
    );
}

/// The Java README's configuration end to end: MariaDB → CDC (ExtractNewRecordState with
/// `delete.handling.mode=none` and `add.headers=op,source.db,source.table`, JSON converters) →
/// RocketMQ → the JDBC sink (table from the `__source_table` header, upserts, deletes) →
/// PostgreSQL. Inserts, updates and deletes, before and after the snapshot, mirror the table,
/// Debezium's time types landing in DATE/TIMESTAMP columns.
#[test]
fn java_readme_config_mirrors_mariadb_into_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let maria = Database::start(DbKind::MariaDb, &dir.path().join("maria"));
    let pg = Database::start(DbKind::Postgres, &dir.path().join("pg"));
    maria.execute(
        "CREATE TABLE employee (id INT PRIMARY KEY, name VARCHAR(64), howold INT, \
         salary DECIMAL(10,2), born DATE, begin_time DATETIME(3), modify_time TIMESTAMP NULL)",
    );
    maria.execute(
        "INSERT INTO employee VALUES (1, 'ann', 30, 1000.50, '1994-05-06', '2022-06-14 11:57:51.123', '2022-06-14 11:57:51'), \
         (2, 'bob', 40, NULL, NULL, NULL, NULL), (3, 'cid', 50, 3.25, '2000-01-01', '2000-01-01 00:00:00', '2000-01-01 00:00:00')",
    );
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    let topic = "debezium-MySQL-source-topic";
    // The sink first, reading from the first offset: a group created after the snapshot was
    // sent would otherwise start at the queues' end and never see it.
    let mut sink = pg.connection();
    for (k, v) in json!({
        "connector.class": "org.apache.rocketmq.connect.jdbc.connector.JdbcSinkConnector",
        "max.tasks": "1", "connect.topicnames": topic, "table.name.from.header": "true",
        "insert.mode": "upsert", "pk.mode": "record_key", "delete.enabled": "true",
        "auto.create": "true", "consume.from.where": "CONSUME_FROM_FIRST_OFFSET",
        "key.converter": JSON, "value.converter": JSON,
    })
    .as_object()
    .unwrap()
    {
        sink[k] = v.clone();
    }
    create(&worker, "employee-sink", &sink);
    create(
        &worker,
        "employee-cdc",
        &cdc_config(
            &maria,
            topic,
            json!({
                "table.include.list": "connect.employee", "snapshot.mode": "when_needed",
                "max.batch.size": "50", "kafka.transforms": "Unwrap",
                "kafka.transforms.Unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
                "kafka.transforms.Unwrap.delete.handling.mode": "none",
                "kafka.transforms.Unwrap.add.headers": "op,source.db,source.table",
            }),
        ),
    );
    let mirror =
        |db: &Database, cast: &str| db.rows(&format!("SELECT {cast} FROM employee ORDER BY id"));
    let maria_text = "CAST(id AS CHAR), name, CAST(howold AS CHAR), CAST(salary AS CHAR), \
        CAST(born AS CHAR), DATE_FORMAT(begin_time, '%Y-%m-%d %H:%i:%s.%f'), \
        DATE_FORMAT(modify_time, '%Y-%m-%d %H:%i:%s')";
    let pg_text = "id::text, name, howold::text, salary::text, born::text, \
        to_char(begin_time, 'YYYY-MM-DD HH24:MI:SS.US'), to_char(modify_time, 'YYYY-MM-DD HH24:MI:SS')";
    let same = || {
        pg.count("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'employee'")
            == 1
            && mirror(&maria, maria_text) == mirror(&pg, pg_text)
    };
    worker.eventually("the snapshot mirrored", Duration::from_secs(60), same);
    maria.execute("INSERT INTO employee VALUES (4, 'dan', 22, 7.5, '2001-02-03', '2021-01-01 10:00:00.5', '2021-01-01 10:00:00')");
    maria.execute("UPDATE employee SET name = 'ANN', salary = 2000 WHERE id = 1");
    maria.execute("DELETE FROM employee WHERE id = 2");
    maria.execute("START TRANSACTION;\nUPDATE employee SET howold = howold + 1;\nDELETE FROM employee WHERE id = 3;\nCOMMIT");
    worker.eventually("the changes mirrored", Duration::from_secs(60), same);
    assert_eq!(pg.count("SELECT COUNT(*) FROM employee"), 2);
}

/// DDL while the connector is behind: rows written before and after ADD / DROP / RENAME /
/// MODIFY COLUMN are replayed from the binlog after all of them ran, and each event still has
/// the columns its row was written with (the layout comes from the binlog, not from today's
/// catalog).
#[test]
fn ddl_while_lagging_keeps_each_event_in_its_own_layout() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute("CREATE TABLE evolving (id INT PRIMARY KEY, a INT, b VARCHAR(10))");
    db.execute("INSERT INTO evolving VALUES (1, 10, 'one')");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "evolving-cdc",
        &cdc_config(
            &db,
            "cdc-evolving",
            json!({"table.include.list": "connect.evolving", "include.schema.changes": "true",
                   "database.server.name": "evolving"}),
        ),
    );
    broker.read_topic("cdc-evolving", 1, Duration::from_secs(60));
    eventually(
        "the snapshot row committed",
        Duration::from_secs(30),
        || {
            worker.get("/connectors/evolving-cdc/offsets").body()["offsets"]
                .as_array()
                .is_some_and(|o| !o.is_empty())
        },
    );
    assert!(worker.terminate(Duration::from_secs(20)).success());
    db.execute("INSERT INTO evolving VALUES (2, 20, 'two')");
    db.execute("ALTER TABLE evolving ADD COLUMN c DATE");
    db.execute("INSERT INTO evolving VALUES (3, 30, 'three', '2024-01-02')");
    db.execute("ALTER TABLE evolving DROP COLUMN a");
    db.execute("INSERT INTO evolving VALUES (4, 'four', '2024-01-03')");
    db.execute("ALTER TABLE evolving CHANGE COLUMN b bb VARCHAR(20)");
    db.execute("UPDATE evolving SET bb = 'FOUR' WHERE id = 4");
    db.execute("ALTER TABLE evolving MODIFY COLUMN c DATETIME");
    db.execute("INSERT INTO evolving VALUES (5, 'five', '2024-01-04 05:06:07')");
    let worker = worker.restart(&[]);
    let messages = broker.read_topic("cdc-evolving", 6, Duration::from_secs(60));
    let mut afters: Vec<Value> = messages
        .iter()
        .map(|m| serde_json::from_slice::<Value>(&m.body).unwrap()["payload"]["after"].clone())
        .collect();
    // Keys spread over queues: order by key (stable, so one key's events keep their order).
    afters.sort_by_key(|after| after["id"].as_i64());
    let expected = [
        json!({"id": 1, "a": 10, "b": "one"}),
        json!({"id": 2, "a": 20, "b": "two"}),
        json!({"id": 3, "a": 30, "b": "three", "c": 19724}),
        json!({"id": 4, "b": "four", "c": 19725}),
        json!({"id": 4, "bb": "FOUR", "c": 19725}),
        json!({"id": 5, "bb": "five", "c": 1_704_344_767_000_i64}),
    ];
    assert_eq!(afters, expected);
    // The DDL itself, on the <server> topic (not connect.topicname), in binlog order.
    let changes = broker.read_topic("evolving", 4, Duration::from_secs(60));
    let ddl: Vec<String> = changes
        .iter()
        .map(|m| {
            let value: Value = serde_json::from_slice(&m.body).unwrap();
            assert_eq!(value["payload"]["databaseName"], "connect");
            assert_eq!(
                value["schema"]["name"],
                "io.debezium.connector.mysql.SchemaChangeValue"
            );
            value["payload"]["ddl"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ddl.len(), 4, "{ddl:?}");
    assert!(
        ddl.iter().any(|d| d.contains("ADD COLUMN c DATE")),
        "{ddl:?}"
    );
    assert!(ddl.iter().any(|d| d.contains("DROP COLUMN a")), "{ddl:?}");
    // tableChanges: each statement altered `evolving`. Replayed while lagging, the first three
    // were followed by more DDL on the table, so the layout right after them is unknown and
    // left out; the last one's is the table as it is.
    let table_changes: BTreeMap<String, Value> = changes
        .iter()
        .map(|m| {
            let value: Value = serde_json::from_slice(&m.body).unwrap();
            let payload = &value["payload"];
            (
                payload["ddl"].as_str().unwrap().to_owned(),
                payload["tableChanges"].clone(),
            )
        })
        .collect();
    for (statement, changes) in &table_changes {
        assert_eq!(changes[0]["type"], "ALTER", "{statement}");
        assert_eq!(changes[0]["id"], "\"connect\".\"evolving\"", "{statement}");
        if statement.contains("MODIFY COLUMN c DATETIME") {
            let table = &changes[0]["table"];
            assert_eq!(table["primaryKeyColumnNames"], json!(["id"]));
            assert_eq!(table["defaultCharsetName"], "utf8mb4");
            let columns: Vec<(String, String, i64, Value, bool)> = table["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap().to_owned(),
                        c["typeName"].as_str().unwrap().to_owned(),
                        c["jdbcType"].as_i64().unwrap(),
                        c["length"].clone(),
                        c["optional"].as_bool().unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                columns,
                [
                    ("id".into(), "INT".into(), 4, json!(11), false),
                    ("bb".into(), "VARCHAR".into(), 12, json!(20), true),
                    ("c".into(), "DATETIME".into(), 93, Value::Null, true),
                ]
            );
        } else {
            assert!(changes[0]["table"].is_null(), "{statement}: {changes}");
        }
    }
    drop(worker);
}

/// Ad-hoc snapshots from the signal table (`signal.data.collection`, the Java plugin's
/// `execute-snapshot` body): a connector that started with no data snapshot reads the table
/// in chunks while a writer changes it, and the topic folds to the table; rows are marked
/// `incremental`. A `stop-snapshot` right behind an `execute-snapshot` sends no snapshot rows.
/// The same signal as a message on `signal.rocketmq.topic` (keyed by the server name) runs a
/// snapshot too. Heartbeats arrive while the connector is idle.
#[test]
fn signal_table_runs_and_stops_incremental_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute(
        "CREATE TABLE debezium_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)",
    );
    db.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), qty INT NOT NULL DEFAULT 0)",
    );
    db.execute(
        "CREATE TABLE other (id INT PRIMARY KEY, name VARCHAR(64), qty INT NOT NULL DEFAULT 0)",
    );
    let values: Vec<String> = (1..=3000)
        .map(|i| format!("({i}, 'row-{i}', {i})"))
        .collect();
    db.execute(&format!("INSERT INTO items VALUES {}", values.join(",")));
    db.execute(&format!("INSERT INTO other VALUES {}", values.join(",")));
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "signalled",
        &cdc_config(
            &db,
            "cdc-signalled",
            json!({"snapshot.mode": "schema_only", "table.include.list": "connect.items,connect.other",
                   "signal.data.collection": "connect.debezium_signal",
                   "heartbeat.interval.ms": "300", "signal.rocketmq.topic": "dbz-signals-001",
                   "incremental.snapshot.chunk.size": "250"}),
        ),
    );
    worker.wait_state("signalled", "RUNNING");
    db.execute(
        "INSERT INTO debezium_signal VALUES ('s1', 'execute-snapshot', '{\"data-collections\": [\"connect.items\"], \"type\": \"incremental\"}')",
    );
    random_writes_on(&db.url, "items", 3000, 200, 5);
    let expected = table_rows(&db);
    let messages = broker.read_topic_until("cdc-signalled", Duration::from_secs(120), |m| {
        fold(m).0 == expected
    });
    assert_eq!(fold(&messages).0, expected);
    let incremental = messages
        .iter()
        .filter(|m| {
            serde_json::from_slice::<Value>(&m.body).unwrap()["payload"]["source"]["snapshot"]
                == "incremental"
        })
        .count();
    assert!(incremental > 2000, "{incremental} incremental rows");
    db.execute(
        "START TRANSACTION;\n\
         INSERT INTO debezium_signal VALUES ('s2', 'execute-snapshot', '{\"data-collections\": [\"connect.other\"], \"type\": \"incremental\"}');\n\
         INSERT INTO debezium_signal VALUES ('s3', 'stop-snapshot', '{\"data-collections\": [\"connect.other\"], \"type\": \"incremental\"}');\n\
         COMMIT",
    );
    db.execute("INSERT INTO other VALUES (5000, 'after-stop', 1)");
    let after = broker.read_topic_until("cdc-signalled", Duration::from_secs(60), |m| {
        m.iter()
            .any(|m| m.body.windows(10).any(|w| w == b"after-stop"))
    });
    let other_rows = after
        .iter()
        .filter(|m| {
            let payload = &serde_json::from_slice::<Value>(&m.body).unwrap()["payload"];
            payload["op"] == "r" && payload["source"]["table"] == "other"
        })
        .count();
    assert_eq!(other_rows, 0, "a stopped snapshot sent rows");
    // The same through the signal topic (the Java plugin's read-only way: no signal table),
    // keyed by the server name, the Java body; a message for another server is ignored.
    let body = br#"{"type":"execute-snapshot","data":{"data-collections":["connect.other"],"type":"INCREMENTAL"}}"#;
    broker.send("dbz-signals-001", "another-server", body);
    broker.send("dbz-signals-001", "dbserver1", body);
    let snapshot_of_other =
        broker.read_topic_until("cdc-signalled", Duration::from_secs(60), |m| {
            m.iter()
                .filter(|m| {
                    let payload = &serde_json::from_slice::<Value>(&m.body).unwrap()["payload"];
                    payload["op"] == "r" && payload["source"]["table"] == "other"
                })
                .count()
                >= 3001
        });
    let other_rows = snapshot_of_other
        .iter()
        .filter(|m| {
            let payload = &serde_json::from_slice::<Value>(&m.body).unwrap()["payload"];
            payload["op"] == "r" && payload["source"]["table"] == "other"
        })
        .count();
    assert_eq!(other_rows, 3001, "one snapshot of every row of other");
    // A signal sent while the worker is stopped is read when it starts (the task keeps how far
    // it read the signal topic in its offsets); the ones already handled are not run again.
    let snapshot_rows = |messages: &[IncomingMessage], table: &str| {
        messages
            .iter()
            .filter(|m| {
                let payload = &serde_json::from_slice::<Value>(&m.body).unwrap()["payload"];
                payload["op"] == "r" && payload["source"]["table"] == table
            })
            .count()
    };
    let items_before = snapshot_rows(&snapshot_of_other, "items");
    eventually(
        "the signal topic's position committed",
        Duration::from_secs(30),
        || {
            worker
                .get("/connectors/signalled/offsets")
                .text
                .contains("signal_offsets")
        },
    );
    assert!(worker.terminate(Duration::from_secs(20)).success());
    let items_body = br#"{"type":"execute-snapshot","data":{"data-collections":["connect.items"],"type":"INCREMENTAL"}}"#;
    broker.send("dbz-signals-001", "dbserver1", items_body);
    let worker = worker.restart(&[]);
    let items_rows = table_rows(&db).len();
    let replayed = broker.read_topic_until("cdc-signalled", Duration::from_secs(90), |m| {
        snapshot_rows(m, "items") >= items_before + items_rows
    });
    assert_eq!(
        snapshot_rows(&replayed, "items"),
        items_before + items_rows,
        "the signal sent while stopped ran once"
    );
    assert_eq!(
        snapshot_rows(&replayed, "other"),
        3001,
        "signals already handled did not run again"
    );
    worker.wait_state("signalled", "RUNNING");
    // While idle, heartbeats on `<prefix>.<server>` made RocketMQ-valid.
    let beats = broker.read_topic("__debezium-heartbeat_dbserver1", 1, Duration::from_secs(30));
    let beat: Value = serde_json::from_slice(&beats[0].body).unwrap();
    assert_eq!(
        beat["schema"]["name"],
        "io.debezium.connector.common.Heartbeat"
    );
    assert!(beat["payload"]["ts_ms"].as_i64().unwrap() > 0);
    assert!(beats[0].keys.as_deref().unwrap().contains("dbserver1"));
}

/// kill -9 while a 60,000-row transaction streams: the restart resumes inside the transaction
/// (Debezium's `event`/`row` skip counts) — every row arrives, the ones after the last commit at
/// most twice.
#[test]
fn kill9_inside_a_large_transaction_resumes_at_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), qty INT NOT NULL DEFAULT 0)",
    );
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "txn-cdc",
        &cdc_config(
            &db,
            "cdc-txn",
            json!({"snapshot.mode": "schema_only", "table.include.list": "connect.items",
                   "max.batch.size": "500", "max.queue.size": "1000"}),
        ),
    );
    worker.wait_state("txn-cdc", "RUNNING");
    db.execute("INSERT INTO items SELECT seq, CONCAT('row-', seq), seq FROM seq_1_to_60000");
    eventually(
        "a committed position inside the transaction",
        Duration::from_secs(120),
        || {
            let offsets = worker.get("/connectors/txn-cdc/offsets").body().clone();
            let offset = &offsets["offsets"][0]["offset"];
            offset["event"].as_i64().unwrap_or(0) > 0 || offset["row"].as_i64().unwrap_or(0) > 0
        },
    );
    let inside = worker.get("/connectors/txn-cdc/offsets").text;
    worker.kill9();
    let worker = worker.restart(&[]);
    worker.wait_state("txn-cdc", "RUNNING");
    let expected = table_rows(&db);
    let messages = broker.read_topic_until("cdc-txn", Duration::from_secs(180), |m| {
        m.len() >= expected.len() && fold(m).0 == expected
    });
    let (folded, duplicates) = fold(&messages);
    assert_eq!(folded, expected, "killed at {inside}");
    println!(
        "{} messages, {duplicates} duplicates after kill -9 at {inside}",
        messages.len()
    );
    assert!(duplicates < 20_000, "{duplicates} duplicates");
}

/// A binlog value the decoding library cannot read (a negative TIME(2) with a fraction) fails
/// the task with the cause in its status — no silent wrong value, no "reader stopped" retried
/// forever — and the worker and its REST API stay up.
#[test]
fn an_undecodable_binlog_value_fails_the_task_naming_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute("CREATE TABLE times (id INT PRIMARY KEY, t TIME(2))");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "times-cdc",
        &cdc_config(
            &db,
            "cdc-times",
            json!({"snapshot.mode": "schema_only", "table.include.list": "connect.times"}),
        ),
    );
    worker.wait_state("times-cdc", "RUNNING");
    db.execute("INSERT INTO times VALUES (1, '-00:00:01.50')");
    eventually(
        "the task FAILED naming the decoder",
        Duration::from_secs(60),
        || {
            let status = worker.get("/connectors/times-cdc/status");
            status.text.contains("FAILED") && status.text.contains("binlog decoder")
        },
    );
    assert_eq!(worker.get("/connectors").status, 200);
}

/// A session that writes partial row images (`binlog_row_image=MINIMAL`) fails the task with
/// the table, the position and the fix — values are never shifted into other columns — and
/// the worker stays up.
#[test]
fn a_partial_row_image_fails_the_task_naming_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(20), age INT)");
    db.execute("INSERT INTO people VALUES (1, 'ada', 36)");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "people-cdc",
        &cdc_config(
            &db,
            "cdc-people",
            json!({"snapshot.mode": "schema_only", "table.include.list": "connect.people"}),
        ),
    );
    worker.wait_state("people-cdc", "RUNNING");
    db.execute(
        "SET SESSION binlog_row_image = 'MINIMAL';\nUPDATE people SET age = 37 WHERE id = 1",
    );
    eventually(
        "the task FAILED naming binlog_row_image",
        Duration::from_secs(60),
        || {
            let status = worker.get("/connectors/people-cdc/status");
            status.text.contains("FAILED")
                && status.text.contains("connect.people")
                && status.text.contains("binlog_row_image=FULL")
        },
    );
    assert_eq!(worker.get("/connectors").status, 200);
}

/// MariaDB killed (-9) while the connector streams: the task shows the outage as a retriable
/// trouble in its RUNNING status, reconnects from its last position when the server is back, and
/// the topic still folds to the table.
#[test]
fn the_database_killed_mid_stream_is_retried_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("db"));
    db.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), qty INT NOT NULL DEFAULT 0)",
    );
    db.execute("INSERT INTO items SELECT seq, CONCAT('row-', seq), seq FROM seq_1_to_500");
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let extra = [("namesrvAddr", broker.namesrv_addr.as_str())];
    let worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    create(
        &worker,
        "outage-cdc",
        &cdc_config(
            &db,
            "cdc-outage",
            json!({"table.include.list": "connect.items"}),
        ),
    );
    // The kill must land while the task streams, not before it has connected (a start that
    // fails is a restart, not the retriable trouble this test is about).
    worker.wait_state("outage-cdc", "RUNNING");
    let snapshot =
        broker.read_topic_until("cdc-outage", Duration::from_secs(120), |m| m.len() >= 500);
    assert!(
        snapshot.len() >= 500,
        "{} snapshot rows; the worker's warnings:\n{}",
        snapshot.len(),
        worker.warnings()
    );
    random_writes_on(&db.url, "items", 600, 100, 3);
    db.kill();
    worker.eventually(
        "the outage shown in the status",
        Duration::from_secs(60),
        || {
            let status = worker.get("/connectors/outage-cdc/status");
            status.text.contains("RUNNING") && status.text.contains("retrying")
        },
    );
    db.restart();
    random_writes_on(&db.url, "items", 600, 100, 4);
    let expected = table_rows(&db);
    let messages = broker.read_topic_until("cdc-outage", Duration::from_secs(120), |m| {
        fold(m).0 == expected
    });
    assert_eq!(
        fold(&messages).0,
        expected,
        "{} messages read; the worker's warnings:\n{}",
        messages.len(),
        worker.warnings()
    );
    worker.wait_state("outage-cdc", "RUNNING");
}
