//! An in-process message queue implementing the ports, for tests of the source and sink
//! loops: topics of 4 queues, key-hash queue selection, consumer groups with committed
//! offsets, and switches to make sends or polls fail (a broker "going away").

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{ConnectError, ConnectResult, SendMetadata};
use parking_lot::Mutex;

use super::routing::queue_for_key;
use super::{
    ConsumeFrom, IncomingMessage, MqClient, MqConsumer, MqProducer, OutgoingMessage, QueueRef,
    TIMESTAMP_PROPERTY,
};

const QUEUES: i32 = 4;
const BROKER: &str = "memory-broker";

#[derive(Debug, Default)]
struct State {
    topics: BTreeMap<String, Vec<Vec<IncomingMessage>>>,
    committed: HashMap<(String, QueueRef), i64>,
    /// Where each topic's queues begin now (the broker deleted what was before).
    heads: HashMap<String, i64>,
}

/// The in-memory cluster; clone it to share.
#[derive(Debug, Clone, Default)]
pub struct MemoryMq {
    state: Arc<Mutex<State>>,
    down: Arc<AtomicBool>,
    ids: Arc<AtomicU64>,
    /// Calls refused while down, so a test can wait until an outage was actually felt.
    refused: Arc<AtomicU64>,
    /// Woken after every send and commit, so a test awaits what it waits for.
    changed: Arc<tokio::sync::Notify>,
    /// How long a send takes (ms) before it is stored: a send that is still travelling when
    /// its caller moves on, as over a network.
    send_delay_ms: Arc<AtomicU64>,
    /// Send calls still to refuse (a broker that drops a request now and then).
    refuse_sends: Arc<AtomicU64>,
    /// The next send stores only this many of its messages, plus one, and fails the rest (a
    /// send that timed out after the broker stored part of it); 0: no such send due.
    store_only: Arc<AtomicU64>,
    /// The next send neither stores nor answers for this many of its last messages (a
    /// producer that breaks its contract of one result per message); 0: none due.
    answer_short: Arc<AtomicU64>,
    /// Send calls under way now, and the most there ever were at once.
    sending: Arc<AtomicU64>,
    most_sending: Arc<AtomicU64>,
    /// The most message body bytes one send call carried.
    largest_send: Arc<AtomicU64>,
}

impl MemoryMq {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every send take `delay` before its messages are stored (or refused).
    pub fn set_send_delay(&self, delay: Duration) {
        self.send_delay_ms.store(
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// Send calls under way now.
    pub fn sends_in_flight(&self) -> u64 {
        self.sending.load(Ordering::SeqCst)
    }

    /// The most send calls that were ever under way at once.
    pub fn most_sends_in_flight(&self) -> u64 {
        self.most_sending.load(Ordering::SeqCst)
    }

    /// The most message body bytes one send call carried.
    pub fn largest_send_bytes(&self) -> u64 {
        self.largest_send.load(Ordering::SeqCst)
    }

    /// Refuses the next `calls` send calls (retriably); later ones work.
    pub fn refuse_sends(&self, calls: u64) {
        self.refuse_sends.store(calls, Ordering::SeqCst);
    }

    /// Makes the next send store only its first `messages` messages and fail the rest
    /// (retriably), as a send cut short after the broker stored part of it.
    pub fn store_only(&self, messages: u64) {
        self.store_only
            .store(messages.saturating_add(1), Ordering::SeqCst);
    }

    /// Makes the next send ignore its last `messages` messages: not stored, and no result for
    /// them (fewer results than messages).
    pub fn answer_short(&self, messages: u64) {
        self.answer_short.store(messages, Ordering::SeqCst);
    }

    /// Makes every send and poll fail retriably (true) or work again (false).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Gives `topic` `queues` queues (keeping what they hold), as a broker does that lost its
    /// topic config and re-created the topic with its default count.
    pub fn resize_topic(&self, topic: &str, queues: usize) {
        self.state
            .lock()
            .topics
            .entry(topic.to_owned())
            .or_default()
            .resize(queues.max(1), Vec::new());
    }

    /// Deletes `topic`'s messages before `offset` in every queue, as a broker does when their
    /// commit-log files pass `fileReservedTime`; offsets of the rest stay.
    pub fn delete_head(&self, topic: &str, offset: i64) {
        self.state.lock().heads.insert(topic.to_owned(), offset);
    }

    /// Every message of `topic`, by queue, in queue order.
    pub fn messages(&self, topic: &str) -> Vec<Vec<IncomingMessage>> {
        self.state
            .lock()
            .topics
            .get(topic)
            .cloned()
            .unwrap_or_default()
    }

    /// The offsets `group` committed.
    pub fn committed(&self, group: &str) -> HashMap<QueueRef, i64> {
        self.state
            .lock()
            .committed
            .iter()
            .filter(|((g, _), _)| g == group)
            .map(|((_, q), o)| (q.clone(), *o))
            .collect()
    }

    /// Sends and polls refused while down so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }

    /// Notified after every send (messages stored, or refused while down) and every commit.
    pub fn changes(&self) -> Arc<tokio::sync::Notify> {
        self.changed.clone()
    }

    fn check_up(&self) -> ConnectResult<()> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            Err(ConnectError::retriable("the broker is unavailable"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl MqProducer for MemoryMq {
    async fn send(&self, messages: &[OutgoingMessage]) -> Vec<ConnectResult<SendMetadata>> {
        let now = self.sending.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_sending.fetch_max(now, Ordering::SeqCst);
        let bytes: usize = messages.iter().map(|m| m.body.len()).sum();
        self.largest_send
            .fetch_max(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::SeqCst);
        let delay = self.send_delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let ignored = usize::try_from(self.answer_short.swap(0, Ordering::SeqCst))
            .unwrap_or(usize::MAX)
            .min(messages.len());
        let results = self.store(&messages[..messages.len() - ignored]);
        self.sending.fetch_sub(1, Ordering::SeqCst);
        self.changed.notify_waiters();
        results
    }
}

impl MemoryMq {
    fn store(&self, messages: &[OutgoingMessage]) -> Vec<ConnectResult<SendMetadata>> {
        let refuse_this = self
            .refuse_sends
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if refuse_this {
            self.refused.fetch_add(1, Ordering::SeqCst);
        }
        if refuse_this || self.check_up().is_err() {
            return messages
                .iter()
                .map(|_| Err(ConnectError::retriable("the broker is unavailable")))
                .collect();
        }
        let storing = match self.store_only.swap(0, Ordering::SeqCst) {
            0 => messages.len(),
            only => usize::try_from(only - 1).unwrap_or(usize::MAX),
        };
        let mut state = self.state.lock();
        let mut round_robin = 0;
        messages
            .iter()
            .enumerate()
            .map(|(index, message)| {
                if index >= storing {
                    return Err(ConnectError::retriable("the send was cut short"));
                }
                let queues = state
                    .topics
                    .entry(message.topic.clone())
                    .or_insert_with(|| vec![Vec::new(); QUEUES as usize]);
                let count = i32::try_from(queues.len()).unwrap_or(QUEUES);
                let queue_id = match (message.queue, &message.keys) {
                    // As the broker: a pinned queue the topic lacks is an error.
                    (Some(pinned), _) if !(0..count).contains(&pinned) => {
                        return Err(ConnectError::retriable(format!(
                            "topic {} has no writable queue {pinned}",
                            message.topic
                        )));
                    }
                    (Some(pinned), _) => pinned,
                    (None, Some(key)) => queue_for_key(key, count),
                    (None, None) => {
                        round_robin = (round_robin + 1) % count;
                        round_robin
                    }
                };
                let queue = &mut queues[queue_id as usize];
                let queue_offset = queue.len() as i64;
                let msg_id = format!("{:016X}", self.ids.fetch_add(1, Ordering::SeqCst));
                queue.push(IncomingMessage {
                    queue: QueueRef {
                        topic: message.topic.clone(),
                        broker_name: BROKER.to_owned(),
                        queue_id,
                    },
                    queue_offset,
                    msg_id: msg_id.clone(),
                    keys: message.keys.clone(),
                    tags: message.tags.clone(),
                    body: message.body.to_vec(),
                    // As the broker stores it: the timestamp is one of the properties.
                    properties: message
                        .timestamp
                        .map(|t| (TIMESTAMP_PROPERTY.to_owned(), t.to_string()))
                        .into_iter()
                        .chain(message.properties.clone())
                        .collect(),
                    born_timestamp: 0,
                });
                Ok(SendMetadata::single(
                    msg_id,
                    message.topic.as_str(),
                    BROKER,
                    queue_id,
                    queue_offset,
                ))
            })
            .collect()
    }
}

/// A consumer that is assigned every queue of its topics.
#[derive(Debug)]
pub struct MemoryConsumer {
    mq: MemoryMq,
    group: String,
    topics: Vec<String>,
    from: ConsumeFrom,
    positions: HashMap<QueueRef, i64>,
    paused: HashSet<QueueRef>,
    batch: usize,
}

impl MemoryConsumer {
    fn queues(&self) -> Vec<QueueRef> {
        let state = self.mq.state.lock();
        self.topics
            .iter()
            .flat_map(|topic| {
                let count = state.topics.get(topic).map_or(QUEUES as usize, Vec::len);
                (0..count).map(move |q| QueueRef {
                    topic: topic.clone(),
                    broker_name: BROKER.to_owned(),
                    queue_id: i32::try_from(q).unwrap_or(0),
                })
            })
            .collect()
    }
}

#[async_trait]
impl MqConsumer for MemoryConsumer {
    async fn poll(&mut self, timeout: Duration) -> ConnectResult<Vec<IncomingMessage>> {
        self.mq.check_up()?;
        let mut out = Vec::new();
        for queue in self.queues() {
            if self.paused.contains(&queue) {
                continue;
            }
            let state = self.mq.state.lock();
            let messages = state
                .topics
                .get(&queue.topic)
                .and_then(|q| q.get(queue.queue_id as usize));
            let len = messages.map_or(0, |m| m.len() as i64);
            let head = state.heads.get(&queue.topic).copied().unwrap_or(0).min(len);
            let start = *self.positions.entry(queue.clone()).or_insert_with(|| {
                state
                    .committed
                    .get(&(self.group.clone(), queue.clone()))
                    .copied()
                    .unwrap_or(match self.from {
                        ConsumeFrom::FirstOffset => 0,
                        ConsumeFrom::LastOffset => len,
                    })
            });
            // As the broker: a position before the head reads from the head.
            let start = start.max(head);
            if let Some(messages) = messages {
                let take = (self.batch - out.len()).min(usize::try_from(len - start).unwrap_or(0));
                // As the broker does: every pulled message says where its queue ends.
                out.extend(
                    messages
                        .iter()
                        .skip(usize::try_from(start).unwrap_or(0))
                        .take(take)
                        .map(|m| {
                            let mut m = m.clone();
                            m.properties
                                .insert("MAX_OFFSET".to_owned(), len.to_string());
                            m
                        }),
                );
                self.positions.insert(queue.clone(), start + take as i64);
            }
            if out.len() >= self.batch {
                break;
            }
        }
        if out.is_empty() {
            tokio::time::sleep(timeout.min(Duration::from_millis(20))).await;
        }
        Ok(out)
    }

    async fn commit(&mut self, offsets: &HashMap<QueueRef, i64>) -> ConnectResult<()> {
        self.mq.check_up()?;
        {
            let mut state = self.mq.state.lock();
            for (queue, offset) in offsets {
                state
                    .committed
                    .insert((self.group.clone(), queue.clone()), *offset);
            }
        }
        self.mq.changed.notify_waiters();
        Ok(())
    }

    async fn seek(&mut self, queue: &QueueRef, offset: i64) -> ConnectResult<()> {
        self.positions.insert(queue.clone(), offset);
        Ok(())
    }

    async fn pause(&mut self, queues: &[QueueRef]) {
        self.paused.extend(queues.iter().cloned());
    }

    async fn resume(&mut self, queues: &[QueueRef]) {
        for queue in queues {
            self.paused.remove(queue);
        }
    }

    async fn assignment(&mut self) -> HashSet<QueueRef> {
        self.queues().into_iter().collect()
    }

    async fn close(&mut self) {}
}

#[async_trait]
impl MqClient for MemoryMq {
    async fn producer(&self, _group: &str) -> ConnectResult<Arc<dyn MqProducer>> {
        Ok(Arc::new(self.clone()))
    }

    async fn ensure_topic(&self, topic: &str, queues: i32) -> ConnectResult<()> {
        self.check_up()?;
        let queues = usize::try_from(queues.max(1)).unwrap_or(1);
        self.state
            .lock()
            .topics
            .entry(topic.to_owned())
            .or_insert_with(|| vec![Vec::new(); queues]);
        Ok(())
    }

    async fn reader(
        &self,
        name: &str,
        topic: &str,
        from: ConsumeFrom,
    ) -> ConnectResult<Box<dyn MqConsumer>> {
        // A group of its own, never committed: the consumer reads every queue from `from`.
        static READERS: AtomicU64 = AtomicU64::new(0);
        let group = format!("{name}-reader-{}", READERS.fetch_add(1, Ordering::Relaxed));
        self.consumer(&group, &[topic.to_owned()], from).await
    }

    async fn consumer(
        &self,
        group: &str,
        topics: &[String],
        from: ConsumeFrom,
    ) -> ConnectResult<Box<dyn MqConsumer>> {
        Ok(Box::new(MemoryConsumer {
            mq: self.clone(),
            group: group.to_owned(),
            topics: topics.to_vec(),
            from,
            positions: HashMap::new(),
            paused: HashSet::new(),
            batch: 32,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Produced messages are consumed from the first offset, committed offsets are resumed.
    /// A pinned queue goes where it says, even against the key; a queue the topic lacks is a
    /// retriable error (as the broker answers), never another queue.
    #[tokio::test]
    async fn pinned_queues_are_honoured_or_refused() {
        let mq = MemoryMq::new();
        mq.ensure_topic("t", 2).await.unwrap();
        let pinned = |queue: i32| OutgoingMessage {
            topic: "t".into(),
            keys: Some("hashes-anywhere".into()),
            body: b"x".to_vec().into(),
            queue: Some(queue),
            ..OutgoingMessage::default()
        };
        let sent = mq.send(&[pinned(1), pinned(2), pinned(-1)]).await;
        assert_eq!(sent[0].as_ref().unwrap().queue_id(), 1);
        for refused in &sent[1..] {
            let error = refused.as_ref().unwrap_err();
            assert!(error.is_retriable(), "{error}");
            assert!(error.to_string().contains("no writable queue"), "{error}");
        }
        assert_eq!(mq.messages("t").iter().map(Vec::len).sum::<usize>(), 1);
    }

    #[tokio::test]
    async fn produce_consume_commit_resume() {
        let mq = MemoryMq::new();
        let message = |k: &str| OutgoingMessage {
            topic: "t".into(),
            keys: Some(k.into()),
            tags: None,
            body: k.as_bytes().to_vec().into(),
            timestamp: None,
            properties: BTreeMap::new(),
            queue: None,
        };
        let sent = mq.send(&[message("a"), message("b"), message("a")]).await;
        assert_eq!(
            sent[0].as_ref().unwrap().queue_id(),
            sent[2].as_ref().unwrap().queue_id()
        );
        let mut consumer = mq
            .consumer("g", &["t".to_owned()], ConsumeFrom::FirstOffset)
            .await
            .unwrap();
        let got = consumer.poll(Duration::from_millis(1)).await.unwrap();
        assert_eq!(got.len(), 3);
        let offsets: HashMap<QueueRef, i64> = got
            .iter()
            .map(|m| (m.queue.clone(), m.queue_offset + 1))
            .collect();
        consumer.commit(&offsets).await.unwrap();
        let mut again = mq
            .consumer("g", &["t".to_owned()], ConsumeFrom::FirstOffset)
            .await
            .unwrap();
        assert!(
            again
                .poll(Duration::from_millis(1))
                .await
                .unwrap()
                .is_empty()
        );
        mq.set_down(true);
        assert!(
            again
                .poll(Duration::from_millis(1))
                .await
                .unwrap_err()
                .is_retriable()
        );
    }
}
