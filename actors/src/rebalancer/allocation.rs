//! Allocation: which worker runs which connector and task, computed deterministically from
//! the members and the configurations, so every worker that sees the same inputs agrees.

use std::collections::BTreeMap;

use connect_api::Config;

use crate::model::{ConfigSnapshot, TargetState, TaskId};

/// What one worker should run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// Connector name → its configuration and target state.
    pub connectors: BTreeMap<String, (Config, TargetState)>,
    /// Task → its configuration and the connector's target state.
    pub tasks: BTreeMap<TaskId, (Config, TargetState)>,
}

/// Round robin, as the Java `DefaultAllocateConnAndTaskStrategy`: members sorted, connectors
/// sorted by name take members in turn, then tasks continue the same counter.
pub fn round_robin(members: &[String], snapshot: &ConfigSnapshot) -> BTreeMap<String, Assignment> {
    let mut members: Vec<&String> = members.iter().collect();
    members.sort();
    members.dedup();
    let mut out: BTreeMap<String, Assignment> = members
        .iter()
        .map(|m| ((*m).clone(), Assignment::default()))
        .collect();
    if members.is_empty() {
        return out;
    }
    let mut counter = 0usize;
    let mut next = || {
        let member = members[counter % members.len()].clone();
        counter += 1;
        member
    };
    for (name, entry) in snapshot {
        let member = next();
        if let Some(assignment) = out.get_mut(&member) {
            assignment
                .connectors
                .insert(name.clone(), (entry.config.clone(), entry.target));
        }
    }
    for (name, entry) in snapshot {
        for (index, task) in entry.tasks.iter().enumerate() {
            let member = next();
            let id = TaskId::new(name.clone(), u32::try_from(index).unwrap_or(u32::MAX));
            if let Some(assignment) = out.get_mut(&member) {
                assignment.tasks.insert(id, (task.clone(), entry.target));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConnectorEntry;

    fn snapshot(connectors: &[(&str, usize)]) -> ConfigSnapshot {
        connectors
            .iter()
            .map(|(name, tasks)| {
                let entry = ConnectorEntry {
                    config: Config::new().with("connector.class", "X"),
                    target: TargetState::Started,
                    tasks: vec![Config::new(); *tasks],
                };
                ((*name).to_owned(), entry)
            })
            .collect()
    }

    /// Every connector and task is assigned exactly once and loads differ by at most one.
    #[test]
    fn everything_is_assigned_once_and_balanced() {
        let members: Vec<String> = ["w2", "w1", "w3"].iter().map(|s| (*s).to_owned()).collect();
        let snap = snapshot(&[("a", 3), ("b", 2), ("c", 4)]);
        let out = round_robin(&members, &snap);
        let connectors: usize = out.values().map(|a| a.connectors.len()).sum();
        let tasks: usize = out.values().map(|a| a.tasks.len()).sum();
        assert_eq!((connectors, tasks), (3, 9));
        let loads: Vec<usize> = out
            .values()
            .map(|a| a.connectors.len() + a.tasks.len())
            .collect();
        assert!(
            loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1,
            "{loads:?}"
        );
        // Deterministic whatever the member order.
        let reordered: Vec<String> = ["w3", "w1", "w2"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(round_robin(&reordered, &snap), out);
    }

    #[test]
    fn a_single_member_gets_everything() {
        let out = round_robin(&["solo".to_owned()], &snapshot(&[("a", 2)]));
        assert_eq!(out["solo"].tasks.len(), 2);
        assert!(round_robin(&[], &snapshot(&[("a", 2)])).is_empty());
    }
}
