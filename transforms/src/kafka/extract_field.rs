//! `ExtractField$Key` / `$Value`: replaces the struct or map with one of its fields.

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::{Config, ConnectError, ConnectRecord, ConnectResult, SchemaAndValue, Value};

use crate::side::FieldTransform;
use crate::util::unsupported;

#[derive(Debug, Default)]
pub struct ExtractField {
    field: String,
}

impl FieldTransform for ExtractField {
    fn config_def() -> ConfigDef {
        ConfigDef::new().required("field", ConfigType::String, "The field to extract")
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.field = config.require("field")?.to_owned();
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let name = self.field.as_str();
        Ok(Some(match (data.schema, data.value) {
            (Some(schema), Value::Null) => {
                let field = schema.field(name).map(|f| f.schema().clone());
                SchemaAndValue::new(field, Value::Null)
            }
            (None, Value::Null) => SchemaAndValue::null(),
            (Some(schema), Value::Struct(s)) => {
                let field = schema.field(name).ok_or_else(|| {
                    ConnectError::schema(format!(
                        "ExtractField: no field '{name}' in {}",
                        schema.describe()
                    ))
                })?;
                let value = s.get_field(field).clone();
                SchemaAndValue::new(Some(field.schema().clone()), value)
            }
            (_, map @ Value::Map(_)) => {
                SchemaAndValue::new(None, map.map_get(name).cloned().unwrap_or_default())
            }
            (_, other) => return Err(unsupported("ExtractField", &other)),
        }))
    }
}
