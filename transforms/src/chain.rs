//! [`TransformChain`]: the transforms of one task, built from connector configuration exactly as
//! the seed writes it:
//!
//! ```text
//! "transforms": "Replace, Replace02",
//! "transforms.Replace.class": "org.apache.rocketmq.connect.transforms.PatternRename$Value",
//! "transforms.Replace.field.pattern": "company",
//! ```
//!
//! plus Kafka Connect's predicates (`predicates`, `predicates.<p>.type`,
//! `transforms.<alias>.predicate`, `transforms.<alias>.negate`). `.type` is accepted wherever
//! `.class` is, for users arriving from Kafka Connect.
//!
//! Unlike the Java chain, which logs and silently skips a transform that fails to start, a bad
//! transform configuration is an error naming the alias and key, reported at validation time.

use connect_api::plugin::find_plugin;
use connect_api::{
    Config, ConfigError, ConnectError, ConnectRecord, ConnectResult, Predicate, Transform,
};

use crate::transforms;

/// Keys of `transforms.<alias>.` that belong to the chain, not to the transform.
const CHAIN_KEYS: [&str; 4] = ["class", "type", "predicate", "negate"];

struct Step {
    alias: String,
    class_name: &'static str,
    transform: Box<dyn Transform>,
    /// Index into `predicates`, and whether its outcome is negated.
    condition: Option<(usize, bool)>,
}

struct NamedPredicate {
    predicate: Box<dyn Predicate>,
}

/// An ordered list of configured transforms.
pub struct TransformChain {
    steps: Vec<Step>,
    predicates: Vec<NamedPredicate>,
    stopped: bool,
}

impl std::fmt::Debug for TransformChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let steps: Vec<(&str, &str)> = self
            .steps
            .iter()
            .map(|s| (s.alias.as_str(), s.class_name))
            .collect();
        f.debug_struct("TransformChain")
            .field("steps", &steps)
            .finish()
    }
}

fn class_of<'a>(config: &'a Config, prefix: &str) -> Option<&'a str> {
    config
        .get_trimmed(&format!("{prefix}class"))
        .or_else(|| config.get_trimmed(&format!("{prefix}type")))
}

fn component_config(config: &Config, prefix: &str) -> Config {
    let mut sub = config.with_prefix_stripped(prefix);
    for key in CHAIN_KEYS {
        sub.remove(key);
    }
    sub
}

/// Runs `configure` and re-homes its config errors under `prefix`.
fn prefixed(result: ConnectResult<()>, prefix: &str, errors: &mut Vec<ConfigError>) {
    match result {
        Ok(()) => {}
        Err(ConnectError::Config(list)) => {
            errors.extend(list.into_iter().map(|e| e.with_prefix(prefix)))
        }
        Err(other) => errors.push(ConfigError {
            key: format!("{prefix}class"),
            value: None,
            message: format!("failed to configure: {other}"),
        }),
    }
}

impl TransformChain {
    /// A chain that does nothing.
    pub fn empty() -> Self {
        Self {
            steps: Vec::new(),
            predicates: Vec::new(),
            stopped: false,
        }
    }

    /// A chain of already configured transforms, applied to every record in order (no
    /// predicates) — for callers that build transforms themselves, such as tests of the loops.
    pub fn of(transforms: Vec<(String, Box<dyn Transform>)>) -> Self {
        Self {
            steps: transforms
                .into_iter()
                .map(|(alias, transform)| Step {
                    alias,
                    class_name: "",
                    transform,
                    condition: None,
                })
                .collect(),
            predicates: Vec::new(),
            stopped: false,
        }
    }

    /// Builds and configures every transform named by `transforms`. All problems of all
    /// aliases are reported together, each naming its full key.
    pub fn from_config(config: &Config) -> ConnectResult<Self> {
        let mut errors = Vec::new();
        let predicate_aliases = config.get_list("predicates");
        let mut predicates = Vec::new();
        for alias in &predicate_aliases {
            let prefix = format!("predicates.{alias}.");
            if let Some((_, predicate)) = build::<Box<dyn Predicate>>(
                config,
                &prefix,
                &crate::predicates(),
                "predicate",
                &mut errors,
            ) {
                predicates.push(NamedPredicate { predicate });
            }
        }
        let mut steps = Vec::new();
        for alias in config.get_list("transforms") {
            let prefix = format!("transforms.{alias}.");
            let condition = match config.get_trimmed(&format!("{prefix}predicate")) {
                None => None,
                Some(name) => match predicate_aliases.iter().position(|p| p == name) {
                    Some(index) => match config.get_bool_or(&format!("{prefix}negate"), false) {
                        Ok(negate) => Some((index, negate)),
                        Err(e) => {
                            errors.push(e);
                            None
                        }
                    },
                    None => {
                        errors.push(ConfigError::invalid(
                            format!("{prefix}predicate"),
                            name,
                            "names no predicate listed in 'predicates'",
                        ));
                        None
                    }
                },
            };
            if let Some((class_name, transform)) = build::<Box<dyn Transform>>(
                config,
                &prefix,
                &transforms(),
                "transform",
                &mut errors,
            ) {
                steps.push(Step {
                    alias,
                    class_name,
                    transform,
                    condition,
                });
            }
        }
        if errors.is_empty() {
            Ok(Self {
                steps,
                predicates,
                stopped: false,
            })
        } else {
            Err(ConnectError::Config(errors))
        }
    }

    /// Every configuration problem of the chain (empty when it would build).
    pub fn validate(config: &Config) -> Vec<ConfigError> {
        match Self::from_config(config) {
            Ok(mut chain) => {
                chain.stop();
                Vec::new()
            }
            Err(ConnectError::Config(errors)) => errors,
            Err(other) => vec![ConfigError {
                key: "transforms".to_owned(),
                value: None,
                message: other.to_string(),
            }],
        }
    }

    /// The aliases, in order.
    pub fn aliases(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.alias.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs the record through every transform in order. `None`: a transform dropped it.
    /// An error names the alias and class that failed.
    pub fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let mut record = record;
        for step in &mut self.steps {
            if let Some((index, negate)) = step.condition {
                let matched = self.predicates[index].predicate.test(&record);
                if matched == negate {
                    continue;
                }
            }
            match step.transform.apply(record) {
                Ok(Some(next)) => record = next,
                Ok(None) => return Ok(None),
                Err(err) => return Err(in_step(err, &step.alias, step.class_name)),
            }
        }
        Ok(Some(record))
    }

    /// Stops every transform; called when the task stops (also on drop, once).
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        for step in &mut self.steps {
            step.transform.stop();
        }
    }
}

impl Drop for TransformChain {
    fn drop(&mut self) {
        self.stop();
    }
}

fn in_step(err: ConnectError, alias: &str, class: &str) -> ConnectError {
    let context = |m: String| format!("transform '{alias}' ({class}): {m}");
    match err {
        ConnectError::Schema(m) => ConnectError::Schema(context(m)),
        ConnectError::Data(m) => ConnectError::Data(context(m)),
        ConnectError::Retriable(m) => ConnectError::Retriable(context(m)),
        ConnectError::Other(m) => ConnectError::Other(context(m)),
        config @ ConnectError::Config(_) => config,
    }
}

/// What building a transform and building a predicate have in common.
trait Configurable {
    fn config_def(&self) -> connect_api::ConfigDef;
    fn configure(&mut self, config: &Config) -> ConnectResult<()>;
}

impl Configurable for Box<dyn Transform> {
    fn config_def(&self) -> connect_api::ConfigDef {
        self.as_ref().config_def()
    }
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.as_mut().configure(config)
    }
}

impl Configurable for Box<dyn Predicate> {
    fn config_def(&self) -> connect_api::ConfigDef {
        self.as_ref().config_def()
    }
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.as_mut().configure(config)
    }
}

/// Resolves `<prefix>class` (or `.type`) in `registry`, validates and configures the component.
/// Problems are appended to `errors`; `None` when there were any.
fn build<T: Configurable>(
    config: &Config,
    prefix: &str,
    registry: &[connect_api::Plugin<fn() -> T>],
    what: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<(&'static str, T)> {
    let class_key = format!(
        "{prefix}{}",
        if prefix.starts_with("predicates.") {
            "type"
        } else {
            "class"
        }
    );
    let Some(class) = class_of(config, prefix) else {
        errors.push(ConfigError::missing(class_key));
        return None;
    };
    let Some(plugin) = find_plugin(registry, class) else {
        errors.push(ConfigError::invalid(
            class_key,
            class,
            format!("unknown {what} class; GET /plugin/list shows the available ones"),
        ));
        return None;
    };
    let mut component = (plugin.factory)();
    let sub = component_config(config, prefix);
    let before = errors.len();
    errors.extend(
        component
            .config_def()
            .validate(&sub)
            .into_iter()
            .map(|e| e.with_prefix(prefix)),
    );
    if errors.len() > before {
        return None;
    }
    prefixed(component.configure(&sub), prefix, errors);
    (errors.len() == before).then_some((plugin.class_name, component))
}
