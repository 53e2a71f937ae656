//! What a worker lets connector configurations do: which files they may name
//! ([`file_access`]), which secrets they may refer to ([`providers`]), and how big and how many
//! they may be ([`Limits`]). [`prepare`] is the one gate a configuration passes before connector
//! or task code sees it — at validation, at connector start and at task start — so a change of
//! the worker's policy applies to stored connectors when they next start.

pub mod file_access;
pub mod providers;

use connect_api::config_def::ConfigDef;
use connect_api::{Config, ConfigError};

pub use file_access::{ALLOWED_PATHS, FileAccess};
pub use providers::{CONFIG_PROVIDERS, ConfigProviders};

use crate::catalog::Catalog;

/// Worker keys bounding what REST clients may create.
pub const MAX_CONNECTORS: &str = "maxConnectors";
pub const MAX_TASKS_PER_CONNECTOR: &str = "maxTasksPerConnector";
pub const MAX_CONFIG_BYTES: &str = "maxConfigBytes";
pub const TEST_PLUGINS_ENABLE: &str = "testPluginsEnable";

/// Bounds on connectors and their configurations (each task is an OS thread, each config is
/// kept in memory and stored).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connectors: usize,
    pub max_tasks_per_connector: usize,
    /// Sum of the bytes of every key and value.
    pub max_config_bytes: usize,
    /// Whether fault-injection keys of test connectors are accepted.
    pub test_plugins: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connectors: 256,
            max_tasks_per_connector: 64,
            max_config_bytes: 256 * 1024,
            test_plugins: false,
        }
    }
}

/// The size a configuration counts against `maxConfigBytes`.
pub fn config_bytes(config: &Config) -> usize {
    config.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// The key definitions that apply to a connector or task configuration, each with the prefix
/// its keys may carry: the connector's own (or its task class's), and in direct mode both
/// sides' (`filename` or `source.filename` for the source task, `sink.filename` for the sink).
pub fn plugin_defs(catalog: &Catalog, config: &Config) -> Vec<(String, ConfigDef)> {
    let mut defs = Vec::new();
    if config
        .get_bool_or("connector.direct.enable", false)
        .unwrap_or(false)
    {
        for side in ["source", "sink"] {
            if let Some(def) = config
                .get_trimmed(&format!("{side}.task.class"))
                .and_then(|class| catalog.config_def_for_task(class))
            {
                defs.push((String::new(), def.clone()));
                defs.push((format!("{side}."), def));
            }
        }
    } else if let Some(def) = config
        .get_trimmed("task.class")
        .and_then(|class| catalog.config_def_for_task(class))
    {
        defs.push((String::new(), def));
    } else if let Some(plugin) = config
        .get_trimmed("connector.class")
        .and_then(|class| catalog.connector(class))
    {
        defs.push((
            String::new(),
            (plugin.factory)().as_connector().config_def(),
        ));
    }
    defs
}

/// The worker settings the gate applies (`WorkerSettings::gate`).
#[derive(Debug, Clone, Copy)]
pub struct Gate<'a> {
    pub files: &'a FileAccess,
    pub providers: &'a ConfigProviders,
    pub limits: &'a Limits,
}

/// `config` as connector or task code may see it, given the keys `defs` declare: provider
/// references resolved, file keys confined to `allowedPaths` (and replaced by their canonical
/// path, so the component opens what was checked), fault-injection keys refused unless the
/// worker enables test plugins. Every problem names its key and the worker key that governs it.
pub fn prepare(
    settings: Gate<'_>,
    defs: &[(String, ConfigDef)],
    config: &Config,
) -> Result<Config, Vec<ConfigError>> {
    let mut config = settings.providers.resolve(config, settings.files)?;
    let mut errors = Vec::new();
    let keys = defs
        .iter()
        .flat_map(|(prefix, def)| def.keys().iter().map(move |key| (prefix, key)));
    for (prefix, key) in keys {
        let name = format!("{prefix}{}", key.name);
        let Some(raw) = config.get(&name).map(str::to_owned) else {
            continue;
        };
        if key.fault_injection && !settings.limits.test_plugins && !is_off(&raw) {
            errors.push(ConfigError::invalid(
                &name,
                &raw,
                format!(
                    "is a fault-injection switch for tests; this worker refuses it (set {TEST_PLUGINS_ENABLE}=true on a test worker)"
                ),
            ));
        }
        if let Some(usage) = key.file
            && !raw.trim().is_empty()
        {
            match key.file_in_value {
                // The value is the path: the component gets the canonical one it was checked as.
                None => match settings.files.check(&raw, usage) {
                    Ok(path) => config.put(&name, path.display().to_string()),
                    Err(message) => errors.push(ConfigError::invalid(&name, &raw, message)),
                },
                Some(extract) => {
                    if let Some(path) = extract(&raw)
                        && let Err(message) = settings.files.check(&path, usage)
                    {
                        errors.push(ConfigError::invalid(&name, &raw, message));
                    }
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    errors.retain(|e| seen.insert((e.key.clone(), e.message.clone())));
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

/// A switch left at its inert value (`false`, `0`, `-1`) is not a fault injected.
fn is_off(raw: &str) -> bool {
    let raw = raw.trim();
    raw.is_empty() || raw.eq_ignore_ascii_case("false") || raw == "0" || raw == "-1"
}
