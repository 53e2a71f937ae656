//! [`WorkerMetrics`]: one registry per worker — the tasks' cells, the statuses of what runs
//! here, startups and rebalances — read as [`Sample`]s for every exposition.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;

use super::defs::{self, Def};
use super::task::{Sides, TaskMetrics};
use super::values::{Counter, Histogram, HistogramSnapshot};
use crate::ids::TaskId;

/// A metric's value at one moment.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Counter(u64),
    Gauge(i64),
    Histogram(HistogramSnapshot),
}

/// One labelled value of a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub def: &'static Def,
    pub labels: Vec<(&'static str, String)>,
    pub value: Value,
}

/// The states a connector or task can be in, as exported (`UNASSIGNED` is not exported:
/// what is not running here is not this worker's).
pub const STATES: [&str; 4] = ["RUNNING", "PAUSED", "FAILED", "STOPPED"];

/// The worker's metrics.
#[derive(Debug, Default)]
pub struct WorkerMetrics {
    tasks: RwLock<BTreeMap<TaskId, Arc<TaskMetrics>>>,
    connector_states: RwLock<BTreeMap<String, &'static str>>,
    task_states: RwLock<BTreeMap<TaskId, &'static str>>,
    pub connector_startup_attempts: Counter,
    pub connector_startup_failures: Counter,
    pub task_startup_attempts: Counter,
    pub task_startup_failures: Counter,
    pub rebalances: Counter,
    pub rebalance_time: RebalanceTimer,
    /// The status writer's failed sends and its changes not yet stored (distributed mode).
    pub status_write_failures: Counter,
    pub status_writes_pending: super::values::Gauge,
    /// Samples of the counters Kafka also reports as rates.
    pub rates: super::rates::Rates,
}

/// The rebalance timer (a newtype, so `WorkerMetrics` can derive `Default`).
#[derive(Debug, Clone)]
pub struct RebalanceTimer(pub Histogram);

impl Default for RebalanceTimer {
    fn default() -> Self {
        Self(Histogram::timer())
    }
}

fn state_name(state: &str) -> Option<&'static str> {
    STATES
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(state))
}

impl WorkerMetrics {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Fresh, exported cells for a task starting here (a restarted task starts from zero, as
    /// in Kafka Connect).
    pub fn register_task(&self, id: &TaskId, sides: Sides) -> Arc<TaskMetrics> {
        let metrics = Arc::new(TaskMetrics::new(id.clone(), sides));
        self.tasks.write().insert(id.clone(), metrics.clone());
        metrics
    }

    /// The topics `connector`'s tasks running here used (produced to or read from).
    pub fn topics_of(&self, connector: &str) -> std::collections::BTreeSet<String> {
        self.tasks
            .read()
            .iter()
            .filter(|(id, _)| id.connector == connector)
            .flat_map(|(_, task)| task.topics())
            .collect()
    }

    /// Forgets the topics `connector`'s tasks running here produced to.
    pub fn reset_topics_of(&self, connector: &str) {
        for (_, task) in self
            .tasks
            .read()
            .iter()
            .filter(|(id, _)| id.connector == connector)
        {
            task.reset_topics();
        }
    }

    /// Forgets a task that no longer runs here: its cells and its state.
    pub fn forget_task(&self, id: &TaskId) {
        self.tasks.write().remove(id);
        self.task_states.write().remove(id);
    }

    /// A connector's state here (`None` or `UNASSIGNED`: not running here).
    pub fn set_connector_state(&self, connector: &str, state: Option<&str>) {
        let mut states = self.connector_states.write();
        match state.and_then(state_name) {
            Some(state) => {
                states.insert(connector.to_owned(), state);
            }
            None => {
                states.remove(connector);
            }
        }
    }

    /// A task's state here (`None` or `UNASSIGNED`: not running here).
    pub fn set_task_state(&self, task: &TaskId, state: Option<&str>) {
        let mut states = self.task_states.write();
        match state.and_then(state_name) {
            Some(state) => {
                states.insert(task.clone(), state);
            }
            None => {
                states.remove(task);
            }
        }
    }

    /// Samples the rated counters (call every few seconds; `GET /admin/metrics` and the
    /// reporters show the rates over the last minute).
    pub fn sample_rates(&self) {
        self.rates
            .sample(std::time::Instant::now(), &self.samples());
    }

    /// Every value now under the Kafka Connect / Java names, rates included.
    pub fn entries(&self) -> Vec<super::exposition::Entry> {
        let mut entries = super::exposition::entries(&self.samples());
        entries.extend(super::exposition::rate_entries(&self.rates));
        entries
    }

    /// Every value now, in definition order.
    pub fn samples(&self) -> Vec<Sample> {
        let mut samples = Vec::new();
        self.task_samples(&mut samples);
        self.worker_samples(&mut samples);
        let order = |def: &Def| defs::ALL.iter().position(|d| std::ptr::eq(*d, def));
        samples.sort_by_key(|s| order(s.def));
        samples
    }

    fn task_samples(&self, out: &mut Vec<Sample>) {
        for task in self.tasks.read().values() {
            let labels = || {
                vec![
                    ("connector", task.id.connector.clone()),
                    ("task", task.id.task.to_string()),
                ]
            };
            let mut counter = |def: &'static Def, cell: &super::values::Counter| {
                out.push(Sample {
                    def,
                    labels: labels(),
                    value: Value::Counter(cell.get()),
                });
            };
            if task.sides.source {
                counter(&defs::SOURCE_POLL, &task.source_poll);
                counter(&defs::SOURCE_WRITE, &task.source_write);
            }
            if task.sides.sink {
                counter(&defs::SINK_READ, &task.sink_read);
                counter(&defs::SINK_SEND, &task.sink_send);
                counter(&defs::COMMIT_COMPLETION, &task.commit_completion);
                counter(&defs::COMMIT_SKIP, &task.commit_skip);
            }
            counter(&defs::COMMIT_SUCCESS, &task.commit_success);
            counter(&defs::COMMIT_FAILURE, &task.commit_failure);
            counter(&defs::RECORD_FAILURES, &task.record_failures);
            counter(&defs::RECORD_ERRORS, &task.record_errors);
            counter(&defs::RECORDS_SKIPPED, &task.records_skipped);
            counter(&defs::RETRIES, &task.retries);
            counter(&defs::ERRORS_LOGGED, &task.errors_logged);
            counter(&defs::DLQ_REQUESTS, &task.dlq_requests);
            counter(&defs::DLQ_FAILURES, &task.dlq_failures);
            let mut histogram = |def: &'static Def, cell: &Histogram| {
                out.push(Sample {
                    def,
                    labels: labels(),
                    value: Value::Histogram(cell.snapshot()),
                });
            };
            if task.sides.source {
                histogram(&defs::POLL_BATCH, &task.poll_batch);
            }
            if task.sides.sink {
                histogram(&defs::PUT_BATCH, &task.put_batch);
            }
            histogram(&defs::COMMIT_TIME, &task.commit_time);
            histogram(&defs::BATCH_SIZE, &task.batch_size);
            if task.sides.source {
                out.push(Sample {
                    def: &defs::SOURCE_ACTIVE,
                    labels: labels(),
                    value: Value::Gauge(task.source_active.get()),
                });
            }
            for (def, gauge) in [
                &defs::CDC_BEHIND,
                &defs::CDC_SNAPSHOT_RUNNING,
                &defs::CDC_SNAPSHOT_REMAINING,
                &defs::CDC_SLOT_LAG,
            ]
            .into_iter()
            .zip(super::task::SOURCE_GAUGES)
            {
                if let Some(value) = task.source_gauge(gauge) {
                    out.push(Sample {
                        def,
                        labels: labels(),
                        value: Value::Gauge(value),
                    });
                }
            }
            for ((topic, queue), behind) in task.lag() {
                let mut labels = labels();
                labels.push(("topic", topic));
                labels.push(("queue", queue.to_string()));
                out.push(Sample {
                    def: &defs::SINK_LAG,
                    labels,
                    value: Value::Gauge(behind),
                });
            }
        }
    }

    fn worker_samples(&self, out: &mut Vec<Sample>) {
        let connectors = self.connector_states.read();
        let tasks = self.task_states.read();
        let gauge = |def: &'static Def, labels: Vec<(&'static str, String)>, value: usize| Sample {
            def,
            labels,
            value: Value::Gauge(i64::try_from(value).unwrap_or(i64::MAX)),
        };
        out.push(gauge(&defs::CONNECTOR_COUNT, Vec::new(), connectors.len()));
        out.push(gauge(&defs::TASK_COUNT, Vec::new(), tasks.len()));
        for (connector, state) in connectors.iter() {
            out.push(gauge(
                &defs::STATUS,
                vec![
                    ("connector", connector.clone()),
                    ("state", (*state).to_owned()),
                ],
                1,
            ));
            for wanted in STATES {
                let count = tasks
                    .iter()
                    .filter(|(id, state)| id.connector == *connector && **state == wanted)
                    .count();
                out.push(gauge(
                    &defs::CONNECTOR_TASKS,
                    vec![
                        ("connector", connector.clone()),
                        ("state", wanted.to_owned()),
                    ],
                    count,
                ));
            }
        }
        for (id, state) in tasks.iter() {
            out.push(gauge(
                &defs::STATUS,
                vec![
                    ("connector", id.connector.clone()),
                    ("task", id.task.to_string()),
                    ("state", (*state).to_owned()),
                ],
                1,
            ));
        }
        for (def, cell) in [
            (
                &defs::CONNECTOR_STARTUP_ATTEMPTS,
                &self.connector_startup_attempts,
            ),
            (
                &defs::CONNECTOR_STARTUP_FAILURES,
                &self.connector_startup_failures,
            ),
            (&defs::TASK_STARTUP_ATTEMPTS, &self.task_startup_attempts),
            (&defs::TASK_STARTUP_FAILURES, &self.task_startup_failures),
            (&defs::REBALANCES, &self.rebalances),
            (&defs::STATUS_WRITE_FAILURES, &self.status_write_failures),
        ] {
            out.push(Sample {
                def,
                labels: Vec::new(),
                value: Value::Counter(cell.get()),
            });
        }
        out.push(Sample {
            def: &defs::REBALANCE_TIME,
            labels: Vec::new(),
            value: Value::Histogram(self.rebalance_time.0.snapshot()),
        });
        out.push(Sample {
            def: &defs::STATUS_WRITES_PENDING,
            labels: Vec::new(),
            value: Value::Gauge(self.status_writes_pending.get()),
        });
    }
}
