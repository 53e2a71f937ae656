//! Allocation: which worker runs which connector and task, computed deterministically from
//! the members and the configurations, so every worker that sees the same inputs agrees.

use std::collections::BTreeMap;

use connect_api::Config;

use crate::model::{ConfigSnapshot, Epoch, TargetState, TaskId, Unit};

/// What one worker should run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// Connector name → its configuration and target state.
    pub connectors: BTreeMap<String, (Config, TargetState)>,
    /// Task → its configuration and the connector's target state.
    pub tasks: BTreeMap<TaskId, (Config, TargetState)>,
    /// The claim each unit runs under (distributed mode; absent: epoch 0).
    pub epochs: BTreeMap<Unit, Epoch>,
}

/// How connectors and tasks are spread over the members (`allocTaskStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// The Java default: members sorted, units dealt in turn. Balanced, but a member joining
    /// or leaving shifts most units.
    RoundRobin,
    /// Consistent hashing with bounded loads: every unit goes to the first member clockwise
    /// on a hash ring that still has room, room being an equal share (±1). Balanced within
    /// one and a join or leave moves few units.
    #[default]
    ConsistentHash,
}

impl Strategy {
    /// Parses `allocTaskStrategy`: the Java class names (full or simple) or
    /// `round-robin` / `consistent-hash`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let simple = value.trim().rsplit('.').next().unwrap_or_default();
        match simple {
            "DefaultAllocateConnAndTaskStrategy" | "round-robin" | "RoundRobin" => {
                Ok(Self::RoundRobin)
            }
            "AllocateConnAndTaskStrategyByConsistentHash"
            | "consistent-hash"
            | "ConsistentHash" => Ok(Self::ConsistentHash),
            _ => Err(
                "expected org.apache.rocketmq.connect.runtime.service.strategy.\
                 DefaultAllocateConnAndTaskStrategy (round-robin) or \
                 AllocateConnAndTaskStrategyByConsistentHash (consistent-hash)"
                    .to_owned(),
            ),
        }
    }

    /// Every member's assignment.
    pub fn allocate(
        self,
        members: &[String],
        snapshot: &ConfigSnapshot,
    ) -> BTreeMap<String, Assignment> {
        match self {
            Self::RoundRobin => round_robin(members, snapshot),
            Self::ConsistentHash => consistent_hash(members, snapshot),
        }
    }
}

/// Virtual nodes per member on the hash ring.
const VIRTUAL_NODES: u32 = 64;

/// FNV-1a with a SplitMix64 finish: stable across processes, platforms and Rust versions
/// (every worker must compute the same ring).
fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// Places `keys` on `members` (sorted, non-empty): each key goes to the first member clockwise
/// from its hash with room left; room is an equal share, the remainder going to the members
/// whose own hash is smallest. Returns the member index of every key, in `keys` order.
fn bounded_ring(members: &[&String], keys: &[String]) -> Vec<usize> {
    let mut ring: Vec<(u64, usize)> = members
        .iter()
        .enumerate()
        .flat_map(|(index, member)| {
            (0..VIRTUAL_NODES).map(move |v| (stable_hash(&format!("{member}#{v}")), index))
        })
        .collect();
    ring.sort_unstable();
    let (base, extra) = (keys.len() / members.len(), keys.len() % members.len());
    let mut by_hash: Vec<usize> = (0..members.len()).collect();
    by_hash.sort_by_key(|&i| (stable_hash(members[i]), i));
    let mut room = vec![base; members.len()];
    for &i in by_hash.iter().take(extra) {
        room[i] += 1;
    }
    // Keys in hash order: the order is as stable as the ring, whatever the input order.
    let mut order: Vec<(u64, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| (stable_hash(key), i))
        .collect();
    order.sort_unstable();
    let mut placed = vec![0; keys.len()];
    for (hash, key_index) in order {
        let start = ring.partition_point(|(h, _)| *h < hash);
        let member = (0..ring.len())
            .map(|step| ring[(start + step) % ring.len()].1)
            .find(|&m| room[m] > 0)
            .unwrap_or_else(|| unreachable!("the rooms add up to the number of keys"));
        room[member] -= 1;
        placed[key_index] = member;
    }
    placed
}

/// [`Strategy::ConsistentHash`]: connectors and tasks are placed separately, so each kind is
/// balanced within one.
pub fn consistent_hash(
    members: &[String],
    snapshot: &ConfigSnapshot,
) -> BTreeMap<String, Assignment> {
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
    let names: Vec<String> = snapshot.keys().cloned().collect();
    for (name, member) in names.iter().zip(bounded_ring(&members, &names)) {
        let entry = &snapshot[name];
        if let Some(assignment) = out.get_mut(members[member]) {
            assignment
                .connectors
                .insert(name.clone(), (entry.config.clone(), entry.target));
        }
    }
    let tasks: Vec<(TaskId, &Config, TargetState)> = snapshot
        .iter()
        .flat_map(|(name, entry)| {
            entry.tasks.iter().enumerate().map(move |(index, config)| {
                let id = TaskId::new(name.clone(), u32::try_from(index).unwrap_or(u32::MAX));
                (id, config, entry.target)
            })
        })
        .collect();
    let keys: Vec<String> = tasks
        .iter()
        .map(|(id, _, _)| format!("{}\u{0}{}", id.connector, id.task))
        .collect();
    for ((id, config, target), member) in tasks.into_iter().zip(bounded_ring(&members, &keys)) {
        if let Some(assignment) = out.get_mut(members[member]) {
            assignment.tasks.insert(id, (config.clone(), target));
        }
    }
    out
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
