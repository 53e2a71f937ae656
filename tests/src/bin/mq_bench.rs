//! The RocketMQ data-plane benchmark: on one broker, in one run, the raw client against the
//! runtime moving the same messages.
//!
//! - produce: the raw producer at its best (`connect_tests::raw_producer`: batches of up to 512
//!   messages, every queue sending concurrently) vs the file source connector producing the
//!   same lines through a worker process;
//! - consume: a raw `DefaultLitePullConsumer` (queues assigned, no rebalancing) writing every
//!   body as a line to a file vs the file sink connector doing the same through the worker.
//!
//! Prints both rates, the ratios, the worker's CPU per message in each phase (the broker
//! shares the machine's cores, so that is what the runtime's rate costs the broker), the
//! broker's own CPU per message produced, raw and through the runtime (and so how many cores
//! it kept busy), and the worker's peak RSS. Run it with `scripts/bench-mq.sh`
//! (builds in release, starts a loopback broker unless `NAMESRV_ADDR` is set).
//! `BENCH_MESSAGES` (default 500000) sets the count, `BENCH_ROUNDS` (default 3) the rounds,
//! `BENCH_SOURCE_BATCH` the file source's `batch.size` (its default, 1000), `BENCH_PIN_BROKER=1`
//! gives the broker a core of its own (CPU 0; the bench and the worker on the others);
//! messages are 100-byte lines. Raw and runtime alternate; medians are reported.

// The raw consumer's start, assignment and seeks nest async layouts past the default depth.
#![recursion_limit = "256"]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::print_stdout,
    reason = "a benchmark tool: a failure is a panic with its cause"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connect_dataplane::mq::MqClient;
use connect_runtime::rocketmq::RocketMqRuntime;
use connect_tests::{Broker, WorkerProcess};
use rocketmq_client_rust::DefaultLitePullConsumer;
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use serde_json::json;

const LINE: usize = 100;

fn lines(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut line = format!("{i:010}-").into_bytes();
            line.resize(LINE - 1, b'x');
            line
        })
        .collect()
}

/// Raw lite-pull consumer reading every queue from its start until `count` messages, writing
/// each body as a line to `out` (flushed per poll, synced at the end, as the file sink does
/// per put and per commit). Returns messages/s.
fn raw_consume(
    runtime: &RocketMqRuntime,
    namesrv: &str,
    topic: &str,
    count: usize,
    round: usize,
    out: &Path,
) -> f64 {
    let file = std::fs::File::create(out).unwrap();
    let mut writer = std::io::BufWriter::with_capacity(64 * 1024, file);
    let client_runtime = runtime.client_runtime();
    runtime.block_on(async {
        let started = Instant::now();
        let consumer = DefaultLitePullConsumer::builder(client_runtime)
            .consumer_group(format!("bench-raw-consumer-{round}"))
            .name_server_addr(namesrv.to_owned())
            .auto_commit(false)
            .pull_batch_size(32)
            .broker_suspend_max_time_millis(1000)
            .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
            .build()
            .unwrap();
        // Assigned queues, positioned at their start: no group rebalancing to wait for (the
        // best the raw client does; the runtime's sink joins its group like any consumer).
        consumer.start().await.unwrap();
        let queues = consumer.fetch_message_queues(topic).await.unwrap();
        consumer.assign(queues.clone()).await.unwrap();
        for queue in &queues {
            consumer.seek_to_begin(queue).await.unwrap();
        }
        let mut received = 0;
        while received < count {
            let messages = consumer.poll_with_timeout(200).await;
            for message in &messages {
                writer
                    .write_all(message.body().as_deref().unwrap_or_default())
                    .unwrap();
                writer.write_all(b"\n").unwrap();
            }
            writer.flush().unwrap();
            received += messages.len();
        }
        writer.get_ref().sync_data().unwrap();
        let rate = count as f64 / started.elapsed().as_secs_f64();
        consumer.shutdown().await;
        rate
    })
}

/// Polls `done` every 10 ms until it holds; returns the time it took since `started`.
fn until(started: Instant, timeout: Duration, mut done: impl FnMut() -> bool) -> Duration {
    while !done() {
        assert!(started.elapsed() < timeout, "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
    started.elapsed()
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn worker_binary() -> PathBuf {
    let here = std::env::current_exe().unwrap();
    let bin = here.with_file_name("rocketmq-connect");
    assert!(
        bin.exists(),
        "{} not built: run scripts/bench-mq.sh",
        bin.display()
    );
    bin
}

fn main() {
    let count: usize = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let dir = tempfile::tempdir().unwrap();
    // The broker's own CPU is known only for the one started here.
    let broker = std::env::var("NAMESRV_ADDR")
        .is_err()
        .then(|| Broker::start(&dir.path().join("rocketmq")));
    let namesrv = broker.as_ref().map_or_else(
        || std::env::var("NAMESRV_ADDR").unwrap(),
        |b| b.namesrv_addr.clone(),
    );
    let broker_cpu = || broker.as_ref().map_or(0.0, Broker::broker_cpu_seconds);
    // BENCH_PIN_BROKER=1: the broker (and name server) on CPU 0, this bench and the worker
    // (started below, so it inherits it) on the others, as when the broker has a machine of
    // its own; otherwise the two share every core and each one's CPU slows the other.
    let pinned = std::env::var("BENCH_PIN_BROKER").is_ok_and(|v| v == "1");
    if pinned {
        let broker = broker
            .as_ref()
            .expect("BENCH_PIN_BROKER needs the bench's own broker (no NAMESRV_ADDR)");
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        assert!(cpus >= 2, "BENCH_PIN_BROKER needs two CPUs");
        broker.pin_to_cpu(0);
        connect_tests::pin_process(&std::process::id().to_string(), &format!("1-{}", cpus - 1));
    }
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let data = lines(count);
    let input = dir.path().join("input.txt");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for line in &data {
            file.write_all(line).unwrap();
            file.write_all(b"\n").unwrap();
        }
    }
    let input_len = std::fs::metadata(&input).unwrap().len();
    println!(
        "{count} messages of {LINE} bytes, {rounds} rounds, name server {namesrv}{}",
        if pinned {
            ", the broker on CPU 0 and the worker on the others"
        } else {
            ""
        }
    );

    let (runtime, client) = RocketMqRuntime::start(&namesrv, true).unwrap();
    let worker_dir = dir.path().join("worker");
    std::fs::create_dir_all(&worker_dir).unwrap();
    let worker = WorkerProcess::start(
        worker_binary().to_str().unwrap(),
        &worker_dir,
        &[
            ("namesrvAddr", &namesrv),
            ("offsetCommitIntervalMsConfig", "100"),
            // The input file lies beside the worker's directory.
            ("allowedPaths", dir.path().to_str().unwrap()),
        ],
        &[],
    );
    let mut rates: [Vec<f64>; 4] = Default::default();
    // The worker's CPU per message (µs) while producing and while consuming: the broker
    // shares this machine's cores, so what the worker spends per message is what its rate
    // costs the broker.
    let mut cpu_per_message: [Vec<f64>; 2] = Default::default();
    // The broker's CPU per message produced, raw and through the runtime: what a message
    // costs it, and (times the rate) how much of the machine it had.
    let mut broker_per_message: [Vec<f64>; 2] = Default::default();
    let run = std::process::id();
    for round in 0..rounds {
        // Raw and runtime alternate, each round on fresh topics, so drift hits both alike.
        let raw_topic = format!("bench-raw-{run}-{round}");
        let runtime_topic = format!("bench-rt-{run}-{round}");
        let broker_before = broker_cpu();
        rates[0].push(connect_tests::raw_producer::produce(
            &runtime, &namesrv, &raw_topic, &data,
        ));
        broker_per_message[0].push((broker_cpu() - broker_before) * 1e6 / count as f64);
        // One line per phase, as it ends: `scripts/count-mq.sh` counts the worker's
        // instructions between this line and the next.
        println!(
            "round {round}: produce raw {:.0} msg/s (broker {:.2} µs/msg)",
            rates[0][round], broker_per_message[0][round]
        );

        let source = json!({"connector.class": "FileSourceConnector", "filename": input.display().to_string(),
            "connect.topicname": runtime_topic, "value.converter": "StringConverter",
            "batch.size": std::env::var("BENCH_SOURCE_BATCH").unwrap_or_else(|_| "1000".to_owned())});
        let name = format!("bench-src-{round}");
        // The raw producer's topic exists before its clock starts; so does the runtime's.
        runtime
            .block_on(client.ensure_topic(&runtime_topic, 4))
            .unwrap();
        let cpu_before = worker.cpu_seconds();
        let broker_before = broker_cpu();
        let started = Instant::now();
        assert_eq!(
            worker
                .post(&format!("/connectors/{name}"), &source.to_string())
                .status,
            200
        );
        let took = until(started, Duration::from_secs(600), || {
            worker.get(&format!("/connectors/{name}/offsets")).body()["offsets"][0]["offset"]["nextPosition"]
                .as_u64()
                == Some(input_len)
        });
        rates[1].push(count as f64 / took.as_secs_f64());
        cpu_per_message[0].push((worker.cpu_seconds() - cpu_before) * 1e6 / count as f64);
        broker_per_message[1].push((broker_cpu() - broker_before) * 1e6 / count as f64);
        println!(
            "round {round}: produce runtime {:.0} msg/s ({:.2} µs worker CPU/msg; broker {:.2} µs/msg)",
            rates[1][round], cpu_per_message[0][round], broker_per_message[1][round]
        );
        assert_eq!(worker.delete(&format!("/connectors/{name}")).status, 200);

        let raw_out = dir.path().join(format!("raw-out-{round}.txt"));
        rates[2].push(raw_consume(
            &runtime, &namesrv, &raw_topic, count, round, &raw_out,
        ));
        assert_eq!(std::fs::metadata(&raw_out).unwrap().len(), input_len);
        let output = dir.path().join(format!("sink-out-{round}.txt"));
        let sink = json!({"connector.class": "FileSinkConnector", "connect.topicnames": runtime_topic,
            "consume.from.where": "CONSUME_FROM_FIRST_OFFSET", "value.converter": "StringConverter",
            "filename": output.display().to_string()});
        let name = format!("bench-dst-{round}");
        let cpu_before = worker.cpu_seconds();
        let started = Instant::now();
        assert_eq!(
            worker
                .post(&format!("/connectors/{name}"), &sink.to_string())
                .status,
            200
        );
        let took = until(started, Duration::from_secs(600), || {
            std::fs::metadata(&output).is_ok_and(|m| m.len() >= input_len)
        });
        rates[3].push(count as f64 / took.as_secs_f64());
        cpu_per_message[1].push((worker.cpu_seconds() - cpu_before) * 1e6 / count as f64);
        assert_eq!(worker.delete(&format!("/connectors/{name}")).status, 200);
        println!(
            "round {round}: consume raw {:.0} runtime {:.0} msg/s ({:.2} µs worker CPU/msg)",
            rates[2][round], rates[3][round], cpu_per_message[1][round]
        );
    }
    let rss_peak = peak_rss_kib(worker.pid());
    drop(worker);
    runtime.shutdown();
    let [
        raw_produce_rate,
        runtime_produce_rate,
        raw_consume_rate,
        runtime_consume_rate,
    ] = rates.map(median);
    let [produce_cpu, consume_cpu] = cpu_per_message.map(median);
    println!(
        "produce (median): raw {raw_produce_rate:>9.0} msg/s   runtime (file source) {runtime_produce_rate:>9.0} msg/s   ratio {:.2}",
        runtime_produce_rate / raw_produce_rate
    );
    println!(
        "consume (median): raw {raw_consume_rate:>9.0} msg/s   runtime (file sink)   {runtime_consume_rate:>9.0} msg/s   ratio {:.2}",
        runtime_consume_rate / raw_consume_rate
    );
    println!(
        "worker CPU per message (median): produce {produce_cpu:.2} µs, consume {consume_cpu:.2} µs"
    );
    if broker.is_some() {
        let [raw_broker, runtime_broker] = broker_per_message.map(median);
        // CPU per message times messages per second: the cores the broker kept busy.
        println!(
            "broker CPU per message produced (median): raw {raw_broker:.2} µs ({:.2} cores busy), runtime {runtime_broker:.2} µs ({:.2} cores busy)",
            raw_broker * raw_produce_rate / 1e6,
            runtime_broker * runtime_produce_rate / 1e6
        );
    }
    println!("worker peak RSS: {:.1} MB", rss_peak as f64 / 1024.0);
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
