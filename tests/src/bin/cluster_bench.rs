//! Distributed-mode figures: replay time of a 100 000-record control log (from its start, and
//! from a snapshot), failover time after kill -9 (median of several), duplicates per
//! failover, time for 100 connectors to run on a 3-worker cluster and for a fourth worker to
//! take its share, memory per worker, and one worker's memory at 10 and 100 connectors of
//! three tasks each. Default cluster timings (1 s heartbeats, 6 s session). Run by
//! `scripts/bench-cluster.sh`.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark binary: a panic is a failed run, stdout is its report"
)]

use std::time::{Duration, Instant};

use connect_tests::{Broker, WorkerProcess, eventually};
use serde_json::json;

const RUNS: usize = 5;

fn worker_bin() -> String {
    let exe = std::env::current_exe().unwrap();
    exe.with_file_name("connect-test-worker")
        .display()
        .to_string()
}

fn launch(dir: &std::path::Path, broker: &Broker, index: usize) -> WorkerProcess {
    launch_in(
        dir,
        broker,
        &format!("w{index}"),
        &[("connectClusterId", "bench")],
    )
}

fn launch_in(
    dir: &std::path::Path,
    broker: &Broker,
    id: &str,
    extra: &[(&str, &str)],
) -> WorkerProcess {
    let mut keys = vec![("namesrvAddr", broker.namesrv_addr.as_str())];
    keys.extend_from_slice(extra);
    WorkerProcess::start_distributed(&worker_bin(), &dir.join(id), id, &keys)
}

/// What a worker logged about replaying `topic`: (records read, milliseconds, from a snapshot).
fn replay_of(worker: &WorkerProcess, topic: &str) -> (u64, u64, bool) {
    let log = worker.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("replayed the control log") && l.contains(&format!("topic={topic} ")))
        .unwrap_or_else(|| panic!("no replay line for {topic}"));
    let field = |key: &str| -> String {
        let start = line.find(&format!("{key}=")).unwrap() + key.len() + 1;
        line[start..].split_whitespace().next().unwrap().to_owned()
    };
    (
        field("records").parse().unwrap(),
        field("ms").parse().unwrap(),
        field("snapshot").starts_with("Some"),
    )
}

/// Writes `count` position commits (as an earlier worker would have) into `topic`.
fn write_history(broker: &Broker, topic: &str, count: usize) {
    use connect_dataplane::mq::{MqClient, OutgoingMessage};
    let (runtime, client) =
        connect_runtime::rocketmq::RocketMqRuntime::start(&broker.namesrv_addr, true).unwrap();
    runtime.block_on(async {
        client.ensure_topic(topic, 1).await.unwrap();
        let producer = client.producer("bench-history").await.unwrap();
        for chunk in (0..count).collect::<Vec<_>>().chunks(2000) {
            let messages: Vec<OutgoingMessage> = chunk
                .iter()
                .map(|n| {
                    let record = json!({"id": format!("history-{n}"), "body": {"op": {
                        "op": "commit", "connector": format!("old-{}", n % 100), "task": n % 3,
                        "epoch": 1, "positions": [[{"task": n % 3}, {"seq": n}]]}}});
                    OutgoingMessage {
                        topic: topic.to_owned(),
                        keys: Some("connect-control".to_owned()),
                        body: record.to_string().into_bytes().into(),
                        queue: Some(0),
                        ..OutgoingMessage::default()
                    }
                })
                .collect();
            let sent = producer.send(&messages).await;
            assert!(sent.iter().all(Result::is_ok));
        }
    });
    runtime.shutdown();
}

/// Replay of a long control log: a worker joining a 100 000-record position log reads it
/// from its start (no snapshot yet), then writes a snapshot; the next joiner starts there.
fn replay(dir: &std::path::Path, broker: &Broker) {
    const HISTORY: usize = 100_000;
    let topics = [
        ("connectClusterId", "replay"),
        ("configStoreTopic", "replay-config"),
        ("positionStoreTopic", "replay-position"),
        ("connectStatusTopic", "replay-status"),
        ("clusterStoreTopic", "replay-cluster"),
    ];
    write_history(broker, "replay-position", HISTORY);
    let first = launch_in(dir, broker, "r0", &topics);
    let (records, ms, restored) = replay_of(&first, "replay-position");
    println!(
        "replay of a {HISTORY}-record position log from its start: {records} records in {ms} ms (snapshot: {restored})"
    );
    // A connector makes the worker claim, which triggers its first snapshot.
    let config = json!({"connector.class": "VerifiableSourceConnector",
        "connect.topicname": "replay-data", "throughput": "5"});
    assert_eq!(
        first
            .post("/connectors/replay-src", &config.to_string())
            .status,
        200
    );
    // Its claim is an operation of its own past 1000 since the last snapshot: it writes one.
    let mut scanned = 0;
    broker.read_topic_until("replay-position", Duration::from_secs(120), |records| {
        let found = records[scanned..]
            .iter()
            .any(|m| String::from_utf8_lossy(&m.body).contains(r#""body":{"snapshot":"#));
        scanned = records.len();
        found
    });
    let second = launch_in(dir, broker, "r1", &topics);
    let (records, ms, restored) = replay_of(&second, "replay-position");
    println!(
        "replay of the same log (+ a snapshot) by the next worker: {records} records in {ms} ms (snapshot: {restored})"
    );
}

/// One worker's resident memory with `connectors` connectors of three tasks each.
fn memory(dir: &std::path::Path, broker: &Broker) {
    let worker = launch_in(
        dir,
        broker,
        "m0",
        &[
            ("connectClusterId", "memory"),
            ("configStoreTopic", "memory-config"),
            ("positionStoreTopic", "memory-position"),
            ("connectStatusTopic", "memory-status"),
            ("clusterStoreTopic", "memory-cluster"),
        ],
    );
    let idle = worker.rss_kib();
    println!(
        "one worker, no connectors: RSS {:.1} MB",
        idle as f64 / 1024.0
    );
    let mut created = 0;
    for target in [10, 100] {
        while created < target {
            let config = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "3",
                "connect.topicname": "memory-data", "throughput": "5"});
            let response = worker.post(&format!("/connectors/mem-{created}"), &config.to_string());
            assert_eq!(response.status, 200, "{:?}", response.body());
            created += 1;
        }
        eventually("every task RUNNING", Duration::from_secs(180), || {
            all_running(&worker, target)
        });
        // Settled: every task has produced and committed (its producer and buffers in use).
        eventually("every task committed", Duration::from_secs(180), || {
            (0..target).all(|n| worker.committed_seqs(&format!("mem-{n}")).len() == 3)
        });
        println!(
            "one worker, {target} connectors / {} tasks: RSS {:.1} MB",
            target * 3,
            worker.rss_kib() as f64 / 1024.0
        );
    }
}

fn all_running(worker: &WorkerProcess, count: usize) -> bool {
    let body = worker.get("/connectors/list").body().clone();
    body.as_object().is_some_and(|all| {
        all.len() == count
            && all.values().all(|c| {
                c["status"]["tasks"]
                    .as_array()
                    .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == "RUNNING"))
            })
    })
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("rocketmq"));
    replay(dir.path(), &broker);
    memory(dir.path(), &broker);
    let mut workers: Vec<WorkerProcess> = (0..3).map(|i| launch(dir.path(), &broker, i)).collect();
    eventually("3 members", Duration::from_secs(30), || {
        workers.iter().all(|w| w.members().len() == 3)
    });

    // Failover after kill -9, several times.
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "3",
        "connect.topicname": "bench-failover", "throughput": "1000", "batch.size": "50",
        "value.converter": "JsonConverter"});
    let created = workers[0].post("/connectors/bench-src", &source.to_string());
    assert_eq!(created.status, 200, "{:?}", created.body());
    let mut failovers = Vec::new();
    for _ in 0..RUNS {
        eventually("3 tasks RUNNING", Duration::from_secs(60), || {
            workers[0].task_owners("bench-src", 3).is_some()
        });
        // Under load: every task has committed records since the last failover.
        let before = workers[0].committed_seqs("bench-src");
        eventually("records committed", Duration::from_secs(60), || {
            let now = workers[0].committed_seqs("bench-src");
            (0..3).all(|t| {
                now.get(&t).copied().unwrap_or(-1) > before.get(&t).copied().unwrap_or(-1) + 500
            })
        });
        let current = workers[0].task_owners("bench-src", 3).unwrap();
        let victim = (1..3)
            .find(|i| current.contains(&format!("w{i}")))
            .unwrap_or(1);
        let started = Instant::now();
        workers[victim].kill9();
        let dead = format!("w{victim}");
        eventually("tasks RUNNING elsewhere", Duration::from_secs(60), || {
            workers[0]
                .task_owners("bench-src", 3)
                .is_some_and(|o| !o.contains(&dead))
        });
        failovers.push(started.elapsed());
        workers[victim] = workers[victim].restart(&[]);
        eventually("3 members again", Duration::from_secs(30), || {
            workers.iter().all(|w| w.members().len() == 3)
        });
    }
    workers[0].pause_and_wait("bench-src");
    let committed = workers[0].committed_seqs("bench-src");
    let (read, report) =
        broker.read_verifiable("bench-failover", &committed, Duration::from_secs(60));
    let duplicates: usize = report.values().map(|r| r.duplicates).sum();
    let missing: usize = report.values().map(|r| r.missing).sum();
    failovers.sort();
    println!(
        "failover (kill -9 → all tasks RUNNING elsewhere), {RUNS} runs: median {} ms, min {} ms, max {} ms",
        failovers[RUNS / 2].as_millis(),
        failovers[0].as_millis(),
        failovers[RUNS - 1].as_millis()
    );
    println!(
        "records {}, missing {missing}, duplicates {duplicates} ({} per failover)",
        read,
        duplicates / RUNS
    );
    let deleted = workers[0].get("/connectors/bench-src/stop");
    assert_eq!(deleted.status, 200);

    // 100 connectors created on the 3-worker cluster.
    let started = Instant::now();
    for i in 0..100 {
        let config = json!({"connector.class": "VerifiableSourceConnector",
            "connect.topicname": "bench-many", "throughput": "5"});
        let response = workers[i % 3].post(&format!("/connectors/many-{i}"), &config.to_string());
        assert_eq!(response.status, 200, "{:?}", response.body());
    }
    let accepted = started.elapsed();
    eventually("100 connectors RUNNING", Duration::from_secs(120), || {
        all_running(&workers[1], 100)
    });
    println!(
        "100 connectors: accepted in {} ms, all tasks RUNNING after {} ms",
        accepted.as_millis(),
        started.elapsed().as_millis()
    );
    // A fourth worker joins and takes its share.
    let started = Instant::now();
    workers.push(launch(dir.path(), &broker, 3));
    eventually(
        "the newcomer runs its share",
        Duration::from_secs(120),
        || {
            let body = workers[3].get("/allocated/tasks").body().clone();
            body["runningTasks"].as_array().map_or(0, Vec::len) >= 25
                && all_running(&workers[0], 100)
        },
    );
    println!(
        "a 4th worker joining 100 connectors: its 25 tasks RUNNING after {} ms (process start included)",
        started.elapsed().as_millis()
    );
    for (i, worker) in workers.iter().enumerate() {
        println!("w{i} RSS {:.1} MB", worker.rss_kib() as f64 / 1024.0);
    }
}
