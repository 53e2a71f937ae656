//! `ExtractField$Key` / `$Value`: replaces the struct or map with one of its fields; with
//! `field.syntax.version=V2` the field may be nested (`address.city`, see [`FieldPath`]).
//! A null field with a schema default gives the default unless `replace.null.with.default=false`.

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::{Config, ConnectError, ConnectRecord, ConnectResult, SchemaAndValue, Value};

use crate::field_path::{FieldPath, with_syntax_key};
use crate::side::FieldTransform;
use crate::util::{replace_null_with_default, unsupported, with_replace_null_key};

#[derive(Debug, Default)]
pub struct ExtractField {
    path: FieldPath,
    replace_null_with_default: bool,
}

impl FieldTransform for ExtractField {
    fn config_def() -> ConfigDef {
        with_replace_null_key(with_syntax_key(ConfigDef::new().required(
            "field",
            ConfigType::String,
            "The field to extract",
        )))
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.path = FieldPath::configured(config, "field", config.require("field")?)?;
        self.replace_null_with_default = replace_null_with_default(config)?;
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        Ok(Some(match (data.schema, data.value) {
            (None, Value::Null) => SchemaAndValue::null(),
            // With a schema the field must exist, even when the value is null (as Kafka).
            (Some(schema), value @ (Value::Null | Value::Struct(_))) => {
                let field = self.path.field_in(&schema).ok_or_else(|| {
                    ConnectError::schema(format!(
                        "ExtractField: Unknown field: {} (in {})",
                        self.path.text(),
                        schema.describe()
                    ))
                })?;
                let value = self
                    .path
                    .value_in_struct(&value, self.replace_null_with_default);
                SchemaAndValue::new(Some(field.schema().clone()), value)
            }
            (_, map @ Value::Map(_)) => SchemaAndValue::new(None, self.path.value_in_map(&map)?),
            (_, other) => return Err(unsupported("ExtractField", &other)),
        }))
    }
}
