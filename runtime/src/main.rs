//! The `rocketmq-connect` command line.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use connect_actors::pipeline::{DEFAULT_CONVERTER, Pipeline};
use connect_api::Config;
use connect_runtime::plugins::all_plugins;

/// RocketMQ Connect, in Rust.
#[derive(Debug, Parser)]
#[command(name = "rocketmq-connect", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lists every built-in plugin (converters, transforms, predicates) as JSON.
    Plugins,
    /// Runs messages from stdin through a connector configuration's value converter and
    /// transform chain, printing each result on one line (dropped records print nothing).
    Transform {
        /// Connector configuration: a JSON object, as POSTed to /connectors/{name}.
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        /// Topic the messages are read from (visible to predicates and RegexRouter).
        #[arg(long, default_value = "test-topic")]
        topic: String,
        /// How stdin is split into messages.
        #[arg(long, value_enum, default_value_t = Input::Json)]
        input: Input,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Input {
    /// A stream of JSON documents (each may span lines).
    Json,
    /// One message per line.
    Lines,
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

fn messages(input: Input) -> Box<dyn Iterator<Item = Result<Vec<u8>, String>>> {
    let stdin = std::io::stdin().lock();
    match input {
        Input::Lines => Box::new(
            stdin
                .lines()
                .map(|l| l.map(String::into_bytes).map_err(|e| e.to_string())),
        ),
        Input::Json => Box::new(
            serde_json::Deserializer::from_reader(stdin)
                .into_iter::<serde_json::Value>()
                .map(|v| {
                    v.map(|v| v.to_string().into_bytes())
                        .map_err(|e| format!("invalid JSON input: {e}"))
                }),
        ),
    }
}

#[allow(clippy::print_stdout, reason = "this is the command's output")]
fn transform(config: &PathBuf, topic: &str, input: Input) -> Result<usize, String> {
    let config = read_config(config)?;
    let mut pipeline = Pipeline::from_config(&config, DEFAULT_CONVERTER, DEFAULT_CONVERTER)
        .map_err(|e| e.to_string())?;
    let mut failures = 0;
    let mut out = std::io::stdout().lock();
    for (index, message) in messages(input).enumerate() {
        let result = message.and_then(|bytes| {
            let record = pipeline
                .decode_and_transform(topic, None, Some(&bytes))
                .map_err(|e| e.to_string())?;
            record
                .map(|r| pipeline.encode_value(&r).map_err(|e| e.to_string()))
                .transpose()
        });
        match result {
            Ok(Some(Some(bytes))) => {
                out.write_all(&bytes)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(|e| e.to_string())?;
            }
            Ok(Some(None)) => writeln!(out, "null").map_err(|e| e.to_string())?,
            Ok(None) => eprintln!("message {index}: dropped by a transform"),
            Err(e) => {
                failures += 1;
                eprintln!("message {index}: {e}");
            }
        }
    }
    Ok(failures)
}

#[allow(clippy::print_stdout, reason = "this is the command's output")]
fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
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
        } => match transform(&config, &topic, input) {
            Ok(0) => ExitCode::SUCCESS,
            Ok(_) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}
