//! Plugin descriptors: how a component is found by its Java class name or a short alias.
//! Registries are plain lists built by functions (one grep finds every plugin), never by
//! linker tricks.

use serde::Serialize;

/// The kind of plugin, as `/plugin/list` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PluginKind {
    Source,
    Sink,
    Transformation,
    Predicate,
    Converter,
}

/// A registered component: its canonical class name, its aliases and how to make one.
#[derive(Debug, Clone)]
pub struct Plugin<F> {
    /// The Java class name (`org.apache.rocketmq.connect.transforms.PatternRename$Value`).
    pub class_name: &'static str,
    /// Other names accepted in configuration (short names, Kafka Connect names).
    pub aliases: &'static [&'static str],
    pub kind: PluginKind,
    /// Constructor.
    pub factory: F,
}

impl<F> Plugin<F> {
    /// True when `name` is the class name or one of the aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.class_name == name || self.aliases.contains(&name)
    }
}

/// Finds the plugin answering to `name` (trimmed) in a registry list.
pub fn find_plugin<'a, F>(plugins: &'a [Plugin<F>], name: &str) -> Option<&'a Plugin<F>> {
    let name = name.trim();
    plugins.iter().find(|plugin| plugin.answers_to(name))
}

/// Builds an unstarted connector.
pub type ConnectorFactory = fn() -> crate::AnyConnector;

/// Builds an unstarted task of either kind (used for `task.class`, `source.task.class` and
/// `sink.task.class` in direct mode).
#[derive(Debug, Clone, Copy)]
pub enum TaskFactory {
    Source(fn() -> Box<dyn crate::SourceTask>),
    Sink(fn() -> Box<dyn crate::SinkTask>),
}

/// The connectors and tasks a connector crate contributes to the runtime's registry.
#[derive(Debug, Default)]
pub struct ConnectorPlugins {
    pub connectors: Vec<Plugin<ConnectorFactory>>,
    pub tasks: Vec<Plugin<TaskFactory>>,
}

impl ConnectorPlugins {
    /// Appends another crate's plugins.
    pub fn extend(&mut self, other: ConnectorPlugins) {
        self.connectors.extend(other.connectors);
        self.tasks.extend(other.tasks);
    }
}
