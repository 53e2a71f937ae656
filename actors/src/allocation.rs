//! Allocation: which worker runs which connector and task, computed deterministically from
//! the members and the configurations, so every worker that sees the same inputs agrees.

use std::collections::BTreeMap;
#[cfg(test)]
use std::collections::BTreeSet;

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

/// The members sorted and deduplicated (every worker must see them in one order), each with an
/// empty assignment.
fn empty_assignments(members: &[String]) -> (Vec<&String>, BTreeMap<String, Assignment>) {
    let mut members: Vec<&String> = members.iter().collect();
    members.sort();
    members.dedup();
    let out = members
        .iter()
        .map(|m| ((*m).clone(), Assignment::default()))
        .collect();
    (members, out)
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
/// from its hash with room left; room is an equal share, and the remainder's extra places go
/// to the first members that want one. Returns the member index of every key, in `keys` order.
fn bounded_ring(members: &[&String], keys: &[String]) -> Vec<usize> {
    let mut ring: Vec<(u64, usize)> = members
        .iter()
        .enumerate()
        .flat_map(|(index, member)| {
            (0..VIRTUAL_NODES).map(move |v| (stable_hash(&format!("{member}#{v}")), index))
        })
        .collect();
    ring.sort_unstable();
    let (base, mut extra) = (keys.len() / members.len(), keys.len() % members.len());
    let mut load = vec![0usize; members.len()];
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
        // A member has room below an equal share; the remainder's extra places go to the
        // first members that want them.
        let member = (0..ring.len())
            .map(|step| ring[(start + step) % ring.len()].1)
            .find(|&m| load[m] < base || (load[m] == base && extra > 0))
            .unwrap_or_else(|| unreachable!("the places add up to the number of keys"));
        if load[member] == base {
            extra -= 1;
        }
        load[member] += 1;
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
    let (members, mut out) = empty_assignments(members);
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
    let (members, mut out) = empty_assignments(members);
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

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::model::ConnectorEntry;

    fn snapshot(tasks_per_connector: &[usize]) -> ConfigSnapshot {
        tasks_per_connector
            .iter()
            .enumerate()
            .map(|(i, tasks)| {
                let entry = ConnectorEntry {
                    config: Config::new().with("connector.class", "X"),
                    target: TargetState::Started,
                    tasks: vec![Config::new(); *tasks],
                };
                (format!("connector-{i}"), entry)
            })
            .collect()
    }

    fn members(count: usize) -> Vec<String> {
        (0..count).map(|i| format!("worker-{i}")).collect()
    }

    /// Task → owner.
    fn owners(out: &BTreeMap<String, Assignment>) -> BTreeMap<TaskId, String> {
        out.iter()
            .flat_map(|(member, a)| a.tasks.keys().map(move |t| (t.clone(), member.clone())))
            .collect()
    }

    fn spread(loads: impl Iterator<Item = usize>) -> usize {
        let loads: Vec<usize> = loads.collect();
        loads.iter().max().unwrap_or(&0) - loads.iter().min().unwrap_or(&0)
    }

    proptest! {
        /// Both strategies: every connector and task has exactly one owner, and loads are
        /// balanced within one (per kind for consistent hashing, overall for round robin).
        #[test]
        fn everything_once_and_balanced(
            tasks in prop::collection::vec(0usize..6, 0..40),
            count in 1usize..8,
        ) {
            let snap = snapshot(&tasks);
            let total_tasks: usize = tasks.iter().sum();
            for strategy in [super::Strategy::RoundRobin, super::Strategy::ConsistentHash] {
                let out = strategy.allocate(&members(count), &snap);
                prop_assert_eq!(out.len(), count);
                let task_owners = owners(&out);
                let assigned: usize = out.values().map(|a| a.tasks.len()).sum();
                prop_assert_eq!(assigned, total_tasks);
                prop_assert_eq!(task_owners.len(), total_tasks);
                let connectors: BTreeSet<&String> = out.values().flat_map(|a| a.connectors.keys()).collect();
                prop_assert_eq!(connectors.len(), snap.len());
                prop_assert_eq!(out.values().map(|a| a.connectors.len()).sum::<usize>(), snap.len());
                match strategy {
                    super::Strategy::RoundRobin => prop_assert!(
                        spread(out.values().map(|a| a.connectors.len() + a.tasks.len())) <= 1
                    ),
                    super::Strategy::ConsistentHash => {
                        prop_assert!(spread(out.values().map(|a| a.tasks.len())) <= 1);
                        prop_assert!(spread(out.values().map(|a| a.connectors.len())) <= 1);
                    }
                }
            }
        }

        /// Consistent hashing: the same inputs in another order give the same answer, and a
        /// member joining or leaving moves few tasks — at most three times the fewest possible
        /// (the newcomer's share, or the leaver's tasks), plus three (about 1.2 times on average).
        #[test]
        fn consistent_hash_moves_little(
            tasks in prop::collection::vec(1usize..5, 1..60),
            count in 2usize..8,
        ) {
            let snap = snapshot(&tasks);
            let n: usize = tasks.iter().sum();
            let before = consistent_hash(&members(count), &snap);
            let mut reversed = members(count);
            reversed.reverse();
            prop_assert_eq!(&consistent_hash(&reversed, &snap), &before);
            let before_owners = owners(&before);

            let joined = consistent_hash(&members(count + 1), &snap);
            let moved = before_owners.iter().filter(|(t, w)| owners(&joined)[*t] != **w).count();
            let fewest = n / (count + 1);
            prop_assert!(moved <= 3 * fewest + 3, "join: moved {} of {}, fewest {}", moved, n, fewest);

            let leaver = format!("worker-{}", count - 1);
            let left = consistent_hash(&members(count - 1), &snap);
            let left_owners = owners(&left);
            let orphaned = before[&leaver].tasks.len();
            let moved = before_owners.iter().filter(|(t, w)| left_owners[*t] != **w).count();
            prop_assert!(moved >= orphaned);
            prop_assert!(moved <= 3 * orphaned + 3, "leave: moved {} of {}, orphaned {}", moved, n, orphaned);
        }
    }
}
