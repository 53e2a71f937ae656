//! The `OffsetCommitter` actor: committed source positions, per connector and partition.
//!
//! Tasks send the positions that are safe to commit (everything before them was delivered and
//! flushed); the committer merges them into the shared [`PositionTable`] that
//! [`PositionReader`]s read, and persists the table before replying. Runs on a `SyncArbiter`.
//! Positions outlive their connector: re-creating a connector of the same name resumes.
//!
//! Standalone persists the table in a file. Distributed appends commits to the position topic
//! ([`replicated`]): every worker replays it into its table, and a commit counts only if it was
//! made under the task's newest claim — a worker that lost a task cannot overwrite the
//! positions of its new owner.

pub mod replicated;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix::prelude::*;
use connect_api::{OffsetStorageReader, RecordOffset, RecordPartition};
use connect_dataplane::ports::{PositionError, PositionStore};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::cluster::log::ReplicatedLog;
use crate::ports::{DocumentStore, load_json, save_json};
pub use replicated::{PositionLogState, PositionOp, PositionOutcome};

/// Positions by connector, then partition.
pub type PositionTable = Arc<RwLock<BTreeMap<String, HashMap<RecordPartition, RecordOffset>>>>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    partition: RecordPartition,
    offset: RecordOffset,
}

/// The positions as data: the standalone store's document, and the positions in a snapshot
/// of the position log. Sorted, so equal tables write equal documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionsDocument {
    connectors: BTreeMap<String, Vec<Entry>>,
}

impl PositionsDocument {
    pub fn of(table: &PositionTable) -> Self {
        Self {
            connectors: table
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
        }
    }

    pub fn into_table(self) -> BTreeMap<String, HashMap<RecordPartition, RecordOffset>> {
        self.connectors
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
            .collect()
    }
}

enum Backend {
    File(Box<dyn DocumentStore>),
    Log {
        log: ReplicatedLog<PositionLogState>,
        arbiter: ArbiterHandle,
        deadline: std::time::Duration,
    },
}

pub struct OffsetCommitter {
    backend: Backend,
    table: PositionTable,
}

impl std::fmt::Debug for OffsetCommitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetCommitter").finish_non_exhaustive()
    }
}

impl OffsetCommitter {
    /// Loads persisted positions into a new table.
    pub fn open(store: Box<dyn DocumentStore>) -> Result<(Self, PositionTable), String> {
        let document: PositionsDocument = load_json(store.as_ref())?;
        let table = document.into_table();
        let table = Arc::new(RwLock::new(table));
        Ok((
            Self {
                backend: Backend::File(store),
                table: table.clone(),
            },
            table,
        ))
    }

    /// Re-opens on an existing table (a restarted arbiter thread).
    pub fn with_table(store: Box<dyn DocumentStore>, table: PositionTable) -> Self {
        Self {
            backend: Backend::File(store),
            table,
        }
    }

    /// A distributed committer over the position log (its state owns the table).
    pub fn replicated(
        log: ReplicatedLog<PositionLogState>,
        arbiter: ArbiterHandle,
        deadline: std::time::Duration,
    ) -> Self {
        let table = log.read(|state| state.table.clone());
        Self {
            backend: Backend::Log {
                log,
                arbiter,
                deadline,
            },
            table,
        }
    }

    /// One write, whichever the backend: the file backend applies `op` to the table here and
    /// persists it; the log backend appends it (every worker's replay applies it) and
    /// reports a commit fenced by a newer claim as an error.
    fn write(&self, op: PositionOp) -> Result<(), String> {
        match &self.backend {
            Backend::File(store) => {
                match op {
                    PositionOp::Commit {
                        connector,
                        positions,
                        ..
                    } => self
                        .table
                        .write()
                        .entry(connector)
                        .or_default()
                        .extend(positions),
                    PositionOp::Alter { connector, change } => {
                        change.apply(&connector, &mut self.table.write());
                    }
                    PositionOp::Claim { .. } => {}
                }
                self.persist(store.as_ref())
            }
            Backend::Log {
                log,
                arbiter,
                deadline,
            } => match log.append_blocking(arbiter, op, *deadline) {
                Ok(applied) => match applied.outcome {
                    PositionOutcome::Fenced { owner } => Err(format!(
                        "fenced: the task now runs under a newer claim by {owner}"
                    )),
                    _ => Ok(()),
                },
                Err(e) => Err(e.to_string()),
            },
        }
    }

    fn persist(&self, store: &dyn DocumentStore) -> Result<(), String> {
        save_json(store, &PositionsDocument::of(&self.table))
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
    /// The committing task and the claim it runs under (distributed mode fences on them).
    pub task: u32,
    pub epoch: crate::model::Epoch,
    pub positions: Vec<(RecordPartition, RecordOffset)>,
}

/// An operator's change of a stopped connector's positions (Kafka Connect's `PATCH` and
/// `DELETE /connectors/{name}/offsets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PositionChange {
    /// Sets these partitions' offsets; `None` forgets the partition.
    Patch(Vec<(RecordPartition, Option<RecordOffset>)>),
    /// Forgets every position: the connector starts over.
    Reset,
}

impl PositionChange {
    /// Applies the change to `connector`'s positions in `table` (both backends run this).
    pub fn apply(
        &self,
        connector: &str,
        table: &mut BTreeMap<String, HashMap<RecordPartition, RecordOffset>>,
    ) {
        match self {
            Self::Reset => {
                table.remove(connector);
            }
            Self::Patch(changes) => {
                let positions = table.entry(connector.to_owned()).or_default();
                for (partition, offset) in changes {
                    match offset {
                        Some(offset) => positions.insert(partition.clone(), offset.clone()),
                        None => positions.remove(partition),
                    };
                }
                if positions.is_empty() {
                    table.remove(connector);
                }
            }
        }
    }
}

/// Changes a connector's positions; replies once the change is durable.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), String>")]
pub struct AlterPositions {
    pub connector: String,
    pub change: PositionChange,
}

impl Handler<AlterPositions> for OffsetCommitter {
    type Result = Result<(), String>;
    fn handle(&mut self, msg: AlterPositions, _ctx: &mut Self::Context) -> Self::Result {
        self.write(PositionOp::Alter {
            connector: msg.connector,
            change: msg.change,
        })
    }
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
        self.write(PositionOp::Commit {
            connector: msg.connector,
            task: msg.task,
            epoch: msg.epoch,
            positions: msg.positions,
        })
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

/// One task's [`PositionStore`]: reads the connector's committed positions, commits under
/// the task's claim through the offset committer.
#[derive(Debug, Clone)]
pub struct TaskPositions {
    pub id: crate::model::TaskId,
    pub epoch: crate::model::Epoch,
    pub committer: Addr<OffsetCommitter>,
    pub table: PositionTable,
}

#[async_trait::async_trait]
impl PositionStore for TaskPositions {
    fn reader(&self) -> Arc<dyn OffsetStorageReader> {
        Arc::new(PositionReader {
            connector: self.id.connector.clone(),
            table: self.table.clone(),
        })
    }

    async fn commit(
        &self,
        positions: Vec<(RecordPartition, RecordOffset)>,
    ) -> Result<(), PositionError> {
        let request = CommitPositions {
            connector: self.id.connector.clone(),
            task: self.id.task,
            epoch: self.epoch,
            positions,
        };
        match self.committer.send(request).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(PositionError::NotPersisted(e)),
            Err(e) => Err(PositionError::Unavailable(e.to_string())),
        }
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
            task: 0,
            epoch: 0,
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
