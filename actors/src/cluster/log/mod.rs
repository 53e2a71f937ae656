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
//!
//! - [`snapshot`]: the whole state written into the log now and then, so a replica can start
//!   from any suffix of the log that holds a complete snapshot (the broker deletes old
//!   records), and replay reads a bounded stretch however long the history.
//! - [`tail`]: the reader: finds a starting point, restores a snapshot, applies records.

pub mod snapshot;
mod tail;

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

use connect_dataplane::mq::{ConsumeFrom, MqClient, MqProducer, OutgoingMessage};
pub use snapshot::SnapshotPolicy;
use snapshot::{SnapshotDoc, SnapshotPart};

/// All control messages go to queue 0, so the topic is totally ordered even when someone
/// created it (or a broker that lost its topic config re-created it) with more queues.
const CONTROL_QUEUE: i32 = 0;
/// The key control messages carry (for operators browsing the topic).
const CONTROL_KEY: &str = "connect-control";
/// Operation ids remembered for deduplication: a resent copy lands within this many
/// operations of the first one (a resend follows 3 s without read-back). Snapshots carry the
/// window, so every replica — restored or not — judges a copy alike.
const SEEN_IDS: usize = 2048;
/// How long an append waits to read its operation back before sending it again.
const RESEND_AFTER: Duration = Duration::from_secs(3);

/// The replicated state: applies operations in log order, deterministically.
pub trait StateMachine: Send + 'static {
    type Op: Serialize + DeserializeOwned + Send + Sync + Debug + 'static;
    type Outcome: Clone + Send + Debug + 'static;
    /// The whole state as data, written into the log as a snapshot.
    type Snapshot: Serialize + DeserializeOwned + Send + 'static;
    /// Applies `op`, read at `offset` of the topic. Must depend only on the state and `op`.
    fn apply(&mut self, offset: i64, op: &Self::Op) -> Self::Outcome;
    /// The state as it is now.
    fn snapshot(&self) -> Self::Snapshot;
    /// Replaces the state with a snapshot's: afterwards the state is exactly the one the
    /// snapshot's writer had (applying the same operations gives the same outcomes).
    fn restore(&mut self, snapshot: Self::Snapshot);
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
    /// A part of a snapshot of the state; changes nothing for a replica that has the state.
    Snapshot(SnapshotPart),
}

/// Operations encoded with their ids ([`ReplicatedLog::encode_ops`]).
#[derive(Debug)]
pub struct EncodedOps(Vec<(String, OutgoingMessage)>);

impl EncodedOps {
    /// Records still to send.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What an append did: where it landed and what the state machine said.
#[derive(Debug, Clone)]
pub struct Applied<O> {
    pub offset: i64,
    pub outcome: O,
}

/// How this replica reached the log's state when it opened it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    /// The first offset it read (records before it were never read here).
    pub started_at: i64,
    /// The offset the restored snapshot covered, if it started from one.
    pub restored: Option<i64>,
    /// Records read until the replica reached the log's end.
    pub records: u64,
    pub elapsed: Duration,
}

type Waiter<O> = oneshot::Sender<(i64, Option<O>)>;
type Listener<S> = Box<dyn Fn(&S) + Send>;

/// The state and what the reader knows about where it stands.
struct Replica<S> {
    state: S,
    /// Offset of the last record handled (applied or skipped); -1 before the first.
    applied: i64,
    /// Operations applied since the newest complete snapshot read.
    since_snapshot: u64,
    /// When the newest complete snapshot was taken (ms since the epoch); `None`: none read.
    snapshot_taken_at_ms: Option<u64>,
    /// When this replica started applying (ms since the epoch): with no snapshot in the log,
    /// the first is due a snapshot interval after it.
    live_since_ms: u64,
}

struct Inner<S: StateMachine> {
    topic: String,
    /// Where readers come from (a reader that cannot be moved is replaced by a new one).
    client: Arc<dyn MqClient>,
    reader_group: String,
    origin: String,
    counter: AtomicU64,
    producer: Arc<dyn MqProducer>,
    replica: Mutex<Replica<S>>,
    waiters: Mutex<HashMap<String, Waiter<S::Outcome>>>,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
    listener: Mutex<Option<Listener<S>>>,
    closed: AtomicBool,
    policy: SnapshotPolicy,
    /// A snapshot write is under way (one at a time per replica).
    writing: AtomicBool,
    replay: Mutex<Replay>,
    /// Set when the reader has stopped (after [`ReplicatedLog::close`]).
    finished: tokio::sync::watch::Sender<bool>,
    /// Set by [`ReplicatedLog::close`]: interrupts the reader's poll.
    closing: tokio::sync::watch::Sender<bool>,
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

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl<S: StateMachine> ReplicatedLog<S> {
    /// Creates the topic if needed (one queue), starts reading it on the current actix
    /// arbiter — from the newest stretch that holds a snapshot, or from its first record —
    /// and waits until everything already in it has been applied. `origin` makes operation
    /// ids unique (worker id and incarnation).
    pub async fn open(
        client: &Arc<dyn MqClient>,
        topic: &str,
        reader_group: &str,
        producer_group: &str,
        origin: &str,
        initial: S,
        policy: SnapshotPolicy,
    ) -> ConnectResult<Self> {
        client.ensure_topic(topic, 1).await?;
        let producer = client.producer(producer_group).await?;
        let reader = client
            .reader(reader_group, topic, ConsumeFrom::FirstOffset)
            .await?;
        let (finished, _) = tokio::sync::watch::channel(false);
        let log = Self {
            inner: Arc::new(Inner {
                topic: topic.to_owned(),
                client: client.clone(),
                reader_group: reader_group.to_owned(),
                origin: origin.to_owned(),
                counter: AtomicU64::new(0),
                producer,
                replica: Mutex::new(Replica {
                    state: initial,
                    applied: -1,
                    since_snapshot: 0,
                    snapshot_taken_at_ms: None,
                    live_since_ms: now_ms(),
                }),
                waiters: Mutex::new(HashMap::new()),
                seen: Mutex::new((HashSet::new(), VecDeque::new())),
                listener: Mutex::new(None),
                closed: AtomicBool::new(false),
                policy,
                writing: AtomicBool::new(false),
                replay: Mutex::new(Replay::default()),
                finished,
                closing: tokio::sync::watch::channel(false).0,
            }),
        };
        let started = Instant::now();
        actix::spawn(log.clone().tail(reader));
        if let Err(e) = log.barrier(Duration::from_secs(60)).await {
            log.close(Duration::from_secs(2)).await;
            return Err(e);
        }
        let replay = {
            let mut replay = log.inner.replay.lock();
            replay.elapsed = started.elapsed();
            replay.clone()
        };
        tracing::info!(topic = %topic, from = replay.started_at, snapshot = ?replay.restored, records = replay.records, ms = replay.elapsed.as_millis() as u64, "replayed the control log");
        Ok(log)
    }

    /// How this replica reached the state when it opened the log.
    pub fn replay(&self) -> Replay {
        self.inner.replay.lock().clone()
    }

    /// Calls `listener` with the state after every batch of applied operations.
    pub fn on_change(&self, listener: impl Fn(&S) + Send + 'static) {
        *self.inner.listener.lock() = Some(Box::new(listener));
    }

    /// Reads the state.
    pub fn read<T>(&self, f: impl FnOnce(&S) -> T) -> T {
        f(&self.inner.replica.lock().state)
    }

    /// Stops reading and waits (at most `bound`) until the reader has let go of the topic.
    /// Appends still send; nobody will see their outcome.
    pub fn close(&self, bound: Duration) -> impl Future<Output = ()> + Send + 'static {
        self.inner.closed.store(true, Ordering::SeqCst);
        // Wakes a reader waiting in a poll, so it lets go now rather than after the poll.
        let _ = self.inner.closing.send(true);
        let mut finished = self.inner.finished.subscribe();
        async move {
            let _ = tokio::time::timeout(bound, finished.wait_for(|done| *done)).await;
        }
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

    fn next_id(&self) -> String {
        format!(
            "{}-{}",
            self.inner.origin,
            self.inner.counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Whether a record id was written by this replica.
    fn is_mine(&self, id: &str) -> bool {
        id.strip_prefix(self.inner.origin.as_str())
            .is_some_and(|rest| rest.starts_with('-'))
    }

    async fn send_until_read(
        &self,
        body: Body<S::Op>,
        deadline: Duration,
    ) -> ConnectResult<(i64, Option<S::Outcome>)> {
        self.send_with_id(self.next_id(), body, deadline).await
    }

    /// The control record carrying `body` under `id`.
    fn encode(&self, id: String, body: Body<S::Op>) -> ConnectResult<OutgoingMessage> {
        let body = serde_json::to_vec(&Envelope { id, body })
            .map_err(|e| ConnectError::other(format!("cannot encode a control record: {e}")))?;
        Ok(OutgoingMessage {
            topic: self.inner.topic.clone(),
            keys: Some(CONTROL_KEY.to_owned()),
            body: body.into(),
            queue: Some(CONTROL_QUEUE),
            ..OutgoingMessage::default()
        })
    }

    /// `ops` as control records under fresh ids, for [`send_unread`](Self::send_unread).
    pub fn encode_ops(&self, ops: Vec<S::Op>) -> ConnectResult<EncodedOps> {
        ops.into_iter()
            .map(|op| {
                let id = self.next_id();
                self.encode(id.clone(), Body::Op(op))
                    .map(|message| (id, message))
            })
            .collect::<ConnectResult<_>>()
            .map(EncodedOps)
    }

    /// Sends a batch once, in order, without waiting to read it back (for writers that need
    /// their operations stored, not their outcomes); returns the offset of the last record
    /// stored. On an error the batch keeps only what is still to send: the records the
    /// broker confirmed, and any this replica has already read (a send that timed out after
    /// the broker stored it), are taken out, so a resend — however much later, beyond the
    /// deduplication window — does not store them again.
    pub async fn send_unread(&self, batch: &mut EncodedOps) -> ConnectResult<i64> {
        let messages: Vec<OutgoingMessage> = batch.0.iter().map(|(_, m)| m.clone()).collect();
        let results = self.inner.producer.send(&messages).await;
        let mut last = -1;
        let mut failure = None;
        let mut stored = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Ok(sent) => {
                    last = last.max(sent.queue_offset());
                    stored.push(true);
                }
                Err(e) => {
                    failure.get_or_insert(e);
                    stored.push(false);
                }
            }
        }
        let Some(error) = failure else {
            return Ok(last);
        };
        let seen = self.inner.seen.lock();
        let mut index = 0;
        batch.0.retain(|(id, _)| {
            let keep = !stored.get(index).copied().unwrap_or(false) && !seen.0.contains(id);
            index += 1;
            keep
        });
        Err(error)
    }

    /// Offset of the last record this replica has applied (-1 before the first).
    pub fn applied_offset(&self) -> i64 {
        self.inner.replica.lock().applied
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    async fn send_with_id(
        &self,
        id: String,
        body: Body<S::Op>,
        deadline: Duration,
    ) -> ConnectResult<(i64, Option<S::Outcome>)> {
        let inner = &self.inner;
        let message = self.encode(id.clone(), body)?;
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

    /// Writes the state as a snapshot (its parts in order); gives up quietly on failure (an
    /// incomplete snapshot is never used, and the next one is due soon).
    async fn write_snapshot(self) {
        let (text, covers) = {
            let replica = self.inner.replica.lock();
            let recent_ids = {
                let seen = self.inner.seen.lock();
                seen.1.iter().cloned().collect()
            };
            let doc = SnapshotDoc {
                state: replica.state.snapshot(),
                recent_ids,
            };
            (serde_json::to_string(&doc), replica.applied)
        };
        let text = match text {
            Ok(text) => text,
            Err(e) => {
                tracing::error!(topic = %self.inner.topic, error = %e, "cannot encode a snapshot");
                self.inner.writing.store(false, Ordering::SeqCst);
                return;
            }
        };
        let parts = snapshot::split(&text);
        let count = u32::try_from(parts.len()).unwrap_or(u32::MAX);
        let snapshot = self.next_id();
        let taken_at_ms = now_ms();
        for (index, slice) in parts.into_iter().enumerate() {
            let id = if index == 0 {
                snapshot.clone()
            } else {
                self.next_id()
            };
            let part = SnapshotPart {
                snapshot: snapshot.clone(),
                covers,
                taken_at_ms,
                index: u32::try_from(index).unwrap_or(u32::MAX),
                count,
                text: slice.to_owned(),
            };
            if let Err(e) = self
                .send_with_id(id, Body::Snapshot(part), Duration::from_secs(15))
                .await
            {
                tracing::warn!(topic = %self.inner.topic, error = %e, "could not write a snapshot; the next one is due soon");
                break;
            }
        }
        tracing::debug!(topic = %self.inner.topic, covers, bytes = text.len(), parts = count, "wrote a snapshot");
        self.inner.writing.store(false, Ordering::SeqCst);
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
pub(crate) mod tests {
    use super::*;
    use connect_dataplane::mq::memory::MemoryMq;

    /// Sums what it reads; the outcome is the running total.
    #[derive(Debug, Default)]
    struct Sum(i64);

    impl StateMachine for Sum {
        type Op = i64;
        type Outcome = i64;
        type Snapshot = i64;
        fn apply(&mut self, _offset: i64, op: &i64) -> i64 {
            self.0 += op;
            self.0
        }
        fn snapshot(&self) -> i64 {
            self.0
        }
        fn restore(&mut self, snapshot: i64) {
            self.0 = snapshot;
        }
    }

    async fn open(mq: &MemoryMq, worker: &str) -> ReplicatedLog<Sum> {
        open_with(mq, worker, SnapshotPolicy::default()).await
    }

    async fn open_with(mq: &MemoryMq, worker: &str, policy: SnapshotPolicy) -> ReplicatedLog<Sum> {
        let client: Arc<dyn MqClient> = Arc::new(mq.clone());
        ReplicatedLog::open(
            &client,
            "control",
            worker,
            "control",
            worker,
            Sum::default(),
            policy,
        )
        .await
        .unwrap()
    }

    /// A control record as another worker (origin `x`) wrote it.
    fn raw(id: &str, body: &str) -> OutgoingMessage {
        OutgoingMessage {
            topic: "control".to_owned(),
            keys: Some(CONTROL_KEY.to_owned()),
            body: format!(r#"{{"id":"{id}","body":{body}}}"#)
                .into_bytes()
                .into(),
            queue: Some(CONTROL_QUEUE),
            ..OutgoingMessage::default()
        }
    }

    /// Offsets of the complete snapshots in the topic: (offset of the last part, covers).
    fn snapshots(mq: &MemoryMq) -> Vec<(i64, i64)> {
        let mut assembler = snapshot::Assembler::default();
        mq.messages("control")[0]
            .iter()
            .filter_map(|m| {
                let envelope: Envelope<i64> = serde_json::from_slice(&m.body).ok()?;
                let Body::Snapshot(part) = envelope.body else {
                    return None;
                };
                let done = assembler.add(part, false)?;
                Some((m.queue_offset, done.covers))
            })
            .collect()
    }

    const SMALL: SnapshotPolicy = SnapshotPolicy {
        every_records: 50,
        max_age: Duration::from_secs(3600),
    };

    /// A long history (5000 operations of another worker): a replica finds no snapshot near
    /// the end, so it replays from the start; once it appends, it writes a snapshot, and the
    /// next replica reads only the last stretch of the log — yet both agree, and a resent
    /// copy of an operation from before the snapshot is still applied only once.
    #[actix_rt::test]
    async fn snapshots_bound_replay_and_keep_deduplication() {
        let mq = MemoryMq::new();
        let raw_producer = mq.producer("raw").await.unwrap();
        let ops: Vec<OutgoingMessage> = (0..5000)
            .map(|n| raw(&format!("x-{n}"), r#"{"op":1}"#))
            .collect();
        assert!(raw_producer.send(&ops).await.iter().all(Result::is_ok));
        let a = open_with(&mq, "a", SMALL).await;
        assert_eq!(a.read(|s| s.0), 5000);
        let replay = a.replay();
        assert_eq!(
            (replay.started_at, replay.restored),
            (0, None),
            "{replay:?}"
        );
        assert!(replay.records > 5000, "{replay:?}");
        let deadline = Duration::from_secs(5);
        a.append(7, deadline).await.unwrap();
        until_stored(&mq, || !snapshots(&mq).is_empty()).await;
        let (at, covers) = snapshots(&mq)[0];
        assert!(covers >= 5000, "the snapshot covers the history: {covers}");
        a.append(10, deadline).await.unwrap();
        let c = open_with(&mq, "c", SMALL).await;
        assert_eq!(c.read(|s| s.0), 5017);
        let replay = c.replay();
        assert_eq!(
            replay.restored,
            Some(covers),
            "{replay:?} (snapshot at {at})"
        );
        assert!(
            replay.records < 300,
            "read only the last stretch: {replay:?}"
        );
        // A late copy of an operation both replicas applied before the snapshot.
        assert!(raw_producer.send(&[raw("x-4999", r#"{"op":1000}"#)]).await[0].is_ok());
        a.append(0, deadline).await.unwrap();
        c.barrier(deadline).await.unwrap();
        assert_eq!(a.read(|s| s.0), 5017);
        assert_eq!(c.read(|s| s.0), 5017);
    }

    /// The broker deleted the log's head (retention): a new replica starting at any offset up
    /// to the one a snapshot covers reaches the full state; one starting after every
    /// snapshot's covered offset cannot, and says so (its state lacks the deleted records).
    #[actix_rt::test]
    async fn a_log_without_its_head_is_replayed_from_a_snapshot() {
        let mq = MemoryMq::new();
        let a = open_with(&mq, "a", SMALL).await;
        let deadline = Duration::from_secs(5);
        for n in 1..=120 {
            a.append(n, deadline).await.unwrap();
        }
        until_stored(&mq, || snapshots(&mq).len() >= 2).await;
        let total = 120 * 121 / 2;
        assert_eq!(a.read(|s| s.0), total);
        let (at, covers) = snapshots(&mq)[1];
        for head in [covers - 30, covers + 1] {
            mq.delete_head("control", head);
            let joined = open_with(&mq, &format!("b{head}"), SMALL).await;
            assert_eq!(joined.read(|s| s.0), total, "head deleted before {head}");
            let replay = joined.replay();
            assert_eq!(replay.started_at, head, "{replay:?}");
            assert!(replay.restored.is_some_and(|c| c >= head - 1), "{replay:?}");
        }
        // Only records after the newest snapshot's parts are left, and it covers less.
        let last = snapshots(&mq).last().copied().unwrap();
        mq.delete_head("control", last.0 + 1);
        let partial = open_with(&mq, "late", SMALL).await;
        assert_eq!(partial.replay().restored, None);
        assert!(partial.read(|s| s.0) < total);
        let _ = at;
    }

    /// The broker deletes records this replica has not read yet: the reader goes back for
    /// the first missing one, and when it does not come, reads on from the oldest record
    /// left — every one of them applied, none dropped while it looked.
    #[actix_rt::test]
    async fn records_deleted_before_they_were_read_leave_a_gap_not_a_hole() {
        let mq = MemoryMq::new();
        let a = open(&mq, "a").await;
        let start = i64::try_from(mq.messages("control")[0].len()).unwrap();
        let tool = mq.producer("raw").await.unwrap();
        let ops: Vec<OutgoingMessage> = (0..500)
            .map(|n| raw(&format!("x-{n}"), r#"{"op":1}"#))
            .collect();
        // Sent and half deleted before the reader gets to run.
        assert!(tool.send(&ops).await.iter().all(Result::is_ok));
        mq.delete_head("control", start + 250);
        a.barrier(Duration::from_secs(10)).await.unwrap();
        assert_eq!(a.read(|s| s.0), 250);
    }

    /// Waits (at most 10 s) until `done` holds, woken by every send to the broker (stored or
    /// refused).
    pub(crate) async fn until_stored(mq: &MemoryMq, mut done: impl FnMut() -> bool) {
        let changes = mq.changes();
        let give_up = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = changes.notified();
            tokio::pin!(notified);
            // Registered before the check: a send between the two still wakes us.
            notified.as_mut().enable();
            if done() {
                return;
            }
            tokio::time::timeout_at(give_up, notified)
                .await
                .expect("condition not reached");
        }
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
        // Records another tool put on queue 2 (their offsets are that queue's) do not move
        // anyone's place in queue 0: a new replica still reads its own barrier back.
        let tool = mq.producer("raw").await.unwrap();
        let stray: Vec<OutgoingMessage> = (0..50)
            .map(|n| OutgoingMessage {
                queue: Some(2),
                ..raw(&format!("stray-{n}"), r#"{"op":0}"#)
            })
            .collect();
        assert!(tool.send(&stray).await.iter().all(Result::is_ok));
        let late = tokio::time::timeout(Duration::from_secs(10), open(&mq, "c"))
            .await
            .expect("a new replica opens");
        assert_eq!(b.append(10, deadline).await.unwrap().outcome, 13);
        late.barrier(deadline).await.unwrap();
        assert_eq!(
            late.read(|s| s.0),
            13,
            "queue 0 read on, whatever queue 2 holds"
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
