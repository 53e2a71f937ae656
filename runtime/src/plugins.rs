//! The plugin registry: what `/plugin/list` reports and how names in configurations resolve.

use connect_api::PluginKind;
use serde::Serialize;

/// One row of `/plugin/list`, shaped like the Java `PluginInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginInfo {
    #[serde(rename = "className")]
    pub class_name: &'static str,
    #[serde(rename = "type")]
    pub kind: PluginKind,
    pub version: &'static str,
    /// Other names accepted in configuration.
    pub aliases: &'static [&'static str],
}

/// Every built-in plugin: converters, transforms and predicates.
pub fn all_plugins() -> Vec<PluginInfo> {
    let version = env!("CARGO_PKG_VERSION");
    let mut list = Vec::new();
    for p in connect_transforms::transforms() {
        list.push(PluginInfo {
            class_name: p.class_name,
            kind: p.kind,
            version,
            aliases: p.aliases,
        });
    }
    for p in connect_transforms::predicates() {
        list.push(PluginInfo {
            class_name: p.class_name,
            kind: p.kind,
            version,
            aliases: p.aliases,
        });
    }
    for p in connect_converters::converters() {
        list.push(PluginInfo {
            class_name: p.class_name,
            kind: p.kind,
            version,
            aliases: p.aliases,
        });
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every class name the seed's `/plugin/list` shows for transforms and converters is ours.
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
    }

    #[test]
    fn rows_serialize_like_the_java_plugin_info() {
        let row = all_plugins()
            .into_iter()
            .find(|p| p.kind == PluginKind::Converter)
            .unwrap();
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["type"], "CONVERTER");
        assert!(json["className"].as_str().unwrap().ends_with("Converter"));
    }
}
