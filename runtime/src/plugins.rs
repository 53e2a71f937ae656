//! The plugin registry: every connector (and its task classes), transform, predicate and
//! converter built into this binary. One function per kind; one grep finds them all.

use connect_actors::catalog::Catalog;
use connect_api::{ConfigDef, ConnectorPlugins, PluginKind, TaskFactory};
use serde::Serialize;

/// Every connector crate's contribution.
pub fn connector_plugins() -> ConnectorPlugins {
    let mut plugins = ConnectorPlugins::default();
    plugins.extend(connect_file::plugins());
    plugins.extend(connect_verifiable::plugins());
    plugins.extend(connect_jdbc::plugins());
    plugins.extend(connect_cdc::plugins());
    plugins
}

/// The catalog the worker resolves connector and task classes in.
pub fn catalog() -> Catalog {
    Catalog::new(connector_plugins())
}

/// One row of `/plugin/list`, shaped like the Java `PluginInfo` (plus aliases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginInfo {
    #[serde(rename = "className")]
    pub class_name: &'static str,
    #[serde(rename = "type")]
    pub kind: PluginKind,
    pub version: &'static str,
    /// Other names accepted in configuration.
    pub aliases: &'static [&'static str],
    /// A task class (used by direct mode's `source.task.class` / `sink.task.class`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_task: bool,
}

/// Every built-in plugin.
pub fn all_plugins() -> Vec<PluginInfo> {
    let version = env!("CARGO_PKG_VERSION");
    let row = |class_name, kind, aliases, is_task| PluginInfo {
        class_name,
        kind,
        version,
        aliases,
        is_task,
    };
    let connectors = connector_plugins();
    let mut list = Vec::new();
    list.extend(
        connectors
            .connectors
            .iter()
            .map(|p| row(p.class_name, p.kind, p.aliases, false)),
    );
    list.extend(
        connectors
            .tasks
            .iter()
            .map(|p| row(p.class_name, p.kind, p.aliases, true)),
    );
    list.extend(
        connect_transforms::transforms()
            .iter()
            .map(|p| row(p.class_name, p.kind, p.aliases, false)),
    );
    list.extend(
        connect_transforms::predicates()
            .iter()
            .map(|p| row(p.class_name, p.kind, p.aliases, false)),
    );
    list.extend(
        connect_converters::converters()
            .iter()
            .map(|p| row(p.class_name, p.kind, p.aliases, false)),
    );
    list
}

/// The plugin answering to `name` and its configuration keys.
pub fn config_def_of(name: &str) -> Option<(PluginInfo, ConfigDef)> {
    let name = name.trim();
    let info = all_plugins()
        .into_iter()
        .find(|p| p.class_name == name || p.aliases.contains(&name))?;
    let catalog = catalog();
    let def = match info.kind {
        PluginKind::Source | PluginKind::Sink if info.is_task => catalog
            .config_def_for_task(info.class_name)
            .unwrap_or_default(),
        PluginKind::Source | PluginKind::Sink => catalog
            .connector(info.class_name)
            .map(|p| (p.factory)().as_connector().config_def())
            .unwrap_or_default(),
        PluginKind::Transformation => connect_transforms::transforms()
            .iter()
            .find(|p| p.class_name == info.class_name)
            .map(|p| (p.factory)().config_def())
            .unwrap_or_default(),
        PluginKind::Predicate => connect_transforms::predicates()
            .iter()
            .find(|p| p.class_name == info.class_name)
            .map(|p| (p.factory)().config_def())
            .unwrap_or_default(),
        PluginKind::Converter => {
            connect_converters::converter_config_def(info.class_name).unwrap_or_default()
        }
    };
    Some((info, def))
}

/// The kind of a task class, for tests and listings.
pub fn task_kind(factory: TaskFactory) -> PluginKind {
    match factory {
        TaskFactory::Source(_) => PluginKind::Source,
        TaskFactory::Sink(_) => PluginKind::Sink,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every class name the seed's `/plugin/list` shows for transforms and converters, and
    /// the Java file sample's connectors, are ours.
    #[test]
    fn seed_plugin_list_names_are_all_registered() {
        let names: Vec<&str> = all_plugins().iter().map(|p| p.class_name).collect();
        for simple in [
            "ChangeCase",
            "ExtractNestedField",
            "PatternFilter",
            "PatternRename",
        ] {
            for side in ["Key", "Value"] {
                let name = format!("org.apache.rocketmq.connect.transforms.{simple}${side}");
                assert!(names.contains(&name.as_str()), "{name}");
            }
        }
        for simple in [
            "ByteArray",
            "Double",
            "Float",
            "Integer",
            "Long",
            "Short",
            "String",
        ] {
            let name =
                format!("org.apache.rocketmq.connect.runtime.converter.record.{simple}Converter");
            assert!(names.contains(&name.as_str()), "{name}");
        }
        assert!(
            names.contains(
                &"org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter"
            )
        );
        assert!(names.contains(&"org.apache.rocketmq.connect.file.FileSourceConnector"));
        assert!(names.contains(&"org.apache.rocketmq.connect.file.FileSinkConnector"));
    }

    #[test]
    fn config_defs_resolve_by_any_name() {
        let (info, def) = config_def_of("FileSinkTask").unwrap();
        assert!(info.is_task);
        assert!(def.key("filename").is_some());
        let (_, def) =
            config_def_of("org.apache.rocketmq.connect.transforms.PatternRename$Value").unwrap();
        assert!(def.key("field.pattern").is_some());
        let (_, def) = config_def_of("json").unwrap();
        assert!(def.key("schemas.enable").is_some());
        assert!(config_def_of("com.example.Nope").is_none());
    }
}
