//! `rocketmq-connect ctl`: a client of a worker's REST API, in the spirit of kcctl — contexts,
//! `get`, `describe`, `apply -f`, `pause`/`resume`/`restart`/`delete`, and `top`, a live view
//! of connectors and tasks with their rates. Tables for people, `-o json` for scripts.
//!
//! - `client.rs`: requests and the seed's envelopes.
//! - `contexts.rs`: named workers and credentials.
//! - `summary.rs`: a connector's row (state, tasks) and its rates from `/metrics`.
//! - `table.rs`: aligned columns.
//! - `top.rs`: the live view.

mod client;
mod contexts;
mod summary;
mod table;
mod top;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use client::{Client, segment};
use contexts::{Contexts, Target};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns, for people.
    Table,
    /// The worker's JSON, for scripts.
    Json,
}

/// Where `ctl` sends its requests, and how it prints what comes back.
#[derive(Debug, Args)]
pub struct Ctl {
    /// The worker's REST API (`http://127.0.0.1:8082`); overrides the context.
    #[arg(long, global = true, env = "ROCKETMQ_CONNECT_URL")]
    url: Option<String>,
    /// A context made with `ctl config set-context` (default: the current one).
    #[arg(long, global = true)]
    context: Option<String>,
    /// HTTP Basic user (a worker with `httpAuthUsersFile`).
    #[arg(long, global = true)]
    user: Option<String>,
    /// HTTP Basic password.
    #[arg(
        long,
        global = true,
        env = "ROCKETMQ_CONNECT_PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Output::Table)]
    output: Output,
    #[command(subcommand)]
    command: CtlCommand,
}

#[derive(Debug, Subcommand)]
enum CtlCommand {
    /// Lists connectors (name, type, state, tasks), plugins, or a connector's offsets.
    Get {
        #[command(subcommand)]
        what: GetWhat,
    },
    /// Shows one connector: configuration (secrets masked), state, tasks, and failure traces.
    Describe {
        /// The connector's name.
        name: String,
    },
    /// Creates or updates the connector in a JSON file (`{"name", "config"}`, or flat with
    /// `"name"`), as `standalone` reads them.
    Apply {
        /// The connector file.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
    },
    /// Pauses a connector and its tasks.
    Pause {
        /// The connector's name.
        name: String,
    },
    /// Resumes a paused connector.
    Resume {
        /// The connector's name.
        name: String,
    },
    /// Restarts a connector, its tasks, or one task.
    Restart {
        /// The connector's name.
        name: String,
        /// Restart its tasks too.
        #[arg(long)]
        tasks: bool,
        /// With --tasks: only the failed ones.
        #[arg(long)]
        only_failed: bool,
        /// Restart only this task.
        #[arg(long, conflicts_with_all = ["tasks", "only_failed"])]
        task: Option<u32>,
    },
    /// Deletes a connector (its offsets are kept).
    Delete {
        /// The connector's name.
        name: String,
    },
    /// A live view of connectors and tasks with records in/out and errors per second, lag and
    /// dead letters; refreshed every interval until q + Enter or Ctrl-C.
    Top {
        /// Refresh interval in milliseconds.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
    },
    /// Contexts: named workers with their URL and credentials.
    Config {
        #[command(subcommand)]
        what: ConfigWhat,
    },
}

#[derive(Debug, Subcommand)]
enum GetWhat {
    /// Every connector: name, type, state, running/total tasks, worker.
    Connectors,
    /// The connector plugins this worker can run.
    Plugins,
    /// A connector's committed source offsets.
    Offsets {
        /// The connector's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigWhat {
    /// Makes (or replaces) a context and makes it current.
    SetContext {
        /// The context's name.
        name: String,
        /// The worker's REST API.
        #[arg(long = "to-url")]
        to_url: String,
        /// HTTP Basic user.
        #[arg(long = "as-user")]
        as_user: Option<String>,
        /// HTTP Basic password (stored in the contexts file, readable by its owner only).
        #[arg(long = "with-password")]
        with_password: Option<String>,
        /// Accept any TLS certificate.
        #[arg(long)]
        insecure: bool,
    },
    /// Makes a context current.
    UseContext {
        /// The context's name.
        name: String,
    },
    /// Lists the contexts; the current one is marked `*`.
    GetContexts,
}

/// Runs a `ctl` command; what went wrong is printed on stderr.
#[allow(clippy::print_stdout, reason = "this is the command's output")]
pub fn run(ctl: Ctl) -> ExitCode {
    match execute(ctl) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn execute(ctl: Ctl) -> Result<String, String> {
    let mut contexts = Contexts::load()?;
    if let CtlCommand::Config { what } = ctl.command {
        return configure(&mut contexts, what);
    }
    let target = contexts.resolve(
        ctl.context.as_deref(),
        ctl.url.as_deref(),
        ctl.user.as_deref(),
        ctl.password.as_deref(),
    )?;
    let client = Client::new(target)?;
    let output = ctl.output;
    let shown = |value: &Value, table: &dyn Fn(&Value) -> String| match output {
        Output::Json => format!("{value:#}\n"),
        Output::Table => table(value),
    };
    match ctl.command {
        CtlCommand::Get { what } => match what {
            GetWhat::Connectors => {
                let details = client.get("/connectors/list")?;
                Ok(shown(&details, &|d| summary::connectors_table(d)))
            }
            GetWhat::Plugins => {
                let plugins = client.get("/plugin/list/connectors")?;
                Ok(shown(&plugins, &plugins_table))
            }
            GetWhat::Offsets { name } => {
                let offsets = client.get(&format!("/connectors/{}/offsets", segment(&name)))?;
                Ok(shown(&offsets, &offsets_table))
            }
        },
        CtlCommand::Describe { name } => {
            let path = format!("/connectors/{}", segment(&name));
            let info = client.get(&path)?;
            let status = client.get(&format!("{path}/status"))?;
            let both = json!({ "info": info, "status": status });
            Ok(shown(&both, &summary::describe))
        }
        CtlCommand::Apply { file } => {
            let (name, config) = crate::cli::read_connector(&file)?;
            let body = serde_json::to_value(&config).map_err(|e| e.to_string())?;
            let info = client.call(
                reqwest::Method::POST,
                &format!("/connectors/{}", segment(&name)),
                Some(&body),
            )?;
            Ok(shown(&info, &|_| format!("connector {name} applied\n")))
        }
        CtlCommand::Pause { name } => lifecycle(
            &client,
            output,
            reqwest::Method::PUT,
            &name,
            "pause",
            "paused",
        ),
        CtlCommand::Resume { name } => lifecycle(
            &client,
            output,
            reqwest::Method::PUT,
            &name,
            "resume",
            "resumed",
        ),
        CtlCommand::Restart {
            name,
            tasks,
            only_failed,
            task,
        } => {
            let action = match task {
                Some(task) => format!("tasks/{task}/restart"),
                None => format!("restart?includeTasks={tasks}&onlyFailed={only_failed}"),
            };
            lifecycle(
                &client,
                output,
                reqwest::Method::POST,
                &name,
                &action,
                "restarted",
            )
        }
        CtlCommand::Delete { name } => {
            let result = client.call(
                reqwest::Method::DELETE,
                &format!("/connectors/{}", segment(&name)),
                None,
            )?;
            Ok(shown(&result, &|_| format!("connector {name} deleted\n")))
        }
        CtlCommand::Top { interval_ms } => top::run(
            &client,
            std::time::Duration::from_millis(interval_ms.max(100)),
        )
        .map(|()| String::new()),
        CtlCommand::Config { .. } => unreachable!("handled above"),
    }
}

fn lifecycle(
    client: &Client,
    output: Output,
    method: reqwest::Method,
    name: &str,
    action: &str,
    done: &str,
) -> Result<String, String> {
    let result = client.call(
        method,
        &format!("/connectors/{}/{action}", segment(name)),
        None,
    )?;
    Ok(match output {
        Output::Json => format!("{result:#}\n"),
        Output::Table => format!("connector {name} {done}\n"),
    })
}

fn configure(contexts: &mut Contexts, what: ConfigWhat) -> Result<String, String> {
    match what {
        ConfigWhat::SetContext {
            name,
            to_url,
            as_user,
            with_password,
            insecure,
        } => {
            contexts.contexts.insert(
                name.clone(),
                Target {
                    url: to_url,
                    user: as_user,
                    password: with_password,
                    insecure,
                },
            );
            contexts.current = Some(name.clone());
            contexts.save()?;
            Ok(format!("context {name} set and current\n"))
        }
        ConfigWhat::UseContext { name } => {
            if !contexts.contexts.contains_key(&name) {
                return Err(format!("no context named {name:?}"));
            }
            contexts.current = Some(name.clone());
            contexts.save()?;
            Ok(format!("context {name} is current\n"))
        }
        ConfigWhat::GetContexts => {
            let rows: Vec<Vec<String>> = contexts
                .contexts
                .iter()
                .map(|(name, target)| {
                    let current = contexts.current.as_deref() == Some(name.as_str());
                    vec![
                        if current { "*" } else { "" }.to_owned(),
                        name.clone(),
                        target.url.clone(),
                        target.user.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            Ok(table::render(&["CURRENT", "NAME", "URL", "USER"], &rows))
        }
    }
}

fn plugins_table(plugins: &Value) -> String {
    let rows: Vec<Vec<String>> = plugins
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            vec![text("className"), text("type"), text("version")]
        })
        .collect();
    table::render(&["CLASS", "TYPE", "VERSION"], &rows)
}

fn offsets_table(offsets: &Value) -> String {
    let rows: Vec<Vec<String>> = offsets
        .get("offsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|o| vec![o["partition"].to_string(), o["offset"].to_string()])
        .collect();
    table::render(&["PARTITION", "OFFSET"], &rows)
}
