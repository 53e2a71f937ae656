//! Task traits and the contexts the runtime hands to them.
//!
//! Tasks are where data moves. Their methods are `async` because they do I/O; the runtime
//! drives each task from its own data loop, never from an actor mailbox.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::Config;
use crate::data::{ConnectRecord, RecordOffset, RecordPartition};
use crate::error::ConnectResult;

/// Offsets by partition, as passed to sink flush/commit.
pub type OffsetMap = HashMap<RecordPartition, RecordOffset>;

/// Where a source task's record landed in RocketMQ, passed to [`SourceTask::commit_record`].
///
/// A batch's messages share one [`SentBatch`]; a message's metadata is that and its place in
/// the batch, so reporting where a message went costs a reference count, not an allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMetadata {
    batch: Arc<SentBatch>,
    index: u32,
}

/// What the messages of one stored batch share: one queue, consecutive offsets, and ids
/// (see [`MessageIds`]).
#[derive(Debug, PartialEq, Eq)]
pub struct SentBatch {
    pub topic: String,
    pub broker_name: String,
    pub queue_id: i32,
    /// The queue offset of the batch's first message; the others follow it.
    pub first_offset: i64,
    pub ids: MessageIds,
}

/// The message ids of a batch.
#[derive(Debug, PartialEq, Eq)]
pub enum MessageIds {
    /// RocketMQ's unique-id shape: `head`, then a counter as four upper-case hex digits
    /// ([`MessageIds::counter_digits`]) that starts at `first` and goes up by one per message
    /// (wrapping).
    Counted { head: String, first: u16 },
    /// One id per message.
    Listed(Vec<String>),
}

impl MessageIds {
    /// The id of the batch's `index`th message.
    pub fn id(&self, index: usize) -> String {
        match self {
            Self::Counted { head, first } => {
                let mut id = String::with_capacity(head.len() + 4);
                id.push_str(head);
                // Four ASCII digits: always one character each.
                id.extend(Self::counter_at(*first, index).map(char::from));
                id
            }
            Self::Listed(ids) => ids.get(index).cloned().unwrap_or_default(),
        }
    }

    /// The last four characters of the `index`th id of a batch counted from `first` (the
    /// counter wraps as a short, as Java's does).
    pub fn counter_at(first: u16, index: usize) -> [u8; 4] {
        Self::counter_digits(first.wrapping_add(index as u16))
    }

    /// A counter as the last four characters of an id: upper-case hex, most significant
    /// digit first (the Java client's alphabet).
    pub fn counter_digits(counter: u16) -> [u8; 4] {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        [12, 8, 4, 0].map(|shift| HEX[usize::from((counter >> shift) & 0xF)])
    }
}

impl SendMetadata {
    /// The `index`th message of `batch`.
    pub fn new(batch: Arc<SentBatch>, index: usize) -> Self {
        Self {
            batch,
            index: u32::try_from(index).unwrap_or(u32::MAX),
        }
    }

    /// A message sent on its own.
    pub fn single(
        msg_id: impl Into<String>,
        topic: impl Into<String>,
        broker_name: impl Into<String>,
        queue_id: i32,
        queue_offset: i64,
    ) -> Self {
        let batch = SentBatch {
            topic: topic.into(),
            broker_name: broker_name.into(),
            queue_id,
            first_offset: queue_offset,
            ids: MessageIds::Listed(vec![msg_id.into()]),
        };
        Self::new(Arc::new(batch), 0)
    }

    /// The message's id (its `UNIQ_KEY` property).
    pub fn msg_id(&self) -> String {
        self.batch.ids.id(self.index as usize)
    }

    pub fn topic(&self) -> &str {
        &self.batch.topic
    }

    pub fn broker_name(&self) -> &str {
        &self.batch.broker_name
    }

    pub fn queue_id(&self) -> i32 {
        self.batch.queue_id
    }

    pub fn queue_offset(&self) -> i64 {
        self.batch
            .first_offset
            .saturating_add(i64::from(self.index))
    }
}

/// Reads the committed source positions of this connector (survives restarts).
pub trait OffsetStorageReader: Send + Sync + std::fmt::Debug {
    /// The last committed offset of `partition`.
    fn read_offset(&self, partition: &RecordPartition) -> Option<RecordOffset>;

    /// The last committed offsets of several partitions (absent ones are left out).
    fn read_offsets(&self, partitions: &[RecordPartition]) -> OffsetMap {
        partitions
            .iter()
            .filter_map(|p| self.read_offset(p).map(|o| (p.clone(), o)))
            .collect()
    }
}

/// Lets a sink task hand a record it cannot process to the runtime's error policy (log,
/// dead-letter topic) instead of failing.
#[async_trait]
pub trait ErrorRecordReporter: Send + Sync + std::fmt::Debug {
    /// Reports `record` as failed with `error`; resolves once the report is durable.
    async fn report(
        &self,
        record: &ConnectRecord,
        error: &crate::ConnectError,
    ) -> ConnectResult<()>;
}

/// The runtime side of a [`SinkTaskContext`]: consumer control, implemented by the runtime.
pub trait SinkTaskControl: Send + Sync + std::fmt::Debug {
    /// Rewinds or skips: the next records of `partition` start at `offset`.
    fn reset_offset(&self, partition: &RecordPartition, offset: &RecordOffset);
    /// Stops delivering records of these partitions until resumed.
    fn pause(&self, partitions: &[RecordPartition]);
    /// Resumes delivery of paused partitions.
    fn resume(&self, partitions: &[RecordPartition]);
    /// The partitions currently assigned to this task.
    fn assignment(&self) -> HashSet<RecordPartition>;
}

/// Identity and configuration common to task contexts.
#[derive(Debug, Clone)]
pub struct TaskInfo {
    pub connector_name: String,
    pub task_id: u32,
    pub configs: Config,
}

impl TaskInfo {
    /// `<connector>-<id>`, as the Java `getTaskName()`.
    pub fn task_name(&self) -> String {
        format!("{}-{}", self.connector_name, self.task_id)
    }
}

/// One message of a side-channel topic, with where the listener stands after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideMessage {
    pub key: Option<String>,
    pub body: Vec<u8>,
    /// The message's queue (`broker:queue_id`).
    pub queue: String,
    /// The next offset to read in that queue: keep it (in the task's own offsets) to resume
    /// after this message.
    pub next_offset: i64,
}

/// Where a listener resumes: the next offset per queue (`broker:queue_id`).
pub type SidePositions = std::collections::BTreeMap<String, i64>;

/// Messages of a side-channel topic (e.g. CDC signals), in each queue's order.
#[async_trait]
pub trait TopicMessages: Send + std::fmt::Debug {
    /// What arrived; empty when nothing did within `timeout`.
    async fn poll(&mut self, timeout: std::time::Duration) -> ConnectResult<Vec<SideMessage>>;
}

/// Lets a source task listen to a topic of the runtime's message queue beside its own data
/// (the Java CDC plugin's signal topic), without knowing the queue's client.
#[async_trait]
pub trait TopicSubscriptions: Send + Sync + std::fmt::Debug {
    /// A listener to `topic`: queues named in `resume` from those offsets (so what arrived
    /// while the task was stopped is read), the others from their next message on.
    async fn subscribe(
        &self,
        topic: &str,
        resume: &SidePositions,
    ) -> ConnectResult<Box<dyn TopicMessages>>;
}

/// What a source task can say about the system it reads — Debezium's streaming and snapshot
/// metrics, which operators alert on; the runtime exports them with the task's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceGauge {
    /// How far the last change read lags behind the source's clock (streaming).
    MilliSecondsBehindSource,
    /// 1 while a snapshot runs, else 0.
    SnapshotRunning,
    /// Tables the running snapshot has still to read.
    SnapshotRemainingTables,
    /// WAL the replication slot holds back, in bytes (PostgreSQL).
    SlotLagBytes,
}

/// Where a source task reports its [`SourceGauge`]s.
pub trait SourceGauges: Send + Sync + std::fmt::Debug {
    fn set(&self, gauge: SourceGauge, value: i64);
}

/// What a source task may use: its identity, configuration and committed positions.
#[derive(Debug, Clone)]
pub struct SourceTaskContext {
    pub info: TaskInfo,
    pub offsets: Arc<dyn OffsetStorageReader>,
    /// Side-channel topics, when the runtime has a message queue (not in direct mode).
    pub topics: Option<Arc<dyn TopicSubscriptions>>,
    /// Where to report gauges about the source, when the runtime exports metrics.
    pub gauges: Option<Arc<dyn SourceGauges>>,
}

impl SourceTaskContext {
    pub fn connector_name(&self) -> &str {
        &self.info.connector_name
    }
    pub fn task_name(&self) -> String {
        self.info.task_name()
    }
    pub fn configs(&self) -> &Config {
        &self.info.configs
    }
    /// The committed positions of this connector.
    pub fn offset_storage_reader(&self) -> &dyn OffsetStorageReader {
        self.offsets.as_ref()
    }
}

/// What a sink task may use: identity, configuration, consumer control and the error reporter.
#[derive(Debug, Clone)]
pub struct SinkTaskContext {
    pub info: TaskInfo,
    pub control: Arc<dyn SinkTaskControl>,
    pub reporter: Option<Arc<dyn ErrorRecordReporter>>,
}

impl SinkTaskContext {
    pub fn connector_name(&self) -> &str {
        &self.info.connector_name
    }
    pub fn task_name(&self) -> String {
        self.info.task_name()
    }
    pub fn configs(&self) -> &Config {
        &self.info.configs
    }
    pub fn reset_offset(&self, partition: &RecordPartition, offset: &RecordOffset) {
        self.control.reset_offset(partition, offset);
    }
    pub fn reset_offsets(&self, offsets: &OffsetMap) {
        for (partition, offset) in offsets {
            self.control.reset_offset(partition, offset);
        }
    }
    pub fn pause(&self, partitions: &[RecordPartition]) {
        self.control.pause(partitions);
    }
    pub fn resume(&self, partitions: &[RecordPartition]) {
        self.control.resume(partitions);
    }
    pub fn assignment(&self) -> HashSet<RecordPartition> {
        self.control.assignment()
    }
    /// The error reporter; present when the connector configures error logging or a
    /// dead-letter topic.
    pub fn error_record_reporter(&self) -> Option<&Arc<dyn ErrorRecordReporter>> {
        self.reporter.as_ref()
    }
}

/// Reads an external system. Call order: `start` → (`poll`, `commit_record`…, `commit`)* → `stop`.
#[async_trait]
pub trait SourceTask: Send {
    /// Opens connections; read committed positions through the context to resume.
    async fn start(&mut self, config: Config, context: SourceTaskContext) -> ConnectResult<()>;

    /// The next batch of records. Return an empty batch rather than waiting more than about
    /// a second, so pauses, commits and shutdown stay prompt.
    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>>;

    /// One record was acknowledged by RocketMQ (`metadata` set) or skipped by the error
    /// policy (`None`). Called in send order per partition. Synchronous, as in Java and
    /// Kafka Connect: it is called once per record, and an async method would cost an
    /// allocation per call.
    fn commit_record(
        &mut self,
        _record: &ConnectRecord,
        _metadata: Option<&SendMetadata>,
    ) -> ConnectResult<()> {
        Ok(())
    }

    /// Positions were durably committed.
    async fn commit(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    /// Releases resources. Must return promptly.
    async fn stop(&mut self) -> ConnectResult<()>;
}

/// Writes records to an external system. Call order: `start` → (`put`*, `pre_commit`)* → `stop`.
#[async_trait]
pub trait SinkTask: Send {
    async fn start(&mut self, config: Config, context: SinkTaskContext) -> ConnectResult<()>;

    /// Writes (or buffers) a batch. A [`Retriable`](crate::ConnectError::Retriable) error makes
    /// the runtime pause consumption and offer the same batch again after a backoff (which is
    /// why the batch is lent, not given: the runtime keeps it until it is accepted).
    async fn put(&mut self, records: &[ConnectRecord]) -> ConnectResult<()>;

    /// Makes everything `put` so far durable.
    async fn flush(&mut self, _offsets: &OffsetMap) -> ConnectResult<()> {
        Ok(())
    }

    /// Called before the runtime commits consumer offsets: returns the offsets that are safe
    /// to commit (the default flushes and returns them all; return fewer to hold back).
    async fn pre_commit(&mut self, offsets: OffsetMap) -> ConnectResult<OffsetMap> {
        self.flush(&offsets).await?;
        Ok(offsets)
    }

    async fn stop(&mut self) -> ConnectResult<()>;
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::data::Value;

    /// A batch's messages share its queue and count up its offsets and ids; the id counter
    /// wraps as a short (as Java's does), and a single message reports its own id.
    #[test]
    fn a_batchs_messages_report_consecutive_offsets_and_ids() {
        let batch = Arc::new(SentBatch {
            topic: "orders".into(),
            broker_name: "broker-a".into(),
            queue_id: 3,
            first_offset: 41,
            ids: MessageIds::Counted {
                head: "7F0000010001".into(),
                first: 0xFFFE,
            },
        });
        let sent: Vec<SendMetadata> = (0..3)
            .map(|index| SendMetadata::new(batch.clone(), index))
            .collect();
        assert_eq!(
            sent.iter().map(SendMetadata::msg_id).collect::<Vec<_>>(),
            ["7F0000010001FFFE", "7F0000010001FFFF", "7F00000100010000"]
        );
        assert_eq!(
            sent.iter()
                .map(SendMetadata::queue_offset)
                .collect::<Vec<_>>(),
            [41, 42, 43]
        );
        assert_eq!(
            (sent[2].topic(), sent[2].broker_name(), sent[2].queue_id()),
            ("orders", "broker-a", 3)
        );
        assert_eq!(MessageIds::counter_digits(0x0A5F), *b"0A5F");
        let single = SendMetadata::single("id-1", "t", "b", 0, 7);
        assert_eq!((single.msg_id(), single.queue_offset()), ("id-1".into(), 7));
    }

    #[derive(Debug, Default)]
    struct NoOffsets;
    impl OffsetStorageReader for NoOffsets {
        fn read_offset(&self, _partition: &RecordPartition) -> Option<RecordOffset> {
            None
        }
    }

    /// A source that resumes from its committed offset and counts up.
    #[derive(Default)]
    struct Counter {
        next: i64,
    }

    #[async_trait]
    impl SourceTask for Counter {
        async fn start(
            &mut self,
            _config: Config,
            context: SourceTaskContext,
        ) -> ConnectResult<()> {
            let partition = RecordPartition::new().with("counter", context.task_name());
            self.next = context
                .offset_storage_reader()
                .read_offset(&partition)
                .and_then(|o| o.get_i64("next"))
                .unwrap_or(0);
            Ok(())
        }
        async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
            self.next += 1;
            let offset = RecordOffset::new().with("next", self.next);
            Ok(vec![
                ConnectRecord::new(RecordPartition::new(), offset, None)
                    .with_value(None, self.next),
            ])
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
    }

    /// A sink whose flush is observable.
    #[derive(Default)]
    struct Recording {
        flushed: std::sync::Arc<Mutex<usize>>,
    }

    #[async_trait]
    impl SinkTask for Recording {
        async fn start(&mut self, _config: Config, _context: SinkTaskContext) -> ConnectResult<()> {
            Ok(())
        }
        async fn put(&mut self, _records: &[ConnectRecord]) -> ConnectResult<()> {
            Ok(())
        }
        async fn flush(&mut self, offsets: &OffsetMap) -> ConnectResult<()> {
            *self.flushed.lock().unwrap() += offsets.len();
            Ok(())
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
    }

    /// Tasks work as trait objects, and the default `pre_commit` flushes and returns every
    /// offset (the Java contract).
    #[tokio::test]
    async fn tasks_are_object_safe_and_pre_commit_flushes() {
        let mut source: Box<dyn SourceTask> = Box::new(Counter::default());
        let info = TaskInfo {
            connector_name: "c".into(),
            task_id: 0,
            configs: Config::new(),
        };
        let context = SourceTaskContext {
            info: info.clone(),
            offsets: Arc::new(NoOffsets),
            topics: None,
            gauges: None,
        };
        assert_eq!(context.task_name(), "c-0");
        source.start(Config::new(), context).await.unwrap();
        let batch = source.poll().await.unwrap();
        assert_eq!(batch[0].value, Value::Int64(1));
        source.commit_record(&batch[0], None).unwrap();

        let flushed = std::sync::Arc::new(Mutex::new(0));
        let mut sink: Box<dyn SinkTask> = Box::new(Recording {
            flushed: flushed.clone(),
        });
        let mut offsets = OffsetMap::new();
        offsets.insert(
            RecordPartition::new().with("queueId", 1),
            RecordOffset::new().with("queueOffset", 9),
        );
        let committed = sink.pre_commit(offsets.clone()).await.unwrap();
        assert_eq!(committed, offsets);
        assert_eq!(*flushed.lock().unwrap(), 1);
    }
}
