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
