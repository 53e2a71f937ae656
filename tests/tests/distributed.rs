//! Distributed mode: several worker processes on loopback forming one cluster through a real
//! RocketMQ broker (configs, statuses, positions and membership on its topics).

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use connect_tests::{Broker, WorkerProcess, eventually};
use serde_json::{Value, json};

const WORKER: &str = env!("CARGO_BIN_EXE_connect-test-worker");

/// A broker and `count` distributed workers (`w0`, `w1`, …) of one cluster.
struct Cluster {
    broker: Broker,
    workers: Vec<Option<WorkerProcess>>,
    dir: std::path::PathBuf,
}

impl Cluster {
    fn start(dir: &Path, count: usize) -> Self {
        let broker = Broker::start(&dir.join("rocketmq"));
        let mut cluster = Self {
            broker,
            workers: Vec::new(),
            dir: dir.to_owned(),
        };
        for index in 0..count {
            let worker = cluster.launch(index);
            cluster.workers.push(Some(worker));
        }
        cluster.await_members(count);
        cluster
    }

    fn launch(&self, index: usize) -> WorkerProcess {
        WorkerProcess::start_distributed(
            WORKER,
            &self.dir.join(format!("w{index}")),
            &format!("w{index}"),
            &[
                ("namesrvAddr", self.broker.namesrv_addr.as_str()),
                ("connectClusterId", "test-cluster"),
                ("heartbeatIntervalMs", "500"),
                ("sessionTimeoutMs", "3000"),
            ],
        )
    }

    fn worker(&self, index: usize) -> &WorkerProcess {
        self.workers[index].as_ref().unwrap()
    }

    fn live(&self) -> impl Iterator<Item = (usize, &WorkerProcess)> {
        self.workers
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.as_ref().map(|w| (i, w)))
    }

    /// Waits until every live worker sees exactly the live workers.
    fn await_members(&self, count: usize) {
        let want: Vec<String> = self.live().map(|(i, _)| format!("w{i}")).collect();
        assert_eq!(want.len(), count);
        eventually(
            "every worker sees the members",
            Duration::from_secs(30),
            || {
                self.live().all(|(_, w)| {
                    let body = w.get("/getClusterInfo").body().clone();
                    body.as_array().is_some_and(|members| {
                        members.iter().filter_map(Value::as_str).collect::<Vec<_>>() == want
                    })
                })
            },
        );
    }

    fn kill9(&mut self, index: usize) {
        let mut worker = self.workers[index].take().unwrap();
        worker.kill9();
    }
}

/// Creates a connector through `worker`; it must be accepted.
fn create(worker: &WorkerProcess, name: &str, config: &Value) {
    let response = worker.post(&format!("/connectors/{name}"), &config.to_string());
    assert_eq!(response.status, 200, "{name}: {:?}", response.body());
}

/// The worker running each task of `name`, if every task is RUNNING (as `worker` reports).
fn running_tasks(worker: &WorkerProcess, name: &str, tasks: usize) -> Option<Vec<String>> {
    let body = worker
        .get(&format!("/connectors/{name}/status"))
        .body()
        .clone();
    let list = body["tasks"].as_array()?;
    (list.len() == tasks && list.iter().all(|t| t["state"] == "RUNNING")).then(|| {
        list.iter()
            .map(|t| t["workerId"].as_str().unwrap_or_default().to_owned())
            .collect()
    })
}

/// The tasks each live worker says it runs (`/allocated/tasks`).
fn allocated(cluster: &Cluster) -> BTreeMap<String, BTreeSet<String>> {
    cluster
        .live()
        .map(|(i, w)| {
            let body = w.get("/allocated/tasks").body().clone();
            let tasks = body["runningTasks"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(body["pendingTasks"].as_array().into_iter().flatten())
                .map(|t| format!("{}-{}", t["connectorName"].as_str().unwrap_or(""), t["id"]))
                .collect();
            (format!("w{i}"), tasks)
        })
        .collect()
}

/// Verifiable records of a topic as (task, seq).
fn sequences(messages: &[connect_tests::IncomingMessage]) -> Vec<(i64, i64)> {
    messages
        .iter()
        .map(|m| {
            let value: Value = serde_json::from_slice(&m.body).unwrap();
            let payload = if value.get("payload").is_some() {
                &value["payload"]
            } else {
                &value
            };
            (
                payload["task"].as_i64().unwrap(),
                payload["seq"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Per task: (highest seq, missing below it, duplicates).
fn gaps_and_duplicates(seqs: &[(i64, i64)]) -> BTreeMap<i64, (i64, usize, usize)> {
    let mut by_task: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (task, seq) in seqs {
        by_task.entry(*task).or_default().push(*seq);
    }
    by_task
        .into_iter()
        .map(|(task, mut seqs)| {
            let total = seqs.len();
            seqs.sort_unstable();
            seqs.dedup();
            let max = *seqs.last().unwrap();
            let missing = usize::try_from(max + 1).unwrap() - seqs.len();
            (task, (max, missing, total - seqs.len()))
        })
        .collect()
}

/// Three workers: a connector created through one is visible, with its status, through the
/// others; its tasks are spread over the three; `/getClusterInfo` lists the members.
#[test]
fn three_workers_share_configs_statuses_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3);
    let report = dir.path().join("report.json");
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "6",
        "connect.topicname": "spread", "throughput": "200", "value.converter": "JsonConverter"});
    create(cluster.worker(0), "spread-src", &source);
    let sink = json!({"connector.class": "VerifiableSinkConnector", "connect.topicnames": "spread",
        "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "JsonConverter",
        "report.file": report.display().to_string()});
    create(cluster.worker(2), "spread-dst", &sink);
    for (_, worker) in cluster.live() {
        eventually(
            "six source tasks RUNNING, seen from every worker",
            Duration::from_secs(30),
            || running_tasks(worker, "spread-src", 6).is_some(),
        );
        let config = worker.get("/connectors/spread-dst/config");
        assert_eq!(config.status, 200, "{:?}", config.body());
    }
    let owners = running_tasks(cluster.worker(1), "spread-src", 6).unwrap();
    let distinct: BTreeSet<&String> = owners.iter().collect();
    assert_eq!(
        distinct.len(),
        3,
        "tasks spread over all workers: {owners:?}"
    );
    // Every task runs on exactly one worker, and the workers' own views agree with the status.
    eventually(
        "allocations agree with the statuses",
        Duration::from_secs(20),
        || {
            let allocated = allocated(&cluster);
            let all: Vec<&String> = allocated.values().flatten().collect();
            let unique: BTreeSet<&&String> = all.iter().collect();
            all.len() == 7 && unique.len() == 7
        },
    );
    eventually("records flow to the sink", Duration::from_secs(60), || {
        std::fs::read(&report)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|r| r["unique"].as_u64().unwrap_or(0) > 500)
    });
}

/// kill -9 of the worker running source tasks under load: the tasks run elsewhere within the
/// failover bound, resume from committed positions — no gaps in any task's sequence in the
/// topic — and duplicates stay bounded by what one commit interval can leave unconfirmed.
#[test]
fn killed_worker_fails_over_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3);
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "3",
        "connect.topicname": "failover", "throughput": "1000", "batch.size": "50",
        "value.converter": "JsonConverter"});
    create(cluster.worker(0), "fo-src", &source);
    eventually(
        "three source tasks RUNNING",
        Duration::from_secs(30),
        || running_tasks(cluster.worker(0), "fo-src", 3).is_some(),
    );
    let owners = running_tasks(cluster.worker(0), "fo-src", 3).unwrap();
    // Kill a worker that runs a task (not the one we talk to).
    let victim = (1..3)
        .find(|i| owners.contains(&format!("w{i}")))
        .unwrap_or(1);
    std::thread::sleep(Duration::from_secs(2)); // load: let records and commits flow first
    let killed_at = Instant::now();
    cluster.kill9(victim);
    let dead = format!("w{victim}");
    eventually(
        "tasks RUNNING on the survivors",
        Duration::from_secs(30),
        || running_tasks(cluster.worker(0), "fo-src", 3).is_some_and(|o| !o.contains(&dead)),
    );
    let failover = killed_at.elapsed();
    eprintln!("FIGURE failover_ms={}", failover.as_millis());
    assert!(
        failover < Duration::from_secs(10),
        "failover took {failover:?}"
    );
    cluster.await_members(2);
    // Let the moved tasks produce past where they resumed, then stop the source.
    std::thread::sleep(Duration::from_secs(2));
    let paused = cluster.worker(0).get("/connectors/fo-src/pause");
    assert_eq!(paused.status, 200, "{:?}", paused.body());
    eventually("source paused", Duration::from_secs(20), || {
        cluster.worker(0).get("/connectors/fo-src/status").body()["tasks"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t["state"] == "PAUSED"))
    });
    let messages = cluster
        .broker
        .read_topic("failover", usize::MAX, Duration::from_secs(15));
    let report = gaps_and_duplicates(&sequences(&messages));
    eprintln!("FIGURE failover_report={report:?}");
    assert_eq!(report.len(), 3, "{report:?}");
    let duplicates: usize = report.values().map(|(_, _, d)| d).sum();
    for (task, (max, missing, _)) in &report {
        assert_eq!(*missing, 0, "task {task}: gaps below seq {max}");
        assert!(*max > 1000, "task {task} kept producing");
    }
    // At 1000 records/s per task and 200 ms commits, one unconfirmed window is ~200-400
    // records; allow a generous bound that still catches a restart from scratch.
    assert!(duplicates < 3000, "{duplicates} duplicates: {report:?}");
    eprintln!("FIGURE duplicates_per_failover={duplicates}");
}

/// Rolling restart: each worker in turn stops (SIGTERM) and comes back while the source runs;
/// afterwards every task's sequence in the topic is complete.
#[test]
fn rolling_restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3);
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "3",
        "connect.topicname": "rolling", "throughput": "500", "batch.size": "50",
        "value.converter": "JsonConverter"});
    create(cluster.worker(0), "roll-src", &source);
    for index in 0..3 {
        let other = (index + 1) % 3;
        eventually("three tasks RUNNING", Duration::from_secs(30), || {
            running_tasks(cluster.worker(other), "roll-src", 3).is_some()
        });
        let mut worker = cluster.workers[index].take().unwrap();
        let status = worker.terminate(Duration::from_secs(20));
        assert!(status.success(), "w{index} stopped cleanly: {status:?}");
        // Its tasks move at once (it said it was leaving), not after the session timeout.
        eventually(
            "tasks moved off the stopped worker",
            Duration::from_secs(10),
            || {
                running_tasks(cluster.worker(other), "roll-src", 3)
                    .is_some_and(|owners| !owners.contains(&format!("w{index}")))
            },
        );
        cluster.workers[index] = Some(worker.restart(&[]));
        cluster.await_members(3);
    }
    eventually(
        "three tasks RUNNING after the last restart",
        Duration::from_secs(30),
        || running_tasks(cluster.worker(0), "roll-src", 3).is_some(),
    );
    let paused = cluster.worker(1).get("/connectors/roll-src/pause");
    assert_eq!(paused.status, 200, "{:?}", paused.body());
    eventually("source paused", Duration::from_secs(20), || {
        cluster.worker(2).get("/connectors/roll-src/status").body()["tasks"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t["state"] == "PAUSED"))
    });
    let messages = cluster
        .broker
        .read_topic("rolling", usize::MAX, Duration::from_secs(15));
    let report = gaps_and_duplicates(&sequences(&messages));
    eprintln!("FIGURE rolling_report={report:?}");
    assert_eq!(report.len(), 3, "{report:?}");
    for (task, (max, missing, _)) in &report {
        assert_eq!(*missing, 0, "task {task}: gaps below seq {max}");
    }
}

/// Two workers take conflicting writes for the same connectors at the same time: every worker
/// ends with the same configuration for each, and it is one of the two written, whole.
#[test]
fn concurrent_config_writes_converge() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3);
    let config = |writer: &str| {
        json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "1",
            "connect.topicname": format!("race-{writer}"), "max.messages": "10",
            "writer": writer})
    };
    let names: Vec<String> = (0..15).map(|i| format!("race-{i}")).collect();
    std::thread::scope(|scope| {
        for (index, writer) in [(0, "a"), (1, "b")] {
            let (worker, names, body) = (cluster.worker(index), &names, config(writer));
            scope.spawn(move || {
                for name in names {
                    create(worker, name, &body);
                }
            });
        }
    });
    // Delete and re-create one while the others settle.
    let deleted = cluster.worker(2).get("/connectors/race-0/stop");
    assert_eq!(deleted.status, 200, "{:?}", deleted.body());
    let view = |worker: &WorkerProcess| -> BTreeMap<String, Value> {
        let list = worker.get("/connectors").body().clone();
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|name| {
                let config =
                    worker.get(&format!("/connectors/{name}/config")).body()["config"].clone();
                (name.to_owned(), config)
            })
            .collect()
    };
    eventually("all workers agree", Duration::from_secs(20), || {
        let views: Vec<_> = cluster.live().map(|(_, w)| view(w)).collect();
        views.windows(2).all(|pair| pair[0] == pair[1]) && views[0].len() == names.len() - 1
    });
    let agreed = view(cluster.worker(0));
    assert!(!agreed.contains_key("race-0"));
    for (name, config) in &agreed {
        let writer = config["writer"].as_str().unwrap();
        assert!(writer == "a" || writer == "b", "{name}: {config}");
        assert_eq!(
            config["connect.topicname"],
            format!("race-{writer}"),
            "{name} is one write, whole: {config}"
        );
    }
}

/// A worker frozen past the session timeout (SIGSTOP: a long GC pause or a partition, as far
/// as the others can tell) loses its tasks to the others; when it wakes (SIGCONT) it finds its
/// own heartbeats stale, stops what it ran instead of writing over the new owners, and its
/// late position commits are refused — no gaps in any sequence.
#[test]
fn a_frozen_worker_is_fenced_when_it_wakes() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3);
    let source = json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "3",
        "connect.topicname": "frozen", "throughput": "500", "batch.size": "50",
        "value.converter": "JsonConverter"});
    create(cluster.worker(0), "fz-src", &source);
    eventually("three tasks RUNNING", Duration::from_secs(30), || {
        running_tasks(cluster.worker(0), "fz-src", 3).is_some()
    });
    let owners = running_tasks(cluster.worker(0), "fz-src", 3).unwrap();
    let victim = (1..3)
        .find(|i| owners.contains(&format!("w{i}")))
        .unwrap_or(1);
    let pid = cluster.worker(victim).pid().to_string();
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("-STOP");
    let frozen = format!("w{victim}");
    eventually(
        "tasks taken over from the frozen worker",
        Duration::from_secs(20),
        || running_tasks(cluster.worker(0), "fz-src", 3).is_some_and(|o| !o.contains(&frozen)),
    );
    signal("-CONT");
    // It stops the tasks it held (they are someone else's now) and rejoins.
    let taken: Vec<u32> = owners
        .iter()
        .enumerate()
        .filter(|(_, w)| **w == frozen)
        .map(|(i, _)| u32::try_from(i).unwrap())
        .collect();
    eventually(
        "the woken worker gave up the tasks it lost",
        Duration::from_secs(20),
        || {
            let body = cluster
                .worker(victim)
                .get("/allocated/tasks")
                .body()
                .clone();
            let running: Vec<u64> = body["runningTasks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["id"].as_u64())
                .collect();
            taken.iter().all(|t| !running.contains(&u64::from(*t)))
        },
    );
    cluster.await_members(3);
    eventually("three tasks RUNNING", Duration::from_secs(30), || {
        running_tasks(cluster.worker(2), "fz-src", 3).is_some()
    });
    let paused = cluster.worker(0).get("/connectors/fz-src/pause");
    assert_eq!(paused.status, 200, "{:?}", paused.body());
    eventually("source paused", Duration::from_secs(20), || {
        cluster.worker(1).get("/connectors/fz-src/status").body()["tasks"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t["state"] == "PAUSED"))
    });
    let messages = cluster
        .broker
        .read_topic("frozen", usize::MAX, Duration::from_secs(15));
    let report = gaps_and_duplicates(&sequences(&messages));
    eprintln!("FIGURE frozen_report={report:?}");
    assert_eq!(report.len(), 3, "{report:?}");
    for (task, (max, missing, _)) in &report {
        assert_eq!(*missing, 0, "task {task}: gaps below seq {max}");
    }
}
