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
    std::thread::Builder::new()
        .name("jdbc-probe".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| ConnectError::other(format!("cannot start a runtime: {e}")))?;
            runtime.block_on(check())
        })
        .map_err(|e| ConnectError::other(format!("cannot start a thread: {e}")))?
        .join()
        .map_err(|_| ConnectError::other("the database check panicked"))?
}
