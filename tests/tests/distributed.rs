//! Distributed mode: several worker processes on loopback forming one cluster through a real
//! RocketMQ broker (configs, statuses, positions and membership on its topics).

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use connect_tests::{Broker, SequenceReport, WorkerProcess, eventually, poll_until};
use serde_json::{Value, json};

const WORKER: &str = env!("CARGO_BIN_EXE_connect-test-worker");

/// A broker and `count` distributed workers (`w0`, `w1`, …) of one cluster.
struct Cluster {
    broker: Broker,
    workers: Vec<Option<WorkerProcess>>,
    dir: std::path::PathBuf,
    /// Worker keys every member gets besides the defaults.
    extra: Vec<(String, String)>,
}

impl Cluster {
    fn start(dir: &Path, count: usize) -> Self {
        Self::start_with(dir, count, &[])
    }

    fn start_with(dir: &Path, count: usize, extra: &[(&str, &str)]) -> Self {
        let broker = Broker::start(&dir.join("rocketmq"));
        let mut cluster = Self {
            broker,
            workers: Vec::new(),
            dir: dir.to_owned(),
            extra: extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        for index in 0..count {
            let worker = cluster.launch(index);
            cluster.workers.push(Some(worker));
        }
        cluster.await_members(count);
        cluster
    }

    fn launch(&self, index: usize) -> WorkerProcess {
        // Sinks' reports live in the cluster's directory, which every member may write.
        let shared = self.dir.display().to_string();
        let mut keys = vec![
            ("allowedPaths", shared.as_str()),
            ("namesrvAddr", self.broker.namesrv_addr.as_str()),
            ("connectClusterId", "test-cluster"),
            ("heartbeatIntervalMs", "500"),
            ("sessionTimeoutMs", "3000"),
        ];
        keys.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        WorkerProcess::start_distributed(
            WORKER,
            &self.dir.join(format!("w{index}")),
            &format!("w{index}"),
            &keys,
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
            || self.live().all(|(_, w)| w.members() == want),
        );
    }

    /// Waits until every connector in `names` has its one task RUNNING as worker `via` sees
    /// it; on a timeout, fails with what each missing one shows and what the workers warned
    /// about (a wait on a cluster is diagnosed, not just timed out).
    fn await_running(&self, via: usize, names: &[String], what: &str, timeout: Duration) {
        let started = Instant::now();
        if poll_until(timeout, || {
            names
                .iter()
                .all(|name| self.worker(via).task_owners(name, 1).is_some())
        }) {
            eprintln!("FIGURE {what}_s={:.1}", started.elapsed().as_secs_f64());
            return;
        }
        let missing: Vec<String> = names
            .iter()
            .filter(|name| self.worker(via).task_owners(name, 1).is_none())
            .map(|name| {
                let status = self.worker(via).get(&format!("/connectors/{name}/status"));
                format!("{name}: {}", status.body())
            })
            .collect();
        let warnings: Vec<String> = self
            .live()
            .map(|(index, worker)| {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for line in worker.log_text().lines() {
                    if (line.contains(" WARN ") || line.contains(" ERROR "))
                        && line.contains("connect_")
                    {
                        // The message without its timestamp, so repeats count as one.
                        let message = line.split_once('Z').map_or(line, |(_, rest)| rest);
                        *counts
                            .entry(message.chars().take(200).collect())
                            .or_default() += 1;
                    }
                }
                let lines: Vec<String> = counts
                    .into_iter()
                    .map(|(message, count)| format!("  {count}× {message}"))
                    .collect();
                format!("w{index}:\n{}", lines.join("\n"))
            })
            .collect();
        panic!(
            "timed out after {timeout:?} waiting for {what}: {} of {} not RUNNING as w{via} sees them:\n{}\nthe workers' warnings:\n{}",
            missing.len(),
            names.len(),
            missing.join("\n"),
            warnings.join("\n")
        );
    }

    fn kill9(&mut self, index: usize) {
        let mut worker = self.workers[index].take().unwrap();
        worker.kill9();
    }

    /// Waits until every task of the verifiable source `name` has committed beyond `beyond`
    /// (per task; missing tasks count as -1): records are flowing and being committed.
    fn await_progress(&self, via: usize, name: &str, tasks: i64, beyond: &BTreeMap<i64, i64>) {
        eventually(
            &format!("{name} commits progress"),
            Duration::from_secs(60),
            || {
                let committed = self.worker(via).committed_seqs(name);
                (0..tasks).all(|task| {
                    committed.get(&task).copied().unwrap_or(-1)
                        > beyond.get(&task).copied().unwrap_or(-1) + 200
                })
            },
        );
    }

    /// Pauses the verifiable source `name` (its tasks commit what they sent), then reads
    /// `topic` until every task's sequence reaches its committed position with no gap — or
    /// times out, and then the report shows the gaps.
    fn pause_and_report(
        &self,
        via: usize,
        name: &str,
        topic: &str,
    ) -> BTreeMap<i64, SequenceReport> {
        let worker = self.worker(via);
        worker.pause_and_wait(name);
        let committed = worker.committed_seqs(name);
        let (_, report) = self
            .broker
            .read_verifiable(topic, &committed, Duration::from_secs(120));
        assert_eq!(report.len(), committed.len(), "{report:?}");
        for (task, r) in &report {
            assert_eq!(
                r.missing, 0,
                "task {task}: gaps below seq {}: {report:?}",
                r.max
            );
            assert!(
                r.max >= committed[task],
                "task {task} reached its committed position"
            );
        }
        report
    }
}

/// Creates a connector through `worker`; it must be accepted.
fn create(worker: &WorkerProcess, name: &str, config: &Value) {
    let response = worker.post(&format!("/connectors/{name}"), &config.to_string());
    assert_eq!(response.status, 200, "{name}: {:?}", response.body());
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

/// A verifiable source of three tasks at `rate` records/s each into `topic`.
fn source(topic: &str, rate: u32) -> Value {
    json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "3",
        "connect.topicname": topic, "throughput": rate.to_string(), "batch.size": "50",
        "value.converter": "JsonConverter"})
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
            || worker.task_owners("spread-src", 6).is_some(),
        );
        let config = worker.get("/connectors/spread-dst/config");
        assert_eq!(config.status, 200, "{:?}", config.body());
    }
    let owners = cluster.worker(1).task_owners("spread-src", 6).unwrap();
    let distinct: BTreeSet<&String> = owners.iter().collect();
    assert_eq!(
        distinct.len(),
        3,
        "tasks spread over all workers: {owners:?}"
    );
    // Every task runs on exactly one worker, and the workers' own views agree with the status.
    eventually(
        "allocations agree with the statuses",
        Duration::from_secs(60),
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
    create(cluster.worker(0), "fo-src", &source("failover", 1000));
    eventually(
        "three source tasks RUNNING",
        Duration::from_secs(30),
        || cluster.worker(0).task_owners("fo-src", 3).is_some(),
    );
    cluster.await_progress(0, "fo-src", 3, &BTreeMap::new());
    let owners = cluster.worker(0).task_owners("fo-src", 3).unwrap();
    // Kill a worker that runs a task (not the one we talk to).
    let victim = (1..3)
        .find(|i| owners.contains(&format!("w{i}")))
        .unwrap_or(1);
    let killed_at = Instant::now();
    cluster.kill9(victim);
    let dead = format!("w{victim}");
    eventually(
        "tasks RUNNING on the survivors",
        Duration::from_secs(30),
        || {
            cluster
                .worker(0)
                .task_owners("fo-src", 3)
                .is_some_and(|o| !o.contains(&dead))
        },
    );
    let failover = killed_at.elapsed();
    eprintln!("FIGURE failover_ms={}", failover.as_millis());
    assert!(
        failover < Duration::from_secs(10),
        "failover took {failover:?}"
    );
    cluster.await_members(2);
    // The moved task commits past where it resumed before the source stops.
    let at_failover = cluster.worker(0).committed_seqs("fo-src");
    cluster.await_progress(0, "fo-src", 3, &at_failover);
    let report = cluster.pause_and_report(0, "fo-src", "failover");
    eprintln!("FIGURE failover_report={report:?}");
    let duplicates: usize = report.values().map(|r| r.duplicates).sum();
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
    create(cluster.worker(0), "roll-src", &source("rolling", 500));
    for index in 0..3 {
        let other = (index + 1) % 3;
        eventually("three tasks RUNNING", Duration::from_secs(30), || {
            cluster.worker(other).task_owners("roll-src", 3).is_some()
        });
        let mut worker = cluster.workers[index].take().unwrap();
        let status = worker.terminate(Duration::from_secs(20));
        assert!(status.success(), "w{index} stopped cleanly: {status:?}");
        // Its tasks move at once (it said it was leaving), not after the session timeout.
        eventually(
            "tasks moved off the stopped worker",
            Duration::from_secs(60),
            || {
                cluster
                    .worker(other)
                    .task_owners("roll-src", 3)
                    .is_some_and(|owners| !owners.contains(&format!("w{index}")))
            },
        );
        cluster.workers[index] = Some(worker.restart(&[]));
        cluster.await_members(3);
    }
    eventually(
        "three tasks RUNNING after the last restart",
        Duration::from_secs(30),
        || cluster.worker(0).task_owners("roll-src", 3).is_some(),
    );
    let report = cluster.pause_and_report(1, "roll-src", "rolling");
    eprintln!("FIGURE rolling_report={report:?}");
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
    eventually("all workers agree", Duration::from_secs(60), || {
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
    create(cluster.worker(0), "fz-src", &source("frozen", 500));
    eventually("three tasks RUNNING", Duration::from_secs(30), || {
        cluster.worker(0).task_owners("fz-src", 3).is_some()
    });
    let owners = cluster.worker(0).task_owners("fz-src", 3).unwrap();
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
        Duration::from_secs(60),
        || {
            cluster
                .worker(0)
                .task_owners("fz-src", 3)
                .is_some_and(|o| !o.contains(&frozen))
        },
    );
    signal("-CONT");
    // It stops the tasks it held (they are someone else's now) and rejoins.
    let taken: Vec<u64> = owners
        .iter()
        .enumerate()
        .filter(|(_, w)| **w == frozen)
        .map(|(i, _)| u64::try_from(i).unwrap())
        .collect();
    eventually(
        "the woken worker gave up the tasks it lost",
        Duration::from_secs(60),
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
            taken.iter().all(|t| !running.contains(t))
        },
    );
    cluster.await_members(3);
    eventually("three tasks RUNNING", Duration::from_secs(30), || {
        cluster.worker(2).task_owners("fz-src", 3).is_some()
    });
    let report = cluster.pause_and_report(0, "fz-src", "frozen");
    eprintln!("FIGURE frozen_report={report:?}");
}

/// The broker goes away under load: every worker, cut off from its own heartbeats, stops its
/// tasks (nobody runs anything blind); when the broker is back the cluster re-forms, the tasks
/// run again from their committed positions, and no sequence has a gap.
#[test]
fn broker_outage_stops_every_task_then_the_cluster_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3);
    create(cluster.worker(0), "out-src", &source("outage-cluster", 300));
    eventually("three tasks RUNNING", Duration::from_secs(30), || {
        cluster.worker(0).task_owners("out-src", 3).is_some()
    });
    cluster.await_progress(0, "out-src", 3, &BTreeMap::new());
    cluster.broker.kill_broker();
    eventually(
        "every worker cut off and running nothing",
        Duration::from_secs(30),
        || {
            cluster.live().all(|(_, w)| {
                let tasks = w.get("/allocated/tasks").body().clone();
                w.members().is_empty()
                    && ["runningTasks", "pendingTasks"]
                        .iter()
                        .all(|k| tasks[*k].as_array().is_none_or(Vec::is_empty))
            })
        },
    );
    cluster.broker.restart_broker();
    cluster.await_members(3);
    eventually("three tasks RUNNING again", Duration::from_secs(60), || {
        cluster.worker(1).task_owners("out-src", 3).is_some()
    });
    // The statuses written while the broker was away were retried, and all of them stored.
    let failures: f64 = cluster
        .live()
        .map(|(_, w)| {
            w.metric("rocketmq_connect_status_write_failures_total")
                .unwrap_or(0.0)
        })
        .sum();
    assert!(failures > 0.0, "no status write failed during the outage");
    eventually(
        "every worker stored its status changes",
        Duration::from_secs(30),
        || {
            cluster
                .live()
                .all(|(_, w)| w.metric("rocketmq_connect_status_writes_pending") == Some(0.0))
        },
    );
    let before = cluster.worker(0).committed_seqs("out-src");
    cluster.await_progress(0, "out-src", 3, &before);
    let report = cluster.pause_and_report(2, "out-src", "outage-cluster");
    eprintln!("FIGURE broker_outage_report={report:?}");
}

/// A verifiable source of one task at `rate` records/s into `topic`.
fn small_source(topic: &str, rate: u32) -> Value {
    json!({"connector.class": "VerifiableSourceConnector", "max.tasks": "1",
        "connect.topicname": topic, "throughput": rate.to_string(), "batch.size": "20",
        "value.converter": "JsonConverter"})
}

/// What a worker logged about replaying each control log: (topic, restored snapshot's
/// offset, records read).
fn replays(worker: &WorkerProcess) -> Vec<(String, Option<i64>, u64)> {
    let field = |line: &str, key: &str| -> Option<String> {
        let start = line.find(&format!("{key}="))? + key.len() + 1;
        Some(line[start..].split_whitespace().next()?.to_owned())
    };
    worker
        .log_text()
        .lines()
        .filter(|line| line.contains("replayed the control log"))
        .filter_map(|line| {
            let snapshot = field(line, "snapshot")?;
            let restored = snapshot
                .strip_prefix("Some(")
                .and_then(|s| s.strip_suffix(')'))
                .and_then(|s| s.parse().ok());
            Some((
                field(line, "topic")?,
                restored,
                field(line, "records")?.parse().ok()?,
            ))
        })
        .collect()
}

/// One worker's counter from `/metrics`.
fn counter(worker: &WorkerProcess, name: &str) -> f64 {
    worker
        .metric(&format!("rocketmq_connect_{name}"))
        .unwrap_or_else(|| panic!("the worker exports {name}"))
}

/// The control logs are snapshotted: a worker joining a cluster with a long history reads
/// only the last stretch of each log, from a snapshot, and sees every connector, target state
/// and position. Restarts sent to a worker that does not run the connector or task reach the
/// one that does. A SIGTERMed worker exits within a second, having published the final
/// statuses of what it ran.
#[test]
fn snapshots_restarts_through_any_worker_and_a_prompt_clean_exit() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start_with(dir.path(), 2, &[("controlLogSnapshotRecords", "10")]);
    let names: Vec<String> = (0..12).map(|n| format!("snap-{n}")).collect();
    for name in &names {
        create(cluster.worker(0), name, &small_source(name, 20));
    }
    // A history: every connector paused and resumed four times (~100 config records).
    for _ in 0..4 {
        for name in &names {
            for action in ["pause", "resume"] {
                let response = cluster
                    .worker(0)
                    .get(&format!("/connectors/{name}/{action}"));
                assert_eq!(
                    response.status,
                    200,
                    "{name} {action}: {:?}",
                    response.body()
                );
            }
        }
    }
    let paused = cluster.worker(1).get("/connectors/snap-0/pause");
    assert_eq!(paused.status, 200);
    for name in &names[1..] {
        eventually("every task RUNNING", Duration::from_secs(60), || {
            cluster.worker(1).task_owners(name, 1).is_some()
        });
    }

    // Restarts through the worker that does not run the unit.
    for (name, path) in [
        ("snap-5", "/connectors/snap-5/restart?includeTasks=true"),
        ("snap-6", "/connectors/snap-6/tasks/0/restart"),
    ] {
        let owner_id = cluster.worker(0).task_owners(name, 1).unwrap()[0].clone();
        let owner: usize = owner_id[1..].parse().unwrap();
        let other = 1 - owner;
        let before = counter(cluster.worker(owner), "task_startup_attempts_total");
        let response = cluster.worker(other).post(path, "");
        assert!(
            (200..300).contains(&response.status),
            "{path} through w{other}: {} {:?}",
            response.status,
            response.body()
        );
        cluster.worker(owner).eventually(
            &format!("{name}'s task restarted on {owner_id}"),
            Duration::from_secs(30),
            || counter(cluster.worker(owner), "task_startup_attempts_total") > before,
        );
    }

    // Every task commits positions (~5 records/s each); the position log grows past the
    // replay window too.
    let at = cluster.worker(0).committed_seqs("snap-3");
    eventually("positions advance", Duration::from_secs(30), || {
        cluster
            .worker(0)
            .committed_seqs("snap-3")
            .get(&0)
            .copied()
            .unwrap_or(-1)
            > at.get(&0).copied().unwrap_or(-1) + 40
    });

    // A new worker joins: it replays each log from a snapshot near its end.
    let joined = cluster.launch(2);
    cluster.workers.push(Some(joined));
    cluster.await_members(3);
    let replays = replays(cluster.worker(2));
    eprintln!("FIGURE joined_worker_replays={replays:?}");
    assert_eq!(replays.len(), 3, "{replays:?}");
    for (topic, restored, records) in &replays {
        assert!(
            restored.is_some(),
            "{topic}: not from a snapshot: {replays:?}"
        );
        assert!(*records < 200, "{topic}: read {records} records");
    }
    let listed = cluster.worker(2).get("/connectors").body().clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(12), "{listed:?}");
    let (state, _) = cluster.worker(2).states("snap-0");
    assert_eq!(state, "PAUSED");
    let seen_elsewhere = cluster.worker(0).committed_seqs("snap-3")[&0];
    assert!(
        cluster.worker(2).committed_seqs("snap-3")[&0] >= seen_elsewhere,
        "positions restored from the snapshot and the records after it"
    );

    // SIGTERM: prompt exit, final statuses published.
    let units: Vec<String> = names[1..]
        .iter()
        .filter(|name| {
            cluster
                .worker(0)
                .task_owners(name, 1)
                .is_some_and(|owners| owners[0] == "w1")
        })
        .cloned()
        .collect();
    assert!(!units.is_empty(), "w1 runs tasks");
    let mut leaving = cluster.workers[1].take().unwrap();
    let asked = Instant::now();
    let status = leaving.terminate(Duration::from_secs(20));
    let took = asked.elapsed();
    eprintln!("FIGURE sigterm_exit_ms={}", took.as_millis());
    assert!(status.success(), "{status:?}");
    let log = leaving.log_text();
    // From the signal on: the worker's own lines and the client's shutdown steps.
    let timeline: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.contains("shutting down: no new requests"))
        .filter(|l| l.contains("connect_") || l.contains("shutdown starting"))
        .collect();
    // A prompt exit is one that waits out no bound: the shortest it could wait is a reader's
    // close bound (2 s). Here the exit takes 0.4 s alone and 1.25 s on two cores beside
    // four busy loops, so a tighter bound fails on a loaded machine; the figure above tracks
    // the time itself.
    assert!(
        took < Duration::from_secs(2),
        "exit took {took:?}; the shutdown:\n{}",
        timeline.join("\n")
    );
    assert!(!log.contains("could not publish a status"), "{log}");
    let unassigned = |messages: &[connect_dataplane::mq::IncomingMessage]| {
        messages
            .iter()
            .filter_map(|m| serde_json::from_slice::<Value>(&m.body).ok())
            .filter_map(|record| {
                let op = &record["body"]["op"];
                (op["op"] == "task"
                    && op["status"]["state"] == "UNASSIGNED"
                    && op["status"]["workerId"] == "w1")
                    .then(|| {
                        op["id"]["connector"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned()
                    })
            })
            .collect::<BTreeSet<String>>()
    };
    let messages = cluster.broker.read_topic_until(
        "connector-status-topic",
        Duration::from_secs(30),
        |messages| units.iter().all(|unit| unassigned(messages).contains(unit)),
    );
    let published = unassigned(&messages);
    for unit in &units {
        assert!(
            published.contains(unit),
            "{unit}'s final status: {published:?}"
        );
    }
}

/// A hundred connectors on three workers keep running through a rolling restart: after each
/// worker stopped and came back, every connector's task is RUNNING and commits again.
#[test]
fn a_hundred_connectors_keep_working_through_a_rolling_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3);
    let names: Vec<String> = (0..100).map(|n| format!("many-{n}")).collect();
    for (n, name) in names.iter().enumerate() {
        create(cluster.worker(n % 3), name, &small_source("many", 5));
    }
    // Here: 14 s alone, 33 s with four busy loops beside the other cluster tests.
    cluster.await_running(0, &names, "hundred_running", Duration::from_secs(240));
    for index in 0..3 {
        let other = (index + 1) % 3;
        let mut worker = cluster.workers[index].take().unwrap();
        let status = worker.terminate(Duration::from_secs(30));
        assert!(status.success(), "w{index} stopped cleanly: {status:?}");
        cluster.workers[index] = Some(worker.restart(&[]));
        cluster.await_members(3);
        cluster.await_running(
            other,
            &names,
            "hundred_running_after_a_restart",
            Duration::from_secs(120),
        );
    }
    let before: Vec<i64> = names
        .iter()
        .map(|name| {
            cluster
                .worker(0)
                .committed_seqs(name)
                .get(&0)
                .copied()
                .unwrap_or(-1)
        })
        .collect();
    eventually(
        "every connector commits again",
        Duration::from_secs(60),
        || {
            names.iter().zip(&before).all(|(name, at)| {
                cluster
                    .worker(1)
                    .committed_seqs(name)
                    .get(&0)
                    .copied()
                    .unwrap_or(-1)
                    > *at
            })
        },
    );
    let rss: Vec<u64> = cluster.live().map(|(_, w)| w.rss_kib() / 1024).collect();
    eprintln!("FIGURE rss_mib_per_worker_at_100_connectors={rss:?}");
}
