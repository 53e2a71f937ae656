//! Validation of a connector configuration before anything is stored or started: every
//! problem at once, each naming its key.

use std::sync::Arc;
use std::time::Duration;

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConfigError, ConnectError, ConnectorKind, PluginKind, TaskFactory};

use crate::catalog::Catalog;
use crate::isolate::guard_blocking;
use crate::pipeline::Pipeline;
use crate::security;
use crate::settings::WorkerSettings;
use crate::task::direct::side_config;
use crate::task::{dead_letter, errors};

/// How long a connector's `validate` may take.
const VALIDATE_TIMEOUT: Duration = Duration::from_secs(30);

/// Keys every connector has.
fn common_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            "connector.class",
            ConfigType::Class,
            "The connector's class (Java class name or alias)",
        )
        .optional(
            "max.tasks",
            ConfigType::Int,
            "1",
            "Most tasks the connector may run",
        )
        .validate_with(Validator::Range {
            min: 1,
            max: 10_000,
        })
        .optional(
            "connector.direct.enable",
            ConfigType::Boolean,
            "false",
            "Run source → sink in-process, without RocketMQ",
        )
        .optional(
            "source.task.class",
            ConfigType::Class,
            "",
            "Direct mode: the source task class",
        )
        .optional(
            "sink.task.class",
            ConfigType::Class,
            "",
            "Direct mode: the sink task class",
        )
}

/// Checks a connector name taken from a URL path.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("connector name must not be empty".to_owned());
    }
    // The URL decoder turns bytes that are not UTF-8 into U+FFFD: such a name was not what
    // the client sent.
    if name.contains('\u{FFFD}') {
        return Err(format!(
            "connector name {name:?} is not valid UTF-8 (percent-encode the UTF-8 bytes of the name)"
        ));
    }
    if name.len() > 249 || name.chars().any(|c| c.is_control() || c == '/') {
        return Err(format!(
            "connector name {name:?} must be at most 249 characters, without '/' or control characters"
        ));
    }
    Ok(())
}

fn task_kind(catalog: &Catalog, class: &str) -> Option<PluginKind> {
    catalog.task(class).map(|p| match p.factory {
        TaskFactory::Source(_) => PluginKind::Source,
        TaskFactory::Sink(_) => PluginKind::Sink,
    })
}

/// All problems of `config`; on success, the connector's kind.
pub async fn validate_connector(
    catalog: Arc<Catalog>,
    settings: Arc<WorkerSettings>,
    config: Config,
    data_plane: bool,
) -> Result<ConnectorKind, Vec<ConfigError>> {
    let mut errors = common_def().validate(&config);
    let limit = settings.limits.max_tasks_per_connector;
    if let Ok(tasks) = config.get_i32_or("max.tasks", 1)
        && usize::try_from(tasks).is_ok_and(|t| t > limit)
    {
        errors.push(ConfigError::invalid(
            "max.tasks",
            &tasks.to_string(),
            format!(
                "exceeds this worker's limit of {limit} tasks per connector (worker key {})",
                security::MAX_TASKS_PER_CONNECTOR
            ),
        ));
    }
    // What connector code sees: references resolved, files confined, test switches refused.
    // A configuration the gate refused never reaches connector code (its `validate` might
    // open the very file that was refused).
    let mut refused_by_worker = false;
    let config = match security::prepare(
        &settings,
        &security::plugin_defs(&catalog, &config),
        &config,
    ) {
        Ok(prepared) => prepared,
        Err(list) => {
            errors.extend(list);
            refused_by_worker = true;
            config
        }
    };
    let class = config
        .get_trimmed("connector.class")
        .unwrap_or_default()
        .to_owned();
    let plugin = catalog.connector(&class);
    if plugin.is_none() && !class.is_empty() {
        errors.push(ConfigError::invalid(
            "connector.class",
            &class,
            "unknown connector class; GET /plugin/list/connectors shows the available ones",
        ));
    }
    let direct = config
        .get_bool_or("connector.direct.enable", false)
        .unwrap_or(false);
    if direct {
        for (key, kind) in [
            ("source.task.class", PluginKind::Source),
            ("sink.task.class", PluginKind::Sink),
        ] {
            match config.get_trimmed(key) {
                None => errors.push(ConfigError::missing(key)),
                Some(task) => match task_kind(&catalog, task) {
                    None => errors.push(ConfigError::invalid(key, task, "unknown task class; GET /plugin/list/connectors shows the connectors and their tasks")),
                    Some(found) if found != kind => {
                        errors.push(ConfigError::invalid(key, task, format!("expected a {kind:?} task class, found a {found:?} task").to_lowercase()));
                    }
                    Some(_) => {}
                },
            }
        }
        if let Some(def) = config
            .get_trimmed("sink.task.class")
            .and_then(|t| catalog.config_def_for_task(t))
        {
            errors.extend(
                def.validate(&side_config(&config, "sink"))
                    .into_iter()
                    .map(|mut e| {
                        e.message = format!(
                            "{} (sink task; set it as sink.{} or {})",
                            e.message, e.key, e.key
                        );
                        e
                    }),
            );
        }
    } else if data_plane {
        // Through RocketMQ: a sink needs its topics, and a valid start position.
        if plugin.is_some_and(|p| p.kind == PluginKind::Sink) {
            if config.get_trimmed("connect.topicnames").is_none() {
                errors.push(ConfigError {
                    key: "connect.topicnames".to_owned(),
                    value: None,
                    message: "is required for a sink connector: the topics to consume, separated by ';' or ','".to_owned(),
                });
            }
            let from = config.get_string_or("consume.from.where", "CONSUME_FROM_LAST_OFFSET");
            if !["CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_FIRST_OFFSET"].contains(&from) {
                errors.push(ConfigError::invalid(
                    "consume.from.where",
                    from,
                    "expected CONSUME_FROM_LAST_OFFSET or CONSUME_FROM_FIRST_OFFSET",
                ));
            }
        }
    } else if config.get_bool_or("connector.direct.enable", false).is_ok() {
        errors.push(ConfigError {
            key: "connector.direct.enable".to_owned(),
            value: config.get("connector.direct.enable").map(str::to_owned),
            message:
                "must be true: this worker runs connectors in direct mode only, with source.task.class and sink.task.class"
                    .to_owned(),
        });
    }
    if let Err(list) = errors::ErrorPolicy::from_config(&config) {
        errors.extend(list);
    }
    if (direct || !data_plane) && config.get_trimmed(dead_letter::TOPIC).is_some() {
        errors.push(ConfigError::invalid(
            dead_letter::TOPIC,
            config.get_trimmed(dead_letter::TOPIC).unwrap_or_default(),
            "a dead-letter topic needs RocketMQ: set namesrvAddr on the worker and run the connector through topics (not connector.direct.enable)",
        ));
    }
    match Pipeline::from_config(&config, &settings.key_converter, &settings.value_converter) {
        Ok(mut pipeline) => pipeline.transforms.stop(),
        Err(ConnectError::Config(list)) => errors.extend(list),
        Err(other) => errors.push(ConfigError {
            key: "transforms".into(),
            value: None,
            message: other.to_string(),
        }),
    }
    let Some(plugin) = plugin.filter(|_| !refused_by_worker) else {
        return Err(errors);
    };
    let kind = match plugin.kind {
        PluginKind::Sink => ConnectorKind::Sink,
        _ => ConnectorKind::Source,
    };
    // The connector's own validation, on a guarded thread: connector code may panic or hang.
    let factory = plugin.factory;
    let side = if direct {
        side_config(
            &config,
            if kind == ConnectorKind::Sink {
                "sink"
            } else {
                "source"
            },
        )
    } else {
        config.clone()
    };
    match guard_blocking(VALIDATE_TIMEOUT, move || {
        factory().as_connector().validate(&side)
    })
    .await
    {
        Ok(Ok(())) => {}
        Ok(Err(ConnectError::Config(list))) => errors.extend(list),
        Ok(Err(other)) => errors.push(ConfigError {
            key: "connector.class".into(),
            value: Some(class.clone()),
            message: format!("the connector rejected the configuration: {other}"),
        }),
        Err(guarded) => errors.push(ConfigError {
            key: "connector.class".into(),
            value: Some(class.clone()),
            message: format!("the connector's validate {guarded}"),
        }),
    }
    // Keys reported twice (by the common definition and the connector) are reported once.
    let mut seen = std::collections::HashSet::new();
    errors.retain(|e| seen.insert((e.key.clone(), e.message.clone())));
    if errors.is_empty() {
        Ok(kind)
    } else {
        Err(errors)
    }
}
