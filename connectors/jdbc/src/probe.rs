//! Database checks made from synchronous code (a connector's `validate`): the check runs on a
//! thread of its own with a small runtime, so it works whatever runtime the caller is on.

use std::future::Future;

use connect_api::{ConnectError, ConnectResult};

/// Runs `check` to completion on a fresh thread and runtime.
pub fn run<T, F>(check: impl FnOnce() -> F + Send + 'static) -> ConnectResult<T>
where
    F: Future<Output = ConnectResult<T>>,
    T: Send + 'static,
{
    connect_api::connector::run_check("jdbc-probe", check)
}

/// Opens a one-connection dialect for a check and pings it: the dialect, or the
/// `connection.url` error saying why the database cannot be reached.
pub async fn connect(
    common: &crate::config::CommonConfig,
) -> ConnectResult<Result<std::sync::Arc<dyn crate::dialect::Dialect>, connect_api::ConfigError>> {
    let options = crate::dialect::DialectOptions {
        connect_timeout: std::time::Duration::from_secs(5),
        max_connections: 1,
        ..common.dialect_options()
    };
    let dialect = crate::dialect::open(&common.url, common.dialect, options)?;
    match dialect.ping().await {
        Ok(()) => Ok(Ok(dialect)),
        Err(error) => {
            dialect.close().await;
            Ok(Err(connect_api::ConfigError::invalid(
                "connection.url",
                &common.url.redacted(),
                format!("cannot connect: {error}"),
            )))
        }
    }
}

/// The verdict of a `validate`: one error per key.
pub fn verdict(errors: Vec<connect_api::ConfigError>) -> ConnectResult<()> {
    ConnectError::verdict(errors)
}
