//! Server checks at validation: each failed check names the server setting (or privilege) at
//! fault, what was found and how to fix it, and becomes one 400 entry.

use connect_api::ConfigError;

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
