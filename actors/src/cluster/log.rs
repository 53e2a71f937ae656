//! [`ReplicatedLog`]: a deterministic state machine replicated through a one-queue topic.
//!
//! Every worker appends operations to the topic and applies *every* operation it reads, in
//! topic order, to its own copy of the state. The topic is the sequencer: all workers apply the
//! same operations in the same order, so they reach the same state, and an operation's effect
//! is decided when it is applied (e.g. a position commit from a fenced owner is refused by
//! every worker alike). An append returns once this worker has read its own operation back,
//! with the outcome the state machine gave it.
//!
//! Operations carry a unique id: a send that timed out is sent again under the same id, and a
//! copy that was stored twice is applied once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use connect_api::{ConnectError, ConnectResult};
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use connect_dataplane::mq::{ConsumeFrom, MqClient, MqConsumer, MqProducer, OutgoingMessage};

/// All control messages go to queue 0, so the topic is totally ordered even when someone
/// created it (or a broker that lost its topic config re-created it) with more queues.
const CONTROL_QUEUE: i32 = 0;
/// The key control messages carry (for operators browsing the topic).
const CONTROL_KEY: &str = "connect-control";
/// Ids remembered for deduplication (a resent copy lands close to the first one).
const SEEN_IDS: usize = 16_384;
/// How long an append waits to read its operation back before sending it again.
const RESEND_AFTER: Duration = Duration::from_secs(3);

/// The replicated state: applies operations in log order, deterministically.
pub trait StateMachine: Send + 'static {
    type Op: Serialize + DeserializeOwned + Send + Sync + Debug + 'static;
    type Outcome: Clone + Send + Debug + 'static;
    /// Applies `op`, read at `offset` of the topic. Must depend only on the state and `op`.
    fn apply(&mut self, offset: i64, op: &Self::Op) -> Self::Outcome;
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope<Op> {
    id: String,
    body: Body<Op>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Body<Op> {
    Op(Op),
    /// Changes nothing; reading it back proves everything before it was applied.
    Barrier,
}

/// What an append did: where it landed and what the state machine said.
#[derive(Debug, Clone)]
pub struct Applied<O> {
    pub offset: i64,
    pub outcome: O,
}

type Waiter<O> = oneshot::Sender<(i64, Option<O>)>;
type Listener<S> = Box<dyn Fn(&S) + Send>;

struct Inner<S: StateMachine> {
    topic: String,
    origin: String,
    counter: AtomicU64,
    producer: Arc<dyn MqProducer>,
    state: Mutex<S>,
    waiters: Mutex<HashMap<String, Waiter<S::Outcome>>>,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
    listener: Mutex<Option<Listener<S>>>,
    closed: AtomicBool,
}

/// A state machine replicated through `topic`; clone to share.
pub struct ReplicatedLog<S: StateMachine> {
    inner: Arc<Inner<S>>,
}

impl<S: StateMachine> Clone for ReplicatedLog<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<S: StateMachine> Debug for ReplicatedLog<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicatedLog")
            .field("topic", &self.inner.topic)
            .finish_non_exhaustive()
    }
}

impl<S: StateMachine> ReplicatedLog<S> {
    /// Creates the topic if needed (one queue), starts reading it from its beginning on the
    /// current actix arbiter, and waits until everything already in it has been applied.
    /// `origin` makes operation ids unique (worker id and incarnation).
    pub async fn open(
        client: &Arc<dyn MqClient>,
        topic: &str,
        reader_group: &str,
        origin: &str,
        initial: S,
    ) -> ConnectResult<Self> {
        client.ensure_topic(topic, 1).await?;
        let producer = client.producer(&format!("{reader_group}-producer")).await?;
        let reader = client
            .reader(reader_group, topic, ConsumeFrom::FirstOffset)
            .await?;
        let log = Self {
            inner: Arc::new(Inner {
                topic: topic.to_owned(),
                origin: origin.to_owned(),
                counter: AtomicU64::new(0),
                producer,
                state: Mutex::new(initial),
                waiters: Mutex::new(HashMap::new()),
                seen: Mutex::new((HashSet::new(), VecDeque::new())),
                listener: Mutex::new(None),
                closed: AtomicBool::new(false),
            }),
        };
        actix::spawn(log.clone().tail(reader));
        log.barrier(Duration::from_secs(60)).await?;
        Ok(log)
    }

    /// Calls `listener` with the state after every batch of applied operations.
    pub fn on_change(&self, listener: impl Fn(&S) + Send + 'static) {
        *self.inner.listener.lock() = Some(Box::new(listener));
    }

    /// Reads the state.
    pub fn read<T>(&self, f: impl FnOnce(&S) -> T) -> T {
        f(&self.inner.state.lock())
    }

    /// Stops reading (appends still send; nobody will see their outcome).
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
    }

    /// Appends `op`; returns once it has been applied here, with its outcome. Retries sends
    /// (the same id) until `deadline` passes.
    pub async fn append(
        &self,
        op: S::Op,
        deadline: Duration,
    ) -> ConnectResult<Applied<S::Outcome>> {
        let (offset, outcome) = self.send_until_read(Body::Op(op), deadline).await?;
        outcome
            .map(|outcome| Applied { offset, outcome })
            .ok_or_else(|| ConnectError::other("an operation came back as a barrier"))
    }

    /// Returns once everything appended before this call (by anyone) has been applied here.
    pub async fn barrier(&self, deadline: Duration) -> ConnectResult<i64> {
        self.send_until_read(Body::Barrier, deadline)
            .await
            .map(|(offset, _)| offset)
    }

    /// [`append`](Self::append) for blocking callers (the stores' sync-arbiter threads): runs
    /// the append on `arbiter` and waits for it.
    pub fn append_blocking(
        &self,
        arbiter: &actix::ArbiterHandle,
        op: S::Op,
        deadline: Duration,
    ) -> ConnectResult<Applied<S::Outcome>> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let log = self.clone();
        let spawned = arbiter.spawn(async move {
            let _ = tx.send(log.append(op, deadline).await);
        });
        if !spawned {
            return Err(ConnectError::other("the worker is stopping"));
        }
        rx.recv_timeout(deadline + Duration::from_secs(1))
            .unwrap_or_else(|_| {
                Err(ConnectError::retriable(format!(
                    "no answer from the {} log",
                    self.inner.topic
                )))
            })
    }

    async fn send_until_read(
        &self,
        body: Body<S::Op>,
        deadline: Duration,
    ) -> ConnectResult<(i64, Option<S::Outcome>)> {
        let inner = &self.inner;
        let id = format!(
            "{}-{}",
            inner.origin,
            inner.counter.fetch_add(1, Ordering::Relaxed)
        );
        let body = serde_json::to_vec(&Envelope {
            id: id.clone(),
            body,
        })
        .map_err(|e| ConnectError::other(format!("cannot encode a control record: {e}")))?;
        let message = OutgoingMessage {
            topic: inner.topic.clone(),
            keys: Some(CONTROL_KEY.to_owned()),
            body: body.into(),
            queue: Some(CONTROL_QUEUE),
            ..OutgoingMessage::default()
        };
        let (tx, mut rx) = oneshot::channel();
        inner.waiters.lock().insert(id.clone(), tx);
        let give_up = Instant::now() + deadline;
        let mut last_error = String::from("no answer");
        loop {
            match inner
                .producer
                .send(std::slice::from_ref(&message))
                .await
                .pop()
            {
                Some(Ok(_)) => {
                    let wait = RESEND_AFTER.min(give_up.saturating_duration_since(Instant::now()));
                    match tokio::time::timeout(wait, &mut rx).await {
                        Ok(Ok(applied)) => return Ok(applied),
                        Ok(Err(_)) => break,
                        Err(_) => last_error = "sent but not read back".to_owned(),
                    }
                }
                Some(Err(e)) => {
                    last_error = e.to_string();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                None => break,
            }
            if Instant::now() >= give_up {
                break;
            }
        }
        inner.waiters.lock().remove(&id);
        Err(ConnectError::retriable(format!(
            "the {} log did not take a record in {deadline:?}: {last_error}",
            inner.topic
        )))
    }

    /// Reads the topic forever, applying operations in order.
    async fn tail(self, mut reader: Box<dyn MqConsumer>) {
        let inner = &self.inner;
        while !inner.closed.load(Ordering::SeqCst) {
            let messages = match reader.poll(Duration::from_millis(500)).await {
                Ok(messages) => messages,
                Err(e) => {
                    tracing::warn!(topic = %inner.topic, error = %e, "reading the control log failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            if messages.is_empty() {
                continue;
            }
            let mut changed = false;
            for message in messages {
                if message.queue.queue_id != CONTROL_QUEUE {
                    // Written by an older worker (records went where the key hashed) or another
                    // tool: applied, but the order against queue 0 is not defined.
                    tracing::warn!(topic = %inner.topic, queue = message.queue.queue_id, offset = message.queue_offset, "a control record outside queue 0: re-create the topic with one queue if replicas disagree");
                }
                let envelope: Envelope<S::Op> = match serde_json::from_slice(&message.body) {
                    Ok(envelope) => envelope,
                    Err(e) => {
                        tracing::warn!(topic = %inner.topic, offset = message.queue_offset, error = %e, "skipping a record this worker cannot read");
                        continue;
                    }
                };
                if !self.first_sighting(&envelope.id) {
                    continue;
                }
                let outcome = match &envelope.body {
                    Body::Op(op) => {
                        changed = true;
                        Some(inner.state.lock().apply(message.queue_offset, op))
                    }
                    Body::Barrier => None,
                };
                if let Some(waiter) = inner.waiters.lock().remove(&envelope.id) {
                    let _ = waiter.send((message.queue_offset, outcome));
                }
            }
            if changed && let Some(listener) = inner.listener.lock().as_ref() {
                listener(&inner.state.lock());
            }
        }
        reader.close().await;
    }

    fn first_sighting(&self, id: &str) -> bool {
        let mut seen = self.inner.seen.lock();
        let (set, order) = &mut *seen;
        if !set.insert(id.to_owned()) {
            return false;
        }
        order.push_back(id.to_owned());
        if order.len() > SEEN_IDS
            && let Some(old) = order.pop_front()
        {
            set.remove(&old);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_dataplane::mq::memory::MemoryMq;

    /// Sums what it reads; the outcome is the running total.
    #[derive(Debug, Default)]
    struct Sum(i64);

    impl StateMachine for Sum {
        type Op = i64;
        type Outcome = i64;
        fn apply(&mut self, _offset: i64, op: &i64) -> i64 {
            self.0 += op;
            self.0
        }
    }

    async fn open(mq: &MemoryMq, worker: &str) -> ReplicatedLog<Sum> {
        let client: Arc<dyn MqClient> = Arc::new(mq.clone());
        ReplicatedLog::open(&client, "control", worker, worker, Sum::default())
            .await
            .unwrap()
    }

    /// Two workers appending at once end with the same state; a record nobody can read is
    /// skipped; a record stored twice (a resend) is applied once; a late joiner replays it all.
    #[actix_rt::test]
    async fn replicas_agree_and_skip_garbage_and_resent_records() {
        let mq = MemoryMq::new();
        let (a, b) = (open(&mq, "a").await, open(&mq, "b").await);
        let raw = mq.producer("raw").await.unwrap();
        let message = |body: &str| OutgoingMessage {
            topic: "control".to_owned(),
            keys: Some(CONTROL_KEY.to_owned()),
            body: body.as_bytes().to_vec().into(),
            queue: Some(CONTROL_QUEUE),
            ..OutgoingMessage::default()
        };
        let resent = r#"{"id":"x-1","body":{"op":1000}}"#;
        let sent = raw
            .send(&[message("{not json"), message(resent), message(resent)])
            .await;
        assert!(sent.iter().all(Result::is_ok));
        let deadline = Duration::from_secs(5);
        let (from_a, from_b) = tokio::join!(
            async {
                for n in 1..=50 {
                    a.append(n, deadline).await.unwrap();
                }
            },
            async {
                for n in 1..=50 {
                    b.append(-2 * n, deadline).await.unwrap();
                }
            }
        );
        let ((), ()) = (from_a, from_b);
        a.barrier(deadline).await.unwrap();
        b.barrier(deadline).await.unwrap();
        // 1000 once, +1275, -2550.
        assert_eq!(a.read(|s| s.0), -275);
        assert_eq!(b.read(|s| s.0), -275);
        let late = open(&mq, "c").await;
        assert_eq!(late.read(|s| s.0), -275, "a new replica replays everything");
        // An append's outcome is the state right after it, in log order.
        let applied = late.append(275, deadline).await.unwrap();
        assert_eq!(applied.outcome, 0);
    }

    /// A control topic that comes back with more queues (a broker that lost its topic config
    /// re-created it) still carries every operation on the queue the replicas read.
    #[actix_rt::test]
    async fn a_topic_grown_to_more_queues_still_carries_the_log() {
        let mq = MemoryMq::new();
        let (a, b) = (open(&mq, "a").await, open(&mq, "b").await);
        let deadline = Duration::from_secs(5);
        a.append(1, deadline).await.unwrap();
        mq.resize_topic("control", 4);
        assert_ne!(
            connect_dataplane::mq::routing::queue_for_key(CONTROL_KEY, 4),
            CONTROL_QUEUE,
            "the key alone would now pick another queue"
        );
        assert_eq!(b.append(2, deadline).await.unwrap().outcome, 3);
        a.barrier(deadline).await.unwrap();
        assert_eq!(a.read(|s| s.0), 3);
        assert!(
            mq.messages("control")[1..].iter().all(Vec::is_empty),
            "nothing went to the queues nobody reads"
        );
    }

    /// With the broker away an append gives up after its deadline with a retriable error.
    #[actix_rt::test]
    async fn an_append_without_a_broker_fails_retriably() {
        let mq = MemoryMq::new();
        let log = open(&mq, "a").await;
        mq.set_down(true);
        let error = log.append(1, Duration::from_millis(600)).await.unwrap_err();
        assert!(error.is_retriable(), "{error}");
        mq.set_down(false);
        log.barrier(Duration::from_secs(5)).await.unwrap();
        assert_eq!(log.read(|s| s.0), 0, "nothing was stored while down");
    }
}
