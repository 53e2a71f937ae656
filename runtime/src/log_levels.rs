//! Log levels changed while the worker runs (Kafka Connect's `/admin/loggers`).
//!
//! A logger is a `tracing` target (`connect_actors::worker`; Java-style dots are accepted and
//! read as `::`); `root` is the level of everything not set otherwise. Setting a logger also
//! applies to the loggers below it, whose own settings are dropped — as log4j does for Kafka
//! Connect — and so does setting `root` for every logger. The levels live in the process's one
//! log filter, so they are process-wide, like the subscriber itself.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use parking_lot::Mutex;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// The reload handle of the process's log filter.
pub type FilterHandle = reload::Handle<EnvFilter, Registry>;

/// One logger's level and when it was set (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerLevel {
    pub level: &'static str,
    pub last_modified: Option<u64>,
}

struct Levels {
    /// The level of every logger not set otherwise.
    root: LoggerLevel,
    /// `RUST_LOG`'s own per-target directives, kept under the ones set here.
    started_with: Vec<String>,
    set: BTreeMap<String, LoggerLevel>,
    handle: FilterHandle,
}

static LEVELS: OnceLock<Mutex<Levels>> = OnceLock::new();

/// Kafka Connect's (log4j's) level names, and the `tracing` level each means.
const LEVEL_NAMES: [(&str, &str); 8] = [
    ("OFF", "off"),
    ("FATAL", "error"),
    ("ERROR", "error"),
    ("WARN", "warn"),
    ("INFO", "info"),
    ("DEBUG", "debug"),
    ("TRACE", "trace"),
    ("ALL", "trace"),
];

fn level_name(text: &str) -> Option<&'static str> {
    LEVEL_NAMES
        .iter()
        .find(|(name, directive)| text.eq_ignore_ascii_case(name) || text == *directive)
        .map(|(name, _)| *name)
}

fn directive_of(level: &str) -> &'static str {
    LEVEL_NAMES
        .iter()
        .find(|(name, _)| *name == level)
        .map_or("info", |(_, directive)| directive)
}

/// A logger's name as a `tracing` target.
fn target(name: &str) -> String {
    name.replace('.', "::")
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Makes `handle` the filter `/admin/loggers` changes; `directives` is what it started with
/// (`RUST_LOG`, or `info`).
pub fn install(handle: FilterHandle, directives: &str) {
    let mut root = "INFO";
    let mut started_with = Vec::new();
    for directive in directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        match level_name(directive) {
            Some(level) => root = level,
            None => started_with.push(directive.to_owned()),
        }
    }
    let _ = LEVELS.set(Mutex::new(Levels {
        root: LoggerLevel {
            level: root,
            last_modified: None,
        },
        started_with,
        set: BTreeMap::new(),
        handle,
    }));
}

/// The worker's own crates: listed by `/admin/loggers` even when not set, as log4j lists the
/// loggers that exist, so tools that only set listed loggers can set these.
const KNOWN_LOGGERS: [&str; 9] = [
    "connect_actors",
    "connect_cdc",
    "connect_converters",
    "connect_dataplane",
    "connect_file",
    "connect_jdbc",
    "connect_runtime",
    "connect_transforms",
    "rocketmq_client_rust",
];

/// `root`, the worker's crates and every logger set here, at the levels they log at.
pub fn all() -> BTreeMap<String, LoggerLevel> {
    let mut out: BTreeMap<String, LoggerLevel> = KNOWN_LOGGERS
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), effective(name)?)))
        .collect();
    let Some(levels) = LEVELS.get() else {
        return out;
    };
    let levels = levels.lock();
    out.extend(levels.set.clone());
    out.insert("root".to_owned(), levels.root.clone());
    out
}

/// The level `name` logs at: its own, its nearest set parent's, or root's.
pub fn effective(name: &str) -> Option<LoggerLevel> {
    let levels = LEVELS.get()?.lock();
    if name == "root" {
        return Some(levels.root.clone());
    }
    let wanted = target(name);
    let found = levels
        .set
        .iter()
        .filter(|(logger, _)| {
            let logger = target(logger);
            wanted == logger || wanted.starts_with(&format!("{logger}::"))
        })
        .max_by_key(|(logger, _)| logger.len())
        .map(|(_, level)| level.clone());
    Some(found.unwrap_or_else(|| levels.root.clone()))
}

/// Sets `name` (and the loggers below it) to `level`; returns the loggers changed, sorted.
pub fn set(name: &str, level: &str) -> Result<Vec<String>, String> {
    let level = level_name(level.trim()).ok_or_else(|| {
        format!(
            "invalid log level {level:?}: use one of {}",
            LEVEL_NAMES.map(|(n, _)| n).join(", ")
        )
    })?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'));
    if !valid {
        return Err(format!(
            "invalid logger name {name:?}: a tracing target such as connect_actors::worker (letters, digits, _ . : -)"
        ));
    }
    let levels = LEVELS
        .get()
        .ok_or("this process's log levels cannot be changed")?;
    let mut levels = levels.lock();
    let setting = LoggerLevel {
        level,
        last_modified: Some(now_millis()),
    };
    let prefix = format!("{}::", target(name));
    let below: Vec<String> = levels
        .set
        .keys()
        .filter(|logger| name == "root" || target(logger).starts_with(&prefix))
        .cloned()
        .collect();
    // The new settings are built and applied first, and kept only if the filter took them.
    let mut set = levels.set.clone();
    let mut root = levels.root.clone();
    for logger in &below {
        set.remove(logger);
    }
    if name == "root" {
        root = setting;
    } else {
        set.insert(name.to_owned(), setting);
    }
    let mut directives = vec![directive_of(root.level).to_owned()];
    directives.extend(levels.started_with.iter().cloned());
    directives.extend(
        set.iter()
            .map(|(logger, l)| format!("{}={}", target(logger), directive_of(l.level))),
    );
    let filter = EnvFilter::try_new(directives.join(","))
        .map_err(|e| format!("cannot apply the log levels: {e}"))?;
    levels
        .handle
        .reload(filter)
        .map_err(|e| format!("cannot apply the log levels: {e}"))?;
    levels.set = set;
    levels.root = root;
    let mut changed = below;
    changed.push(name.to_owned());
    changed.sort();
    Ok(changed)
}
