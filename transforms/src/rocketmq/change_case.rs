//! `ChangeCase$Key` / `$Value`: renames every top-level field from one case format to another
//! (`from`, `to`: LOWER_HYPHEN, LOWER_UNDERSCORE, LOWER_CAMEL, UPPER_CAMEL, UPPER_UNDERSCORE,
//! as Guava's `CaseFormat`).

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConfigError, ConnectRecord, ConnectResult, SchemaAndValue};

use crate::field_rename::{rename_fields, struct_like};
use crate::side::FieldTransform;
use crate::util::SchemaCache;

const CASES: &[&str] = &[
    "LOWER_HYPHEN",
    "LOWER_UNDERSCORE",
    "LOWER_CAMEL",
    "UPPER_CAMEL",
    "UPPER_UNDERSCORE",
];

/// A case format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Case {
    LowerHyphen,
    #[default]
    LowerUnderscore,
    LowerCamel,
    UpperCamel,
    UpperUnderscore,
}

impl Case {
    fn parse(key: &str, raw: &str) -> Result<Self, ConfigError> {
        Ok(match raw.trim().to_ascii_uppercase().as_str() {
            "LOWER_HYPHEN" => Self::LowerHyphen,
            "LOWER_UNDERSCORE" => Self::LowerUnderscore,
            "LOWER_CAMEL" => Self::LowerCamel,
            "UPPER_CAMEL" => Self::UpperCamel,
            "UPPER_UNDERSCORE" => Self::UpperUnderscore,
            _ => {
                return Err(ConfigError::invalid(
                    key,
                    raw,
                    format!("expected one of {}", CASES.join(", ")),
                ));
            }
        })
    }

    fn words(self, name: &str) -> Vec<String> {
        match self {
            Self::LowerHyphen => name.split('-').map(str::to_owned).collect(),
            Self::LowerUnderscore | Self::UpperUnderscore => {
                name.split('_').map(str::to_owned).collect()
            }
            Self::LowerCamel | Self::UpperCamel => {
                let mut words = Vec::new();
                let mut current = String::new();
                for c in name.chars() {
                    if c.is_uppercase() && !current.is_empty() {
                        words.push(std::mem::take(&mut current));
                    }
                    current.push(c);
                }
                if !current.is_empty() {
                    words.push(current);
                }
                words
            }
        }
    }

    fn join(self, words: &[String]) -> String {
        let capital = |w: &str| {
            let lower = w.to_lowercase();
            let mut chars = lower.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        };
        match self {
            Self::LowerHyphen => words
                .iter()
                .map(|w| w.to_lowercase())
                .collect::<Vec<_>>()
                .join("-"),
            Self::LowerUnderscore => words
                .iter()
                .map(|w| w.to_lowercase())
                .collect::<Vec<_>>()
                .join("_"),
            Self::UpperUnderscore => words
                .iter()
                .map(|w| w.to_uppercase())
                .collect::<Vec<_>>()
                .join("_"),
            Self::UpperCamel => words.iter().map(|w| capital(w)).collect(),
            Self::LowerCamel => words
                .iter()
                .enumerate()
                .map(|(i, w)| if i == 0 { w.to_lowercase() } else { capital(w) })
                .collect(),
        }
    }

    /// Converts `name` from `self` to `to`.
    pub fn convert(self, to: Case, name: &str) -> String {
        to.join(&self.words(name))
    }
}

#[derive(Debug, Default)]
pub struct ChangeCase {
    from: Case,
    to: Case,
    cache: SchemaCache,
}

impl FieldTransform for ChangeCase {
    fn config_def() -> ConfigDef {
        ConfigDef::new()
            .required(
                "from",
                ConfigType::String,
                "Case format of the current field names",
            )
            .validate_with(Validator::OneOf(CASES))
            .required(
                "to",
                ConfigType::String,
                "Case format to convert field names to",
            )
            .validate_with(Validator::OneOf(CASES))
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.from = Case::parse("from", config.require("from")?)?;
        self.to = Case::parse("to", config.require("to")?)?;
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let (from, to) = (self.from, self.to);
        let rename = move |name: &str| Some(from.convert(to, name));
        rename_fields(
            "ChangeCase",
            data,
            &mut self.cache,
            struct_like,
            false,
            &rename,
        )
        .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_between_every_pair_of_formats() {
        use Case::*;
        assert_eq!(
            UpperCamel.convert(LowerUnderscore, "FirstName"),
            "first_name"
        );
        assert_eq!(
            LowerUnderscore.convert(LowerCamel, "first_name"),
            "firstName"
        );
        assert_eq!(
            LowerCamel.convert(UpperUnderscore, "firstName"),
            "FIRST_NAME"
        );
        assert_eq!(
            UpperUnderscore.convert(LowerHyphen, "FIRST_NAME"),
            "first-name"
        );
        assert_eq!(LowerHyphen.convert(UpperCamel, "first-name"), "FirstName");
        assert_eq!(LowerUnderscore.convert(UpperCamel, "id"), "Id");
    }
}
