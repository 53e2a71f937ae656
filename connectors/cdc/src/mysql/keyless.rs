//! The snapshot of a table without a key (no primary key, no `message.key.columns`): there is
//! nothing to order chunks by or to match streamed changes against, so the table is read in
//! one consistent-snapshot transaction — streamed from the server in batches over a bounded
//! channel, so memory stays bounded however large the table is.
//!
//! The window is known before the first row: `SHOW MASTER STATUS` before the transaction, and
//! the snapshot's own point (MariaDB names it exactly) or `SHOW MASTER STATUS` right after it
//! starts. The engine lets the stream pass the window, then sends the rows and holds the stream
//! until the last one — changes after the window follow the rows they change. A restart during
//! the read reads the table again from its first row.

use std::sync::Arc;

use futures_util::StreamExt;
use mysql_async::prelude::Queryable;
use tokio::sync::mpsc;

use super::server::{self, ServerError};
use super::snapshot::{self, ChunkRow};
use super::table::CapturedTable;
use crate::config::CdcConfig;
use crate::position::BinlogPoint;

/// What the reader hands the engine, in this order: the window, row batches, the end.
#[derive(Debug)]
pub enum KeylessItem {
    /// The snapshot is fixed; the rows are read once `go` is sent (after the stream passed
    /// `high`), so the server never waits on a full channel for longer than a batch takes.
    Window {
        low: BinlogPoint,
        high: BinlogPoint,
        go: tokio::sync::oneshot::Sender<()>,
    },
    Rows(Vec<ChunkRow>),
    Done,
    /// The read failed (retriable: the snapshot of the table starts over).
    Failed(String),
}

/// Starts reading `table` in batches of `batch` rows.
pub fn spawn(
    config: Arc<CdcConfig>,
    table: Arc<CapturedTable>,
    batch: usize,
) -> mpsc::Receiver<KeylessItem> {
    // Two batches in flight: the server streams while the engine sends.
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        if let Err(e) = read(&config, &table, batch.max(1), &tx).await {
            let _ = tx.send(KeylessItem::Failed(e.to_string())).await;
        }
    });
    rx
}

async fn read(
    config: &CdcConfig,
    table: &CapturedTable,
    batch: usize,
    tx: &mpsc::Sender<KeylessItem>,
) -> Result<(), ServerError> {
    let q = |what| move |source| ServerError::Query { what, source };
    let mut conn = server::connect(config).await?;
    // The engine takes a batch at a time between sends: the server may wait on the socket
    // longer than its default 60 s write timeout.
    conn.query_drop("SET SESSION net_write_timeout = 3600")
        .await
        .map_err(q("setting the write timeout"))?;
    let connection_id = conn.id();
    let (before, exact) = snapshot::begin(&mut conn).await?;
    let (low, high) = match exact {
        Some(point) => (point.clone(), point),
        None => match (before, server::current_point(&mut conn).await?) {
            (Some(low), Some(high)) => (low, high),
            _ => {
                return Err(ServerError::Unexpected(
                    "the server reports no binlog position (is log_bin on?)".into(),
                ));
            }
        },
    };
    let (go, ready) = tokio::sync::oneshot::channel();
    if tx
        .send(KeylessItem::Window { low, high, go })
        .await
        .is_err()
        || ready.await.is_err()
    {
        return Ok(());
    }
    let sql = snapshot::chunk_sql(table, false, 0);
    // A prepared statement, as for keyed chunks (`snapshot::read_chunk`): values as stored.
    let mut result = conn
        .exec_iter(sql, ())
        .await
        .map_err(q("reading a table without a key"))?;
    let mut rows = Vec::with_capacity(batch);
    {
        let mut stream = result
            .stream::<mysql_async::Row>()
            .await
            .map_err(q("reading a table without a key"))?;
        if let Some(stream) = stream.as_mut() {
            while let Some(row) = stream.next().await {
                let row = row.map_err(q("reading a table without a key"))?;
                rows.push(snapshot::convert_row(table, &row, &config.modes)?);
                if rows.len() == batch {
                    let full = std::mem::replace(&mut rows, Vec::with_capacity(batch));
                    if tx.send(KeylessItem::Rows(full)).await.is_err() {
                        // The read was cancelled (the task stopped, or a signal dropped the
                        // table): end the query on the server instead of draining the table.
                        kill(config, connection_id).await;
                        return Ok(());
                    }
                }
            }
        }
    }
    drop(result);
    conn.query_drop("COMMIT")
        .await
        .map_err(q("ending the snapshot transaction"))?;
    if !rows.is_empty() && tx.send(KeylessItem::Rows(rows)).await.is_err() {
        return Ok(());
    }
    let _ = tx.send(KeylessItem::Done).await;
    let _ = conn.disconnect().await;
    Ok(())
}

/// Ends a reading connection from another one.
async fn kill(config: &CdcConfig, connection_id: u32) {
    if let Ok(mut other) = server::connect(config).await {
        let _ = other
            .query_drop(format!("KILL CONNECTION {connection_id}"))
            .await;
        let _ = other.disconnect().await;
    }
}
