//! The String converter (`…converter.record.StringConverter`, the worker default): UTF-8 text
//! of the value; reads back as an optional string.

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{
    Config, ConnectError, ConnectResult, RecordConverter, Schema, SchemaAndValue, SchemaBuilder,
    SchemaRef, Value,
};

/// Text in UTF-8 (the only encoding accepted for `serializer.encoding`/`converter.encoding`).
#[derive(Debug)]
pub struct StringConverter {
    schema: SchemaRef,
}

impl Default for StringConverter {
    fn default() -> Self {
        Self {
            schema: SchemaBuilder::string().optional().build(),
        }
    }
}

const UTF8_NAMES: &[&str] = &["UTF8", "UTF-8"];

impl StringConverter {
    pub fn config_def() -> ConfigDef {
        ConfigDef::new()
            .optional(
                "converter.encoding",
                ConfigType::String,
                "UTF8",
                "Character set (UTF-8 only)",
            )
            .validate_with(Validator::OneOf(UTF8_NAMES))
            .optional(
                "serializer.encoding",
                ConfigType::String,
                "UTF8",
                "Character set for writing (UTF-8 only)",
            )
            .validate_with(Validator::OneOf(UTF8_NAMES))
            .optional(
                "deserializer.encoding",
                ConfigType::String,
                "UTF8",
                "Character set for reading (UTF-8 only)",
            )
            .validate_with(Validator::OneOf(UTF8_NAMES))
    }
}

impl RecordConverter for StringConverter {
    fn configure(&mut self, config: &Config, _is_key: bool) -> ConnectResult<()> {
        let errors = Self::config_def().validate(config);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConnectError::Config(errors))
        }
    }

    fn encode(
        &self,
        _topic: &str,
        _schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        Ok(match value {
            Value::Null => None,
            Value::String(text) => Some(text.as_bytes().to_vec()),
            other => Some(other.to_string().into_bytes()),
        })
    }

    fn decode(&self, _topic: &str, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::new(Some(self.schema.clone()), Value::Null));
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ConnectError::data(format!("message is not valid UTF-8: {e}")))?;
        Ok(SchemaAndValue::new(
            Some(self.schema.clone()),
            Value::String(text.to_owned()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_other_values_print_as_text() {
        let c = StringConverter::default();
        let bytes = c.encode("t", None, &Value::from("héllo")).unwrap().unwrap();
        assert_eq!(
            c.decode("t", Some(&bytes)).unwrap().value,
            Value::from("héllo")
        );
        assert_eq!(
            c.encode("t", None, &Value::Int32(42)).unwrap().unwrap(),
            b"42"
        );
        assert_eq!(c.encode("t", None, &Value::Null).unwrap(), None);
    }

    #[test]
    fn invalid_utf8_and_other_encodings_are_clear_errors() {
        let c = StringConverter::default();
        let err = c.decode("t", Some(&[0xff, 0xfe])).unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
        let mut c = StringConverter::default();
        let err = c
            .configure(&Config::new().with("converter.encoding", "latin1"), false)
            .unwrap_err();
        assert_eq!(err.config_errors()[0].key, "converter.encoding");
    }
}
