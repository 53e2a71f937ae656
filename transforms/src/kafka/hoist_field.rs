//! `HoistField$Key` / `$Value`: wraps the data in a struct (or map) with a single field.

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::data::SchemaBuilder;
use connect_api::{Config, ConnectRecord, ConnectResult, SchemaAndValue, Value};

use crate::side::FieldTransform;
use crate::util::{SchemaCache, make_struct};

#[derive(Debug, Default)]
pub struct HoistField {
    field: String,
    cache: SchemaCache,
}

impl FieldTransform for HoistField {
    fn config_def() -> ConfigDef {
        ConfigDef::new().required(
            "field",
            ConfigType::String,
            "Name of the single field of the wrapper",
        )
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
        let name = self.field.clone();
        Ok(Some(match data.schema {
            Some(schema) => {
                let wrapper = self.cache.get_or_try_insert(&schema, |inner| {
                    Ok(SchemaBuilder::struct_()
                        .required()
                        .field(name, inner.clone())?
                        .build())
                })?;
                let value = make_struct(wrapper.clone(), vec![data.value])?;
                SchemaAndValue::new(Some(wrapper), value)
            }
            None => SchemaAndValue::new(None, Value::map_of([(name, data.value)])),
        }))
    }
}
