//! The direct data loop (`connector.direct.enable=true`): source task → transforms → sink
//! task in one loop, no message queue. Runs on the task's isolate, never on an actor.
//!
//! Delivery: a batch's positions become committable once `put` accepted it; they are
//! committed (persisted by the offset committer) only after the sink's `pre_commit` returned
//! them — so a crash loses nothing and replays at most one commit interval.
//!
//! Task configurations: the source task sees the task configuration with `source.*` keys
//! overriding (so `source.filename` sets its `filename`), the sink task likewise with
//! `sink.*` — the two tasks of one direct connector usually need different values for the
//! same key.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::control::LoopControl;
use actix::prelude::*;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, ErrorRecordReporter, OffsetMap,
    RecordOffset, RecordPartition, SinkTask, SinkTaskContext, SinkTaskControl, SourceTask,
    SourceTaskContext, TaskFactory, TaskInfo,
};
use connect_transforms::TransformChain;

use super::Control;
use super::dead_letter::{Failure, Stage};
use super::errors::ErrorPolicy;
use crate::catalog::Catalog;
use crate::model::TaskId;
use crate::offset_committer::{CommitPositions, OffsetCommitter, PositionReader, PositionTable};

/// Everything the loop needs, moved onto the isolate.
pub struct DirectLoop {
    pub id: TaskId,
    pub config: Config,
    pub catalog: Arc<Catalog>,
    pub commit_interval: Duration,
    /// Longest a commit (sink flush + persisting positions) may take before it is retried at
    /// the next interval.
    pub commit_timeout: Duration,
    pub control: LoopControl,
    pub committer: Addr<OffsetCommitter>,
    /// The claim commits are made under (distributed mode).
    pub epoch: crate::model::Epoch,
    pub positions: PositionTable,
}

/// The configuration a direct task of `side` (`source` or `sink`) sees.
pub fn side_config(config: &Config, side: &str) -> Config {
    let mut out = config.clone();
    out.extend(&config.with_prefix_stripped(&format!("{side}.")));
    out
}

fn source_task(catalog: &Catalog, class: &str) -> ConnectResult<Box<dyn SourceTask>> {
    match catalog.task(class).map(|p| p.factory) {
        Some(TaskFactory::Source(make)) => Ok(make()),
        Some(TaskFactory::Sink(_)) => Err(ConnectError::other(format!(
            "source.task.class {class} is a sink task"
        ))),
        None => Err(ConnectError::other(format!(
            "unknown source.task.class {class}"
        ))),
    }
}

fn sink_task(catalog: &Catalog, class: &str) -> ConnectResult<Box<dyn SinkTask>> {
    match catalog.task(class).map(|p| p.factory) {
        Some(TaskFactory::Sink(make)) => Ok(make()),
        Some(TaskFactory::Source(_)) => Err(ConnectError::other(format!(
            "sink.task.class {class} is a source task"
        ))),
        None => Err(ConnectError::other(format!(
            "unknown sink.task.class {class}"
        ))),
    }
}

/// In direct mode there is no consumer to steer: resets and pauses are accepted and ignored
/// (as in the Java runtime) and the assignment is what the source produced so far.
#[derive(Debug, Default)]
struct DirectControl {
    seen: parking_lot::Mutex<HashSet<RecordPartition>>,
}

impl SinkTaskControl for DirectControl {
    fn reset_offset(&self, partition: &RecordPartition, _offset: &RecordOffset) {
        tracing::debug!(?partition, "resetOffset has no effect in direct mode");
    }
    fn pause(&self, _partitions: &[RecordPartition]) {}
    fn resume(&self, _partitions: &[RecordPartition]) {}
    fn assignment(&self) -> HashSet<RecordPartition> {
        self.seen.lock().clone()
    }
}

/// Logs records a sink task reports as failed.
#[derive(Debug)]
struct LoggingReporter {
    policy: ErrorPolicy,
}

#[async_trait::async_trait]
impl ErrorRecordReporter for LoggingReporter {
    async fn report(&self, record: &ConnectRecord, error: &ConnectError) -> ConnectResult<()> {
        self.policy.log_failure("TASK_PUT", record, error);
        Ok(())
    }
}

impl DirectLoop {
    /// Runs until told to stop; an `Err` fails the task.
    pub async fn run(mut self) -> ConnectResult<()> {
        let policy = ErrorPolicy::from_config(&self.config).map_err(ConnectError::Config)?;
        let source_class = self.config.require("source.task.class")?.to_owned();
        let sink_class = self.config.require("sink.task.class")?.to_owned();
        let mut source = source_task(&self.catalog, &source_class)?;
        let mut sink = sink_task(&self.catalog, &sink_class)?;
        let mut chain = TransformChain::from_config(&self.config)?;
        let control = Arc::new(DirectControl::default());
        let info = |config: Config| TaskInfo {
            connector_name: self.id.connector.clone(),
            task_id: self.id.task,
            configs: config,
        };

        let sink_config = side_config(&self.config, "sink");
        let sink_context = SinkTaskContext {
            info: info(sink_config.clone()),
            control: control.clone(),
            reporter: policy.log.then(|| {
                Arc::new(LoggingReporter {
                    policy: policy.clone(),
                }) as Arc<dyn ErrorRecordReporter>
            }),
        };
        sink.start(sink_config, sink_context).await?;
        let source_config = side_config(&self.config, "source");
        let source_context = SourceTaskContext {
            info: info(source_config.clone()),
            offsets: Arc::new(PositionReader {
                connector: self.id.connector.clone(),
                table: self.positions.clone(),
            }),
            topics: None,
        };
        source.start(source_config, source_context).await?;
        self.control.started();

        let mut state = LoopState {
            pending: HashMap::new(),
            next_commit: Instant::now() + self.commit_interval,
        };
        let outcome = self
            .pump(
                &policy,
                &mut *source,
                &mut *sink,
                &mut chain,
                &control,
                &mut state,
            )
            .await;
        // Whatever happened, commit what was delivered before stopping the tasks.
        let committed = self.commit(&mut *source, &mut *sink, &mut state).await;
        chain.stop();
        let source_stopped = source.stop().await;
        let sink_stopped = sink.stop().await;
        outcome.and(committed).and(source_stopped).and(sink_stopped)
    }

    #[allow(clippy::too_many_arguments)]
    async fn pump(
        &mut self,
        policy: &ErrorPolicy,
        source: &mut dyn SourceTask,
        sink: &mut dyn SinkTask,
        chain: &mut TransformChain,
        control: &DirectControl,
        state: &mut LoopState,
    ) -> ConnectResult<()> {
        let mut poll_failures = 0u32;
        loop {
            match self.control.current() {
                Control::Stop => return Ok(()),
                Control::Pause => {
                    self.commit(source, sink, state).await?;
                    if self.control.sit_out_pause().await == Control::Stop {
                        return Ok(());
                    }
                    continue;
                }
                Control::Run => {}
            }

            let records = match source.poll().await {
                Ok(records) => {
                    if poll_failures > 0 {
                        poll_failures = 0;
                        self.control.recovered();
                    }
                    records
                }
                Err(e) if e.is_retriable() => {
                    poll_failures += 1;
                    tracing::warn!(error = %e, attempt = poll_failures, "poll failed; retrying");
                    // The status shows the trouble while the task retries (as source tasks).
                    self.control.trouble(format!(
                        "poll failed (attempt {poll_failures}), retrying: {e}"
                    ));
                    self.control.backoff(policy.backoff(poll_failures)).await;
                    continue;
                }
                Err(e) => return Err(e),
            };

            if !records.is_empty() {
                let mut batch = Vec::with_capacity(records.len());
                for record in &records {
                    // Retriable transform failures are retried for errors.retry.timeout (as
                    // in source and sink tasks) before the tolerance decides.
                    let transformed = self
                        .control
                        .retry_record(policy, || {
                            chain.apply(record.clone()).map_err(|error| Failure {
                                stage: Stage::Transformation,
                                class_name: String::new(),
                                error,
                            })
                        })
                        .await;
                    match transformed {
                        // Stopped while retrying: nothing of this batch is pending yet.
                        None => return Ok(()),
                        Some(Ok(Some(out))) => batch.push(out),
                        Some(Ok(None)) => {}
                        Some(Err(failure)) if policy.tolerate_all => {
                            policy.log_failure("TRANSFORMATION", record, &failure.error);
                        }
                        Some(Err(failure)) => {
                            return Err(ConnectError::other(format!(
                                "tolerance exceeded (errors.tolerance=none): {}",
                                failure.error
                            )));
                        }
                    }
                }
                if !self
                    .control
                    .put_until_accepted(policy, sink, &batch)
                    .await?
                {
                    // The batch's positions were never made pending: a restart replays it.
                    return Ok(());
                }
                {
                    let mut seen = control.seen.lock();
                    for record in &records {
                        if !seen.contains(&record.position.partition) {
                            seen.insert(record.position.partition.clone());
                        }
                    }
                }
                for record in &records {
                    state.pending.insert(
                        record.position.partition.clone(),
                        record.position.offset.clone(),
                    );
                    source.commit_record(record, None).await?;
                }
            }
            if Instant::now() >= state.next_commit {
                self.commit(source, sink, state).await?;
            }
        }
    }

    /// Flushes the sink and persists the positions it confirms.
    async fn commit(
        &self,
        source: &mut dyn SourceTask,
        sink: &mut dyn SinkTask,
        state: &mut LoopState,
    ) -> ConnectResult<()> {
        state.next_commit = Instant::now() + self.commit_interval;
        if state.pending.is_empty() {
            return Ok(());
        }
        let offsets: OffsetMap = state.pending.clone();
        let confirmed = match tokio::time::timeout(self.commit_timeout, sink.pre_commit(offsets))
            .await
        {
            Ok(Ok(confirmed)) => confirmed,
            Ok(Err(e)) if e.is_retriable() => {
                tracing::warn!(error = %e, "flush failed; positions stay uncommitted until the next commit");
                return Ok(());
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                tracing::warn!(
                    timeout_ms = self.commit_timeout.as_millis() as u64,
                    "flush timed out; positions stay uncommitted until the next commit"
                );
                return Ok(());
            }
        };
        let positions: Vec<(RecordPartition, RecordOffset)> = confirmed.into_iter().collect();
        let committed = positions.clone();
        let request = self.committer.send(CommitPositions {
            connector: self.id.connector.clone(),
            task: self.id.task,
            epoch: self.epoch,
            positions,
        });
        let Ok(outcome) = tokio::time::timeout(self.commit_timeout, request).await else {
            tracing::warn!("persisting positions timed out; retrying at the next commit");
            return Ok(());
        };
        match outcome {
            Ok(Ok(())) => {
                // Forget a pending position only if it is the one committed (a sink may confirm
                // less than everything).
                for (partition, offset) in committed {
                    if state.pending.get(&partition) == Some(&offset) {
                        state.pending.remove(&partition);
                    }
                }
                source.commit().await
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "positions not persisted; retrying at the next commit");
                Ok(())
            }
            Err(e) => Err(ConnectError::other(format!(
                "offset committer unavailable: {e}"
            ))),
        }
    }
}

impl std::fmt::Debug for DirectLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectLoop")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

struct LoopState {
    pending: HashMap<RecordPartition, RecordOffset>,
    next_commit: Instant,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_keys_override_for_their_task_only() {
        let config = Config::new()
            .with("filename", "/shared")
            .with("source.filename", "/in")
            .with("sink.filename", "/out");
        assert_eq!(side_config(&config, "source").get("filename"), Some("/in"));
        assert_eq!(side_config(&config, "sink").get("filename"), Some("/out"));
    }
}
