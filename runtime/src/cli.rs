//! The `rocketmq-connect` command line, and the standalone worker's startup and shutdown.
//!
//! Startup: read the worker configuration → open the stores → start the actors (stored
//! connectors come back in their last state) → bind the REST API → create the connectors
//! given on the command line. Shutdown on SIGTERM/SIGINT: stop accepting requests (in-flight
//! ones finish) → stop every task with a final offset commit → stores are already durable →
//! exit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use connect_actors::ControllerHandle;
use connect_actors::controller::messages::PutMode;
use connect_actors::system::{start_distributed, start_standalone};
use connect_api::Config;

use crate::plugins::{all_plugins, catalog};
use crate::rocketmq::{RocketMq, RocketMqRuntime};
use crate::stores::open_stores;
use crate::transform_command::{self, Input};
use crate::worker_config::WorkerConfig;

/// RocketMQ Connect, in Rust: moves data between external systems and RocketMQ topics through
/// source and sink connectors, managed over a REST API (`GET /connectors`, `GET /metrics`, …).
/// Start with `standalone -c <worker.conf> [connector.json…]`.
#[derive(Debug, Parser)]
#[command(name = "rocketmq-connect", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a standalone worker: REST API on `httpPort`, state under `storePathRootDir`.
    Standalone {
        /// Worker configuration (Java `.conf` properties: workerId, httpPort, storePathRootDir, …).
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        /// Connector configurations to create (or leave unchanged) at startup: JSON files,
        /// either `{"name": …, "config": {…}}` or a flat object with a `"name"` key.
        connectors: Vec<PathBuf>,
    },
    /// Runs a worker of a distributed cluster: configurations, positions and statuses live
    /// on RocketMQ topics, and connectors and tasks are spread over the live workers.
    Distributed {
        /// Worker configuration (Java `.conf` properties; `namesrvAddr` is required, and
        /// `connectClusterId`, `configStoreTopic`, … name the cluster's topics).
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
    },
    /// Talks to a running worker's REST API: get, describe, apply, pause, resume, restart,
    /// delete, and `top` (a live view with rates); contexts keep URLs and credentials.
    Ctl(crate::ctl::Ctl),
    /// Lists every built-in plugin (connectors, tasks, converters, transforms, predicates)
    /// with its class name and aliases, as JSON.
    Plugins,
    /// Runs messages or whole records from stdin through a connector configuration's
    /// converters and transform chain, printing each result on one line (dropped records
    /// print nothing).
    Transform {
        /// Connector configuration: a JSON object, as POSTed to /connectors/{name}.
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        /// Topic the messages are read from (visible to predicates and RegexRouter).
        #[arg(long, default_value = "test-topic")]
        topic: String,
        /// How stdin is split: JSON message bodies, lines, or whole JSON records (topic, key,
        /// value, headers, partition, offset, timestamp) printed whole after the chain.
        #[arg(long, value_enum, default_value_t = Input::Json)]
        input: Input,
    },
}

/// Reads a connector configuration; non-string JSON values become their JSON text, as in Java.
fn read_config(path: &PathBuf) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    let object = json
        .as_object()
        .ok_or_else(|| format!("{} must hold a JSON object of config keys", path.display()))?;
    Ok(object
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect())
}

/// Reads a named connector file: `{"name", "config"}` or a flat object with `"name"`.
pub(crate) fn read_connector(path: &PathBuf) -> Result<(String, Config), String> {
    let mut config = read_config(path)?;
    let name = config
        .remove("name")
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| format!("{} needs a \"name\"", path.display()))?;
    if let Some(inner) = config.get("config").map(str::to_owned) {
        let json: serde_json::Value = serde_json::from_str(&inner)
            .map_err(|e| format!("{}: \"config\": {e}", path.display()))?;
        let object = json
            .as_object()
            .ok_or_else(|| format!("{}: \"config\" must be an object", path.display()))?;
        config = object
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect();
    }
    Ok((name, config))
}

fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|d| tracing_subscriber::EnvFilter::try_new(d).is_ok())
        .unwrap_or_else(|| "info".to_owned());
    let filter = tracing_subscriber::EnvFilter::new(&directives);
    // Reloadable, so `/admin/loggers` can change levels while the worker runs.
    let (filter, handle) = tracing_subscriber::reload::Layer::new(filter);
    // Plain text, so the scrubbing writer sees `key=value` pairs undecorated.
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(|| ScrubbedStderr),
        )
        .try_init();
    if installed.is_ok() {
        crate::log_levels::install(handle, &directives);
    }
}

/// Standard error with secrets masked: every log line passes `connect_api::secrets::scrub_text`
/// (the formatter writes each event in one call).
struct ScrubbedStderr;

impl std::io::Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(connect_api::secrets::scrub_text(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// SIGTERM and SIGINT, registered at once so a signal arriving during startup is held for
/// the orderly shutdown rather than killing the process.
struct ShutdownSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn register() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

#[allow(
    clippy::print_stdout,
    reason = "the listening address is the command's output"
)]
async fn serve(
    config: WorkerConfig,
    connectors: Vec<(String, Config)>,
    rocketmq: Option<RocketMq>,
    distributed: bool,
) -> Result<(), String> {
    let mut signals =
        ShutdownSignals::register().map_err(|e| format!("cannot handle signals: {e}"))?;
    let client = rocketmq.map(|client| {
        std::sync::Arc::new(client) as std::sync::Arc<dyn connect_dataplane::mq::MqClient>
    });
    let client_for_reporters = client.clone();
    let handle = if distributed {
        let client = client.ok_or("distributed mode needs namesrvAddr")?;
        tracing::info!(worker = %config.settings.worker_id, cluster = %config.cluster.cluster_id, "joining the cluster");
        start_distributed(
            config.settings.clone(),
            config.cluster.clone(),
            catalog(),
            client,
        )
        .await?
    } else {
        let stores = open_stores(&config.store_path_root_dir).map_err(|e| {
            format!(
                "cannot open the store under {}: {e}",
                config.store_path_root_dir.display()
            )
        })?;
        start_standalone(config.settings.clone(), catalog(), stores, client)?
    };
    let bound = crate::http_server::bind(&config, handle.clone())?;
    for addr in &bound.addrs {
        tracing::info!(%addr, worker = %config.settings.worker_id, "REST API listening");
        println!("REST API listening on {}://{addr}", bound.scheme);
    }
    let server = bound.server;
    let server_handle = server.handle();
    actix_rt::spawn(server);
    let kafka_handle = bound.kafka.map(|(server, addrs)| {
        for addr in &addrs {
            tracing::info!(%addr, "Kafka Connect REST API listening");
            println!(
                "Kafka Connect REST API listening on {}://{addr}",
                bound.scheme
            );
        }
        let handle = server.handle();
        actix_rt::spawn(server);
        handle
    });

    let reporting = start_reporters(&config, &handle, client_for_reporters);
    // Kafka's `-rate` metrics: the counters sampled every few seconds.
    let sampling = actix_rt::spawn(connect_dataplane::metrics::report::sample_every(
        handle.metrics().clone(),
        RATE_SAMPLE_INTERVAL,
    ));
    let created = create_connectors(&handle, connectors).await;
    if created.is_ok() {
        signals.recv().await;
        tracing::info!("shutting down: no new requests, stopping tasks with final commits");
    }
    if let Some(reporting) = reporting {
        reporting.abort();
    }
    sampling.abort();
    server_handle.stop(true).await;
    if let Some(kafka) = kafka_handle {
        kafka.stop(true).await;
    }
    if let Err(e) = handle.shutdown().await {
        tracing::warn!(error = %e, "shutdown was not clean");
    }
    tracing::info!("stopped");
    created
}

/// How often the counters behind Kafka's `-rate` metrics are sampled.
const RATE_SAMPLE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Starts the metrics reporters the worker configuration asks for (log, topic); `None` when
/// there are none.
fn start_reporters(
    config: &WorkerConfig,
    handle: &ControllerHandle,
    client: Option<std::sync::Arc<dyn connect_dataplane::mq::MqClient>>,
) -> Option<actix_rt::task::JoinHandle<()>> {
    use connect_dataplane::metrics::report::{
        LogReporter, MetricsReporter, TopicReporter, report_every,
    };
    let settings = &config.metrics;
    let mut reporters: Vec<std::sync::Arc<dyn MetricsReporter>> = Vec::new();
    if settings.log_reporter {
        reporters.push(std::sync::Arc::new(LogReporter));
    }
    if let (Some(topic), Some(client)) = (&settings.topic, client) {
        reporters.push(std::sync::Arc::new(TopicReporter::new(
            client,
            topic.clone(),
            config.settings.data.producer_group.clone(),
            config.settings.data.auto_create_topics,
        )));
    }
    if reporters.is_empty() {
        return None;
    }
    tracing::info!(
        reporters = reporters.len(),
        interval_ms = settings.interval.as_millis() as u64,
        "metrics reporters started"
    );
    Some(actix_rt::spawn(report_every(
        handle.metrics().clone(),
        reporters,
        settings.interval,
    )))
}

async fn create_connectors(
    handle: &ControllerHandle,
    connectors: Vec<(String, Config)>,
) -> Result<(), String> {
    for (name, config) in connectors {
        let outcome = handle
            .put_connector(&name, config, PutMode::CreateOrUpdate)
            .await
            .map_err(|e| format!("connector {name}: {e}"))?;
        tracing::info!(connector = %name, created = outcome.created, changed = outcome.changed, "connector from the command line");
    }
    Ok(())
}

fn run_worker(
    config: &std::path::Path,
    connector_files: &[PathBuf],
    distributed: bool,
) -> ExitCode {
    init_logging();
    let mut config = match WorkerConfig::load(config, std::env::vars()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if distributed {
        if config.namesrv_addr.is_none() {
            eprintln!(
                "error: {}: namesrvAddr is required in distributed mode (the cluster lives on RocketMQ)",
                config.source_name
            );
            return ExitCode::from(2);
        }
        // Members are told apart by workerId: the standalone default would make every worker
        // the same member.
        if config.settings.worker_id == "standalone-worker" {
            config.settings.worker_id =
                format!("worker-{}-{}", config.http_port, std::process::id());
        }
    }
    if let Some(pattern) = config.secret_key_pattern.clone() {
        connect_api::secrets::install_key_pattern(pattern);
    }
    for key in &config.unknown_keys {
        tracing::warn!(key, "unknown worker configuration key (ignored)");
    }
    let mut connectors = Vec::new();
    for path in connector_files {
        match read_connector(path) {
            Ok(connector) => connectors.push(connector),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    // The RocketMQ client runs on its own runtime, created before and stopped after the actix
    // system (it cannot be shut down from inside a runtime).
    let auto_create_topics = config.settings.data.auto_create_topics;
    let rocketmq = match config
        .namesrv_addr
        .as_deref()
        .map(|namesrv| RocketMqRuntime::start(namesrv, auto_create_topics))
        .transpose()
    {
        Ok(rocketmq) => rocketmq,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (runtime, client) = rocketmq.map_or((None, None), |(runtime, client)| {
        (Some(runtime), Some(client))
    });
    let outcome = actix_rt::System::new().block_on(serve(config, connectors, client, distributed));
    if let Some(runtime) = runtime {
        runtime.shutdown();
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the command line and runs the command.
#[allow(clippy::print_stdout, reason = "this is the command's output")]
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Standalone { config, connectors } => run_worker(&config, &connectors, false),
        Command::Distributed { config } => run_worker(&config, &[], true),
        Command::Ctl(ctl) => crate::ctl::run(ctl),
        Command::Plugins => match serde_json::to_string_pretty(&all_plugins()) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Transform {
            config,
            topic,
            input,
        } => match read_config(&config).and_then(|c| transform_command::run(&c, &topic, input)) {
            Ok(0) => ExitCode::SUCCESS,
            Ok(_) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// `--help` of every command says what it does, each its own thing, and every argument
    /// is explained.
    #[test]
    fn every_command_and_argument_has_its_own_help() {
        let cli = Cli::command();
        assert!(cli.get_about().is_some(), "the binary says what it is");
        let mut abouts = std::collections::HashSet::new();
        for command in cli.get_subcommands() {
            let about = command
                .get_about()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(!about.is_empty(), "{} has no help", command.get_name());
            assert!(
                abouts.insert(about),
                "{} repeats another's help",
                command.get_name()
            );
            for arg in command.get_arguments() {
                if arg.get_id() == "help" || arg.get_id() == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "{} {} has no help",
                    command.get_name(),
                    arg.get_id()
                );
            }
        }
    }
}
