//! The failure policy in every mode, as plain async tests: a scripted source task, a
//! collecting sink task and a transform that fails on cue run through the real loops over the
//! in-memory queue. Each case runs through the source loop (task → queue), the sink loop
//! (queue → task) and the direct loop (task → task).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config_def::ConfigDef;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, OffsetStorageReader, RecordOffset,
    RecordPartition, SinkTask, SinkTaskContext, SourceTask, SourceTaskContext, TaskFactory,
    Transform, Value,
};
use connect_transforms::TransformChain;
use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc, watch};

use super::{LoopPorts, run};
use crate::control::LoopControl;
use crate::dead_letter;
use crate::ids::TaskId;
use crate::metrics::TaskMetrics;
use crate::mq::memory::MemoryMq;
use crate::mq::{IncomingMessage, MqClient, OutgoingMessage};
use crate::plan::TaskPlan;
use crate::ports::{Control, LoopEvent, PositionError, PositionStore};
use crate::settings::DataPlaneSettings;

/// What one test's tasks share with it (found through the `test.id` key).
#[derive(Debug, Default)]
struct Shared {
    /// What the source's polls return, in order; when empty, polls return nothing.
    polls: Mutex<VecDeque<ConnectResult<Vec<String>>>>,
    /// Values the sink took.
    received: Mutex<Vec<String>>,
    /// Wakes an idle source: something was scripted, or the loop is being steered.
    fed: Notify,
    /// Woken when the sink took records or positions were committed.
    progress: Notify,
    /// The harness's queue, for the source to see whether a send is under way when it polls.
    mq: Mutex<Option<MemoryMq>>,
    /// Polls made while a send was under way.
    polls_during_sends: AtomicU64,
    /// Polls that returned scripted records.
    scripted_polls: AtomicU64,
    /// Steers the loop to stop as the source returns this scripted poll (counted from 1):
    /// the loop sees the stop right after handing that poll's batch over.
    stop_at_poll: Mutex<Option<(u64, watch::Sender<Control>)>>,
}

static SHARED: LazyLock<Mutex<HashMap<String, Arc<Shared>>>> = LazyLock::new(Default::default);
static NEXT_TEST: AtomicU64 = AtomicU64::new(0);

fn shared_of(config: &Config) -> ConnectResult<Arc<Shared>> {
    let id = config.require("test.id")?;
    Ok(SHARED.lock().entry(id.to_owned()).or_default().clone())
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

#[derive(Default)]
struct ScriptedSource {
    shared: Option<Arc<Shared>>,
    sent: i64,
    /// `test.keys`: records are keyed by their number modulo this (unkeyed when absent).
    keys: Option<i64>,
}

#[async_trait]
impl SourceTask for ScriptedSource {
    async fn start(&mut self, config: Config, _context: SourceTaskContext) -> ConnectResult<()> {
        self.shared = Some(shared_of(&config)?);
        self.keys = config.get("test.keys").and_then(|k| k.parse().ok());
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        if let Some(shared) = &self.shared
            && shared
                .mq
                .lock()
                .as_ref()
                .is_some_and(|mq| mq.sends_in_flight() > 0)
        {
            shared.polls_during_sends.fetch_add(1, Ordering::SeqCst);
        }
        let next = self
            .shared
            .as_ref()
            .and_then(|s| s.polls.lock().pop_front());
        if let (Some(shared), Some(Ok(_))) = (&self.shared, &next) {
            let polled = shared.scripted_polls.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some((at, control)) = &*shared.stop_at_poll.lock()
                && *at == polled
            {
                control.send(Control::Stop).unwrap();
            }
        }
        let Some(values) = next.transpose()? else {
            // Idle until fed — at most a poll interval, as a real source, so the loop commits
            // what is due.
            if let Some(shared) = &self.shared {
                let _ =
                    tokio::time::timeout(Duration::from_millis(20), shared.fed.notified()).await;
            }
            return Ok(Vec::new());
        };
        Ok(values
            .into_iter()
            .map(|value| {
                self.sent += 1;
                let record = ConnectRecord::new(
                    RecordPartition::new().with("p", "0"),
                    RecordOffset::new().with("n", self.sent),
                    None,
                )
                .with_value(None, value);
                match self.keys {
                    Some(keys) => record.with_key(None, format!("k{}", self.sent % keys)),
                    None => record,
                }
            })
            .collect())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

#[derive(Default)]
struct CollectingSink {
    shared: Option<Arc<Shared>>,
}

#[async_trait]
impl SinkTask for CollectingSink {
    async fn start(&mut self, config: Config, _context: SinkTaskContext) -> ConnectResult<()> {
        self.shared = Some(shared_of(&config)?);
        Ok(())
    }

    async fn put(&mut self, records: &[ConnectRecord]) -> ConnectResult<()> {
        if let Some(shared) = &self.shared {
            let mut received = shared.received.lock();
            received.extend(records.iter().map(|r| text(&r.value)));
        }
        if let Some(shared) = &self.shared {
            shared.progress.notify_waiters();
        }
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn tasks(class: &str) -> Option<TaskFactory> {
    match class {
        "ScriptedSource" => Some(TaskFactory::Source(|| Box::<ScriptedSource>::default())),
        "CollectingSink" => Some(TaskFactory::Sink(|| Box::<CollectingSink>::default())),
        _ => None,
    }
}

/// Fails `"bad"` records with a data error, and `"flaky"` records retriably while it has
/// failures left.
struct OnCue {
    retriable_left: Arc<AtomicU32>,
}

impl Transform for OnCue {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn configure(&mut self, _config: &Config) -> ConnectResult<()> {
        Ok(())
    }
    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        match record.value.as_str() {
            Some("bad") => Err(ConnectError::data("bad record")),
            Some("flaky")
                if self
                    .retriable_left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok() =>
            {
                Err(ConnectError::retriable("busy, try again"))
            }
            _ => Ok(Some(record)),
        }
    }
}

/// Committed source positions, in memory.
#[derive(Debug)]
struct MemoryPositions {
    committed: Arc<Mutex<HashMap<RecordPartition, RecordOffset>>>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Reader(Arc<Mutex<HashMap<RecordPartition, RecordOffset>>>);

impl OffsetStorageReader for Reader {
    fn read_offset(&self, partition: &RecordPartition) -> Option<RecordOffset> {
        self.0.lock().get(partition).cloned()
    }
}

#[async_trait]
impl PositionStore for MemoryPositions {
    fn reader(&self) -> Arc<dyn OffsetStorageReader> {
        Arc::new(Reader(self.committed.clone()))
    }
    async fn commit(
        &self,
        positions: Vec<(RecordPartition, RecordOffset)>,
    ) -> Result<(), PositionError> {
        self.committed.lock().extend(positions);
        self.shared.progress.notify_waiters();
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// Scripted source → in-memory topic `out`.
    Source,
    /// Topic `in` → collecting sink.
    Sink,
    /// Scripted source → collecting sink.
    Direct,
}

const MODES: [Via; 3] = [Via::Source, Via::Sink, Via::Direct];

/// One loop under test.
struct Harness {
    via: Via,
    mq: MemoryMq,
    shared: Arc<Shared>,
    control: watch::Sender<Control>,
    events: mpsc::UnboundedReceiver<LoopEvent>,
    seen: Vec<LoopEvent>,
    positions: Arc<Mutex<HashMap<RecordPartition, RecordOffset>>>,
    metrics: Arc<TaskMetrics>,
    join: tokio::task::JoinHandle<ConnectResult<()>>,
}

impl Harness {
    /// Starts the loop of `via` with `extra` keys; the chain is one [`OnCue`] transform that
    /// fails `flaky` records `retriable_failures` times.
    fn start(via: Via, extra: &[(&str, &str)], retriable_failures: u32) -> Self {
        let id = format!("t{}", NEXT_TEST.fetch_add(1, Ordering::SeqCst));
        let mut config = Config::new()
            .with("test.id", id.clone())
            .with("errors.retry.delay.max.ms", "5");
        match via {
            Via::Source => {
                config.put("task.class", "ScriptedSource");
                config.put("connect.topicname", "out");
            }
            Via::Sink => {
                config.put("task.class", "CollectingSink");
                config.put("connect.topicnames", "in");
                config.put("consume.from.where", "CONSUME_FROM_FIRST_OFFSET");
            }
            Via::Direct => {
                config.put("connector.direct.enable", "true");
                config.put("source.task.class", "ScriptedSource");
                config.put("sink.task.class", "CollectingSink");
            }
        }
        for (key, value) in extra {
            config.put(*key, *value);
        }
        let settings = DataPlaneSettings {
            offset_commit_interval: Duration::from_millis(20),
            ..DataPlaneSettings::default()
        };
        let mut plan = TaskPlan::parse(TaskId::new(&id, 0), &config, &tasks, &settings, true)
            .unwrap_or_else(|errors| panic!("{via:?}: {errors:?}"));
        plan.pipeline.transforms = TransformChain::of(vec![(
            "onCue".to_owned(),
            Box::new(OnCue {
                retriable_left: Arc::new(AtomicU32::new(retriable_failures)),
            }),
        )]);
        let (control, rx) = watch::channel(Control::Run);
        let metrics = Arc::new(TaskMetrics::detached());
        let (events_tx, events) = mpsc::unbounded_channel();
        let mq = MemoryMq::new();
        let shared = SHARED.lock().entry(id.clone()).or_default().clone();
        *shared.mq.lock() = Some(mq.clone());
        let positions = MemoryPositions {
            committed: Arc::default(),
            shared: shared.clone(),
        };
        let committed = positions.committed.clone();
        let ports = LoopPorts {
            settings: Arc::new(settings),
            control: LoopControl::new(rx, Arc::new(events_tx), metrics.clone()),
            positions: Arc::new(positions),
            mq: Some(Arc::new(mq.clone())),
        };
        let join = tokio::spawn(run(plan, ports));
        Self {
            via,
            mq,
            shared,
            control,
            events,
            seen: Vec::new(),
            positions: committed,
            metrics,
            join,
        }
    }

    /// Hands `values` to the loop's input: the source's next poll, or topic `in`.
    async fn feed(&self, values: &[&str]) {
        let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        match self.via {
            Via::Source | Via::Direct => self.script(Ok(values)),
            Via::Sink => {
                let producer = self.mq.producer("test").await.unwrap();
                let messages: Vec<OutgoingMessage> = values
                    .into_iter()
                    .map(|v| OutgoingMessage {
                        topic: "in".into(),
                        body: v.into_bytes().into(),
                        ..OutgoingMessage::default()
                    })
                    .collect();
                for result in producer.send(&messages).await {
                    result.unwrap();
                }
            }
        }
    }

    /// What reached the loop's output, sorted (queues do not keep order between each other).
    fn delivered(&self) -> Vec<String> {
        let mut out = match self.via {
            Via::Source => self
                .mq
                .messages("out")
                .into_iter()
                .flatten()
                .map(|m| String::from_utf8_lossy(&m.body).into_owned())
                .collect(),
            Via::Sink | Via::Direct => self.shared.received.lock().clone(),
        };
        out.sort();
        out
    }

    fn dead_letters(&self) -> Vec<IncomingMessage> {
        self.mq.messages("dlq").into_iter().flatten().collect()
    }

    /// What the source's next poll returns.
    fn script(&self, poll: ConnectResult<Vec<String>>) {
        self.shared.polls.lock().push_back(poll);
        self.shared.fed.notify_one();
    }

    /// Tells the loop what to do (and wakes an idle source, so it hears it).
    fn steer(&self, control: Control) {
        self.control.send(control).unwrap();
        self.shared.fed.notify_one();
    }

    /// Waits (at most 10 s) until `done` holds of the harness, woken by the loop's events,
    /// the sink, committed positions and the queue — never by a clock.
    async fn until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let (shared, queue) = (self.shared.clone(), self.mq.changes());
        loop {
            while let Ok(event) = self.events.try_recv() {
                self.seen.push(event);
            }
            if done(self) {
                return;
            }
            assert!(
                !self.join.is_finished(),
                "{:?}: the loop ended while waiting for {what}",
                self.via
            );
            // The test and the loop share one thread: nothing changes between the check above
            // and the registration of these waiters.
            let events = &mut self.events;
            let woken = tokio::time::timeout_at(deadline, async {
                tokio::select! {
                    event = events.recv() => event,
                    () = shared.progress.notified() => None,
                    () = queue.notified() => None,
                }
            })
            .await;
            match woken {
                Ok(event) => self.seen.extend(event),
                Err(_) => panic!(
                    "{:?}: timed out waiting for {what}; delivered {:?}, events {:?}",
                    self.via,
                    self.delivered(),
                    self.seen
                ),
            }
        }
    }

    async fn until_delivered(&mut self, expected: &[&str]) {
        let mut expected: Vec<String> = expected.iter().map(|v| (*v).to_owned()).collect();
        expected.sort();
        self.until("the records", |h| h.delivered() == expected)
            .await;
    }

    /// The troubles shown so far (`None`: cleared).
    fn troubles(&self) -> Vec<Option<String>> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                LoopEvent::Trouble(trace) => Some(trace.clone()),
                _ => None,
            })
            .collect()
    }

    async fn stop(self) -> ConnectResult<()> {
        self.steer(Control::Stop);
        self.join.await.unwrap()
    }

    /// The loop's own ending (it failed), with its error.
    async fn failure(self) -> ConnectError {
        match tokio::time::timeout(Duration::from_secs(10), self.join).await {
            Ok(outcome) => outcome.unwrap().expect_err("the loop should have failed"),
            Err(_) => panic!("{:?}: the loop did not fail", self.via),
        }
    }
}

#[tokio::test]
async fn a_retriable_poll_is_shown_retried_and_cleared_in_every_mode() {
    for via in MODES {
        let mut h = Harness::start(via, &[], 0);
        h.until("the start", |h| !h.seen.is_empty()).await;
        match via {
            Via::Source | Via::Direct => {
                for _ in 0..3 {
                    h.script(Err(ConnectError::retriable("source away")));
                }
            }
            Via::Sink => h.mq.set_down(true),
        }
        let what = if via == Via::Sink { "consume" } else { "poll" };
        h.until("the trouble", |h| {
            h.troubles()
                .iter()
                .flatten()
                .any(|t| t.contains("attempt 2"))
        })
        .await;
        h.mq.set_down(false);
        h.feed(&["a", "b", "c"]).await;
        h.until_delivered(&["a", "b", "c"]).await;
        h.until("the trouble cleared", |h| {
            h.troubles().last() == Some(&None)
        })
        .await;
        let troubles = h.troubles();
        assert!(
            troubles[0]
                .as_deref()
                .is_some_and(|t| t.starts_with(&format!("{what} failed (attempt 1), retrying"))),
            "{via:?}: {troubles:?}"
        );
        assert!(h.seen.contains(&LoopEvent::Started), "{via:?}");
        assert!(
            h.metrics.retries.get() >= 2,
            "{via:?}: poll retries are counted"
        );
        h.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_retriable_transform_is_retried_within_errors_retry_timeout_in_every_mode() {
    for via in MODES {
        // Retried until it works: nothing lost, nothing out of place.
        let mut h = Harness::start(via, &[("errors.retry.timeout", "-1")], 3);
        h.feed(&["a", "flaky", "b"]).await;
        h.until_delivered(&["a", "b", "flaky"]).await;
        let m = h.metrics.clone();
        assert_eq!(
            (
                m.record_failures.get(),
                m.retries.get(),
                m.record_errors.get()
            ),
            (3, 3, 0),
            "{via:?}: three failed attempts, three retries, no record lost"
        );
        h.stop().await.unwrap();

        // No retry time and no tolerance: the task fails naming the stage.
        let h = Harness::start(via, &[("errors.retry.timeout", "0")], 3);
        h.feed(&["flaky"]).await;
        let error = h.failure().await.to_string();
        assert!(
            error.contains("tolerance exceeded") && error.contains("busy, try again"),
            "{via:?}: {error}"
        );
    }
}

#[tokio::test]
async fn errors_tolerance_decides_between_failing_and_skipping_in_every_mode() {
    for via in MODES {
        let h = Harness::start(via, &[], 0);
        h.feed(&["a", "bad", "b"]).await;
        let error = h.failure().await.to_string();
        assert!(
            error.contains("tolerance exceeded (errors.tolerance=none)")
                && error.contains("bad record"),
            "{via:?}: {error}"
        );

        let mut h = Harness::start(
            via,
            &[("errors.tolerance", "all"), ("errors.log.enable", "true")],
            0,
        );
        h.feed(&["a", "bad", "b"]).await;
        h.feed(&["c"]).await;
        h.until_delivered(&["a", "b", "c"]).await;
        h.until("the counters", |h| {
            h.metrics.sink_send.get() == 3 || h.metrics.source_write.get() == 3
        })
        .await;
        let m = h.metrics.clone();
        let (read, written) = match via {
            Via::Source => (m.source_poll.get(), m.source_write.get()),
            Via::Sink => (m.sink_read.get(), m.sink_send.get()),
            Via::Direct => {
                assert_eq!(m.source_write.get(), m.sink_send.get(), "{via:?}");
                (m.source_poll.get(), m.sink_send.get())
            }
        };
        assert_eq!((read, written), (4, 3), "{via:?}: records in and out");
        assert_eq!(
            (
                m.record_failures.get(),
                m.record_errors.get(),
                m.records_skipped.get(),
                m.errors_logged.get(),
            ),
            (1, 1, 1, 1),
            "{via:?}: the bad record, counted once in each"
        );
        if via != Via::Sink {
            // The skipped record's position is committed with the rest: it is not replayed.
            h.until("the positions", |h| {
                h.positions
                    .lock()
                    .values()
                    .any(|o| o.get_i64("n") == Some(4))
            })
            .await;
        }
        h.stop().await.unwrap();
    }
}

#[tokio::test]
async fn failed_records_go_to_the_dead_letter_topic_through_rocketmq() {
    for via in [Via::Source, Via::Sink] {
        let mut h = Harness::start(
            via,
            &[
                ("errors.tolerance", "all"),
                (dead_letter::TOPIC, "dlq"),
                (dead_letter::CONTEXT_PROPERTIES, "true"),
            ],
            0,
        );
        h.feed(&["a", "bad", "b"]).await;
        h.until_delivered(&["a", "b"]).await;
        h.until("the dead letter", |h| h.dead_letters().len() == 1)
            .await;
        assert_eq!(h.metrics.dlq_requests.get(), 1, "{via:?}");
        assert_eq!(h.metrics.dlq_failures.get(), 0, "{via:?}");
        let letter = &h.dead_letters()[0];
        assert_eq!(&letter.body[..], b"bad", "{via:?}");
        assert_eq!(
            letter
                .properties
                .get(dead_letter::ERROR_STAGE)
                .map(String::as_str),
            Some("TRANSFORMATION"),
            "{via:?}"
        );
        h.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_pause_commits_and_holds_and_a_resume_goes_on_in_every_mode() {
    for via in MODES {
        let mut h = Harness::start(via, &[], 0);
        h.feed(&["a"]).await;
        h.until_delivered(&["a"]).await;
        h.steer(Control::Pause);
        h.until("the pause", |h| h.seen.contains(&LoopEvent::Paused))
            .await;
        if via != Via::Sink {
            assert!(
                h.positions
                    .lock()
                    .values()
                    .any(|o| o.get_i64("n") == Some(1)),
                "{via:?}: a pause commits what was delivered"
            );
        }
        h.feed(&["b"]).await;
        h.steer(Control::Run);
        h.until_delivered(&["a", "b"]).await;
        assert!(h.seen.contains(&LoopEvent::Resumed), "{via:?}");
        h.stop().await.unwrap();
    }
}

/// One poll of large messages (5 MiB in 50 records) goes in chunks of about
/// `SEND_CHUNK_BYTES`, `UNORDERED_FLIGHTS` sends under way at a time and never more (so
/// converted bytes in flight stay bounded), every record delivered.
#[tokio::test]
async fn a_large_poll_is_sent_in_byte_bounded_chunks() {
    let mut h = Harness::start(Via::Source, &[], 0);
    h.mq.set_send_delay(Duration::from_millis(2));
    let values: Vec<String> = (0..50)
        .map(|i| format!("{i:04}{}", "x".repeat(100 * 1024)))
        .collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    h.feed(&refs).await;
    h.until_delivered(&refs).await;
    let chunk = u64::try_from(super::source::SEND_CHUNK_BYTES).unwrap();
    let largest = h.mq.largest_send_bytes();
    assert!(
        largest >= chunk && largest < chunk + 110 * 1024,
        "the largest send carried {largest} bytes; chunks end at the first message past {chunk}"
    );
    assert_eq!(
        h.mq.most_sends_in_flight(),
        u64::try_from(super::source::UNORDERED_FLIGHTS).unwrap(),
        "unkeyed chunks side by side, never more"
    );
    h.stop().await.unwrap();
}

/// A stop while a poll's later chunk cannot be sent (the broker went away after the first):
/// the position committed is exactly what the broker stored, so the unsent rest of the poll
/// is produced again after a restart, not lost.
#[tokio::test]
async fn a_stop_between_chunks_commits_only_what_was_stored() {
    let mut h = Harness::start(Via::Source, &[], 0);
    h.mq.set_send_delay(Duration::from_millis(50));
    let values: Vec<String> = (0..50)
        .map(|i| format!("{i:04}{}", "x".repeat(100 * 1024)))
        .collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    h.feed(&refs).await;
    let stored = |mq: &MemoryMq| mq.messages("out").iter().map(Vec::len).sum::<usize>();
    h.until("the first chunk stored", |h| stored(&h.mq) > 0)
        .await;
    let refused = h.mq.refused();
    h.mq.set_down(true);
    h.until("a refused send", |h| h.mq.refused() > refused)
        .await;
    let (mq, positions) = (h.mq.clone(), h.positions.clone());
    h.stop().await.unwrap();
    let stored = stored(&mq);
    assert!(
        stored > 0 && stored < 50,
        "{stored} stored: a chunk, not the poll"
    );
    let committed = positions
        .lock()
        .values()
        .filter_map(|o| o.get_i64("n"))
        .max();
    assert_eq!(
        committed,
        Some(i64::try_from(stored).unwrap()),
        "the committed position is what was stored"
    );
}

/// Sends that are still travelling when the loop polls the next batch (as over a network):
/// polls overlap sends; keyed batches travel one at a time (the next goes only after the
/// previous one settled, resends included), so every key's records arrive in the order
/// polled, through a send cut short, a send answered short, a refused send and an outage;
/// every record arrives once and the committed position is the last record's.
#[tokio::test]
async fn overlapped_keyed_sends_keep_each_keys_order_through_an_outage() {
    let h = Harness::start(Via::Source, &[("test.keys", "3")], 0);
    let mq = overlapped_sends_through_an_outage(h).await;
    assert_eq!(
        mq.most_sends_in_flight(),
        1,
        "one keyed send under way at a time"
    );
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    for message in mq.messages("out").into_iter().flatten() {
        by_key
            .entry(message.keys.clone().unwrap_or_default())
            .or_default()
            .push(String::from_utf8_lossy(&message.body).into_owned());
    }
    assert_eq!(by_key.len(), 3, "{:?}", by_key.keys());
    for (key, values) in by_key {
        let mut sorted = values.clone();
        sorted.sort();
        assert_eq!(values, sorted, "key {key} in the order polled");
    }
}

/// Unkeyed batches travel side by side (never more than `UNORDERED_FLIGHTS` at once), and
/// still every record arrives once through the same failures, and the committed position is
/// the last record's.
#[tokio::test]
async fn unkeyed_batches_travel_side_by_side_through_an_outage() {
    let h = Harness::start(Via::Source, &[], 0);
    let mq = overlapped_sends_through_an_outage(h).await;
    assert_eq!(
        mq.most_sends_in_flight(),
        u64::try_from(super::source::UNORDERED_FLIGHTS).unwrap(),
        "unkeyed batches side by side"
    );
}

/// A stop seen with two unkeyed batches travelling, the older one refused: the older one is
/// not sent again (stopping), the younger one's stored records are acknowledged rather than
/// dropped, and no position is committed past the refused records.
#[tokio::test]
async fn a_stop_behind_a_refused_batch_acknowledges_what_the_next_one_stored() {
    let mut h = Harness::start(Via::Source, &[], 0);
    h.mq.set_send_delay(Duration::from_millis(5));
    *h.shared.stop_at_poll.lock() = Some((2, h.control.clone()));
    h.mq.refuse_sends(1);
    h.feed(&["a1", "a2"]).await;
    h.feed(&["b1", "b2"]).await;
    h.until("both batches handed over", |h| {
        h.mq.most_sends_in_flight() == 2
    })
    .await;
    let (mq, positions) = (h.mq.clone(), h.positions.clone());
    h.stop().await.unwrap();
    let stored: Vec<String> = mq
        .messages("out")
        .into_iter()
        .flatten()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored.iter().all(|v| v.starts_with('b')), "{stored:?}");
    assert_eq!(
        positions
            .lock()
            .values()
            .filter_map(|o| o.get_i64("n"))
            .max(),
        None,
        "nothing committed past the refused batch"
    );
}

/// Feeds 40 polls of 5 records through a send cut short, one answered short, a refused send
/// and an outage; waits until every record arrived exactly once and the last position was
/// committed.
async fn overlapped_sends_through_an_outage(mut h: Harness) -> MemoryMq {
    h.mq.set_send_delay(Duration::from_millis(3));
    let batches: Vec<Vec<String>> = (0..40)
        .map(|b| (0..5).map(|i| format!("{:04}", b * 5 + i)).collect())
        .collect();
    for (n, batch) in batches.iter().enumerate() {
        if n == 5 {
            // A send cut short: its first two messages stored, the rest sent again.
            h.mq.store_only(2);
        }
        if n == 8 {
            // A producer that answers for only some of its messages: the rest go again.
            h.mq.answer_short(2);
        }
        if n == 10 {
            h.mq.refuse_sends(1);
        }
        if n == 20 {
            h.mq.set_down(true);
        }
        let values: Vec<&str> = batch.iter().map(String::as_str).collect();
        h.feed(&values).await;
        if n == 22 {
            let refused = h.mq.refused();
            h.until("a refused send", |h| h.mq.refused() > refused)
                .await;
            h.mq.set_down(false);
        }
    }
    let expected: Vec<String> = batches.iter().flatten().cloned().collect();
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    h.until_delivered(&expected).await;
    assert!(
        h.shared.polls_during_sends.load(Ordering::SeqCst) > 0,
        "polls overlap sends"
    );
    h.until("the last position committed", |h| {
        h.positions
            .lock()
            .values()
            .any(|o| o.get_i64("n") == Some(200))
    })
    .await;
    let mq = h.mq.clone();
    h.stop().await.unwrap();
    mq
}
