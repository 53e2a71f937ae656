//! The binlog reader: a replica connection of its own that streams events from a restart
//! point and turns them into [`StreamItem`]s on a bounded channel (so a million-row
//! transaction flows through in constant memory). Row images are decoded here, with the
//! table's columns taken from the TABLE_MAP event that precedes them — the layout the rows were
//! written with, even when replaying binlog older than a DDL.
//!
//! Transactions are tracked so every row carries the point to restart from: the transaction's
//! start, with the row events and rows already sent (`event`, `row`). A reader started from
//! such a point skips exactly those, so a restart neither loses nor repeats a row.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use mysql_async::binlog::events::{EventData, RowsEventData};
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStreamRequest, Conn};
use tokio::sync::mpsc;

use super::columns::MappedTable;
use super::server::{self, ServerError};
use super::table::CapturedTable;
use super::values;
use crate::config::CdcConfig;
use crate::envelope::Op;
use crate::position::{BinlogPoint, RestartPoint};
use connect_api::Value;

/// What the reader hands the engine.
#[derive(Debug)]
pub enum StreamItem {
    /// A changed row of a captured table.
    Row(Box<RowChange>),
    /// The reader passed `at` (a commit, a DDL, a rotation, a heartbeat…); nothing to send,
    /// but the restart point (and the set of completed GTIDs) moved.
    Progress {
        at: BinlogPoint,
        restart: RestartPoint,
        gtids: Option<String>,
    },
    /// A statement that changes schemas (DDL), outside any transaction.
    SchemaChange {
        db: String,
        ddl: String,
        at: BinlogPoint,
        restart: RestartPoint,
        ts_sec: i64,
    },
    /// The reader stopped: retriable (connection lost) or not (binlog gone, bad metadata).
    Failed { message: String, retriable: bool },
}

/// Why the reader stopped: the item to hand the engine (boxed: errors travel on every `?`).
type Stop = Box<StreamItem>;

/// One row change, decoded.
#[derive(Debug)]
pub struct RowChange {
    pub table: Arc<CapturedTable>,
    pub op: Op,
    pub before: Option<Vec<Value>>,
    pub after: Option<Vec<Value>>,
    /// Where the row event ends (its `log_pos`), for watermark comparisons.
    pub at: BinlogPoint,
    /// The start of the row event (`source.pos`).
    pub event_start: u64,
    /// The row's index in its event (`source.row`).
    pub row_in_event: i32,
    /// Where to restart so that this row is not sent again.
    pub restart: RestartPoint,
    pub ts_sec: i64,
    pub server_id: u32,
    pub thread: Option<i64>,
    /// The transaction's GTID (`source.gtid`), when the server assigns them.
    pub gtid: Option<Arc<str>>,
    /// The GTIDs of every completed transaction (the offset's `gtids`).
    pub gtids: Option<String>,
}

/// Starts a reader from `start`; items arrive on the returned channel until it fails or the
/// receiver is dropped.
pub fn spawn(config: Arc<CdcConfig>, start: RestartPoint) -> mpsc::Receiver<StreamItem> {
    let (tx, rx) = mpsc::channel(config.max_queue_size);
    let reporter = tx.clone();
    let reader = tokio::spawn(async move {
        if let Err(failure) = run(&config, start, &tx).await {
            let _ = tx.send(*failure).await;
        }
    });
    // A decoder panic (a value the binlog library cannot read) fails the task with the cause
    // instead of a silent "reader stopped" retried forever.
    tokio::spawn(async move {
        if let Err(e) = reader.await
            && e.is_panic()
        {
            let cause = e
                .into_panic()
                .downcast::<String>()
                .map(|s| *s)
                .or_else(|p| p.downcast::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|_| "unknown".to_owned());
            let _ = reporter
                .send(*failed(
                    format!("the binlog decoder failed on an event it cannot read ({cause})"),
                    false,
                ))
                .await;
        }
    });
    rx
}

/// The reader's view of the transaction in progress.
#[derive(Debug, Default)]
struct Transaction {
    start: BinlogPoint,
    /// Row events seen in it so far.
    events: u64,
    thread: Option<i64>,
    open: bool,
    gtid: Option<Arc<str>>,
}

impl Transaction {
    /// The transaction committed: its GTID joins the completed set.
    fn end(&mut self, gtids: &mut GtidSet) {
        self.open = false;
        if let Some(gtid) = self.gtid.take() {
            gtids.complete(&gtid);
        }
    }
}

/// The completed GTIDs: MariaDB's last `domain-server-seq` per domain, or MySQL's
/// `uuid:gno` of the last transaction per source (a position summary, as Debezium's `gtids`).
#[derive(Debug, Default)]
struct GtidSet {
    last: std::collections::BTreeMap<String, String>,
}

impl GtidSet {
    fn complete(&mut self, gtid: &str) {
        let source = gtid
            .split_once(':')
            .map(|(uuid, _)| uuid.to_owned())
            .or_else(|| gtid.split('-').next().map(str::to_owned))
            .unwrap_or_default();
        self.last.insert(source, gtid.to_owned());
    }

    fn summary(&self) -> Option<String> {
        (!self.last.is_empty()).then(|| self.last.values().cloned().collect::<Vec<_>>().join(","))
    }
}

/// MariaDB's GTID event (type 162): `domain-server-seq`, and whether it stands alone (a DDL
/// with no BEGIN…COMMIT).
fn mariadb_gtid(data: &[u8], server_id: u32) -> Option<(String, bool)> {
    let seq = u64::from_le_bytes(data.get(0..8)?.try_into().ok()?);
    let domain = u32::from_le_bytes(data.get(8..12)?.try_into().ok()?);
    let standalone = data.get(12)? & 1 != 0;
    Some((format!("{domain}-{server_id}-{seq}"), standalone))
}

/// MySQL's `uuid:gno`.
fn mysql_gtid(sid: [u8; 16], gno: u64) -> String {
    let hex: String = sid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}:{gno}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn failed(message: impl Into<String>, retriable: bool) -> Stop {
    Box::new(StreamItem::Failed {
        message: message.into(),
        retriable,
    })
}

async fn run(
    config: &CdcConfig,
    start: RestartPoint,
    tx: &mpsc::Sender<StreamItem>,
) -> Result<(), Stop> {
    let retriable = |e: ServerError| failed(e.to_string(), true);
    let mut conn: Conn = server::connect(config).await.map_err(retriable)?;
    let checksum: Option<String> = conn
        .query_first("SELECT @@GLOBAL.binlog_checksum")
        .await
        .map_err(|e| failed(format!("reading binlog_checksum: {e}"), true))?;
    let crc_in_fake_rotate = checksum.is_some_and(|c| !c.eq_ignore_ascii_case("NONE"));
    let version: Option<String> = conn
        .query_first("SELECT VERSION()")
        .await
        .map_err(|e| failed(format!("reading the server version: {e}"), true))?;
    if version.is_some_and(|v| v.contains("MariaDB")) {
        // A GTID-aware replica: MariaDB then sends its GTID events (instead of turning them
        // into BEGIN statements), which name each transaction.
        conn.query_drop("SET @mariadb_slave_capability = 4")
            .await
            .map_err(|e| failed(format!("announcing GTID support: {e}"), true))?;
    }
    // Idle servers send a heartbeat every second, so a dead connection is noticed and the
    // position keeps moving for the watermarks.
    conn.query_drop("SET @master_heartbeat_period = 1000000000")
        .await
        .map_err(|e| failed(format!("setting the heartbeat period: {e}"), true))?;
    let file = start.at.file.clone();
    let request = BinlogStreamRequest::new(config.server_id)
        .with_filename(file.as_bytes())
        .with_pos(start.at.pos);
    let mut stream = conn.get_binlog_stream(request).await.map_err(|e| {
        failed(
            format!(
                "requesting the binlog from {}:{}: {e}",
                start.at.file, start.at.pos
            ),
            true,
        )
    })?;

    let mut current_file = start.at.file.clone();
    let mut skip_events = start.events;
    let mut skip_rows = start.rows;
    let mut txn = Transaction::default();
    let mut tables: HashMap<u64, Option<Arc<CapturedTable>>> = HashMap::new();
    let mut seen_format = false;
    let mut gtids = GtidSet::default();
    // A standalone GTID (DDL) names the next statement.
    let mut standalone_gtid: Option<String> = None;

    while let Some(event) = stream.next().await {
        let event = event.map_err(|e| classify(&e.to_string(), &start))?;
        let header = event.header();
        let log_pos = u64::from(header.log_pos());
        let ts_sec = i64::from(header.timestamp());
        let event_start = log_pos.saturating_sub(u64::from(header.event_size()));
        if header.event_type_raw() == MARIADB_GTID_EVENT {
            if let Some((gtid, standalone)) = mariadb_gtid(event.data(), header.server_id()) {
                if standalone {
                    standalone_gtid = Some(gtid);
                } else {
                    txn = Transaction {
                        start: BinlogPoint::new(current_file.clone(), event_start),
                        events: 0,
                        thread: None,
                        open: true,
                        gtid: Some(Arc::from(gtid.as_str())),
                    };
                }
            }
            continue;
        }
        let data = match event.read_data() {
            Ok(Some(data)) => data,
            Ok(None) => {
                // An event the library does not know (MariaDB's GTID list, checkpoints…): the
                // position still moves.
                if !txn.open && log_pos > 0 {
                    send(
                        tx,
                        StreamItem::Progress {
                            at: BinlogPoint::new(current_file.clone(), log_pos),
                            restart: after(&BinlogPoint::new(current_file.clone(), log_pos)),
                            gtids: gtids.summary(),
                        },
                    )
                    .await?;
                }
                continue;
            }
            Err(e) => {
                return Err(failed(
                    format!("cannot decode a binlog event at {current_file}:{log_pos}: {e}"),
                    false,
                ));
            }
        };
        let at = BinlogPoint::new(current_file.clone(), log_pos);
        let progress = |restart: RestartPoint, gtids: &GtidSet| StreamItem::Progress {
            at: BinlogPoint::new(current_file.clone(), log_pos),
            restart,
            gtids: gtids.summary(),
        };
        match data {
            EventData::RotateEvent(rotate) => {
                let mut name = rotate.name_raw();
                if !seen_format && crc_in_fake_rotate && name.len() > 4 {
                    // The first (fake) rotation comes before the format event, so its
                    // checksum is still attached to the name.
                    name = &name[..name.len() - 4];
                }
                current_file = String::from_utf8_lossy(name).into_owned();
                let restart = RestartPoint {
                    at: BinlogPoint::new(current_file.clone(), rotate.position()),
                    events: 0,
                    rows: 0,
                };
                if !txn.open {
                    send(
                        tx,
                        StreamItem::Progress {
                            at: restart.at.clone(),
                            restart,
                            gtids: gtids.summary(),
                        },
                    )
                    .await?;
                }
            }
            EventData::FormatDescriptionEvent(_) => seen_format = true,
            EventData::QueryEvent(query) => {
                let sql = query.query();
                let trimmed = sql.trim();
                if trimmed.eq_ignore_ascii_case("BEGIN") {
                    if !txn.open {
                        txn = Transaction {
                            start: BinlogPoint::new(current_file.clone(), event_start),
                            events: 0,
                            thread: Some(i64::from(query.thread_id())),
                            open: true,
                            gtid: txn.gtid.take(),
                        };
                    }
                } else if trimmed.eq_ignore_ascii_case("COMMIT") {
                    txn.end(&mut gtids);
                    (skip_events, skip_rows) = (0, 0);
                    send(tx, progress(after(&at), &gtids)).await?;
                } else if trimmed.starts_with('#') || trimmed.is_empty() {
                    // MariaDB's stand-in for events an old-style replica cannot read.
                    if !txn.open {
                        send(tx, progress(after(&at), &gtids)).await?;
                    }
                } else {
                    if let Some(gtid) = standalone_gtid.take() {
                        gtids.complete(&gtid);
                    }
                    // DDL: table ids are re-assigned after it, drop the cached layouts.
                    tables.clear();
                    send(
                        tx,
                        StreamItem::SchemaChange {
                            db: query.schema().into_owned(),
                            ddl: sql.into_owned(),
                            at: at.clone(),
                            restart: after(&at),
                            ts_sec,
                        },
                    )
                    .await?;
                }
            }
            EventData::XidEvent(_) => {
                txn.end(&mut gtids);
                (skip_events, skip_rows) = (0, 0);
                send(tx, progress(after(&at), &gtids)).await?;
            }
            EventData::GtidEvent(gtid) => {
                // MySQL: the next transaction's id (its BEGIN follows).
                txn.gtid = Some(Arc::from(mysql_gtid(gtid.sid(), gtid.gno()).as_str()));
            }
            EventData::HeartbeatEvent => {
                if !txn.open && log_pos > 0 {
                    send(tx, progress(after(&at), &gtids)).await?;
                }
            }
            EventData::TableMapEvent(tme) => {
                let table_id = tme.table_id();
                if tables.contains_key(&table_id) {
                    continue;
                }
                let db = tme.database_name().into_owned();
                let name = tme.table_name().into_owned();
                let signals = config
                    .signal_data_collection
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(&format!("{db}.{name}")));
                let captured = if signals || config.filters.table_included(&db, &name) {
                    let mapped = MappedTable::from_table_map(&tme)
                        .map_err(|e| failed(e.to_string(), false))?;
                    let table =
                        CapturedTable::new(config, &db, &name, mapped.columns, mapped.primary_key)
                            .map_err(|e| failed(format!("{db}.{name}: {e}"), false))?;
                    Some(Arc::new(table))
                } else {
                    None
                };
                tables.insert(table_id, captured);
            }
            EventData::RowsEvent(rows_event) => {
                let event_index = txn.events;
                txn.events += 1;
                if !txn.open {
                    // Row events outside BEGIN…COMMIT (not written by servers we know): treat
                    // the event as its own transaction.
                    txn.start = BinlogPoint::new(current_file.clone(), event_start);
                }
                let table_id = rows_event.table_id();
                let Some(table) = tables.get(&table_id).cloned().flatten() else {
                    continue;
                };
                if event_index < skip_events {
                    continue;
                }
                let op = match &rows_event {
                    RowsEventData::WriteRowsEvent(_) | RowsEventData::WriteRowsEventV1(_) => {
                        Op::Create
                    }
                    RowsEventData::UpdateRowsEvent(_)
                    | RowsEventData::UpdateRowsEventV1(_)
                    | RowsEventData::PartialUpdateRowsEvent(_) => Op::Update,
                    RowsEventData::DeleteRowsEvent(_) | RowsEventData::DeleteRowsEventV1(_) => {
                        Op::Delete
                    }
                };
                let Some(tme) = stream.get_tme(table_id) else {
                    return Err(failed(
                        format!("no table map for table id {table_id} at {current_file}:{log_pos}"),
                        false,
                    ));
                };
                let skip_in_event = if event_index == skip_events {
                    skip_rows
                } else {
                    0
                };
                for (row_index, row) in rows_event.rows(tme).enumerate() {
                    let (before, after_image) = row.map_err(|e| {
                        failed(
                            format!(
                                "cannot decode a row of {} at {current_file}:{log_pos}: {e}",
                                table.id()
                            ),
                            false,
                        )
                    })?;
                    if (row_index as u64) < skip_in_event {
                        continue;
                    }
                    let decode = |image: Option<mysql_async::binlog::row::BinlogRow>| -> Result<Option<Vec<Value>>, Stop> {
                        let Some(image) = image else { return Ok(None) };
                        let mut out = Vec::with_capacity(table.columns.len());
                        for (i, column) in table.columns.iter().enumerate() {
                            out.push(values::from_binlog(&column.kind, image.as_ref(i), &config.modes).map_err(|e| failed(format!("{}.{}: {e}", table.id(), column.name), false))?);
                        }
                        Ok(Some(table.project(out)))
                    };
                    let change = RowChange {
                        table: table.clone(),
                        op,
                        before: decode(before)?,
                        after: decode(after_image)?,
                        at: at.clone(),
                        event_start,
                        row_in_event: row_index as i32,
                        restart: RestartPoint {
                            at: txn.start.clone(),
                            events: event_index,
                            rows: row_index as u64 + 1,
                        },
                        ts_sec,
                        server_id: header.server_id(),
                        thread: txn.thread,
                        gtid: txn.gtid.clone(),
                        gtids: gtids.summary(),
                    };
                    send(tx, StreamItem::Row(Box::new(change))).await?;
                }
            }
            _ => {
                if !txn.open && log_pos > 0 {
                    send(tx, progress(after(&at), &gtids)).await?;
                }
            }
        }
    }
    Err(failed("the server closed the binlog stream", true))
}

/// MariaDB's GTID event type (not known to the binlog library).
const MARIADB_GTID_EVENT: u8 = 162;

/// The restart point just after a complete event at `at`.
fn after(at: &BinlogPoint) -> RestartPoint {
    RestartPoint {
        at: at.clone(),
        events: 0,
        rows: 0,
    }
}

async fn send(tx: &mpsc::Sender<StreamItem>, item: StreamItem) -> Result<(), Stop> {
    // A closed channel means the task stopped: end quietly.
    tx.send(item)
        .await
        .map_err(|_| failed("the connector stopped", false))
}

/// A stream error: a purged or missing binlog is not retriable, a lost connection is.
fn classify(message: &str, start: &RestartPoint) -> Stop {
    let lower = message.to_ascii_lowercase();
    if lower.contains("1236")
        || lower.contains("could not find first log file")
        || lower.contains("purged")
        || lower.contains("binlog truncated")
    {
        failed(
            format!(
                "the binlog position {}:{} is no longer on the server ({message}); snapshot.mode=when_needed re-snapshots automatically, otherwise reset the connector's offsets",
                start.at.file, start.at.pos
            ),
            false,
        )
    } else {
        failed(format!("binlog stream: {message}"), true)
    }
}
