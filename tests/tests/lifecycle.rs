//! The worker as a process: crash (kill -9) and restart without loss, restart into the last
//! state, supervision of panicking and hanging connectors next to a healthy one, bounded
//! graceful shutdown, and a clear error for a bad worker configuration.

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use connect_tests::{WorkerProcess, eventually, file_pipeline, verifiable_pipeline};
use serde_json::json;

const WORKER: &str = env!("CARGO_BIN_EXE_connect-test-worker");

fn append(path: &Path, from: usize, to: usize) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut text = String::new();
    for i in from..to {
        text.push_str(&format!("line-{i:07}\n"));
    }
    file.write_all(text.as_bytes()).unwrap();
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Bytes per line written by [`append`] (`line-0000000\n`).
const LINE_BYTES: i64 = 13;

/// kill -9 of the worker while lines stream through a file → file pipeline (a writer keeps
/// appending throughout), then a restart: every line arrives, in order, and the only
/// duplicates are one contiguous replay starting no earlier than the position committed
/// before the kill — so duplicates are bounded by one commit interval's worth of lines.
#[test]
fn kill_9_mid_stream_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    let connector = dir.path().join("pipeline.json");
    std::fs::write(
        &connector,
        json!({"name": "copy", "config": file_pipeline(&input, &output)}).to_string(),
    )
    .unwrap();
    std::fs::write(&input, "").unwrap();
    let mut worker = WorkerProcess::start(
        WORKER,
        dir.path(),
        &[("offsetCommitIntervalMsConfig", "500")],
        std::slice::from_ref(&connector),
    );

    let writer_input = input.clone();
    let killed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer_killed = killed.clone();
    // The writer appends until the worker has been killed, then one more chunk: the kill
    // always lands while lines are being appended, however slowly the worker started. The
    // sleep paces the load (500 lines every 10 ms); it synchronises nothing.
    let writer = std::thread::spawn(move || {
        let mut written = 0;
        loop {
            let last = writer_killed.load(std::sync::atomic::Ordering::SeqCst);
            append(&writer_input, written, written + 500);
            written += 500;
            if last {
                return written;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    // Kill once a commit is visible and the sink has written well past it, while the writer
    // writes: the lines between the commit and the kill must be replayed, nothing lost.
    let mut committed_lines = 0;
    eventually(
        "a committed position with copied lines beyond it",
        Duration::from_secs(60),
        || {
            let position = worker.get("/connectors/copy/offsets").body()["offsets"][0]["offset"]["nextPosition"].as_i64().unwrap_or(0);
            committed_lines = usize::try_from(position / LINE_BYTES).unwrap();
            committed_lines > 2_000 && lines(&output).len() > committed_lines + 1_000
        },
    );
    worker.kill9();
    killed.store(true, std::sync::atomic::Ordering::SeqCst);
    let copied_before_kill = lines(&output).len();

    let worker = worker.restart(&[connector]);
    let total = writer.join().unwrap();
    let expected: Vec<String> = (0..total).map(|i| format!("line-{i:07}")).collect();
    eventually(
        "every line after the restart",
        Duration::from_secs(60),
        || lines(&output).last() == expected.last(),
    );
    let out = lines(&output);
    // out = expected[..k] ++ expected[replay_start..] with committed <= replay_start <= k.
    let k = out
        .iter()
        .zip(&expected)
        .take_while(|(a, b)| a == b)
        .count();
    let replay_start = if k == out.len() {
        k
    } else {
        expected.iter().position(|l| *l == out[k]).unwrap()
    };
    assert!(
        k < out.len(),
        "lines copied after the last commit must be replayed once"
    );
    assert!(replay_start <= k, "lines {k}..{replay_start} are missing");
    assert!(
        replay_start >= committed_lines,
        "replay from {replay_start} is before the committed line {committed_lines}"
    );
    assert_eq!(
        &out[k..],
        &expected[replay_start..],
        "after the restart the copy continues in order"
    );
    let duplicates = out.len() - expected.len();
    assert_eq!(duplicates, k - replay_start);
    assert!(duplicates <= copied_before_kill - committed_lines);
    eprintln!(
        "kill -9 test: {total} lines, {copied_before_kill} copied and {committed_lines} committed (seen) before the kill, replay from line {replay_start}, {duplicates} duplicates"
    );
    worker.wait_state("copy", "RUNNING");
}

/// A restarted worker brings every connector back in its last state: running ones run and
/// resume from their positions, paused ones stay paused.
#[test]
fn restart_restores_connectors_in_their_last_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let (input, out_a, out_b) = (
        dir.path().join("in.txt"),
        dir.path().join("a.txt"),
        dir.path().join("b.txt"),
    );
    append(&input, 0, 100);
    assert_eq!(
        worker
            .post(
                "/connectors/runs",
                &file_pipeline(&input, &out_a).to_string()
            )
            .status,
        200
    );
    assert_eq!(
        worker
            .post(
                "/connectors/sleeps",
                &file_pipeline(&input, &out_b).to_string()
            )
            .status,
        200
    );
    eventually("both copies", Duration::from_secs(30), || {
        lines(&out_a).len() == 100 && lines(&out_b).len() == 100
    });
    worker.get("/connectors/sleeps/pause");
    worker.wait_state("sleeps", "PAUSED");
    let status = worker.terminate(Duration::from_secs(15));
    assert!(status.success(), "graceful exit: {status:?}");

    append(&input, 100, 150);
    let worker = worker.restart(&[]);
    worker.wait_state("runs", "RUNNING");
    worker.wait_state("sleeps", "PAUSED");
    eventually("the running copy resumes", Duration::from_secs(30), || {
        lines(&out_a).len() == 150
    });
    assert_eq!(
        lines(&out_a),
        (0..150).map(|i| format!("line-{i:07}")).collect::<Vec<_>>(),
        "no duplicates after a clean stop"
    );
    assert_eq!(lines(&out_b).len(), 100, "the paused one stays paused");
    worker.get("/connectors/sleeps/resume");
    eventually(
        "the resumed copy catches up",
        Duration::from_secs(30),
        || lines(&out_b).len() == 150,
    );
}

/// A connector that panics on every poll is restarted with backoff and ends FAILED with its
/// trace; one whose poll blocks its thread forever is contained; a healthy pipeline next to
/// them keeps copying and the REST API keeps answering; shutdown stays bounded.
#[test]
fn misbehaving_connectors_do_not_disturb_others() {
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        ("taskRestartMaxAttempts", "2"),
        ("taskRestartBackoffInitialMs", "50"),
        ("taskRestartBackoffMaxMs", "100"),
        ("maxStopTimeoutMills", "1000"),
    ];
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &extra, &[]);
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    append(&input, 0, 10);
    assert_eq!(
        worker
            .post(
                "/connectors/healthy",
                &file_pipeline(&input, &output).to_string()
            )
            .status,
        200
    );
    assert_eq!(
        worker
            .post(
                "/connectors/panics",
                &verifiable_pipeline(&[("panic.on.poll", "true")]).to_string()
            )
            .status,
        200
    );
    assert_eq!(
        worker
            .post(
                "/connectors/blocks",
                &verifiable_pipeline(&[("hang.on.poll", "true")]).to_string()
            )
            .status,
        200
    );
    assert_eq!(
        worker
            .post(
                "/connectors/hangs-on-stop",
                &verifiable_pipeline(&[("hang.on.stop", "true"), ("throughput", "100")])
                    .to_string()
            )
            .status,
        200
    );

    eventually(
        "the panicking task to give up",
        Duration::from_secs(30),
        || {
            let status = worker.get("/connectors/panics/status");
            status.body()["tasks"][0]["state"] == "FAILED"
                && status.body()["tasks"][0]["trace"]
                    .as_str()
                    .is_some_and(|t| {
                        t.contains("panic.on.poll") && t.contains("gave up after 2 restarts")
                    })
        },
    );
    // The metrics show it: the task FAILED (its status and its connector's count), after
    // three starts of it (the first and two restarts) among the worker's task starts.
    worker.eventually(
        "the failed task in /metrics",
        Duration::from_secs(30),
        || {
            worker.metric(r#"rocketmq_connect_status{connector="panics",task="0",state="FAILED"}"#)
                == Some(1.0)
                && worker.metric(
                    r#"rocketmq_connect_connector_tasks{connector="panics",state="FAILED"}"#,
                ) == Some(1.0)
        },
    );
    assert!(
        worker
            .metric("rocketmq_connect_task_startup_attempts_total")
            .is_some_and(|n| n >= 3.0 + 3.0),
        "three starts of the panicking task and one of each other connector's task"
    );
    for batch in 1..5 {
        append(&input, batch * 10, batch * 10 + 10);
        eventually(
            "the healthy pipeline to keep copying",
            Duration::from_secs(30),
            || lines(&output).len() == batch * 10 + 10,
        );
    }
    worker.wait_state("healthy", "RUNNING");
    worker.wait_state("blocks", "RUNNING");
    assert_eq!(worker.get("/getClusterInfo").status, 200);

    // Deleting the blocked connector and shutting down with a hanging stop both finish.
    let started = Instant::now();
    assert_eq!(worker.delete("/connectors/blocks").status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "delete took {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let status = worker.terminate(Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
    eprintln!("shutdown with a hanging task took {:?}", started.elapsed());
}

/// A bad worker configuration stops startup with the key, value and line.
#[test]
fn bad_worker_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "workerId=w\nhttpPort=eighty\n").unwrap();
    let output = std::process::Command::new(WORKER)
        .args(["standalone", "-c"])
        .arg(&conf)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.conf:2") && stderr.contains("httpPort") && stderr.contains("eighty"),
        "{stderr}"
    );

    // Distributed mode lives on RocketMQ: without namesrvAddr it refuses to start.
    std::fs::write(&conf, "workerId=w\nhttpPort=0\n").unwrap();
    let output = std::process::Command::new(WORKER)
        .args(["distributed", "-c"])
        .arg(&conf)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("namesrvAddr"), "{stderr}");

    let missing = std::process::Command::new(WORKER)
        .args(["standalone", "-c", "/nonexistent/worker.conf"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let help = std::process::Command::new(WORKER)
        .args(["standalone", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--config"));
}

/// Direct mode keeps the failure policy of source tasks: a poll failing retriably shows in
/// the task's status while it retries (the task stays RUNNING), the trouble clears once a
/// poll succeeds, and every record arrives.
#[test]
fn direct_mode_shows_retriable_poll_failures_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let report = dir.path().join("report.json");
    let config = verifiable_pipeline(&[
        ("poll.retriable.failures", "60"),
        ("max.messages", "500"),
        ("errors.retry.delay.max.ms", "100"),
        ("sink.report.file", &report.display().to_string()),
    ]);
    assert_eq!(
        worker
            .post("/connectors/flaky-direct", &config.to_string())
            .status,
        200
    );
    let task = || worker.get("/connectors/flaky-direct/status").body()["tasks"][0].clone();
    worker.eventually(
        "the retries in the task's status",
        Duration::from_secs(30),
        || {
            let task = task();
            task["state"] == "RUNNING"
                && task["trace"]
                    .as_str()
                    .is_some_and(|t| t.contains("poll failed"))
        },
    );
    worker.eventually(
        "every record, and the trouble cleared",
        Duration::from_secs(60),
        || {
            let delivered = std::fs::read_to_string(&report)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .is_some_and(|r| r["unique"] == 500 && r["missing"] == 0);
            let task = task();
            delivered
                && task["state"] == "RUNNING"
                && task["trace"].as_str().is_none_or(str::is_empty)
        },
    );
}
