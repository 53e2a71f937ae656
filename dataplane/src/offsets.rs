//! [`OffsetTracker`]: which source positions may be committed when sends are acknowledged out
//! of order.
//!
//! A source task hands records to the producer in order; acknowledgements come back in any
//! order (batches, several queues, retries). A partition's position may advance only over the
//! *contiguous acknowledged prefix* of what was submitted for it: committing the offset of an
//! acknowledged record while an earlier one is still in flight would lose the earlier one if
//! the worker crashed.

use std::collections::{HashMap, VecDeque};

use connect_api::{RecordOffset, RecordPartition};

/// A submitted record's ticket, used to acknowledge it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket {
    /// The partition's slot (an index: no copy of the partition per record).
    slot: usize,
    sequence: u64,
}

#[derive(Debug)]
struct Slot {
    partition: RecordPartition,
    /// Submitted, not yet committable, in submission (= sequence) order: (sequence, offset,
    /// acknowledged).
    entries: VecDeque<(u64, RecordOffset, bool)>,
    /// The newest offset of the acknowledged prefix, not yet taken by `committable`.
    ready: Option<RecordOffset>,
}

/// Per-partition bookkeeping of in-flight records. Partitions keep their slot for the
/// tracker's life (a task has few).
#[derive(Debug, Default)]
pub struct OffsetTracker {
    slots: Vec<Slot>,
    slot_of: HashMap<RecordPartition, usize>,
    /// The slot of the last submitted record.
    recent: usize,
    next_sequence: u64,
    in_flight: usize,
}

impl OffsetTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that a record at `offset` of `partition` was handed to the producer.
    pub fn submit(&mut self, partition: &RecordPartition, offset: RecordOffset) -> Ticket {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.in_flight += 1;
        // A task's records usually share their partition's map: a pointer test spares hashing
        // the map for every record.
        let recent = self
            .slots
            .get(self.recent)
            .is_some_and(|s| s.partition.same_map(partition))
            .then_some(self.recent);
        let slot = match recent.or_else(|| self.slot_of.get(partition).copied()) {
            Some(slot) => {
                // Equal by value, perhaps another map (a source that builds its partition per
                // poll): hold this one, so the pointer test hits for the records after it.
                self.slots[slot].partition = partition.clone();
                slot
            }
            None => {
                self.slots.push(Slot {
                    partition: partition.clone(),
                    entries: VecDeque::new(),
                    ready: None,
                });
                self.slot_of.insert(partition.clone(), self.slots.len() - 1);
                self.slots.len() - 1
            }
        };
        self.recent = slot;
        self.slots[slot]
            .entries
            .push_back((sequence, offset, false));
        Ticket { slot, sequence }
    }

    /// Marks a record delivered (or deliberately skipped by the error policy). Unknown tickets
    /// are ignored, so a late duplicate acknowledgement is harmless.
    pub fn ack(&mut self, ticket: &Ticket) {
        let Some(slot) = self.slots.get_mut(ticket.slot) else {
            return;
        };
        // Acknowledgements mostly come in submission order: try the front first.
        let at_front = slot
            .entries
            .front()
            .is_some_and(|(seq, _, _)| *seq == ticket.sequence);
        let found = if at_front {
            Ok(0)
        } else {
            slot.entries
                .binary_search_by_key(&ticket.sequence, |(seq, _, _)| *seq)
        };
        if let Ok(index) = found
            && !slot.entries[index].2
        {
            slot.entries[index].2 = true;
            self.in_flight -= 1;
        }
        while slot.entries.front().is_some_and(|(_, _, acked)| *acked) {
            if let Some((_, offset, _)) = slot.entries.pop_front() {
                slot.ready = Some(offset);
            }
        }
    }

    /// The positions that became committable since the last call (one per partition: the
    /// newest offset of its acknowledged prefix).
    pub fn committable(&mut self) -> Vec<(RecordPartition, RecordOffset)> {
        self.slots
            .iter_mut()
            .filter_map(|slot| {
                slot.ready
                    .take()
                    .map(|offset| (slot.partition.clone(), offset))
            })
            .collect()
    }

    /// Records submitted and not yet acknowledged (for bounding in-flight data).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn partition(p: u8) -> RecordPartition {
        RecordPartition::new().with("p", p)
    }

    fn offset(n: u64) -> RecordOffset {
        RecordOffset::new().with("n", n)
    }

    #[test]
    fn only_the_contiguous_acknowledged_prefix_is_committable() {
        let mut tracker = OffsetTracker::new();
        let tickets: Vec<Ticket> = (0..4)
            .map(|n| tracker.submit(&partition(0), offset(n)))
            .collect();
        tracker.ack(&tickets[1]);
        tracker.ack(&tickets[2]);
        assert!(
            tracker.committable().is_empty(),
            "record 0 is still in flight"
        );
        tracker.ack(&tickets[0]);
        assert_eq!(tracker.committable(), vec![(partition(0), offset(2))]);
        assert_eq!(tracker.in_flight(), 1);
        assert!(tracker.committable().is_empty(), "taken once");
        tracker.ack(&tickets[3]);
        tracker.ack(&tickets[3]);
        assert_eq!(tracker.committable(), vec![(partition(0), offset(3))]);
        assert_eq!(tracker.in_flight(), 0);
    }

    #[test]
    fn partitions_advance_independently() {
        let mut tracker = OffsetTracker::new();
        let a = tracker.submit(&partition(0), offset(0));
        let b = tracker.submit(&partition(1), offset(7));
        tracker.ack(&b);
        assert_eq!(tracker.committable(), vec![(partition(1), offset(7))]);
        tracker.ack(&a);
        assert_eq!(tracker.committable(), vec![(partition(0), offset(0))]);
    }

    proptest! {
        /// Whatever the acknowledgement order, a committed offset never passes an unacknowledged
        /// record, and once everything is acknowledged each partition commits its last offset.
        #[test]
        fn never_commits_past_an_unacknowledged_record(
            records in prop::collection::vec(0u8..3, 1..60),
            order in prop::collection::vec(any::<prop::sample::Index>(), 1..60),
        ) {
            let mut tracker = OffsetTracker::new();
            let tickets: Vec<(u8, u64, Ticket)> = records
                .iter()
                .enumerate()
                .map(|(n, p)| (*p, n as u64, tracker.submit(&partition(*p), offset(n as u64))))
                .collect();
            let mut acked = vec![false; tickets.len()];
            let mut committed: HashMap<u8, u64> = HashMap::new();
            let mut ack_order: Vec<usize> = order.iter().map(|i| i.index(tickets.len())).collect();
            ack_order.extend(0..tickets.len());
            for i in ack_order {
                tracker.ack(&tickets[i].2);
                acked[i] = true;
                for (part, off) in tracker.committable() {
                    let n = off.get_i64("n").unwrap() as u64;
                    let p = part.get_i64("p").unwrap() as u8;
                    // Every record of this partition up to n is acknowledged.
                    for (j, (q, m, _)) in tickets.iter().enumerate() {
                        if *q == p && *m <= n {
                            prop_assert!(acked[j], "committed {n} of partition {p} past unacked {m}");
                        }
                    }
                    prop_assert!(committed.get(&p).is_none_or(|prev| *prev < n), "commits only move forward");
                    committed.insert(p, n);
                }
            }
            for p in 0..3u8 {
                let last = tickets.iter().filter(|(q, _, _)| *q == p).map(|(_, m, _)| *m).max();
                prop_assert_eq!(committed.get(&p).copied(), last);
            }
            prop_assert_eq!(tracker.in_flight(), 0);
        }
    }
}
