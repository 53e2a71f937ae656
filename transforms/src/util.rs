//! Helpers shared by transforms: a schema cache, regex compilation with config-shaped errors,
//! Java replacement syntax, and struct/map plumbing.

use std::sync::Arc;

use connect_api::{Config, ConfigError, ConnectError, ConnectResult, SchemaRef, Struct, Value};
use regex::Regex;

/// Derived schemas by input schema. Streams usually carry one schema, so a handful of entries
/// is plenty; the input `Arc` is kept so its address cannot be reused by another schema.
#[derive(Debug, Default)]
pub struct SchemaCache {
    entries: Vec<(SchemaRef, SchemaRef)>,
}

const SCHEMA_CACHE_CAPACITY: usize = 16;

impl SchemaCache {
    /// The cached output for `input`, or computes, stores and returns it.
    pub fn get_or_try_insert(
        &mut self,
        input: &SchemaRef,
        make: impl FnOnce(&SchemaRef) -> ConnectResult<SchemaRef>,
    ) -> ConnectResult<SchemaRef> {
        if let Some((_, out)) = self.entries.iter().find(|(k, _)| Arc::ptr_eq(k, input)) {
            return Ok(out.clone());
        }
        let out = make(input)?;
        if self.entries.len() >= SCHEMA_CACHE_CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((input.clone(), out.clone()));
        Ok(out)
    }
}

/// Compiles `pattern` for `key`, reporting a bad expression as a config error on that key.
pub fn compile_regex(key: &str, pattern: &str) -> Result<Regex, ConfigError> {
    Regex::new(pattern)
        .map_err(|e| ConfigError::invalid(key, pattern, format!("invalid regular expression: {e}")))
}

/// Compiles `pattern` so that it must match the whole input (Java `Matcher.matches()`).
pub fn compile_full_match(key: &str, pattern: &str) -> Result<Regex, ConfigError> {
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| ConfigError::invalid(key, pattern, format!("invalid regular expression: {e}")))
}

/// A `ConfigDef` validator: the value must be a valid regular expression.
pub fn valid_regex(raw: &str) -> Result<(), String> {
    Regex::new(raw)
        .map(|_| ())
        .map_err(|e| format!("invalid regular expression: {e}"))
}

/// Converts a Java regex replacement (`$1`, `${name}`, `\$`) into Rust `regex` syntax
/// (`${1}`, `${name}`, `$$`), so `$1a` means group 1 then `a`, as in Java.
pub fn java_replacement(java: &str) -> String {
    let mut out = String::with_capacity(java.len() + 4);
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '$' => {
                if chars.peek() == Some(&'{') {
                    out.push('$');
                } else {
                    let mut digits = String::new();
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        digits.push(d);
                        chars.next();
                    }
                    if digits.is_empty() {
                        out.push_str("$$");
                    } else {
                        out.push_str(&format!("${{{digits}}}"));
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The error for a value the transform cannot handle.
pub fn unsupported(transform: &str, value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "{transform} needs a struct or a map, got {}",
        value.type_name()
    ))
}

/// Builds a struct of `schema` from values in field order.
pub fn make_struct(schema: SchemaRef, values: Vec<Value>) -> ConnectResult<Value> {
    Ok(Value::Struct(Struct::from_values(schema, values)?))
}

/// The string keys of a map value, erroring on any other key type.
pub fn string_key<'a>(transform: &str, key: &'a Value) -> ConnectResult<&'a str> {
    key.as_str().ok_or_else(|| {
        ConnectError::data(format!(
            "{transform} needs string map keys, got {}",
            key.type_name()
        ))
    })
}

/// Kafka's `replace.null.with.default` key, shared by the transforms that copy struct fields.
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// Declares [`REPLACE_NULL_WITH_DEFAULT`] (default `true`, as Kafka).
pub fn with_replace_null_key(
    def: connect_api::config_def::ConfigDef,
) -> connect_api::config_def::ConfigDef {
    def.optional(
        REPLACE_NULL_WITH_DEFAULT,
        connect_api::config_def::ConfigType::Boolean,
        "true",
        "Copy a null field as its schema default (false: keep the null)",
    )
}

/// Reads [`REPLACE_NULL_WITH_DEFAULT`] (default `true`).
pub fn replace_null_with_default(config: &Config) -> Result<bool, ConfigError> {
    config.get_bool_or(REPLACE_NULL_WITH_DEFAULT, true)
}

/// `s`'s values, each null replaced by its field's default when `with_defaults` (what Kafka's
/// SMTs copy under `replace.null.with.default=true`), else as stored.
pub fn field_values(s: Struct, with_defaults: bool) -> Vec<Value> {
    if !with_defaults {
        return s.into_values();
    }
    let schema = s.schema().clone();
    s.into_values()
        .into_iter()
        .zip(schema.fields())
        .map(
            |(value, field)| match (value, field.schema().default_value()) {
                (Value::Null, Some(default)) => default.clone(),
                (value, _) => value,
            },
        )
        .collect()
}

/// Adds `name: null` for each of `names` the map entries lack (Kafka's schemaless SMTs put
/// every listed field, present or not).
pub fn add_missing_as_null(entries: &mut Vec<(Value, Value)>, names: &[String]) {
    for name in names {
        if !entries
            .iter()
            .any(|(k, _)| k.as_str() == Some(name.as_str()))
        {
            entries.push((Value::String(name.clone()), Value::Null));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_replacements_translate() {
        assert_eq!(java_replacement("$1a"), "${1}a");
        assert_eq!(java_replacement("x_${name}"), "x_${name}");
        assert_eq!(java_replacement(r"cost\$"), "cost$$");
        assert_eq!(java_replacement("company02"), "company02");
        let re = Regex::new("(comp)any").unwrap();
        assert_eq!(
            re.replace_all("company", java_replacement("$1_x").as_str()),
            "comp_x"
        );
    }

    #[test]
    fn bad_regex_is_a_config_error_on_the_key() {
        let err = compile_regex("field.pattern", "(unclosed").unwrap_err();
        assert_eq!(err.key, "field.pattern");
        assert!(err.message.contains("invalid regular expression"));
    }
}
