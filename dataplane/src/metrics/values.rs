//! The metric cells: counters, gauges and histograms on relaxed atomics. A loop keeps clones of
//! its cells, so counting a batch is one `fetch_add` per cell — no lookup, no lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Only ever goes up.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Goes up and down.
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Bucket bounds of durations, in microseconds (100 µs … 1 min).
const TIME_BOUNDS: &[u64] = &[
    100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 5_000_000, 10_000_000,
    60_000_000,
];
/// Bucket bounds of batch sizes, in records.
const SIZE_BOUNDS: &[u64] = &[1, 10, 100, 500, 1_000, 5_000, 10_000];

#[derive(Debug)]
struct HistogramCells {
    /// Upper bounds in base units (microseconds or records).
    bounds: &'static [u64],
    /// Base units per exported unit (microseconds per second: 1e6; records: 1). Dividing
    /// keeps bounds exact (`100 / 1e6` is `0.0001`, `100 * 1e-6` is not).
    per_unit: f64,
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum: AtomicU64,
    max: AtomicU64,
}

/// A distribution: per-bound counts, sum, count and maximum (observed per batch, not per
/// record).
#[derive(Debug, Clone)]
pub struct Histogram(Arc<HistogramCells>);

/// A histogram read at one moment, in exported units.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// `(upper bound, observations at or below it)`, cumulative, without `+Inf`.
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum: f64,
    pub max: f64,
}

impl Histogram {
    fn with(bounds: &'static [u64], per_unit: f64) -> Self {
        Self(Arc::new(HistogramCells {
            bounds,
            per_unit,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }))
    }

    /// Durations, exported in seconds.
    pub fn timer() -> Self {
        Self::with(TIME_BOUNDS, 1e6)
    }

    /// Sizes, exported as they are.
    pub fn sizes() -> Self {
        Self::with(SIZE_BOUNDS, 1.0)
    }

    /// Records one value in base units.
    pub fn observe(&self, value: u64) {
        let cells = &*self.0;
        if let Some(index) = cells.bounds.iter().position(|&bound| value <= bound) {
            cells.buckets[index].fetch_add(1, Ordering::Relaxed);
        }
        cells.count.fetch_add(1, Ordering::Relaxed);
        cells.sum.fetch_add(value, Ordering::Relaxed);
        cells.max.fetch_max(value, Ordering::Relaxed);
    }

    /// Records a duration (for timers).
    pub fn observe_duration(&self, duration: Duration) {
        self.observe(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX));
    }

    #[allow(clippy::cast_precision_loss)]
    pub fn snapshot(&self) -> HistogramSnapshot {
        let cells = &*self.0;
        let mut cumulative = 0;
        let buckets = cells
            .bounds
            .iter()
            .zip(cells.buckets.iter())
            .map(|(&bound, count)| {
                cumulative += count.load(Ordering::Relaxed);
                (bound as f64 / cells.per_unit, cumulative)
            })
            .collect();
        // Read after the buckets, the count is at least their total: +Inf never reads lower
        // than the last bound.
        let count = cells.count.load(Ordering::Relaxed).max(cumulative);
        HistogramSnapshot {
            buckets,
            count,
            sum: cells.sum.load(Ordering::Relaxed) as f64 / cells.per_unit,
            max: cells.max.load(Ordering::Relaxed) as f64 / cells.per_unit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_in_exported_units() {
        let timer = Histogram::timer();
        timer.observe_duration(Duration::from_micros(80));
        timer.observe_duration(Duration::from_millis(3));
        timer.observe_duration(Duration::from_secs(120));
        let snapshot = timer.snapshot();
        assert_eq!(snapshot.count, 3);
        assert_eq!(snapshot.buckets[0], (1e-4, 1));
        assert_eq!(snapshot.buckets[3], (0.005, 2));
        assert_eq!(
            snapshot.buckets.last().map(|b| b.1),
            Some(2),
            "120 s is only in +Inf"
        );
        assert!((snapshot.sum - 120.00308).abs() < 1e-9, "{}", snapshot.sum);
        assert!((snapshot.max - 120.0).abs() < 1e-9);
    }
}
