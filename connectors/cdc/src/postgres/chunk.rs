//! An incremental snapshot's chunk on PostgreSQL (DBLog): read between an opening and a
//! closing watermark, logical decoding messages `<id>:open` and `<id>:close` the task writes
//! into the WAL. The window is open from the moment the stream brings the opening watermark;
//! changes of the chunk's table streamed while it is open supersede the chunk's copy of their
//! rows ([`ChunkWindow`]); at the closing watermark the rest is sent.

use std::sync::Arc;

use connect_api::Value;

use super::columns::PgColumn;
use super::stream::{PgTable, RowChange};
use crate::window::ChunkWindow;

/// A chunk row: its kept columns, and the chunk key's values as text (where the next chunk
/// starts).
pub type ChunkRow = (Vec<Value>, Vec<serde_json::Value>);

/// What a watermark means to the pending chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Open,
    Close,
}

/// A chunk waiting for its closing watermark.
#[derive(Debug)]
pub struct PendingChunk {
    id: String,
    window: ChunkWindow<PgColumn, ChunkRow>,
    /// The table has no rows after these.
    pub last: bool,
    /// The opening watermark has come through the stream.
    open: bool,
}

/// A chunk whose window closed: the rows to send and where the snapshot goes next.
#[derive(Debug)]
pub struct ClosedChunk {
    pub table: Arc<PgTable>,
    /// The rows no change superseded, in key order.
    pub rows: Vec<Vec<Value>>,
    /// The key of the chunk's last row read (sent or not): the next chunk starts after it.
    pub last_key: Option<Vec<serde_json::Value>>,
    /// The table has no rows after the chunk.
    pub last: bool,
}

impl PendingChunk {
    /// A chunk read between the watermarks `<id>:open` and `<id>:close`.
    pub fn new(id: String, table: Arc<PgTable>, rows: Vec<ChunkRow>, last: bool) -> Self {
        Self {
            id,
            window: ChunkWindow::new(table, rows),
            last,
            open: false,
        }
    }

    /// The edge a watermark's content names, if it is this chunk's (not an earlier run's or
    /// a dropped chunk's).
    pub fn edge(&self, content: &str) -> Option<Edge> {
        let (id, edge) = content.rsplit_once(':')?;
        if id != self.id {
            return None;
        }
        match edge {
            "open" => Some(Edge::Open),
            "close" => Some(Edge::Close),
            _ => None,
        }
    }

    /// The opening watermark came: changes from now on supersede rows.
    pub fn open(&mut self) {
        self.open = true;
    }

    /// A change streamed: inside the open window, it supersedes the chunk's rows of its keys.
    /// Before the opening watermark the chunk's read had not begun, so it saw the change.
    pub fn on_change(&mut self, change: &RowChange) {
        if self.open {
            self.window.supersede(
                &change.table,
                change.before.as_deref(),
                change.after.as_deref(),
            );
        }
    }

    /// The closing watermark came: what to send.
    pub fn close(self) -> ClosedChunk {
        let table = self.window.table.clone();
        let last_key = self.window.rows.last().map(|(_, key)| key.clone());
        let rows = self
            .window
            .survivors(|(values, _)| values)
            .into_iter()
            .map(|(_, (values, _))| values)
            .collect();
        ClosedChunk {
            table,
            rows,
            last_key,
            last: self.last,
        }
    }
}

#[cfg(test)]
mod tests {
    use connect_api::Value;
    use serde_json::json;

    use super::*;
    use crate::envelope::Op;
    use crate::window::tests::{row, table};

    fn chunk(ids: &[i32]) -> PendingChunk {
        let rows = ids.iter().map(|&id| (row(id), vec![json!(id)])).collect();
        PendingChunk::new("run-1".to_owned(), table("t"), rows, false)
    }

    fn update(table_name: &str, id: i32) -> RowChange {
        RowChange {
            table: table(table_name),
            op: Op::Update,
            before: None,
            after: Some(row(id)),
            lsn: 0,
            xid: 0,
            final_lsn: 0,
            commit_micros: 0,
            event: 1,
        }
    }

    fn ids(closed: &ClosedChunk) -> Vec<i32> {
        closed
            .rows
            .iter()
            .map(|values| match values[0] {
                Value::Int32(id) => id,
                _ => unreachable!("rows are built by `row`"),
            })
            .collect()
    }

    #[test]
    fn watermarks_of_other_chunks_are_not_this_ones() {
        let pending = chunk(&[1]);
        assert_eq!(pending.edge("run-1:open"), Some(Edge::Open));
        assert_eq!(pending.edge("run-1:close"), Some(Edge::Close));
        assert_eq!(pending.edge("run-0:close"), None, "an earlier run's");
        assert_eq!(pending.edge("run-1:other"), None);
        assert_eq!(pending.edge("run-1"), None);
    }

    /// The window's life: a change before the opening watermark was seen by the chunk's read
    /// and changes nothing; changes of the table inside the window supersede their rows; the
    /// next chunk starts after the last row read even when that row was superseded.
    #[test]
    fn only_changes_inside_the_window_supersede_rows() {
        let mut pending = chunk(&[1, 2, 3, 4]);
        pending.on_change(&update("t", 1));
        pending.open();
        pending.on_change(&update("t", 2));
        pending.on_change(&update("other", 3));
        pending.on_change(&update("t", 4));
        let closed = pending.close();
        assert_eq!(ids(&closed), [1, 3]);
        assert_eq!(closed.last_key, Some(vec![json!(4)]));
        assert!(!closed.last);
        assert_eq!(closed.table.id(), "public.t");
    }

    #[test]
    fn a_delete_inside_the_window_supersedes_its_row() {
        let mut pending = chunk(&[1, 2]);
        pending.open();
        let mut delete = update("t", 0);
        delete.op = Op::Delete;
        delete.before = Some(row(1));
        delete.after = None;
        pending.on_change(&delete);
        assert_eq!(ids(&pending.close()), [2]);
    }
}
