//! The replication reader: a tokio task that owns the replication connection, decodes
//! pgoutput into row changes of the captured tables (layouts from Relation messages, keys and
//! types from the catalog) and hands them to the task over a bounded channel — so decoding
//! runs beside the task, and a large transaction streams through in bounded memory. The
//! task's acknowledgements come back over a watch channel and become the slot's confirmed
//! position.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::Value;
use pgwire_replication::{
    Lsn, PgWireError, ReplicationClient, ReplicationConfig, ReplicationEvent, TlsConfig,
};
use sqlx::postgres::PgConnection;
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

use super::columns::{PgColumn, PgKind, TypeRegistry};
use super::pgoutput::{self, Datum, Message, RelationColumn};
use super::server;
use super::values::{self, PgModes};
use crate::config::CdcConfig;
use crate::envelope::Op;
use crate::table::CapturedTable;

/// A captured PostgreSQL table.
pub type PgTable = CapturedTable<PgColumn>;

/// Where the stream starts: the restart LSN and how much of a replayed transaction was sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStart {
    pub lsn_commit: u64,
    /// Begin's `final_lsn` of the partly sent transaction (0: none).
    pub txn_lsn: u64,
    /// How many of its captured changes were sent.
    pub events: u64,
}

/// One change of a captured table.
#[derive(Debug)]
pub struct RowChange {
    pub table: Arc<PgTable>,
    pub op: Op,
    /// Projected images (the kept columns).
    pub before: Option<Vec<Value>>,
    pub after: Option<Vec<Value>>,
    /// The change's WAL position.
    pub lsn: u64,
    pub xid: u32,
    /// Begin's `final_lsn`: the transaction's commit LSN.
    pub final_lsn: u64,
    pub commit_micros: i64,
    /// The change's place among its transaction's captured changes (from 1).
    pub event: u64,
}

/// What the reader hands the task.
#[derive(Debug)]
pub enum PgItem {
    Row(Box<RowChange>),
    /// A key change: the delete of the old key, then the create of the new one.
    Rows(Box<RowChange>, Box<RowChange>),
    Begin {
        xid: u32,
        final_lsn: u64,
    },
    /// The end of a transaction; everything before `end_lsn` was handed over.
    Commit {
        end_lsn: u64,
    },
    /// The server's position while no transaction is open: nothing captured precedes it.
    Idle {
        wal_end: u64,
    },
    /// The slot as the server sees it: how far its confirmed position is behind the WAL's
    /// end, and its `wal_status` (`reserved`, `extended`, `unreserved`, `lost`).
    SlotStatus {
        lag_bytes: i64,
        wal_status: String,
    },
    /// The slot's `catalog_xmin`, read every `xmin.fetch.interval.ms` (`source.xmin`).
    SlotXmin(i64),
    /// A watermark the task wrote (`pg_logical_emit_message` with [`WATERMARK_PREFIX`]), at
    /// its place in the WAL: an incremental snapshot's chunk window opening or closing.
    Watermark(String),
    /// The stream ended; `retriable` says whether reconnecting may help.
    Failed {
        message: String,
        retriable: bool,
    },
}

/// The prefix of the logical decoding messages that mark incremental snapshot windows.
pub const WATERMARK_PREFIX: &str = "rocketmq-connect-watermark";

/// A running reader.
#[derive(Debug)]
pub struct Stream {
    pub rx: mpsc::Receiver<PgItem>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the reader at `start`; the slot is confirmed up to what `acks` says.
pub fn spawn(config: Arc<CdcConfig>, start: StreamStart, acks: watch::Receiver<u64>) -> Stream {
    let (tx, rx) = mpsc::channel(config.max_queue_size.clamp(16, 65_536));
    let task = tokio::spawn(async move {
        if let Err((message, retriable)) = run(config, start, acks, &tx).await {
            let _ = tx.send(PgItem::Failed { message, retriable }).await;
        }
    });
    Stream { rx, task }
}

/// Whether a replication error may go away on its own.
fn classify(error: &PgWireError) -> bool {
    match error {
        PgWireError::Io(_) | PgWireError::Task(_) => true,
        // "the database system is starting up / shutting down", "replication slot is active".
        PgWireError::Server(message) => {
            message.contains("57P") || message.contains("55006") || message.contains("is active")
        }
        _ => false,
    }
}

struct OpenTx {
    xid: u32,
    final_lsn: u64,
    commit_micros: i64,
    /// Captured changes seen so far.
    seen: u64,
    /// Captured changes to skip (already sent before a restart).
    skip: u64,
}

struct Reader<'a> {
    config: &'a CdcConfig,
    modes: PgModes,
    catalog: PgConnection,
    types: TypeRegistry,
    /// Relation oid → the table (None: not captured).
    relations: HashMap<u32, Option<Arc<PgTable>>>,
    start: StreamStart,
    open: Option<OpenTx>,
}

async fn run(
    config: Arc<CdcConfig>,
    start: StreamStart,
    mut acks: watch::Receiver<u64>,
    tx: &mpsc::Sender<PgItem>,
) -> Result<(), (String, bool)> {
    let pg = server::settings(&config).map_err(|e| (e.to_string(), false))?;
    let mut catalog = server::connect(&config)
        .await
        .map_err(|e| (e.to_string(), e.is_transient()))?;
    let types = server::load_types(&mut catalog)
        .await
        .map_err(|e| (e.to_string(), e.is_transient()))?;
    let options: Vec<String> = server::SESSION_SETTINGS
        .iter()
        .map(|(k, v)| format!("-c {}={v}", k.to_ascii_lowercase()))
        .collect();
    let replication = ReplicationConfig::new(
        config.hostname.clone(),
        config.user.clone(),
        config.password.clone(),
        pg.dbname.clone(),
        pg.slot_name.clone(),
        pg.publication_name.as_str(),
    )
    .with_port(config.port)
    .with_tls(TlsConfig::disabled())
    .with_start_lsn(Lsn::from_u64(start.lsn_commit))
    .with_ack_lsn(Lsn::from_u64(*acks.borrow()))
    .with_status_interval(pg.status_interval)
    .with_wakeup_interval(pg.status_interval)
    .with_buffer_size(config.max_queue_size.clamp(16, 65_536))
    .with_application_name(format!("rocketmq-connect-cdc-{}", config.server_name))
    .with_options(options.join(" "));
    let mut client = ReplicationClient::connect(replication)
        .await
        .map_err(|e| (format!("replication connection: {e}"), classify(&e)))?;
    let mut reader = Reader {
        modes: pg.modes.clone(),
        config: &config,
        catalog,
        types,
        relations: HashMap::new(),
        start,
        open: None,
    };
    let mut last_idle = Instant::now() - Duration::from_secs(60);
    // Slot reads are skipped, not caught up in a burst, when the reader falls behind.
    let every = |period| {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick
    };
    let mut status_tick = every(pg.status_interval);
    // Only when asked: Debezium reads no xmin with the default interval of 0.
    let mut xmin_tick = pg.xmin_fetch_interval.map(every);
    loop {
        tokio::select! {
            _ = async { xmin_tick.as_mut().expect("guarded").tick().await }, if xmin_tick.is_some() => {
                match server::slot_xmin(&mut reader.catalog, &pg.slot_name).await {
                    Ok(Some(xmin)) => {
                        if tx.send(PgItem::SlotXmin(xmin)).await.is_err() {
                            return Ok(());
                        }
                    }
                    Ok(None) => {}
                    Err(e) => debug!(error = %e, "reading the slot's catalog_xmin"),
                }
            }
            _ = status_tick.tick() => {
                match server::slot_lag(&mut reader.catalog, &pg.slot_name).await {
                    Ok(Some((lag_bytes, wal_status))) => {
                        if tx.send(PgItem::SlotStatus { lag_bytes, wal_status }).await.is_err() {
                            return Ok(());
                        }
                    }
                    Ok(None) => {}
                    Err(e) => debug!(error = %e, "reading the slot's lag"),
                }
            }
            event = client.recv() => {
                let event = match event {
                    Ok(Some(event)) => event,
                    Ok(None) => return Err(("the replication stream ended".into(), true)),
                    Err(e) => return Err((format!("replication stream: {e}"), classify(&e))),
                };
                let items = reader.handle(event, &mut last_idle).await?;
                for item in items {
                    if tx.send(item).await.is_err() {
                        return Ok(());
                    }
                }
            }
            changed = acks.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                let acked = *acks.borrow_and_update();
                client.update_applied_lsn(Lsn::from_u64(acked));
            }
        }
    }
}

impl Reader<'_> {
    async fn handle(
        &mut self,
        event: ReplicationEvent,
        last_idle: &mut Instant,
    ) -> Result<Vec<PgItem>, (String, bool)> {
        Ok(match event {
            ReplicationEvent::Begin {
                final_lsn,
                xid,
                commit_time_micros,
            } => {
                let final_lsn = final_lsn.as_u64();
                let skip = if final_lsn == self.start.txn_lsn {
                    self.start.events
                } else {
                    0
                };
                self.open = Some(OpenTx {
                    xid,
                    final_lsn,
                    commit_micros: commit_time_micros,
                    seen: 0,
                    skip,
                });
                vec![PgItem::Begin { xid, final_lsn }]
            }
            ReplicationEvent::Commit { end_lsn, .. } => {
                self.open = None;
                vec![PgItem::Commit {
                    end_lsn: end_lsn.as_u64(),
                }]
            }
            ReplicationEvent::KeepAlive { wal_end, .. } if self.open.is_none() => {
                if last_idle.elapsed() < Duration::from_secs(1) {
                    return Ok(Vec::new());
                }
                *last_idle = Instant::now();
                vec![PgItem::Idle {
                    wal_end: wal_end.as_u64(),
                }]
            }
            ReplicationEvent::Message {
                prefix, content, ..
            } if prefix == WATERMARK_PREFIX => {
                vec![PgItem::Watermark(
                    String::from_utf8_lossy(&content).into_owned(),
                )]
            }
            ReplicationEvent::XLogData {
                wal_start, data, ..
            } => {
                let message = pgoutput::parse(&data).map_err(|e| (e, false))?;
                self.on_message(message, wal_start.as_u64()).await?
            }
            _ => Vec::new(),
        })
    }

    async fn on_message(
        &mut self,
        message: Message,
        lsn: u64,
    ) -> Result<Vec<PgItem>, (String, bool)> {
        let (oid, old, old_is_key, new, op) = match message {
            Message::Relation {
                oid,
                namespace,
                name,
                columns,
                ..
            } => {
                let table = self.relation(oid, &namespace, &name, &columns).await?;
                self.relations.insert(oid, table);
                return Ok(Vec::new());
            }
            Message::Type { .. } => {
                self.types = server::load_types(&mut self.catalog)
                    .await
                    .map_err(|e| (e.to_string(), e.is_transient()))?;
                return Ok(Vec::new());
            }
            Message::Insert { oid, new } => (oid, None, false, Some(new), Op::Create),
            Message::Update {
                oid,
                old,
                old_is_key,
                new,
            } => (oid, old, old_is_key, Some(new), Op::Update),
            Message::Delete { oid, old } => (oid, Some(old), false, None, Op::Delete),
            Message::Truncate { .. } | Message::Other(_) => return Ok(Vec::new()),
        };
        let Some(open) = self.open.as_mut() else {
            return Err(("a change outside a transaction".into(), false));
        };
        // Every change counts, captured or not: the count must not depend on the filters,
        // which may differ after a restart.
        open.seen += 1;
        if open.seen <= open.skip {
            return Ok(Vec::new());
        }
        let Some(Some(table)) = self.relations.get(&oid).cloned() else {
            return Ok(Vec::new());
        };
        let change = |op, before, after, event| RowChange {
            table: table.clone(),
            op,
            before,
            after,
            lsn,
            xid: open.xid,
            final_lsn: open.final_lsn,
            commit_micros: open.commit_micros,
            event,
        };
        let decode = |tuple: &[Datum], fallback: Option<&[Datum]>| {
            decode_tuple(&table, tuple, fallback, &self.modes)
        };
        let before = old.as_deref().map(|t| decode(t, None)).transpose()?;
        let after = new
            .as_deref()
            .map(|t| decode(t, old.as_deref()))
            .transpose()?;
        let event = open.seen;
        if op == Op::Update
            && let (Some(before), Some(after)) = (&before, &after)
            && !table.schemas.key_fields.is_empty()
            && table
                .schemas
                .key_fields
                .iter()
                .any(|&k| before[k] != after[k])
        {
            // The key changed: Debezium's delete of the old key, then create of the new.
            return Ok(vec![PgItem::Rows(
                Box::new(change(Op::Delete, Some(before.clone()), None, event)),
                Box::new(change(Op::Create, None, Some(after.clone()), event)),
            )]);
        }
        // Without REPLICA IDENTITY FULL the old image of an update is the key only (when it
        // changed) or absent: Debezium publishes no `before` then.
        let before = match op {
            Op::Update if old.is_none() || old_is_key => None,
            _ => before,
        };
        Ok(vec![PgItem::Row(Box::new(change(
            op, before, after, event,
        )))])
    }

    /// The captured table of a Relation message (`None` when the filters leave it out).
    async fn relation(
        &mut self,
        oid: u32,
        namespace: &str,
        name: &str,
        columns: &[RelationColumn],
    ) -> Result<Option<Arc<PgTable>>, (String, bool)> {
        if !self.config.is_signal_table(namespace, name)
            && !self.config.filters.table_included(namespace, name)
        {
            return Ok(None);
        }
        let transient = |e: server::ServerError| {
            let retriable = e.is_transient();
            (e.to_string(), retriable)
        };
        if columns.iter().any(|c| {
            matches!(
                PgKind::of(c.type_oid, c.type_modifier, &self.types),
                PgKind::Unknown(_)
            )
        }) {
            self.types = server::load_types(&mut self.catalog)
                .await
                .map_err(transient)?;
        }
        // The key from the catalog — the primary key, else the REPLICA IDENTITY index
        // (Relation flags mark every column under REPLICA IDENTITY FULL) — by name as the
        // relation lists its columns now: the same key the snapshot uses.
        let (catalog_columns, catalog_key) =
            server::table_columns(&mut self.catalog, oid, &self.types)
                .await
                .map_err(transient)?;
        let key: Vec<usize> = catalog_key
            .iter()
            .filter_map(|&k| {
                let key_name = &catalog_columns.get(k)?.name;
                columns.iter().position(|c| &c.name == key_name)
            })
            .collect();
        let columns: Vec<PgColumn> = columns
            .iter()
            .map(|c| PgColumn {
                name: c.name.clone(),
                kind: PgKind::of(c.type_oid, c.type_modifier, &self.types),
            })
            .collect();
        debug!(table = %format!("{namespace}.{name}"), columns = columns.len(), "relation");
        CapturedTable::new(self.config, namespace, name, columns, key)
            .map(|t| Some(Arc::new(t)))
            .map_err(|e| (e.to_string(), false))
    }
}

/// A tuple as the table's projected row. An unchanged TOAST value is taken from the old tuple
/// when it has it (REPLICA IDENTITY FULL), else it becomes the placeholder.
fn decode_tuple(
    table: &PgTable,
    tuple: &[Datum],
    old: Option<&[Datum]>,
    modes: &PgModes,
) -> Result<Vec<Value>, (String, bool)> {
    if tuple.len() != table.columns.len() {
        return Err((
            format!(
                "{}: a tuple of {} columns for a relation of {}",
                table.id(),
                tuple.len(),
                table.columns.len()
            ),
            false,
        ));
    }
    let mut row = Vec::with_capacity(table.kept.len());
    for &i in &table.kept {
        let column = &table.columns[i];
        let datum = match (&tuple[i], old.and_then(|o| o.get(i))) {
            (Datum::Unchanged, Some(Datum::Text(previous))) => Datum::Text(previous.clone()),
            (datum, _) => datum.clone(),
        };
        let value = match datum {
            Datum::Null => Value::Null,
            Datum::Text(bytes) => values::from_text(&column.kind, Some(&bytes), modes)
                .map_err(|e| (format!("{}.{}: {e}", table.id(), column.name), false))?,
            Datum::Unchanged => values::unavailable(&column.kind, modes).unwrap_or_else(|| {
                warn!(table = %table.id(), column = %column.name, "an unchanged TOAST value the server did not send: null (its type cannot carry the placeholder)");
                Value::Null
            }),
        };
        row.push(value);
    }
    Ok(row)
}
