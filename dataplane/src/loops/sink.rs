//! The sink data loop through the message queue: consumer → message to record
//! ([`crate::mapping`]) → transforms → `put` → `pre_commit` → consumer offsets committed.
//! A retriable `put` failure retries the same batch with
//! backoff while nothing new is consumed; offsets are committed only for what `pre_commit`
//! returned. `SinkTaskContext` reset/pause/resume reach the consumer between batches.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, ErrorRecordReporter, OffsetMap,
    RecordOffset, RecordPartition, SinkTask, SinkTaskContext, SinkTaskControl, TaskInfo,
};
use parking_lot::Mutex;

use crate::commit;
use crate::control::{LoopControl, ReportedOnce, judge_reported, record_with_retries};
use crate::dead_letter::DeadLetterQueue;
use crate::failure::{Failure, Stage};
use crate::ids::TaskId;
use crate::mapping::{
    origin_of_message, origin_of_record, partition_of, queue_of, resend_of, text_letter, to_record,
};
use crate::metrics::TaskMetrics;
use crate::mq::{IncomingMessage, MqClient, MqConsumer, QueueRef};
use crate::pipeline::Pipeline;
use crate::plan::SinkPlan;
use crate::policy::ErrorPolicy;
use crate::ports::Control;
use crate::settings::DataPlaneSettings;

/// How long one poll waits for messages.
const POLL_TIMEOUT: Duration = Duration::from_millis(200);

/// Everything the loop needs, moved onto the isolate.
pub struct SinkLoop {
    pub id: TaskId,
    /// What the task sees.
    pub config: Config,
    pub sink: SinkPlan,
    pub settings: Arc<DataPlaneSettings>,
    pub control: LoopControl,
    pub client: Arc<dyn MqClient>,
}

impl std::fmt::Debug for SinkLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkLoop")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Consumer requests a sink task made through its context, applied between batches.
#[derive(Debug, Default)]
struct Requests {
    seeks: Vec<(QueueRef, i64)>,
    pauses: Vec<QueueRef>,
    resumes: Vec<QueueRef>,
    assignment: HashSet<RecordPartition>,
}

#[derive(Debug, Default)]
struct QueueControl {
    requests: Mutex<Requests>,
}

impl SinkTaskControl for QueueControl {
    fn reset_offset(&self, partition: &RecordPartition, offset: &RecordOffset) {
        match (queue_of(partition), offset.get_i64("queueOffset")) {
            (Some(queue), Some(offset)) => self.requests.lock().seeks.push((queue, offset)),
            _ => tracing::warn!(
                ?partition,
                ?offset,
                "resetOffset needs {{topic, brokerName, queueId}} and {{queueOffset}}"
            ),
        }
    }
    fn pause(&self, partitions: &[RecordPartition]) {
        self.requests
            .lock()
            .pauses
            .extend(partitions.iter().filter_map(queue_of));
    }
    fn resume(&self, partitions: &[RecordPartition]) {
        self.requests
            .lock()
            .resumes
            .extend(partitions.iter().filter_map(queue_of));
    }
    fn assignment(&self) -> HashSet<RecordPartition> {
        self.requests.lock().assignment.clone()
    }
}

/// The `ErrorRecordReporter` handed to sink tasks (when `errors.log.enable` or a dead-letter
/// topic is set, as the Java runtime): logs the record, fails the task under
/// `errors.tolerance=none`, else sends the original message to the dead-letter topic.
#[derive(Debug)]
struct SinkErrorReporter {
    task_class: String,
    policy: ErrorPolicy,
    dead_letters: Option<Arc<DeadLetterQueue>>,
    metrics: Arc<TaskMetrics>,
    once: ReportedOnce,
    /// The batch being put, to find a reported record's original message.
    batch: Mutex<Arc<[IncomingMessage]>>,
}

impl SinkErrorReporter {
    fn original(&self, record: &ConnectRecord) -> Option<IncomingMessage> {
        let queue = queue_of(&record.position.partition)?;
        let offset = record.position.offset.get_i64("queueOffset")?;
        let batch = self.batch.lock().clone();
        batch
            .iter()
            .find(|m| m.queue == queue && m.queue_offset == offset)
            .cloned()
    }
}

#[async_trait::async_trait]
impl ErrorRecordReporter for SinkErrorReporter {
    async fn report(&self, record: &ConnectRecord, error: &ConnectError) -> ConnectResult<()> {
        judge_reported(&self.policy, &self.metrics, &self.once, record, error)?;
        let Some(dead_letters) = &self.dead_letters else {
            return Ok(());
        };
        let (message, origin) = match self.original(record) {
            Some(original) => (
                resend_of(&original),
                origin_of_message(&original.queue, original.queue_offset),
            ),
            // A record the task made itself: its value as text.
            None => (
                text_letter(record),
                origin_of_record(record.topic().unwrap_or_default(), record),
            ),
        };
        let failure = Failure {
            stage: Stage::TaskPut,
            class_name: self.task_class.clone(),
            error: error.clone(),
        };
        let letter = dead_letters.letter(message, &origin, &failure);
        // A few quick retries; after that the put fails retriably and the batch comes again.
        let mut attempt = 0u32;
        self.metrics.dlq_requests.inc();
        loop {
            let sent = dead_letters.send(letter.clone()).await;
            if sent.is_err() {
                self.metrics.dlq_failures.inc();
            }
            match sent {
                Err(e) if e.is_retriable() && attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                }
                outcome => return outcome,
            }
        }
    }
}

/// Sets each queue's lag from the batch's last message of it: the broker stamps pulled
/// messages with their queue's end (`MAX_OFFSET`).
fn record_lag(metrics: &TaskMetrics, messages: &[IncomingMessage]) {
    let mut last: HashMap<&QueueRef, &IncomingMessage> = HashMap::new();
    for message in messages {
        last.insert(&message.queue, message);
    }
    for (queue, message) in last {
        if let Some(end) = message
            .properties
            .get("MAX_OFFSET")
            .and_then(|v| v.parse::<i64>().ok())
        {
            let behind = (end - message.queue_offset - 1).max(0);
            metrics.set_lag(&queue.topic, queue.queue_id, behind);
        }
    }
}

/// Where failed records go.
struct Handling<'a> {
    dead_letters: Option<&'a DeadLetterQueue>,
    reporter: Option<&'a SinkErrorReporter>,
}

struct State {
    /// Next offset to consume per queue, for everything `put` accepted.
    consumed: HashMap<QueueRef, i64>,
    committed: HashMap<QueueRef, i64>,
    next_commit: Instant,
}

impl SinkLoop {
    /// Runs until told to stop; an `Err` fails the task.
    pub async fn run(mut self, policy: ErrorPolicy, mut pipeline: Pipeline) -> ConnectResult<()> {
        let mut task: Box<dyn SinkTask> = (self.sink.factory)();
        let class = self.sink.class.clone();
        let (topics, group, from) = (
            self.sink.topics.clone(),
            self.sink.group.clone(),
            self.sink.from,
        );
        let client = self.client.clone();
        if self.settings.auto_create_topics {
            // A consumer sees a topic created after it started only at its next route
            // refresh (tens of seconds): create missing topics first.
            for topic in &topics {
                let created = self
                    .control
                    .until_ok("creating the topic", &policy, || {
                        client.ensure_topic(topic, crate::mq::DEFAULT_QUEUES)
                    })
                    .await?;
                if created.is_none() {
                    return Ok(());
                }
            }
        }
        let Some(dead_letters) = DeadLetterQueue::open_configured(
            &mut self.control,
            &policy,
            &*client,
            &self.settings,
            self.sink.dead_letters.clone(),
            &self.id,
        )
        .await?
        else {
            return Ok(());
        };
        let dead_letters = dead_letters.map(Arc::new);
        let Some(mut consumer) = self
            .control
            .until_ok("starting the consumer", &policy, || {
                client.consumer(&group, &topics, from)
            })
            .await?
        else {
            return Ok(());
        };

        let control = Arc::new(QueueControl::default());
        let reporter = (policy.log || dead_letters.is_some()).then(|| {
            Arc::new(SinkErrorReporter {
                task_class: class.clone(),
                policy: policy.clone(),
                dead_letters: dead_letters.clone(),
                metrics: self.control.metrics.clone(),
                once: ReportedOnce::default(),
                batch: Mutex::new(Arc::from(Vec::new())),
            })
        });
        let context = SinkTaskContext {
            info: TaskInfo {
                connector_name: self.id.connector.clone(),
                task_id: self.id.task,
                configs: self.config.clone(),
            },
            control: control.clone(),
            reporter: reporter.clone().map(|r| r as Arc<dyn ErrorRecordReporter>),
        };
        task.start(self.config.clone(), context).await?;
        self.control.started();

        let mut state = State {
            consumed: HashMap::new(),
            committed: HashMap::new(),
            next_commit: Instant::now() + self.settings.offset_commit_interval,
        };
        let outcome = self
            .pump(
                &policy,
                &mut *task,
                &mut pipeline,
                &mut *consumer,
                &control,
                &mut state,
                &Handling {
                    dead_letters: dead_letters.as_deref(),
                    reporter: reporter.as_deref(),
                },
            )
            .await;
        let committed = self.commit(&mut *task, &mut *consumer, &mut state).await;
        pipeline.transforms.stop();
        let stopped = task.stop().await;
        consumer.close().await;
        outcome.and(committed).and(stopped)
    }

    #[allow(clippy::too_many_arguments)]
    async fn pump(
        &mut self,
        policy: &ErrorPolicy,
        task: &mut dyn SinkTask,
        pipeline: &mut Pipeline,
        consumer: &mut dyn MqConsumer,
        control: &QueueControl,
        state: &mut State,
        handling: &Handling<'_>,
    ) -> ConnectResult<()> {
        let mut poll_failures = 0u32;
        // A batch polled during the previous put, not yet processed.
        let mut read_ahead: Option<ConnectResult<Vec<IncomingMessage>>> = None;
        loop {
            match self.control.current() {
                Control::Stop => return Ok(()),
                Control::Pause => {
                    self.commit(task, consumer, state).await?;
                    if self.control.sit_out_pause().await == Control::Stop {
                        return Ok(());
                    }
                    continue;
                }
                Control::Run => {}
            }
            Self::apply_requests(consumer, control, &mut read_ahead).await?;
            let polled = match read_ahead.take() {
                Some(polled) => polled,
                None => consumer.poll(POLL_TIMEOUT).await,
            };
            let messages = self
                .control
                .polled("consume", policy, &mut poll_failures, polled)
                .await?
                .unwrap_or_default();
            if !messages.is_empty() {
                let metrics = &self.control.metrics;
                metrics.sink_read.add(messages.len() as u64);
                metrics.batch_size.observe(messages.len() as u64);
                record_lag(metrics, &messages);
                let messages: Arc<[IncomingMessage]> = Arc::from(messages);
                let mut next: HashMap<QueueRef, i64> = HashMap::new();
                let mut records = Vec::with_capacity(messages.len());
                for message in messages.iter() {
                    match next.get_mut(&message.queue) {
                        Some(offset) => *offset = message.queue_offset + 1,
                        None => {
                            next.insert(message.queue.clone(), message.queue_offset + 1);
                        }
                    }
                    let converted = record_with_retries!(self.control, policy, || {
                        let record = to_record(pipeline, message)?;
                        pipeline.transforms.apply(record).map_err(|error| Failure {
                            stage: Stage::Transformation,
                            class_name: pipeline.transforms_class(),
                            error,
                        })
                    });
                    match converted {
                        None => return Ok(()),
                        Some(Ok(Some(record))) => records.push(record),
                        Some(Ok(None)) => {}
                        Some(Err(failure)) if policy.tolerate_all => {
                            if !self.tolerate(policy, handling, message, &failure).await {
                                return Ok(());
                            }
                        }
                        Some(Err(failure)) => {
                            return Err(ConnectError::other(format!(
                                "tolerance exceeded (errors.tolerance=none) in {}: {}",
                                failure.stage.as_str(),
                                failure.error
                            )));
                        }
                    }
                }
                if let Some(reporter) = handling.reporter {
                    *reporter.batch.lock() = messages.clone();
                    reporter.once.new_batch();
                }
                // The next batch is fetched while the task writes this one.
                let (accepted, polled) = tokio::join!(
                    self.control.put_until_accepted(policy, task, &records),
                    consumer.poll(POLL_TIMEOUT)
                );
                read_ahead = Some(polled);
                if !accepted? {
                    // Neither this batch nor the read-ahead is committed: both come again.
                    return Ok(());
                }
                state.consumed.extend(next);
            }
            if Instant::now() >= state.next_commit {
                // The assignment changes only on rebalances: refreshed per commit, not per batch.
                let assignment = consumer.assignment().await;
                self.control.metrics.retain_lag(|topic, queue| {
                    assignment
                        .iter()
                        .any(|q| q.topic == topic && q.queue_id == queue)
                });
                control.requests.lock().assignment = assignment.iter().map(partition_of).collect();
                self.commit(task, consumer, state).await?;
            }
        }
    }

    /// A record that failed under `errors.tolerance=all`: logged, and sent to the dead-letter
    /// topic if there is one (retried until it is stored). `false` when stopped meanwhile.
    async fn tolerate(
        &mut self,
        policy: &ErrorPolicy,
        handling: &Handling<'_>,
        message: &IncomingMessage,
        failure: &Failure,
    ) -> bool {
        let placeholder = ConnectRecord::new(
            partition_of(&message.queue),
            RecordOffset::new().with("queueOffset", message.queue_offset.to_string()),
            None,
        );
        self.control
            .skipped(policy, failure.stage.as_str(), &placeholder, &failure.error);
        match handling.dead_letters {
            Some(dead_letters) => {
                dead_letters
                    .deliver(
                        &mut self.control,
                        policy,
                        resend_of(message),
                        &origin_of_message(&message.queue, message.queue_offset),
                        failure,
                    )
                    .await
            }
            None => true,
        }
    }

    /// Applies the task's seek/pause/resume requests. The read-ahead batch was fetched before
    /// them: its messages of a seeked queue are dropped (the seek sets where that queue goes
    /// on), and a paused queue is first seeked back to its first read-ahead message, which is
    /// dropped too — so pausing never skips a message.
    async fn apply_requests(
        consumer: &mut dyn MqConsumer,
        control: &QueueControl,
        read_ahead: &mut Option<ConnectResult<Vec<IncomingMessage>>>,
    ) -> ConnectResult<()> {
        let (seeks, pauses, resumes) = {
            let mut requests = control.requests.lock();
            (
                std::mem::take(&mut requests.seeks),
                std::mem::take(&mut requests.pauses),
                std::mem::take(&mut requests.resumes),
            )
        };
        if let Some(Ok(messages)) = read_ahead {
            let mut rewinds: Vec<(QueueRef, i64)> = Vec::new();
            messages.retain(|m| {
                if seeks.iter().any(|(q, _)| *q == m.queue) {
                    return false;
                }
                if pauses.contains(&m.queue) {
                    if !rewinds.iter().any(|(q, _)| *q == m.queue) {
                        rewinds.push((m.queue.clone(), m.queue_offset));
                    }
                    return false;
                }
                true
            });
            for (queue, offset) in rewinds {
                consumer.seek(&queue, offset).await?;
            }
        }
        for (queue, offset) in seeks {
            consumer.seek(&queue, offset).await?;
        }
        if !pauses.is_empty() {
            consumer.pause(&pauses).await;
        }
        if !resumes.is_empty() {
            consumer.resume(&resumes).await;
        }
        Ok(())
    }

    /// Flushes the sink and commits the offsets it confirms (bounded by the commit timeout).
    async fn commit(
        &self,
        task: &mut dyn SinkTask,
        consumer: &mut dyn MqConsumer,
        state: &mut State,
    ) -> ConnectResult<()> {
        state.next_commit = Instant::now() + self.settings.offset_commit_interval;
        let changed: OffsetMap = state
            .consumed
            .iter()
            .filter(|(queue, offset)| state.committed.get(*queue) != Some(*offset))
            .map(|(queue, offset)| {
                (
                    partition_of(queue),
                    RecordOffset::new().with("queueOffset", offset.to_string()),
                )
            })
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let timeout = self.settings.offset_commit_timeout;
        let metrics = self.control.metrics.clone();
        let started = Instant::now();
        let Some(confirmed) = commit::flush(task, changed, timeout).await? else {
            metrics.commit_skip.inc();
            metrics.commit_failure.inc();
            return Ok(());
        };
        let offsets: HashMap<QueueRef, i64> = confirmed
            .iter()
            .filter_map(|(partition, offset)| {
                Some((queue_of(partition)?, offset.get_i64("queueOffset")?))
            })
            .collect();
        let committed = tokio::time::timeout(timeout, consumer.commit(&offsets)).await;
        metrics.commit_time.observe_duration(started.elapsed());
        match committed {
            Ok(Ok(())) => {
                state.committed.extend(offsets);
                metrics.commit_completion.inc();
                metrics.commit_success.inc();
            }
            Ok(Err(e)) => {
                metrics.commit_failure.inc();
                tracing::warn!(error = %e, "offsets not committed; the records are redelivered after a restart");
            }
            Err(_) => {
                metrics.commit_failure.inc();
                tracing::warn!("committing offsets timed out");
            }
        }
        Ok(())
    }
}
