//! Where a connector is, as one offset per server partition (`{"server": <name>}`): the
//! binlog restart point in Debezium's MySQL keys (`file`, `pos`, `row`, `event`, `ts_sec`,
//! `server_id`, `gtids`), plus the progress of a running snapshot (`snapshot`,
//! `snapshot_tables`, `snapshot_after`). Every record carries the whole state at the moment it
//! was made, so committing a streamed record's offset resumes exactly after it, inside a
//! transaction too (skip `event` row events, then `row` rows).
//!
//! # Snapshot rows' offsets (both databases)
//! Every row of a snapshot chunk (or of a keyless table's batch) but the last carries the one
//! offset the chunk started from, built once; the last row's offset moves the snapshot past
//! the chunk (`snapshot_after` = its key, or on to the next table: [`pass_chunk`] on a copy of
//! the position). The task's own position passes the chunk only once every row is queued, so
//! an error half-way leaves it at the chunk's start. Why: the offset names every
//! table still to read, and building it per row cost an allocation per table per row (100
//! tables left: about 6 µs per row). The price: a restart inside a chunk reads that chunk
//! again, as Debezium's incremental snapshots resume, so duplicates after a crash are bounded
//! by the chunk size (a table without a key is read again whole, as before); nothing is
//! skipped, since no row's offset claims rows after it.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use connect_api::{RecordOffset, RecordPartition};

/// A place in the binlog: file and byte position. The file name is shared: every streamed
/// row carries two points (where it is, where to restart), all naming the same file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct BinlogPoint {
    pub file: Arc<str>,
    pub pos: u64,
}

impl BinlogPoint {
    pub fn new(file: impl Into<Arc<str>>, pos: u64) -> Self {
        Self {
            file: file.into(),
            pos,
        }
    }

    /// The numeric suffix of `mysql-bin.000042`, which orders files (names may grow a digit).
    fn sequence(&self) -> u64 {
        self.file
            .rsplit('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

impl PartialOrd for BinlogPoint {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BinlogPoint {
    fn cmp(&self, other: &Self) -> Ordering {
        // Nearly every comparison is within one file (the stream compares every row's point);
        // reading the files' numbers is for the rest.
        if self.file == other.file {
            return self.pos.cmp(&other.pos);
        }
        (self.sequence(), &self.file, self.pos).cmp(&(other.sequence(), &other.file, other.pos))
    }
}

/// Where to restart the binlog: the start of the transaction in progress (or the point after
/// the last complete one), and how much of the transaction was already sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestartPoint {
    pub at: BinlogPoint,
    /// Row events of the transaction already sent in full.
    pub events: u64,
    /// Rows of the next row event already sent.
    pub rows: u64,
}

/// A running snapshot's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotProgress {
    /// Tables still to read, the current one first (`db.table`).
    pub tables: Vec<String>,
    /// The key of the last row sent from the current table (its PK values in order), if any.
    pub after: Option<Vec<serde_json::Value>>,
    /// An ad-hoc snapshot asked for by a signal (its rows say `snapshot: incremental`).
    pub incremental: bool,
}

/// The connector's whole position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    pub restart: RestartPoint,
    pub ts_sec: i64,
    pub server_id: u32,
    /// The completed GTID set (`gtids`): where a reader positioned by GTID restarts.
    pub gtids: Option<std::sync::Arc<str>>,
    pub snapshot: Option<SnapshotProgress>,
    /// How far the signal topic was read (`signal_offsets`: next offset per queue), so signals
    /// sent while the connector is stopped are read when it starts.
    pub signals: connect_api::SidePositions,
}

/// The partition of a MySQL connector's offsets, as Debezium writes it.
pub fn partition(server: &str) -> RecordPartition {
    RecordPartition::new().with("server", server)
}

impl Position {
    /// The offset map (Debezium's keys, plus the snapshot progress while one runs).
    pub fn to_offset(&self) -> RecordOffset {
        // Debezium's six keys, gtids, and the snapshot progress while one runs; pushed in key
        // order, so the map's sort finds them sorted.
        let mut entries: OffsetEntries = Vec::with_capacity(12);
        entries.extend([
            ("event".into(), self.restart.events.into()),
            ("file".into(), self.restart.at.file.as_ref().into()),
        ]);
        if let Some(gtids) = &self.gtids {
            entries.push(("gtids".into(), gtids.as_ref().into()));
        }
        entries.extend([
            ("pos".into(), self.restart.at.pos.into()),
            ("row".into(), self.restart.rows.into()),
            ("server_id".into(), self.server_id.into()),
        ]);
        put_progress(&mut entries, self.snapshot.as_ref(), &self.signals);
        entries.push(("ts_sec".into(), self.ts_sec.into()));
        RecordOffset::from_entries(entries)
    }

    /// Reads an offset written by this connector or by the Java plugin (Debezium 1.7). A
    /// Java offset taken during its snapshot (`snapshot: true` without our progress keys)
    /// cannot be resumed: the snapshot starts over.
    pub fn from_offset(offset: &RecordOffset) -> Option<Self> {
        let file = offset.get_str("file")?.to_owned();
        let pos = offset.get_i64("pos")? as u64;
        let (snapshot, signals) = read_progress(offset);
        Some(Self {
            restart: RestartPoint {
                at: BinlogPoint::new(file, pos),
                events: offset.get_i64("event").unwrap_or(0).max(0) as u64,
                rows: offset.get_i64("row").unwrap_or(0).max(0) as u64,
            },
            ts_sec: offset.get_i64("ts_sec").unwrap_or(0),
            server_id: offset.get_i64("server_id").unwrap_or(0) as u32,
            gtids: offset.get_str("gtids").map(std::sync::Arc::from),
            signals,
            snapshot,
        })
    }

    /// True for a Java plugin's offset written mid-snapshot (nothing here can resume it).
    pub fn is_foreign_snapshot(offset: &RecordOffset) -> bool {
        offset.get("snapshot").and_then(serde_json::Value::as_bool) == Some(true)
            && offset.get("snapshot_tables").is_none()
    }
}

/// Moves a snapshot's progress past a chunk whose rows are all sent: `after` becomes its last
/// key, or, when the chunk ended its table, the snapshot goes on to the next table (none
/// left: the snapshot is over and `snapshot` becomes `None`).
pub fn pass_chunk(
    snapshot: &mut Option<SnapshotProgress>,
    last_key: Option<Vec<serde_json::Value>>,
    table_done: bool,
) {
    let Some(progress) = snapshot.as_mut() else {
        return;
    };
    if !table_done {
        if last_key.is_some() {
            progress.after = last_key;
        }
        return;
    }
    if !progress.tables.is_empty() {
        progress.tables.remove(0);
    }
    progress.after = None;
    if progress.tables.is_empty() {
        *snapshot = None;
    }
}

/// A connector's position that carries snapshot progress (MySQL's and PostgreSQL's).
pub trait SnapshotPosition: Clone {
    fn snapshot_mut(&mut self) -> &mut Option<SnapshotProgress>;
    fn offset(&self) -> RecordOffset;
}

/// The offset of `position` moved past a chunk ([`pass_chunk`]), leaving `position` where it
/// is: the task's own position passes the chunk only once all its rows are queued.
pub fn offset_past_chunk<P: SnapshotPosition>(
    position: &P,
    last_key: Option<Vec<serde_json::Value>>,
    table_done: bool,
) -> RecordOffset {
    let mut past = position.clone();
    pass_chunk(past.snapshot_mut(), last_key, table_done);
    past.offset()
}

impl SnapshotPosition for Position {
    fn snapshot_mut(&mut self) -> &mut Option<SnapshotProgress> {
        &mut self.snapshot
    }

    fn offset(&self) -> RecordOffset {
        self.to_offset()
    }
}

/// The offsets of a chunk's `count` rows (see the module docs): `start`, where the chunk
/// began, for every row but the last, which gets `end`, the position past the chunk.
pub fn chunk_offsets(
    start: RecordOffset,
    end: RecordOffset,
    count: usize,
) -> impl Iterator<Item = RecordOffset> {
    (0..count).map(move |i| {
        if i + 1 == count {
            end.clone()
        } else {
            start.clone()
        }
    })
}

/// An offset's entries before it is built (see [`RecordOffset::from_entries`]).
pub type OffsetEntries = Vec<(Cow<'static, str>, serde_json::Value)>;

/// Adds the snapshot progress and signal positions to an offset (both databases' keys), in
/// key order.
pub fn put_progress(
    entries: &mut OffsetEntries,
    snapshot: Option<&SnapshotProgress>,
    signals: &connect_api::SidePositions,
) {
    if !signals.is_empty() {
        entries.push((
            "signal_offsets".into(),
            serde_json::Value::Object(
                signals
                    .iter()
                    .map(|(queue, next)| (queue.clone(), serde_json::Value::from(*next)))
                    .collect(),
            ),
        ));
    }
    if let Some(snapshot) = snapshot {
        entries.extend([
            ("snapshot".into(), true.into()),
            (
                "snapshot_after".into(),
                snapshot
                    .after
                    .clone()
                    .map(serde_json::Value::Array)
                    .unwrap_or(serde_json::Value::Null),
            ),
            ("snapshot_incremental".into(), snapshot.incremental.into()),
            ("snapshot_tables".into(), snapshot.tables.clone().into()),
        ]);
    }
}

/// Reads what [`put_progress`] wrote.
pub fn read_progress(
    offset: &RecordOffset,
) -> (Option<SnapshotProgress>, connect_api::SidePositions) {
    let snapshot = offset
        .get("snapshot_tables")
        .and_then(serde_json::Value::as_array)
        .map(|tables| SnapshotProgress {
            tables: tables
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            after: offset
                .get("snapshot_after")
                .and_then(serde_json::Value::as_array)
                .cloned(),
            incremental: offset
                .get("snapshot_incremental")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
        });
    let signals = offset
        .get("signal_offsets")
        .and_then(serde_json::Value::as_object)
        .map(|queues| {
            queues
                .iter()
                .filter_map(|(queue, next)| Some((queue.clone(), next.as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    (snapshot, signals)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a chunk's last row carries the position past the chunk; the others share the
    /// chunk's start (one map, not a copy each).
    #[test]
    fn only_a_chunks_last_row_moves_past_it() {
        let start = RecordOffset::new().with("snapshot_after", 10);
        let end = RecordOffset::new().with("snapshot_after", 13);
        let offsets: Vec<RecordOffset> = chunk_offsets(start.clone(), end.clone(), 3).collect();
        assert_eq!(offsets, [start.clone(), start.clone(), end.clone()]);
        assert_eq!(
            chunk_offsets(start.clone(), end.clone(), 1).collect::<Vec<_>>(),
            [end]
        );
        assert_eq!(chunk_offsets(start, RecordOffset::new(), 0).count(), 0);
    }

    /// Passing a chunk keeps its last key; passing a table's last chunk goes on to the next
    /// table; passing the last table ends the snapshot.
    #[test]
    fn passing_chunks_moves_through_the_tables() {
        let key = |k: i64| Some(vec![serde_json::Value::from(k)]);
        let mut snapshot = Some(SnapshotProgress {
            tables: vec!["db.a".to_owned(), "db.b".to_owned()],
            after: None,
            incremental: false,
        });
        pass_chunk(&mut snapshot, key(7), false);
        assert_eq!(snapshot.as_ref().unwrap().after, key(7));
        pass_chunk(&mut snapshot, None, false);
        assert_eq!(
            snapshot.as_ref().unwrap().after,
            key(7),
            "an empty chunk keeps it"
        );
        pass_chunk(&mut snapshot, key(9), true);
        let next = snapshot.as_ref().unwrap();
        assert_eq!(
            (next.tables.as_slice(), &next.after),
            (&["db.b".to_owned()][..], &None)
        );
        pass_chunk(&mut snapshot, key(3), true);
        assert_eq!(snapshot, None);
        pass_chunk(&mut snapshot, key(4), true);
        assert_eq!(snapshot, None, "no snapshot: nothing to pass");
    }

    /// Binlog points order by file sequence, then position — also across a digit rollover.
    #[test]
    fn points_order_by_file_sequence() {
        let a = BinlogPoint::new("mysql-bin.999999", 500);
        let b = BinlogPoint::new("mysql-bin.1000000", 4);
        assert!(a < b);
        assert!(BinlogPoint::new("b.000002", 4) < BinlogPoint::new("b.000002", 5));
    }

    /// An offset round-trips, snapshot progress included; a Java offset (Debezium keys only)
    /// reads as a streaming position.
    #[test]
    fn offsets_round_trip() {
        let position = Position {
            restart: RestartPoint {
                at: BinlogPoint::new("mysql-bin.000003", 1234),
                events: 2,
                rows: 5,
            },
            ts_sec: 1_700_000_000,
            server_id: 1,
            gtids: Some("0-1-42".into()),
            signals: [("broker-a:0".to_owned(), 7), ("broker-a:3".to_owned(), 0)].into(),
            snapshot: Some(SnapshotProgress {
                tables: vec!["db.a".into(), "db.b".into()],
                after: Some(vec![serde_json::json!(42)]),
                incremental: true,
            }),
        };
        assert_eq!(Position::from_offset(&position.to_offset()), Some(position));
        let java: RecordOffset = serde_json::from_str(
            r#"{"file":"mysql-bin.000003","pos":154,"row":1,"event":2,"ts_sec":1655207871,"server_id":223344}"#,
        )
        .unwrap();
        let read = Position::from_offset(&java).unwrap();
        assert_eq!(read.restart.at.pos, 154);
        assert_eq!(read.restart.events, 2);
        assert!(read.snapshot.is_none());
        let java_snapshot: RecordOffset =
            serde_json::from_str(r#"{"file":"f.000001","pos":4,"snapshot":true}"#).unwrap();
        assert!(Position::is_foreign_snapshot(&java_snapshot));
    }
}
