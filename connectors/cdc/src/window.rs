//! DBLog's reconciliation of a snapshot chunk with the change stream, shared by the MySQL and
//! PostgreSQL tasks. A chunk is read between two watermarks and waits until the stream has
//! passed the closing one. A change of the chunk's table streamed inside the window may be
//! newer than the chunk's copy of its row, and is never older: the rows with the key of either
//! of its images are superseded, and not sent (the stream carries their latest state). Where a window opens and closes (binlog points, logical decoding
//! messages) is each database's; which rows survive is decided here, once.

use std::collections::HashSet;
use std::sync::Arc;

use connect_api::Value;

use crate::table::CapturedTable;

/// A snapshot chunk waiting for its window to close: its table, its rows (`R` holds a row's
/// kept columns and whatever else its task keeps, such as the key's raw values), and the keys
/// changes inside the window have superseded.
#[derive(Debug)]
pub struct ChunkWindow<C, R> {
    pub table: Arc<CapturedTable<C>>,
    pub rows: Vec<R>,
    superseded: HashSet<String>,
}

impl<C, R> ChunkWindow<C, R> {
    pub fn new(table: Arc<CapturedTable<C>>, rows: Vec<R>) -> Self {
        Self {
            table,
            rows,
            superseded: HashSet::new(),
        }
    }

    /// A change streamed inside the window, with its images as `table` (the stream's layout of
    /// the table) projects them. A change of another table supersedes nothing; nor does one
    /// of a table whose rows cannot be matched to changes (no chunk key, or events leave a
    /// column of it out — `CapturedTable::match_key`).
    pub fn supersede(
        &mut self,
        table: &CapturedTable<C>,
        before: Option<&[Value]>,
        after: Option<&[Value]>,
    ) {
        if table.id() != self.table.id() || self.table.match_key.is_none() {
            return;
        }
        for image in [before, after].into_iter().flatten() {
            self.superseded.extend(table.key_fingerprint(image));
        }
    }

    /// The rows to send: those no change superseded, in chunk order, each with its index in
    /// the chunk. `values` gives a row's kept columns.
    pub fn survivors(self, values: impl Fn(&R) -> &[Value]) -> Vec<(usize, R)> {
        let Self {
            table,
            rows,
            superseded,
        } = self;
        rows.into_iter()
            .enumerate()
            .filter(|(_, row)| {
                superseded.is_empty()
                    || table
                        .key_fingerprint(values(row))
                        .is_none_or(|key| !superseded.contains(&key))
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use connect_api::Config;

    use super::*;
    use crate::config::{CdcConfig, Dialect};
    use crate::postgres::columns::{PgColumn, PgKind};
    use crate::postgres::stream::PgTable;

    /// `public.<name>` with columns `id` (the primary key) and `note`.
    pub(crate) fn table(name: &str) -> Arc<PgTable> {
        table_keyed_by(name, vec![0])
    }

    /// `public.<name>` with columns `id` and `note`, and `primary_key` (column indexes).
    fn table_keyed_by(name: &str, primary_key: Vec<usize>) -> Arc<PgTable> {
        table_configured(name, primary_key, Config::new())
    }

    fn table_configured(name: &str, primary_key: Vec<usize>, config: Config) -> Arc<PgTable> {
        let config = config
            .with("database.hostname", "127.0.0.1")
            .with("database.user", "cdc")
            .with("database.dbname", "connect")
            .with("database.server.name", "server1");
        let config = CdcConfig::parse_for(Dialect::Postgres, &config).unwrap();
        let columns = vec![
            PgColumn {
                name: "id".to_owned(),
                kind: PgKind::Int32,
            },
            PgColumn {
                name: "note".to_owned(),
                kind: PgKind::Text,
            },
        ];
        Arc::new(PgTable::new(&config, "public", name, columns, primary_key).unwrap())
    }

    pub(crate) fn row(id: i32) -> Vec<Value> {
        vec![Value::Int32(id), Value::String(format!("row {id}"))]
    }

    fn ids(survivors: &[(usize, Vec<Value>)]) -> Vec<(usize, i32)> {
        survivors
            .iter()
            .map(|(i, row)| match row[0] {
                Value::Int32(id) => (*i, id),
                _ => unreachable!("rows are built by `row`"),
            })
            .collect()
    }

    fn window(rows: &[i32]) -> ChunkWindow<PgColumn, Vec<Value>> {
        ChunkWindow::new(table("t"), rows.iter().map(|&id| row(id)).collect())
    }

    #[test]
    fn rows_of_changed_keys_are_superseded_by_either_image() {
        let mut window = window(&[1, 2, 3, 4]);
        let table = table("t");
        // An update that moved a row's key from 2 to 9 supersedes the chunk's row 2.
        window.supersede(&table, Some(&row(2)), Some(&row(9)));
        // An insert of 4 (deleted and inserted again inside the window) supersedes row 4.
        window.supersede(&table, None, Some(&row(4)));
        assert_eq!(ids(&window.survivors(|r| r)), [(0, 1), (2, 3)]);
    }

    #[test]
    fn changes_of_other_tables_supersede_nothing() {
        let mut window = window(&[1, 2]);
        window.supersede(&table("other"), Some(&row(1)), Some(&row(2)));
        assert_eq!(ids(&window.survivors(|r| r)), [(0, 1), (1, 2)]);
    }

    #[test]
    fn a_keyless_table_matches_no_change() {
        let keyless = table_keyed_by("t", Vec::new());
        let mut window = ChunkWindow::new(keyless.clone(), vec![row(1), row(2)]);
        window.supersede(&keyless, Some(&row(1)), None);
        assert_eq!(ids(&window.survivors(|r| r)), [(0, 1), (1, 2)]);
    }

    /// Events keyed by `message.key.columns` (`note`, shared by two rows) still match rows by
    /// the primary key: a change of row 1 does not take row 2's place.
    #[test]
    fn rows_are_matched_by_the_chunk_key_not_a_non_unique_event_key() {
        let config = Config::new().with("message.key.columns", "public.t:note");
        let keyed_by_note = table_configured("t", vec![0], config);
        assert_eq!(
            keyed_by_note.schemas.key_fields,
            [1],
            "events are keyed by note"
        );
        let same_note = |id| vec![Value::Int32(id), Value::String("shared".to_owned())];
        let mut window = ChunkWindow::new(keyed_by_note.clone(), vec![same_note(1), same_note(2)]);
        window.supersede(&keyed_by_note, None, Some(&same_note(1)));
        assert_eq!(ids(&window.survivors(|r| r)), [(1, 2)]);
    }

    /// Events that leave a column of the chunk key out cannot be matched to rows: nothing is
    /// superseded (the chunk is sent whole).
    #[test]
    fn a_chunk_key_left_out_of_events_matches_no_change() {
        let config = Config::new().with("column.exclude.list", "public.t.id");
        let without_id = table_configured("t", vec![0], config);
        assert_eq!(without_id.match_key, None);
        let mut window = ChunkWindow::new(without_id.clone(), vec![vec![Value::from("x")]]);
        window.supersede(&without_id, None, Some(&[Value::from("x")]));
        assert_eq!(window.survivors(|r| r).len(), 1);
    }
}
