//! Snapshots of a replicated log's state, written into the log itself.
//!
//! RocketMQ deletes old commit-log files (`fileReservedTime`, 72 h by default) whatever topic
//! they hold, so a control topic loses its head: a worker replaying only what is left would
//! miss the connectors created in the first days. Every replica therefore writes, now and
//! then, the whole state into the log (in parts of at most [`PART_BYTES`], each a record):
//! a replica that starts reading anywhere before a complete snapshot restores it and applies
//! the records after the offset it [`covers`](SnapshotPart::covers). The same snapshots bound
//! replay: a starting replica jumps to the last stretch of the log that must hold one.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Largest slice of a snapshot's text in one record (the broker's default limit is 4 MiB).
pub const PART_BYTES: usize = 256 * 1024;
/// Snapshots being assembled at once (parts of concurrent writers interleave).
const ASSEMBLING: usize = 4;

/// When replicas write snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// After this many operations since the last snapshot, the replica that appended the
    /// latest operation writes one (`controlLogSnapshotRecords`). Replay reads at most about
    /// twice this many records.
    pub every_records: u64,
    /// A snapshot older than this is written again even without new operations
    /// (`controlLogSnapshotIntervalMs`), so one always lies within the broker's retention.
    pub max_age: Duration,
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        Self {
            every_records: 1000,
            max_age: Duration::from_secs(3600),
        }
    }
}

impl SnapshotPolicy {
    /// How many records before the log's end a starting replica begins reading: enough to
    /// hold the newest complete snapshot and the records since the offset it covers.
    pub fn replay_window(&self) -> i64 {
        i64::try_from(self.every_records.saturating_mul(2))
            .unwrap_or(i64::MAX / 2)
            .saturating_add(64)
    }
}

/// One record of a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotPart {
    /// The snapshot's id (its first part's record id).
    pub snapshot: String,
    /// Offset of the last record the state includes.
    pub covers: i64,
    /// When it was taken (ms since the epoch), to tell when the next one is due.
    pub taken_at_ms: u64,
    pub index: u32,
    pub count: u32,
    /// This part's slice of the snapshot's JSON text.
    pub text: String,
}

/// The snapshot's text: the state, and the ids of the operations applied last (so that a
/// resent copy of one of them, landing after the snapshot, is still applied once).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotDoc<T> {
    pub state: T,
    pub recent_ids: Vec<String>,
}

/// Splits `text` into slices of at most [`PART_BYTES`] on character boundaries.
pub fn split(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.len() > PART_BYTES {
        let mut cut = PART_BYTES;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (part, tail) = rest.split_at(cut);
        parts.push(part);
        rest = tail;
    }
    parts.push(rest);
    parts
}

/// A snapshot all of whose parts were read.
#[derive(Debug)]
pub struct Complete {
    pub covers: i64,
    pub taken_at_ms: u64,
    /// The whole text; `None` when the assembler was told not to keep it.
    pub text: Option<String>,
}

#[derive(Debug)]
struct Pending {
    covers: i64,
    taken_at_ms: u64,
    count: u32,
    received: u32,
    texts: Vec<Option<String>>,
    first_seen: u64,
}

/// Collects the parts of snapshots as they are read.
#[derive(Debug, Default)]
pub struct Assembler {
    pending: HashMap<String, Pending>,
    sequence: u64,
}

impl Assembler {
    /// Adds a part; returns the snapshot once complete. With `keep_text` false only the
    /// fact that it completed is kept (a replica that already has the state needs no more).
    pub fn add(&mut self, part: SnapshotPart, keep_text: bool) -> Option<Complete> {
        if part.count == 0 || part.index >= part.count {
            return None;
        }
        self.sequence += 1;
        if !self.pending.contains_key(&part.snapshot) && self.pending.len() >= ASSEMBLING {
            // A writer that died mid-snapshot leaves parts nobody completes: forget the oldest.
            if let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.first_seen)
                .map(|(id, _)| id.clone())
            {
                self.pending.remove(&oldest);
            }
        }
        let sequence = self.sequence;
        let pending = self
            .pending
            .entry(part.snapshot.clone())
            .or_insert_with(|| Pending {
                covers: part.covers,
                taken_at_ms: part.taken_at_ms,
                count: part.count,
                received: 0,
                texts: vec![None; part.count as usize],
                first_seen: sequence,
            });
        let slot = pending.texts.get_mut(part.index as usize)?;
        if slot.is_some() {
            return None;
        }
        *slot = Some(if keep_text { part.text } else { String::new() });
        pending.received += 1;
        if pending.received < pending.count {
            return None;
        }
        let done = self.pending.remove(&part.snapshot)?;
        let text = keep_text.then(|| done.texts.into_iter().flatten().collect::<String>());
        Some(Complete {
            covers: done.covers,
            taken_at_ms: done.taken_at_ms,
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: &str, index: u32, count: u32, text: &str) -> SnapshotPart {
        SnapshotPart {
            snapshot: id.into(),
            covers: 7,
            taken_at_ms: 1,
            index,
            count,
            text: text.into(),
        }
    }

    /// Long text splits on character boundaries and reassembles whole, whatever the order the
    /// parts arrive in and whatever else interleaves; a part read twice counts once.
    #[test]
    fn parts_reassemble_in_any_order() {
        let text: String = "ä€x".repeat(PART_BYTES / 2);
        let slices = split(&text);
        assert!(slices.len() >= 3, "{}", slices.len());
        assert!(slices.iter().all(|s| s.len() <= PART_BYTES));
        let count = u32::try_from(slices.len()).unwrap();
        let mut assembler = Assembler::default();
        assert!(assembler.add(part("other", 0, 2, "x"), true).is_none());
        let mut done = None;
        for (index, slice) in slices.iter().enumerate().rev() {
            let index = u32::try_from(index).unwrap();
            assert!(done.is_none());
            done = assembler.add(part("s", index, count, slice), true);
            if index == count - 1 {
                assert!(
                    assembler
                        .add(part("s", index, count, slice), true)
                        .is_none()
                );
            }
        }
        let done = done.unwrap();
        assert_eq!(done.covers, 7);
        assert_eq!(done.text.unwrap(), text);
        assert!(assembler.add(part("bad", 3, 2, ""), true).is_none());
    }

    #[test]
    fn abandoned_snapshots_are_forgotten() {
        let mut assembler = Assembler::default();
        for n in 0..10 {
            assert!(
                assembler
                    .add(part(&format!("dead{n}"), 0, 2, "x"), true)
                    .is_none()
            );
        }
        assert!(assembler.pending.len() <= ASSEMBLING);
        let done = assembler.add(part("one", 0, 1, "{}"), false).unwrap();
        assert!(done.text.is_none());
    }
}
