//! The producer: messages grouped by target queue and sent as batches (each written by
//! `wire.rs` and sent with `send_to_queue_with_timeout`), the queues of one call concurrently,
//! the batches of one queue in order.
//!
//! Per-key order survives retries: a keyed message goes to `queue_for_key(key)` of the topic's
//! sorted queues, and once a batch of a queue failed nothing later of that queue is sent in the
//! same call — the caller resends the failed messages, in order.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{ConnectError, ConnectResult, SendMetadata, SentBatch};
use connect_dataplane::mq::routing::{java_hash, queue_for_hash};
use connect_dataplane::mq::{MqProducer, OutgoingMessage};
use rocketmq_client_rust::DefaultMQProducer;
use rocketmq_model::message::MessageQueue;
use tokio::runtime::Handle;
use tokio::task::JoinSet;

use super::wire::{EncodedBatch, WireMessage, encode_batch};
use super::{client_error, on_client};

/// How long one batch send may take.
const SEND_TIMEOUT_MS: u64 = 3000;
/// Queues of a topic created on demand (RocketMQ's default).
pub const NEW_TOPIC_QUEUES: i32 = 4;
/// Largest batch, in messages and in encoded bytes; the broker takes 4 MiB.
const BATCH_MESSAGES: usize = 512;
const BATCH_BYTES: usize = 1 << 20;

/// Topic routes: the sorted writable queues per topic, and whether missing topics are created.
#[derive(Debug)]
pub struct Routes {
    cache: parking_lot::Mutex<HashMap<String, Vec<MessageQueue>>>,
    /// Topics this process has seen a route for. Such a topic exists even when the name server
    /// has no route for it for a while (a restarted broker registers again): creating it then
    /// would reset its queue count.
    known: parking_lot::Mutex<HashSet<String>>,
    auto_create: bool,
}

impl Routes {
    pub fn new(auto_create: bool) -> Self {
        Self {
            cache: parking_lot::Mutex::new(HashMap::new()),
            known: parking_lot::Mutex::new(HashSet::new()),
            auto_create,
        }
    }

    fn forget(&self, topic: &str) {
        self.cache.lock().remove(topic);
    }

    /// The topic's writable queues, sorted by (broker, queue id); a missing topic is created
    /// with `new_queues` queues when auto-creation is on, else it is an error (retriable: the
    /// topic may be created by an operator meanwhile).
    pub async fn queues(
        &self,
        producer: &DefaultMQProducer,
        topic: &str,
        new_queues: i32,
    ) -> ConnectResult<Vec<MessageQueue>> {
        if let Some(queues) = self.cache.lock().get(topic) {
            return Ok(queues.clone());
        }
        // The producer is shared by every task of its group; a clone shares its client, so a
        // lookup holds nothing other tasks' sends wait for.
        let mut created = false;
        // A new topic's route reaches the name server with the broker's next registration:
        // poll for it briefly and often (up to ~10 s).
        for _ in 0..500 {
            let fetched = producer.clone().fetch_publish_message_queues(topic).await;
            match fetched {
                Ok(mut queues) if !queues.is_empty() => {
                    queues.sort_by(|a, b| {
                        (a.broker_name().as_str(), a.queue_id())
                            .cmp(&(b.broker_name().as_str(), b.queue_id()))
                    });
                    self.cache.lock().insert(topic.to_owned(), queues.clone());
                    self.known.lock().insert(topic.to_owned());
                    return Ok(queues);
                }
                _ if self.known.lock().contains(topic) => {
                    return Err(ConnectError::retriable(format!(
                        "topic {topic} was routed before and has no route at the name server now: \
                         the broker may be restarting, or the topic was deleted (then create it \
                         again, with its queue count; it is not re-created here because that \
                         would reset its queues)"
                    )));
                }
                _ if !self.auto_create => {
                    return Err(ConnectError::retriable(format!(
                        "topic {topic} does not exist and autoCreateTopicEnable=false: create it"
                    )));
                }
                _ if !created => {
                    created = true;
                    producer
                        .clone()
                        .create_topic("TBW102", topic, new_queues, HashMap::new())
                        .await
                        .map_err(|e| client_error(&format!("cannot create topic {topic}"), e))?;
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        Err(ConnectError::retriable(format!(
            "topic {topic} has no route yet"
        )))
    }
}

/// A producer of one producer group.
pub struct RocketProducer {
    pub(super) handle: Handle,
    pub(super) producer: DefaultMQProducer,
    pub(super) routes: Arc<Routes>,
    /// Where this producer's unkeyed messages go.
    pub(super) sticky: parking_lot::Mutex<Sticky>,
}

/// Unkeyed messages go in whole batches, batch after batch to the topic's queues in turn. A
/// call's unkeyed messages are cut into as few batches as `BATCH_MESSAGES` and `BATCH_BYTES`
/// allow, of equal counts: the broker's cost per message falls with the size of the batch
/// it stores (mq-bench, 1000-line polls: 4.1 µs of broker CPU per message when batches were
/// filled across calls, so most were cut at a call's edge; 3.1 µs with 2048-line polls,
/// whole batches of 512; 2.9 µs for the raw producer's 512), and equal cuts give every
/// queue the same share over time whatever the calls' sizes (cuts of 512 and the rest would
/// give every other queue only the rests).
#[derive(Debug)]
pub(super) struct Sticky {
    /// The next batch, counted from a random start (producers do not all begin on the same
    /// queue); its queue is `batch % queue count`.
    batch: usize,
}

impl Sticky {
    pub(super) fn new() -> Self {
        let start = std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), 0u8);
        Self {
            #[allow(clippy::cast_possible_truncation, reason = "any start will do")]
            batch: start as usize,
        }
    }

    /// The batches of a call's `count` unkeyed messages of `bytes` in all: the batch of the
    /// `n`th (from 0) is `first + n * batches / count`.
    fn take(&mut self, count: usize, bytes: usize) -> Cut {
        // Never more batches than messages: a message over BATCH_BYTES is a batch of its own
        // (the lane cuts by size again), and a batch number left empty would skip a queue.
        let batches = count
            .div_ceil(BATCH_MESSAGES)
            .max(bytes.div_ceil(BATCH_BYTES))
            .clamp(1, count.max(1));
        let first = self.batch;
        self.batch = self.batch.wrapping_add(batches);
        Cut {
            first,
            batches,
            count,
        }
    }
}

/// A call's unkeyed messages cut into equal batches (see [`Sticky::take`]).
#[derive(Debug, Clone, Copy)]
struct Cut {
    first: usize,
    batches: usize,
    count: usize,
}

impl Cut {
    /// The batch of the `n`th unkeyed message.
    fn batch(self, n: usize) -> usize {
        self.first
            .wrapping_add(n * self.batches / self.count.max(1))
    }
}

/// Where a message goes among its topic's queues.
#[derive(Debug, Clone, Copy)]
enum Placement {
    /// The queue with this id (control topics).
    Pinned(i32),
    /// By the Java `hashCode` of its key.
    Keyed(i32),
    /// The batch it belongs to (see [`Sticky`]): while the call is prepared, the message's
    /// place among the call's unkeyed messages.
    Unkeyed(usize),
}

impl std::fmt::Debug for RocketProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocketProducer").finish_non_exhaustive()
    }
}

/// A call's messages on the client's runtime, shared by its lanes: the prepared messages, and
/// their positions grouped by lane (each lane a run of `order`). Lanes read the messages in
/// place; nothing is moved into per-queue vectors.
struct Call {
    prepared: Vec<Prepared>,
    order: Vec<u32>,
}

impl Call {
    fn message(&self, position: u32) -> &WireMessage {
        &self.prepared[position as usize].message
    }
}

/// What one batch of a lane came to: the batch's run of [`Call::order`] and where it was
/// stored, or why not.
type BatchOutcome = (Range<usize>, Result<Arc<SentBatch>, ConnectError>);

/// Sends one lane (a run of the call's `order`, all for `queue`) in order, batch by batch;
/// after a failure the rest of the lane is not sent (so a resend keeps the order).
async fn send_lane(
    producer: DefaultMQProducer,
    queue: MessageQueue,
    call: Arc<Call>,
    lane: Range<usize>,
) -> (MessageQueue, bool, Vec<BatchOutcome>) {
    let positions = &call.order[lane.clone()];
    let mut batches = Vec::with_capacity(positions.len().div_ceil(BATCH_MESSAGES));
    let mut failure: Option<ConnectError> = None;
    let mut start = 0;
    while start < positions.len() {
        let (mut end, mut bytes) = (start, 0);
        while let Some(&position) = positions.get(end) {
            let size = call.message(position).size();
            if end > start && (end - start >= BATCH_MESSAGES || bytes + size > BATCH_BYTES) {
                break;
            }
            bytes += size;
            end += 1;
        }
        let run = lane.start + start..lane.start + end;
        let batch = &positions[start..end];
        start = end;
        if let Some(e) = &failure {
            batches.push((
                run,
                Err(ConnectError::retriable(format!(
                    "not sent: an earlier message for its queue failed ({e})"
                ))),
            ));
            continue;
        }
        let EncodedBatch {
            batch: encoded,
            ids,
        } = encode_batch(
            queue.topic_str(),
            batch.iter().map(|&position| call.message(position)),
        );
        // Boxed: the client's send future is kilobytes, and inline it would be copied with
        // this lane's task at every spawn and poll.
        let sent =
            Box::pin(producer.send_to_queue_with_timeout(encoded, queue.clone(), SEND_TIMEOUT_MS))
                .await;
        let outcome = match sent {
            Ok(Some(result)) => Ok(Arc::new(SentBatch {
                topic: queue.topic_str().to_owned(),
                broker_name: queue.broker_name().as_str().to_owned(),
                queue_id: queue.queue_id(),
                first_offset: i64::try_from(result.queue_offset).unwrap_or(i64::MAX),
                ids,
            })),
            Ok(None) => Err(ConnectError::retriable(
                "send failed: the client returned no result",
            )),
            Err(e) => Err(client_error("send failed", e)),
        };
        if let Err(e) = &outcome {
            failure = Some(e.clone());
        }
        batches.push((run, outcome));
    }
    (queue, failure.is_some(), batches)
}

/// A message built on the caller's thread, ready to route.
struct Prepared {
    index: usize,
    topic: Arc<str>,
    placement: Placement,
    message: WireMessage,
}

impl RocketProducer {
    /// Runs on the client runtime.
    async fn send_all(
        producer: DefaultMQProducer,
        routes: Arc<Routes>,
        mut results: Vec<Option<ConnectResult<SendMetadata>>>,
        prepared: Vec<Prepared>,
    ) -> Vec<ConnectResult<SendMetadata>> {
        // Each routed message's lane (its topic's place in `route_of`, its queue's slot) and
        // its position in `prepared`.
        let mut routed: Vec<(u32, u32, u32)> = Vec::with_capacity(prepared.len());
        // Each topic's route, looked up once per call (a call nearly always names one topic)
        // and kept for the whole call even when it failed or looks stale, so that every message
        // of a key meets the same queues (`forget` makes the next call look again).
        let mut route_of: Vec<(Arc<str>, ConnectResult<Vec<MessageQueue>>)> = Vec::new();
        let mut last = 0;
        for (position, item) in prepared.iter().enumerate() {
            let known = route_of
                .get(last)
                .filter(|(topic, _)| *topic == item.topic)
                .map(|_| last)
                .or_else(|| route_of.iter().position(|(topic, _)| *topic == item.topic));
            last = match known {
                Some(at) => at,
                None => {
                    // Boxed, as the lane's send: the lookup's future is large and rarely run.
                    let found =
                        Box::pin(routes.queues(&producer, &item.topic, NEW_TOPIC_QUEUES)).await;
                    route_of.push((item.topic.clone(), found));
                    route_of.len() - 1
                }
            };
            let queues = match &route_of[last].1 {
                Ok(queues) => queues,
                Err(e) => {
                    results[item.index] = Some(Err(e.clone()));
                    continue;
                }
            };
            let slot = match item.placement {
                Placement::Pinned(pinned) => {
                    match queues.iter().position(|q| q.queue_id() == pinned) {
                        Some(slot) => slot,
                        None => {
                            results[item.index] = Some(Err(ConnectError::retriable(format!(
                                "topic {} has no writable queue {pinned}",
                                item.topic
                            ))));
                            // The cached route may be stale: look it up again next call.
                            routes.forget(&item.topic);
                            continue;
                        }
                    }
                }
                Placement::Keyed(hash) => {
                    let count = i32::try_from(queues.len()).unwrap_or(i32::MAX);
                    usize::try_from(queue_for_hash(hash, count)).unwrap_or(0)
                }
                Placement::Unkeyed(batch) => batch % queues.len(),
            };
            // A call holds at most a few thousand messages, topics and queues.
            #[allow(clippy::cast_possible_truncation, reason = "see above")]
            routed.push((last as u32, slot as u32, position as u32));
        }
        // Lanes as runs: a stable sort keeps each lane's messages in the caller's order (and
        // costs one pass when, as usual, they already come lane by lane).
        routed.sort_by_key(|&(route, slot, _)| (route, slot));
        let mut lanes: Vec<(MessageQueue, Range<usize>)> = Vec::new();
        for (at, &(route, slot, _)) in routed.iter().enumerate() {
            let same = at > 0 && (routed[at - 1].0, routed[at - 1].1) == (route, slot);
            match lanes.last_mut() {
                Some((_, run)) if same => run.end = at + 1,
                _ => {
                    if let (_, Ok(queues)) = &route_of[route as usize] {
                        lanes.push((queues[slot as usize].clone(), at..at + 1));
                    }
                }
            }
        }
        let call = Arc::new(Call {
            prepared,
            order: routed
                .into_iter()
                .map(|(_, _, position)| position)
                .collect(),
        });
        let mut running = JoinSet::new();
        for (queue, lane) in lanes {
            running.spawn(send_lane(producer.clone(), queue, call.clone(), lane));
        }
        while let Some(joined) = running.join_next().await {
            match joined {
                Ok((queue, failed, batches)) => {
                    if failed {
                        // The route may have changed (a broker restarted): look it up again.
                        routes.forget(queue.topic_str());
                    }
                    for (run, outcome) in batches {
                        for (at, &position) in call.order[run].iter().enumerate() {
                            let index = call.prepared[position as usize].index;
                            results[index] = Some(match &outcome {
                                Ok(sent) => Ok(SendMetadata::new(sent.clone(), at)),
                                Err(e) => Err(e.clone()),
                            });
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "a send lane panicked"),
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(ConnectError::retriable("not sent"))))
            .collect()
    }
}

impl RocketProducer {
    /// Builds the messages' wire form and placement on the caller's thread; a message that
    /// cannot be sent gets its error in the returned results.
    #[allow(
        clippy::type_complexity,
        reason = "a private pair of the call's two halves"
    )]
    fn prepare(
        &self,
        messages: &[OutgoingMessage],
    ) -> (Vec<Option<ConnectResult<SendMetadata>>>, Vec<Prepared>) {
        let mut results: Vec<Option<ConnectResult<SendMetadata>>> = vec![None; messages.len()];
        let mut prepared = Vec::with_capacity(messages.len());
        let mut topic: Option<Arc<str>> = None;
        let (mut unkeyed, mut unkeyed_bytes) = (0, 0);
        for (index, (message, wire)) in messages.iter().zip(WireMessage::all(messages)).enumerate()
        {
            let topic = match &topic {
                Some(known) if **known == *message.topic => known.clone(),
                _ => topic.insert(message.topic.as_str().into()).clone(),
            };
            match wire {
                Ok(wire) => prepared.push(Prepared {
                    index,
                    topic,
                    placement: match (message.queue, &message.keys) {
                        (Some(pinned), _) => Placement::Pinned(pinned),
                        (None, Some(keys)) => Placement::Keyed(java_hash(keys)),
                        (None, None) => {
                            unkeyed += 1;
                            unkeyed_bytes += wire.size();
                            Placement::Unkeyed(unkeyed - 1)
                        }
                    },
                    message: wire,
                }),
                Err(e) => results[index] = Some(Err(e)),
            }
        }
        if unkeyed > 0 {
            let cut = self.sticky.lock().take(unkeyed, unkeyed_bytes);
            for item in &mut prepared {
                if let Placement::Unkeyed(n) = &mut item.placement {
                    *n = cut.batch(*n);
                }
            }
        }
        (results, prepared)
    }
}

#[async_trait]
impl MqProducer for RocketProducer {
    async fn send(&self, messages: &[OutgoingMessage]) -> Vec<ConnectResult<SendMetadata>> {
        let (results, prepared) = self.prepare(messages);
        let sent = on_client(
            &self.handle,
            Self::send_all(
                self.producer.clone(),
                self.routes.clone(),
                results,
                prepared,
            ),
        )
        .await;
        match sent {
            Ok(results) => results,
            Err(e) => messages.iter().map(|_| Err(e.clone())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call's unkeyed messages go in as few batches as the limits allow, of equal counts,
    /// and the batches take the queues in turn: whatever the calls' sizes, the queues' shares
    /// stay within a batch of each other.
    #[test]
    fn unkeyed_calls_are_cut_into_equal_batches_that_take_the_queues_in_turn() {
        const QUEUES: usize = 4;
        let mut sticky = Sticky::new();
        let start = sticky.batch;
        // 1000 small messages: two batches of 500, not 512 and 488.
        let cut = sticky.take(1000, 100_000);
        let per_batch = |cut: Cut| {
            let mut sizes = std::collections::BTreeMap::new();
            for n in 0..cut.count {
                *sizes.entry(cut.batch(n)).or_insert(0usize) += 1;
            }
            sizes
        };
        assert_eq!(
            per_batch(cut).into_iter().collect::<Vec<_>>(),
            [(start, 500), (start.wrapping_add(1), 500)]
        );
        // 2048: four whole batches of 512; the next call starts on the next batch.
        let cut = sticky.take(2048, 204_800);
        assert_eq!(cut.first, start.wrapping_add(2));
        assert!(per_batch(cut).values().all(|&n| n == BATCH_MESSAGES));
        // Large messages: as many batches as BATCH_BYTES needs (5 MiB in 50: five or six).
        let cut = sticky.take(50, 5 << 20);
        assert_eq!(cut.batches, 5);
        assert!(per_batch(cut).values().all(|&n| n == 10));
        // Calls of 600 (cut 512 + 88, every other queue would get only the 88s): the
        // queues' shares stay within one batch of each other.
        let mut per_queue = [0usize; QUEUES];
        for _ in 0..200 {
            let cut = sticky.take(600, 60_000);
            for n in 0..600 {
                per_queue[cut.batch(n) % QUEUES] += 1;
            }
        }
        let (least, most) = (per_queue.iter().min(), per_queue.iter().max());
        assert!(
            most.zip(least)
                .is_some_and(|(m, l)| m - l <= BATCH_MESSAGES),
            "{per_queue:?}"
        );
        // One message: one batch of its own.
        let cut = sticky.take(1, 100);
        assert_eq!((cut.batches, cut.batch(0)), (1, cut.first));
        // Messages over BATCH_BYTES: one batch each, and no batch number (queue) skipped.
        let cut = sticky.take(2, 3 * BATCH_BYTES);
        assert_eq!(
            [cut.batch(0), cut.batch(1)],
            [cut.first, cut.first.wrapping_add(1)]
        );
        assert_eq!(
            sticky.take(1, 3 * BATCH_BYTES).first,
            cut.first.wrapping_add(2)
        );
    }
}
