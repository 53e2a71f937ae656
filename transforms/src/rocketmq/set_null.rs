//! `SetNull$Key` / `$Value`: sets the key (or value) and its schema to null. The Java `$Value`
//! variant is a no-op and both drop the extensions; here both work and extensions are kept.

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::{Config, ConnectRecord, ConnectResult, SchemaAndValue};

use crate::side::FieldTransform;

#[derive(Debug, Default)]
pub struct SetNull;

impl FieldTransform for SetNull {
    fn config_def() -> ConfigDef {
        // The Java class parses PatternRename's keys; accept (and ignore) them for compatibility.
        ConfigDef::new()
            .optional(
                "field.pattern",
                ConfigType::String,
                "",
                "Ignored; accepted for compatibility",
            )
            .optional(
                "field.replacement",
                ConfigType::String,
                "",
                "Ignored; accepted for compatibility",
            )
    }

    fn configure(&mut self, _config: &Config) -> ConnectResult<()> {
        Ok(())
    }

    fn transform(
        &mut self,
        _data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        Ok(Some(SchemaAndValue::null()))
    }
}
