//! The `OffsetCommitter` actor: committed source positions, per connector and partition.
//!
//! Tasks send the positions that are safe to commit (everything before them was delivered and
//! flushed); the committer merges them into the shared [`PositionTable`] that
//! [`PositionReader`]s read, and persists the table before replying. Runs on a `SyncArbiter`.
//! Positions outlive their connector: re-creating a connector of the same name resumes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix::prelude::*;
use connect_api::{OffsetStorageReader, RecordOffset, RecordPartition};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::ports::{DocumentStore, load_json, save_json};

/// Positions by connector, then partition.
pub type PositionTable = Arc<RwLock<BTreeMap<String, HashMap<RecordPartition, RecordOffset>>>>;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Entry {
    partition: RecordPartition,
    offset: RecordOffset,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    connectors: BTreeMap<String, Vec<Entry>>,
}

#[derive(Debug)]
pub struct OffsetCommitter {
    store: Box<dyn DocumentStore>,
    table: PositionTable,
}

impl OffsetCommitter {
    /// Loads persisted positions into a new table.
    pub fn open(store: Box<dyn DocumentStore>) -> Result<(Self, PositionTable), String> {
        let document: Document = load_json(store.as_ref())?;
        let table: BTreeMap<String, HashMap<RecordPartition, RecordOffset>> = document
            .connectors
            .into_iter()
            .map(|(name, entries)| {
                (
                    name,
                    entries
                        .into_iter()
                        .map(|e| (e.partition, e.offset))
                        .collect(),
                )
            })
            .collect();
        let table = Arc::new(RwLock::new(table));
        Ok((
            Self {
                store,
                table: table.clone(),
            },
            table,
        ))
    }

    /// Re-opens on an existing table (a restarted arbiter thread).
    pub fn with_table(store: Box<dyn DocumentStore>, table: PositionTable) -> Self {
        Self { store, table }
    }

    fn persist(&self) -> Result<(), String> {
        let document = Document {
            connectors: self
                .table
                .read()
                .iter()
                .map(|(name, positions)| {
                    let mut entries: Vec<Entry> = positions
                        .iter()
                        .map(|(p, o)| Entry {
                            partition: p.clone(),
                            offset: o.clone(),
                        })
                        .collect();
                    entries.sort_by_cached_key(|e| {
                        serde_json::to_string(&e.partition).unwrap_or_default()
                    });
                    (name.clone(), entries)
                })
                .collect(),
        };
        save_json(self.store.as_ref(), &document)
    }
}

impl Actor for OffsetCommitter {
    type Context = SyncContext<Self>;
}

/// Positions that are safe to commit; replies once they are durable.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), String>")]
pub struct CommitPositions {
    pub connector: String,
    pub positions: Vec<(RecordPartition, RecordOffset)>,
}

/// The committed positions of a connector.
#[derive(Debug, Message)]
#[rtype(result = "Vec<(RecordPartition, RecordOffset)>")]
pub struct GetPositions {
    pub connector: String,
}

impl Handler<CommitPositions> for OffsetCommitter {
    type Result = Result<(), String>;
    fn handle(&mut self, msg: CommitPositions, _ctx: &mut Self::Context) -> Self::Result {
        if msg.positions.is_empty() {
            return Ok(());
        }
        self.table
            .write()
            .entry(msg.connector)
            .or_default()
            .extend(msg.positions);
        self.persist()
    }
}

impl Handler<GetPositions> for OffsetCommitter {
    type Result = MessageResult<GetPositions>;
    fn handle(&mut self, msg: GetPositions, _ctx: &mut Self::Context) -> Self::Result {
        let positions = self
            .table
            .read()
            .get(&msg.connector)
            .map(|m| m.iter().map(|(p, o)| (p.clone(), o.clone())).collect())
            .unwrap_or_default();
        MessageResult(positions)
    }
}

/// A connector's view of the committed positions (what `SourceTaskContext` hands out).
#[derive(Debug, Clone)]
pub struct PositionReader {
    pub connector: String,
    pub table: PositionTable,
}

impl OffsetStorageReader for PositionReader {
    fn read_offset(&self, partition: &RecordPartition) -> Option<RecordOffset> {
        self.table
            .read()
            .get(&self.connector)?
            .get(partition)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MemoryDocument;

    #[actix_rt::test]
    async fn committed_positions_are_readable_and_survive_a_restart() {
        let doc = MemoryDocument::default();
        let (committer, table) = OffsetCommitter::open(Box::new(doc.clone())).unwrap();
        let addr = SyncArbiter::start(1, {
            let doc = doc.clone();
            let table = table.clone();
            move || OffsetCommitter::with_table(Box::new(doc.clone()), table.clone())
        });
        drop(committer);
        let partition = RecordPartition::new().with("filename", "/tmp/a");
        let commit = |n: i64| CommitPositions {
            connector: "c".into(),
            positions: vec![(
                partition.clone(),
                RecordOffset::new().with("nextPosition", n),
            )],
        };
        addr.send(commit(10)).await.unwrap().unwrap();
        addr.send(commit(20)).await.unwrap().unwrap();
        let reader = PositionReader {
            connector: "c".into(),
            table,
        };
        assert_eq!(
            reader
                .read_offset(&partition)
                .unwrap()
                .get_i64("nextPosition"),
            Some(20)
        );
        let other = PositionReader {
            connector: "d".into(),
            table: reader.table.clone(),
        };
        assert_eq!(other.read_offset(&partition), None);

        let (_, reloaded) = OffsetCommitter::open(Box::new(doc)).unwrap();
        let reader = PositionReader {
            connector: "c".into(),
            table: reloaded,
        };
        assert_eq!(
            reader
                .read_offset(&partition)
                .unwrap()
                .get_i64("nextPosition"),
            Some(20)
        );
    }
}
