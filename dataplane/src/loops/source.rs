//! The source data loop through the message queue: `poll` → transforms → converters →
//! message ([`crate::mapping`]) → producer; acknowledgements feed the [`OffsetTracker`], and
//! only each partition's contiguous acknowledged prefix is committed.
//!
//! Batches are polled and converted while earlier ones travel: a batch is handed to the
//! producer (which builds the client's messages and hands them to the client's runtime at
//! once), then the loop polls and converts the next one, and settles the oldest batch in
//! flight — acknowledgements, and resends of what failed, in order — only when it must:
//! - a batch holding a keyed message travels alone: everything in flight settles before it
//!   goes, and it settles before the next goes, so per-key order survives retries;
//! - unkeyed batches travel up to `UNORDERED_FLIGHTS` at a time, so the broker is not idle
//!   between two (mq-bench: the broker stores more per CPU-second with more batches under
//!   way). Their order within a queue is not kept between batches that travel together (the
//!   sends race, and a failed one is sent again after a later one), as for any unkeyed
//!   RocketMQ send; give records keys where order matters.
//!
//! In-flight data stays bounded (backpressure): at most `UNORDERED_FLIGHTS` batches plus the
//! one being prepared. A polled batch whose messages pass `SEND_CHUNK_BYTES` goes as several
//! such batches, so converted message bytes stay bounded too, whatever the source's batch
//! size (the polled records themselves still scale with it).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, SendMetadata, SourceTask,
    SourceTaskContext, TaskInfo,
};

use crate::commit;
use crate::control::{LoopControl, record_with_retries};
use crate::dead_letter::DeadLetterQueue;
use crate::failure::{Failure, Stage};
use crate::ids::TaskId;
use crate::mapping::{letter_of, origin_of_record, to_message};
use crate::mq::{MqClient, MqProducer, OutgoingMessage};
use crate::offsets::{OffsetTracker, Ticket};
use crate::pipeline::Pipeline;
use crate::plan::SourcePlan;
use crate::policy::ErrorPolicy;
use crate::ports::{Control, PositionStore};
use crate::settings::DataPlaneSettings;

/// Message bytes after which a polled batch is sent in another chunk (see `pump`). Measured
/// on the CDC benchmark (2,048-row polls of 2.9 KB messages, 300k rows): whole polls peaked
/// at 103 MB RSS, 2 MiB chunks at 70 MB and as fast (38k rows/s, 19.6 µs CPU per row); 1 MiB
/// chunks at 63 MB but 20% slower (smaller batches per queue). CDC rows are keyed, so they
/// still travel one chunk at a time.
pub(crate) const SEND_CHUNK_BYTES: usize = 2 << 20;

/// Everything the loop needs, moved onto the task's thread.
pub struct SourceLoop {
    pub id: TaskId,
    /// What the task sees.
    pub config: Config,
    pub source: SourcePlan,
    pub settings: Arc<DataPlaneSettings>,
    pub control: LoopControl,
    pub positions: Arc<dyn PositionStore>,
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
    producer: Arc<dyn MqProducer>,
    dead_letters: Option<&'a DeadLetterQueue>,
}

type Sent = (Vec<OutgoingMessage>, Vec<ConnectResult<SendMetadata>>);

/// A send under way: the first attempt of a batch, started before the next poll.
enum Sending {
    Travelling(Pin<Box<dyn Future<Output = Sent> + Send>>),
    Arrived(Sent),
}

/// A batch handed to the producer, with what acknowledges its records.
struct InFlight {
    /// The records; their messages are with the send until it settles.
    sources: Vec<Source>,
    sending: Sending,
    /// Some message is keyed (or pinned to a queue): nothing else may travel beside it.
    ordered: bool,
}

/// Batches handed to the producer and not yet settled, oldest first.
type Flights = VecDeque<InFlight>;

/// How many batches without keys may travel at once (see `hand_over`).
pub(crate) const UNORDERED_FLIGHTS: usize = 2;

/// A record sent, with what acknowledges it; its message is at the same index of the batch's
/// messages. Records and messages are kept apart so that handing the messages to the producer
/// and back moves one vector, not every item.
type Source = (ConnectRecord, Ticket);

/// Records ready to send and their messages, index for index.
#[derive(Default)]
struct Outgoing {
    sources: Vec<Source>,
    messages: Vec<OutgoingMessage>,
}

impl SourceLoop {
    /// Runs until told to stop; an `Err` fails the task.
    pub async fn run(mut self, policy: ErrorPolicy, mut pipeline: Pipeline) -> ConnectResult<()> {
        let mut task: Box<dyn SourceTask> = (self.source.factory)();
        let config = self.config.clone();
        let id = self.id.clone();
        let context = SourceTaskContext {
            info: TaskInfo {
                connector_name: id.connector.clone(),
                task_id: id.task,
                configs: config.clone(),
            },
            offsets: self.positions.reader(),
            topics: Some(Arc::new(crate::mq::side_topics::SideTopics {
                client: self.client.clone(),
                listener: id.to_string(),
            })),
            gauges: Some(self.control.metrics.clone()),
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
            self.source.dead_letters.clone(),
            &id,
        )
        .await?
        else {
            return Ok(());
        };
        task.start(config, context).await?;
        self.control.started();

        let mut tracker = OffsetTracker::new();
        let mut next_commit = Instant::now() + self.settings.offset_commit_interval;
        let default_topic = self.source.default_topic.clone();
        let outlet = Outlet {
            producer,
            dead_letters: dead_letters.as_ref(),
        };
        let mut in_flight = Flights::new();
        let mut outcome = self
            .pump(
                &policy,
                &mut *task,
                &mut pipeline,
                default_topic.as_deref(),
                &mut tracker,
                &mut next_commit,
                &outlet,
                &mut in_flight,
            )
            .await;
        // Stopping (or paused into a stop) with batches still travelling: their
        // acknowledgements count for the final commit. Once a settle gave up (stopped while
        // retrying), later batches are not sent again: what their first attempt stored is
        // acknowledged, the rest stays uncommitted. A failing task leaves them all
        // unacknowledged (produced again after a restart).
        let mut retrying = true;
        while outcome.is_ok()
            && let Some(flight) = in_flight.pop_front()
        {
            let settled = if retrying {
                self.settle(&policy, &mut *task, &mut tracker, flight, &outlet)
                    .await
            } else {
                self.acknowledge_stored(&mut *task, &mut tracker, flight)
                    .await
                    .map(|()| false)
            };
            match settled {
                Ok(true) => {}
                Ok(false) => retrying = false,
                Err(e) => outcome = Err(e),
            }
        }
        self.control.metrics.source_active.set(0);
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
        in_flight: &mut Flights,
    ) -> ConnectResult<()> {
        let mut poll_failures = 0u32;
        loop {
            match self.control.current() {
                Control::Stop => return Ok(()),
                Control::Pause => {
                    if !self
                        .settle_while(policy, task, tracker, outlet, in_flight, |_| true)
                        .await?
                    {
                        return Ok(());
                    }
                    self.commit(task, tracker).await?;
                    if self.control.sit_out_pause().await == Control::Stop {
                        return Ok(());
                    }
                    continue;
                }
                Control::Run => {}
            }
            let started = Instant::now();
            let polled = task.poll().await;
            let records = self
                .control
                .polled_records(policy, &mut poll_failures, polled, started.elapsed())
                .await?;
            let mut outgoing = Outgoing {
                sources: Vec::with_capacity(records.len()),
                messages: Vec::with_capacity(records.len()),
            };
            let mut outgoing_bytes = 0usize;
            for record in records {
                let ticket =
                    tracker.submit(&record.position.partition, record.position.offset.clone());
                let prepared = record_with_retries!(self.control, policy, || {
                    if pipeline.transforms.is_empty() {
                        // Nothing to transform: no copy of the record.
                        return to_message(pipeline, default_topic, &record).map(Some);
                    }
                    let transformed =
                        pipeline
                            .transforms
                            .apply(record.clone())
                            .map_err(|error| Failure {
                                stage: Stage::Transformation,
                                class_name: pipeline.transforms_class(),
                                error,
                            })?;
                    transformed
                        .map(|t| to_message(pipeline, default_topic, &t))
                        .transpose()
                });
                match prepared {
                    // Stopped while retrying: the record stays unacknowledged.
                    None => return Ok(()),
                    Some(Ok(Some(message))) => {
                        // A large poll of large messages goes in chunks, each handed over as
                        // earlier ones settle: converted messages waiting for their
                        // acknowledgement stay near two chunks for keyed records and three for
                        // unkeyed ones (`UNORDERED_FLIGHTS` travelling, one being prepared),
                        // whatever `max.batch.size` times the message size. Cut before the
                        // message that would pass the bound, so a poll's last chunk always
                        // travels while the next poll runs.
                        if outgoing_bytes >= SEND_CHUNK_BYTES {
                            outgoing_bytes = 0;
                            let chunk = std::mem::take(&mut outgoing);
                            if !self
                                .hand_over(policy, task, tracker, outlet, in_flight, chunk)
                                .await?
                            {
                                return Ok(());
                            }
                        }
                        outgoing_bytes += message.body.len();
                        outgoing.sources.push((record, ticket));
                        outgoing.messages.push(message);
                    }
                    Some(Ok(None)) => {
                        tracker.ack(&ticket);
                        task.commit_record(&record, None)?;
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
                        task.commit_record(&record, None)?;
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
            if !self
                .hand_over(policy, task, tracker, outlet, in_flight, outgoing)
                .await?
            {
                return Ok(());
            }
            if Instant::now() >= *next_commit {
                self.commit(task, tracker).await?;
                *next_commit = Instant::now() + self.settings.offset_commit_interval;
            }
        }
    }

    /// Launches `outgoing` (if any) after settling what must land before it: everything in
    /// flight when it is keyed, follows a keyed batch, or is empty (nothing new: what
    /// travelled is acknowledged now); otherwise only the oldest batches beyond
    /// `UNORDERED_FLIGHTS - 1`, so unkeyed batches travel side by side and the broker is not
    /// left idle between two. `false` when the task stopped while settling.
    async fn hand_over(
        &mut self,
        policy: &ErrorPolicy,
        task: &mut dyn SourceTask,
        tracker: &mut OffsetTracker,
        outlet: &Outlet<'_>,
        in_flight: &mut Flights,
        outgoing: Outgoing,
    ) -> ConnectResult<bool> {
        let ordered = outgoing
            .messages
            .iter()
            .any(|m| m.keys.is_some() || m.queue.is_some());
        let alone = ordered || outgoing.sources.is_empty();
        if !self
            .settle_while(policy, task, tracker, outlet, in_flight, |flights| {
                alone || flights.len() >= UNORDERED_FLIGHTS || flights.iter().any(|f| f.ordered)
            })
            .await?
        {
            return Ok(false);
        }
        if !outgoing.sources.is_empty() {
            let flight = self.launch(outgoing, ordered, outlet).await;
            in_flight.push_back(flight);
            self.note_active(in_flight);
        }
        Ok(true)
    }

    /// Settles the oldest batch in flight while `must` holds for what is in flight. `false`
    /// when the task stopped while settling.
    async fn settle_while(
        &mut self,
        policy: &ErrorPolicy,
        task: &mut dyn SourceTask,
        tracker: &mut OffsetTracker,
        outlet: &Outlet<'_>,
        in_flight: &mut Flights,
        must: impl Fn(&Flights) -> bool,
    ) -> ConnectResult<bool> {
        while !in_flight.is_empty() && must(in_flight) {
            let Some(flight) = in_flight.pop_front() else {
                break;
            };
            let settled = self.settle(policy, task, tracker, flight, outlet).await?;
            self.note_active(in_flight);
            if !settled {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Records travelling, for the `source-record-active-count` metric.
    fn note_active(&self, in_flight: &Flights) {
        let active: usize = in_flight.iter().map(|f| f.sources.len()).sum();
        self.control.metrics.source_active.set(active as i64);
    }

    /// Hands a batch to the producer and lets the send start (the producer builds the
    /// client's messages and passes them to the client's runtime on the first poll); the send
    /// goes on while the loop prepares the next batch.
    async fn launch(&self, outgoing: Outgoing, ordered: bool, outlet: &Outlet<'_>) -> InFlight {
        let Outgoing { sources, messages } = outgoing;
        self.control
            .metrics
            .note_produced(messages.iter().map(|m| m.topic.as_str()));
        let producer = outlet.producer.clone();
        let mut travelling: Pin<Box<dyn Future<Output = Sent> + Send>> = Box::pin(async move {
            let results = producer.send(&messages).await;
            (messages, results)
        });
        let mut first = Some(());
        let arrived = std::future::poll_fn(|cx| {
            Poll::Ready(
                first
                    .take()
                    .and_then(|()| match travelling.as_mut().poll(cx) {
                        Poll::Ready(sent) => Some(sent),
                        Poll::Pending => None,
                    }),
            )
        })
        .await;
        InFlight {
            sources,
            sending: match arrived {
                Some(sent) => Sending::Arrived(sent),
                None => Sending::Travelling(travelling),
            },
            ordered,
        }
    }

    /// Waits for a launched batch and settles it: acknowledged records are delivered, failed
    /// ones sent again (in order, with backoff) until acknowledged — or tolerated, or the task
    /// stops (`false`: what was not acknowledged stays uncommitted and is produced again after
    /// a restart).
    async fn settle(
        &mut self,
        policy: &ErrorPolicy,
        task: &mut dyn SourceTask,
        tracker: &mut OffsetTracker,
        flight: InFlight,
        outlet: &Outlet<'_>,
    ) -> ConnectResult<bool> {
        let mut attempt = 0u32;
        let mut sources = flight.sources;
        let mut first = Some(flight.sending);
        let mut resend = Vec::new();
        loop {
            let (mut messages, mut results) = match first.take() {
                Some(Sending::Arrived(sent)) => sent,
                Some(Sending::Travelling(travelling)) => travelling.await,
                None => {
                    let messages = std::mem::take(&mut resend);
                    let results = outlet.producer.send(&messages).await;
                    (messages, results)
                }
            };
            // A producer owes one result per message; a record left without one is sent again
            // rather than left unacknowledged forever (its partition's position would stall).
            results.resize_with(sources.len(), || {
                Err(ConnectError::retriable("the producer gave no result"))
            });
            // Indexes of what failed retriably, sent again in order.
            let mut failed = Vec::new();
            let mut last_error = None;
            let mut written = 0u64;
            for (index, ((record, ticket), result)) in sources.iter().zip(results).enumerate() {
                match result {
                    Ok(metadata) => {
                        written += 1;
                        self.delivered(task, tracker, record, ticket, Some(&metadata))?;
                    }
                    Err(e) if e.is_retriable() => {
                        last_error = Some(e);
                        failed.push(index);
                    }
                    Err(error) if policy.tolerate_all => {
                        self.control.metrics.record_failures.inc();
                        self.control.metrics.record_errors.inc();
                        let failure = Failure {
                            stage: Stage::RocketmqProduce,
                            class_name: String::new(),
                            error,
                        };
                        let topic = messages[index].topic.clone();
                        let letter = Some(std::mem::take(&mut messages[index]));
                        if !self
                            .tolerate(
                                policy,
                                outlet.dead_letters,
                                record,
                                letter,
                                &topic,
                                &failure,
                            )
                            .await
                        {
                            return Ok(false);
                        }
                        self.delivered(task, tracker, record, ticket, None)?;
                    }
                    Err(e) => {
                        return Err(ConnectError::other(format!(
                            "produce failed (errors.tolerance=none): {e}"
                        )));
                    }
                }
            }
            self.control.metrics.source_write.add(written);
            if failed.is_empty() {
                if attempt > 0 {
                    self.control.recovered();
                }
                return Ok(true);
            }
            attempt += 1;
            self.control.metrics.retries.inc();
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
            // Only the failed records and their messages stay, in their order.
            let mut keep = failed.iter().copied().peekable();
            let mut kept_messages = Vec::with_capacity(failed.len());
            sources = sources
                .into_iter()
                .zip(messages)
                .enumerate()
                .filter_map(|(index, (source, message))| {
                    keep.next_if_eq(&index).map(|_| {
                        kept_messages.push(message);
                        source
                    })
                })
                .collect();
            resend = kept_messages;
        }
    }

    /// Awaits a batch's first attempt and acknowledges what it stored; nothing is sent again
    /// (the task is stopping). What was not stored stays unacknowledged, so the committed
    /// position stays before it and it is produced again after a restart.
    async fn acknowledge_stored(
        &mut self,
        task: &mut dyn SourceTask,
        tracker: &mut OffsetTracker,
        flight: InFlight,
    ) -> ConnectResult<()> {
        let (_, results) = match flight.sending {
            Sending::Arrived(sent) => sent,
            Sending::Travelling(travelling) => travelling.await,
        };
        let mut written = 0u64;
        for ((record, ticket), result) in flight.sources.iter().zip(results) {
            if let Ok(metadata) = result {
                written += 1;
                self.delivered(task, tracker, record, ticket, Some(&metadata))?;
            }
        }
        self.control.metrics.source_write.add(written);
        Ok(())
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
        self.control
            .skipped(policy, failure.stage.as_str(), record, &failure.error);
        match (dead_letters, letter) {
            (Some(dead_letters), Some(letter)) => {
                let origin = origin_of_record(topic, record);
                dead_letters
                    .deliver(&mut self.control, policy, letter, &origin, failure)
                    .await
            }
            _ => true,
        }
    }

    /// A record is through: its position may be committed, and the task hears of it.
    fn delivered(
        &self,
        task: &mut dyn SourceTask,
        tracker: &mut OffsetTracker,
        record: &ConnectRecord,
        ticket: &Ticket,
        metadata: Option<&SendMetadata>,
    ) -> ConnectResult<()> {
        tracker.ack(ticket);
        task.commit_record(record, metadata)
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
        let timeout = self.settings.offset_commit_timeout;
        let started = Instant::now();
        let persisted = commit::persist(&*self.positions, positions, timeout).await?;
        let metrics = &self.control.metrics;
        metrics.commit_time.observe_duration(started.elapsed());
        if persisted {
            metrics.commit_success.inc();
            task.commit().await?;
        } else {
            metrics.commit_failure.inc();
        }
        Ok(())
    }
}
