//! The error policy of a task (`errors.*` keys, reference §7.4): what happens to a record a
//! transform or converter rejects, and how long retriable failures are retried.

use std::time::Duration;

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConfigError, ConnectRecord};

/// The keys, for validation.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            "errors.tolerance",
            ConfigType::String,
            "none",
            "none: a bad record fails the task; all: it is skipped",
        )
        .validate_with(Validator::OneOf(&["none", "all"]))
        .optional(
            "errors.retry.timeout",
            ConfigType::Long,
            "0",
            "How long retriable errors are retried, ms (-1: forever)",
        )
        .optional(
            "errors.retry.delay.max.ms",
            ConfigType::Long,
            "60000",
            "Longest wait between retries, ms",
        )
        .optional(
            "errors.log.enable",
            ConfigType::Boolean,
            "false",
            "Log every failed record",
        )
        .optional(
            "errors.log.include.messages",
            ConfigType::Boolean,
            "false",
            "Include the record in the log line",
        )
}

/// The parsed policy.
#[derive(Debug, Clone)]
pub struct ErrorPolicy {
    pub tolerate_all: bool,
    /// `None`: retry forever.
    pub retry_timeout: Option<Duration>,
    pub max_delay: Duration,
    pub log: bool,
    pub log_messages: bool,
}

impl ErrorPolicy {
    pub fn from_config(config: &Config) -> Result<Self, Vec<ConfigError>> {
        let errors = config_def().validate(config);
        if !errors.is_empty() {
            return Err(errors);
        }
        let parse = || -> Result<Self, ConfigError> {
            let timeout = config.get_i64_or("errors.retry.timeout", 0)?;
            Ok(Self {
                tolerate_all: config
                    .get_string_or("errors.tolerance", "none")
                    .eq_ignore_ascii_case("all"),
                retry_timeout: u64::try_from(timeout).ok().map(Duration::from_millis),
                max_delay: Duration::from_millis(
                    config
                        .get_i64_or("errors.retry.delay.max.ms", 60_000)?
                        .unsigned_abs(),
                ),
                log: config.get_bool_or("errors.log.enable", false)?,
                log_messages: config.get_bool_or("errors.log.include.messages", false)?,
            })
        };
        parse().map_err(|e| vec![e])
    }

    /// Whether a retriable failure first seen `elapsed` ago may be retried again
    /// (`errors.retry.timeout`: 0 never, -1 forever).
    pub fn may_retry_after(&self, elapsed: Duration) -> bool {
        self.retry_timeout.is_none_or(|timeout| elapsed < timeout)
    }

    /// The wait before retry number `attempt` (1-based): 300 ms doubling, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let delay = Duration::from_millis(300)
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(20)));
        delay.min(self.max_delay.max(Duration::from_millis(1)))
    }

    /// Logs a failed record according to the policy; whether it was logged.
    pub fn log_failure(
        &self,
        stage: &str,
        record: &ConnectRecord,
        error: &connect_api::ConnectError,
    ) -> bool {
        if !self.log {
            return false;
        }
        if self.log_messages {
            tracing::error!(stage, %error, position = ?record.position, key = %record.key, value = %record.value, "record failed");
        } else {
            tracing::error!(stage, %error, position = ?record.position, "record failed");
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let policy = ErrorPolicy::from_config(
            &Config::new()
                .with("errors.tolerance", "ALL")
                .with("errors.retry.timeout", "-1"),
        )
        .unwrap();
        assert!(policy.tolerate_all);
        assert_eq!(policy.retry_timeout, None);
        assert_eq!(policy.backoff(1), Duration::from_millis(300));
        assert_eq!(policy.backoff(30), Duration::from_secs(60));
        let errors =
            ErrorPolicy::from_config(&Config::new().with("errors.tolerance", "some")).unwrap_err();
        assert_eq!(errors[0].key, "errors.tolerance");
    }
}
