//! The direct data loop (`connector.direct.enable=true`): source task → transforms → sink
//! task in one loop, no message queue. Runs on the task's isolate, never on an actor.
//!
//! Delivery: a batch's positions become committable once `put` accepted it; they are
//! committed (persisted by the offset committer) only after the sink's `pre_commit` returned
//! them — so a crash loses nothing and replays at most one commit interval.
//!
//! Task configurations: each task sees the configuration with its side's keys overriding
//! ([`crate::plan::side_config`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, ErrorRecordReporter, OffsetMap,
    RecordOffset, RecordPartition, SinkTask, SinkTaskContext, SinkTaskControl, SourceTask,
    SourceTaskContext, TaskInfo,
};
use connect_transforms::TransformChain;

use crate::commit;
use crate::control::{LoopControl, ReportedOnce, judge_reported, record_with_retries};
use crate::failure::{Failure, Stage};
use crate::ids::TaskId;
use crate::metrics::TaskMetrics;
use crate::plan::DirectPlan;
use crate::policy::ErrorPolicy;
use crate::ports::{Control, PositionStore};
use crate::settings::DataPlaneSettings;

/// Everything the loop needs, moved onto the task's thread.
pub struct DirectLoop {
    pub id: TaskId,
    pub direct: DirectPlan,
    pub settings: Arc<DataPlaneSettings>,
    pub control: LoopControl,
    pub positions: Arc<dyn PositionStore>,
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

/// Records a sink task reports as failed: logged, and — as through RocketMQ — failing the
/// put under `errors.tolerance=none`, skipped under `all` (direct mode has no dead letters).
#[derive(Debug)]
struct LoggingReporter {
    policy: ErrorPolicy,
    metrics: Arc<TaskMetrics>,
    once: ReportedOnce,
}

#[async_trait::async_trait]
impl ErrorRecordReporter for LoggingReporter {
    async fn report(&self, record: &ConnectRecord, error: &ConnectError) -> ConnectResult<()> {
        judge_reported(&self.policy, &self.metrics, &self.once, record, error)
    }
}

impl DirectLoop {
    /// Runs until told to stop; an `Err` fails the task.
    pub async fn run(
        mut self,
        policy: ErrorPolicy,
        mut chain: TransformChain,
    ) -> ConnectResult<()> {
        let mut source = (self.direct.source)();
        let mut sink = (self.direct.sink)();
        let control = Arc::new(DirectControl::default());
        let info = |config: Config| TaskInfo {
            connector_name: self.id.connector.clone(),
            task_id: self.id.task,
            configs: config,
        };

        let sink_config = self.direct.sink_config.clone();
        // As through RocketMQ: a reporter when errors.log.enable is set (there are no dead
        // letters in direct mode).
        let reporter = policy.log.then(|| {
            Arc::new(LoggingReporter {
                policy: policy.clone(),
                metrics: self.control.metrics.clone(),
                once: ReportedOnce::default(),
            })
        });
        let sink_context = SinkTaskContext {
            info: info(sink_config.clone()),
            control: control.clone(),
            reporter: reporter.clone().map(|r| r as Arc<dyn ErrorRecordReporter>),
        };
        sink.start(sink_config, sink_context).await?;
        let source_config = self.direct.source_config.clone();
        let source_context = SourceTaskContext {
            info: info(source_config.clone()),
            offsets: self.positions.reader(),
            topics: None,
            gauges: Some(self.control.metrics.clone()),
        };
        source.start(source_config, source_context).await?;
        self.control.started();

        let mut state = LoopState {
            reporter,
            pending: HashMap::new(),
            next_commit: Instant::now() + self.settings.offset_commit_interval,
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

            let started = Instant::now();
            let polled = source.poll().await;
            let records = self
                .control
                .polled_records(policy, &mut poll_failures, polled, started.elapsed())
                .await?;
            if !records.is_empty() {
                let metrics = self.control.metrics.clone();
                metrics.sink_read.add(records.len() as u64);
                let mut batch = Vec::with_capacity(records.len());
                for record in &records {
                    // Retriable transform failures are retried for errors.retry.timeout (as
                    // in source and sink tasks) before the tolerance decides.
                    let transformed = record_with_retries!(self.control, policy, || {
                        chain.apply(record.clone()).map_err(|error| Failure {
                            stage: Stage::Transformation,
                            class_name: String::new(),
                            error,
                        })
                    });
                    match transformed {
                        // Stopped while retrying: nothing of this batch is pending yet.
                        None => return Ok(()),
                        Some(Ok(Some(out))) => batch.push(out),
                        Some(Ok(None)) => {}
                        Some(Err(failure)) if policy.tolerate_all => {
                            self.control
                                .skipped(policy, "TRANSFORMATION", record, &failure.error);
                        }
                        Some(Err(failure)) => {
                            return Err(ConnectError::other(format!(
                                "tolerance exceeded (errors.tolerance=none): {}",
                                failure.error
                            )));
                        }
                    }
                }
                if let Some(reporter) = &state.reporter {
                    reporter.once.new_batch();
                }
                if !self
                    .control
                    .put_until_accepted(policy, sink, &batch)
                    .await?
                {
                    // The batch's positions were never made pending: a restart replays it.
                    return Ok(());
                }
                metrics.source_write.add(batch.len() as u64);
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
                    source.commit_record(record, None)?;
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
        state.next_commit = Instant::now() + self.settings.offset_commit_interval;
        if state.pending.is_empty() {
            return Ok(());
        }
        let offsets: OffsetMap = state.pending.clone();
        let timeout = self.settings.offset_commit_timeout;
        let metrics = &self.control.metrics;
        let started = Instant::now();
        let Some(confirmed) = commit::flush(sink, offsets, timeout).await? else {
            metrics.commit_skip.inc();
            metrics.commit_failure.inc();
            return Ok(());
        };
        let positions: Vec<(RecordPartition, RecordOffset)> = confirmed.into_iter().collect();
        let committed = positions.clone();
        let persisted = commit::persist(&*self.positions, positions, timeout).await?;
        metrics.commit_time.observe_duration(started.elapsed());
        if !persisted {
            metrics.commit_failure.inc();
            return Ok(());
        }
        metrics.commit_success.inc();
        metrics.commit_completion.inc();
        // Forget a pending position only if it is the one committed (a sink may confirm less
        // than everything).
        for (partition, offset) in committed {
            if state.pending.get(&partition) == Some(&offset) {
                state.pending.remove(&partition);
            }
        }
        source.commit().await
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
    reporter: Option<Arc<LoggingReporter>>,
    pending: HashMap<RecordPartition, RecordOffset>,
    next_commit: Instant,
}
