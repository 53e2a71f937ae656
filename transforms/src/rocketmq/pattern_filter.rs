//! `PatternFilter$Key` / `$Value`: drops the record when a listed string field fully matches
//! `pattern`. `fields` is required: the Java transform tests only listed fields, so without
//! them it filters nothing — a configuration error here rather than a silent no-op.
//! Non-struct, non-map data passes.
//! (In the Java runtime a dropped source record crashes the task; here it is simply dropped.)

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConnectRecord, ConnectResult, FieldType, SchemaAndValue, Value};
use regex::Regex;

use crate::side::FieldTransform;
use crate::util::{compile_full_match, valid_regex};

#[derive(Debug, Default)]
pub struct PatternFilter {
    pattern: Option<Regex>,
    fields: Vec<String>,
}

impl PatternFilter {
    fn listed(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f == name)
    }

    fn matches(&self, text: &str) -> bool {
        self.pattern.as_ref().is_some_and(|p| p.is_match(text))
    }
}

impl FieldTransform for PatternFilter {
    fn config_def() -> ConfigDef {
        ConfigDef::new()
            .required(
                "pattern",
                ConfigType::String,
                "Regular expression; a record whose field matches it entirely is dropped",
            )
            .validate_with(Validator::Custom(valid_regex))
            .required("fields", ConfigType::List, "Fields to test")
            .validate_with(Validator::NonEmpty)
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.pattern = Some(compile_full_match("pattern", config.require("pattern")?)?);
        self.fields = config.get_list("fields");
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let drop = match &data.value {
            Value::Struct(s) => s.schema().fields().iter().any(|field| {
                field.schema().field_type() == FieldType::String
                    && self.listed(field.name())
                    && s.get_field(field)
                        .as_str()
                        .is_some_and(|text| self.matches(text))
            }),
            Value::Map(entries) => entries.iter().any(|(k, v)| {
                k.as_str().is_some_and(|name| self.listed(name))
                    && v.as_str().is_some_and(|text| self.matches(text))
            }),
            _ => false,
        };
        Ok((!drop).then_some(data))
    }
}
