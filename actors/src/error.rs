//! [`ControllerError`]: what a management request can fail with, mapped to HTTP statuses by
//! the REST layer.

use connect_api::ConfigError;

/// A failed management request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControllerError {
    /// The request is malformed or the configuration invalid (HTTP 400).
    #[error("{}", describe(.0))]
    BadConfig(Vec<ConfigError>),
    /// The request is malformed (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// No such connector or task (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The request exceeds a limit the worker sets (HTTP 413); the message names the worker key.
    #[error("{0}")]
    TooLarge(String),
    /// The worker failed to carry it out (HTTP 500).
    #[error("{0}")]
    Internal(String),
}

fn describe(errors: &[ConfigError]) -> String {
    let parts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("invalid configuration: {}", parts.join("; "))
}

impl ControllerError {
    pub fn connector_not_found(name: &str) -> Self {
        Self::NotFound(format!("Connector [{name}] does not exist"))
    }

    /// A mailbox failure: the actor is gone (only during shutdown).
    pub fn mailbox(error: &actix::MailboxError) -> Self {
        Self::Internal(format!("worker unavailable: {error}"))
    }
}
