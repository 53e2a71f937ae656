//! Where a CDC task's records wait for `poll`: data records pass the in-task
//! `kafka.transforms` and topic routing; records that keep their own topic (heartbeats, schema
//! changes, transaction markers) only the routing. It also knows when a heartbeat is due: the
//! interval passed without any record.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use connect_api::{ConnectRecord, ConnectResult, RecordOffset, RecordPartition};

use crate::config::CdcConfig;
use crate::envelope::{self, Change};
use crate::routing::Router;

/// A task's queue of records, with its partition and router.
pub struct Outbox {
    router: Router,
    /// The partition every record of the task carries (`{"server": <name>}`).
    pub partition: RecordPartition,
    records: VecDeque<ConnectRecord>,
    last_record: Instant,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("partition", &self.partition)
            .field("queued", &self.records.len())
            .finish()
    }
}

impl Outbox {
    pub fn new(router: Router, partition: RecordPartition) -> Self {
        Self {
            router,
            partition,
            records: VecDeque::new(),
            last_record: Instant::now(),
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// At most `max` records, oldest first.
    pub fn drain(&mut self, max: usize) -> Vec<ConnectRecord> {
        let n = self.records.len().min(max);
        self.records.drain(..n).collect()
    }

    /// A change as records (the tombstone too when asked) at `offset`, through the transforms
    /// and routing.
    pub fn emit(
        &mut self,
        change: Change,
        offset: RecordOffset,
        tombstone: bool,
        now_ms: i64,
    ) -> ConnectResult<()> {
        let records = envelope::records(change, &self.partition, offset, tombstone, Some(now_ms))?;
        for record in records {
            if let Some(record) = self.router.route(record)? {
                self.records.push_back(record);
            }
        }
        self.last_record = Instant::now();
        Ok(())
    }

    /// Queues a record that keeps its own topic (heartbeats, schema changes, transactions).
    pub fn push_own_topic(&mut self, record: ConnectRecord) -> ConnectResult<()> {
        if let Some(record) = self.router.route_own_topic(record)? {
            self.records.push_back(record);
        }
        Ok(())
    }

    /// A `BEGIN` (`end: None`) or `END` record (with the counts per table).
    pub fn transaction_record(
        &mut self,
        server: &str,
        id: &str,
        end: Option<&[(String, i64)]>,
        offset: RecordOffset,
    ) -> ConnectResult<()> {
        let record =
            envelope::transaction_record(server, id, end, &self.partition, offset, now_ms())?;
        self.push_own_topic(record)
    }

    /// Whether a heartbeat is due (`heartbeat.interval.ms` passed without a record); the
    /// interval starts again when it is.
    pub fn heartbeat_due(&mut self, interval: Option<Duration>) -> bool {
        let due = interval.is_some_and(|i| self.last_record.elapsed() >= i);
        if due {
            self.last_record = Instant::now();
        }
        due
    }

    /// Queues a heartbeat record carrying `offset`, so an idle connector's committed position
    /// keeps up.
    pub fn heartbeat(&mut self, config: &CdcConfig, offset: RecordOffset) -> ConnectResult<()> {
        let record = envelope::heartbeat(
            &config.server_name,
            &config.heartbeat_topics_prefix,
            &self.partition,
            offset,
            now_ms(),
        )?;
        self.push_own_topic(record)
    }

    /// Stops the in-task transforms.
    pub fn stop(&mut self) {
        self.router.stop();
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
