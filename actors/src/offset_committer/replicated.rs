//! The position log's state machine: claims and position commits, in one totally ordered
//! topic so that "which claim is newest" and "was this commit made under it" are decided the
//! same way by every worker.
//!
//! A worker claims the units it is about to run (one record for all of them); the claim's
//! epoch is its place in the log. A commit carries the epoch of its task's claim and is applied
//! only if that claim is still the newest for the task. A new owner reads the positions after
//! its claim is applied, so it resumes from exactly the last commit that counted.

use std::collections::HashMap;

use connect_api::{RecordOffset, RecordPartition};
use serde::{Deserialize, Serialize};

use super::{PositionChange, PositionTable, PositionsDocument};
use crate::cluster::log::StateMachine;
use crate::model::{Epoch, TaskId, Unit};

/// One record of the position log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum PositionOp {
    /// `worker` runs these units from now on.
    Claim { worker: String, units: Vec<Unit> },
    /// Positions a task committed under the claim `epoch`.
    Commit {
        connector: String,
        task: u32,
        epoch: Epoch,
        positions: Vec<(RecordPartition, RecordOffset)>,
    },
    /// A stopped connector's positions changed by an operator (KIP-875); not fenced: a stopped
    /// connector has no task that could commit.
    Alter {
        connector: String,
        change: PositionChange,
    },
}

/// The owner a fenced commit names after an operator altered the connector's offsets.
pub const ALTERED_BY: &str = "an offsets alteration (PATCH/DELETE /connectors/{name}/offsets)";

/// What applying a record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PositionOutcome {
    Claimed {
        epoch: Epoch,
    },
    Committed,
    /// The commit's claim was superseded by `owner`'s; nothing changed.
    Fenced {
        owner: String,
    },
}

/// The replicated positions and the newest claim of every unit.
#[derive(Debug, Default)]
pub struct PositionLogState {
    pub table: PositionTable,
    pub claims: HashMap<Unit, (Epoch, String)>,
    /// Bumped by every claim, so listeners can tell claims from commits cheaply.
    pub claims_version: u64,
}

impl PositionLogState {
    pub fn new(table: PositionTable) -> Self {
        Self {
            table,
            claims: HashMap::new(),
            claims_version: 0,
        }
    }
}

/// The position log's state as data: every connector's positions and every unit's newest
/// claim (sorted, so equal states write equal snapshots).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionSnapshot {
    positions: PositionsDocument,
    claims: Vec<(Unit, Epoch, String)>,
}

impl StateMachine for PositionLogState {
    type Op = PositionOp;
    type Outcome = PositionOutcome;
    type Snapshot = PositionSnapshot;

    fn snapshot(&self) -> PositionSnapshot {
        let mut claims: Vec<_> = self
            .claims
            .iter()
            .map(|(unit, (epoch, owner))| (unit.clone(), *epoch, owner.clone()))
            .collect();
        claims.sort();
        PositionSnapshot {
            positions: PositionsDocument::of(&self.table),
            claims,
        }
    }

    fn restore(&mut self, snapshot: PositionSnapshot) {
        // The table is shared with the tasks' readers: replaced in place.
        *self.table.write() = snapshot.positions.into_table();
        self.claims = snapshot
            .claims
            .into_iter()
            .map(|(unit, epoch, owner)| (unit, (epoch, owner)))
            .collect();
        self.claims_version += 1;
    }

    fn apply(&mut self, offset: i64, op: &PositionOp) -> PositionOutcome {
        match op {
            PositionOp::Claim { worker, units } => {
                // Epoch 0 is standalone's; log epochs start at 1.
                let epoch = u64::try_from(offset).unwrap_or(0) + 1;
                self.claims_version += 1;
                for unit in units {
                    self.claims.insert(unit.clone(), (epoch, worker.clone()));
                }
                PositionOutcome::Claimed { epoch }
            }
            PositionOp::Commit {
                connector,
                task,
                epoch,
                positions,
            } => {
                let unit = Unit::Task(TaskId::new(connector.clone(), *task));
                match self.claims.get(&unit) {
                    Some((newest, owner)) if newest != epoch => PositionOutcome::Fenced {
                        owner: owner.clone(),
                    },
                    _ => {
                        self.table
                            .write()
                            .entry(connector.clone())
                            .or_default()
                            .extend(positions.iter().cloned());
                        PositionOutcome::Committed
                    }
                }
            }
            PositionOp::Alter { connector, change } => {
                // The alteration supersedes every claim on the connector's tasks: a task still
                // stopping somewhere (or a zombie) cannot commit over it. Tasks started after
                // the resume claim anew, with newer epochs.
                let epoch = u64::try_from(offset).unwrap_or(0) + 1;
                for (unit, claim) in &mut self.claims {
                    if matches!(unit, Unit::Task(id) if id.connector == *connector) {
                        *claim = (epoch, ALTERED_BY.to_owned());
                    }
                }
                self.claims_version += 1;
                change.apply(connector, &mut self.table.write());
                PositionOutcome::Committed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(epoch: Epoch, n: i64) -> PositionOp {
        PositionOp::Commit {
            connector: "c".into(),
            task: 0,
            epoch,
            positions: vec![(
                RecordPartition::new().with("p", "x"),
                RecordOffset::new().with("n", n),
            )],
        }
    }

    fn position(state: &PositionLogState) -> Option<i64> {
        state.table.read()["c"]
            .values()
            .next()
            .and_then(|o| o.get_i64("n"))
    }

    /// An alteration fences every claim on the connector's tasks: a task still stopping
    /// elsewhere cannot commit over the operator's offsets; a task claimed afterwards can.
    #[test]
    fn an_alteration_fences_the_tasks_claimed_before_it() {
        let mut state = PositionLogState::default();
        let unit = Unit::Task(TaskId::new("c", 0));
        let claim = PositionOp::Claim {
            worker: "w1".into(),
            units: vec![unit],
        };
        let PositionOutcome::Claimed { epoch: old } = state.apply(0, &claim) else {
            panic!("not a claim");
        };
        let alter = PositionOp::Alter {
            connector: "c".into(),
            change: PositionChange::Patch(vec![(
                RecordPartition::new().with("p", "x"),
                Some(RecordOffset::new().with("n", 0)),
            )]),
        };
        assert_eq!(state.apply(1, &alter), PositionOutcome::Committed);
        assert_eq!(position(&state), Some(0));
        assert!(matches!(
            state.apply(2, &commit(old, 99)),
            PositionOutcome::Fenced { .. }
        ));
        assert_eq!(position(&state), Some(0));
        let PositionOutcome::Claimed { epoch: new } = state.apply(3, &claim) else {
            panic!("not a claim");
        };
        assert_eq!(state.apply(4, &commit(new, 5)), PositionOutcome::Committed);
        assert_eq!(position(&state), Some(5));
    }

    /// A restored snapshot is the state it was taken from: same positions, same claims, and
    /// the same outcome for the next commit (a fenced one stays fenced).
    #[test]
    fn a_snapshot_restores_positions_and_claims() {
        let mut state = PositionLogState::default();
        let claim = |w: &str, task: u32| PositionOp::Claim {
            worker: w.into(),
            units: vec![
                Unit::Task(TaskId::new("c", task)),
                Unit::Connector("c".into()),
            ],
        };
        state.apply(0, &claim("w1", 0));
        state.apply(1, &commit(1, 10));
        state.apply(2, &claim("w2", 0));
        let text = serde_json::to_string(&state.snapshot()).unwrap();
        let mut restored = PositionLogState::default();
        restored.restore(serde_json::from_str(&text).unwrap());
        assert_eq!(restored.snapshot(), state.snapshot());
        assert_eq!(position(&restored), Some(10));
        assert_eq!(restored.claims, state.claims);
        assert_eq!(
            restored.apply(3, &commit(1, 99)),
            PositionOutcome::Fenced { owner: "w2".into() }
        );
        assert_eq!(
            restored.apply(4, &commit(3, 20)),
            PositionOutcome::Committed
        );
        assert_eq!(position(&restored), Some(20));
    }

    /// Once a newer claim is in the log, the former owner's commits change nothing.
    #[test]
    fn a_superseded_claim_cannot_commit() {
        let mut state = PositionLogState::default();
        let unit = Unit::Task(TaskId::new("c", 0));
        let claim = |w: &str| PositionOp::Claim {
            worker: w.into(),
            units: vec![unit.clone()],
        };
        let PositionOutcome::Claimed { epoch: first } = state.apply(0, &claim("w1")) else {
            panic!("not a claim");
        };
        assert_eq!(
            state.apply(1, &commit(first, 10)),
            PositionOutcome::Committed
        );
        let PositionOutcome::Claimed { epoch: second } = state.apply(2, &claim("w2")) else {
            panic!("not a claim");
        };
        assert!(second > first);
        assert_eq!(
            state.apply(3, &commit(first, 99)),
            PositionOutcome::Fenced { owner: "w2".into() }
        );
        assert_eq!(position(&state), Some(10));
        assert_eq!(
            state.apply(4, &commit(second, 20)),
            PositionOutcome::Committed
        );
        assert_eq!(position(&state), Some(20));
    }
}
