//! [`ConfigDef`]: a component's declared configuration keys, used to validate a [`Config`]
//! once, up front, reporting every bad key at the same time, and to describe the keys over
//! REST (`/plugin/config`).

use serde::Serialize;

use crate::config::Config;
use crate::error::ConfigError;

/// The type a key's value must parse as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConfigType {
    String,
    Int,
    Long,
    Double,
    Boolean,
    /// Comma-separated list.
    List,
    /// A plugin class name.
    Class,
    /// A secret: masked when shown.
    Password,
}

impl ConfigType {
    fn check(self, raw: &str) -> Result<(), String> {
        let raw = raw.trim();
        let ok = match self {
            Self::Int => raw.parse::<i32>().is_ok(),
            Self::Long => raw.parse::<i64>().is_ok(),
            Self::Double => raw.parse::<f64>().is_ok(),
            Self::Boolean => raw.eq_ignore_ascii_case("true") || raw.eq_ignore_ascii_case("false"),
            Self::String | Self::List | Self::Class | Self::Password => true,
        };
        if ok {
            Ok(())
        } else {
            Err(match self {
                Self::Int => "expected a 32-bit integer".to_owned(),
                Self::Long => "expected a 64-bit integer".to_owned(),
                Self::Double => "expected a number".to_owned(),
                Self::Boolean => "expected true or false".to_owned(),
                _ => unreachable!("string-like types always parse"),
            })
        }
    }
}

/// How much a key matters (shown in `/plugin/config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Importance {
    High,
    Medium,
    Low,
}

/// An extra check on a key's value, beyond its type.
#[derive(Clone)]
pub enum Validator {
    /// One of these values, compared case-insensitively.
    OneOf(&'static [&'static str]),
    /// An integer within `min..=max`.
    Range { min: i64, max: i64 },
    /// Not blank.
    NonEmpty,
    /// Any check; the error text says what was expected.
    Custom(fn(&str) -> Result<(), String>),
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OneOf(values) => write!(f, "OneOf({values:?})"),
            Self::Range { min, max } => write!(f, "Range({min}..={max})"),
            Self::NonEmpty => f.write_str("NonEmpty"),
            Self::Custom(_) => f.write_str("Custom"),
        }
    }
}

impl Validator {
    fn check(&self, raw: &str) -> Result<(), String> {
        let raw = raw.trim();
        match self {
            Self::OneOf(values) => {
                if values.iter().any(|v| v.eq_ignore_ascii_case(raw)) {
                    Ok(())
                } else {
                    Err(format!("expected one of {}", values.join(", ")))
                }
            }
            Self::Range { min, max } => match raw.parse::<i64>() {
                Ok(v) if (*min..=*max).contains(&v) => Ok(()),
                _ => Err(format!("expected an integer between {min} and {max}")),
            },
            Self::NonEmpty => {
                if raw.is_empty() {
                    Err("expected a non-empty value".to_owned())
                } else {
                    Ok(())
                }
            }
            Self::Custom(check) => check(raw),
        }
    }

    /// A description for `/plugin/config`.
    pub fn describe(&self) -> Option<String> {
        match self {
            Self::OneOf(values) => Some(format!("one of [{}]", values.join(", "))),
            Self::Range { min, max } => Some(format!("[{min},...,{max}]")),
            Self::NonEmpty => Some("non-empty string".to_owned()),
            Self::Custom(_) => None,
        }
    }
}

/// What a component does with a file named by a key's value. The worker confines such keys
/// to its `allowedPaths` before the component sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileUse {
    Read,
    Write,
}

/// One declared key.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigKey {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ConfigType,
    /// `None` means required.
    #[serde(rename = "defaultValue")]
    pub default: Option<String>,
    pub importance: Importance,
    pub documentation: String,
    #[serde(skip)]
    pub validator: Option<Validator>,
    /// The value names a file the component reads or writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileUse>,
    /// Where in the value the file is, when the value is not simply its path (a SQLite
    /// `connection.url`); `None` from it means this value names no file.
    #[serde(skip)]
    pub file_in_value: Option<fn(&str) -> Option<String>>,
    /// A fault-injection switch for tests: refused unless the worker enables test plugins.
    #[serde(skip_serializing_if = "std::ops::Not::not", rename = "faultInjection")]
    pub fault_injection: bool,
}

impl ConfigKey {
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

/// The keys a component accepts.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a required key.
    pub fn required(mut self, name: &str, ty: ConfigType, doc: &str) -> Self {
        self.keys.push(ConfigKey {
            name: name.to_owned(),
            ty,
            default: None,
            importance: Importance::High,
            documentation: doc.to_owned(),
            validator: None,
            file: None,
            file_in_value: None,
            fault_injection: false,
        });
        self
    }

    /// Declares an optional key with its default (use `""` for "no value").
    pub fn optional(mut self, name: &str, ty: ConfigType, default: &str, doc: &str) -> Self {
        self.keys.push(ConfigKey {
            name: name.to_owned(),
            ty,
            default: Some(default.to_owned()),
            importance: Importance::Medium,
            documentation: doc.to_owned(),
            validator: None,
            file: None,
            file_in_value: None,
            fault_injection: false,
        });
        self
    }

    /// Attaches a validator to the most recently declared key.
    pub fn validate_with(mut self, validator: Validator) -> Self {
        if let Some(last) = self.keys.last_mut() {
            last.validator = Some(validator);
        }
        self
    }

    /// Marks the most recently declared key as naming a file the component reads or writes.
    pub fn file(mut self, usage: FileUse) -> Self {
        if let Some(last) = self.keys.last_mut() {
            last.file = Some(usage);
        }
        self
    }

    /// Marks the most recently declared key as holding, somewhere in its value, a file the
    /// component reads or writes; `extract` finds it (`None`: this value names no file).
    pub fn file_in_value(mut self, usage: FileUse, extract: fn(&str) -> Option<String>) -> Self {
        if let Some(last) = self.keys.last_mut() {
            last.file = Some(usage);
            last.file_in_value = Some(extract);
        }
        self
    }

    /// Marks the most recently declared key as a fault-injection switch (tests only).
    pub fn fault_injection(mut self) -> Self {
        if let Some(last) = self.keys.last_mut() {
            last.fault_injection = true;
        }
        self
    }

    /// Appends every key of `other`.
    pub fn merge(mut self, other: ConfigDef) -> Self {
        self.keys.extend(other.keys);
        self
    }

    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Checks `config` against every declared key; returns all problems, in declaration order.
    /// Keys the definition does not know are not errors (connectors pass extra keys through).
    pub fn validate(&self, config: &Config) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        for key in &self.keys {
            match config.get(&key.name) {
                None => {
                    if key.is_required() {
                        errors.push(ConfigError::missing(&key.name));
                    }
                }
                Some(raw) if raw.trim().is_empty() && key.is_required() => {
                    errors.push(ConfigError::invalid(
                        &key.name,
                        raw,
                        "expected a non-empty value",
                    ));
                }
                Some(raw) if raw.trim().is_empty() => {}
                Some(raw) => {
                    let outcome = key
                        .ty
                        .check(raw)
                        .and_then(|()| key.validator.as_ref().map_or(Ok(()), |v| v.check(raw)));
                    if let Err(message) = outcome {
                        errors.push(ConfigError::invalid(&key.name, raw, message));
                    }
                }
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .required("field", ConfigType::String, "field to use")
            .optional("precision.max", ConfigType::Int, "64", "max precision")
            .validate_with(Validator::Range { min: 1, max: 100 })
            .optional("mode", ConfigType::String, "bulk", "mode")
            .validate_with(Validator::OneOf(&["bulk", "incrementing"]))
    }

    /// Every problem is reported at once, each naming its key.
    #[test]
    fn reports_every_bad_key() {
        let config = Config::new()
            .with("precision.max", "abc")
            .with("mode", "sideways");
        let errors = def().validate(&config);
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, vec!["field", "precision.max", "mode"]);
        assert!(errors[2].message.contains("bulk, incrementing"));
    }

    #[test]
    fn valid_config_passes_and_case_is_ignored_for_choices() {
        let config = Config::new()
            .with("field", "x")
            .with("precision.max", "10")
            .with("mode", "BULK")
            .with("unrelated", "ok");
        assert!(def().validate(&config).is_empty());
        let out_of_range = Config::new()
            .with("field", "x")
            .with("precision.max", "1000");
        assert_eq!(def().validate(&out_of_range).len(), 1);
    }
}
