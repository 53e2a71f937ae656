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
use super::gtid::{Gtid, GtidSet};
use super::layout;
use super::rows::{self, RowLayout};
use super::server::{self, ServerError};
use super::table::CapturedTable;
use super::values;
use crate::config::CdcConfig;
use crate::envelope::{self, Op, TableChange};
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
        gtids: Option<Arc<str>>,
    },
    /// A statement that changes schemas (DDL), outside any transaction.
    SchemaChange {
        db: String,
        ddl: String,
        at: BinlogPoint,
        restart: RestartPoint,
        /// The completed set, this statement's GTID included.
        gtids: Option<Arc<str>>,
        /// The tables it changed (`tableChanges`), when schema changes are published.
        tables: Vec<TableChange>,
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
    pub gtids: Option<Arc<str>>,
}

/// Starts a reader from `start`; items arrive on the returned channel until it fails or the
/// receiver is dropped.
/// With `gtids` (the completed set), the reader positions by GTID where the server supports
/// it: the server finds the place in its own files, so a purged file or another server's
/// numbering does not matter. The row skipping of `start` applies either way.
pub fn spawn(
    config: Arc<CdcConfig>,
    start: RestartPoint,
    gtids: Option<Arc<str>>,
) -> mpsc::Receiver<StreamItem> {
    let (tx, rx) = mpsc::channel(config.max_queue_size);
    let reporter = tx.clone();
    let reader = tokio::spawn(async move {
        if let Err(failure) = run(&config, start, gtids.as_deref(), &tx).await {
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
    /// Its id, typed (to complete the set) and as text (`source.gtid`, shared by its rows).
    gtid: Option<(Gtid, Arc<str>)>,
}

impl Transaction {
    /// The transaction committed: its GTID joins the completed set.
    fn end(&mut self, gtids: &mut GtidSet) {
        self.open = false;
        if let Some((gtid, _)) = self.gtid.take() {
            gtids.complete(&gtid);
        }
    }

    fn gtid_text(&self) -> Option<Arc<str>> {
        self.gtid.as_ref().map(|(_, text)| text.clone())
    }
}

fn with_text(gtid: Gtid) -> (Gtid, Arc<str>) {
    let text = Arc::from(gtid.to_string().as_str());
    (gtid, text)
}

/// MariaDB's GTID event (type 162): `domain-server-seq`, and whether it stands alone (a DDL
/// with no BEGIN…COMMIT).
fn mariadb_gtid(data: &[u8], server: u32) -> Option<(Gtid, bool)> {
    let seq = u64::from_le_bytes(data.get(0..8)?.try_into().ok()?);
    let domain = u32::from_le_bytes(data.get(8..12)?.try_into().ok()?);
    let standalone = data.get(12)? & 1 != 0;
    Some((
        Gtid::MariaDb {
            domain,
            server,
            seq,
        },
        standalone,
    ))
}

/// A binlog stream, opened.
struct Opened {
    stream: mysql_async::BinlogStream,
    /// The first (fake) rotation carries a checksum after the name.
    crc_in_fake_rotate: bool,
    /// Positioned by GTID (else by file and position).
    by_gtid: bool,
}

/// Opens a replica connection and requests the binlog from `start`, by GTID when `gtids`
/// holds a set the server's dialect understands.
async fn open(
    config: &CdcConfig,
    start: &RestartPoint,
    gtids: Option<&GtidSet>,
) -> Result<Opened, Stop> {
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
    let mariadb = version.is_some_and(|v| v.contains("MariaDB"));
    if mariadb {
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
    let gtids = gtids.filter(|set| !set.is_empty() && set.is_mysql() != mariadb);
    let mut request = BinlogStreamRequest::new(config.server_id);
    let by_gtid = match gtids {
        Some(set) if mariadb => {
            // The server starts after the last GTID of each domain; strict mode off, so a
            // domain the server never had is not an error.
            let state = set.mariadb_connect_state().unwrap_or_default();
            conn.exec_drop("SET @slave_connect_state = ?", (state,))
                .await
                .map_err(|e| failed(format!("setting the GTID start: {e}"), true))?;
            conn.query_drop("SET @slave_gtid_strict_mode = 0, @slave_gtid_ignore_duplicates = 0")
                .await
                .map_err(|e| failed(format!("setting the GTID mode: {e}"), true))?;
            true
        }
        Some(set) => {
            let sids = set.mysql_sids().map_err(|e| failed(e, false))?;
            request = request.with_gtid().with_gtid_set(sids);
            true
        }
        None => {
            request = request
                .with_filename(start.at.file.as_bytes())
                .with_pos(start.at.pos);
            false
        }
    };
    let stream = conn
        .get_binlog_stream(request)
        .await
        .map_err(|e| classify(&e.to_string(), start, gtids))?;
    Ok(Opened {
        stream,
        crc_in_fake_rotate,
        by_gtid,
    })
}

/// Whether a reader positioned by GTID can start after a set.
#[derive(Debug, PartialEq, Eq)]
pub enum GtidStart {
    Available,
    /// The server refused it: why (purged, or a set this server never had).
    Unavailable(String),
    /// The server speaks the other dialect (or the set is empty): position by file.
    NotApplicable,
}

/// Asks the server whether it can send everything after `gtids`, with the reader's own
/// request, dropped at the first event. `Err` is a failure to ask (retriable).
pub async fn gtid_start(config: &CdcConfig, gtids: &GtidSet) -> Result<GtidStart, String> {
    let start = RestartPoint::default();
    let outcome = async {
        let mut opened = open(config, &start, Some(gtids)).await?;
        if !opened.by_gtid {
            return Ok(GtidStart::NotApplicable);
        }
        match opened.stream.next().await {
            Some(Err(e)) => Err(classify(&e.to_string(), &start, Some(gtids))),
            _ => Ok(GtidStart::Available),
        }
    }
    .await;
    match outcome {
        Ok(start) => Ok(start),
        Err(stop) => match *stop {
            StreamItem::Failed {
                message,
                retriable: false,
            } => Ok(GtidStart::Unavailable(message)),
            StreamItem::Failed { message, .. } => Err(message),
            _ => Err("the binlog probe stopped".into()),
        },
    }
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
    gtids: Option<&str>,
    tx: &mpsc::Sender<StreamItem>,
) -> Result<(), Stop> {
    let gtid_start = match gtids {
        Some(text) => Some(GtidSet::parse(text).map_err(|e| {
            failed(
                format!("the stored offset's gtids '{text}' cannot be read: {e}; reset the connector's offsets"),
                false,
            )
        })?),
        None => None,
    };
    let opened = open(config, &start, gtid_start.as_ref()).await?;
    let crc_in_fake_rotate = opened.crc_in_fake_rotate;
    let mut stream = opened.stream;
    // Positioned by GTID, the server replays its file from the top and skips what the set
    // holds: until the first transaction it sends, the restart point stays where it was (the
    // events before it are not places to restart from).
    let mut held_restart = opened.by_gtid.then(|| start.clone());
    let gtid_set = opened.by_gtid.then(|| gtid_start.clone()).flatten();
    // Only a set that started from the server's own (stored, or read at the start point) is
    // reported: one gathered from an arbitrary file position would miss the transactions
    // before it, and a restart by it would replay or refuse history.
    let seeded = gtid_start.is_some();
    let mut gtids = gtid_start.unwrap_or_default();

    let mut current_file = start.at.file.clone();
    let mut skip_events = start.events;
    let mut skip_rows = start.rows;
    let mut txn = Transaction::default();
    let mut tables: HashMap<u64, Captured> = HashMap::new();
    let mut seen_format = false;
    // A standalone GTID (DDL) names the next statement.
    let mut standalone_gtid: Option<Gtid> = None;
    // A second connection, opened at the first DDL, to read the tables it changed.
    let mut helper: Option<Conn> = None;

    while let Some(event) = stream.next().await {
        let event = event.map_err(|e| classify(&e.to_string(), &start, gtid_set.as_ref()))?;
        let header = event.header();
        let log_pos = u64::from(header.log_pos());
        let ts_sec = i64::from(header.timestamp());
        let event_start = log_pos.saturating_sub(u64::from(header.event_size()));
        if header.event_type_raw() == MARIADB_GTID_EVENT {
            if let Some((gtid, standalone)) = mariadb_gtid(event.data(), header.server_id()) {
                held_restart = None;
                if standalone {
                    standalone_gtid = Some(gtid);
                } else {
                    txn = Transaction {
                        start: BinlogPoint::new(current_file.clone(), event_start),
                        events: 0,
                        thread: None,
                        open: true,
                        gtid: Some(with_text(gtid)),
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
                            restart: restart_after(
                                &BinlogPoint::new(current_file.clone(), log_pos),
                                &held_restart,
                            ),
                            gtids: seeded.then(|| gtids.rendered()).flatten(),
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
            gtids: seeded.then(|| gtids.rendered()).flatten(),
        };
        match data {
            EventData::RotateEvent(rotate) => {
                let mut name = rotate.name_raw();
                if !seen_format && crc_in_fake_rotate && name.len() > 4 {
                    // The first (fake) rotation comes before the format event, so its
                    // checksum is still attached to the name.
                    name = &name[..name.len() - 4];
                }
                current_file = String::from_utf8_lossy(name).into();
                let at = BinlogPoint::new(current_file.clone(), rotate.position());
                if !txn.open {
                    send(
                        tx,
                        StreamItem::Progress {
                            restart: restart_after(&at, &held_restart),
                            at,
                            gtids: seeded.then(|| gtids.rendered()).flatten(),
                        },
                    )
                    .await?;
                }
            }
            EventData::FormatDescriptionEvent(_) => {
                seen_format = true;
                // Every binlog file starts with one. Table ids are the server's per run: after
                // a restart the same id can name another table, and nothing else says so.
                tables.clear();
            }
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
                    send(tx, progress(restart_after(&at, &held_restart), &gtids)).await?;
                } else if trimmed.starts_with('#') || trimmed.is_empty() {
                    // MariaDB's stand-in for events an old-style replica cannot read.
                    if !txn.open {
                        send(tx, progress(restart_after(&at, &held_restart), &gtids)).await?;
                    }
                } else {
                    if let Some(gtid) = standalone_gtid.take() {
                        gtids.complete(&gtid);
                    }
                    // MySQL: a DDL is its own transaction, named by the GTID event before it
                    // (no BEGIN, no XID).
                    if !txn.open
                        && let Some((gtid, _)) = txn.gtid.take()
                    {
                        gtids.complete(&gtid);
                    }
                    // DDL: table ids are re-assigned after it, drop the cached layouts.
                    tables.clear();
                    let db = query.schema().into_owned();
                    let changed = table_changes(config, &mut helper, &db, &sql, &at).await;
                    send(
                        tx,
                        StreamItem::SchemaChange {
                            db,
                            tables: changed,
                            ddl: sql.into_owned(),
                            at: at.clone(),
                            restart: restart_after(&at, &held_restart),
                            gtids: seeded.then(|| gtids.rendered()).flatten(),
                            ts_sec,
                        },
                    )
                    .await?;
                }
            }
            EventData::XidEvent(_) => {
                txn.end(&mut gtids);
                (skip_events, skip_rows) = (0, 0);
                send(tx, progress(restart_after(&at, &held_restart), &gtids)).await?;
            }
            EventData::GtidEvent(gtid) => {
                // MySQL: the next transaction's id (its BEGIN follows).
                held_restart = None;
                txn.gtid = Some(with_text(Gtid::mysql(gtid.sid(), gtid.gno())));
            }
            EventData::HeartbeatEvent => {
                if !txn.open && log_pos > 0 {
                    send(tx, progress(restart_after(&at, &held_restart), &gtids)).await?;
                }
            }
            EventData::TableMapEvent(tme) => {
                let table_id = tme.table_id();
                if tables.contains_key(&table_id) {
                    continue;
                }
                let db = tme.database_name().into_owned();
                let name = tme.table_name().into_owned();
                let captured = if config.is_signal_table(&db, &name)
                    || config.filters.table_included(&db, &name)
                {
                    let mapped = MappedTable::from_table_map(&tme)
                        .map_err(|e| failed(e.to_string(), false))?;
                    let table =
                        CapturedTable::new(config, &db, &name, mapped.columns, mapped.primary_key)
                            .map_err(|e| failed(format!("{db}.{name}: {e}"), false))?;
                    let layout = RowLayout::of(&tme)
                        .map_err(|e| failed(format!("{db}.{name}: table map: {e}"), false))?;
                    Some((Arc::new(table), Arc::new(layout)))
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
                let Some((table, layout)) = tables.get(&table_id).cloned().flatten() else {
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
                let skip_in_event = if event_index == skip_events {
                    skip_rows
                } else {
                    0
                };
                #[cfg(debug_assertions)]
                same_rows_as_mysql_common(&layout, &rows_event, stream.get_tme(table_id));
                for (row_index, row) in layout.rows(&rows_event).enumerate() {
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
                    let decode =
                        |image: Option<rows::Image<'_>>| -> Result<Option<Vec<Value>>, Stop> {
                            let Some(image) = image else { return Ok(None) };
                            // Values are matched to columns by position: an image without
                            // every column (a session's binlog_row_image=MINIMAL or NOBLOB;
                            // the check at start sees only the global setting) would shift
                            // them into the wrong columns.
                            if image.len() != table.columns.len() {
                                return Err(failed(
                                    format!(
                                        "{}: a row image at {current_file}:{log_pos} holds {} of the table's {} columns: the session that wrote it set binlog_row_image to MINIMAL or NOBLOB; set binlog_row_image=FULL for every session (SET GLOBAL and the server's configuration), then restart the task",
                                        table.id(),
                                        image.len(),
                                        table.columns.len()
                                    ),
                                    false,
                                ));
                            }
                            let mut out = Vec::with_capacity(table.columns.len());
                            for (i, column) in table.columns.iter().enumerate() {
                                out.push(
                                    values::from_binlog(&column.kind, image.get(i), &config.modes)
                                        .map_err(|e| {
                                            failed(
                                                format!("{}.{}: {e}", table.id(), column.name),
                                                false,
                                            )
                                        })?,
                                );
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
                        gtid: txn.gtid_text(),
                        gtids: seeded.then(|| gtids.rendered()).flatten(),
                    };
                    send(tx, StreamItem::Row(Box::new(change))).await?;
                }
            }
            _ => {
                if !txn.open && log_pos > 0 {
                    send(tx, progress(restart_after(&at, &held_restart), &gtids)).await?;
                }
            }
        }
    }
    Err(failed("the server closed the binlog stream", true))
}

/// A table id's table when it is captured, with the layout its row images are decoded by.
type Captured = Option<(Arc<CapturedTable>, Arc<RowLayout>)>;

/// Debug builds decode every rows event twice, with [`rows`] and with mysql_common's own row
/// reader, and insist on the same values: every test that streams also tests the decoder.
/// DECIMALs [`rows`] reads itself are compared by value (mysql_common gives their text).
#[cfg(debug_assertions)]
fn same_rows_as_mysql_common(
    layout: &RowLayout,
    event: &RowsEventData<'_>,
    tme: Option<&mysql_async::binlog::events::TableMapEvent<'_>>,
) {
    use mysql_async::Value as MyValue;
    use mysql_async::binlog::value::BinlogValue;
    use rows::Cell;

    let same = |ours: &Cell<'_>, theirs: &BinlogValue<'_>| match (ours, theirs) {
        (Cell::Binlog(ours), theirs) => ours == theirs,
        (Cell::Decimal { unscaled, scale }, BinlogValue::Value(MyValue::Bytes(text))) => {
            std::str::from_utf8(text)
                .ok()
                .and_then(|text| text.parse::<bigdecimal::BigDecimal>().ok())
                == Some(bigdecimal::BigDecimal::new(
                    (*unscaled).into(),
                    i64::from(*scale),
                ))
        }
        (Cell::Decimal { .. }, _) => false,
    };
    let same_image = |ours: &Option<rows::Image<'_>>, theirs: &Option<Vec<BinlogValue<'_>>>| match (
        ours, theirs,
    ) {
        (Some(ours), Some(theirs)) => {
            ours.len() == theirs.len() && ours.iter().zip(theirs).all(|(o, t)| same(o, t))
        }
        (None, None) => true,
        _ => false,
    };
    let Some(tme) = tme else { return };
    let ours: Option<Vec<_>> = layout.rows(event).collect::<std::io::Result<_>>().ok();
    let theirs: Option<Vec<_>> = event
        .rows(tme)
        .map(|row| {
            row.map(|(before, after)| (before.map(|r| r.unwrap()), after.map(|r| r.unwrap())))
        })
        .collect::<std::io::Result<_>>()
        .ok();
    let agree = match (&ours, &theirs) {
        (Some(ours), Some(theirs)) => {
            ours.len() == theirs.len()
                && ours
                    .iter()
                    .zip(theirs)
                    .all(|((ob, oa), (tb, ta))| same_image(ob, tb) && same_image(oa, ta))
        }
        (None, None) => true,
        _ => false,
    };
    assert!(
        agree,
        "row images decoded unlike mysql_common: {ours:?} vs {theirs:?}"
    );
}

/// The tables a DDL statement changed, for its schema-change record (none when those are not
/// published). Layouts come from the server over `helper`; if it cannot be reached the ids
/// still go out, without layouts.
async fn table_changes(
    config: &CdcConfig,
    helper: &mut Option<Conn>,
    db: &str,
    ddl: &str,
    at: &BinlogPoint,
) -> Vec<TableChange> {
    if !config.include_schema_changes || !envelope::is_ddl(ddl) {
        return Vec::new();
    }
    if helper.is_none() {
        *helper = server::connect(config).await.ok();
    }
    if let Some(conn) = helper.as_mut() {
        match layout::table_changes(conn, db, ddl, at).await {
            Ok(changes) => return changes,
            Err(e) => {
                tracing::warn!(error = %e, "reading the tables a DDL statement changed: layouts left out");
                *helper = None;
            }
        }
    }
    crate::ddl::table_targets(db, ddl)
        .into_iter()
        .map(|target| TableChange::of(target, None))
        .collect()
}

/// MariaDB's GTID event type (not known to the binlog library).
const MARIADB_GTID_EVENT: u8 = 162;

/// The restart point just after a complete event at `at` (or the one held while a reader
/// positioned by GTID has not reached its first transaction).
fn restart_after(at: &BinlogPoint, held: &Option<RestartPoint>) -> RestartPoint {
    held.clone().unwrap_or_else(|| RestartPoint {
        at: at.clone(),
        events: 0,
        rows: 0,
    })
}

async fn send(tx: &mpsc::Sender<StreamItem>, item: StreamItem) -> Result<(), Stop> {
    // A closed channel means the task stopped: end quietly.
    tx.send(item)
        .await
        .map_err(|_| failed("the connector stopped", false))
}

/// A stream error: a purged or missing binlog is not retriable, a lost connection is.
fn classify(message: &str, start: &RestartPoint, gtids: Option<&GtidSet>) -> Stop {
    let lower = message.to_ascii_lowercase();
    if let Some(set) = gtids
        && lower.contains("1236")
    {
        return failed(
            format!(
                "the server cannot send the binlog after GTIDs {set} ({message}): the binlog holding them was purged, or this server never had them; snapshot.mode=when_needed re-snapshots automatically, otherwise reset the connector's offsets"
            ),
            false,
        );
    }
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
