//! Server checks at validation: each failed check names the server setting (or privilege) at
//! fault, what was found and how to fix it, and becomes one 400 entry.

use connect_api::{Config, ConfigError, ConnectError, ConnectResult};
use connect_transforms::TransformChain;

use crate::config::{CdcConfig, Dialect};

/// One failed server check: the setting (or grant) and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// The server variable or privilege at fault.
    pub setting: String,
    pub found: String,
    pub fix: String,
}

impl CheckFailure {
    pub fn new(
        setting: impl Into<String>,
        found: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            setting: setting.into(),
            found: found.into(),
            fix: fix.into(),
        }
    }
}

/// The failures as validation errors.
pub fn to_config_errors(failures: Vec<CheckFailure>) -> Vec<ConfigError> {
    failures
        .into_iter()
        .map(|f| {
            ConfigError::invalid(
                format!("server setting {}", f.setting),
                &f.found,
                format!("the server is not ready for change data capture: {}", f.fix),
            )
        })
        .collect()
}

/// Validates a CDC connector's configuration: the in-task transforms, `extra` problems, every
/// key (all reported at once), and — only when those pass — the server through `check` on a
/// thread of its own (`probe` names it).
pub fn validate<F, Fut>(
    config: &Config,
    dialect: Dialect,
    mut errors: Vec<ConfigError>,
    probe: &str,
    check: F,
) -> ConnectResult<()>
where
    F: FnOnce(CdcConfig) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ConnectResult<Vec<ConfigError>>>,
{
    errors.extend(
        TransformChain::validate(&config.with_prefix_stripped("kafka."))
            .into_iter()
            .map(|e| ConfigError {
                key: format!("kafka.{}", e.key),
                ..e
            }),
    );
    match CdcConfig::parse_for(dialect, config) {
        Err(list) => errors.extend(list),
        Ok(parsed) if errors.is_empty() => {
            errors.extend(connect_api::connector::run_check(probe, move || {
                check(parsed)
            })?);
        }
        Ok(_) => {}
    }
    ConnectError::verdict(errors)
}

/// The server could not be reached: the error on `database.hostname`, naming the keys to check.
pub fn unreachable(config: &CdcConfig, error: impl std::fmt::Display) -> ConfigError {
    let keys = match config.dialect {
        Dialect::MySql => "database.hostname, database.port, database.user and database.password",
        Dialect::Postgres => {
            "database.hostname, database.port, database.user, database.password and database.dbname"
        }
    };
    ConfigError::invalid(
        "database.hostname",
        &format!("{}:{}", config.hostname, config.port),
        format!("{error} (check {keys})"),
    )
}
