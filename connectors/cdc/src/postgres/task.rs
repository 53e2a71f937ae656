//! The PostgreSQL CDC task: the initial snapshot (chunks ordered by the key, read after the
//! slot's consistent point), then the replication stream from where the offsets say. The
//! slot's confirmed position follows what RocketMQ stored, and also moves on while the
//! captured tables are idle, so the slot does not pin WAL other tables write.
//!
//! Why the snapshot needs no lock and no exported snapshot: every change committed after the
//! slot's consistent point is streamed after the snapshot's rows, in commit order, so the last
//! event of each key on the topic is the table's current row — whatever each chunk saw.
//!
//! Incremental snapshots (signals: the signal table or topic) run beside the stream, a chunk
//! at a time between two watermarks written into the WAL (DBLog): changes streamed between
//! them supersede the chunk's copy of their rows, the rest is sent at the closing one.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, RecordOffset, SendMetadata, SourceTask,
    SourceTaskContext, Value,
};
use connect_transforms::TransformChain;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection, Row, ValueRef};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::chunk::{ChunkRow, Edge, PendingChunk};
use super::columns::{PgColumn, TypeRegistry};
use super::position::{PgPosition, lsn_text};
use super::server::{self, ServerError, quote_ident};
use super::source::{PgSourceInfo, pg_micros_to_unix_ms};
use super::stream::{self, PgItem, PgTable, RowChange, Stream, StreamStart, WATERMARK_PREFIX};
use super::values;
use crate::config::{CdcConfig, Dialect, SkippedOps, SnapshotMode};
use crate::envelope::{self, Change, Op, SnapshotMarker, SourceCommon};
use crate::outbox::{Outbox, now_ms};
use crate::position::{self, SnapshotProgress, chunk_offsets};
use crate::routing::Router;
use crate::signals::Signal;
use crate::table::CapturedTable;
use crate::transaction::TransactionTracker;

/// Above this much WAL held by the slot, a warning is logged (once per crossing).
const LAG_WARNING_BYTES: i64 = 1 << 30;

/// The task class the connector hands out (the Java plugin's name).
pub const TASK_CLASS: &str = "org.apache.rocketmq.connect.debezium.postgres.DebeziumPostgresSource";

/// Slot + snapshot → records.
#[derive(Debug, Default)]
pub struct PgCdcTask {
    state: Option<Running>,
    gauges: crate::gauges::GaugeReporter,
}

struct Running {
    config: Arc<CdcConfig>,
    position: PgPosition,
    /// Whether the slot's lag was read since the task started.
    slot_lag_read: bool,
    /// The slot's `catalog_xmin` as last read (`source.xmin`; `xmin.fetch.interval.ms`).
    xmin: Option<i64>,
    stream: Option<Stream>,
    /// The snapshot's session and the table being read.
    snapshot: Option<SnapshotRead>,
    stream_after_snapshot: bool,
    /// Records made but not yet returned.
    outbox: Outbox,
    /// The LSN the slot may confirm, for the reader.
    acks: watch::Sender<u64>,
    /// The last LSN sent on `acks` (only `ack` sends): most acknowledgements confirm nothing
    /// new and cost a comparison with it, not the channel's lock.
    acked: u64,
    /// The `lsn_commit` of each record handed out and not yet stored or skipped (value →
    /// count). RocketMQ acknowledges records in any order (queues, retries): the slot may
    /// confirm only up to the smallest of these.
    inflight: BTreeMap<u64, u64>,
    /// Everything before this LSN was handed over as records (or had none).
    sent_through: u64,
    transactions: TransactionTracker,
    /// The signal topic's listener (`signal.rocketmq.topic`).
    signals: Option<Box<dyn connect_api::TopicMessages>>,
    /// The incremental snapshot's chunk read between two watermarks, not yet sent.
    pending: Option<PendingChunk>,
    /// Names this task's watermarks apart from an earlier run's still in the WAL.
    watermark_run: i64,
    watermarks: u64,
    /// A signal-table signal changed the snapshot's progress, which only offsets keep.
    hold: Option<SignalHold>,
    /// The session `heartbeat.action.query` runs on.
    heartbeat_conn: Option<PgConnection>,
}

/// Until an offset carrying a signal's effect is durably committed, the slot must not confirm
/// the signal's transaction: a crash would lose the signal (its row makes no record). A
/// heartbeat carries the new progress at once; the hold ends at the first offset commit after
/// it and everything before it were acknowledged.
#[derive(Debug, Clone, Copy)]
struct SignalHold {
    /// `lsn_commit` when the signal came: the slot confirms no further.
    cap: u64,
    /// The heartbeat's timestamp (ms); heartbeats from then on carry the progress.
    since_ms: i64,
    heartbeat_stored: bool,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("server", &self.config.server_name)
            .field("position", &self.position)
            .finish()
    }
}

struct SnapshotRead {
    conn: PgConnection,
    types: TypeRegistry,
    table: Option<Arc<PgTable>>,
    /// A keyless table is read through a cursor in one transaction; the last row read is
    /// held back until the next fetch tells whether it is the table's last.
    cursor_open: bool,
    held: Option<Vec<Value>>,
    /// The current table has a primary key to read it in chunks by.
    by_key: bool,
}

fn retriable(e: ServerError) -> ConnectError {
    if e.is_transient() {
        ConnectError::retriable(e.to_string())
    } else {
        ConnectError::other(e.to_string())
    }
}

#[async_trait]
impl SourceTask for PgCdcTask {
    async fn start(&mut self, config: Config, context: SourceTaskContext) -> ConnectResult<()> {
        let parsed = Arc::new(
            CdcConfig::parse_for(Dialect::Postgres, &config).map_err(ConnectError::Config)?,
        );
        let pg = server::settings(&parsed).map_err(retriable)?;
        let transforms = TransformChain::from_config(&config.with_prefix_stripped("kafka."))?;
        let partition = crate::position::partition(&parsed.server_name);
        let stored = context.offset_storage_reader().read_offset(&partition);
        let stored = stored.as_ref().and_then(PgPosition::from_offset);
        let mut conn = server::connect(&parsed).await.map_err(retriable)?;
        server::ensure_publication(&mut conn, &parsed)
            .await
            .map_err(retriable)?;
        let (mut slot, created) = server::ensure_slot(&mut conn, &parsed)
            .await
            .map_err(retriable)?;
        let lost = slot.wal_status == "lost" || (created && stored.is_some());
        if lost {
            if parsed.snapshot_mode != SnapshotMode::WhenNeeded {
                return Err(ConnectError::other(format!(
                    "replication slot '{}' is lost ({}): the changes since the connector's last position are gone. Set snapshot.mode=when_needed to take a new snapshot, or drop the slot and reset the connector's offsets",
                    pg.slot_name,
                    if created {
                        "it no longer existed and was created anew".to_owned()
                    } else {
                        "wal_status=lost: the WAL it needed was removed, see max_slot_wal_keep_size"
                            .to_owned()
                    }
                )));
            }
            warn!(slot = %pg.slot_name, "replication slot lost: taking a new snapshot (snapshot.mode=when_needed)");
            if !created {
                server::drop_slot(&mut conn, &pg.slot_name)
                    .await
                    .map_err(retriable)?;
                slot = server::ensure_slot(&mut conn, &parsed)
                    .await
                    .map_err(retriable)?
                    .0;
            }
        }
        let slot_lsn = slot.confirmed_flush.unwrap_or(0);
        let tables: Vec<String> = server::captured_tables(&mut conn, &parsed)
            .await
            .map_err(retriable)?
            .iter()
            .map(server::TableRef::id)
            .collect();
        let position = match stored {
            Some(mut stored) if !lost => {
                if parsed.snapshot_mode == SnapshotMode::Always
                    && stored.snapshot.as_ref().is_none_or(|p| p.incremental)
                {
                    stored.snapshot = Some(SnapshotProgress {
                        tables,
                        ..Default::default()
                    });
                }
                stored
            }
            stored => PgPosition {
                lsn_commit: slot_lsn,
                lsn: slot_lsn,
                snapshot: if parsed.snapshot_mode.snapshots_data() {
                    Some(SnapshotProgress {
                        tables,
                        ..Default::default()
                    })
                } else {
                    None
                },
                signals: stored.map(|s| s.signals).unwrap_or_default(),
                ..Default::default()
            },
        };
        info!(
            server = %parsed.server_name,
            slot = %pg.slot_name,
            lsn = %lsn_text(position.lsn_commit),
            snapshot_tables = position.snapshot.as_ref().map_or(0, |s| s.tables.len()),
            "starting PostgreSQL CDC"
        );
        let snapshot = match position.snapshot {
            Some(_) => Some(SnapshotRead {
                types: server::load_types(&mut conn).await.map_err(retriable)?,
                conn,
                table: None,
                cursor_open: false,
                held: None,
                by_key: false,
            }),
            None => {
                let _ = conn.close().await;
                None
            }
        };
        let signals = crate::signals::subscribe(&parsed, &context, &position.signals).await?;
        self.gauges =
            crate::gauges::GaugeReporter::new(context.gauges.clone(), position.ts_usec / 1000);
        let (acks, _) = watch::channel(position.lsn_commit);
        self.state = Some(Running {
            signals,
            slot_lag_read: false,
            xmin: None,
            pending: None,
            watermark_run: now_ms(),
            watermarks: 0,
            hold: None,
            heartbeat_conn: None,
            outbox: Outbox::new(
                Router::new(transforms, parsed.topic_name.clone()),
                partition,
            ),
            stream_after_snapshot: parsed.snapshot_mode != SnapshotMode::InitialOnly,
            sent_through: position.lsn_commit,
            acked: position.lsn_commit,
            position,
            stream: None,
            snapshot,
            acks,
            inflight: BTreeMap::new(),
            transactions: TransactionTracker::default(),
            config: parsed,
        });
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        let state = self
            .state
            .as_mut()
            .ok_or_else(|| ConnectError::other("the PostgreSQL CDC task was not started"))?;
        let records = state.poll().await?;
        // A transaction's records share their `lsn_commit` and come together: one map entry
        // per run of them.
        let mut run: Option<(u64, u64)> = None;
        for lsn in records.iter().map(lsn_commit_of) {
            match &mut run {
                Some((same, count)) if *same == lsn => *count += 1,
                _ => {
                    if let Some((lsn, count)) = run.replace((lsn, 1)) {
                        *state.inflight.entry(lsn).or_default() += count;
                    }
                }
            }
        }
        if let Some((lsn, count)) = run {
            *state.inflight.entry(lsn).or_default() += count;
        }
        state.release_acks();
        let position = &state.position;
        self.gauges.report(
            position.snapshot.as_ref(),
            position.ts_usec / 1000,
            // The stored offset's lag is from before the restart: only what was read since.
            position.slot_lag_bytes.filter(|_| state.slot_lag_read),
        );
        Ok(records)
    }

    fn commit_record(
        &mut self,
        record: &ConnectRecord,
        _metadata: Option<&SendMetadata>,
    ) -> ConnectResult<()> {
        if let Some(state) = self.state.as_mut() {
            // Every record handed out is counted in `inflight`: with one transaction in flight
            // (a large one streaming, a snapshot) the record is of that one. Its offset is not
            // read then — by now it is out of the cache, and reading it was 4% of the task's
            // time.
            let lsn = match state.inflight.first_key_value() {
                Some((&only, _)) if state.inflight.len() == 1 => {
                    debug_assert_eq!(only, lsn_commit_of(record));
                    only
                }
                _ => lsn_commit_of(record),
            };
            if let Some(count) = state.inflight.get_mut(&lsn) {
                *count -= 1;
                if *count == 0 {
                    state.inflight.remove(&lsn);
                }
            }
            if let Some(hold) = state.hold.as_mut()
                && envelope::is_heartbeat(record)
                && record.timestamp.is_some_and(|ts| ts >= hold.since_ms)
            {
                hold.heartbeat_stored = true;
            }
            state.release_acks();
        }
        Ok(())
    }

    async fn commit(&mut self) -> ConnectResult<()> {
        if let Some(state) = self.state.as_mut()
            && let Some(hold) = state.hold
            // Everything up to the heartbeat was acknowledged, so the committed prefix
            // includes it.
            && hold.heartbeat_stored
            && state.inflight.keys().next().is_none_or(|&oldest| oldest > hold.cap)
        {
            state.hold = None;
            state.release_acks();
        }
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        let Some(mut state) = self.state.take() else {
            return Ok(());
        };
        state.stream = None;
        if let Some(snapshot) = state.snapshot.take() {
            let _ = snapshot.conn.close().await;
        }
        if let Some(conn) = state.heartbeat_conn.take() {
            let _ = conn.close().await;
        }
        state.outbox.stop();
        let Some(pg) = state.config.postgres.as_ref() else {
            return Ok(());
        };
        if pg.slot_drop_on_stop {
            let dropped = match server::connect(&state.config).await {
                Ok(mut conn) => {
                    let result = server::drop_slot(&mut conn, &pg.slot_name).await;
                    let _ = conn.close().await;
                    result
                }
                Err(e) => Err(e),
            };
            match dropped {
                Ok(()) => {
                    info!(slot = %pg.slot_name, "replication slot dropped (slot.drop.on.stop)")
                }
                Err(e) => {
                    warn!(slot = %pg.slot_name, error = %e, "could not drop the replication slot (slot.drop.on.stop); drop it with SELECT pg_drop_replication_slot(…)")
                }
            }
        }
        Ok(())
    }
}

impl Running {
    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        let deadline = Instant::now() + self.config.poll_interval;
        if self.stream.is_some() {
            self.poll_signal_topic().await?;
        }
        while self.outbox.len() < self.config.max_batch_size {
            match &self.position.snapshot {
                // The initial snapshot runs before the stream.
                Some(progress) if !progress.incremental => {
                    self.next_chunk().await?;
                    continue;
                }
                // An incremental one runs beside it, a chunk at a time.
                Some(_) => {}
                None => {
                    if let Some(snapshot) = self.snapshot.take() {
                        info!(server = %self.config.server_name, "snapshot complete");
                        let _ = snapshot.conn.close().await;
                    }
                }
            }
            if !self.stream_after_snapshot {
                // initial_only: done.
                if self.outbox.is_empty() {
                    tokio::time::sleep(self.config.poll_interval).await;
                }
                break;
            }
            if self.stream.is_none() {
                self.stream = Some(stream::spawn(
                    self.config.clone(),
                    StreamStart {
                        lsn_commit: self.position.lsn_commit,
                        txn_lsn: self.position.txn_lsn,
                        events: self.position.events,
                    },
                    self.acks.subscribe(),
                ));
            }
            if self.pending.is_none() && self.position.snapshot.is_some() {
                self.open_chunk().await?;
            }
            let now = Instant::now();
            if now >= deadline && !self.outbox.is_empty() {
                break;
            }
            let wait = deadline
                .saturating_duration_since(now)
                .max(Duration::from_millis(1));
            let item = match self.stream.as_mut() {
                Some(stream) if !self.outbox.is_empty() => match stream.rx.try_recv() {
                    Ok(item) => Some(item),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                },
                Some(stream) => match tokio::time::timeout(wait, stream.rx.recv()).await {
                    Ok(item) => item,
                    Err(_) => break,
                },
                None => None,
            };
            match item {
                Some(PgItem::Failed { message, retriable }) => {
                    self.stream = None;
                    // Its watermarks may never come: the chunk is read again.
                    self.pending = None;
                    self.transactions.close();
                    return Err(if retriable {
                        ConnectError::retriable(message)
                    } else {
                        ConnectError::other(message)
                    });
                }
                Some(item) => self.handle(item)?,
                None => {
                    self.stream = None;
                    self.pending = None;
                    return Err(ConnectError::retriable("the replication reader stopped"));
                }
            }
        }
        self.maybe_heartbeat().await?;
        Ok(self.outbox.drain(self.config.max_batch_size))
    }

    fn ack(&mut self, lsn: u64) {
        if lsn <= self.acked {
            return;
        }
        self.acked = lsn;
        self.acks.send_replace(lsn);
    }

    /// What the slot may confirm: up to the oldest record in flight (every transaction that
    /// ended before it was stored), or — with nothing in flight or queued — everything handed
    /// over.
    fn release_acks(&mut self) {
        let confirmable = match self.inflight.keys().next() {
            Some(&oldest) => oldest,
            // (An incremental snapshot's chunks are read again after a restart: they need
            // no WAL.)
            None if self.outbox.is_empty()
                && self
                    .position
                    .snapshot
                    .as_ref()
                    .is_none_or(|p| p.incremental) =>
            {
                self.sent_through
            }
            None => return,
        };
        match self.hold {
            Some(hold) => self.ack(confirmable.min(hold.cap)),
            None => self.ack(confirmable),
        }
    }

    fn handle(&mut self, item: PgItem) -> ConnectResult<()> {
        match item {
            // A transaction is opened (BEGIN record) at its first captured change: one without
            // any (a heartbeat query, an uncaptured table) leaves no trace.
            PgItem::Begin { .. } => {}
            PgItem::Row(change) => self.on_row(*change, 0)?,
            PgItem::Rows(delete, create) => {
                self.on_row(*delete, 1)?;
                self.on_row(*create, 0)?;
            }
            PgItem::Commit { end_lsn } => {
                self.position.lsn_commit = self.position.lsn_commit.max(end_lsn);
                self.position.txn_lsn = 0;
                self.position.events = 0;
                self.sent_through = self.sent_through.max(end_lsn);
                if let Some((id, counts)) = self.transactions.close() {
                    self.transaction_record(&id, Some(&counts))?;
                }
            }
            PgItem::Idle { wal_end } => {
                self.position.lsn_commit = self.position.lsn_commit.max(wal_end);
                self.sent_through = self.sent_through.max(wal_end);
            }
            PgItem::SlotStatus {
                lag_bytes,
                wal_status,
            } => {
                let worse = self.position.slot_wal_status.as_deref() != Some(wal_status.as_str())
                    && matches!(wal_status.as_str(), "unreserved" | "lost");
                if worse {
                    warn!(slot_lag_bytes = lag_bytes, wal_status = %wal_status, "the replication slot is about to lose WAL it needs (max_slot_wal_keep_size): the connector is too far behind");
                } else if lag_bytes > LAG_WARNING_BYTES
                    && self
                        .position
                        .slot_lag_bytes
                        .is_none_or(|l| l <= LAG_WARNING_BYTES)
                {
                    warn!(
                        slot_lag_bytes = lag_bytes,
                        "the replication slot holds more than 1 GiB of WAL"
                    );
                }
                self.position.slot_lag_bytes = Some(lag_bytes);
                self.slot_lag_read = true;
                self.position.slot_wal_status = Some(wal_status);
            }
            PgItem::SlotXmin(xmin) => self.xmin = Some(xmin),
            PgItem::Watermark(content) => self.on_watermark(&content)?,
            PgItem::Failed { .. } => {}
        }
        Ok(())
    }

    /// A streamed change at its position; `before_last` is 1 for the delete half of a key
    /// change (a restart after it replays the change and sends both halves again).
    fn on_row(&mut self, change: RowChange, before_last: u64) -> ConnectResult<()> {
        self.position.lsn = change.lsn;
        self.position.txn_lsn = change.final_lsn;
        self.position.events = change.event - before_last;
        self.position.tx_id = Some(i64::from(change.xid));
        self.position.ts_usec = pg_micros_to_unix_ms(change.commit_micros) * 1000;
        if self
            .config
            .is_signal_table(&change.table.db, &change.table.table)
        {
            if change.op == Op::Create
                && let Some(row) = &change.after
            {
                let before = self.position.snapshot.clone();
                self.apply_signal(&Signal::from_row(&change.table, row));
                if self.position.snapshot != before {
                    self.hold_for_signal()?;
                }
            }
            if !self
                .config
                .filters
                .table_included(&change.table.db, &change.table.table)
            {
                return Ok(());
            }
        }
        if let Some(pending) = self.pending.as_mut() {
            pending.on_change(&change);
        }
        if skipped(&self.config.skipped, change.op) {
            return Ok(());
        }
        if self.config.provide_transaction_metadata {
            // Debezium 1.7 names a PostgreSQL transaction by its xid.
            let id = change.xid.to_string();
            if !self.transactions.is_open(&id) {
                if let Some((closed, counts)) = self.transactions.open(id.clone()) {
                    self.transaction_record(&closed, Some(&counts))?;
                }
                self.transaction_record(&id, None)?;
            }
        }
        let table = &change.table;
        let source = PgSourceInfo {
            common: SourceCommon {
                version: &self.config.source_version,
                server: &self.config.server_name,
                ts_ms: pg_micros_to_unix_ms(change.commit_micros),
                snapshot: SnapshotMarker::False,
                db: self.db(),
            },
            schema: &table.db,
            table: &table.table,
            tx_id: Some(i64::from(change.xid)),
            lsn: Some(change.lsn),
            last_commit_lsn: Some(self.position.lsn_commit),
            xmin: self.xmin,
        }
        .to_struct()?;
        let transaction = self.transactions.next_order(table.id());
        let now_ms = now_ms();
        self.emit(
            Change {
                table: table.schemas.clone(),
                op: change.op,
                before: change.before,
                after: change.after,
                source,
                processed_ms: now_ms,
                transaction,
            },
            now_ms,
        )
    }

    fn db(&self) -> &str {
        self.config
            .postgres
            .as_ref()
            .map_or("", |pg| pg.dbname.as_str())
    }

    /// The snapshot's current table with its layout and the session reading it, opened when
    /// needed; `None` when no table is left or the current one was dropped meanwhile (the
    /// snapshot moved on).
    async fn snapshot_table(&mut self) -> ConnectResult<Option<Arc<PgTable>>> {
        let Some(progress) = self.position.snapshot.as_ref() else {
            return Ok(None);
        };
        let Some(table_id) = progress.tables.first().cloned() else {
            self.position.snapshot = None;
            return Ok(None);
        };
        if self.snapshot.is_none() {
            let mut conn = server::connect(&self.config).await.map_err(retriable)?;
            let types = server::load_types(&mut conn).await.map_err(retriable)?;
            self.snapshot = Some(SnapshotRead {
                conn,
                types,
                table: None,
                cursor_open: false,
                held: None,
                by_key: false,
            });
        }
        let read = self.snapshot.as_mut().expect("opened above");
        if let Some(table) = read.table.clone().filter(|t| t.id() == table_id) {
            return Ok(Some(table));
        }
        let (schema, name) = table_id.split_once('.').unwrap_or(("public", &table_id));
        let Some(oid) = server::table_oid(&mut read.conn, schema, name)
            .await
            .map_err(retriable)?
        else {
            info!(table = %table_id, "the table was dropped since the snapshot began: skipped");
            self.advance_table();
            return Ok(None);
        };
        let (columns, primary_key) = server::table_columns(&mut read.conn, oid, &read.types)
            .await
            .map_err(retriable)?;
        // Chunks go by the table's key index only (primary key, else the REPLICA IDENTITY
        // index; both unique): message.key.columns need not be unique.
        read.by_key = !primary_key.is_empty();
        let table = Arc::new(CapturedTable::new(
            &self.config,
            schema,
            name,
            columns,
            primary_key,
        )?);
        read.table = Some(table.clone());
        Ok(Some(table))
    }

    /// Reads the next chunk of the snapshot's current table (or moves to the next table).
    async fn next_chunk(&mut self) -> ConnectResult<()> {
        let Some(table) = self.snapshot_table().await? else {
            return Ok(());
        };
        let Some(progress) = self.position.snapshot.clone() else {
            return Ok(());
        };
        let limit = self.config.chunk_size.min(self.config.max_batch_size);
        let last_table = progress.tables.len() == 1;
        if !self.snapshot.as_ref().is_some_and(|r| r.by_key) {
            return self.next_keyless_batch(table, limit, last_table).await;
        }
        let Some((rows, more)) = self
            .read_chunk(&table, progress.after.as_deref(), limit)
            .await?
        else {
            return Ok(());
        };
        let count = rows.len();
        let now_ms = now_ms();
        // Every row but the chunk's last carries the offset the chunk started from; the last
        // one's moves the snapshot past the chunk (`position`'s docs).
        let last_key = rows.last().map(|(_, key)| key.clone());
        let start = self.position.to_offset();
        let end = position::offset_past_chunk(&self.position, last_key.clone(), !more);
        let offsets = chunk_offsets(start, end, count);
        for ((i, (values, _)), offset) in rows.into_iter().enumerate().zip(offsets) {
            let marker = if !more && i + 1 == count && last_table {
                SnapshotMarker::Last
            } else {
                SnapshotMarker::True
            };
            self.emit_snapshot_row(&table, values, marker, now_ms, offset)?;
        }
        self.pass_chunk(last_key, !more);
        Ok(())
    }

    /// Up to `limit` rows of a keyed table after `after`, in key order: each row's projected
    /// values and its key's text (the next `after`); and whether more rows follow. `None` when
    /// the table changed since its layout was read (read it again, then retry).
    async fn read_chunk(
        &mut self,
        table: &PgTable,
        after: Option<&[serde_json::Value]>,
        limit: usize,
    ) -> ConnectResult<Option<(Vec<ChunkRow>, bool)>> {
        let config = self.config.clone();
        let modes = pg_modes(&config);
        let read = self.snapshot.as_mut().expect("opened by snapshot_table");
        let sql = chunk_sql(table, after, limit + 1);
        let rows = match sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_all(&mut read.conn)
            .await
        {
            Ok(rows) => rows,
            Err(e) if layout_changed(&e) => {
                // Dropped, or a column renamed or dropped, since the layout was read: read it
                // again (a dropped table is skipped then).
                info!(table = %table.id(), error = %e, "the table changed during its snapshot: reading its layout again");
                read.table = None;
                return Ok(None);
            }
            Err(e) => {
                self.snapshot = None;
                return Err(retriable(ServerError::Query {
                    what: "read a snapshot chunk",
                    source: e,
                }));
            }
        };
        let more = rows.len() > limit;
        let mut chunk = Vec::with_capacity(rows.len().min(limit));
        for row in rows.iter().take(limit) {
            let (values, texts) = decode_row(table, row, modes)?;
            let key: Vec<serde_json::Value> = table
                .chunk_key
                .iter()
                .map(|&k| {
                    texts[k]
                        .clone()
                        .map_or(serde_json::Value::Null, serde_json::Value::String)
                })
                .collect();
            chunk.push((table.project(values), key));
        }
        Ok(Some((chunk, more)))
    }

    /// Opens the next window of the incremental snapshot: an opening watermark, the chunk,
    /// a closing watermark. The chunk waits in `pending` until the stream reaches the closing
    /// one. A table without a primary key is skipped (its rows cannot be matched to the
    /// stream's changes).
    async fn open_chunk(&mut self) -> ConnectResult<()> {
        let Some(table) = self.snapshot_table().await? else {
            return Ok(());
        };
        let Some(progress) = self.position.snapshot.clone() else {
            return Ok(());
        };
        // A streamed change is matched to the chunk's rows by the chunk key: events must keep
        // every column of it (`CapturedTable::match_key`).
        if !self.snapshot.as_ref().is_some_and(|r| r.by_key) || table.match_key.is_none() {
            warn!(table = %table.id(), "an incremental snapshot needs a key to read chunks by, kept in the events (no excluded key column): table skipped");
            self.advance_table();
            return Ok(());
        }
        self.watermarks += 1;
        let id = format!("{}-{}", self.watermark_run, self.watermarks);
        self.watermark(&format!("{id}:open")).await?;
        let Some((rows, more)) = self
            .read_chunk(&table, progress.after.as_deref(), self.config.chunk_size)
            .await?
        else {
            return Ok(());
        };
        self.watermark(&format!("{id}:close")).await?;
        self.pending = Some(PendingChunk::new(id, table, rows, !more));
        Ok(())
    }

    /// Writes a watermark into the WAL: a transactional logical decoding message in a
    /// transaction of its own, so it reaches the stream at its commit's place among the
    /// others, and the commit flushes the WAL (a non-transactional message waits for the WAL
    /// writer, ~200 ms per watermark). No table is changed.
    async fn watermark(&mut self, content: &str) -> ConnectResult<()> {
        let read = self.snapshot.as_mut().expect("opened by snapshot_table");
        let written = sqlx::query("SELECT 1 FROM pg_logical_emit_message(true, $1, $2)")
            .bind(WATERMARK_PREFIX)
            .bind(content)
            .execute(&mut read.conn)
            .await;
        if let Err(e) = written {
            self.snapshot = None;
            return Err(retriable(ServerError::Query {
                what: "write an incremental snapshot watermark (pg_logical_emit_message)",
                source: e,
            }));
        }
        Ok(())
    }

    /// A watermark came through the stream: the pending chunk's window opens, or closes and
    /// the chunk's rows no change superseded are sent.
    fn on_watermark(&mut self, content: &str) -> ConnectResult<()> {
        // An earlier run's watermark, or a dropped chunk's, is no pending chunk's.
        let Some(edge) = self.pending.as_ref().and_then(|p| p.edge(content)) else {
            return Ok(());
        };
        let Some(mut pending) = self.pending.take() else {
            return Ok(());
        };
        if edge == Edge::Open {
            pending.open();
            self.pending = Some(pending);
            return Ok(());
        }
        let closed = pending.close();
        let now_ms = now_ms();
        // Every row but the chunk's last carries the offset the chunk started from; the last
        // one's moves the snapshot past the chunk (`position`'s docs). The offset of the
        // table's last row says the table is done. Rows a change superseded are not sent; the
        // last row sent carries the position past the chunk.
        let start = self.position.to_offset();
        let end = position::offset_past_chunk(&self.position, closed.last_key.clone(), closed.last);
        let offsets = chunk_offsets(start, end, closed.rows.len());
        for (values, offset) in closed.rows.into_iter().zip(offsets) {
            self.emit_snapshot_row(
                &closed.table,
                values,
                SnapshotMarker::Incremental,
                now_ms,
                offset,
            )?;
        }
        self.pass_chunk(closed.last_key, closed.last);
        Ok(())
    }

    /// Signals that arrived on the signal topic (messages keyed by the server name).
    async fn poll_signal_topic(&mut self) -> ConnectResult<()> {
        let signals = crate::signals::poll_topic(
            self.signals.as_mut(),
            &mut self.position.signals,
            &self.config.server_name,
        )
        .await?;
        for signal in signals {
            self.apply_signal(&signal);
        }
        Ok(())
    }

    /// Holds the slot at the signal until its effect is in a committed offset: a heartbeat
    /// carries it now.
    fn hold_for_signal(&mut self) -> ConnectResult<()> {
        let since_ms = now_ms();
        let cap = self.hold.map_or(self.position.lsn_commit, |h| {
            h.cap.min(self.position.lsn_commit)
        });
        self.hold = Some(SignalHold {
            cap,
            since_ms,
            heartbeat_stored: false,
        });
        let offset = self.position.to_offset();
        self.outbox.heartbeat(&self.config, offset)
    }

    /// `execute-snapshot` queues an incremental snapshot; `stop-snapshot` drops tables, and
    /// the pending chunk of a dropped table is not sent.
    fn apply_signal(&mut self, signal: &Signal) {
        if signal.apply(&mut self.position.snapshot, &self.config.filters) {
            self.pending = None;
            if let Some(read) = self.snapshot.as_mut() {
                read.table = None;
            }
        }
    }

    /// The next batch of a table without a key, through a cursor.
    async fn next_keyless_batch(
        &mut self,
        table: Arc<PgTable>,
        limit: usize,
        last_table: bool,
    ) -> ConnectResult<()> {
        let config = self.config.clone();
        let modes = pg_modes(&config);
        let read = self.snapshot.as_mut().expect("opened by next_chunk");
        let fail = |e: sqlx::Error| {
            retriable(ServerError::Query {
                what: "read a table without a key",
                source: e,
            })
        };
        if !read.cursor_open {
            let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
            let sql = format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; DECLARE rmq_snapshot NO SCROLL CURSOR FOR SELECT {} FROM {}.{}",
                columns.join(", "),
                quote_ident(&table.db),
                quote_ident(&table.table)
            );
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut read.conn)
                .await
                .map_err(fail)?;
            read.cursor_open = true;
        }
        let rows = sqlx::raw_sql(AssertSqlSafe(format!("FETCH {limit} FROM rmq_snapshot")))
            .fetch_all(&mut read.conn)
            .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                self.snapshot = None;
                return Err(fail(e));
            }
        };
        let mut batch = Vec::with_capacity(rows.len() + 1);
        batch.extend(read.held.take());
        for row in &rows {
            batch.push(table.project(decode_row(&table, row, modes)?.0));
        }
        let done = rows.len() < limit;
        if done {
            sqlx::raw_sql("COMMIT")
                .execute(&mut read.conn)
                .await
                .map_err(fail)?;
            read.cursor_open = false;
        } else {
            read.held = batch.pop();
        }
        let count = batch.len();
        let now_ms = now_ms();
        // Only the table's last row says the table is done (`position`'s docs): a restart
        // after committing an earlier row of the batch must not skip the rest of it.
        let start = self.position.to_offset();
        let end = position::offset_past_chunk(&self.position, None, done);
        let offsets = chunk_offsets(start, end, count);
        for ((i, values), offset) in batch.into_iter().enumerate().zip(offsets) {
            let marker = if done && last_table && i + 1 == count {
                SnapshotMarker::Last
            } else {
                SnapshotMarker::True
            };
            self.emit_snapshot_row(&table, values, marker, now_ms, offset)?;
        }
        self.pass_chunk(None, done);
        Ok(())
    }

    fn advance_table(&mut self) {
        self.pass_chunk(None, true);
    }

    /// Moves the position past a chunk whose rows are all queued (`position::pass_chunk`);
    /// a finished table's layout is read afresh for the next one.
    fn pass_chunk(&mut self, last_key: Option<Vec<serde_json::Value>>, table_done: bool) {
        position::pass_chunk(&mut self.position.snapshot, last_key, table_done);
        if table_done && let Some(read) = self.snapshot.as_mut() {
            read.table = None;
        }
    }

    fn emit_snapshot_row(
        &mut self,
        table: &PgTable,
        values: Vec<Value>,
        marker: SnapshotMarker,
        now_ms: i64,
        offset: RecordOffset,
    ) -> ConnectResult<()> {
        let source = PgSourceInfo {
            common: SourceCommon {
                version: &self.config.source_version,
                server: &self.config.server_name,
                ts_ms: now_ms,
                snapshot: marker,
                db: self.db(),
            },
            schema: &table.db,
            table: &table.table,
            tx_id: None,
            lsn: Some(self.position.lsn_commit),
            last_commit_lsn: None,
            xmin: self.xmin,
        }
        .to_struct()?;
        self.emit_at(
            Change::read(table.schemas.clone(), values, source, now_ms),
            offset,
            now_ms,
        )
    }

    fn transaction_record(&mut self, id: &str, end: Option<&[(String, i64)]>) -> ConnectResult<()> {
        let offset = self.position.to_offset();
        self.outbox
            .transaction_record(&self.config.server_name, id, end, offset)
    }

    fn emit(&mut self, change: Change, now_ms: i64) -> ConnectResult<()> {
        let offset = self.position.to_offset();
        self.emit_at(change, offset, now_ms)
    }

    fn emit_at(&mut self, change: Change, offset: RecordOffset, now_ms: i64) -> ConnectResult<()> {
        self.outbox.emit(change, offset, false, now_ms)
    }

    /// A heartbeat when the interval passed without a record (with `heartbeat.action.query`
    /// run first): it carries the position, so an idle connector's offset and slot keep up.
    async fn maybe_heartbeat(&mut self) -> ConnectResult<()> {
        if self
            .position
            .snapshot
            .as_ref()
            .is_some_and(|p| !p.incremental)
            || !self.outbox.heartbeat_due(self.config.heartbeat_interval)
        {
            return Ok(());
        }
        if let Some(query) = self
            .config
            .postgres
            .as_ref()
            .and_then(|pg| pg.heartbeat_action_query.clone())
        {
            // One session, kept between heartbeats; opened again after a failure.
            if self.heartbeat_conn.is_none() {
                match server::connect(&self.config).await {
                    Ok(conn) => self.heartbeat_conn = Some(conn),
                    Err(e) => warn!(error = %e, "heartbeat.action.query: cannot connect"),
                }
            }
            if let Some(conn) = self.heartbeat_conn.as_mut()
                && let Err(e) = sqlx::raw_sql(AssertSqlSafe(query)).execute(conn).await
            {
                warn!(error = %e, "heartbeat.action.query failed");
                self.heartbeat_conn = None;
            }
        }
        let offset = self.position.to_offset();
        self.outbox.heartbeat(&self.config, offset)
    }
}

/// The value representations of a PostgreSQL configuration (`parse_for(Postgres)` always
/// sets them).
fn pg_modes(config: &CdcConfig) -> &values::PgModes {
    &config
        .postgres
        .as_ref()
        .expect("a PostgreSQL configuration")
        .modes
}

/// The restart point a record's offset carries.
fn lsn_commit_of(record: &ConnectRecord) -> u64 {
    record
        .position
        .offset
        .get_i64("lsn_commit")
        .map_or(0, |l| l as u64)
}

fn skipped(skipped: &SkippedOps, op: Op) -> bool {
    match op {
        Op::Create => skipped.create,
        Op::Update => skipped.update,
        Op::Delete => skipped.delete,
        Op::Read => false,
    }
}

/// Whether a query failed because the table or one of its columns is gone (`undefined_table`,
/// `undefined_column`): its layout changed.
fn layout_changed(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "42P01" || code == "42703")
}

/// The next chunk of a keyed table: rows after `after` (the key's text values) in key order.
fn chunk_sql(table: &PgTable, after: Option<&[serde_json::Value]>, limit: usize) -> String {
    let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let key: Vec<String> = table
        .chunk_key
        .iter()
        .map(|&k| quote_ident(&table.columns[k].name))
        .collect();
    let mut sql = format!(
        "SELECT {} FROM {}.{}",
        columns.join(", "),
        quote_ident(&table.db),
        quote_ident(&table.table)
    );
    if let Some(after) = after.filter(|a| a.len() == key.len()) {
        let literals: Vec<String> = after
            .iter()
            .map(|v| match v.as_str() {
                Some(text) => format!("'{}'", text.replace('\'', "''")),
                None => "NULL".to_owned(),
            })
            .collect();
        sql.push_str(&format!(
            " WHERE ({}) > ({})",
            key.join(", "),
            literals.join(", ")
        ));
    }
    sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", key.join(", ")));
    sql
}

/// A snapshot row (text format) as the table's full values and each column's text.
fn decode_row(
    table: &CapturedTable<PgColumn>,
    row: &sqlx::postgres::PgRow,
    modes: &values::PgModes,
) -> ConnectResult<(Vec<Value>, Vec<Option<String>>)> {
    let mut out = Vec::with_capacity(table.columns.len());
    let mut texts = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        let raw = row
            .try_get_raw(i)
            .map_err(|e| ConnectError::other(format!("{}.{}: {e}", table.id(), column.name)))?;
        let bytes =
            if raw.is_null() {
                None
            } else {
                Some(raw.as_bytes().map_err(|e| {
                    ConnectError::other(format!("{}.{}: {e}", table.id(), column.name))
                })?)
            };
        out.push(
            values::from_text(&column.kind, bytes, modes)
                .map_err(|e| ConnectError::other(format!("{}.{}: {e}", table.id(), column.name)))?,
        );
        texts.push(bytes.map(|b| String::from_utf8_lossy(b).into_owned()));
    }
    Ok((out, texts))
}
