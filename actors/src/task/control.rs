//! [`LoopControl`]: the data loops' side of a task's control channel — run, pause, stop — and
//! the waits that must give way to it, shared by the direct, source and sink loops.

use std::time::Duration;

use actix::prelude::*;
use connect_api::{ConnectRecord, ConnectResult, SinkTask};
use tokio::sync::watch;

use super::dead_letter::Failure;
use super::errors::ErrorPolicy;
use super::{Control, LoopEvent};

/// Reads what the actor wants and reports transitions back.
pub struct LoopControl {
    rx: watch::Receiver<Control>,
    events: Recipient<LoopEvent>,
    /// Whether a trouble is being shown in the task's status.
    troubled: bool,
}

impl std::fmt::Debug for LoopControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopControl")
            .field("control", &*self.rx.borrow())
            .finish()
    }
}

impl LoopControl {
    pub fn new(rx: watch::Receiver<Control>, events: Recipient<LoopEvent>) -> Self {
        Self {
            rx,
            events,
            troubled: false,
        }
    }

    /// Shows `trace` in the RUNNING task's status while something is being retried.
    pub fn trouble(&mut self, trace: String) {
        self.troubled = true;
        self.events.do_send(LoopEvent::Trouble(Some(trace)));
    }

    /// Clears a trouble shown by [`Self::trouble`] once things work again.
    pub fn recovered(&mut self) {
        if std::mem::take(&mut self.troubled) {
            self.events.do_send(LoopEvent::Trouble(None));
        }
    }

    /// Runs `attempt` until it succeeds, retrying retriable failures with backoff (shown in the
    /// status meanwhile); `Ok(None)` when the task is stopped first. For calls to the message
    /// queue that must not be skipped, such as creating topics or starting a consumer.
    pub async fn until_ok<T, F, Fut>(
        &mut self,
        name: &str,
        what: &str,
        policy: &ErrorPolicy,
        mut attempt: F,
    ) -> ConnectResult<Option<T>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ConnectResult<T>>,
    {
        let mut failures = 0u32;
        loop {
            match attempt().await {
                Ok(value) => {
                    self.recovered();
                    return Ok(Some(value));
                }
                Err(e) if e.is_retriable() => {
                    failures += 1;
                    tracing::warn!(task = name, error = %e, attempt = failures, "{what} failed; retrying");
                    self.trouble(format!("{what} failed (attempt {failures}), retrying: {e}"));
                    if !self.may_retry(policy.backoff(failures)).await {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reports that the loop's tasks started.
    pub fn started(&self) {
        self.events.do_send(LoopEvent::Started);
    }

    /// What to do now; `Stop` once the actor is gone (nobody will ever say run again).
    pub fn current(&mut self) -> Control {
        if self.rx.has_changed().is_err() {
            return Control::Stop;
        }
        *self.rx.borrow_and_update()
    }

    /// Sits out a pause (reported as PAUSED, then RUNNING on resume); returns the control that
    /// ended it, `Run` or `Stop`. Call after committing what was delivered.
    pub async fn sit_out_pause(&mut self) -> Control {
        self.events.do_send(LoopEvent::Paused);
        loop {
            match self.current() {
                Control::Pause => {
                    if self.rx.changed().await.is_err() {
                        return Control::Stop;
                    }
                }
                Control::Run => {
                    self.events.do_send(LoopEvent::Resumed);
                    return Control::Run;
                }
                Control::Stop => return Control::Stop,
            }
        }
    }

    /// Waits `delay`, cut short by any control change.
    pub async fn backoff(&mut self, delay: Duration) {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = self.rx.changed() => {}
        }
    }

    /// After a failed attempt: backs off, holds through a pause; false when told to stop.
    pub async fn may_retry(&mut self, delay: Duration) -> bool {
        self.backoff(delay).await;
        match self.current() {
            Control::Run => true,
            Control::Stop => false,
            Control::Pause => self.sit_out_pause().await == Control::Run,
        }
    }

    /// Runs a record operation (convert, transform), retrying retriable failures with backoff
    /// for up to `errors.retry.timeout`; the last failure once that is spent. `None` when the
    /// task is stopped meanwhile (the record stays unacknowledged).
    pub async fn retry_record<T>(
        &mut self,
        policy: &ErrorPolicy,
        mut operation: impl FnMut() -> Result<T, Failure>,
    ) -> Option<Result<T, Failure>> {
        let mut first_failure = None;
        let mut attempt = 0u32;
        loop {
            match operation() {
                Err(failure) if failure.error.is_retriable() => {
                    let since = *first_failure.get_or_insert_with(std::time::Instant::now);
                    if !policy.may_retry_after(since.elapsed()) {
                        return Some(Err(failure));
                    }
                    attempt += 1;
                    if !self.may_retry(policy.backoff(attempt)).await {
                        return None;
                    }
                }
                outcome => return Some(outcome),
            }
        }
    }

    /// Offers `batch` to the sink until it takes it: retriable failures are retried with
    /// backoff (the same batch, nothing skipped — dropping it would lose data), a pause holds
    /// it. `false` when the task is stopped meanwhile: the caller leaves the batch's positions
    /// uncommitted, so it is delivered again after a restart.
    pub async fn put_until_accepted(
        &mut self,
        name: &str,
        policy: &ErrorPolicy,
        sink: &mut dyn SinkTask,
        batch: &[ConnectRecord],
    ) -> ConnectResult<bool> {
        let mut attempt = 0u32;
        loop {
            match sink.put(batch).await {
                Ok(()) => {
                    self.recovered();
                    return Ok(true);
                }
                Err(e) if e.is_retriable() => {
                    attempt += 1;
                    tracing::warn!(task = name, error = %e, attempt, "put failed; retrying the same batch");
                    self.trouble(format!(
                        "put failed (attempt {attempt}), retrying the same batch: {e}"
                    ));
                    if !self.may_retry(policy.backoff(attempt)).await {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}
