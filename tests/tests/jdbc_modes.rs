//! The JDBC source task driven directly (no broker) against a real PostgreSQL server and a
//! SQLite file: every mode reads what is new exactly once, timestamp modes pick up updates,
//! and a task restarted from committed positions resumes where it stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_api::{
    Config, ConnectRecord, OffsetStorageReader, RecordOffset, RecordPartition, SourceTask,
    SourceTaskContext, TaskInfo, Value,
};
use connect_jdbc::JdbcSourceTask;
use connect_tests::db::{Database, DbKind};

/// Committed positions, as the runtime's offset store would hold them.
#[derive(Debug, Default, Clone)]
struct Offsets(Arc<Mutex<HashMap<RecordPartition, RecordOffset>>>);

impl OffsetStorageReader for Offsets {
    fn read_offset(&self, partition: &RecordPartition) -> Option<RecordOffset> {
        self.0.lock().unwrap().get(partition).cloned()
    }
}

impl Offsets {
    fn commit(&self, records: &[ConnectRecord]) {
        let mut map = self.0.lock().unwrap();
        for r in records {
            map.insert(r.position.partition.clone(), r.position.offset.clone());
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn config(db: &Database, pairs: &[(&str, &str)]) -> Config {
    let mut config = Config::new()
        .with("connection.url", db.jdbc_url())
        .with("connection.user", "connect")
        .with("connection.password", "connect")
        .with("poll.interval.ms", "100")
        .with("connect.topicname", "t");
    for (k, v) in pairs {
        config.put(*k, *v);
    }
    config
}

async fn started(config: &Config, offsets: &Offsets) -> JdbcSourceTask {
    let mut task = JdbcSourceTask::default();
    let context = SourceTaskContext {
        info: TaskInfo {
            connector_name: "modes".into(),
            task_id: 0,
            configs: config.clone(),
        },
        offsets: Arc::new(offsets.clone()),
        topics: None,
        gauges: None,
    };
    task.start(config.clone(), context).await.unwrap();
    task
}

/// Polls until `want` records arrived (committing each batch, as the runtime would); more
/// than `want` fails. "Nothing more" is shown by the caller with a sentinel: a change made
/// afterwards that must be the very next record — a re-read would come before it.
async fn read(task: &mut JdbcSourceTask, offsets: &Offsets, want: usize) -> Vec<ConnectRecord> {
    let mut records = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while records.len() < want {
        assert!(
            Instant::now() < deadline,
            "only {} of {want} records",
            records.len()
        );
        let batch = task.poll().await.unwrap();
        offsets.commit(&batch);
        records.extend(batch);
    }
    assert_eq!(
        records.len(),
        want,
        "extra records: {:?}",
        ids(&records[want..])
    );
    records
}

fn ids(records: &[ConnectRecord]) -> Vec<i64> {
    records
        .iter()
        .map(|r| {
            r.value
                .as_struct()
                .unwrap()
                .get("id")
                .and_then(Value::as_i64)
                .unwrap()
        })
        .collect()
}

fn names(records: &[ConnectRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            r.value
                .as_struct()
                .unwrap()
                .get("name")
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn source_modes_read_each_change_once_and_resume_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    for kind in [DbKind::Postgres, DbKind::Sqlite] {
        let db = Database::start(kind, &dir.path().join(format!("{kind:?}")));
        db.execute(
            "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, \
             updated TIMESTAMP NOT NULL)",
        );
        let insert = |from: i64, to: i64, at: &str| {
            let values: Vec<String> = (from..to)
                .map(|i| format!("({i}, 'item-{i}', '{at}')"))
                .collect();
            db.execute(&format!(
                "INSERT INTO items (id, name, updated) VALUES {}",
                values.join(", ")
            ));
        };
        insert(1, 251, "2024-01-01 00:00:00.000001");
        let rt = runtime();

        // incrementing: 250 rows, then only what is new.
        let incrementing = config(
            &db,
            &[
                ("table.whitelist", "items"),
                ("mode", "incrementing"),
                ("incrementing.column.name", "id"),
                ("batch.max.rows", "40"),
            ],
        );
        let offsets = Offsets::default();
        rt.block_on(async {
            let mut task = started(&incrementing, &offsets).await;
            let first = read(&mut task, &offsets, 250).await;
            assert_eq!(ids(&first), (1..251).collect::<Vec<_>>(), "{kind:?}");
            // Records are keyed by the primary key.
            assert_eq!(
                first[0]
                    .key
                    .as_struct()
                    .unwrap()
                    .get("id")
                    .and_then(Value::as_i64),
                Some(1)
            );
            insert(251, 301, "2024-01-01 00:00:00.000001");
            let more = read(&mut task, &offsets, 50).await;
            assert_eq!(ids(&more), (251..301).collect::<Vec<_>>());
            task.stop().await.unwrap();
            // A restart from the committed positions reads only what came after.
            insert(301, 311, "2024-01-01 00:00:00.000001");
            let mut task = started(&incrementing, &offsets).await;
            let resumed = read(&mut task, &offsets, 10).await;
            assert_eq!(
                ids(&resumed),
                (301..311).collect::<Vec<_>>(),
                "{kind:?}: restart must resume"
            );
            // Sentinel: the next row is the next record, nothing re-read before it.
            insert(311, 312, "2024-01-01 00:00:00.000001");
            assert_eq!(ids(&read(&mut task, &offsets, 1).await), [311]);
            task.stop().await.unwrap();
        });

        // timestamp+incrementing: rows sharing one microsecond timestamp are all read once;
        // an update (new timestamp) is read again, with its new value.
        let both = config(
            &db,
            &[
                ("table.whitelist", "items"),
                ("mode", "timestamp+incrementing"),
                ("incrementing.column.name", "id"),
                ("timestamp.column.name", "updated"),
            ],
        );
        let offsets = Offsets::default();
        rt.block_on(async {
            let mut task = started(&both, &offsets).await;
            assert_eq!(read(&mut task, &offsets, 311).await.len(), 311);
            db.execute("UPDATE items SET name = 'renamed', updated = '2024-01-02 00:00:00.5' WHERE id IN (7, 8)");
            let updated = read(&mut task, &offsets, 2).await;
            assert_eq!(ids(&updated), [7, 8]);
            assert_eq!(names(&updated), ["renamed", "renamed"]);
            db.execute("UPDATE items SET name = 'sentinel', updated = '2024-01-02 12:00:00' WHERE id = 10");
            assert_eq!(ids(&read(&mut task, &offsets, 1).await), [10]);
            task.stop().await.unwrap();
        });

        // timestamp only: the same update seen once more, nothing else.
        let timestamp = config(
            &db,
            &[
                ("table.whitelist", "items"),
                ("mode", "timestamp"),
                ("timestamp.column.name", "updated"),
                ("timestamp.initial", "1704110400000"),
            ],
        );
        let offsets = Offsets::default();
        rt.block_on(async {
            let mut task = started(&timestamp, &offsets).await;
            let recent = read(&mut task, &offsets, 3).await;
            assert_eq!(
                ids(&recent),
                [7, 8, 10],
                "{kind:?}: timestamp.initial skips older rows"
            );
            db.execute(
                "UPDATE items SET name = 'again', updated = '2024-01-03 00:00:00' WHERE id = 9",
            );
            assert_eq!(names(&read(&mut task, &offsets, 1).await), ["again"]);
            db.execute("UPDATE items SET updated = '2024-01-04 00:00:00' WHERE id = 11");
            assert_eq!(ids(&read(&mut task, &offsets, 1).await), [11]);
            task.stop().await.unwrap();
        });

        // bulk: the whole table each poll; query: a custom query, its own WHERE kept.
        let bulk = config(
            &db,
            &[
                ("table.whitelist", "items"),
                ("mode", "bulk"),
                ("poll.interval.ms", "60000"),
            ],
        );
        let query = config(
            &db,
            &[
                ("mode", "incrementing"),
                ("incrementing.column.name", "id"),
                ("query", "SELECT id, name FROM items WHERE name = 'renamed'"),
                ("topic.prefix", "q-"),
            ],
        );
        rt.block_on(async {
            let offsets = Offsets::default();
            let mut task = started(&bulk, &offsets).await;
            // The whole table, once per poll interval (a minute here).
            assert_eq!(read(&mut task, &offsets, 311).await.len(), 311);
            task.stop().await.unwrap();
            let mut task = started(&query, &offsets).await;
            let renamed = read(&mut task, &offsets, 2).await;
            assert_eq!(ids(&renamed), [7, 8]);
            assert_eq!(renamed[0].topic(), Some("q-"));
            db.execute("UPDATE items SET name = 'renamed' WHERE id = 12");
            assert_eq!(ids(&read(&mut task, &offsets, 1).await), [12]);
            task.stop().await.unwrap();
        });
    }
}

/// The runtime side of a sink context, for a task driven directly.
#[derive(Debug)]
struct NoControl;

impl connect_api::SinkTaskControl for NoControl {
    fn reset_offset(&self, _: &RecordPartition, _: &RecordOffset) {}
    fn pause(&self, _: &[RecordPartition]) {}
    fn resume(&self, _: &[RecordPartition]) {}
    fn assignment(&self) -> std::collections::HashSet<RecordPartition> {
        std::collections::HashSet::new()
    }
}

fn sink_records(from: i64, to: i64, label: &str) -> Vec<ConnectRecord> {
    use connect_api::{SchemaBuilder, Struct};
    let key_schema = SchemaBuilder::struct_()
        .field("id", SchemaBuilder::int64().build())
        .unwrap()
        .build();
    let value_schema = SchemaBuilder::struct_()
        .field("id", SchemaBuilder::int64().build())
        .unwrap()
        .field("name", SchemaBuilder::string().optional().build())
        .unwrap()
        .build();
    (from..to)
        .map(|i| {
            let key = Struct::from_values(key_schema.clone(), vec![Value::Int64(i)]).unwrap();
            let value = Struct::from_values(
                value_schema.clone(),
                vec![Value::Int64(i), Value::String(format!("{label}-{i}"))],
            )
            .unwrap();
            let mut record = ConnectRecord::new(
                RecordPartition::new().with("queueId", 0),
                RecordOffset::new().with("queueOffset", i),
                None,
            )
            .with_key(Some(key_schema.clone()), Value::Struct(key))
            .with_value(Some(value_schema.clone()), Value::Struct(value));
            record.set_topic("people");
            record
        })
        .collect()
}

/// Upsert is idempotent under redelivery; a plain insert of a duplicate key is refused with
/// the record named; a tombstone deletes its row.
#[test]
fn sink_upserts_idempotently_and_names_records_it_cannot_write() {
    use connect_api::{SinkTask, SinkTaskContext};
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::Postgres, &dir.path().join("pg"));
    let sink = |pairs: &[(&str, &str)]| {
        let mut config = config(
            &db,
            &[
                ("auto.create", "true"),
                ("pk.mode", "record_key"),
                ("batch.size", "64"),
            ],
        );
        for (k, v) in pairs {
            config.put(*k, *v);
        }
        config
    };
    let context = |config: &Config| SinkTaskContext {
        info: TaskInfo {
            connector_name: "sink".into(),
            task_id: 0,
            configs: config.clone(),
        },
        control: Arc::new(NoControl),
        reporter: None,
    };
    runtime().block_on(async {
        let upsert = sink(&[("insert.mode", "upsert"), ("delete.enabled", "true")]);
        let mut task = connect_jdbc::JdbcSinkTask::default();
        task.start(upsert.clone(), context(&upsert)).await.unwrap();
        task.put(&sink_records(0, 500, "first")).await.unwrap();
        // Redelivery of the same records, then newer versions of half of them.
        task.put(&sink_records(0, 500, "first")).await.unwrap();
        task.put(&sink_records(250, 500, "second")).await.unwrap();
        assert_eq!(db.count("SELECT COUNT(*) FROM people"), 500);
        assert_eq!(
            db.count("SELECT COUNT(*) FROM people WHERE name LIKE 'second-%'"),
            250
        );
        // A batch with the same key twice: the later one wins.
        let mut twice = sink_records(0, 1, "x");
        twice.extend(sink_records(0, 1, "y"));
        task.put(&twice).await.unwrap();
        assert_eq!(
            db.rows("SELECT name FROM people WHERE id = 0"),
            [[Some("y-0".to_owned())]]
        );
        // A tombstone deletes.
        let mut tombstone = sink_records(5, 6, "gone");
        tombstone[0].value = Value::Null;
        task.put(&tombstone).await.unwrap();
        assert_eq!(db.count("SELECT COUNT(*) FROM people"), 499);
        task.stop().await.unwrap();

        let insert = sink(&[("insert.mode", "insert")]);
        let mut task = connect_jdbc::JdbcSinkTask::default();
        task.start(insert.clone(), context(&insert)).await.unwrap();
        let mut batch = sink_records(1000, 1010, "new");
        batch.extend(sink_records(7, 8, "duplicate"));
        let error = task.put(&batch).await.unwrap_err();
        assert!(!error.is_retriable(), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("\"queueOffset\":7") && message.contains("people_pkey"),
            "{message}"
        );
        // The good records of the batch were written, one by one.
        assert_eq!(db.count("SELECT COUNT(*) FROM people WHERE id >= 1000"), 10);
        task.stop().await.unwrap();
    });
}

/// PostgreSQL killed (-9) under a reading source task: `poll` reports the outage as
/// retriable (the runtime shows it and polls again), and once the server is back the task
/// goes on from the last row it produced — every row once, in order.
#[test]
fn source_resumes_after_the_database_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::Postgres, &dir.path().join("pg"));
    db.execute("CREATE TABLE feed (id BIGINT NOT NULL PRIMARY KEY, body TEXT NOT NULL)");
    let insert = |from: i64, to: i64| {
        db.execute(&format!(
            "INSERT INTO feed SELECT g, 'row ' || g FROM generate_series({from}, {}) g",
            to - 1
        ));
    };
    insert(1, 2001);
    let config = config(
        &db,
        &[
            ("table.whitelist", "feed"),
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("batch.max.rows", "100"),
            ("connection.backoff.ms", "100"),
        ],
    );
    let offsets = Offsets::default();
    runtime().block_on(async {
        let mut task = started(&config, &offsets).await;
        let mut seen = read(&mut task, &offsets, 2000).await;
        db.kill();
        // The next query fails: poll says so, retriably, instead of failing the task.
        let deadline = Instant::now() + Duration::from_secs(30);
        let error = loop {
            assert!(Instant::now() < deadline, "the outage never showed");
            match task.poll().await {
                Ok(batch) => assert!(batch.is_empty(), "rows while the database is down"),
                Err(error) => break error,
            }
        };
        assert!(error.is_retriable(), "{error}");
        db.restart();
        insert(2001, 3001);
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.len() < 3000 {
            assert!(
                Instant::now() < deadline,
                "only {} of 3000 rows",
                seen.len()
            );
            match task.poll().await {
                Ok(batch) => seen.extend(batch),
                // Retries until the pool reconnects are expected; each must be retriable.
                Err(error) => assert!(error.is_retriable(), "{error}"),
            }
        }
        assert_eq!(ids(&seen), (1..3001).collect::<Vec<_>>());
        task.stop().await.unwrap();
    });
}

/// Collects what a sink task reports, as the runtime's dead-letter machinery would receive it.
#[derive(Debug, Default)]
struct Collecting(Mutex<Vec<(i64, String)>>);

#[async_trait::async_trait]
impl connect_api::ErrorRecordReporter for Collecting {
    async fn report(
        &self,
        record: &ConnectRecord,
        error: &connect_api::ConnectError,
    ) -> connect_api::ConnectResult<()> {
        let offset = record.position.offset.get_i64("queueOffset").unwrap();
        self.0.lock().unwrap().push((offset, error.to_string()));
        Ok(())
    }
}

/// A new field reaches an existing table only with `auto.evolve` (else the task stops naming
/// the column); a missing table only with `auto.create`; a value the column refuses goes to the
/// error reporter alone while the rest of its batch is written (MariaDB, strict mode).
#[test]
fn sink_evolves_tables_only_when_allowed_and_reports_refused_records() {
    use connect_api::{SchemaBuilder, SinkTask, SinkTaskContext, Struct};
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::MariaDb, &dir.path().join("mariadb"));
    db.execute("CREATE TABLE people (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(5))");
    let reporter = Arc::new(Collecting::default());
    let start = |pairs: &[(&str, &str)]| {
        let mut config = config(&db, &[("pk.mode", "record_key"), ("insert.mode", "upsert")]);
        for (k, v) in pairs {
            config.put(*k, *v);
        }
        let context = SinkTaskContext {
            info: TaskInfo {
                connector_name: "sink".into(),
                task_id: 0,
                configs: config.clone(),
            },
            control: Arc::new(NoControl),
            reporter: Some(reporter.clone()),
        };
        (config, context)
    };
    // Records with an extra `age` field.
    let with_age = |from: i64, to: i64| -> Vec<ConnectRecord> {
        let schema = SchemaBuilder::struct_()
            .field("id", SchemaBuilder::int64().build())
            .unwrap()
            .field("name", SchemaBuilder::string().optional().build())
            .unwrap()
            .field("age", SchemaBuilder::int32().optional().build())
            .unwrap()
            .build();
        sink_records(from, to, "p")
            .into_iter()
            .map(|mut r| {
                let id = r.key.as_struct().unwrap().get("id").unwrap().clone();
                let value = Struct::from_values(
                    schema.clone(),
                    vec![id, Value::String("p".into()), Value::Int32(30)],
                )
                .unwrap();
                r.value_schema = Some(schema.clone());
                r.value = Value::Struct(value);
                r
            })
            .collect()
    };
    runtime().block_on(async {
        let (config, context) = start(&[]);
        let mut task = connect_jdbc::JdbcSinkTask::default();
        task.start(config, context).await.unwrap();
        let error = task.put(&with_age(0, 3)).await.unwrap_err();
        assert!(error.to_string().contains("no column(s) age"), "{error}");
        let mut other_table = sink_records(0, 1, "x");
        other_table[0].set_topic("nobody");
        let error = task.put(&other_table).await.unwrap_err();
        assert!(error.to_string().contains("auto.create"), "{error}");
        task.stop().await.unwrap();

        let (config, context) = start(&[("auto.evolve", "true")]);
        let mut task = connect_jdbc::JdbcSinkTask::default();
        task.start(config, context).await.unwrap();
        task.put(&with_age(0, 3)).await.unwrap();
        assert_eq!(db.count("SELECT COUNT(*) FROM people WHERE age = 30"), 3);
        // `name` is VARCHAR(5): one name too long, the other records fine.
        let mut batch = sink_records(10, 13, "ok");
        batch[1] = sink_records(11, 12, "much-too-long")[0].clone();
        task.put(&batch).await.unwrap();
        task.stop().await.unwrap();
    });
    assert_eq!(db.count("SELECT COUNT(*) FROM people WHERE id >= 10"), 2);
    let reported = reporter.0.lock().unwrap().clone();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(reported[0].0, 11);
    assert!(reported[0].1.contains("name"), "{reported:?}");
}
