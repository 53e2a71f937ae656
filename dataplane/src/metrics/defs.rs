//! Every metric the worker exports, defined once: its Prometheus name, the Kafka Connect /
//! Java runtime group and name it stands for, its kind and help. The Prometheus text, the
//! JSON view and the reporters are all written from this table.

/// What a metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    /// Durations in seconds (Prometheus histogram; Kafka's `-avg-time-ms` / `-max-time-ms`).
    Timer,
    /// Sizes (Prometheus histogram; Kafka's `-avg` / `-max`).
    Size,
}

/// One metric.
#[derive(Debug, PartialEq, Eq)]
pub struct Def {
    /// Prometheus name (after the `rocketmq_connect_` prefix).
    pub prom: &'static str,
    /// Kafka Connect / Java runtime group (`source-task-metrics`, …).
    pub group: &'static str,
    /// Kafka Connect / Java runtime name (for timers and sizes: the stem, `poll-batch` →
    /// `poll-batch-avg-time-ms`, `poll-batch-max-time-ms`).
    pub kafka: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

/// The prefix of every Prometheus name.
pub const PREFIX: &str = "rocketmq_connect_";

macro_rules! defs {
    ($($id:ident: $prom:literal, $group:literal, $kafka:literal, $kind:ident, $help:literal;)*) => {
        $(pub static $id: Def = Def {
            prom: $prom,
            group: $group,
            kafka: $kafka,
            kind: Kind::$kind,
            help: $help,
        };)*
        /// Every definition, in exposition order.
        pub static ALL: &[&Def] = &[$(&$id),*];
    };
}

defs! {
    SOURCE_POLL: "source_record_poll_total", "source-task-metrics", "source-record-poll-total", Counter,
        "Records the source task returned from poll, before transforms.";
    SOURCE_WRITE: "source_record_write_total", "source-task-metrics", "source-record-write-total", Counter,
        "Records written to RocketMQ (acknowledged by the broker) or handed to the sink in direct mode, after transforms.";
    SOURCE_ACTIVE: "source_records_active", "source-task-metrics", "source-record-active-count", Gauge,
        "Records polled but not yet acknowledged.";
    POLL_BATCH: "poll_batch_duration_seconds", "source-task-metrics", "poll-batch", Timer,
        "Time a poll that returned records took.";
    SINK_READ: "sink_record_read_total", "sink-task-metrics", "sink-record-read-total", Counter,
        "Messages read from RocketMQ (or records from the source task in direct mode), before transforms.";
    SINK_SEND: "sink_record_send_total", "sink-task-metrics", "sink-record-send-total", Counter,
        "Records the sink task accepted in put, after transforms.";
    PUT_BATCH: "put_batch_duration_seconds", "sink-task-metrics", "put-batch", Timer,
        "Time the sink task took to accept a batch (retries included).";
    COMMIT_COMPLETION: "offset_commit_completion_total", "sink-task-metrics", "offset-commit-completion-total", Counter,
        "Offset commits of a sink task that completed.";
    COMMIT_SKIP: "offset_commit_skip_total", "sink-task-metrics", "offset-commit-skip-total", Counter,
        "Offset commits of a sink task that were skipped (the flush failed or timed out).";
    SINK_LAG: "sink_record_lag_messages", "sink-task-metrics", "sink-record-lag", Gauge,
        "Messages of a queue not yet read by the sink task (per queue: topic, queue).";
    COMMIT_SUCCESS: "offset_commit_success_total", "connector-task-metrics", "offset-commit-success-count", Counter,
        "Position or offset commits that succeeded.";
    COMMIT_FAILURE: "offset_commit_failure_total", "connector-task-metrics", "offset-commit-failure-count", Counter,
        "Position or offset commits that failed (retried at the next commit).";
    COMMIT_TIME: "offset_commit_duration_seconds", "connector-task-metrics", "offset-commit", Timer,
        "Time a commit took (flush and persisting).";
    BATCH_SIZE: "batch_size_records", "connector-task-metrics", "batch-size", Size,
        "Records per batch polled or read.";
    RECORD_FAILURES: "record_failures_total", "task-error-metrics", "total-record-failures", Counter,
        "Failed attempts to process a record (each retry counts).";
    RECORD_ERRORS: "record_errors_total", "task-error-metrics", "total-record-errors", Counter,
        "Records that failed for good (after retries).";
    RECORDS_SKIPPED: "records_skipped_total", "task-error-metrics", "total-records-skipped", Counter,
        "Records skipped under errors.tolerance=all.";
    RETRIES: "retries_total", "task-error-metrics", "total-retries", Counter,
        "Retries of a failed operation (record operations, poll, put, send).";
    ERRORS_LOGGED: "errors_logged_total", "task-error-metrics", "total-errors-logged", Counter,
        "Failed records logged (errors.log.enable).";
    DLQ_REQUESTS: "deadletterqueue_produce_requests_total", "task-error-metrics", "deadletterqueue-produce-requests", Counter,
        "Records sent to the dead-letter topic.";
    DLQ_FAILURES: "deadletterqueue_produce_failures_total", "task-error-metrics", "deadletterqueue-produce-failures", Counter,
        "Failed sends to the dead-letter topic.";
    CDC_BEHIND: "cdc_milliseconds_behind_source", "streaming-metrics", "MilliSecondsBehindSource", Gauge,
        "How far the last change read lags behind the source database's clock (CDC streaming).";
    CDC_SNAPSHOT_RUNNING: "cdc_snapshot_running", "snapshot-metrics", "SnapshotRunning", Gauge,
        "1 while a snapshot runs (CDC).";
    CDC_SNAPSHOT_REMAINING: "cdc_snapshot_remaining_tables", "snapshot-metrics", "RemainingTableCount", Gauge,
        "Tables the running snapshot has still to read (CDC).";
    CDC_SLOT_LAG: "cdc_slot_lag_bytes", "streaming-metrics", "SlotLagBytes", Gauge,
        "WAL the replication slot holds back (CDC, PostgreSQL).";
    CONNECTOR_COUNT: "connectors", "connect-worker-metrics", "connector-count", Gauge,
        "Connectors assigned to this worker (running, paused or failed).";
    TASK_COUNT: "tasks", "connect-worker-metrics", "task-count", Gauge,
        "Tasks assigned to this worker (running, paused or failed).";
    CONNECTOR_TASKS: "connector_tasks", "connect-worker-metrics", "connector-task-count", Gauge,
        "Tasks of a connector on this worker by state (connector-running-task-count, …).";
    STATUS: "status", "connector-metrics", "status", Gauge,
        "1 for the current state of a connector or task (state, and task for a task).";
    CONNECTOR_STARTUP_ATTEMPTS: "connector_startup_attempts_total", "connect-worker-metrics", "connector-startup-attempts-total", Counter,
        "Connector starts attempted on this worker.";
    CONNECTOR_STARTUP_FAILURES: "connector_startup_failure_total", "connect-worker-metrics", "connector-startup-failure-total", Counter,
        "Connector starts that failed.";
    TASK_STARTUP_ATTEMPTS: "task_startup_attempts_total", "connect-worker-metrics", "task-startup-attempts-total", Counter,
        "Task starts attempted on this worker.";
    TASK_STARTUP_FAILURES: "task_startup_failure_total", "connect-worker-metrics", "task-startup-failure-total", Counter,
        "Task starts that failed.";
    REBALANCES: "completed_rebalances_total", "connect-worker-rebalance-metrics", "completed-rebalances-total", Counter,
        "Assignments this worker applied.";
    REBALANCE_TIME: "rebalance_duration_seconds", "connect-worker-rebalance-metrics", "rebalance", Timer,
        "Time this worker took to apply an assignment (stopping and starting what changed).";
    STATUS_WRITE_FAILURES: "status_write_failures_total", "connect-worker-metrics", "status-write-failure-total", Counter,
        "Sends of status changes to the status topic that failed and are retried (distributed mode).";
    STATUS_WRITES_PENDING: "status_writes_pending", "connect-worker-metrics", "status-writes-pending", Gauge,
        "Status changes of this worker not yet stored in the status topic (distributed mode).";
}
