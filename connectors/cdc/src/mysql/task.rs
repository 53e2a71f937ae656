//! The MySQL/MariaDB CDC task: one binlog reader and one chunked snapshot, merged into one
//! ordered stream of records.
//!
//! The snapshot never locks and never holds streaming back: while tables remain, the task reads the
//! next chunk (a few milliseconds) with its binlog window, then keeps streaming; changes inside the
//! window to keys of the chunk supersede those rows ([`crate::window`]), and once the stream has
//! passed the window's end the remaining rows go out as `r` events (DBLog). Every record's offset
//! is the whole [`Position`], so a restart resumes both the binlog (mid-transaction included) and
//! the snapshot (after the last row sent).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, RecordOffset, SourceTask, SourceTaskContext,
};
use connect_transforms::TransformChain;
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::binlog::{self, GtidStart, RowChange, StreamItem};
use super::columns::Column as MySqlColumn;
use super::gtid::GtidSet;
use super::keyless::{self, KeylessItem};
use super::server;
use super::snapshot::{self, ChunkRow};
use super::source::SourceInfo;
use super::table::CapturedTable;
use crate::config::{CdcConfig, SnapshotMode};
use crate::envelope::{self, Change, Op};
use crate::envelope::{SnapshotMarker, SourceCommon};
use crate::outbox::{Outbox, now_ms};
use crate::position::{self, BinlogPoint, Position, RestartPoint, SnapshotProgress};
use crate::routing::Router;
use crate::signals::Signal;
use crate::transaction::TransactionTracker;
use crate::window::ChunkWindow;

/// The Java task class (`…mysql.DebeziumMysqlSource`).
pub const TASK_CLASS: &str = "org.apache.rocketmq.connect.debezium.mysql.DebeziumMysqlSource";

/// A chunk waiting for the stream to pass its window (`low` to `high`).
#[derive(Debug)]
struct PendingChunk {
    window: ChunkWindow<MySqlColumn, ChunkRow>,
    /// Fewer rows than asked: the table is done.
    last: bool,
    low: BinlogPoint,
    high: BinlogPoint,
}

/// The task. Java class [`TASK_CLASS`].
#[derive(Default)]
pub struct MySqlCdcTask {
    state: Option<Running>,
    gauges: crate::gauges::GaugeReporter,
}

impl std::fmt::Debug for MySqlCdcTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlCdcTask").finish_non_exhaustive()
    }
}

struct Running {
    config: Arc<CdcConfig>,
    position: Position,
    /// The furthest binlog point the stream has passed.
    stream_at: BinlogPoint,
    stream: Option<mpsc::Receiver<StreamItem>>,
    /// The snapshot's connection and table layouts.
    snapshot_conn: Option<mysql_async::Conn>,
    snapshot_tables: HashMap<String, Arc<CapturedTable>>,
    pending: Option<PendingChunk>,
    /// Records made but not yet returned (a poll returns at most `max.batch.size`).
    outbox: Outbox,
    /// Streaming stops after the snapshot (`initial_only`).
    stream_after_snapshot: bool,
    stream_failures: u32,
    /// The transaction whose rows are being sent (`provide.transaction.metadata`).
    transactions: TransactionTracker,
    /// The signal topic's listener (`signal.rocketmq.topic`).
    signals: Option<Box<dyn connect_api::TopicMessages>>,
    /// The read of a table without a key, while one runs.
    keyless: Option<KeylessRead>,
}

/// A keyless table's snapshot read (see `keyless`).
#[derive(Debug)]
struct KeylessRead {
    table: Arc<CapturedTable>,
    rx: mpsc::Receiver<KeylessItem>,
    /// The read's binlog window, once the reader has sent it.
    window: Option<BinlogPoint>,
    /// Starts the rows once the stream has passed the window.
    go: Option<tokio::sync::oneshot::Sender<()>>,
    /// The last batch received, sent when the next arrives (the table's last row is marked).
    held: Option<Vec<ChunkRow>>,
}

#[async_trait]
impl SourceTask for MySqlCdcTask {
    async fn start(&mut self, config: Config, context: SourceTaskContext) -> ConnectResult<()> {
        let parsed = Arc::new(CdcConfig::parse(&config).map_err(ConnectError::Config)?);
        let transforms = TransformChain::from_config(&config.with_prefix_stripped("kafka."))?;
        let partition = position::partition(&parsed.server_name);
        let stored = context.offset_storage_reader().read_offset(&partition);
        let mut conn = server::connect(&parsed)
            .await
            .map_err(|e| ConnectError::retriable(e.to_string()))?;
        let position = initial_position(&parsed, stored.as_ref(), &mut conn).await?;
        info!(
            server = %parsed.server_name,
            file = %position.restart.at.file,
            pos = position.restart.at.pos,
            snapshot_tables = position.snapshot.as_ref().map_or(0, |s| s.tables.len()),
            "starting MySQL CDC"
        );
        let stream_after_snapshot = parsed.snapshot_mode != SnapshotMode::InitialOnly;
        let signals = crate::signals::subscribe(&parsed, &context, &position.signals).await?;
        self.gauges =
            crate::gauges::GaugeReporter::new(context.gauges.clone(), position.ts_sec * 1000);
        let snapshot_conn = position.snapshot.is_some().then_some(conn);
        self.state = Some(Running {
            outbox: Outbox::new(
                Router::new(transforms, parsed.topic_name.clone()),
                partition,
            ),
            stream_at: position.restart.at.clone(),
            position,
            stream: None,
            snapshot_conn,
            snapshot_tables: HashMap::new(),
            pending: None,
            stream_after_snapshot,
            stream_failures: 0,
            transactions: TransactionTracker::default(),
            signals,
            keyless: None,
            config: parsed,
        });
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        let state = self
            .state
            .as_mut()
            .ok_or_else(|| ConnectError::other("the CDC task was not started"))?;
        let records = state.poll().await?;
        // The binlog's event times are whole seconds.
        let position = &state.position;
        self.gauges
            .report(position.snapshot.as_ref(), position.ts_sec * 1000, None);
        Ok(records)
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(mut state) = self.state.take() {
            state.stream = None;
            if let Some(conn) = state.snapshot_conn.take() {
                let _ = conn.disconnect().await;
            }
            state.outbox.stop();
        }
        Ok(())
    }
}

/// Where to start: the stored position (checked against the server's binlog files), or a
/// fresh one per `snapshot.mode`.
async fn initial_position(
    config: &CdcConfig,
    stored: Option<&RecordOffset>,
    conn: &mut mysql_async::Conn,
) -> ConnectResult<Position> {
    let retriable = |e: server::ServerError| ConnectError::retriable(e.to_string());
    let files = server::binlog_files(conn).await.map_err(retriable)?;
    if let Some(offset) = stored
        && !Position::is_foreign_snapshot(offset)
        && let Some(position) = Position::from_offset(offset)
    {
        let mut position = position;
        if position.gtids.is_none() && files.iter().any(|f| **f == *position.restart.at.file) {
            // An offset without GTIDs (the Java plugin's, or one from `snapshot.mode=never`):
            // where the server can name the set at its point, the reader starts with it.
            position.gtids = server::gtids_at(conn, &position.restart.at)
                .await
                .map(|g| Arc::from(g.as_str()));
        }
        let unavailable = match stored_start(config, &position, &files).await? {
            None => {
                if config.snapshot_mode == SnapshotMode::InitialOnly && position.snapshot.is_none()
                {
                    info!("initial_only: the snapshot is complete, nothing more to read");
                }
                return Ok(position);
            }
            Some(why) => why,
        };
        if config.snapshot_mode != SnapshotMode::WhenNeeded {
            return Err(ConnectError::other(unavailable));
        }
        warn!(
            reason = %unavailable,
            "the stored binlog position is gone: snapshot.mode=when_needed takes a new snapshot"
        );
        // Signals sent while the connector was stopped are still read after the new snapshot.
        let mut fresh = fresh_position(config, conn, true).await?;
        fresh.signals = position.signals;
        return Ok(fresh);
    }
    match config.snapshot_mode {
        SnapshotMode::Never => {
            let first = files.first().cloned().ok_or_else(|| {
                ConnectError::other("the server has no binary log files (is log_bin on?)")
            })?;
            let at = BinlogPoint::new(first, 4);
            let gtids = server::gtids_at(conn, &at)
                .await
                .map(|g| Arc::from(g.as_str()));
            Ok(Position {
                restart: RestartPoint {
                    at,
                    events: 0,
                    rows: 0,
                },
                server_id: 0,
                gtids,
                ..Position::default()
            })
        }
        mode => fresh_position(config, conn, mode.snapshots_data()).await,
    }
}

/// Whether the reader can resume from a stored position: `None` if so, else why not (in
/// words for the user). A position with GTIDs is checked by asking the server for the binlog
/// after them (the file may be purged or renamed with nothing unread in it); one without is
/// checked by its file.
async fn stored_start(
    config: &CdcConfig,
    position: &Position,
    files: &[String],
) -> ConnectResult<Option<String>> {
    if let Some(text) = position.gtids.as_deref() {
        let set = GtidSet::parse(text).map_err(|e| {
            ConnectError::other(format!(
                "the stored offset's gtids '{text}' cannot be read: {e}; reset the connector's offsets"
            ))
        })?;
        match binlog::gtid_start(config, &set)
            .await
            .map_err(ConnectError::retriable)?
        {
            GtidStart::Available => return Ok(None),
            GtidStart::Unavailable(why) => return Ok(Some(why)),
            GtidStart::NotApplicable => {}
        }
    }
    if files.iter().any(|f| **f == *position.restart.at.file) {
        return Ok(None);
    }
    Ok(Some(format!(
        "the stored binlog position {}:{} is no longer on the server (purged; the oldest file is {}): set snapshot.mode=when_needed to re-snapshot, or reset the connector's offsets",
        position.restart.at.file,
        position.restart.at.pos,
        files.first().map(String::as_str).unwrap_or("none")
    )))
}

/// The current binlog end, with every captured table queued for a snapshot when `snapshot`.
async fn fresh_position(
    config: &CdcConfig,
    conn: &mut mysql_async::Conn,
    snapshot: bool,
) -> ConnectResult<Position> {
    let retriable = |e: server::ServerError| ConnectError::retriable(e.to_string());
    let (at, gtids) = server::current_point_and_gtids(conn)
        .await
        .map_err(retriable)?
        .ok_or_else(|| {
            ConnectError::other("the server reports no binlog position: start it with --log-bin")
        })?;
    let snapshot = if snapshot {
        let tables = server::captured_tables(conn, config)
            .await
            .map_err(retriable)?;
        Some(SnapshotProgress {
            tables: tables
                .into_iter()
                .map(|(db, t)| format!("{db}.{t}"))
                .collect(),
            after: None,
            incremental: false,
        })
    } else {
        None
    };
    Ok(Position {
        restart: RestartPoint {
            at,
            events: 0,
            rows: 0,
        },
        gtids: gtids.map(|g| Arc::from(g.as_str())),
        snapshot,
        ..Position::default()
    })
}

impl Running {
    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        self.poll_signal_topic().await?;
        let deadline = Instant::now() + self.config.poll_interval;
        while self.outbox.len() < self.config.max_batch_size {
            if self.keyless.is_some() {
                if self.pump_keyless().await? {
                    continue;
                }
                // The stream has not passed the read's window yet: stream first.
            } else if self.pending.is_none() && self.position.snapshot.is_some() {
                self.next_chunk().await?;
                self.flush_chunk_if_passed()?;
                continue;
            }
            if self.position.snapshot.is_none() && !self.stream_after_snapshot {
                // initial_only: done.
                if self.outbox.is_empty() {
                    tokio::time::sleep(self.config.poll_interval).await;
                }
                break;
            }
            if self.stream.is_none() {
                // A new reader's points are the server's own (after a failover by GTID, the
                // files of another server): the stream has passed nothing until it says so.
                self.stream_at = BinlogPoint::default();
                self.stream = Some(binlog::spawn(
                    self.config.clone(),
                    self.position.restart.clone(),
                    self.position.gtids.clone(),
                ));
            }
            let now = Instant::now();
            if now >= deadline && !self.outbox.is_empty() {
                break;
            }
            let wait = deadline
                .saturating_duration_since(now)
                .max(Duration::from_millis(1));
            let item = match self.stream.as_mut() {
                Some(rx) if !self.outbox.is_empty() => match rx.try_recv() {
                    Ok(item) => Some(item),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                },
                Some(rx) => match tokio::time::timeout(wait, rx.recv()).await {
                    Ok(item) => item,
                    Err(_) => {
                        self.maybe_heartbeat()?;
                        break;
                    }
                },
                None => None,
            };
            match item {
                Some(item) => self.handle(item)?,
                None => {
                    self.stream = None;
                    return Err(ConnectError::retriable("the binlog reader stopped"));
                }
            }
        }
        self.maybe_heartbeat()?;
        Ok(self.outbox.drain(self.config.max_batch_size))
    }

    /// Reads the next chunk of the snapshot (or finishes the snapshot).
    async fn next_chunk(&mut self) -> ConnectResult<()> {
        let Some(progress) = self.position.snapshot.clone() else {
            return Ok(());
        };
        let Some(table_id) = progress.tables.first().cloned() else {
            self.position.snapshot = None;
            return Ok(());
        };
        if self.snapshot_conn.is_none() {
            self.snapshot_conn = Some(
                server::connect(&self.config)
                    .await
                    .map_err(|e| ConnectError::retriable(e.to_string()))?,
            );
        }
        let conn = self
            .snapshot_conn
            .as_mut()
            .ok_or_else(|| ConnectError::other("no snapshot connection"))?;
        let table = match self.snapshot_tables.get(&table_id) {
            Some(t) => t.clone(),
            None => {
                let (db, name) = table_id.split_once('.').unwrap_or(("", &table_id));
                let (columns, pk) = server::table_columns(conn, db, name)
                    .await
                    .map_err(|e| ConnectError::retriable(e.to_string()))?;
                if columns.is_empty() {
                    // Dropped since the snapshot began: skip it.
                    self.advance_table();
                    return Ok(());
                }
                let table = Arc::new(CapturedTable::new(&self.config, db, name, columns, pk)?);
                self.snapshot_tables.insert(table_id.clone(), table.clone());
                table
            }
        };
        // Without a key events carry whole, chunk rows cannot be matched to changes: the table
        // is read in one consistent piece instead (`keyless`).
        if table.match_key.is_none() {
            self.keyless = Some(KeylessRead {
                rx: keyless::spawn(self.config.clone(), table.clone(), self.config.chunk_size),
                table,
                window: None,
                go: None,
                held: None,
            });
            return Ok(());
        }
        let chunk = snapshot::read_chunk(
            conn,
            &table,
            progress.after.as_deref(),
            self.config.chunk_size,
            &self.config.modes,
        )
        .await
        .map_err(|e| {
            self.snapshot_conn = None;
            ConnectError::retriable(e.to_string())
        })?;
        self.pending = Some(PendingChunk {
            window: ChunkWindow::new(table, chunk.rows),
            last: chunk.last,
            low: chunk.low,
            high: chunk.high,
        });
        Ok(())
    }

    /// Moves a keyless read on: takes its window, or — once the stream has passed the window
    /// — its next batch of rows. `false` when the stream must advance first.
    async fn pump_keyless(&mut self) -> ConnectResult<bool> {
        let Some(read) = self.keyless.as_mut() else {
            return Ok(false);
        };
        let stopped = |message: String| {
            ConnectError::retriable(format!(
                "the snapshot of {} (a table without a key) stopped and starts over: {message}",
                read.table.id()
            ))
        };
        let Some(high) = read.window.clone() else {
            return match read.rx.recv().await {
                Some(KeylessItem::Window { high, go, .. }) => {
                    read.window = Some(high);
                    read.go = Some(go);
                    Ok(true)
                }
                other => {
                    let error = stopped(format!("{other:?}"));
                    self.keyless = None;
                    Err(error)
                }
            };
        };
        if self.stream_at < high {
            return Ok(false);
        }
        if let Some(go) = read.go.take() {
            let _ = go.send(());
        }
        match read.rx.recv().await {
            Some(KeylessItem::Rows(rows)) => {
                let table = read.table.clone();
                if let Some(previous) = read.held.replace(rows) {
                    self.emit_snapshot_rows(&table, previous, &high, false)?;
                }
                Ok(true)
            }
            Some(KeylessItem::Done) => {
                let read = self.keyless.take();
                match read.and_then(|r| r.held.map(|rows| (r.table, rows))) {
                    Some((table, rows)) => self.emit_snapshot_rows(&table, rows, &high, true)?,
                    None => self.advance_table(),
                }
                Ok(true)
            }
            other => {
                let message = match other {
                    Some(KeylessItem::Failed(m)) => m,
                    _ => "the reader ended".into(),
                };
                let error = stopped(message);
                self.keyless = None;
                Err(error)
            }
        }
    }

    /// Sends snapshot rows read at `high` (no window to reconcile: a keyless table's rows).
    /// With `last`, the batch ends the table: its last row's offset moves the snapshot on.
    fn emit_snapshot_rows(
        &mut self,
        table: &CapturedTable,
        rows: Vec<ChunkRow>,
        high: &BinlogPoint,
        last: bool,
    ) -> ConnectResult<()> {
        let now_ms = now_ms();
        let count = rows.len();
        let progress = self.position.snapshot.as_ref();
        let incremental = progress.is_some_and(|p| p.incremental);
        let last_table = progress.is_some_and(|p| p.tables.len() == 1);
        // Only the table's last row moves the snapshot on (`position`'s docs).
        let table_done = last && count > 0;
        let start = self.position.to_offset();
        let end = position::offset_past_chunk(&self.position, None, table_done);
        let offsets = position::chunk_offsets(start, end, count);
        for ((i, row), offset) in rows.into_iter().enumerate().zip(offsets) {
            let final_row = last && i + 1 == count;
            let marker = if incremental {
                SnapshotMarker::Incremental
            } else if final_row && last_table {
                SnapshotMarker::Last
            } else {
                SnapshotMarker::True
            };
            self.emit_snapshot_row(table, row.values, marker, high, now_ms, offset)?;
        }
        self.pass_chunk(None, table_done);
        Ok(())
    }

    fn emit_snapshot_row(
        &mut self,
        table: &CapturedTable,
        values: Vec<connect_api::Value>,
        marker: SnapshotMarker,
        high: &BinlogPoint,
        now_ms: i64,
        offset: RecordOffset,
    ) -> ConnectResult<()> {
        let source = SourceInfo {
            common: SourceCommon {
                version: &self.config.source_version,
                server: &self.config.server_name,
                ts_ms: now_ms,
                snapshot: marker,
                db: &table.db,
            },
            table: &table.table,
            server_id: 0,
            gtid: None,
            file: &high.file,
            pos: high.pos,
            row: 0,
            thread: None,
        }
        .to_struct()?;
        self.emit_at(
            Change::read(table.schemas.clone(), values, source, now_ms),
            offset,
            now_ms,
        )
    }

    /// Moves the snapshot to its next table.
    fn advance_table(&mut self) {
        self.pass_chunk(None, true);
    }

    /// Moves the position past a chunk whose rows are all queued (`position::pass_chunk`).
    fn pass_chunk(&mut self, last_key: Option<Vec<serde_json::Value>>, table_done: bool) {
        let was_running = self.position.snapshot.is_some();
        position::pass_chunk(&mut self.position.snapshot, last_key, table_done);
        if was_running && self.position.snapshot.is_none() {
            info!(server = %self.config.server_name, "snapshot complete");
        }
    }

    /// Sends the pending chunk once the stream has passed its window.
    fn flush_chunk_if_passed(&mut self) -> ConnectResult<()> {
        let passed = self
            .pending
            .as_ref()
            .is_some_and(|p| self.stream_at >= p.high);
        if !passed {
            return Ok(());
        }
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        let PendingChunk {
            window, last, high, ..
        } = pending;
        let now_ms = now_ms();
        let last_table = self
            .position
            .snapshot
            .as_ref()
            .is_some_and(|p| p.tables.len() == 1);
        let count = window.rows.len();
        let incremental = self
            .position
            .snapshot
            .as_ref()
            .is_some_and(|p| p.incremental);
        // Every row but the chunk's last carries the offset the chunk started from; the last
        // one's moves the snapshot past the chunk (`position`'s docs).
        // The table's last row's offset says the table is done (and, for the last table,
        // that the snapshot is), so a restart does not read it again.
        let last_key = window.rows.last().map(|row| row.key_text.clone());
        let start = self.position.to_offset();
        let end = position::offset_past_chunk(&self.position, last_key.clone(), last);
        // Rows a change superseded are not sent; the last row sent carries the position past
        // the chunk.
        let table = window.table.clone();
        let sent = window.survivors(|row| &row.values);
        let offsets = position::chunk_offsets(start, end, sent.len());
        for ((i, row), offset) in sent.into_iter().zip(offsets) {
            let marker = if incremental {
                SnapshotMarker::Incremental
            } else if last && last_table && i + 1 == count {
                SnapshotMarker::Last
            } else {
                SnapshotMarker::True
            };
            self.emit_snapshot_row(&table, row.values, marker, &high, now_ms, offset)?;
        }
        self.pass_chunk(last_key, last);
        Ok(())
    }

    fn handle(&mut self, item: StreamItem) -> ConnectResult<()> {
        match item {
            StreamItem::Row(change) => {
                self.before_stream_point(&change.at)?;
                self.stream_failures = 0;
                self.open_transaction(&change)?;
                self.on_row(*change)?;
            }
            StreamItem::Progress { at, restart, gtids } => {
                self.before_stream_point(&at)?;
                self.position.restart = restart;
                if gtids.is_some() {
                    self.position.gtids = gtids;
                }
                // Progress comes only between transactions: the open one committed.
                self.close_transaction()?;
                self.advance_stream(at);
                self.flush_chunk_if_passed()?;
            }
            StreamItem::SchemaChange {
                db,
                ddl,
                at,
                restart,
                gtids,
                tables,
                ts_sec,
            } => {
                self.before_stream_point(&at)?;
                info!(db = %db, ddl = %ddl, "schema change in the binlog");
                self.position.restart = restart;
                if gtids.is_some() {
                    self.position.gtids = gtids;
                }
                self.position.ts_sec = ts_sec;
                if self.config.include_schema_changes
                    && !db.is_empty()
                    && self.config.filters.database_included(&db)
                    && envelope::is_ddl(&ddl)
                {
                    let source = SourceInfo {
                        common: SourceCommon {
                            version: &self.config.source_version,
                            server: &self.config.server_name,
                            ts_ms: ts_sec * 1000,
                            snapshot: SnapshotMarker::False,
                            db: &db,
                        },
                        table: "",
                        server_id: self.position.server_id,
                        gtid: None,
                        file: &at.file,
                        pos: at.pos,
                        row: 0,
                        thread: None,
                    }
                    .to_struct()?;
                    let record = envelope::schema_change(
                        &self.config.server_name,
                        &db,
                        &ddl,
                        &tables,
                        source,
                        &self.outbox.partition,
                        self.position.to_offset(),
                        now_ms(),
                    )?;
                    self.push_own_topic(record)?;
                }
                // Snapshot layouts are re-read after a DDL (the chunk query names columns).
                self.snapshot_tables.clear();
                self.advance_stream(at);
                self.flush_chunk_if_passed()?;
            }
            StreamItem::Failed { message, retriable } => {
                self.stream = None;
                return Err(if retriable {
                    self.stream_failures += 1;
                    ConnectError::retriable(message)
                } else {
                    ConnectError::other(message)
                });
            }
        }
        Ok(())
    }

    /// Before handling an event at `at`: a pending chunk whose window ended before it goes
    /// out first.
    fn before_stream_point(&mut self, at: &BinlogPoint) -> ConnectResult<()> {
        if self.pending.as_ref().is_some_and(|p| *at > p.high) {
            let at_high = self.pending.as_ref().map(|p| p.high.clone());
            if let Some(high) = at_high {
                self.advance_stream(high);
            }
            self.flush_chunk_if_passed()?;
        }
        Ok(())
    }

    fn advance_stream(&mut self, at: BinlogPoint) {
        if at > self.stream_at {
            self.stream_at = at;
        }
    }

    fn on_row(&mut self, change: RowChange) -> ConnectResult<()> {
        if self
            .config
            .is_signal_table(&change.table.db, &change.table.table)
        {
            if change.op == Op::Create
                && let Some(row) = &change.after
            {
                self.apply_signal(&Signal::from_row(&change.table, row));
            }
            self.position.restart = change.restart.clone();
            if !self
                .config
                .filters
                .table_included(&change.table.db, &change.table.table)
            {
                return Ok(());
            }
        }
        // A change inside a pending chunk's window supersedes the chunk's copy of the row.
        if let Some(pending) = self.pending.as_mut()
            && change.at > pending.low
        {
            pending.window.supersede(
                &change.table,
                change.before.as_deref(),
                change.after.as_deref(),
            );
        }
        self.position.restart = change.restart.clone();
        self.position.ts_sec = change.ts_sec;
        self.position.server_id = change.server_id;
        if change.gtids.is_some() {
            self.position.gtids = change.gtids.clone();
        }
        self.advance_stream(BinlogPoint::new(change.at.file.clone(), change.event_start));
        let skipped = match change.op {
            Op::Create => self.config.skipped.create,
            Op::Update => self.config.skipped.update,
            Op::Delete => self.config.skipped.delete,
            Op::Read => false,
        };
        if skipped {
            return Ok(());
        }
        let source = SourceInfo {
            common: SourceCommon {
                version: &self.config.source_version,
                server: &self.config.server_name,
                ts_ms: change.ts_sec * 1000,
                snapshot: SnapshotMarker::False,
                db: &change.table.db,
            },
            table: &change.table.table,
            server_id: change.server_id,
            gtid: change.gtid.as_deref(),
            file: &change.at.file,
            pos: change.event_start,
            row: change.row_in_event,
            // Debezium 1.7 never fills `thread` (its setter writes server_id): keep it null.
            thread: None,
        }
        .to_struct()?;
        let now_ms = now_ms();
        // An update that changes the key is a delete of the old key and a create of the new.
        let key_changed = change.op == Op::Update
            && !change.table.schemas.key_fields.is_empty()
            && match (&change.before, &change.after) {
                // Compared in place (every update passes here): no key text is built.
                (Some(b), Some(a)) => change
                    .table
                    .schemas
                    .key_fields
                    .iter()
                    .any(|&i| b[i] != a[i]),
                _ => false,
            };
        if key_changed {
            let transaction = self.transactions.next_order(change.table.id());
            self.emit(
                Change {
                    table: change.table.schemas.clone(),
                    op: Op::Delete,
                    before: change.before.clone(),
                    after: None,
                    source: source.clone(),
                    processed_ms: now_ms,
                    transaction,
                },
                now_ms,
            )?;
            let transaction = self.transactions.next_order(change.table.id());
            return self.emit(
                Change {
                    table: change.table.schemas.clone(),
                    op: Op::Create,
                    before: None,
                    after: change.after,
                    source,
                    processed_ms: now_ms,
                    transaction,
                },
                now_ms,
            );
        }
        let transaction = self.transactions.next_order(change.table.id());
        self.emit(
            Change {
                table: change.table.schemas.clone(),
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

    /// Before a streamed row: with `provide.transaction.metadata`, a row of a transaction not
    /// seen yet opens it with a `BEGIN` record (at the position before the row).
    fn open_transaction(&mut self, change: &RowChange) -> ConnectResult<()> {
        if !self.config.provide_transaction_metadata {
            return Ok(());
        }
        let id = match &change.gtid {
            Some(gtid) => gtid.to_string(),
            None => format!(
                "file={},pos={}",
                change.restart.at.file, change.restart.at.pos
            ),
        };
        if self.transactions.is_open(&id) {
            return Ok(());
        }
        if let Some((closed, counts)) = self.transactions.open(id.clone()) {
            self.transaction_end(&closed, &counts)?;
        }
        let offset = self.position.to_offset();
        self.outbox
            .transaction_record(&self.config.server_name, &id, None, offset)
    }

    /// At a commit: the open transaction's `END` record, with its counts.
    fn close_transaction(&mut self) -> ConnectResult<()> {
        match self.transactions.close() {
            Some((id, counts)) => self.transaction_end(&id, &counts),
            None => Ok(()),
        }
    }

    fn transaction_end(&mut self, id: &str, counts: &[(String, i64)]) -> ConnectResult<()> {
        let offset = self.position.to_offset();
        self.outbox
            .transaction_record(&self.config.server_name, id, Some(counts), offset)
    }

    /// Signals that arrived on the signal topic: messages keyed by the server name with the
    /// Java plugin's body (`{"type": "execute-snapshot", "data": {"data-collections": […]}}`).
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

    /// `execute-snapshot` queues an ad-hoc snapshot of the `data-collections`, read by the same
    /// chunked engine; `stop-snapshot` drops them, and the chunk of a dropped table is not sent.
    fn apply_signal(&mut self, signal: &Signal) {
        let current = self
            .position
            .snapshot
            .as_ref()
            .and_then(|p| p.tables.first().cloned());
        if signal.apply(&mut self.position.snapshot, &self.config.filters) {
            if self
                .pending
                .as_ref()
                .is_some_and(|p| Some(p.window.table.id().to_owned()) == current)
            {
                self.pending = None;
            }
            if self
                .keyless
                .as_ref()
                .is_some_and(|k| Some(k.table.id().to_owned()) == current)
            {
                self.keyless = None;
            }
        }
    }

    /// Queues a record that keeps its own topic (heartbeats, schema changes, transactions).
    fn push_own_topic(&mut self, record: ConnectRecord) -> ConnectResult<()> {
        self.outbox.push_own_topic(record)
    }

    /// Turns a change into records (tombstone included) at the current position.
    fn emit(&mut self, change: Change, now_ms: i64) -> ConnectResult<()> {
        let offset = self.position.to_offset();
        self.emit_at(change, offset, now_ms)
    }

    fn emit_at(&mut self, change: Change, offset: RecordOffset, now_ms: i64) -> ConnectResult<()> {
        self.outbox
            .emit(change, offset, self.config.tombstones_on_delete, now_ms)
    }

    /// A heartbeat when the interval passed without a record.
    fn maybe_heartbeat(&mut self) -> ConnectResult<()> {
        if self.outbox.heartbeat_due(self.config.heartbeat_interval) {
            self.outbox
                .heartbeat(&self.config, self.position.to_offset())?;
        }
        Ok(())
    }
}
