//! The Debezium-style gauges a CDC task reports after each poll through the runtime's
//! [`SourceGauges`]: milliseconds behind the source (streaming), whether a snapshot runs and
//! how many tables it has left, and (PostgreSQL) the slot's lag in bytes.

use std::sync::Arc;

use connect_api::{SourceGauge, SourceGauges};

use crate::position::SnapshotProgress;

/// Reports a task's gauges; does nothing when the runtime exports none.
#[derive(Debug, Default)]
pub struct GaugeReporter {
    gauges: Option<Arc<dyn SourceGauges>>,
    /// The source time of the last change reported: "behind" is measured when a change is
    /// read (as Debezium), not as the time since the last one.
    last_change_ms: i64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl GaugeReporter {
    /// `restored_change_ms`: the source time of the last change before a restart (from the
    /// stored offset), which is not measured again.
    pub fn new(gauges: Option<Arc<dyn SourceGauges>>, restored_change_ms: i64) -> Self {
        Self {
            gauges,
            last_change_ms: restored_change_ms,
        }
    }

    /// After a poll: the snapshot's progress, the source time of the last change streamed
    /// (0: none yet) and the slot's lag when known.
    pub fn report(
        &mut self,
        snapshot: Option<&SnapshotProgress>,
        last_change_ms: i64,
        slot_lag_bytes: Option<i64>,
    ) {
        let Some(gauges) = &self.gauges else {
            return;
        };
        gauges.set(SourceGauge::SnapshotRunning, i64::from(snapshot.is_some()));
        gauges.set(
            SourceGauge::SnapshotRemainingTables,
            snapshot.map_or(0, |s| i64::try_from(s.tables.len()).unwrap_or(i64::MAX)),
        );
        // Only streamed changes move the source time (snapshot rows do not).
        if last_change_ms > 0 && last_change_ms != self.last_change_ms {
            self.last_change_ms = last_change_ms;
            gauges.set(
                SourceGauge::MilliSecondsBehindSource,
                (now_ms() - last_change_ms).max(0),
            );
        }
        if let Some(lag) = slot_lag_bytes {
            gauges.set(SourceGauge::SlotLagBytes, lag);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Debug, Default)]
    struct Seen(Mutex<Vec<(SourceGauge, i64)>>);

    impl SourceGauges for Seen {
        fn set(&self, gauge: SourceGauge, value: i64) {
            self.0.lock().unwrap().push((gauge, value));
        }
    }

    #[test]
    fn behind_is_measured_when_a_change_is_read_and_snapshots_are_counted() {
        let seen = Arc::new(Seen::default());
        let restored = now_ms() - 3_600_000;
        let mut reporter = GaugeReporter::new(Some(seen.clone()), restored);
        let snapshot = SnapshotProgress {
            tables: vec!["db.a".into(), "db.b".into()],
            after: None,
            incremental: false,
        };
        reporter.report(Some(&snapshot), restored, None);
        assert_eq!(
            *seen.0.lock().unwrap(),
            [
                (SourceGauge::SnapshotRunning, 1),
                (SourceGauge::SnapshotRemainingTables, 2)
            ],
            "nothing streamed since the restart: no lag (not an hour)"
        );
        seen.0.lock().unwrap().clear();
        let change = now_ms() - 2_000;
        reporter.report(None, change, Some(4096));
        let behind = seen
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|(g, _)| *g == SourceGauge::MilliSecondsBehindSource)
            .map(|(_, v)| *v)
            .unwrap();
        assert!((2_000..3_000).contains(&behind), "{behind}");
        assert!(
            seen.0
                .lock()
                .unwrap()
                .contains(&(SourceGauge::SlotLagBytes, 4096))
        );
        seen.0.lock().unwrap().clear();
        reporter.report(None, change, None);
        assert!(
            !seen
                .0
                .lock()
                .unwrap()
                .iter()
                .any(|(g, _)| *g == SourceGauge::MilliSecondsBehindSource),
            "no new change, no new measurement"
        );
    }
}
