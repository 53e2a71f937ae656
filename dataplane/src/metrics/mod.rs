//! Metrics: one [`WorkerMetrics`] registry per worker, [`TaskMetrics`] cells per task (kept by
//! the loop, so counting costs a relaxed atomic add per batch), every metric defined once in
//! [`defs`] under its Prometheus and its Kafka Connect / Java name, written out as Prometheus
//! text or Kafka-named [`Entry`]s (with Kafka's windowed [`rates`]), and periodic
//! [`report`]ers.
//!
//! Why not `prometheus-client`: its text encoder writes OpenMetrics (counter families without
//! `_total`, `# EOF`), which `promtool check metrics` reports as counters without help; and
//! reading values back for the Kafka-named view needs cells of our own anyway.

pub mod defs;
pub mod exposition;
pub mod rates;
pub mod registry;
pub mod report;
pub mod task;
pub mod values;

pub use exposition::{Entry, entries, prometheus_text};
pub use registry::WorkerMetrics;
pub use task::{Sides, TaskMetrics};
