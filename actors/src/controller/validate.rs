//! Validation of a connector configuration before anything is stored or started: every
//! problem at once, each naming its key.

use std::sync::Arc;
use std::time::Duration;

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConfigError, ConnectError, ConnectorKind, PluginKind};
use connect_dataplane::plan::{DIRECT, side_config};
use connect_dataplane::{TaskId, TaskPlan};

use crate::catalog::Catalog;
use crate::isolate::guard_blocking;
use crate::security;
use crate::settings::WorkerSettings;

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

/// All problems of `config`.
pub async fn validate_connector(
    catalog: Arc<Catalog>,
    settings: Arc<WorkerSettings>,
    config: Config,
    data_plane: bool,
) -> Result<(), Vec<ConfigError>> {
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
        settings.gate(),
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
    let direct = config.get_bool_or(DIRECT, false).unwrap_or(false);
    // What the connector's tasks will run, parsed as each task's loop parses it: through
    // RocketMQ with the connector's task class, or direct with the two task classes.
    let mut as_task = config.clone();
    if !direct && let Some(plugin) = plugin {
        // Connector code: on a guarded thread, as its `validate` below.
        let factory = plugin.factory;
        match guard_blocking(VALIDATE_TIMEOUT, move || {
            factory().as_connector().task_class().to_owned()
        })
        .await
        {
            Ok(task_class) => as_task.put("task.class", task_class),
            Err(guarded) => errors.push(ConfigError {
                key: "connector.class".into(),
                value: Some(class.clone()),
                message: format!("the connector's task_class {guarded}"),
            }),
        }
    }
    let name = config.get_trimmed("name").unwrap_or_default();
    match TaskPlan::parse(
        TaskId::new(name, 0),
        &as_task,
        &|class| catalog.task(class).map(|p| p.factory),
        &settings.data,
        data_plane,
    ) {
        Ok(plan) => plan.discard(),
        // An unknown connector class is reported as such, not as its missing task class;
        // a key the common definition already refused is reported once.
        Err(list) => {
            let refused: std::collections::HashSet<String> =
                errors.iter().map(|e| e.key.clone()).collect();
            errors.extend(
                list.into_iter()
                    .filter(|e| e.key != "task.class" && !refused.contains(&e.key)),
            );
        }
    }
    if direct
        && let Some(def) = config
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
        Ok(())
    } else {
        Err(errors)
    }
}
