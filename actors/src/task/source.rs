//! The source data loop through the message queue: `poll` → transforms → topic → converters →
//! message → producer; acknowledgements feed the [`OffsetTracker`], and only each partition's
//! contiguous acknowledged prefix is committed. Runs on the task's isolate.
//!
//! Topic: the record's `topic` extension, else `connect.topicname`, else the task fails with
//! a message saying so. Message properties as the Java runtime: `connect.timestamp`, the
//! `KEYS`/`TAGS` extensions as keys/tags, every other extension as `connect-ext-<key>`.
//! Sends are synchronous per batch, which bounds in-flight data to one batch (backpressure).

use std::sync::Arc;
use std::time::Instant;

use super::control::LoopControl;
use actix::prelude::*;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, SendMetadata, SourceTask,
    SourceTaskContext, TaskFactory, TaskInfo,
};

use super::Control;
use super::dead_letter::{DeadLetterQueue, Failure, Origin, Stage};
use super::errors::ErrorPolicy;
use super::offsets::{OffsetTracker, Ticket};
use crate::catalog::Catalog;
use crate::model::TaskId;
use crate::mq::{MqClient, MqProducer, OutgoingMessage};
use crate::offset_committer::{CommitPositions, OffsetCommitter, PositionReader, PositionTable};
use crate::pipeline::Pipeline;
use crate::settings::WorkerSettings;

/// Message property carrying the record timestamp.
pub const TIMESTAMP_PROPERTY: &str = "connect.timestamp";
/// Prefix of extensions carried as message properties.
pub const EXTENSION_PREFIX: &str = "connect-ext-";

/// Everything the loop needs, moved onto the isolate.
pub struct SourceLoop {
    pub id: TaskId,
    pub config: Config,
    pub catalog: Arc<Catalog>,
    pub settings: Arc<WorkerSettings>,
    pub control: LoopControl,
    pub committer: Addr<OffsetCommitter>,
    /// The claim commits are made under (distributed mode).
    pub epoch: crate::model::Epoch,
    pub positions: PositionTable,
    pub client: Arc<dyn MqClient>,
}

impl std::fmt::Debug for SourceLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceLoop")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Where messages go: the producer, and the dead-letter topic if one is set.
struct Outlet<'a> {
    producer: &'a dyn MqProducer,
    dead_letters: Option<&'a DeadLetterQueue>,
}

/// A record ready to send, with what is needed to acknowledge it.
struct Outgoing {
    record: ConnectRecord,
    ticket: Ticket,
    message: OutgoingMessage,
}

/// Builds the message for a transformed record; a failure names the converter. A record
/// without a topic fails with `ConnectError::Other` (a configuration problem, never tolerated).
pub fn to_message(
    pipeline: &Pipeline,
    default_topic: Option<&str>,
    record: &ConnectRecord,
) -> Result<OutgoingMessage, Failure> {
    let topic = record.topic().or(default_topic).ok_or_else(|| Failure {
        stage: Stage::RocketmqProduce,
        class_name: String::new(),
        error: ConnectError::other(
            "the record has no topic: set connect.topicname, or a \"topic\" extension on the record",
        ),
    })?;
    let keys = if record.key.is_null() {
        None
    } else {
        pipeline
            .key_converter
            .encode(topic, record.key_schema.as_deref(), &record.key)
            .map_err(|error| Failure {
                stage: Stage::KeyConverter,
                class_name: pipeline.key_converter_class.clone(),
                error,
            })?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let body = pipeline
        .value_converter
        .encode(topic, record.value_schema.as_deref(), &record.value)
        .map_err(|error| Failure {
            stage: Stage::ValueConverter,
            class_name: pipeline.value_converter_class.clone(),
            error,
        })?
        .unwrap_or_default();
    let mut message = OutgoingMessage {
        topic: topic.to_owned(),
        keys,
        tags: None,
        body: body.into(),
        properties: Default::default(),
        queue: None,
    };
    if let Some(timestamp) = record.timestamp {
        message
            .properties
            .insert(TIMESTAMP_PROPERTY.to_owned(), timestamp.to_string());
    }
    for (key, value) in record.extensions.iter() {
        match key {
            "topic" => {}
            "KEYS" => message.keys = Some(value.to_owned()),
            "TAGS" => message.tags = Some(value.to_owned()),
            other => {
                message
                    .properties
                    .insert(format!("{EXTENSION_PREFIX}{other}"), value.to_owned());
            }
        }
    }
    Ok(message)
}

/// A dead letter for a source record that failed before it became a message: the original
/// record through the task's converters, or its value as text if they cannot encode it.
fn letter_of(
    pipeline: &Pipeline,
    default_topic: Option<&str>,
    record: &ConnectRecord,
) -> OutgoingMessage {
    to_message(pipeline, default_topic.or(Some("")), record).unwrap_or_else(|_| OutgoingMessage {
        topic: String::new(),
        keys: (!record.key.is_null()).then(|| record.key.to_string()),
        tags: None,
        body: record.value.to_string().into_bytes().into(),
        properties: Default::default(),
        queue: None,
    })
}

fn origin_of(topic: &str, record: &ConnectRecord) -> Origin {
    Origin {
        topic: topic.to_owned(),
        partition: serde_json::to_string(&record.position.partition).unwrap_or_default(),
        offset: serde_json::to_string(&record.position.offset).unwrap_or_default(),
    }
}

impl SourceLoop {
    /// Runs until told to stop; an `Err` fails the task.
    pub async fn run(mut self) -> ConnectResult<()> {
        let policy = ErrorPolicy::from_config(&self.config).map_err(ConnectError::Config)?;
        let class = self.config.require("task.class")?.to_owned();
        let mut task: Box<dyn SourceTask> = match self.catalog.task(&class).map(|p| p.factory) {
            Some(TaskFactory::Source(make)) => make(),
            _ => {
                return Err(ConnectError::other(format!(
                    "task.class {class} is not a source task"
                )));
            }
        };
        let mut pipeline = Pipeline::from_config(
            &self.config,
            &self.settings.key_converter,
            &self.settings.value_converter,
        )?;
        let default_topic = self
            .config
            .get_trimmed("connect.topicname")
            .map(str::to_owned);
        let context = SourceTaskContext {
            info: TaskInfo {
                connector_name: self.id.connector.clone(),
                task_id: self.id.task,
                configs: self.config.clone(),
            },
            offsets: Arc::new(PositionReader {
                connector: self.id.connector.clone(),
                table: self.positions.clone(),
            }),
            topics: Some(Arc::new(crate::mq::side_topics::SideTopics {
                client: self.client.clone(),
                listener: self.id.to_string(),
            })),
        };
        let client = self.client.clone();
        let group = self.settings.producer_group.clone();
        let Some(producer) = self
            .control
            .until_ok("starting the producer", &policy, || client.producer(&group))
            .await?
        else {
            return Ok(());
        };
        let Some(dead_letters) = DeadLetterQueue::open_configured(
            &mut self.control,
            &policy,
            &*client,
            &self.settings,
            &self.config,
            &self.id,
        )
        .await?
        else {
            return Ok(());
        };
        task.start(self.config.clone(), context).await?;
        self.control.started();

        let mut tracker = OffsetTracker::new();
        let mut next_commit = Instant::now() + self.settings.offset_commit_interval;
        let outcome = self
            .pump(
                &policy,
                &mut *task,
                &mut pipeline,
                default_topic.as_deref(),
                &mut tracker,
                &mut next_commit,
                &Outlet {
                    producer: &*producer,
                    dead_letters: dead_letters.as_ref(),
                },
            )
            .await;
        let committed = self.commit(&mut *task, &mut tracker).await;
        pipeline.transforms.stop();
        let stopped = task.stop().await;
        outcome.and(committed).and(stopped)
    }

    #[allow(clippy::too_many_arguments)]
    async fn pump(
        &mut self,
        policy: &ErrorPolicy,
        task: &mut dyn SourceTask,
        pipeline: &mut Pipeline,
        default_topic: Option<&str>,
        tracker: &mut OffsetTracker,
        next_commit: &mut Instant,
        outlet: &Outlet<'_>,
    ) -> ConnectResult<()> {
        let mut poll_failures = 0u32;
        loop {
            match self.control.current() {
                Control::Stop => return Ok(()),
                Control::Pause => {
                    self.commit(task, tracker).await?;
                    if self.control.sit_out_pause().await == Control::Stop {
                        return Ok(());
                    }
                    continue;
                }
                Control::Run => {}
            }
            let records = match task.poll().await {
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
                    self.control.trouble(format!(
                        "poll failed (attempt {poll_failures}), retrying: {e}"
                    ));
                    // What was acknowledged before the trouble is committed all the same.
                    if Instant::now() >= *next_commit {
                        self.commit(task, tracker).await?;
                        *next_commit = Instant::now() + self.settings.offset_commit_interval;
                    }
                    self.control.backoff(policy.backoff(poll_failures)).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut outgoing = Vec::with_capacity(records.len());
            for record in records {
                let ticket =
                    tracker.submit(&record.position.partition, record.position.offset.clone());
                let prepared =
                    self.control
                        .retry_record(policy, || {
                            if pipeline.transforms.is_empty() {
                                // Nothing to transform: no copy of the record.
                                return to_message(pipeline, default_topic, &record).map(Some);
                            }
                            let transformed =
                                pipeline.transforms.apply(record.clone()).map_err(|error| {
                                    Failure {
                                        stage: Stage::Transformation,
                                        class_name: pipeline.transforms_class(),
                                        error,
                                    }
                                })?;
                            transformed
                                .map(|t| to_message(pipeline, default_topic, &t))
                                .transpose()
                        })
                        .await;
                match prepared {
                    // Stopped while retrying: the record stays unacknowledged.
                    None => return Ok(()),
                    Some(Ok(Some(message))) => outgoing.push(Outgoing {
                        record,
                        ticket,
                        message,
                    }),
                    Some(Ok(None)) => {
                        tracker.ack(&ticket);
                        task.commit_record(&record, None).await?;
                    }
                    // A record without a topic is a configuration problem, never tolerated.
                    Some(Err(Failure {
                        error: e @ ConnectError::Other(_),
                        ..
                    })) => return Err(e),
                    Some(Err(failure)) if policy.tolerate_all => {
                        let letter = outlet
                            .dead_letters
                            .map(|_| letter_of(pipeline, default_topic, &record));
                        if !self
                            .tolerate(
                                policy,
                                outlet.dead_letters,
                                &record,
                                letter,
                                default_topic.unwrap_or_default(),
                                &failure,
                            )
                            .await
                        {
                            return Ok(());
                        }
                        tracker.ack(&ticket);
                        task.commit_record(&record, None).await?;
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
            if !outgoing.is_empty() && !self.send(policy, task, tracker, outgoing, outlet).await? {
                return Ok(());
            }
            if Instant::now() >= *next_commit {
                self.commit(task, tracker).await?;
                *next_commit = Instant::now() + self.settings.offset_commit_interval;
            }
        }
    }

    /// Sends until every message is acknowledged (retriable failures: the failed messages
    /// again, in order, with backoff) — or tolerated, or the task stops (`false`: what was not
    /// acknowledged stays uncommitted and is produced again after a restart).
    async fn send(
        &mut self,
        policy: &ErrorPolicy,
        task: &mut dyn SourceTask,
        tracker: &mut OffsetTracker,
        mut outgoing: Vec<Outgoing>,
        outlet: &Outlet<'_>,
    ) -> ConnectResult<bool> {
        let mut attempt = 0u32;
        loop {
            // Moved out for the call and back in afterwards: no copy per message.
            let messages: Vec<OutgoingMessage> = outgoing
                .iter_mut()
                .map(|o| std::mem::take(&mut o.message))
                .collect();
            let results = outlet.producer.send(&messages).await;
            let mut failed = Vec::new();
            let mut last_error = None;
            for ((mut item, message), result) in outgoing.into_iter().zip(messages).zip(results) {
                item.message = message;
                match result {
                    Ok(metadata) => {
                        self.delivered(task, tracker, &item, Some(&metadata))
                            .await?
                    }
                    Err(e) if e.is_retriable() => {
                        last_error = Some(e);
                        failed.push(item);
                    }
                    Err(error) if policy.tolerate_all => {
                        let failure = Failure {
                            stage: Stage::RocketmqProduce,
                            class_name: String::new(),
                            error,
                        };
                        let topic = item.message.topic.clone();
                        let letter = Some(std::mem::take(&mut item.message));
                        if !self
                            .tolerate(
                                policy,
                                outlet.dead_letters,
                                &item.record,
                                letter,
                                &topic,
                                &failure,
                            )
                            .await
                        {
                            return Ok(false);
                        }
                        self.delivered(task, tracker, &item, None).await?;
                    }
                    Err(e) => {
                        return Err(ConnectError::other(format!(
                            "produce failed (errors.tolerance=none): {e}"
                        )));
                    }
                }
            }
            if failed.is_empty() {
                if attempt > 0 {
                    self.control.recovered();
                }
                return Ok(true);
            }
            attempt += 1;
            if let Some(e) = last_error {
                tracing::warn!(error = %e, attempt, unsent = failed.len(), "send failed; retrying");
                self.control.trouble(format!(
                    "send failed (attempt {attempt}, {} messages unsent), retrying: {e}",
                    failed.len()
                ));
            }
            if !self.control.may_retry(policy.backoff(attempt)).await {
                return Ok(false);
            }
            outgoing = failed;
        }
    }

    /// A record that failed under `errors.tolerance=all`: logged, and `letter` sent to the
    /// dead-letter topic if there is one (retried until stored). `false` when stopped meanwhile.
    #[allow(clippy::too_many_arguments)]
    async fn tolerate(
        &mut self,
        policy: &ErrorPolicy,
        dead_letters: Option<&DeadLetterQueue>,
        record: &ConnectRecord,
        letter: Option<OutgoingMessage>,
        topic: &str,
        failure: &Failure,
    ) -> bool {
        policy.log_failure(failure.stage.as_str(), record, &failure.error);
        match (dead_letters, letter) {
            (Some(dead_letters), Some(letter)) => {
                let origin = origin_of(topic, record);
                dead_letters
                    .deliver(&mut self.control, policy, letter, &origin, failure)
                    .await
            }
            _ => true,
        }
    }

    async fn delivered(
        &self,
        task: &mut dyn SourceTask,
        tracker: &mut OffsetTracker,
        item: &Outgoing,
        metadata: Option<&SendMetadata>,
    ) -> ConnectResult<()> {
        tracker.ack(&item.ticket);
        task.commit_record(&item.record, metadata).await
    }

    /// Persists the committable positions (bounded by the commit timeout).
    async fn commit(
        &self,
        task: &mut dyn SourceTask,
        tracker: &mut OffsetTracker,
    ) -> ConnectResult<()> {
        let positions = tracker.committable();
        if positions.is_empty() {
            return Ok(());
        }
        let request = self.committer.send(CommitPositions {
            connector: self.id.connector.clone(),
            task: self.id.task,
            epoch: self.epoch,
            positions,
        });
        match tokio::time::timeout(self.settings.offset_commit_timeout, request).await {
            Ok(Ok(Ok(()))) => task.commit().await,
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "positions not persisted; they are replayed after a crash");
                Ok(())
            }
            Ok(Err(e)) => Err(ConnectError::other(format!(
                "offset committer unavailable: {e}"
            ))),
            Err(_) => {
                tracing::warn!("persisting positions timed out");
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use connect_api::{RecordOffset, RecordPartition, Value};

    use super::*;

    fn pipeline() -> Pipeline {
        Pipeline::from_config(
            &Config::new(),
            crate::pipeline::DEFAULT_CONVERTER,
            crate::pipeline::DEFAULT_CONVERTER,
        )
        .unwrap()
    }

    #[test]
    fn topic_extension_wins_then_default_then_error() {
        let p = pipeline();
        let record = ConnectRecord::new(RecordPartition::new(), RecordOffset::new(), Some(5))
            .with_value(None, Value::from("v"));
        assert_eq!(to_message(&p, Some("dflt"), &record).unwrap().topic, "dflt");
        let routed = record.clone().with_extension("topic", "routed");
        assert_eq!(
            to_message(&p, Some("dflt"), &routed).unwrap().topic,
            "routed"
        );
        let err = to_message(&p, None, &record).unwrap_err().error;
        assert!(err.to_string().contains("connect.topicname"), "{err}");
    }

    #[test]
    fn properties_keys_and_tags_follow_the_java_runtime() {
        let p = pipeline();
        let record = ConnectRecord::new(RecordPartition::new(), RecordOffset::new(), Some(42))
            .with_key(None, Value::from("k1"))
            .with_value(None, Value::from("v"))
            .with_extension("TAGS", "tag-a")
            .with_extension("source", "db1");
        let message = to_message(&p, Some("t"), &record).unwrap();
        assert_eq!(message.keys.as_deref(), Some("k1"));
        assert_eq!(message.tags.as_deref(), Some("tag-a"));
        assert_eq!(&message.body[..], b"v");
        assert_eq!(
            message
                .properties
                .get(TIMESTAMP_PROPERTY)
                .map(String::as_str),
            Some("42")
        );
        assert_eq!(
            message
                .properties
                .get("connect-ext-source")
                .map(String::as_str),
            Some("db1")
        );
    }
}
