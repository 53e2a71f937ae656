//! The actor system in-process, with memory stores and the real file and verifiable
//! connectors: lifecycle, supervision and restarts without the REST layer.

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use connect_actors::catalog::Catalog;
use connect_actors::controller::messages::PutMode;
use connect_actors::model::{State, TargetState};
use connect_actors::ports::MemoryDocument;
use connect_actors::security::{FileAccess, Limits};
use connect_actors::settings::{RestartPolicy, WorkerSettings};
use connect_actors::system::{Stores, start_standalone};
use connect_actors::{ControllerError, ControllerHandle};
use connect_api::{Config, ConnectorPlugins};
use connect_dataplane::mq::memory::MemoryMq;
use connect_dataplane::settings::DataPlaneSettings;

use common::{eventually, until, wait_state};

#[derive(Clone, Default)]
struct Docs {
    configs: MemoryDocument,
    statuses: MemoryDocument,
    positions: MemoryDocument,
}

fn settings() -> WorkerSettings {
    WorkerSettings {
        data: DataPlaneSettings {
            offset_commit_interval: Duration::from_millis(100),
            ..DataPlaneSettings::default()
        },
        stop_timeout: Duration::from_secs(2),
        restart: RestartPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(100),
            healthy_after: Duration::from_secs(60),
        },
        // In-process tests: files anywhere under the temporary directory, fault switches on.
        files: FileAccess::new(&[std::env::temp_dir()], &[]),
        limits: Limits {
            test_plugins: true,
            ..Limits::default()
        },
        ..WorkerSettings::default()
    }
}

fn start(docs: &Docs) -> ControllerHandle {
    start_with(docs, None)
}

fn start_with(docs: &Docs, mq: Option<MemoryMq>) -> ControllerHandle {
    let mut plugins = ConnectorPlugins::default();
    plugins.extend(connect_file::plugins());
    plugins.extend(connect_verifiable::plugins());
    let stores = Stores {
        configs: Box::new(docs.configs.clone()),
        statuses: Box::new(docs.statuses.clone()),
        positions: Box::new(docs.positions.clone()),
    };
    let mq =
        mq.map(|m| std::sync::Arc::new(m) as std::sync::Arc<dyn connect_dataplane::mq::MqClient>);
    start_standalone(settings(), Catalog::new(plugins), stores, mq).unwrap()
}

fn file_pipeline(input: &Path, output: &Path) -> Config {
    Config::new()
        .with(
            "connector.class",
            "org.apache.rocketmq.connect.file.FileSourceConnector",
        )
        .with("connector.direct.enable", "true")
        .with(
            "source.task.class",
            "org.apache.rocketmq.connect.file.FileSourceTask",
        )
        .with(
            "sink.task.class",
            "org.apache.rocketmq.connect.file.FileSinkTask",
        )
        .with("source.filename", input.display())
        .with("sink.filename", output.display())
        .with("file.poll.interval.ms", "10")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Create → lines flow → pause holds position → resume continues → delete stops; a new
/// worker on the same stores brings the connector back and resumes from the committed
/// position without re-copying.
#[actix_rt::test]
async fn file_pipeline_lifecycle_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    std::fs::write(&input, "a\nb\n").unwrap();
    let docs = Docs::default();
    let handle = start(&docs);
    let outcome = handle
        .put_connector(
            "files",
            file_pipeline(&input, &output),
            PutMode::CreateOrUpdate,
        )
        .await
        .unwrap();
    assert!(outcome.created);
    eventually("first lines", || read(&output) == "a\nb\n").await;
    wait_state(&handle, "files", State::Running).await;

    // Identical config: idempotent.
    let again = handle
        .put_connector(
            "files",
            file_pipeline(&input, &output),
            PutMode::CreateOrUpdate,
        )
        .await
        .unwrap();
    assert!(!again.changed);

    handle
        .set_target(Some("files"), TargetState::Paused)
        .await
        .unwrap();
    wait_state(&handle, "files", State::Paused).await;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"c\n"))
        .unwrap();
    // Asserting an absence needs an observation window: no condition can say "never".
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(read(&output), "a\nb\n");
    handle
        .set_target(Some("files"), TargetState::Started)
        .await
        .unwrap();
    eventually("line written after resume", || read(&output) == "a\nb\nc\n").await;

    // Shut down (final commit), then start a new worker on the same stores.
    handle.shutdown().await.unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"d\n"))
        .unwrap();
    let restarted = start(&docs);
    eventually("resumed copy", || read(&output) == "a\nb\nc\nd\n").await;
    wait_state(&restarted, "files", State::Running).await;
    // The copy of "d" is committed at the next commit interval.
    until("the position to reach 8", || async {
        let offsets = restarted.offsets("files").await.unwrap();
        if offsets[0].1.get_i64("nextPosition") == Some(8) {
            Ok(())
        } else {
            Err(format!("{offsets:?}"))
        }
    })
    .await;

    restarted.delete_connector("files").await.unwrap();
    assert!(matches!(
        restarted.connector_status("files").await,
        Err(ControllerError::NotFound(_))
    ));
    assert!(restarted.allocation().await.unwrap().tasks.is_empty());
}

/// Bad configurations are rejected with every bad key named, and nothing is stored.
#[actix_rt::test]
async fn invalid_configs_name_their_keys() {
    let handle = start(&Docs::default());
    let config = Config::new()
        .with(
            "connector.class",
            "org.apache.rocketmq.connect.file.FileSourceConnector",
        )
        .with("connector.direct.enable", "true")
        .with(
            "source.task.class",
            "org.apache.rocketmq.connect.file.FileSourceTask",
        )
        .with("sink.task.class", "NoSuchTask")
        .with("max.tasks", "zero")
        .with("errors.tolerance", "most")
        .with("errors.deadletterqueue.topic.name", "dlq")
        .with("errors.deadletterqueue.context.properties.enable", "maybe")
        .with("transforms", "r")
        .with("transforms.r.class", "Nope");
    let Err(ControllerError::BadConfig(errors)) = handle
        .put_connector("bad", config, PutMode::CreateOrUpdate)
        .await
    else {
        panic!("expected a config error");
    };
    let mut keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "errors.deadletterqueue.context.properties.enable",
            "errors.deadletterqueue.topic.name",
            "errors.tolerance",
            "filename",
            "max.tasks",
            "sink.task.class",
            "transforms.r.class"
        ]
    );
    assert!(handle.list().await.unwrap().is_empty());
    let Err(ControllerError::BadConfig(errors)) = handle
        .put_connector("x", Config::new(), PutMode::CreateOrUpdate)
        .await
    else {
        panic!("expected a config error");
    };
    assert_eq!(errors[0].key, "connector.class");
}

fn verifiable(extra: &[(&str, &str)]) -> Config {
    let mut config = Config::new()
        .with("connector.class", "VerifiableSourceConnector")
        .with("connector.direct.enable", "true")
        .with("source.task.class", "VerifiableSourceTask")
        .with("sink.task.class", "VerifiableSinkTask")
        .with("throughput", "200");
    for (k, v) in extra {
        config.put(*k, v);
    }
    config
}

/// A task that panics on every poll is restarted with backoff, then left FAILED with its
/// trace — while a healthy connector next to it keeps running; restart resets it.
#[actix_rt::test]
async fn a_panicking_task_is_supervised_and_isolated() {
    let handle = start(&Docs::default());
    handle
        .put_connector("healthy", verifiable(&[]), PutMode::CreateOrUpdate)
        .await
        .unwrap();
    handle
        .put_connector(
            "broken",
            verifiable(&[("panic.on.poll", "true")]),
            PutMode::CreateOrUpdate,
        )
        .await
        .unwrap();
    until("the panicking task to give up", || async {
        let status = handle.connector_status("broken").await.unwrap();
        let trace = status
            .tasks
            .first()
            .and_then(|t| t.trace.clone())
            .unwrap_or_default();
        let gave_up = trace.contains("gave up after 2 restarts") && trace.contains("panic.on.poll");
        if gave_up && status.tasks[0].state == State::Failed {
            Ok(())
        } else {
            Err(format!("{status:?}"))
        }
    })
    .await;
    wait_state(&handle, "healthy", State::Running).await;
    let first = handle.offsets("healthy").await.unwrap();
    until("the healthy connector to commit progress", || async {
        let now = handle.offsets("healthy").await.unwrap();
        if now == first {
            Err(format!("{now:?}"))
        } else {
            Ok(())
        }
    })
    .await;

    // A restart request resets the count: the task runs again and is retried from attempt 1.
    handle
        .restart_task(connect_actors::model::TaskId::new("broken", 0))
        .await
        .unwrap();
    until("a fresh restart count", || async {
        let status = handle.connector_status("broken").await.unwrap();
        let fresh = status.tasks[0]
            .trace
            .as_deref()
            .is_some_and(|t| t.contains("(restart 1 of 2"));
        if fresh {
            Ok(())
        } else {
            Err(format!("{status:?}"))
        }
    })
    .await;
}

/// A task whose stop hangs does not hang deletion (bounded stop).
#[actix_rt::test]
async fn a_hanging_stop_is_bounded() {
    let handle = start(&Docs::default());
    handle
        .put_connector(
            "sticky",
            verifiable(&[("hang.on.stop", "true")]),
            PutMode::CreateOrUpdate,
        )
        .await
        .unwrap();
    wait_state(&handle, "sticky", State::Running).await;
    let started = Instant::now();
    handle.delete_connector("sticky").await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "delete took {:?}",
        started.elapsed()
    );
    assert!(handle.list().await.unwrap().is_empty());
}

/// A connector whose start never returns does not hold up its deletion or shutdown.
#[actix_rt::test]
async fn a_hanging_connector_start_is_bounded() {
    let handle = start(&Docs::default());
    handle
        .put_connector(
            "stuck",
            verifiable(&[("connector.hang.on.start", "true")]),
            PutMode::CreateOrUpdate,
        )
        .await
        .unwrap();
    handle
        .put_connector("fine", verifiable(&[]), PutMode::CreateOrUpdate)
        .await
        .unwrap();
    wait_state(&handle, "fine", State::Running).await;
    let (connector, tasks) = {
        let s = handle.connector_status("stuck").await.unwrap();
        (s.connector.state, s.tasks.len())
    };
    assert_eq!(
        (connector, tasks),
        (State::Unassigned, 0),
        "the stuck connector never started"
    );
    let started = Instant::now();
    handle.delete_connector("stuck").await.unwrap();
    handle.shutdown().await.unwrap();
    // The start is cancelled at once: not even the 2 s stop timeout is spent on it.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

/// While a sink keeps failing retriably, the same batch is retried — and pause, resume and a
/// restart still work; stopping mid-retry is not a failure (the batch is replayed later).
#[actix_rt::test]
async fn pause_and_stop_are_honoured_while_put_is_retried() {
    let handle = start(&Docs::default());
    let config = verifiable(&[("put.retriable.failures", "1000000")]);
    handle
        .put_connector("stubborn", config, PutMode::CreateOrUpdate)
        .await
        .unwrap();
    wait_state(&handle, "stubborn", State::Running).await;
    handle
        .set_target(Some("stubborn"), TargetState::Paused)
        .await
        .unwrap();
    wait_state(&handle, "stubborn", State::Paused).await;
    handle
        .set_target(Some("stubborn"), TargetState::Started)
        .await
        .unwrap();
    wait_state(&handle, "stubborn", State::Running).await;
    handle
        .restart_task(connect_actors::model::TaskId::new("stubborn", 0))
        .await
        .unwrap();
    wait_state(&handle, "stubborn", State::Running).await;
    // A stop during retries is not a failure; the restarted task is RUNNING and its status
    // shows what it is retrying.
    let trace = until("the retry to show in the status", || async {
        let status = handle.connector_status("stubborn").await.unwrap();
        match (&status.tasks[0].state, &status.tasks[0].trace) {
            (State::Running, Some(trace)) => Ok(trace.clone()),
            _ => Err(format!("{status:?}")),
        }
    })
    .await;
    assert!(
        trace.starts_with("put failed") && trace.contains("retrying the same batch"),
        "{trace}"
    );
    assert!(
        handle.offsets("stubborn").await.unwrap().is_empty(),
        "nothing the sink refused was committed"
    );
}
