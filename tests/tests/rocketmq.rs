//! Source and sink tasks through a real RocketMQ broker (rocketmq-rust name server + broker
//! on loopback, started for each test).

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

use std::path::Path;
use std::time::Duration;

use connect_tests::{Broker, WorkerProcess, eventually};
use serde_json::json;

const WORKER: &str = env!("CARGO_BIN_EXE_connect-test-worker");

/// A fresh broker and a worker pointed at it.
fn start(dir: &Path) -> (Broker, WorkerProcess) {
    start_with(dir, &[])
}

/// The same, with more worker configuration keys.
fn start_with(dir: &Path, extra: &[(&str, &str)]) -> (Broker, WorkerProcess) {
    let broker = Broker::start(&dir.join("rocketmq"));
    let mut keys = vec![("namesrvAddr", broker.namesrv_addr.as_str())];
    keys.extend_from_slice(extra);
    let worker = WorkerProcess::start(WORKER, dir, &keys, &[]);
    (broker, worker)
}

/// Creates a connector; it must be accepted.
fn create(worker: &WorkerProcess, name: &str, config: &serde_json::Value) {
    let response = worker.post(&format!("/connectors/{name}"), &config.to_string());
    assert_eq!(response.status, 200, "{name}: {:?}", response.body());
}

/// file → topic → file through the broker: every line arrives exactly once.
#[test]
fn file_to_topic_to_file_through_the_broker() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, worker) = start(dir.path());
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    let lines: Vec<String> = (0..3000).map(|i| format!("line-{i:05} ü")).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let source = json!({"connector.class": "FileSourceConnector", "filename": input.display().to_string(),
        "connect.topicname": "e2e-lines", "file.poll.interval.ms": "10"});
    let sink = json!({"connector.class": "FileSinkConnector", "filename": output.display().to_string(),
        "connect.topicnames": "e2e-lines", "consume.from.where": "CONSUME_FROM_FIRST_OFFSET"});
    create(&worker, "src", &source);
    create(&worker, "dst", &sink);
    worker.wait_state("src", "RUNNING");
    worker.wait_state("dst", "RUNNING");
    let read = || {
        std::fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    eventually("3000 lines at the sink", Duration::from_secs(60), || {
        read().len() >= 3000
    });
    let mut got = read();
    got.sort();
    let mut want = lines;
    want.sort();
    assert_eq!(got, want, "every line exactly once");
    eventually(
        "source positions committed",
        Duration::from_secs(30),
        || {
            worker.get("/connectors/src/offsets").body()["offsets"][0]["offset"]["nextPosition"]
                .as_i64()
                .is_some()
        },
    );
}

/// Two keyed verifiable source tasks through the broker into the verifiable sink: nothing
/// missing, nothing duplicated.
#[test]
fn verifiable_sequences_arrive_complete() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, worker) = start(dir.path());
    let report = dir.path().join("report.json");
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "2", "max.messages": "1000",
        "connect.topicname": "e2e-seq", "value.converter": "JsonConverter"});
    let sink = json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "e2e-seq",
        "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
        "report.file": report.display().to_string()});
    create(&worker, "seq-src", &source);
    create(&worker, "seq-dst", &sink);
    let read = || {
        std::fs::read(&report)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    };
    eventually("2000 records at the sink", Duration::from_secs(90), || {
        read().is_some_and(|r| r["unique"] == 2000)
    });
    let report = read().unwrap();
    assert_eq!(report["missing"], 0, "{report}");
    assert_eq!(report["duplicates"], 0, "{report}");
}

/// Reads the verifiable sink's JSON report, if written yet.
fn report(path: &std::path::Path) -> Option<serde_json::Value> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// Keyed records (16 keys per task, 2 tasks) spread over the topic's 4 queues and arrive in
/// per-key order, complete.
#[test]
fn keyed_records_keep_per_key_order_across_four_queues() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, worker) = start(dir.path());
    let path = dir.path().join("report.json");
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "2",
        "max.messages": "3000", "key.count": "16", "batch.size": "500",
        "connect.topicname": "keyed", "value.converter": "JsonConverter"});
    let sink = json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "keyed",
        "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
        "report.file": path.display().to_string()});
    create(&worker, "keyed-src", &source);
    create(&worker, "keyed-dst", &sink);
    eventually("6000 records at the sink", Duration::from_secs(90), || {
        report(&path).is_some_and(|r| r["unique"] == 6000)
    });
    let report = report(&path).unwrap();
    assert_eq!(report["keys"], 32, "{report}");
    assert_eq!(
        report["queues"].as_array().map(Vec::len),
        Some(4),
        "the keys spread over all 4 queues: {report}"
    );
    assert_eq!(report["reordered"], 0, "per-key order: {report}");
    assert_eq!(report["missing"], 0, "{report}");
    assert_eq!(report["duplicates"], 0, "{report}");
}

fn property<'a>(message: &'a connect_tests::IncomingMessage, key: &str) -> &'a str {
    message
        .properties
        .get(key)
        .map_or("<missing>", String::as_str)
}

/// Writes 200 lines to `path`: numbers, with every tenth (3, 13, …) a `bad-<n>` that a Cast
/// to int64 or the JSON converter refuses; returns them.
fn numbers_with_bad_lines(path: &Path) -> Vec<String> {
    let lines: Vec<String> = (0..200)
        .map(|i| {
            if i % 10 == 3 {
                format!("bad-{i}")
            } else {
                i.to_string()
            }
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
    lines
}

/// With `errors.tolerance=all` and a dead-letter topic, bad records land there — with their
/// original bytes and `__connect.errors.*` context — while good records flow: on the source
/// side (a transform rejects the record) and on the sink side (the converter cannot read it).
#[test]
fn bad_records_go_to_the_dead_letter_topic_while_good_ones_flow() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, worker) = start(dir.path());
    let input = dir.path().join("in.txt");
    let lines = numbers_with_bad_lines(&input);
    let good: Vec<String> = lines
        .iter()
        .filter(|l| !l.starts_with("bad"))
        .cloned()
        .collect();
    let bad: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with("bad"))
        .cloned()
        .collect();
    let file = input.display().to_string();
    let (out_source_side, out_sink_side) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    let connectors = [
        // Source side: Cast rejects "bad-…".
        (
            "numbers-src",
            json!({"connector.class": "FileSourceConnector", "filename": file,
            "connect.topicname": "numbers", "value.converter": "StringConverter",
            "transforms": "cast", "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
            "transforms.cast.spec": "int64", "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": "dlq-source",
            "errors.deadletterqueue.context.properties.enable": "true"}),
        ),
        (
            "numbers-dst",
            json!({"connector.class": "FileSinkConnector",
            "filename": out_source_side.display().to_string(), "connect.topicnames": "numbers",
            "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "StringConverter"}),
        ),
        // Sink side: everything is produced, the JSON converter cannot read "bad-…".
        (
            "raw-src",
            json!({"connector.class": "FileSourceConnector", "filename": file,
            "connect.topicname": "raw", "value.converter": "StringConverter"}),
        ),
        (
            "json-dst",
            json!({"connector.class": "FileSinkConnector",
            "filename": out_sink_side.display().to_string(), "connect.topicnames": "raw",
            "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
            "value.converter.schemas.enable": "false", "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": "dlq-sink",
            "errors.deadletterqueue.context.properties.enable": "true"}),
        ),
    ];
    for (name, config) in &connectors {
        create(&worker, name, config);
    }
    let read = |path: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    for path in [&out_source_side, &out_sink_side] {
        eventually("the good lines", Duration::from_secs(60), || {
            read(path).len() >= good.len()
        });
        let mut got = read(path);
        got.sort();
        let mut want = good.clone();
        want.sort();
        assert_eq!(got, want, "{}: exactly the good lines", path.display());
    }

    let letters = broker.read_topic("dlq-source", bad.len(), Duration::from_secs(30));
    let mut bodies: Vec<String> = letters
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    bodies.sort();
    let mut want = bad.clone();
    want.sort();
    assert_eq!(
        bodies, want,
        "every rejected line, once, as the source produced it"
    );
    let letter = &letters[0];
    assert_eq!(property(letter, "__connect.errors.stage"), "TRANSFORMATION");
    assert_eq!(
        property(letter, "__connect.errors.connector.name"),
        "numbers-src"
    );
    assert_eq!(property(letter, "__connect.errors.task.id"), "0");
    assert_eq!(property(letter, "__connect.errors.topic"), "numbers");
    assert!(
        property(letter, "__connect.errors.offset").contains("nextPosition"),
        "{letter:?}"
    );
    assert!(
        property(letter, "__connect.errors.exception.message").contains("bad-"),
        "{letter:?}"
    );

    let letters = broker.read_topic("dlq-sink", bad.len(), Duration::from_secs(30));
    let mut bodies: Vec<String> = letters
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    bodies.sort();
    assert_eq!(
        bodies, want,
        "every unreadable message, once, with its original bytes"
    );
    for letter in &letters {
        assert_eq!(
            property(letter, "__connect.errors.stage"),
            "VALUE_CONVERTER"
        );
        assert_eq!(property(letter, "__connect.errors.topic"), "raw");
        assert_eq!(
            property(letter, "__connect.errors.connector.name"),
            "json-dst"
        );
        assert_eq!(
            property(letter, "__connect.errors.class.name"),
            "JsonConverter"
        );
        let queue: i32 = property(letter, "__connect.errors.partition")
            .parse()
            .unwrap();
        assert!((0..4).contains(&queue), "{letter:?}");
        let _: i64 = property(letter, "__connect.errors.offset").parse().unwrap();
    }
    for name in ["numbers-src", "json-dst"] {
        let (connector, tasks) = worker.states(name);
        assert_eq!(
            (connector.as_str(), tasks),
            ("RUNNING", vec!["RUNNING".to_owned()]),
            "{name}"
        );
    }
}

/// A sink whose put fails retriably (20 times) gets the same records again until it takes
/// them: nothing lost, nothing duplicated.
#[test]
fn sink_retriable_failures_then_recovery_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, worker) = start(dir.path());
    let path = dir.path().join("report.json");
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.messages": "3000",
        "connect.topicname": "flaky", "value.converter": "JsonConverter"});
    let sink = json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "flaky",
        "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
        "put.retriable.failures": "20", "errors.retry.delay.max.ms": "50",
        "report.file": path.display().to_string()});
    create(&worker, "flaky-src", &source);
    create(&worker, "flaky-dst", &sink);
    eventually("3000 records at the sink", Duration::from_secs(90), || {
        report(&path).is_some_and(|r| r["unique"] == 3000)
    });
    let report = report(&path).unwrap();
    assert_eq!(report["missing"], 0, "{report}");
    assert_eq!(report["duplicates"], 0, "{report}");
    let (_, tasks) = worker.states("flaky-dst");
    assert_eq!(tasks, ["RUNNING"]);
    // The task's own log lines carry its identity (the task's span), nothing written by hand.
    let log = worker.log_text();
    let retry = log
        .lines()
        .find(|l| l.contains("put failed; retrying the same batch"))
        .unwrap_or_else(|| panic!("no retry warning in the log:\n{}", worker.warnings()));
    assert!(
        retry.contains("task{connector=flaky-dst task=0}"),
        "{retry}"
    );
}

/// The broker is killed (-9) mid-stream and restarted: the tasks retry meanwhile (their status
/// says so), and afterwards every record arrives.
#[test]
fn broker_killed_and_restarted_mid_stream_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, worker) = start(dir.path());
    let path = dir.path().join("report.json");
    // 20 s of records at 2000/s: the source must still be sending when the broker dies, on a
    // loaded machine too.
    let total = 40_000;
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.messages": total.to_string(),
        "throughput": "2000", "connect.topicname": "outage", "value.converter": "JsonConverter",
        "errors.retry.delay.max.ms": "1000"});
    let sink = json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "outage",
        "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
        "errors.retry.delay.max.ms": "1000", "report.file": path.display().to_string()});
    create(&worker, "outage-src", &source);
    create(&worker, "outage-dst", &sink);
    eventually("records flowing", Duration::from_secs(60), || {
        report(&path).is_some_and(|r| r["unique"].as_u64() > Some(2000))
    });
    broker.kill_broker();
    eventually(
        "the source's status to show the outage",
        Duration::from_secs(30),
        || {
            let status = worker.get("/connectors/outage-src/status");
            let body = status.body();
            body["tasks"][0]["state"] == "RUNNING"
                && body["tasks"][0]["trace"]
                    .as_str()
                    .is_some_and(|t| t.contains("send failed"))
        },
    );
    let during = report(&path).unwrap()["unique"].as_u64().unwrap();
    assert!(
        during < total,
        "the kill should land mid-stream ({during} of {total})"
    );
    broker.restart_broker();
    eventually(
        "every record after the restart",
        Duration::from_secs(180),
        || report(&path).is_some_and(|r| r["unique"] == total),
    );
    let report = report(&path).unwrap();
    assert_eq!(report["missing"], 0, "{report}");
    eprintln!(
        "broker outage: {} duplicates of {total}",
        report["duplicates"]
    );
    eventually("the trouble to clear", Duration::from_secs(30), || {
        worker.get("/connectors/outage-src/status").body()["tasks"][0]["trace"].is_null()
    });
}

/// The worker is killed (-9) mid-stream through the broker and restarted: every record
/// arrives; duplicates are the replay since the last commits, counted and bounded.
#[test]
fn worker_killed_mid_stream_through_the_broker_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, mut worker) = start(dir.path());
    let (path, received) = (
        dir.path().join("report.json"),
        dir.path().join("received.txt"),
    );
    let total = 20_000;
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.messages": total.to_string(),
        "throughput": "4000", "connect.topicname": "crash", "value.converter": "JsonConverter"});
    let sink = json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "crash",
        "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
        "file": received.display().to_string(), "report.file": path.display().to_string()});
    create(&worker, "crash-src", &source);
    create(&worker, "crash-dst", &sink);
    eventually("records flowing", Duration::from_secs(60), || {
        report(&path).is_some_and(|r| r["unique"].as_u64() > Some(4000))
    });
    worker.kill9();
    let before = report(&path).unwrap()["unique"].as_u64().unwrap();
    assert!(
        before < total,
        "the kill should land mid-stream ({before} of {total})"
    );
    let worker = worker.restart(&[]);
    eventually(
        "every record after the restart",
        Duration::from_secs(180),
        || report(&path).is_some_and(|r| r["unique"] == total),
    );
    let report = report(&path).unwrap();
    assert_eq!(report["missing"], 0, "{report}");
    let duplicates = report["duplicates"].as_u64().unwrap();
    eprintln!("worker kill -9: {duplicates} duplicates of {total}");
    // Commits every 200 ms on both sides at 4000 records/s: the replay is a few commit
    // intervals' worth, never the whole stream.
    assert!(duplicates < 8000, "{report}");
    worker.wait_state("crash-dst", "RUNNING");
}

/// A paused sink consumes nothing; resumed, it continues from where it stopped: nothing
/// re-read, nothing skipped.
#[test]
fn paused_sink_holds_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, worker) = start(dir.path());
    let path = dir.path().join("report.json");
    // 20 s of records at 1500/s: the source must still be producing when the pause lands, on
    // a loaded machine too.
    let total = 30_000;
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.messages": total.to_string(),
        "throughput": "1500", "connect.topicname": "held", "value.converter": "JsonConverter"});
    let sink = json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "held",
        "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
        "report.file": path.display().to_string()});
    create(&worker, "held-src", &source);
    create(&worker, "held-dst", &sink);
    eventually("records flowing", Duration::from_secs(60), || {
        report(&path).is_some_and(|r| r["unique"].as_u64() > Some(1000))
    });
    assert_eq!(worker.get("/connectors/held-dst/pause").status, 200);
    worker.wait_state("held-dst", "PAUSED");
    let paused_at = report(&path).unwrap()["received"].clone();
    // The window for this absence is the source's progress, not a clock: wait until it has
    // committed 1500 more records, which a running sink would have consumed by now.
    let produced = || {
        worker.get("/connectors/held-src/offsets").body()["offsets"][0]["offset"]["seq"]
            .as_i64()
            .unwrap_or(0)
    };
    let produced_at_pause = produced();
    eventually(
        "the source to produce 1500 more",
        Duration::from_secs(30),
        || produced() >= produced_at_pause + 1500,
    );
    assert_eq!(
        report(&path).unwrap()["received"],
        paused_at,
        "nothing consumed while paused"
    );
    assert_eq!(worker.get("/connectors/held-dst/resume").status, 200);
    eventually(
        "every record after the resume",
        Duration::from_secs(120),
        || report(&path).is_some_and(|r| r["unique"] == total),
    );
    let report = report(&path).unwrap();
    assert_eq!(report["missing"], 0, "{report}");
    assert_eq!(
        report["duplicates"], 0,
        "resumed where it stopped: {report}"
    );
}

/// A sink connector with two tasks: the consumer group splits the topic's queues between
/// them, and together they receive everything.
#[test]
fn queues_are_shared_between_the_tasks_of_a_sink() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, worker) = start(dir.path());
    let reports = [
        dir.path().join("report-0.json"),
        dir.path().join("report-1.json"),
    ];
    let sink = json!({"connector.class": "VerifiableSinkConnector", "max.tasks": "2",
        "connect.topicnames": "shared", "consume.from.where": "CONSUME_FROM_FIRST_OFFSET",
        "value.converter": "JsonConverter",
        "report.file": dir.path().join("report-${task}.json").display().to_string()});
    create(&worker, "shared-dst", &sink);
    worker.wait_state("shared-dst", "RUNNING");
    let total = 8000;
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.messages": total.to_string(),
        "throughput": "1000", "key.count": "16", "connect.topicname": "shared",
        "value.converter": "JsonConverter"});
    create(&worker, "shared-src", &source);
    let both = || {
        reports
            .iter()
            .map(|p| report(p))
            .collect::<Option<Vec<_>>>()
    };
    let queues_of = |report: &serde_json::Value| -> Vec<String> {
        report["queues"]
            .as_array()
            .map(|q| {
                q.iter()
                    .filter_map(|q| q.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    eventually(
        "both tasks receiving, all 4 queues consumed, everything received",
        Duration::from_secs(120),
        || {
            both().is_some_and(|r| {
                let mut queues: Vec<String> = r.iter().flat_map(queues_of).collect();
                queues.sort();
                queues.dedup();
                r.iter().all(|r| r["unique"].as_u64() > Some(0))
                    && queues.len() == 4
                    && r.iter()
                        .map(|r| r["unique"].as_u64().unwrap_or(0))
                        .sum::<u64>()
                        >= total
            })
        },
    );
}

/// A sink task hands records it cannot take to the runtime's `ErrorRecordReporter`: with
/// `errors.tolerance=all` they land in the dead-letter topic (original bytes, stage TASK_PUT)
/// and the rest flows; with `none` the report fails the task.
#[test]
fn records_a_sink_task_reports_go_to_the_dead_letter_topic() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, worker) = start(dir.path());
    let (tolerant, strict) = (
        dir.path().join("tolerant.json"),
        dir.path().join("strict.json"),
    );
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.messages": "1000",
        "connect.topicname": "reported", "value.converter": "JsonConverter"});
    let sink = |report: &Path, tolerance: &str| {
        json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "reported",
            "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
            "report.failed.every": "100", "errors.tolerance": tolerance, "errors.log.enable": "true",
            "errors.deadletterqueue.topic.name": "dlq-put",
            "errors.deadletterqueue.context.properties.enable": "true",
            "report.file": report.display().to_string()})
    };
    create(&worker, "reported-src", &source);
    create(&worker, "tolerant-dst", &sink(&tolerant, "all"));
    eventually(
        "the tolerant sink to take the rest",
        Duration::from_secs(60),
        || report(&tolerant).is_some_and(|r| r["unique"] == 990 && r["reported"] == 10),
    );
    let letters = broker.read_topic("dlq-put", 10, Duration::from_secs(30));
    assert_eq!(letters.len(), 10, "one letter per reported record");
    for letter in &letters {
        assert_eq!(property(letter, "__connect.errors.stage"), "TASK_PUT");
        assert_eq!(
            property(letter, "__connect.errors.connector.name"),
            "tolerant-dst"
        );
        assert!(
            property(letter, "__connect.errors.exception.message").contains("report.failed.every"),
            "{letter:?}"
        );
        let body: serde_json::Value = serde_json::from_slice(&letter.body).unwrap();
        assert_eq!(
            body["payload"]["seq"].as_i64().unwrap() % 100,
            0,
            "the original message: {body}"
        );
    }
    // The strict sink reads its own DLQ-less copy under another group: its first report fails it.
    let mut strict_config = sink(&strict, "none");
    strict_config["errors.deadletterqueue.topic.name"] = json!("");
    create(&worker, "strict-dst", &strict_config);
    eventually("the strict sink to fail", Duration::from_secs(60), || {
        let status = worker.get("/connectors/strict-dst/status");
        let task = &status.body()["tasks"][0];
        task["state"] == "FAILED"
            && task["trace"]
                .as_str()
                .is_some_and(|t| t.contains("tolerance exceeded"))
    });
}

/// With `autoCreateTopicEnable=false` a source whose topic does not exist keeps retrying and
/// says why in its status, instead of creating the topic or dropping records.
#[test]
fn a_missing_topic_is_reported_when_topics_may_not_be_created() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, worker) = start_with(dir.path(), &[("autoCreateTopicEnable", "false")]);
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.messages": "10",
        "connect.topicname": "never-created", "value.converter": "JsonConverter"});
    create(&worker, "nowhere", &source);
    eventually(
        "the status to name the setting",
        Duration::from_secs(30),
        || {
            let status = worker.get("/connectors/nowhere/status");
            let task = &status.body()["tasks"][0];
            task["state"] == "RUNNING"
                && task["trace"].as_str().is_some_and(|t| {
                    t.contains("never-created") && t.contains("autoCreateTopicEnable=false")
                })
        },
    );
    assert!(
        worker.get("/connectors/nowhere/offsets").body()["offsets"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "nothing was acknowledged"
    );
}

/// The metrics of a pipeline with failures, scraped by a real Prometheus server and queried
/// through its API: the record counters rise by exactly the records moved, the error and
/// dead-letter counters by exactly the records that failed; the exposition is clean under
/// `promtool check metrics`; the topic reporter's messages are on the broker.
#[test]
fn metrics_count_exactly_what_moved_and_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, worker) = start_with(
        dir.path(),
        &[
            ("metrics.topic", "connect-metrics"),
            ("metricsReportIntervalMs", "300"),
            ("openLogMetricReporter", "true"),
        ],
    );
    let prometheus = connect_tests::prometheus::Prometheus::start(
        &dir.path().join("prometheus"),
        worker.base.trim_start_matches("http://"),
    );
    let input = dir.path().join("in.txt");
    let lines = numbers_with_bad_lines(&input);
    let output = dir.path().join("out.txt");
    create(
        &worker,
        "m-src",
        &json!({"connector.class": "FileSourceConnector", "filename": input.display().to_string(),
            "connect.topicname": "m-numbers", "value.converter": "StringConverter",
            "transforms": "cast", "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
            "transforms.cast.spec": "int64", "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": "m-dlq"}),
    );
    create(
        &worker,
        "m-dst",
        &json!({"connector.class": "FileSinkConnector", "filename": output.display().to_string(),
            "connect.topicnames": "m-numbers", "consume.from.where": "CONSUME_FROM_FIRST_OFFSET",
            "value.converter": "StringConverter"}),
    );
    #[allow(clippy::cast_precision_loss, reason = "200 lines")]
    let bad = lines.iter().filter(|l| l.starts_with("bad")).count() as f64;
    #[allow(clippy::cast_precision_loss, reason = "200 lines")]
    let good = lines.len() as f64 - bad;
    // The topic reporter's body: the value as Java's Double.toString writes it.
    let good_text = format!("{good:?}");
    let src = r#"connector="m-src",task="0""#;
    let dst = r#"connector="m-dst",task="0""#;
    let exact = [
        (
            format!("rocketmq_connect_source_record_poll_total{{{src}}}"),
            good + bad,
        ),
        (
            format!("rocketmq_connect_source_record_write_total{{{src}}}"),
            good,
        ),
        (
            format!("rocketmq_connect_record_errors_total{{{src}}}"),
            bad,
        ),
        (
            format!("rocketmq_connect_records_skipped_total{{{src}}}"),
            bad,
        ),
        (
            format!("rocketmq_connect_deadletterqueue_produce_requests_total{{{src}}}"),
            bad,
        ),
        (
            format!("rocketmq_connect_sink_record_read_total{{{dst}}}"),
            good,
        ),
        (
            format!("rocketmq_connect_sink_record_send_total{{{dst}}}"),
            good,
        ),
        (
            format!("rocketmq_connect_record_errors_total{{{dst}}}"),
            0.0,
        ),
        (
            format!("sum(rocketmq_connect_sink_record_lag_messages{{{dst}}})"),
            0.0,
        ),
        ("rocketmq_connect_tasks".to_owned(), 2.0),
        (
            r#"rocketmq_connect_connector_tasks{connector="m-src",state="RUNNING"}"#.to_owned(),
            1.0,
        ),
        (
            r#"rocketmq_connect_status{connector="m-dst",task="0",state="RUNNING"}"#.to_owned(),
            1.0,
        ),
    ];
    for (query, want) in &exact {
        prometheus.wait_for(query, *want);
    }
    // Commits and batch times: at least one each (how many depends on timing).
    for query in [
        format!("rocketmq_connect_offset_commit_success_total{{{src}}} >= 1"),
        format!("rocketmq_connect_offset_commit_success_total{{{dst}}} >= 1"),
        format!("rocketmq_connect_poll_batch_duration_seconds_count{{{src}}} >= 1"),
        format!("rocketmq_connect_put_batch_duration_seconds_count{{{dst}}} >= 1"),
    ] {
        prometheus.wait_for(&format!("count({query})"), 1.0);
    }

    // The exposition itself passes promtool's checks.
    let text = worker.get("/metrics").text;
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut promtool.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // The JSON view under the Kafka / Java names.
    let entries = worker.get("/admin/metrics").body().clone();
    let write = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "source-record-write-total" && e["tags"]["connector"] == "m-src")
        .cloned()
        .unwrap_or_else(|| panic!("no source-record-write-total in {entries}"));
    assert_eq!(write["group"], "source-task-metrics");
    assert_eq!(write["value"], good);
    // Kafka's rates, sampled every 5 s: the source wrote, so its write rate is positive.
    worker.eventually("a write rate", Duration::from_secs(30), || {
        worker
            .get("/admin/metrics")
            .body()
            .as_array()
            .is_some_and(|all| {
                all.iter().any(|e| {
                    e["name"] == "source-record-write-rate"
                        && e["tags"]["connector"] == "m-src"
                        && e["type"] == "Rate"
                        && e["value"].as_f64().is_some_and(|v| v > 0.0)
                })
            })
    });

    // The topic reporter: one message per metric, key = the Java name, body = the value.
    let key = "rocketmq.connect:source-task-metrics,source-record-write-total,none,connector=m-src,task=0";
    let reported =
        broker.read_topic_until("connect-metrics", Duration::from_secs(30), |messages| {
            messages
                .iter()
                .any(|m| m.keys.as_deref() == Some(key) && m.body == good_text.as_bytes())
        });
    assert!(
        reported
            .iter()
            .any(|m| m.keys.as_deref() == Some(key) && m.body == good_text.as_bytes()),
        "no report of {key} = {good_text} among {} messages",
        reported.len()
    );
    assert!(
        worker.log_text().contains("ROCKETMQ_CONNECT_STATS"),
        "the log reporter writes its lines"
    );
    // Seconds later, nothing counted twice: every exact value still holds.
    for (query, want) in &exact {
        assert_eq!(prometheus.value(query), Some(*want), "{query}");
    }
    // A deleted connector leaves the worker's metrics: its statuses, its tasks' cells.
    assert_eq!(worker.delete("/connectors/m-src").status, 200);
    worker.eventually("m-src gone from /metrics", Duration::from_secs(30), || {
        !worker.get("/metrics").text.contains("connector=\"m-src\"")
    });
    assert_eq!(worker.metric("rocketmq_connect_tasks"), Some(1.0));
    assert_eq!(worker.metric("rocketmq_connect_connectors"), Some(1.0));
}

/// Every message carries the id the producer reported for it (the broker copies a batch's
/// own properties onto each message it stores, so a batch id would shadow them), ids are
/// unique, each reported position is where the message is, and a timestamp arrives as the
/// `connect.timestamp` property.
#[test]
fn each_message_keeps_the_id_and_position_reported_for_it() {
    use connect_dataplane::mq::{MqClient, OutgoingMessage};
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let (runtime, client) =
        connect_runtime::rocketmq::RocketMqRuntime::start(&broker.namesrv_addr, true).unwrap();
    // 1,200 messages: three batches on some queues, keyed and unkeyed, one with properties.
    let messages: Vec<OutgoingMessage> = (0..1200)
        .map(|i| OutgoingMessage {
            topic: "ids".to_owned(),
            keys: (i % 2 == 0).then(|| format!("key-{}", i % 7)),
            tags: None,
            body: format!("message {i}").into_bytes().into(),
            timestamp: (i % 3 == 0).then_some(1_700_000_000_000 + i64::from(i)),
            properties: [("connect-ext-n".to_owned(), i.to_string())].into(),
            queue: None,
        })
        .collect();
    let reported = runtime.block_on(async {
        let producer = client.producer("ids-test").await.unwrap();
        producer.send(&messages).await
    });
    let reported: Vec<_> = reported.into_iter().map(Result::unwrap).collect();
    let unique: std::collections::HashSet<String> = reported
        .iter()
        .map(connect_api::SendMetadata::msg_id)
        .collect();
    assert_eq!(unique.len(), messages.len(), "every reported id is unique");
    let stored = broker.read_topic("ids", messages.len(), Duration::from_secs(60));
    assert_eq!(stored.len(), messages.len());
    for message in &stored {
        let n: usize = message.properties["connect-ext-n"].parse().unwrap();
        let sent = &reported[n];
        assert_eq!(message.properties["UNIQ_KEY"], sent.msg_id(), "message {n}");
        assert_eq!(
            (message.queue.queue_id, message.queue_offset),
            (sent.queue_id(), sent.queue_offset()),
            "message {n}"
        );
        assert_eq!(message.body, format!("message {n}").into_bytes());
        assert_eq!(message.keys, messages[n].keys, "message {n}");
        assert_eq!(
            message.properties.get("connect.timestamp"),
            messages[n].timestamp.map(|t| t.to_string()).as_ref(),
            "message {n}"
        );
    }
    runtime.shutdown();
}
