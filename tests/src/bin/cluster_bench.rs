//! Distributed-mode figures: failover time after kill -9 (median of several), duplicates per
//! failover, time for 100 connectors to run on a 3-worker cluster and for a fourth worker to
//! take its share, and memory per worker. Default cluster timings (1 s heartbeats, 6 s
//! session). Run by `scripts/bench-cluster.sh`.

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
    WorkerProcess::start_distributed(
        &worker_bin(),
        &dir.join(format!("w{index}")),
        &format!("w{index}"),
        &[
            ("namesrvAddr", broker.namesrv_addr.as_str()),
            ("connectClusterId", "bench"),
        ],
    )
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
