//! [`TaskPlan`]: a task's configuration parsed once into everything its loop runs — the mode,
//! the task factories, the pipeline, the error policy, the dead-letter settings, the topics,
//! the consumer group and its start position. Connector validation parses the same plan (and
//! throws it away), so a configuration that validates is one the loop can run, and no key is
//! read in two places.

use connect_api::config::split_list;
use connect_api::{Config, ConfigError, ConnectError, SinkTask, SourceTask, TaskFactory};

use crate::dead_letter::{self, DeadLetterConfig};
use crate::ids::TaskId;
use crate::mq::ConsumeFrom;
use crate::pipeline::Pipeline;
use crate::policy::ErrorPolicy;
use crate::settings::DataPlaneSettings;

/// Key that switches a connector to direct mode.
pub const DIRECT: &str = "connector.direct.enable";
/// Where a sink's consumer group without committed offsets starts.
pub const CONSUME_FROM: &str = "consume.from.where";

/// Makes a source task.
pub type SourceFactory = fn() -> Box<dyn SourceTask>;
/// Makes a sink task.
pub type SinkFactory = fn() -> Box<dyn SinkTask>;

/// What one task's loop runs.
#[derive(Debug)]
pub struct TaskPlan {
    pub id: TaskId,
    /// The configuration the task's code sees (provider references already resolved).
    pub config: Config,
    pub policy: ErrorPolicy,
    pub pipeline: Pipeline,
    pub mode: Mode,
}

/// The three loops.
#[derive(Debug)]
pub enum Mode {
    /// Source task → RocketMQ.
    Source(SourcePlan),
    /// RocketMQ → sink task.
    Sink(SinkPlan),
    /// Source task → sink task in-process (`connector.direct.enable=true`).
    Direct(DirectPlan),
}

#[derive(Debug)]
pub struct SourcePlan {
    pub class: String,
    pub factory: SourceFactory,
    /// `connect.topicname`: where records without a `topic` extension go.
    pub default_topic: Option<String>,
    pub dead_letters: Option<DeadLetterConfig>,
}

#[derive(Debug)]
pub struct SinkPlan {
    pub class: String,
    pub factory: SinkFactory,
    /// `connect.topicnames`.
    pub topics: Vec<String>,
    /// `task.group.id`, else `connect-<connector>`.
    pub group: String,
    pub from: ConsumeFrom,
    pub dead_letters: Option<DeadLetterConfig>,
}

#[derive(Debug)]
pub struct DirectPlan {
    pub source_class: String,
    pub source: SourceFactory,
    pub sink_class: String,
    pub sink: SinkFactory,
    /// What each task sees: `source.*` / `sink.*` keys override (see [`side_config`]).
    pub source_config: Config,
    pub sink_config: Config,
}

/// The configuration a direct task of `side` (`source` or `sink`) sees: the task
/// configuration with `side.*` keys overriding — the two tasks of one direct connector
/// usually need different values for the same key (`source.filename`, `sink.filename`).
pub fn side_config(config: &Config, side: &str) -> Config {
    let mut out = config.clone();
    out.extend(&config.with_prefix_stripped(&format!("{side}.")));
    out
}

/// Where a sink's consumer starts (`consume.from.where`).
pub fn consume_from(config: &Config) -> Result<ConsumeFrom, ConfigError> {
    match config.get_string_or(CONSUME_FROM, "CONSUME_FROM_LAST_OFFSET") {
        "CONSUME_FROM_LAST_OFFSET" => Ok(ConsumeFrom::LastOffset),
        "CONSUME_FROM_FIRST_OFFSET" => Ok(ConsumeFrom::FirstOffset),
        other => Err(ConfigError::invalid(
            CONSUME_FROM,
            other,
            "expected CONSUME_FROM_LAST_OFFSET or CONSUME_FROM_FIRST_OFFSET",
        )),
    }
}

/// A task class looked up for `key`, which must name a task of the wanted kind.
fn task_factory(
    tasks: &dyn Fn(&str) -> Option<TaskFactory>,
    config: &Config,
    key: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<(String, TaskFactory)> {
    let Some(class) = config.get_trimmed(key) else {
        errors.push(ConfigError::missing(key));
        return None;
    };
    match tasks(class) {
        Some(factory) => Some((class.to_owned(), factory)),
        None => {
            errors.push(ConfigError::invalid(
                key,
                class,
                "unknown task class; GET /plugin/list/connectors shows the connectors and their tasks",
            ));
            None
        }
    }
}

fn source_factory(
    found: Option<(String, TaskFactory)>,
    key: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<(String, SourceFactory)> {
    match found? {
        (class, TaskFactory::Source(make)) => Some((class, make)),
        (class, TaskFactory::Sink(_)) => {
            errors.push(ConfigError::invalid(
                key,
                &class,
                "expected a source task class, found a sink task",
            ));
            None
        }
    }
}

fn sink_factory(
    found: Option<(String, TaskFactory)>,
    key: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<(String, SinkFactory)> {
    match found? {
        (class, TaskFactory::Sink(make)) => Some((class, make)),
        (class, TaskFactory::Source(_)) => {
            errors.push(ConfigError::invalid(
                key,
                &class,
                "expected a sink task class, found a source task",
            ));
            None
        }
    }
}

impl TaskPlan {
    /// Parses a task's `config` — every problem at once, each under its key. `tasks` finds
    /// a task class; `data_plane`: whether the worker has RocketMQ (else only direct mode).
    pub fn parse(
        id: TaskId,
        config: &Config,
        tasks: &dyn Fn(&str) -> Option<TaskFactory>,
        settings: &DataPlaneSettings,
        data_plane: bool,
    ) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let direct = match config.get_bool_or(DIRECT, false) {
            Ok(direct) => direct,
            Err(e) => {
                errors.push(e);
                false
            }
        };
        let policy = ErrorPolicy::from_config(config).map_err(|list| errors.extend(list));
        let dead_letters = match DeadLetterConfig::from_config(config) {
            Ok(wanted) => wanted,
            Err(ConnectError::Config(list)) => {
                errors.extend(list);
                None
            }
            Err(other) => {
                errors.push(ConfigError::invalid(
                    dead_letter::TOPIC,
                    "",
                    other.to_string(),
                ));
                None
            }
        };
        if config.get_trimmed(dead_letter::TOPIC).is_some() && (direct || !data_plane) {
            errors.push(ConfigError::invalid(
                dead_letter::TOPIC,
                config.get_trimmed(dead_letter::TOPIC).unwrap_or_default(),
                "a dead-letter topic needs RocketMQ: set namesrvAddr on the worker and run the connector through topics (not connector.direct.enable)",
            ));
        }
        let pipeline =
            match Pipeline::from_config(config, &settings.key_converter, &settings.value_converter)
            {
                Ok(pipeline) => Some(pipeline),
                Err(ConnectError::Config(list)) => {
                    errors.extend(list);
                    None
                }
                Err(other) => {
                    errors.push(ConfigError {
                        key: "transforms".into(),
                        value: None,
                        message: other.to_string(),
                    });
                    None
                }
            };
        let mode = if direct {
            let source = task_factory(tasks, config, "source.task.class", &mut errors);
            let source = source_factory(source, "source.task.class", &mut errors);
            let sink = task_factory(tasks, config, "sink.task.class", &mut errors);
            let sink = sink_factory(sink, "sink.task.class", &mut errors);
            source
                .zip(sink)
                .map(|((source_class, source), (sink_class, sink))| {
                    Mode::Direct(DirectPlan {
                        source_class,
                        source,
                        sink_class,
                        sink,
                        source_config: side_config(config, "source"),
                        sink_config: side_config(config, "sink"),
                    })
                })
        } else if !data_plane {
            errors.push(ConfigError {
                key: DIRECT.to_owned(),
                value: config.get(DIRECT).map(str::to_owned),
                message: "must be true: this worker runs connectors in direct mode only, with source.task.class and sink.task.class"
                    .to_owned(),
            });
            None
        } else {
            match task_factory(tasks, config, "task.class", &mut errors) {
                Some((class, TaskFactory::Source(factory))) => Some(Mode::Source(SourcePlan {
                    class,
                    factory,
                    default_topic: config.get_trimmed("connect.topicname").map(str::to_owned),
                    dead_letters: dead_letters.clone(),
                })),
                Some((class, TaskFactory::Sink(factory))) => {
                    let topics = match config.get_trimmed("connect.topicnames") {
                        Some(list) => split_list(list, &[';', ',']),
                        None => {
                            errors.push(ConfigError {
                                key: "connect.topicnames".to_owned(),
                                value: None,
                                message: "is required for a sink connector: the topics to consume, separated by ';' or ','".to_owned(),
                            });
                            Vec::new()
                        }
                    };
                    let from = consume_from(config).map_err(|e| errors.push(e)).ok();
                    let group = config
                        .get_trimmed("task.group.id")
                        .map_or_else(|| format!("connect-{}", id.connector), str::to_owned);
                    from.map(|from| {
                        Mode::Sink(SinkPlan {
                            class,
                            factory,
                            topics,
                            group,
                            from,
                            dead_letters: dead_letters.clone(),
                        })
                    })
                }
                None => None,
            }
        };
        match (policy, pipeline, mode) {
            (Ok(policy), Some(pipeline), Some(mode)) if errors.is_empty() => Ok(Self {
                id,
                config: config.clone(),
                policy,
                pipeline,
                mode,
            }),
            (_, pipeline, _) => {
                if let Some(mut pipeline) = pipeline {
                    pipeline.transforms.stop();
                }
                Err(errors)
            }
        }
    }

    /// Releases what parsing built (transforms may hold resources), for a plan only checked.
    pub fn discard(mut self) {
        self.pipeline.transforms.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(class: &str) -> Option<TaskFactory> {
        connect_api::plugin::find_plugin(&connect_file::plugins().tasks, class).map(|p| p.factory)
    }

    fn parse(config: &Config, data_plane: bool) -> Result<TaskPlan, Vec<ConfigError>> {
        TaskPlan::parse(
            TaskId::new("c", 0),
            config,
            &tasks,
            &DataPlaneSettings::default(),
            data_plane,
        )
    }

    fn keys(errors: &[ConfigError]) -> Vec<&str> {
        errors.iter().map(|e| e.key.as_str()).collect()
    }

    const SOURCE: &str = "FileSourceTask";
    const SINK: &str = "FileSinkTask";

    #[test]
    fn a_sink_plan_has_its_topics_group_and_start() {
        let config = Config::new()
            .with("task.class", SINK)
            .with("connect.topicnames", "a; b,c")
            .with(CONSUME_FROM, "CONSUME_FROM_FIRST_OFFSET");
        let plan = parse(&config, true).unwrap();
        let Mode::Sink(sink) = &plan.mode else {
            panic!("not a sink plan: {:?}", plan.mode)
        };
        assert_eq!(sink.topics, ["a", "b", "c"]);
        assert_eq!(sink.group, "connect-c");
        assert_eq!(sink.from, ConsumeFrom::FirstOffset);
        plan.discard();
    }

    #[test]
    fn every_problem_is_reported_at_once_under_its_key() {
        let config = Config::new()
            .with("task.class", SINK)
            .with(CONSUME_FROM, "SOMEWHERE")
            .with("errors.tolerance", "some")
            .with("transforms", "missing");
        let errors = parse(&config, true).unwrap_err();
        let keys = keys(&errors);
        for key in [
            "connect.topicnames",
            CONSUME_FROM,
            "errors.tolerance",
            "transforms.missing.class",
        ] {
            assert!(keys.contains(&key), "{key} not in {keys:?}");
        }
    }

    #[test]
    fn direct_mode_checks_both_task_classes_and_refuses_dead_letters() {
        let config = Config::new()
            .with(DIRECT, "true")
            .with("source.task.class", SINK)
            .with("sink.task.class", "NoSuchTask")
            .with(dead_letter::TOPIC, "dlq");
        let errors = parse(&config, true).unwrap_err();
        assert_eq!(
            keys(&errors),
            [dead_letter::TOPIC, "source.task.class", "sink.task.class"]
        );
        assert!(errors[1].message.contains("expected a source task class"));

        let config = Config::new()
            .with(DIRECT, "true")
            .with("source.task.class", SOURCE)
            .with("sink.task.class", SINK)
            .with("source.filename", "/in")
            .with("filename", "/out");
        let plan = parse(&config, false).unwrap();
        let Mode::Direct(direct) = &plan.mode else {
            panic!("not direct: {:?}", plan.mode)
        };
        assert_eq!(direct.source_config.get("filename"), Some("/in"));
        assert_eq!(direct.sink_config.get("filename"), Some("/out"));
        plan.discard();
    }

    #[test]
    fn side_keys_override_for_their_task_only() {
        let config = Config::new()
            .with("filename", "/shared")
            .with("source.filename", "/in")
            .with("sink.filename", "/out");
        assert_eq!(side_config(&config, "source").get("filename"), Some("/in"));
        assert_eq!(side_config(&config, "sink").get("filename"), Some("/out"));
    }

    #[test]
    fn a_worker_without_rocketmq_runs_direct_mode_only() {
        let config = Config::new().with("task.class", SOURCE);
        let errors = parse(&config, false).unwrap_err();
        assert_eq!(keys(&errors), [DIRECT]);
        assert!(errors[0].message.contains("direct mode only"));
    }
}
