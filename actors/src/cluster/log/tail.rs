//! The reader of a replicated log: where it starts, how it gets a base state, how it applies.
//!
//! A replica reads queue 0 in offset order and accepts only the next offset it expects: a
//! reader that was moved (`seek`) may still deliver records it had fetched before, and those
//! are dropped rather than applied out of order.
//!
//! Starting: if the log holds more than the policy's replay window, the reader jumps to the
//! window before its end. Unless it starts at offset 0, it has no base state, so it *seeks*:
//! it holds the records it reads until a complete snapshot covering everything before them
//! arrives, restores it and applies the held records after the snapshot's offset. Reaching
//! the log's end (its own barrier) without one, it goes back to where the log starts; a log
//! whose head is gone with no snapshot covering it is applied as it is, loudly.

use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::time::Duration;

use connect_dataplane::mq::{ConsumeFrom, IncomingMessage, MqConsumer, QueueRef};

use super::snapshot::{Assembler, Complete, SnapshotDoc};
use super::{Body, CONTROL_QUEUE, Envelope, ReplicatedLog, StateMachine, now_ms};

/// Longest a poll waits for records before the reader looks whether it was closed.
const READ_POLL: Duration = Duration::from_millis(250);
/// Polls after going back for a missing offset, without it arriving, before the gap is
/// accepted as real (the broker deleted records before this reader read them).
const GAP_PATIENCE: u32 = 20;

enum Phase<Op> {
    /// Nothing read yet.
    Opening,
    /// No base state yet: records from `from` on are held until a usable snapshot arrives.
    Seeking {
        from: i64,
        /// Where the log itself starts, when reading jumped past it (to go back to).
        log_start: Option<i64>,
        held: Vec<(i64, Envelope<Op>)>,
    },
    /// Applying records as they come.
    Live,
}

/// What reading one record asks the loop to do.
enum Step {
    Nothing,
    Applied {
        mine: bool,
    },
    /// Move the reader to `offset`; `if_refused` says what to do when the client refuses
    /// (the offset is no longer in the log).
    Seek {
        queue: QueueRef,
        offset: i64,
        if_refused: IfRefused,
    },
}

/// What a refused seek means.
enum IfRefused {
    /// Read the log again from wherever it starts now, without jumping ahead.
    ReadFromStart,
    /// The records there are gone: go on with the next offset that comes.
    AcceptGap,
}

struct Reading<Op> {
    phase: Phase<Op>,
    assembler: Assembler,
    /// The next offset of queue 0 to accept.
    next: Option<i64>,
    /// Polls that brought records but none at `next`, since the reader was moved to it.
    gap_polls: u32,
    /// The `next` the reader was moved back to after records beyond it arrived.
    gap_reseek: Option<i64>,
    /// The smallest offset beyond `next` seen since then (where the log goes on).
    gap_beyond: Option<i64>,
    /// The queue the gap is in.
    gap_queue: Option<QueueRef>,
    /// Whether reading may start at the last stretch of a long log (not after going back to
    /// its start because no snapshot was found there).
    may_jump: bool,
    changed: bool,
}

/// The `MAX_OFFSET` the broker puts on every pulled message: where its queue ends.
fn queue_end(message: &IncomingMessage) -> Option<i64> {
    message.properties.get("MAX_OFFSET")?.parse().ok()
}

impl<S: StateMachine> ReplicatedLog<S> {
    /// Reads the topic until closed, applying operations in order.
    pub(super) async fn tail(self, mut reader: Box<dyn MqConsumer>) {
        let mut reading = Reading {
            phase: Phase::Opening,
            assembler: Assembler::default(),
            next: None,
            gap_polls: 0,
            gap_reseek: None,
            gap_beyond: None,
            gap_queue: None,
            may_jump: true,
            changed: false,
        };
        let mut closing = self.inner.closing.subscribe();
        while !self.inner.closed.load(Ordering::SeqCst) {
            let polled = tokio::select! {
                polled = reader.poll(READ_POLL) => polled,
                _ = closing.wait_for(|closing| *closing) => break,
            };
            let messages = match polled {
                Ok(messages) => messages,
                Err(e) => {
                    tracing::warn!(topic = %self.inner.topic, error = %e, "reading the control log failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let mut mine = false;
            let mut accepted = false;
            for message in messages {
                match self.read_one(&mut reading, message) {
                    Step::Nothing => {}
                    Step::Applied { mine: m } => {
                        accepted = true;
                        mine |= m;
                    }
                    Step::Seek {
                        queue,
                        offset,
                        if_refused,
                    } => {
                        if let Err(e) = reader.seek(&queue, offset).await {
                            match if_refused {
                                IfRefused::AcceptGap => reading.next = None,
                                IfRefused::ReadFromStart => {
                                    tracing::warn!(topic = %self.inner.topic, offset, error = %e, "cannot move the control-log reader; reading the log from its start");
                                    reader = self.reopen(reader, &mut reading).await;
                                }
                            }
                        }
                        break;
                    }
                }
            }
            if !accepted && reading.gap_reseek.is_some() {
                reading.gap_polls += 1;
                if reading.gap_polls >= GAP_PATIENCE {
                    self.accept_gap(&mut reading, &mut reader).await;
                }
            }
            if std::mem::take(&mut reading.changed)
                && let Some(listener) = self.inner.listener.lock().as_ref()
            {
                listener(&self.inner.replica.lock().state);
            }
            if matches!(reading.phase, Phase::Live) {
                self.snapshot_if_due(mine);
            }
        }
        reader.close().await;
        let _ = self.inner.finished.send(true);
    }

    /// The record the reader went back for did not come: the broker deleted it. Reading goes
    /// on from the oldest record seen beyond it (read again from there, so none is lost).
    async fn accept_gap(&self, reading: &mut Reading<S::Op>, reader: &mut Box<dyn MqConsumer>) {
        let expected = reading.gap_reseek.take();
        reading.gap_polls = 0;
        let (Some(beyond), Some(queue)) = (reading.gap_beyond.take(), reading.gap_queue.take())
        else {
            return;
        };
        tracing::warn!(topic = %self.inner.topic, ?expected, resumed_at = beyond, "control-log records were deleted before this worker read them");
        reading.next = Some(beyond);
        if reader.seek(&queue, beyond).await.is_err() {
            reading.next = None;
        }
    }

    /// A new reader at the log's first offset, read from scratch without jumping ahead.
    async fn reopen(
        &self,
        mut reader: Box<dyn MqConsumer>,
        reading: &mut Reading<S::Op>,
    ) -> Box<dyn MqConsumer> {
        loop {
            match self
                .inner
                .client
                .reader(
                    &self.inner.reader_group,
                    &self.inner.topic,
                    ConsumeFrom::FirstOffset,
                )
                .await
            {
                Ok(fresh) => {
                    reader.close().await;
                    reading.phase = Phase::Opening;
                    reading.next = None;
                    reading.may_jump = false;
                    return fresh;
                }
                Err(e) if !self.inner.closed.load(Ordering::SeqCst) => {
                    tracing::warn!(topic = %self.inner.topic, error = %e, "cannot open a control-log reader; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(_) => return reader,
            }
        }
    }

    fn read_one(&self, reading: &mut Reading<S::Op>, message: IncomingMessage) -> Step {
        let offset = message.queue_offset;
        if message.queue.queue_id != CONTROL_QUEUE {
            return self.read_foreign(reading, &message);
        }
        if matches!(reading.phase, Phase::Opening) {
            return self.open_at(reading, &message);
        }
        match reading.next {
            Some(next) if offset < next => return Step::Nothing,
            Some(next) if offset > next => {
                // Read-ahead from before a move, or records the broker deleted while this
                // reader was behind: go back for `next`; if it does not come, go on from
                // the first offset that did.
                reading.gap_beyond = Some(reading.gap_beyond.map_or(offset, |b| b.min(offset)));
                if reading.gap_reseek != Some(next) {
                    reading.gap_reseek = Some(next);
                    reading.gap_queue = Some(message.queue.clone());
                    reading.gap_polls = 0;
                    return Step::Seek {
                        queue: message.queue,
                        offset: next,
                        if_refused: IfRefused::AcceptGap,
                    };
                }
                // Still waiting for it (the loop gives up after a few polls).
                reading.gap_queue = Some(message.queue);
                return Step::Nothing;
            }
            _ => {}
        }
        reading.next = Some(offset + 1);
        reading.gap_polls = 0;
        reading.gap_reseek = None;
        reading.gap_beyond = None;
        reading.gap_queue = None;
        {
            let mut replay = self.inner.replay.lock();
            if replay.elapsed.is_zero() {
                replay.records += 1;
            }
        }
        let envelope: Envelope<S::Op> = match serde_json::from_slice(&message.body) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(topic = %self.inner.topic, offset, error = %e, "skipping a record this worker cannot read");
                return Step::Nothing;
            }
        };
        match &mut reading.phase {
            Phase::Opening | Phase::Live => self.apply_live(
                &mut reading.assembler,
                &mut reading.changed,
                offset,
                envelope,
            ),
            Phase::Seeking {
                from,
                log_start,
                held,
            } => match envelope.body {
                Body::Snapshot(part) => match reading.assembler.add(part, true) {
                    Some(done) if done.covers + 1 >= *from && self.restore(&done) => {
                        let held = std::mem::take(held);
                        reading.phase = Phase::Live;
                        reading.changed = true;
                        for (offset, envelope) in held {
                            self.apply_live(
                                &mut reading.assembler,
                                &mut reading.changed,
                                offset,
                                envelope,
                            );
                        }
                        Step::Applied { mine: false }
                    }
                    _ => Step::Nothing,
                },
                Body::Barrier if self.inner.waiters.lock().contains_key(&envelope.id) => {
                    // This replica's own barrier: the end of the log as it was when it
                    // started, and no snapshot to start from.
                    if let Some(start) = log_start.take() {
                        tracing::info!(topic = %self.inner.topic, from = start, "no complete snapshot near the log's end; replaying from its start");
                        self.start_reading_at(reading, start);
                        return Step::Seek {
                            queue: message.queue,
                            offset: start,
                            if_refused: IfRefused::ReadFromStart,
                        };
                    }
                    tracing::error!(topic = %self.inner.topic, from = *from, "the control log starts at offset {from}: the records before it are gone and no snapshot covers them, so connectors, states or positions written only there are missing here; keep workers running (they write snapshots) or raise the broker's fileReservedTime");
                    held.push((offset, envelope));
                    let held = std::mem::take(held);
                    reading.phase = Phase::Live;
                    let mut mine = false;
                    for (offset, envelope) in held {
                        if let Step::Applied { mine: m } = self.apply_live(
                            &mut reading.assembler,
                            &mut reading.changed,
                            offset,
                            envelope,
                        ) {
                            mine = m;
                        }
                    }
                    Step::Applied { mine }
                }
                _ => {
                    held.push((offset, envelope));
                    Step::Nothing
                }
            },
        }
    }

    /// A record outside queue 0 (an older worker hashed its key there, or another tool wrote
    /// it): its offset is another queue's, so it is applied as it comes — once a base state
    /// exists — and never moves this reader's position.
    fn read_foreign(&self, reading: &mut Reading<S::Op>, message: &IncomingMessage) -> Step {
        tracing::warn!(topic = %self.inner.topic, queue = message.queue.queue_id, offset = message.queue_offset, "a control record outside queue 0: re-create the topic with one queue if replicas disagree");
        if !matches!(reading.phase, Phase::Live) {
            return Step::Nothing;
        }
        let Ok(envelope) = serde_json::from_slice::<Envelope<S::Op>>(&message.body) else {
            return Step::Nothing;
        };
        let Body::Op(op) = envelope.body else {
            return Step::Nothing;
        };
        if !self.first_sighting(&envelope.id) {
            return Step::Nothing;
        }
        let outcome = {
            let mut replica = self.inner.replica.lock();
            let offset = replica.applied;
            replica.state.apply(offset, &op)
        };
        reading.changed = true;
        if let Some(waiter) = self.inner.waiters.lock().remove(&envelope.id) {
            let _ = waiter.send((message.queue_offset, Some(outcome)));
        }
        Step::Applied { mine: false }
    }

    /// Decides where to read from, given the first record read (at the log's start).
    fn open_at(&self, reading: &mut Reading<S::Op>, first: &IncomingMessage) -> Step {
        let offset = first.queue_offset;
        let window = self.inner.policy.replay_window();
        if reading.may_jump
            && let Some(end) = queue_end(first)
            && end - offset > window
        {
            let target = end - window;
            self.start_reading_at(reading, target);
            if let Phase::Seeking { log_start, .. } = &mut reading.phase {
                *log_start = Some(offset);
            }
            return Step::Seek {
                queue: first.queue.clone(),
                offset: target,
                if_refused: IfRefused::ReadFromStart,
            };
        }
        self.start_reading_at(reading, offset);
        // The first record is read again through the chosen phase.
        reading.next = Some(offset);
        self.read_one(reading, first.clone())
    }

    /// Reads on from `offset` (the log's start: offset 0, or where it begins after the
    /// broker deleted its head), from scratch.
    fn start_reading_at(&self, reading: &mut Reading<S::Op>, offset: i64) {
        reading.assembler = Assembler::default();
        reading.next = Some(offset);
        reading.gap_polls = 0;
        reading.phase = if offset == 0 {
            Phase::Live
        } else {
            Phase::Seeking {
                from: offset,
                log_start: None,
                held: Vec::new(),
            }
        };
        let mut replay = self.inner.replay.lock();
        replay.started_at = offset;
        replay.restored = None;
    }

    /// Applies one record to a replica that has its base state.
    fn apply_live(
        &self,
        assembler: &mut Assembler,
        changed: &mut bool,
        offset: i64,
        envelope: Envelope<S::Op>,
    ) -> Step {
        let mut replica = self.inner.replica.lock();
        if offset <= replica.applied {
            return Step::Nothing;
        }
        replica.applied = offset;
        let mut mine = false;
        let outcome = match envelope.body {
            // Only operations are deduplicated (a barrier or a snapshot part read twice
            // changes nothing), so every replica's window holds the same ids.
            Body::Op(_) if !self.first_sighting(&envelope.id) => return Step::Nothing,
            Body::Op(op) => {
                *changed = true;
                mine = self.is_mine(&envelope.id);
                replica.since_snapshot += 1;
                Some(replica.state.apply(offset, &op))
            }
            Body::Barrier => None,
            Body::Snapshot(part) => {
                if let Some(done) = assembler.add(part, false) {
                    replica.since_snapshot = 0;
                    replica.snapshot_taken_at_ms =
                        replica.snapshot_taken_at_ms.max(Some(done.taken_at_ms));
                }
                None
            }
        };
        drop(replica);
        if let Some(waiter) = self.inner.waiters.lock().remove(&envelope.id) {
            let _ = waiter.send((offset, outcome));
        }
        Step::Applied { mine }
    }

    /// Makes a complete snapshot this replica's state; false if it cannot be read.
    fn restore(&self, done: &Complete) -> bool {
        let Some(text) = &done.text else {
            return false;
        };
        let doc: SnapshotDoc<S::Snapshot> = match serde_json::from_str(text) {
            Ok(doc) => doc,
            Err(e) => {
                tracing::warn!(topic = %self.inner.topic, covers = done.covers, error = %e, "skipping a snapshot this worker cannot read");
                return false;
            }
        };
        {
            let mut replica = self.inner.replica.lock();
            replica.state.restore(doc.state);
            replica.applied = done.covers;
            replica.since_snapshot = 0;
            replica.snapshot_taken_at_ms = Some(done.taken_at_ms);
        }
        {
            let mut seen = self.inner.seen.lock();
            seen.0.clear();
            seen.1.clear();
        }
        for id in &doc.recent_ids {
            self.first_sighting(id);
        }
        self.inner.replay.lock().restored = Some(done.covers);
        true
    }

    /// Writes a snapshot if one is due: enough operations since the last one and this
    /// replica appended the latest (so one replica writes, not all), or the newest one is
    /// older than the policy allows (staggered per replica, so the first writer's snapshot
    /// spares the others).
    fn snapshot_if_due(&self, last_op_mine: bool) {
        let policy = self.inner.policy;
        let due = {
            let replica = self.inner.replica.lock();
            let by_count = last_op_mine && replica.since_snapshot >= policy.every_records;
            let base = replica
                .snapshot_taken_at_ms
                .unwrap_or(replica.live_since_ms);
            let max_age = u64::try_from(policy.max_age.as_millis()).unwrap_or(u64::MAX);
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            self.inner.origin.hash(&mut hasher);
            let stagger = hasher.finish() % (max_age / 10 + 1);
            let by_age = now_ms() >= base.saturating_add(max_age).saturating_add(stagger);
            replica.applied >= 0 && (by_count || by_age)
        };
        if due && !self.inner.writing.swap(true, Ordering::SeqCst) {
            actix::spawn(self.clone().write_snapshot());
        }
    }
}
