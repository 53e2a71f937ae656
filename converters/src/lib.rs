//! Record converters: how keys and values become message bytes and back.
//!
//! # Codemap
//! - [`string`]: UTF-8 text (the worker default).
//! - [`bytes`]: bytes passed through.
//! - [`number`]: fixed-width big-endian Short / Integer / Long / Float / Double.
//! - [`json`]: JSON with the `{"schema", "payload"}` envelope, logical types, nested types.
//! - [`converters`]: the registry — every converter under its Java class name and aliases;
//!   [`create_converter`] builds and configures one by name.

pub mod bytes;
pub mod json;
pub mod number;
pub mod string;

#[cfg(test)]
mod roundtrip_tests;

use connect_api::config_def::ConfigDef;
use connect_api::plugin::{Plugin, PluginKind, find_plugin};
use connect_api::{Config, ConnectError, ConnectResult, RecordConverter};

pub use bytes::ByteArrayConverter;
pub use json::JsonConverter;
pub use number::NumberConverter;
pub use string::StringConverter;

/// Builds an unconfigured converter.
pub type ConverterFactory = fn() -> Box<dyn RecordConverter>;

#[cfg(test)]
const PREFIX: &str = "org.apache.rocketmq.connect.runtime.converter.record.";

fn make<C: RecordConverter + Default + 'static>() -> Box<dyn RecordConverter> {
    Box::new(C::default())
}

/// Every built-in converter, by Java class name, with short and Kafka Connect aliases.
pub fn converters() -> Vec<Plugin<ConverterFactory>> {
    let plugin = |class_name: &'static str,
                  aliases: &'static [&'static str],
                  factory: ConverterFactory| Plugin {
        class_name,
        aliases,
        kind: PluginKind::Converter,
        factory,
    };
    vec![
        plugin(
            "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter",
            &["JsonConverter", "json"],
            make::<JsonConverter>,
        ),
        // Kafka's name writes Kafka's logical type names (a Kafka reader relies on them).
        plugin("org.apache.kafka.connect.json.JsonConverter", &[], || {
            Box::new(JsonConverter::kafka())
        }),
        plugin(
            "org.apache.rocketmq.connect.runtime.converter.record.StringConverter",
            &[
                "StringConverter",
                "string",
                "org.apache.kafka.connect.storage.StringConverter",
            ],
            make::<StringConverter>,
        ),
        plugin(
            "org.apache.rocketmq.connect.runtime.converter.record.ByteArrayConverter",
            &[
                "ByteArrayConverter",
                "bytearray",
                "bytes",
                "org.apache.kafka.connect.converters.ByteArrayConverter",
            ],
            make::<ByteArrayConverter>,
        ),
        plugin(
            "org.apache.rocketmq.connect.runtime.converter.record.ShortConverter",
            &[
                "ShortConverter",
                "short",
                "org.apache.kafka.connect.converters.ShortConverter",
            ],
            make::<NumberConverter<number::Short>>,
        ),
        plugin(
            "org.apache.rocketmq.connect.runtime.converter.record.IntegerConverter",
            &[
                "IntegerConverter",
                "integer",
                "org.apache.kafka.connect.converters.IntegerConverter",
            ],
            make::<NumberConverter<number::Integer>>,
        ),
        plugin(
            "org.apache.rocketmq.connect.runtime.converter.record.LongConverter",
            &[
                "LongConverter",
                "long",
                "org.apache.kafka.connect.converters.LongConverter",
            ],
            make::<NumberConverter<number::Long>>,
        ),
        plugin(
            "org.apache.rocketmq.connect.runtime.converter.record.FloatConverter",
            &[
                "FloatConverter",
                "float",
                "org.apache.kafka.connect.converters.FloatConverter",
            ],
            make::<NumberConverter<number::Float>>,
        ),
        plugin(
            "org.apache.rocketmq.connect.runtime.converter.record.DoubleConverter",
            &[
                "DoubleConverter",
                "double",
                "org.apache.kafka.connect.converters.DoubleConverter",
            ],
            make::<NumberConverter<number::Double>>,
        ),
    ]
}

/// The configuration keys of the converter named `name`, for validation and `/plugin/config`.
pub fn converter_config_def(name: &str) -> Option<ConfigDef> {
    let plugin = find_plugin(&converters(), name)?.class_name;
    Some(if plugin.ends_with("JsonConverter") {
        JsonConverter::config_def()
    } else if plugin.ends_with(".StringConverter") {
        StringConverter::config_def()
    } else {
        ConfigDef::new()
    })
}

/// Creates the converter named `name` (class name or alias) and configures it.
/// `config_key` (e.g. `value.converter`) is used to name the key in errors.
pub fn create_converter(
    config_key: &str,
    name: &str,
    config: &Config,
    is_key: bool,
) -> ConnectResult<Box<dyn RecordConverter>> {
    let registry = converters();
    let plugin = find_plugin(&registry, name).ok_or_else(|| {
        let known: Vec<&str> = registry.iter().map(|p| p.class_name).collect();
        ConnectError::from(connect_api::ConfigError::invalid(
            config_key,
            name,
            format!("unknown converter; expected one of {}", known.join(", ")),
        ))
    })?;
    let mut converter = (plugin.factory)();
    converter
        .configure(config, is_key)
        .map_err(|err| match err {
            ConnectError::Config(errors) => ConnectError::Config(
                errors
                    .into_iter()
                    .map(|e| e.with_prefix(&format!("{config_key}.")))
                    .collect(),
            ),
            other => other,
        })?;
    Ok(converter)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every class name of the seed's converter list resolves, and so does its short name.
    #[test]
    fn seed_class_names_and_aliases_resolve() {
        let registry = converters();
        for simple in [
            "Json",
            "String",
            "Short",
            "Long",
            "Integer",
            "Float",
            "Double",
            "ByteArray",
        ] {
            let class = if simple == "Json" {
                format!("{PREFIX}json.JsonConverter")
            } else {
                format!("{PREFIX}{simple}Converter")
            };
            assert!(find_plugin(&registry, &class).is_some(), "{class}");
            assert!(
                find_plugin(&registry, &format!("{simple}Converter")).is_some(),
                "{simple}"
            );
        }
        // Kafka's JsonConverter is an entry of its own: it writes Kafka's logical names.
        assert!(find_plugin(&registry, "org.apache.kafka.connect.json.JsonConverter").is_some());
        assert_eq!(registry.len(), 9);
    }

    #[test]
    fn unknown_converter_and_bad_converter_config_name_the_key() {
        let err = create_converter("value.converter", "com.example.Nope", &Config::new(), false)
            .err()
            .unwrap();
        assert_eq!(err.config_errors()[0].key, "value.converter");
        let config = Config::new().with("schemas.enable", "maybe");
        let err = create_converter("value.converter", "json", &config, false)
            .err()
            .unwrap();
        assert_eq!(err.config_errors()[0].key, "value.converter.schemas.enable");
        assert!(create_converter("key.converter", "JsonConverter", &Config::new(), true).is_ok());
    }
}
