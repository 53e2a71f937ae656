//! Source and sink tasks through the message queue, against the in-memory queue: data
//! arrives byte-identical, keyed records keep their per-key order across queues, a broker
//! outage and sink failures lose nothing, and validation asks for what a sink needs.
//! (The same loops run against a real broker once the RocketMQ client adapter is wired in.)

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use connect_actors::catalog::Catalog;
use connect_actors::controller::messages::PutMode;
use connect_actors::model::State;
use connect_actors::ports::MemoryDocument;
use connect_actors::security::{FileAccess, Limits};
use connect_actors::settings::WorkerSettings;
use connect_actors::system::{Stores, start_standalone};
use connect_actors::{ControllerError, ControllerHandle};
use connect_api::{Config, ConnectorPlugins};
use connect_dataplane::mq::MqClient;
use connect_dataplane::mq::memory::MemoryMq;
use connect_dataplane::mq::routing::queue_for_key;
use connect_dataplane::settings::DataPlaneSettings;

use common::{eventually, wait_state};

fn start(mq: &MemoryMq) -> ControllerHandle {
    let mut plugins = ConnectorPlugins::default();
    plugins.extend(connect_file::plugins());
    plugins.extend(connect_verifiable::plugins());
    let stores = Stores {
        configs: Box::new(MemoryDocument::default()),
        statuses: Box::new(MemoryDocument::default()),
        positions: Box::new(MemoryDocument::default()),
    };
    let settings = WorkerSettings {
        data: DataPlaneSettings {
            offset_commit_interval: Duration::from_millis(100),
            ..DataPlaneSettings::default()
        },
        stop_timeout: Duration::from_secs(2),
        // In-process tests: files anywhere under the temporary directory, fault switches on.
        files: FileAccess::new(&[std::env::temp_dir()], &[]),
        limits: Limits {
            test_plugins: true,
            ..Limits::default()
        },
        ..WorkerSettings::default()
    };
    start_standalone(
        settings,
        Catalog::new(plugins),
        stores,
        Some(Arc::new(mq.clone()) as Arc<dyn MqClient>),
    )
    .unwrap()
}

fn file_source(input: &Path, topic: &str) -> Config {
    Config::new()
        .with("connector.class", "FileSourceConnector")
        .with("filename", input.display())
        .with("connect.topicname", topic)
        .with("file.poll.interval.ms", "10")
}

fn file_sink(output: &Path, topic: &str) -> Config {
    Config::new()
        .with("connector.class", "FileSinkConnector")
        .with("filename", output.display())
        .with("connect.topicnames", topic)
        .with("consume.from.where", "CONSUME_FROM_FIRST_OFFSET")
}

/// file → topic → file, byte-identical (UTF-8 and non-UTF-8 lines, via the ByteArray-safe
/// default String converter for text and bytes converter for binary lines).
#[actix_rt::test]
async fn file_to_topic_to_file() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    let text: String = (0..500).map(|i| format!("line {i} é\n")).collect();
    std::fs::write(&input, &text).unwrap();
    let mq = MemoryMq::new();
    let handle = start(&mq);
    handle
        .put_connector("src", file_source(&input, "lines"), PutMode::CreateOrUpdate)
        .await
        .unwrap();
    handle
        .put_connector("dst", file_sink(&output, "lines"), PutMode::CreateOrUpdate)
        .await
        .unwrap();
    wait_state(&handle, "src", State::Running).await;
    wait_state(&handle, "dst", State::Running).await;
    eventually("all lines copied", || {
        std::fs::read_to_string(&output)
            .map(|o| o.len())
            .unwrap_or(0)
            == text.len()
    })
    .await;
    let mut got: Vec<String> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut want: Vec<String> = text.lines().map(str::to_owned).collect();
    // Unkeyed lines spread over 4 queues: all arrive, exactly once (order only per queue).
    got.sort();
    want.sort();
    assert_eq!(got, want);
    // The sink committed its group's offsets for everything.
    eventually("offsets committed", || {
        mq.committed("connect-dst").values().sum::<i64>() == 500
    })
    .await;
}

/// Keyed records go to the queue of their key, so each key's records arrive in order.
#[actix_rt::test]
async fn keyed_records_keep_per_key_order() {
    let mq = MemoryMq::new();
    let handle = start(&mq);
    let config = Config::new()
        .with("connector.class", "VerifiableSourceConnector")
        .with("max.tasks", "4")
        .with("max.messages", "200")
        .with("connect.topicname", "seq")
        .with("value.converter", "JsonConverter");
    handle
        .put_connector("seq", config, PutMode::CreateOrUpdate)
        .await
        .unwrap();
    eventually("800 records produced", || {
        mq.messages("seq").iter().map(Vec::len).sum::<usize>() == 800
    })
    .await;
    for (queue_id, queue) in mq.messages("seq").iter().enumerate() {
        let mut last: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for message in queue {
            let key = message.keys.clone().unwrap();
            assert_eq!(
                queue_for_key(&key, 4) as usize,
                queue_id,
                "key {key} in the wrong queue"
            );
            let value: serde_json::Value = serde_json::from_slice(&message.body).unwrap();
            let seq = value["payload"]["seq"].as_i64().unwrap();
            if let Some(previous) = last.insert(key.clone(), seq) {
                assert!(seq > previous, "key {key}: {seq} after {previous}");
            }
        }
    }
}

/// A broker outage mid-stream: tasks retry, and afterwards the sink has every record exactly
/// as the verifiable report counts them — nothing missing.
#[actix_rt::test]
async fn broker_outage_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mq = MemoryMq::new();
    let handle = start(&mq);
    let source = Config::new()
        .with("connector.class", "VerifiableSourceConnector")
        .with("max.tasks", "2")
        .with("max.messages", "3000")
        .with("throughput", "3000")
        .with("connect.topicname", "v")
        .with("value.converter", "JsonConverter");
    let sink = Config::new()
        .with("connector.class", "VerifiableSinkConnector")
        .with("connect.topicnames", "v")
        .with("consume.from.where", "CONSUME_FROM_FIRST_OFFSET")
        .with("value.converter", "JsonConverter")
        .with("report.file", report.display())
        .with("put.retriable.failures", "3");
    handle
        .put_connector("vs", source, PutMode::CreateOrUpdate)
        .await
        .unwrap();
    handle
        .put_connector("vk", sink, PutMode::CreateOrUpdate)
        .await
        .unwrap();
    eventually("the stream to be under way", || {
        mq.messages("v").iter().map(Vec::len).sum::<usize>() > 1000
    })
    .await;
    // Keep the broker down until both sides felt it: sends and polls refused several times.
    mq.set_down(true);
    let refused_before = mq.refused();
    eventually("the outage to be felt", || {
        mq.refused() >= refused_before + 10
    })
    .await;
    mq.set_down(false);
    let read = || {
        std::fs::read(&report)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    };
    eventually("every record at the sink", || {
        read().is_some_and(|r| r["unique"] == 6000)
    })
    .await;
    let report = read().unwrap();
    assert_eq!(report["missing"], 0, "{report}");
    eprintln!("outage test: {report}");
}

/// Validation: a sink needs topics; a bad consume.from.where is named.
#[actix_rt::test]
async fn sink_validation_names_missing_topics() {
    let mq = MemoryMq::new();
    let handle = start(&mq);
    let config = Config::new()
        .with("connector.class", "FileSinkConnector")
        .with("filename", "/tmp/x")
        .with("consume.from.where", "SOMETIME");
    let Err(ControllerError::BadConfig(errors)) = handle
        .put_connector("s", config, PutMode::CreateOrUpdate)
        .await
    else {
        panic!("expected a config error");
    };
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["connect.topicnames", "consume.from.where"]);
}

async fn failed_task_trace(handle: &ControllerHandle, name: &str) -> String {
    common::until(&format!("{name}'s task to fail"), || async {
        let status = handle.connector_status(name).await.unwrap();
        match status.tasks.first() {
            Some(task) if task.state == State::Failed => Ok(task.trace.clone().unwrap_or_default()),
            _ => Err(format!("{status:?}")),
        }
    })
    .await
}

/// A source record with no topic fails its task with a trace that says what to set.
#[actix_rt::test]
async fn a_source_without_a_topic_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "x\n").unwrap();
    let mq = MemoryMq::new();
    let handle = start(&mq);
    let mut config = file_source(&input, "unused");
    config.remove("connect.topicname");
    handle
        .put_connector("no-topic", config, PutMode::CreateOrUpdate)
        .await
        .unwrap();
    let trace = failed_task_trace(&handle, "no-topic").await;
    assert!(trace.contains("connect.topicname"), "{trace}");
    assert!(mq.messages("unused").is_empty());
}

/// Messages the sink's converter cannot read: `errors.tolerance=none` fails the task,
/// `all` skips them and delivers the rest.
#[actix_rt::test]
async fn undecodable_messages_follow_the_error_tolerance() {
    use connect_dataplane::mq::{MqProducer, OutgoingMessage};
    let dir = tempfile::tempdir().unwrap();
    let mq = MemoryMq::new();
    let message = |body: &str| OutgoingMessage {
        topic: "mixed".into(),
        keys: Some("one-queue".into()),
        tags: None,
        body: body.as_bytes().to_vec().into(),
        timestamp: None,
        properties: Default::default(),
        queue: None,
    };
    let sent = mq
        .send(&[
            message("not json at all"),
            message(r#"{"schema":{"type":"string"},"payload":"good"}"#),
        ])
        .await;
    assert!(sent.iter().all(Result::is_ok));
    let handle = start(&mq);

    let strict = dir.path().join("strict.txt");
    let config = file_sink(&strict, "mixed")
        .with("value.converter", "JsonConverter")
        .with("task.group.id", "strict");
    handle
        .put_connector("strict", config, PutMode::CreateOrUpdate)
        .await
        .unwrap();
    let trace = failed_task_trace(&handle, "strict").await;
    assert!(
        trace.contains("tolerance exceeded") && trace.contains("invalid JSON"),
        "{trace}"
    );

    let tolerant = dir.path().join("tolerant.txt");
    let config = file_sink(&tolerant, "mixed")
        .with("value.converter", "JsonConverter")
        .with("task.group.id", "tolerant")
        .with("errors.tolerance", "all");
    handle
        .put_connector("tolerant", config, PutMode::CreateOrUpdate)
        .await
        .unwrap();
    eventually("the good message delivered", || {
        std::fs::read_to_string(&tolerant).is_ok_and(|t| t == "good\n")
    })
    .await;
}
