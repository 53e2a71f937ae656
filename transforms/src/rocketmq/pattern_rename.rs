//! `PatternRename$Key` / `$Value`: renames fields whose name matches `field.pattern`, replacing
//! every match with `field.replacement` (Java replacement syntax: `$1`, `${name}`).
//! `field.pattern.flags` takes the Java flag names.

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConfigError, ConnectRecord, ConnectResult, SchemaAndValue};
use regex::Regex;

use crate::field_rename::{rename_fields, struct_like};
use crate::side::FieldTransform;
use crate::util::{SchemaCache, compile_regex, java_replacement, valid_regex};

const FLAGS: &[&str] = &[
    "UNICODE_CHARACTER_CLASS",
    "CANON_EQ",
    "UNICODE_CASE",
    "DOTALL",
    "LITERAL",
    "MULTILINE",
    "COMMENTS",
    "CASE_INSENSITIVE",
    "UNIX_LINES",
];

#[derive(Debug, Default)]
pub struct PatternRename {
    pattern: Option<Regex>,
    replacement: String,
    cache: SchemaCache,
}

/// Translates Java `Pattern` flags into an inline-flag prefix (Rust regexes are Unicode-aware
/// already, so the Unicode and line-ending flags need nothing).
fn flagged_pattern(pattern: &str, flags: &[String]) -> Result<String, ConfigError> {
    let mut inline = String::new();
    let mut literal = false;
    for flag in flags {
        match flag.to_ascii_uppercase().as_str() {
            "CASE_INSENSITIVE" => inline.push('i'),
            "MULTILINE" => inline.push('m'),
            "DOTALL" => inline.push('s'),
            "COMMENTS" => inline.push('x'),
            "LITERAL" => literal = true,
            "UNICODE_CHARACTER_CLASS" | "CANON_EQ" | "UNICODE_CASE" | "UNIX_LINES" => {}
            _ => {
                return Err(ConfigError::invalid(
                    "field.pattern.flags",
                    flag,
                    format!("unknown flag; expected any of {}", FLAGS.join(", ")),
                ));
            }
        }
    }
    let body = if literal {
        regex::escape(pattern)
    } else {
        pattern.to_owned()
    };
    Ok(if inline.is_empty() {
        body
    } else {
        format!("(?{inline}){body}")
    })
}

impl FieldTransform for PatternRename {
    fn config_def() -> ConfigDef {
        ConfigDef::new()
            .required(
                "field.pattern",
                ConfigType::String,
                "Regular expression matched against field names",
            )
            .validate_with(Validator::Custom(valid_regex))
            .optional(
                "field.pattern.flags",
                ConfigType::List,
                "",
                "Java Pattern flags, e.g. CASE_INSENSITIVE",
            )
            .optional(
                "field.replacement",
                ConfigType::String,
                "",
                "Replacement for each match ($1 refers to a group; empty strips the match)",
            )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let pattern = flagged_pattern(
            config.require("field.pattern")?,
            &config.get_list("field.pattern.flags"),
        )?;
        self.pattern = Some(compile_regex("field.pattern", &pattern)?);
        self.replacement = java_replacement(config.get("field.replacement").unwrap_or(""));
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let Some(pattern) = &self.pattern else {
            return Ok(Some(data));
        };
        let replacement = self.replacement.as_str();
        let rename = |name: &str| Some(pattern.replace_all(name, replacement).into_owned());
        rename_fields(
            "PatternRename",
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
    fn java_flags_become_inline_flags_and_unknown_flags_are_named() {
        assert_eq!(
            flagged_pattern("a.b", &["CASE_INSENSITIVE".into(), "DOTALL".into()]).unwrap(),
            "(?is)a.b"
        );
        assert_eq!(
            flagged_pattern("a.b", &["LITERAL".into()]).unwrap(),
            r"a\.b"
        );
        let err = flagged_pattern("a", &["SHOUTING".into()]).unwrap_err();
        assert_eq!(err.key, "field.pattern.flags");
    }
}
