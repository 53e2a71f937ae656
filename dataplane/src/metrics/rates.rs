//! Kafka Connect's `-rate` metrics for the JSON view and the reporters: the counters' growth
//! per second over a sliding window of samples (Kafka: `metrics.sample.window.ms` ×
//! `metrics.num.samples`), not the mean since start (the Java runtime's Dropwizard meters).
//! Prometheus computes its own rates from the `_total` counters.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::defs::{self, Def};
use super::registry::{Sample, Value};

/// The counters Kafka Connect also reports as rates, with the rate's name.
pub const RATED: [(&Def, &str); 6] = [
    (&defs::SOURCE_POLL, "source-record-poll-rate"),
    (&defs::SOURCE_WRITE, "source-record-write-rate"),
    (&defs::SINK_READ, "sink-record-read-rate"),
    (&defs::SINK_SEND, "sink-record-send-rate"),
    (&defs::COMMIT_COMPLETION, "offset-commit-completion-rate"),
    (&defs::COMMIT_SKIP, "offset-commit-skip-rate"),
];

/// One rate: its Kafka name, the task's labels, per second.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub name: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub per_second: f64,
}

/// A rated counter of one task: its rate's name and its labels.
type Key = (&'static str, Vec<(&'static str, String)>);

/// Samples of the rated counters over the last window.
#[derive(Debug)]
pub struct Rates {
    window: Duration,
    samples: Mutex<VecDeque<(Instant, HashMap<Key, u64>)>>,
}

impl Default for Rates {
    fn default() -> Self {
        Self::new(Duration::from_secs(60))
    }
}

fn rate_name(def: &Def) -> Option<&'static str> {
    RATED
        .iter()
        .find(|(rated, _)| std::ptr::eq(*rated, def))
        .map(|(_, name)| *name)
}

impl Rates {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            samples: Mutex::new(VecDeque::new()),
        }
    }

    /// Records the rated counters among `samples`, taken at `now`.
    pub fn sample(&self, now: Instant, samples: &[Sample]) {
        let totals: HashMap<Key, u64> = samples
            .iter()
            .filter_map(|s| match s.value {
                Value::Counter(total) => Some(((rate_name(s.def)?, s.labels.clone()), total)),
                _ => None,
            })
            .collect();
        let mut kept = self.samples.lock();
        kept.push_back((now, totals));
        // Keep one sample at or beyond the window's start, so the span covers the window.
        while kept.len() > 2
            && kept
                .get(1)
                .is_some_and(|(at, _)| now.duration_since(*at) >= self.window)
        {
            kept.pop_front();
        }
    }

    /// Every rate between the oldest and the newest sample (a task registered in between
    /// counts from zero).
    pub fn rates(&self) -> Vec<Rate> {
        let kept = self.samples.lock();
        let (Some((newest_at, newest)), Some((oldest_at, oldest_totals))) =
            (kept.back(), kept.front())
        else {
            return Vec::new();
        };
        let span = newest_at.duration_since(*oldest_at).as_secs_f64();
        let mut out = Vec::new();
        for (key, total) in newest {
            // A task registered since the oldest sample started from zero.
            let oldest = oldest_totals.get(key).copied().unwrap_or(0);
            if span > 0.0 {
                #[allow(clippy::cast_precision_loss)]
                let per_second = total.saturating_sub(oldest) as f64 / span;
                out.push(Rate {
                    name: key.0,
                    labels: key.1.clone(),
                    per_second,
                });
            }
        }
        out.sort_by(|a, b| (a.name, &a.labels).cmp(&(b.name, &b.labels)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(total: u64) -> Vec<Sample> {
        vec![Sample {
            def: &defs::SOURCE_POLL,
            labels: vec![("connector", "c".to_owned()), ("task", "0".to_owned())],
            value: Value::Counter(total),
        }]
    }

    #[test]
    fn a_rate_is_the_growth_over_the_window_not_since_start() {
        let rates = Rates::new(Duration::from_secs(60));
        let start = Instant::now();
        // A burst long ago, then a steady 10/s.
        rates.sample(start, &poll(0));
        rates.sample(start + Duration::from_secs(5), &poll(100_000));
        for step in 1..=20u64 {
            rates.sample(
                start + Duration::from_secs(5 + step * 5),
                &poll(100_000 + step * 50),
            );
        }
        let all = rates.rates();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, "source-record-poll-rate");
        assert!(
            (all[0].per_second - 10.0).abs() < 1e-9,
            "{}",
            all[0].per_second
        );
    }

    #[test]
    fn a_task_registered_between_samples_counts_from_zero() {
        let rates = Rates::default();
        let start = Instant::now();
        rates.sample(start, &[]);
        rates.sample(start + Duration::from_secs(4), &poll(200));
        assert_eq!(rates.rates()[0].per_second, 50.0);
    }

    #[test]
    fn one_sample_has_no_rate() {
        let rates = Rates::default();
        rates.sample(Instant::now(), &poll(5));
        assert!(rates.rates().is_empty());
    }
}
