//! Source and sink tasks through a real RocketMQ broker (rocketmq-rust name server + broker
//! on loopback, started for each test).

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

use std::time::Duration;

use connect_tests::{Broker, WorkerProcess, eventually};
use serde_json::json;

const WORKER: &str = env!("CARGO_BIN_EXE_connect-test-worker");

/// file → topic → file through the broker: every line arrives exactly once.
#[test]
fn file_to_topic_to_file_through_the_broker() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let worker = WorkerProcess::start(
        WORKER,
        dir.path(),
        &[("namesrvAddr", &broker.namesrv_addr)],
        &[],
    );
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    let lines: Vec<String> = (0..3000).map(|i| format!("line-{i:05} ü")).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let source = json!({"connector.class": "FileSourceConnector", "filename": input.display().to_string(),
        "connect.topicname": "e2e-lines", "file.poll.interval.ms": "10"});
    let sink = json!({"connector.class": "FileSinkConnector", "filename": output.display().to_string(),
        "connect.topicnames": "e2e-lines", "consume.from.where": "CONSUME_FROM_FIRST_OFFSET"});
    assert_eq!(
        worker.post("/connectors/src", &source.to_string()).status,
        200
    );
    assert_eq!(
        worker.post("/connectors/dst", &sink.to_string()).status,
        200
    );
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
    let broker = Broker::start(&dir.path().join("rocketmq"));
    let worker = WorkerProcess::start(
        WORKER,
        dir.path(),
        &[("namesrvAddr", &broker.namesrv_addr)],
        &[],
    );
    let report = dir.path().join("report.json");
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "2", "max.messages": "1000",
        "connect.topicname": "e2e-seq", "value.converter": "JsonConverter"});
    let sink = json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "e2e-seq",
        "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
        "report.file": report.display().to_string()});
    assert_eq!(
        worker
            .post("/connectors/seq-src", &source.to_string())
            .status,
        200
    );
    assert_eq!(
        worker.post("/connectors/seq-dst", &sink.to_string()).status,
        200
    );
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
