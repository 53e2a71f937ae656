//! The SDK's error types: [`ConnectError`] for everything a component can fail with, and
//! [`ConfigError`] for a single bad configuration key.

use std::fmt;

pub use crate::secrets::{MASK, is_secret_key};

/// One configuration problem: which key, which value (masked when secret), what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The full key, e.g. `transforms.Replace.field.pattern`.
    pub key: String,
    /// The offending value, already masked if the key is secret; `None` when the key is missing.
    pub value: Option<String>,
    /// What is wrong, phrased as what was expected.
    pub message: String,
}

impl ConfigError {
    /// The key is required and absent.
    pub fn missing(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: None,
            message: "is required and was not set".to_owned(),
        }
    }

    /// The key is present but its value is unusable.
    pub fn invalid(key: impl Into<String>, value: &str, message: impl Into<String>) -> Self {
        let key = key.into();
        let value = crate::secrets::mask_value(&key, value).into_owned();
        Self {
            key,
            value: Some(value),
            message: crate::secrets::scrub_text(&message.into()).into_owned(),
        }
    }

    /// Re-homes the error under a prefix, e.g. `field.pattern` → `transforms.Replace.field.pattern`.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.key = format!("{prefix}{}", self.key);
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(
                f,
                "config key '{}' has invalid value '{}': {}",
                self.key,
                crate::secrets::mask_value(&self.key, value),
                crate::secrets::scrub_text(&self.message)
            ),
            None => write!(f, "config key '{}' {}", self.key, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Everything a connector, task, transform or converter can fail with.
///
/// The runtime's error policy keys off the variant: only [`ConnectError::Retriable`] is retried,
/// configuration errors are reported at validation time, data errors go to the error tolerance
/// and dead-letter machinery.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectError {
    /// One or more configuration keys are wrong.
    #[error("{}", join_config_errors(.0))]
    Config(Vec<ConfigError>),
    /// A value does not fit its schema, or a schema is malformed.
    #[error("schema error: {0}")]
    Schema(String),
    /// Input bytes or a record could not be interpreted.
    #[error("data error: {0}")]
    Data(String),
    /// A transient failure (a database or broker away): the same call may succeed later.
    #[error("retriable error: {0}")]
    Retriable(String),
    /// Anything else; fails the task.
    #[error("{0}")]
    Other(String),
}

fn join_config_errors(errors: &[ConfigError]) -> String {
    let parts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

impl ConnectError {
    /// The verdict of a validation: `Ok` without problems, else one error per key (a type
    /// check and a parser may both object to the same value; the first word stands).
    pub fn verdict(mut errors: Vec<ConfigError>) -> Result<(), Self> {
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| seen.insert(e.key.clone()));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Config(errors))
        }
    }

    /// A schema violation.
    pub fn schema(message: impl Into<String>) -> Self {
        Self::Schema(message.into())
    }

    /// A data (decoding, type) problem.
    pub fn data(message: impl Into<String>) -> Self {
        Self::Data(message.into())
    }

    /// A transient problem worth retrying.
    pub fn retriable(message: impl Into<String>) -> Self {
        Self::Retriable(message.into())
    }

    /// A generic failure.
    pub fn other(message: impl Into<String>) -> Self {
        Self::Other(message.into())
    }

    /// True for errors the runtime retries with backoff.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Retriable(_))
    }

    /// A short class-like name for the error, used in `__connect.errors.exception.class.name`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Config(_) => "ConfigException",
            Self::Schema(_) => "SchemaException",
            Self::Data(_) => "DataException",
            Self::Retriable(_) => "RetriableException",
            Self::Other(_) => "ConnectException",
        }
    }

    /// The configuration errors carried, if this is a configuration error.
    pub fn config_errors(&self) -> &[ConfigError] {
        match self {
            Self::Config(errors) => errors,
            _ => &[],
        }
    }
}

impl From<ConfigError> for ConnectError {
    fn from(error: ConfigError) -> Self {
        Self::Config(vec![error])
    }
}

/// Shorthand for results in the SDK.
pub type ConnectResult<T> = Result<T, ConnectError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Secrets never appear in an error message, even when the value is the problem.
    #[test]
    fn secret_values_are_masked_in_config_errors() {
        let error = ConfigError::invalid("connection.password", "hunter2", "too short");
        let text = error.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains(MASK), "{text}");
        assert!(text.contains("connection.password"), "{text}");
    }

    /// A config error names key, value and expectation; a prefix re-homes the key.
    #[test]
    fn config_error_names_key_value_and_expectation() {
        let error = ConfigError::invalid("precision.max", "abc", "expected an integer")
            .with_prefix("transforms.P.");
        assert_eq!(
            error.to_string(),
            "config key 'transforms.P.precision.max' has invalid value 'abc': expected an integer"
        );
        assert_eq!(
            ConfigError::missing("field").to_string(),
            "config key 'field' is required and was not set"
        );
    }

    #[test]
    fn only_retriable_errors_are_retriable() {
        assert!(ConnectError::retriable("db down").is_retriable());
        assert!(!ConnectError::data("bad").is_retriable());
        assert!(!ConnectError::from(ConfigError::missing("x")).is_retriable());
    }
}
