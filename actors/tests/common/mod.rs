//! Helpers shared by the actor-level integration tests: awaiting conditions instead of sleeping.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::future::Future;
use std::time::{Duration, Instant};

use connect_actors::ControllerHandle;
use connect_actors::model::State;

/// How long a condition may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// Re-checks `check` every 20 ms until it returns `Ok`, and returns what it found; after 20 s
/// fails with `what` and the last `Err` (what was seen instead).
pub async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        match check().await {
            Ok(found) => return found,
            Err(seen) => assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last seen: {seen}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`until`] for a synchronous condition.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    until(what, || {
        std::future::ready(if check() {
            Ok(())
        } else {
            Err("not yet".to_owned())
        })
    })
    .await;
}

/// Waits until the connector and all its (at least one) tasks are in `state`.
pub async fn wait_state(handle: &ControllerHandle, name: &str, state: State) {
    until(&format!("{name} to be {state:?}"), || async {
        match handle.connector_status(name).await {
            Ok(s)
                if s.connector.state == state
                    && !s.tasks.is_empty()
                    && s.tasks.iter().all(|t| t.state == state) =>
            {
                Ok(())
            }
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}
