//! Integration-test helpers: real worker processes on loopback and a minimal HTTP client.
//!
//! # Codemap
//! - [`WorkerProcess`]: starts `rocketmq-connect standalone` with a generated configuration on
//!   a free port (`httpPort=0`; the address is read from the worker's stdout), stops it with
//!   SIGTERM or kill -9, and restarts it on the same store.
//! - [`http`]: a blocking HTTP/1.1 client for JSON requests (no TLS, no dependencies).
//! - [`eventually`]: waits for a condition instead of sleeping.
//! - [`fixture`]: files under `tests/fixtures/`.
//! - [`db`]: MariaDB / PostgreSQL servers and SQLite files, with a small SQL client.
//!
//! Test files: `seed_examples.rs` (converters and transforms on the seed's examples),
//! `rest_api.rs` (every route), `lifecycle.rs` (kill -9, restart, supervision, shutdown).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a panic is a failed test"
)]

pub mod db;
pub mod prometheus;
pub mod raw_producer;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use connect_dataplane::mq::IncomingMessage;
use connect_dataplane::mq::{ConsumeFrom, MqClient};
use connect_runtime::rocketmq::RocketMqRuntime;

/// The contents of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// Polls `check` every 20 ms until it returns true; panics with `what` after `timeout`.
pub fn eventually(what: &str, timeout: Duration, check: impl FnMut() -> bool) {
    assert!(
        poll_until(timeout, check),
        "timed out after {timeout:?} waiting for {what}"
    );
}

/// Polls `check` every 20 ms until it returns true (→ true) or `timeout` passes (→ false).
pub fn poll_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !check() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// A response: HTTP status and JSON body (`Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub json: serde_json::Value,
    pub text: String,
    /// The status line and headers.
    pub head: String,
}

impl Response {
    /// The `body` of a success envelope.
    pub fn body(&self) -> &serde_json::Value {
        &self.json["body"]
    }
}

impl Response {
    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

/// One HTTP/1.1 request; `target` is the path with query.
pub fn http(base: &str, method: &str, target: &str, body: Option<&str>) -> Response {
    http_with(base, method, target, &[], body)
}

/// One HTTP/1.1 request with extra headers (`Origin`, `Authorization`, …).
pub fn http_with(
    base: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let authority = base.trim_start_matches("http://");
    let mut stream =
        TcpStream::connect(authority).unwrap_or_else(|e| panic!("connect {authority}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let body = body.unwrap_or("");
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let host = if has("Host") {
        String::new()
    } else {
        format!("Host: {authority}\r\n")
    };
    let content_type = if has("Content-Type") {
        ""
    } else {
        "Content-Type: application/json\r\n"
    };
    let request = format!(
        "{method} {target} HTTP/1.1\r\n{host}Connection: close\r\n{content_type}{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, payload) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(payload)
    } else {
        payload.to_owned()
    };
    Response {
        status,
        json: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        text: payload,
        head: head.to_owned(),
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

/// Percent-encodes a query parameter value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What a test worker allows unless a test says otherwise (`extra` keys come later and win):
/// files under its own directory, and the test connectors' fault-injection switches.
fn test_defaults(dir: &Path) -> String {
    format!("allowedPaths={}\ntestPluginsEnable=true\n", dir.display())
}

/// A running `rocketmq-connect standalone` (or `distributed`) process.
#[derive(Debug)]
pub struct WorkerProcess {
    bin: PathBuf,
    command: &'static str,
    child: Option<Child>,
    pub base: String,
    /// Kafka Connect's API (`kafkaRestPort`), when the configuration sets it.
    pub kafka_base: Option<String>,
    pub dir: PathBuf,
    conf: PathBuf,
    pub log: PathBuf,
}

impl WorkerProcess {
    /// Writes `dir/worker.conf` (free port, store under `dir/store`, plus `extra` keys) and
    /// starts `bin` (pass `env!("CARGO_BIN_EXE_connect-test-worker")`).
    pub fn start(bin: &str, dir: &Path, extra: &[(&str, &str)], connectors: &[PathBuf]) -> Self {
        let mut conf = format!(
            "workerId=test-worker\nhttpPort=0\nstorePathRootDir={}\n",
            dir.join("store").display()
        );
        conf.push_str("offsetCommitIntervalMsConfig=200\nmaxStopTimeoutMills=3000\n");
        conf.push_str(&test_defaults(dir));
        for (k, v) in extra {
            conf.push_str(&format!("{k}={v}\n"));
        }
        let path = dir.join("worker.conf");
        std::fs::write(&path, conf).unwrap();
        Self::launch(PathBuf::from(bin), "standalone", dir, path, connectors)
    }

    /// Writes `dir/worker.conf` for member `worker_id` of a distributed cluster (free port,
    /// fast heartbeats, plus `extra` keys: at least `namesrvAddr`) and starts it.
    pub fn start_distributed(
        bin: &str,
        dir: &Path,
        worker_id: &str,
        extra: &[(&str, &str)],
    ) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let mut conf = format!("workerId={worker_id}\nhttpPort=0\n");
        conf.push_str("offsetCommitIntervalMsConfig=200\nmaxStopTimeoutMills=3000\n");
        conf.push_str(&test_defaults(dir));
        for (k, v) in extra {
            conf.push_str(&format!("{k}={v}\n"));
        }
        let path = dir.join("worker.conf");
        std::fs::write(&path, conf).unwrap();
        Self::launch(PathBuf::from(bin), "distributed", dir, path, &[])
    }

    fn launch(
        bin: PathBuf,
        command: &'static str,
        dir: &Path,
        conf: PathBuf,
        connectors: &[PathBuf],
    ) -> Self {
        let log = dir.join(format!(
            "worker-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(&bin)
            .arg(command)
            .arg("-c")
            .arg(&conf)
            .args(connectors)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the worker");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "worker did not report its address; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        let base = line
            .trim()
            .strip_prefix("REST API listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let wants_kafka = std::fs::read_to_string(&conf)
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with("kafkaRestPort="));
        let kafka_base = wants_kafka.then(|| {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("the worker reports its Kafka Connect REST address");
            line.trim()
                .strip_prefix("Kafka Connect REST API listening on ")
                .unwrap_or_else(|| panic!("unexpected second line {line:?}"))
                .to_owned()
        });
        Self {
            kafka_base,
            bin,
            command,
            child: Some(child),
            base,
            dir: dir.to_owned(),
            conf,
            log,
        }
    }

    /// The same worker (same configuration and store) started again.
    pub fn restart(&mut self, connectors: &[PathBuf]) -> Self {
        assert!(self.child.is_none(), "stop the worker before restarting it");
        Self::launch(
            self.bin.clone(),
            self.command,
            &self.dir,
            self.conf.clone(),
            connectors,
        )
    }

    pub fn get(&self, target: &str) -> Response {
        http(&self.base, "GET", target, None)
    }
    pub fn post(&self, target: &str, body: &str) -> Response {
        http(&self.base, "POST", target, Some(body))
    }
    pub fn put(&self, target: &str, body: &str) -> Response {
        http(&self.base, "PUT", target, Some(body))
    }
    pub fn delete(&self, target: &str) -> Response {
        http(&self.base, "DELETE", target, None)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("worker running")
    }

    /// kill -9: no shutdown hook runs.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, then wait for exit (at most `timeout`); returns the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("worker running");
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "worker did not exit within {timeout:?} of SIGTERM; log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The worker's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The worker's last 40 WARN and ERROR lines, for a failure message.
    pub fn warnings(&self) -> String {
        let log = self.log_text();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
            .collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// [`eventually`], with the worker's warnings in the failure message: a timeout says what
    /// the worker was complaining about.
    pub fn eventually(&self, what: &str, timeout: Duration, check: impl FnMut() -> bool) {
        assert!(
            poll_until(timeout, check),
            "timed out after {timeout:?} waiting for {what}; the worker's warnings:\n{}",
            self.warnings()
        );
    }

    /// The value of one series of `GET /metrics`, named as Prometheus prints it
    /// (`name{label="…",…}`); `None` when the worker does not export it.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let text = self.get("/metrics").text;
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
    }

    /// Resident memory in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// CPU time (user + system) the worker process has used so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        process_cpu_seconds(&self.pid().to_string())
    }

    /// The connector's connector-and-task states, e.g. `("RUNNING", ["RUNNING"])`.
    pub fn states(&self, name: &str) -> (String, Vec<String>) {
        let status = self.get(&format!("/connectors/{name}/status"));
        let body = status.body();
        let connector = body["connector"]["state"].as_str().unwrap_or("").to_owned();
        let tasks = body["tasks"]
            .as_array()
            .map(|t| {
                t.iter()
                    .map(|t| t["state"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        (connector, tasks)
    }

    /// Waits until the connector and all its (≥1) tasks are in `state`.
    pub fn wait_state(&self, name: &str, state: &str) {
        self.eventually(
            &format!("{name} to be {state}"),
            Duration::from_secs(60),
            || {
                let (connector, tasks) = self.states(name);
                connector == state && !tasks.is_empty() && tasks.iter().all(|t| t == state)
            },
        );
    }
}

/// Distributed-mode views of one worker.
impl WorkerProcess {
    /// The live members this worker sees (`/getClusterInfo`).
    pub fn members(&self) -> Vec<String> {
        self.get("/getClusterInfo")
            .body()
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect()
    }

    /// The worker running each of `name`'s `tasks` tasks, if all of them are RUNNING.
    pub fn task_owners(&self, name: &str, tasks: usize) -> Option<Vec<String>> {
        let body = self
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

    /// Committed positions of a verifiable source: task → last committed seq.
    pub fn committed_seqs(&self, name: &str) -> std::collections::BTreeMap<i64, i64> {
        self.get(&format!("/connectors/{name}/offsets")).body()["offsets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| {
                Some((
                    o["partition"]["task"].as_i64()?,
                    o["offset"]["seq"].as_i64()?,
                ))
            })
            .collect()
    }

    /// Pauses `name` and waits until every task says PAUSED.
    pub fn pause_and_wait(&self, name: &str) {
        let paused = self.get(&format!("/connectors/{name}/pause"));
        assert_eq!(paused.status, 200, "{:?}", paused.body());
        eventually(&format!("{name} paused"), Duration::from_secs(30), || {
            self.get(&format!("/connectors/{name}/status")).body()["tasks"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == "PAUSED"))
        });
    }
}

/// What a topic written by verifiable source tasks holds, per task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceReport {
    /// Highest sequence number seen.
    pub max: i64,
    /// Sequence numbers below `max` never seen.
    pub missing: usize,
    /// Records seen more than once (extra copies).
    pub duplicates: usize,
}

/// Reads `(task, seq)` from verifiable records (plain JSON or a JsonConverter envelope) and
/// reports gaps and duplicates per task.
pub fn verifiable_report(
    messages: &[IncomingMessage],
) -> std::collections::BTreeMap<i64, SequenceReport> {
    let mut by_task: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
    for message in messages {
        let value: serde_json::Value = serde_json::from_slice(&message.body).expect("JSON record");
        let payload = value.get("payload").unwrap_or(&value);
        let (task, seq) = (payload["task"].as_i64(), payload["seq"].as_i64());
        by_task
            .entry(task.expect("a task field"))
            .or_default()
            .push(seq.expect("a seq field"));
    }
    by_task
        .into_iter()
        .map(|(task, mut seqs)| {
            let total = seqs.len();
            seqs.sort_unstable();
            seqs.dedup();
            let max = seqs.last().copied().unwrap_or(-1);
            let missing = usize::try_from(max + 1).unwrap_or(0) - seqs.len();
            let report = SequenceReport {
                max,
                missing,
                duplicates: total - seqs.len(),
            };
            (task, report)
        })
        .collect()
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A direct-mode file → file connector configuration.
pub fn file_pipeline(input: &Path, output: &Path) -> serde_json::Value {
    serde_json::json!({
        "connector.class": "org.apache.rocketmq.connect.file.FileSourceConnector",
        "connector.direct.enable": "true",
        "source.task.class": "org.apache.rocketmq.connect.file.FileSourceTask",
        "sink.task.class": "org.apache.rocketmq.connect.file.FileSinkTask",
        "source.filename": input.display().to_string(),
        "sink.filename": output.display().to_string(),
        "file.poll.interval.ms": "10",
        "batch.size": "200"
    })
}

/// A direct-mode verifiable source → verifiable sink configuration with extra keys.
pub fn verifiable_pipeline(extra: &[(&str, &str)]) -> serde_json::Value {
    let mut config = serde_json::json!({
        "connector.class": "org.apache.rocketmq.connect.verifiable.VerifiableSourceConnector",
        "connector.direct.enable": "true",
        "source.task.class": "VerifiableSourceTask",
        "sink.task.class": "VerifiableSinkTask",
    });
    for (k, v) in extra {
        config[*k] = serde_json::Value::String((*v).to_owned());
    }
    config
}

/// A RocketMQ name server + broker on loopback, started with `scripts/rocketmq.sh` (which
/// `scripts/test.sh` installs once per machine); stopped on drop.
#[derive(Debug)]
pub struct Broker {
    dir: PathBuf,
    pub namesrv_addr: String,
}

impl Broker {
    fn script() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/rocketmq.sh")
    }

    /// Starts a fresh name server and broker with their store under `dir`.
    pub fn start(dir: &Path) -> Self {
        let output = Command::new(Self::script())
            .arg("start")
            .arg(dir)
            .output()
            .expect("run scripts/rocketmq.sh");
        assert!(
            output.status.success(),
            "scripts/rocketmq.sh start failed (is it installed? run scripts/rocketmq.sh install):\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let env = String::from_utf8_lossy(&output.stdout).into_owned();
        let namesrv_addr = env
            .lines()
            .find_map(|l| l.strip_prefix("NAMESRV_ADDR="))
            .expect("NAMESRV_ADDR printed")
            .to_owned();
        Self {
            dir: dir.to_owned(),
            namesrv_addr,
        }
    }
}

impl Broker {
    /// CPU time (user + system) the broker process has used so far, in seconds (0 once it is
    /// gone): benchmarks divide it by the messages of a phase to see what each costs the
    /// broker, and by the phase's time to see how busy the broker was.
    pub fn broker_cpu_seconds(&self) -> f64 {
        let pid = std::fs::read_to_string(self.dir.join("broker.pid")).unwrap_or_default();
        process_cpu_seconds(pid.trim())
    }

    /// Keeps the name server and the broker (every thread) on CPU `cpu`, as benchmarks do to
    /// give the broker a core of its own, as a broker on its own machine has.
    pub fn pin_to_cpu(&self, cpu: usize) {
        for name in ["namesrv.pid", "broker.pid"] {
            let pid = std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            pin_process(pid.trim(), &cpu.to_string());
        }
    }

    fn run(&self, command: &str) {
        let output = Command::new(Self::script())
            .arg(command)
            .arg(&self.dir)
            .output()
            .expect("run scripts/rocketmq.sh");
        assert!(
            output.status.success(),
            "scripts/rocketmq.sh {command} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Kills the broker with SIGKILL (the name server stays up).
    pub fn kill_broker(&self) {
        self.run("kill-broker");
    }

    /// Starts the broker again on the same ports and store; returns once it is ready.
    pub fn restart_broker(&self) {
        self.run("restart-broker");
    }

    /// Sends one message (`keys`, `body`) to `topic` with the raw client.
    pub fn send(&self, topic: &str, keys: &str, body: &[u8]) {
        let (runtime, client) =
            RocketMqRuntime::start(&self.namesrv_addr, false).expect("start the RocketMQ client");
        runtime.block_on(async {
            let producer = client.producer("test-sender").await.expect("a producer");
            let message = connect_dataplane::mq::OutgoingMessage {
                topic: topic.to_owned(),
                keys: Some(keys.to_owned()),
                tags: None,
                body: body.to_vec().into(),
                timestamp: None,
                properties: Default::default(),
                queue: None,
            };
            let results = producer.send(std::slice::from_ref(&message)).await;
            assert!(results.iter().all(Result::is_ok), "{results:?}");
        });
        shutdown_in_background(runtime);
    }

    /// Reads `topic` from its first offset with a fresh consumer group until `want` messages
    /// arrived or `timeout` passed — the raw client, independent of the worker under test.
    pub fn read_topic(&self, topic: &str, want: usize, timeout: Duration) -> Vec<IncomingMessage> {
        self.read_topic_until(topic, timeout, |messages| messages.len() >= want)
    }

    /// Reads a topic written by verifiable source tasks until every task's sequence reaches
    /// its `committed` position with no gap (or `timeout` passes, and the report shows the
    /// gaps); returns how many messages were read and the per-task report.
    pub fn read_verifiable(
        &self,
        topic: &str,
        committed: &std::collections::BTreeMap<i64, i64>,
        timeout: Duration,
    ) -> (usize, std::collections::BTreeMap<i64, SequenceReport>) {
        let messages = self.read_topic_until(topic, timeout, |messages| {
            let report = verifiable_report(messages);
            committed.iter().all(|(task, seq)| {
                report
                    .get(task)
                    .is_some_and(|r| r.missing == 0 && r.max >= *seq)
            })
        });
        (messages.len(), verifiable_report(&messages))
    }

    /// Reads every queue of `topic` from its first offset until `done` says the messages read
    /// so far are enough, or `timeout` passed. The queues are assigned, not balanced by a
    /// consumer group: a topic the worker creates after the read began is picked up as soon as
    /// its route exists (a group would only see it at its next rebalance, ~20 s later, and
    /// not at all if the client keeps a stale empty route).
    pub fn read_topic_until(
        &self,
        topic: &str,
        timeout: Duration,
        mut done: impl FnMut(&[IncomingMessage]) -> bool,
    ) -> Vec<IncomingMessage> {
        static READERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "test-reader-{}-{}",
            std::process::id(),
            READERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let (runtime, client) =
            RocketMqRuntime::start(&self.namesrv_addr, false).expect("start the RocketMQ client");
        let messages = runtime.block_on(async {
            let deadline = Instant::now() + timeout;
            let mut messages = Vec::new();
            let mut consumer = loop {
                match client.reader(&name, topic, ConsumeFrom::FirstOffset).await {
                    Ok(consumer) => break Some(consumer),
                    // No route yet: the worker has not created the topic.
                    Err(_) if Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(200)).await
                    }
                    Err(e) => {
                        eprintln!("topic {topic} never became readable: {e}");
                        break None;
                    }
                }
            };
            if let Some(consumer) = consumer.as_mut() {
                while !done(&messages) && Instant::now() < deadline {
                    messages.extend(
                        consumer
                            .poll(Duration::from_millis(200))
                            .await
                            .expect("poll"),
                    );
                }
                consumer.close().await;
            }
            messages
        });
        shutdown_in_background(runtime);
        messages
    }
}

/// Stops a test client's runtime without waiting: its shutdown waits up to 10 s for background
/// tasks of the client library, which would only slow the test down.
fn shutdown_in_background(runtime: RocketMqRuntime) {
    std::thread::spawn(move || runtime.shutdown());
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = Command::new(Self::script())
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

/// Keeps process `pid` (every thread, and what it starts later) on the CPUs of `cpus`
/// (`taskset`'s list form, e.g. `0` or `1-3`).
pub fn pin_process(pid: &str, cpus: &str) {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, pid])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run taskset (util-linux)");
    assert!(status.success(), "taskset -a -p -c {cpus} {pid} failed");
}

/// CPU time (user + system, all threads) a process has used so far, in seconds; `pid` is a
/// process id or `self`. 0 when the process is gone.
pub fn process_cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // Linux reports them in USER_HZ: 100 per second on every architecture it runs on.
    Duration::from_millis(ticks * 10).as_secs_f64()
}
