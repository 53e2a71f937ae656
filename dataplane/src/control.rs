//! [`LoopControl`]: the data loops' side of a task's control channel — run, pause, stop — and
//! the waits that must give way to it, shared by the direct, source and sink loops.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use connect_api::{ConnectRecord, ConnectResult, RecordOffset, RecordPartition, SinkTask};
use tokio::sync::watch;

use crate::failure::Failure;
use crate::metrics::TaskMetrics;
use crate::policy::ErrorPolicy;
use crate::ports::{Control, LoopEvent, LoopEvents};

/// The records of the batch being put that a sink task already reported: a put retried with
/// the same batch reports them again, and each counts (and is logged) once.
#[derive(Debug, Default)]
pub struct ReportedOnce(parking_lot::Mutex<HashSet<(RecordPartition, RecordOffset)>>);

impl ReportedOnce {
    /// A new batch is being put.
    pub fn new_batch(&self) {
        self.0.lock().clear();
    }

    /// Whether `record` is reported for the first time in this batch.
    fn first(&self, record: &ConnectRecord) -> bool {
        self.0.lock().insert((
            record.position.partition.clone(),
            record.position.offset.clone(),
        ))
    }
}

/// A record a sink task reported as failed (`ErrorRecordReporter`): counted and logged as the
/// policy says (once per batch); an error under `errors.tolerance=none` (it fails the put, and
/// the task), else the record is skipped — the caller may still dead-letter it.
pub fn judge_reported(
    policy: &ErrorPolicy,
    metrics: &TaskMetrics,
    once: &ReportedOnce,
    record: &ConnectRecord,
    error: &connect_api::ConnectError,
) -> ConnectResult<()> {
    let first = once.first(record);
    if first {
        metrics.record_failures.inc();
        metrics.record_errors.inc();
        if policy.log_failure("TASK_PUT", record, error) {
            metrics.errors_logged.inc();
        }
    }
    if !policy.tolerate_all {
        return Err(connect_api::ConnectError::other(format!(
            "tolerance exceeded (errors.tolerance=none): the task reported a failed record: {error}"
        )));
    }
    if first {
        metrics.records_skipped.inc();
    }
    Ok(())
}

/// Runs a record operation (convert, transform) on a [`LoopControl`], retrying retriable
/// failures with backoff for up to `errors.retry.timeout`: `Some` with the outcome (the last
/// failure once the time is spent), `None` when the task is stopped meanwhile (the record
/// stays unacknowledged). A macro, so the first attempt runs in the caller and the retrying
/// future is built only after a retriable failure.
macro_rules! record_with_retries {
    ($control:expr, $policy:expr, $operation:expr) => {{
        let mut operation = $operation;
        match $control.attempt_record(&mut operation) {
            Ok(outcome) => Some(outcome),
            Err(failure) => $control.retry_record($policy, failure, operation).await,
        }
    }};
}
pub(crate) use record_with_retries;

/// Reads what the owner wants and reports transitions back.
pub struct LoopControl {
    rx: watch::Receiver<Control>,
    events: Arc<dyn LoopEvents>,
    /// Whether a trouble is being shown in the task's status.
    troubled: bool,
    /// The task's metrics: every retry and failure below is counted here.
    pub metrics: Arc<TaskMetrics>,
}

impl std::fmt::Debug for LoopControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopControl")
            .field("control", &*self.rx.borrow())
            .finish()
    }
}

impl LoopControl {
    pub fn new(
        rx: watch::Receiver<Control>,
        events: Arc<dyn LoopEvents>,
        metrics: Arc<TaskMetrics>,
    ) -> Self {
        Self {
            rx,
            events,
            troubled: false,
            metrics,
        }
    }

    /// A record that failed for good and is skipped (`errors.tolerance=all`): logged as the
    /// policy says, and counted.
    pub fn skipped(
        &self,
        policy: &ErrorPolicy,
        stage: &str,
        record: &ConnectRecord,
        error: &connect_api::ConnectError,
    ) {
        self.metrics.records_skipped.inc();
        if policy.log_failure(stage, record, error) {
            self.metrics.errors_logged.inc();
        }
    }

    /// Shows `trace` in the RUNNING task's status while something is being retried.
    pub fn trouble(&mut self, trace: String) {
        self.troubled = true;
        self.events.send(LoopEvent::Trouble(Some(trace)));
    }

    /// Clears a trouble shown by [`Self::trouble`] once things work again.
    pub fn recovered(&mut self) {
        if std::mem::take(&mut self.troubled) {
            self.events.send(LoopEvent::Trouble(None));
        }
    }

    /// Judges one poll of the loop's input (`what`: "poll", "consume"): its items, or — after
    /// a retriable failure, shown in the status and backed off — `None`, so the loop goes on
    /// (committing what is due, obeying a stop). The first success clears the trouble.
    /// `failures` counts consecutive failures, for the backoff.
    pub async fn polled<T>(
        &mut self,
        what: &str,
        policy: &ErrorPolicy,
        failures: &mut u32,
        outcome: ConnectResult<T>,
    ) -> ConnectResult<Option<T>> {
        match outcome {
            Ok(items) => {
                if std::mem::take(failures) > 0 {
                    self.recovered();
                }
                Ok(Some(items))
            }
            Err(e) if e.is_retriable() => {
                self.metrics.retries.inc();
                *failures += 1;
                let attempt = *failures;
                tracing::warn!(error = %e, attempt, "{what} failed; retrying");
                self.trouble(format!("{what} failed (attempt {attempt}), retrying: {e}"));
                self.backoff(policy.backoff(attempt)).await;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// [`Self::polled`] for a source task's poll that took `took`: its records (none after a
    /// retriable failure), counted as polled.
    pub async fn polled_records(
        &mut self,
        policy: &ErrorPolicy,
        failures: &mut u32,
        outcome: ConnectResult<Vec<ConnectRecord>>,
        took: Duration,
    ) -> ConnectResult<Vec<ConnectRecord>> {
        let records = self
            .polled("poll", policy, failures, outcome)
            .await?
            .unwrap_or_default();
        if !records.is_empty() {
            self.metrics.source_poll.add(records.len() as u64);
            self.metrics.batch_size.observe(records.len() as u64);
            self.metrics.poll_batch.observe_duration(took);
        }
        Ok(records)
    }

    /// Runs `attempt` until it succeeds, retrying retriable failures with backoff (shown in the
    /// status meanwhile); `Ok(None)` when the task is stopped first. For calls to the message
    /// queue that must not be skipped, such as creating topics or starting a consumer.
    pub async fn until_ok<T, F, Fut>(
        &mut self,
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
                    self.metrics.retries.inc();
                    failures += 1;
                    tracing::warn!(error = %e, attempt = failures, "{what} failed; retrying");
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
        self.events.send(LoopEvent::Started);
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
        self.events.send(LoopEvent::Paused);
        loop {
            match self.current() {
                Control::Pause => {
                    if self.rx.changed().await.is_err() {
                        return Control::Stop;
                    }
                }
                Control::Run => {
                    self.events.send(LoopEvent::Resumed);
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

    /// Runs a record operation (convert, transform) once: `Ok` with its outcome, or `Err` with
    /// a retriable failure, for [`LoopControl::retry_record`]. The loops call this for every
    /// record through `record_with_retries!`, so the common case builds no retrying future
    /// (moving one into place per record was a large share of the source loop's copying).
    pub fn attempt_record<T>(
        &mut self,
        operation: &mut impl FnMut() -> Result<T, Failure>,
    ) -> Result<Result<T, Failure>, Failure> {
        match operation() {
            Err(failure) if failure.error.is_retriable() => Err(failure),
            Err(failure) => {
                self.metrics.record_failures.inc();
                self.metrics.record_errors.inc();
                Ok(Err(failure))
            }
            outcome => Ok(outcome),
        }
    }

    /// Retries a record operation whose attempt failed retriably, with backoff, for up to
    /// `errors.retry.timeout`; the last failure once that is spent. `None` when the task is
    /// stopped meanwhile (the record stays unacknowledged).
    pub(crate) async fn retry_record<T>(
        &mut self,
        policy: &ErrorPolicy,
        mut failure: Failure,
        mut operation: impl FnMut() -> Result<T, Failure>,
    ) -> Option<Result<T, Failure>> {
        debug_assert!(
            failure.error.is_retriable(),
            "only a retriable failure is retried"
        );
        let since = std::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            self.metrics.record_failures.inc();
            if !policy.may_retry_after(since.elapsed()) {
                self.metrics.record_errors.inc();
                return Some(Err(failure));
            }
            attempt += 1;
            self.metrics.retries.inc();
            if !self.may_retry(policy.backoff(attempt)).await {
                return None;
            }
            match self.attempt_record(&mut operation) {
                Ok(outcome) => return Some(outcome),
                Err(next) => failure = next,
            }
        }
    }

    /// Offers `batch` to the sink until it takes it: retriable failures are retried with
    /// backoff (the same batch, nothing skipped — dropping it would lose data), a pause holds
    /// it. `false` when the task is stopped meanwhile: the caller leaves the batch's positions
    /// uncommitted, so it is delivered again after a restart.
    pub async fn put_until_accepted(
        &mut self,
        policy: &ErrorPolicy,
        sink: &mut dyn SinkTask,
        batch: &[ConnectRecord],
    ) -> ConnectResult<bool> {
        let mut attempt = 0u32;
        let started = std::time::Instant::now();
        loop {
            match sink.put(batch).await {
                Ok(()) => {
                    self.recovered();
                    self.metrics.put_batch.observe_duration(started.elapsed());
                    self.metrics.sink_send.add(batch.len() as u64);
                    return Ok(true);
                }
                Err(e) if e.is_retriable() => {
                    self.metrics.retries.inc();
                    attempt += 1;
                    tracing::warn!(error = %e, attempt, "put failed; retrying the same batch");
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use connect_api::{Config, ConnectError};
    use parking_lot::Mutex;

    use super::*;
    use crate::failure::Stage;

    /// Collects the events a loop reports.
    #[derive(Debug)]
    struct Events(Arc<Mutex<Vec<LoopEvent>>>);

    impl LoopEvents for Events {
        fn send(&self, event: LoopEvent) {
            self.0.lock().push(event);
        }
    }

    fn control() -> (
        watch::Sender<Control>,
        LoopControl,
        Arc<Mutex<Vec<LoopEvent>>>,
    ) {
        let (tx, rx) = watch::channel(Control::Run);
        let events = Arc::new(Mutex::new(Vec::new()));
        (
            tx,
            LoopControl::new(
                rx,
                Arc::new(Events(events.clone())),
                Arc::new(TaskMetrics::detached()),
            ),
            events,
        )
    }

    fn policy(retry_timeout: &str) -> ErrorPolicy {
        ErrorPolicy::from_config(
            &Config::new()
                .with("errors.retry.timeout", retry_timeout)
                .with("errors.retry.delay.max.ms", "1"),
        )
        .unwrap()
    }

    fn failure(error: ConnectError) -> Failure {
        Failure {
            stage: Stage::Transformation,
            class_name: "t".into(),
            error,
        }
    }

    #[tokio::test]
    async fn record_operations_are_retried_within_errors_retry_timeout() {
        let (tx, mut control, _) = control();
        let mut left = 3;
        let outcome = record_with_retries!(control, &policy("-1"), || {
            if left > 0 {
                left -= 1;
                Err(failure(ConnectError::retriable("busy")))
            } else {
                Ok(7)
            }
        });
        assert_eq!(outcome.unwrap().unwrap(), 7, "-1 retries until it works");

        let mut calls = 0;
        let outcome = record_with_retries!(control, &policy("0"), || -> Result<(), Failure> {
            calls += 1;
            Err(failure(ConnectError::retriable("busy")))
        });
        assert!(outcome.unwrap().is_err());
        assert_eq!(calls, 1, "0 never retries");

        let mut calls = 0;
        let outcome = record_with_retries!(control, &policy("-1"), || -> Result<(), Failure> {
            calls += 1;
            Err(failure(ConnectError::data("bad")))
        });
        assert!(outcome.unwrap().is_err());
        assert_eq!(calls, 1, "a data error is not retried");

        tx.send(Control::Stop).unwrap();
        let outcome = record_with_retries!(control, &policy("-1"), || -> Result<(), Failure> {
            Err(failure(ConnectError::retriable("busy")))
        });
        assert!(
            outcome.is_none(),
            "a stop ends the retries without a verdict"
        );
    }

    #[test]
    fn a_record_reported_again_in_a_retried_batch_counts_once() {
        let metrics = TaskMetrics::detached();
        let once = ReportedOnce::default();
        let record = ConnectRecord::new(
            RecordPartition::new().with("q", "1"),
            RecordOffset::new().with("o", 7),
            None,
        );
        let error = ConnectError::data("refused");
        let all = policy_with("all");
        for _ in 0..3 {
            judge_reported(&all, &metrics, &once, &record, &error).unwrap();
        }
        assert_eq!(
            (metrics.record_errors.get(), metrics.records_skipped.get()),
            (1, 1)
        );
        once.new_batch();
        judge_reported(&all, &metrics, &once, &record, &error).unwrap();
        assert_eq!(metrics.record_errors.get(), 2, "a new batch counts again");
        let none = policy_with("none");
        once.new_batch();
        let failed = judge_reported(&none, &metrics, &once, &record, &error).unwrap_err();
        assert!(
            failed.to_string().contains("tolerance exceeded"),
            "{failed}"
        );
        assert_eq!(
            metrics.records_skipped.get(),
            2,
            "not skipped: it fails the put"
        );
    }

    fn policy_with(tolerance: &str) -> ErrorPolicy {
        ErrorPolicy::from_config(&Config::new().with("errors.tolerance", tolerance)).unwrap()
    }

    #[tokio::test]
    async fn until_ok_shows_the_trouble_and_clears_it() {
        let (_tx, mut control, events) = control();
        let mut left = 2;
        let value = control
            .until_ok("starting", &policy("0"), || {
                let outcome = if left > 0 {
                    left -= 1;
                    Err(ConnectError::retriable("broker away"))
                } else {
                    Ok(5)
                };
                std::future::ready(outcome)
            })
            .await
            .unwrap();
        assert_eq!(value, Some(5));
        let seen: Vec<Option<String>> = events
            .lock()
            .iter()
            .filter_map(|e| match e {
                LoopEvent::Trouble(trace) => Some(trace.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(
            seen[0]
                .as_deref()
                .unwrap()
                .contains("starting failed (attempt 1)")
        );
        assert!(seen[1].as_deref().unwrap().contains("attempt 2"));
        assert_eq!(seen[2], None, "cleared on recovery");

        let fatal = control
            .until_ok("starting", &policy("0"), || {
                std::future::ready(Err::<(), _>(ConnectError::other("no such topic")))
            })
            .await;
        assert!(fatal.is_err(), "a non-retriable error is returned at once");
    }
}
