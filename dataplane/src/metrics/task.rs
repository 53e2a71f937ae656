//! [`TaskMetrics`]: the cells of one task, held by its loop (through `LoopControl`) and read
//! by the worker's registry.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::atomic::{AtomicBool, Ordering};

use connect_api::{SourceGauge, SourceGauges};
use parking_lot::Mutex;

use super::values::{Counter, Gauge, Histogram};
use crate::ids::TaskId;

/// Which side(s) of the data path a task has: its source-task and sink-task metric groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sides {
    pub source: bool,
    pub sink: bool,
}

/// One task's metrics.
#[derive(Debug)]
pub struct TaskMetrics {
    pub id: TaskId,
    pub sides: Sides,
    // source-task-metrics
    pub source_poll: Counter,
    pub source_write: Counter,
    pub source_active: Gauge,
    pub poll_batch: Histogram,
    // sink-task-metrics
    pub sink_read: Counter,
    pub sink_send: Counter,
    pub put_batch: Histogram,
    pub commit_completion: Counter,
    pub commit_skip: Counter,
    /// Messages behind per `(topic, queue id)`.
    lag: Mutex<BTreeMap<(String, i32), i64>>,
    /// Topics the source side produced to (Kafka Connect's active topics).
    produced_to: Mutex<BTreeSet<String>>,
    // connector-task-metrics
    pub commit_success: Counter,
    pub commit_failure: Counter,
    pub commit_time: Histogram,
    pub batch_size: Histogram,
    // task-error-metrics
    pub record_failures: Counter,
    pub record_errors: Counter,
    pub records_skipped: Counter,
    pub retries: Counter,
    pub errors_logged: Counter,
    pub dlq_requests: Counter,
    pub dlq_failures: Counter,
    // What the source task reports about its source (CDC), exported once reported.
    source_gauges: [(Gauge, AtomicBool); 4],
}

/// The index of a source gauge in [`TaskMetrics`].
fn gauge_index(gauge: SourceGauge) -> usize {
    match gauge {
        SourceGauge::MilliSecondsBehindSource => 0,
        SourceGauge::SnapshotRunning => 1,
        SourceGauge::SnapshotRemainingTables => 2,
        SourceGauge::SlotLagBytes => 3,
    }
}

/// Every source gauge, in index order.
pub const SOURCE_GAUGES: [SourceGauge; 4] = [
    SourceGauge::MilliSecondsBehindSource,
    SourceGauge::SnapshotRunning,
    SourceGauge::SnapshotRemainingTables,
    SourceGauge::SlotLagBytes,
];

impl SourceGauges for TaskMetrics {
    fn set(&self, gauge: SourceGauge, value: i64) {
        let (cell, reported) = &self.source_gauges[gauge_index(gauge)];
        cell.set(value);
        reported.store(true, Ordering::Relaxed);
    }
}

impl TaskMetrics {
    /// Fresh cells for `id` (register them with `WorkerMetrics::register_task` to export them).
    pub fn new(id: TaskId, sides: Sides) -> Self {
        Self {
            id,
            sides,
            source_poll: Counter::default(),
            source_write: Counter::default(),
            source_active: Gauge::default(),
            poll_batch: Histogram::timer(),
            sink_read: Counter::default(),
            sink_send: Counter::default(),
            put_batch: Histogram::timer(),
            commit_completion: Counter::default(),
            commit_skip: Counter::default(),
            lag: Mutex::new(BTreeMap::new()),
            produced_to: Mutex::new(BTreeSet::new()),
            commit_success: Counter::default(),
            commit_failure: Counter::default(),
            commit_time: Histogram::timer(),
            batch_size: Histogram::sizes(),
            record_failures: Counter::default(),
            record_errors: Counter::default(),
            records_skipped: Counter::default(),
            retries: Counter::default(),
            errors_logged: Counter::default(),
            dlq_requests: Counter::default(),
            dlq_failures: Counter::default(),
            source_gauges: Default::default(),
        }
    }

    /// A source gauge's value, once the task reported it.
    pub fn source_gauge(&self, gauge: SourceGauge) -> Option<i64> {
        let (cell, reported) = &self.source_gauges[gauge_index(gauge)];
        reported.load(Ordering::Relaxed).then(|| cell.get())
    }

    /// Cells nobody exports (tests, tools).
    pub fn detached() -> Self {
        Self::new(
            TaskId::new("", 0),
            Sides {
                source: true,
                sink: true,
            },
        )
    }

    /// Sets how many messages of `queue` of `topic` are not read yet.
    pub fn set_lag(&self, topic: &str, queue: i32, behind: i64) {
        let mut lag = self.lag.lock();
        match lag.get_mut(&(topic.to_owned(), queue)) {
            Some(value) => *value = behind,
            None => {
                lag.insert((topic.to_owned(), queue), behind);
            }
        }
    }

    /// Keeps the lag of the queues `assigned` says this task still reads (a rebalance gave the
    /// others to another task, which reports them).
    pub fn retain_lag(&self, assigned: impl Fn(&str, i32) -> bool) {
        self.lag
            .lock()
            .retain(|(topic, queue), _| assigned(topic, *queue));
    }

    /// Notes the topics of a batch about to be produced (one lock per batch; a run of one
    /// topic is looked up once).
    pub fn note_produced<'a>(&self, topics: impl Iterator<Item = &'a str>) {
        let mut known = self.produced_to.lock();
        let mut last: Option<&str> = None;
        for topic in topics {
            if last != Some(topic) && !known.contains(topic) {
                known.insert(topic.to_owned());
            }
            last = Some(topic);
        }
    }

    /// The topics this task used: produced to, or read from (Kafka Connect's active topics).
    pub fn topics(&self) -> BTreeSet<String> {
        let mut topics = self.produced_to.lock().clone();
        topics.extend(self.lag.lock().keys().map(|(topic, _)| topic.clone()));
        topics
    }

    /// Forgets the topics produced to (`PUT /connectors/{name}/topics/reset`).
    pub fn reset_topics(&self) {
        self.produced_to.lock().clear();
    }

    /// The lag per `(topic, queue)`.
    pub fn lag(&self) -> Vec<((String, i32), i64)> {
        self.lag
            .lock()
            .iter()
            .map(|(queue, behind)| (queue.clone(), *behind))
            .collect()
    }
}
