//! One connector configuration's record pipeline: value/key converters and the transform
//! chain, resolved from the connector keys (`key.converter`, `value.converter`,
//! `key.converter.*`, `value.converter.*`, `transforms*`) with worker defaults.

use connect_api::{
    Config, ConfigError, ConnectError, ConnectRecord, ConnectResult, RecordConverter,
};
use connect_converters::create_converter;
use connect_transforms::TransformChain;

/// The worker default converter (as the Java `WorkerConfig`).
pub const DEFAULT_CONVERTER: &str =
    "org.apache.rocketmq.connect.runtime.converter.record.StringConverter";

/// Converters and transforms built from one configuration.
pub struct Pipeline {
    pub key_converter: Box<dyn RecordConverter>,
    pub value_converter: Box<dyn RecordConverter>,
    pub transforms: TransformChain,
    /// Class names as configured, for error reports.
    pub key_converter_class: String,
    pub value_converter_class: String,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("transforms", &self.transforms)
            .finish_non_exhaustive()
    }
}

fn converter(
    config: &Config,
    key: &str,
    default: &str,
    is_key: bool,
) -> ConnectResult<Box<dyn RecordConverter>> {
    let name = config.get_trimmed(key).unwrap_or(default);
    create_converter(
        key,
        name,
        &config.with_prefix_stripped(&format!("{key}.")),
        is_key,
    )
}

impl Pipeline {
    /// The transform aliases, for error reports of the TRANSFORMATION stage.
    pub fn transforms_class(&self) -> String {
        self.transforms.aliases().join(",")
    }

    /// Builds everything, collecting every configuration problem before failing.
    pub fn from_config(
        config: &Config,
        default_key: &str,
        default_value: &str,
    ) -> ConnectResult<Self> {
        let mut errors: Vec<ConfigError> = Vec::new();
        let mut keep = |result: ConnectResult<Box<dyn RecordConverter>>| match result {
            Ok(c) => Some(c),
            Err(ConnectError::Config(list)) => {
                errors.extend(list);
                None
            }
            Err(other) => {
                errors.push(ConfigError {
                    key: "converter".into(),
                    value: None,
                    message: other.to_string(),
                });
                None
            }
        };
        let key_converter = keep(converter(config, "key.converter", default_key, true));
        let value_converter = keep(converter(config, "value.converter", default_value, false));
        let transforms = match TransformChain::from_config(config) {
            Ok(chain) => Some(chain),
            Err(ConnectError::Config(list)) => {
                errors.extend(list);
                None
            }
            Err(other) => return Err(other),
        };
        match (key_converter, value_converter, transforms) {
            (Some(key_converter), Some(value_converter), Some(transforms)) if errors.is_empty() => {
                Ok(Self {
                    key_converter,
                    value_converter,
                    transforms,
                    key_converter_class: config
                        .get_trimmed("key.converter")
                        .unwrap_or(default_key)
                        .to_owned(),
                    value_converter_class: config
                        .get_trimmed("value.converter")
                        .unwrap_or(default_value)
                        .to_owned(),
                })
            }
            _ => Err(ConnectError::Config(errors)),
        }
    }

    /// Decodes one message (key and body bytes) from `topic` into a record, as a sink would
    /// receive it, then applies the transforms. `None`: a transform dropped it.
    pub fn decode_and_transform(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        body: Option<&[u8]>,
    ) -> ConnectResult<Option<ConnectRecord>> {
        let record = self.decode(topic, key, body)?;
        self.transforms.apply(record)
    }

    /// Decodes one message (key and body bytes) from `topic` into a record.
    pub fn decode(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        body: Option<&[u8]>,
    ) -> ConnectResult<ConnectRecord> {
        let key = self.key_converter.decode(topic, key)?;
        let value = self.value_converter.decode(topic, body)?;
        let mut record = ConnectRecord::default()
            .with_key(key.schema, key.value)
            .with_value(value.schema, value.value);
        record.set_topic(topic);
        Ok(record)
    }

    /// Applies the transforms. `None`: a transform dropped the record.
    pub fn transform(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        self.transforms.apply(record)
    }

    /// Encodes a record's value for its topic.
    pub fn encode_value(&self, record: &ConnectRecord) -> ConnectResult<Option<Vec<u8>>> {
        let topic = record.topic().unwrap_or_default();
        self.value_converter
            .encode(topic, record.value_schema.as_deref(), &record.value)
    }

    /// Encodes a record's key for its topic (`None` for a null key).
    pub fn encode_key(&self, record: &ConnectRecord) -> ConnectResult<Option<Vec<u8>>> {
        if record.key.is_null() && record.key_schema.is_none() {
            return Ok(None);
        }
        let topic = record.topic().unwrap_or_default();
        self.key_converter
            .encode(topic, record.key_schema.as_deref(), &record.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_converters_and_transforms_are_reported_together() {
        let config = Config::new()
            .with("value.converter", "com.example.Nope")
            .with("key.converter", "json")
            .with("key.converter.schemas.enable", "sometimes")
            .with("transforms", "x");
        let err = Pipeline::from_config(&config, DEFAULT_CONVERTER, DEFAULT_CONVERTER).unwrap_err();
        let keys: Vec<&str> = err.config_errors().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "key.converter.schemas.enable",
                "value.converter",
                "transforms.x.class"
            ]
        );
    }

    #[test]
    fn defaults_apply_when_no_converter_is_configured() {
        let mut pipeline =
            Pipeline::from_config(&Config::new(), DEFAULT_CONVERTER, DEFAULT_CONVERTER).unwrap();
        let record = pipeline
            .decode_and_transform("t", None, Some(b"hello"))
            .unwrap()
            .unwrap();
        assert_eq!(record.value, connect_api::Value::from("hello"));
        assert_eq!(pipeline.encode_value(&record).unwrap().unwrap(), b"hello");
    }
}
