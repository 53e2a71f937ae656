//! Writing samples out: Prometheus text format 0.0.4 (`GET /metrics`, clean under
//! `promtool check metrics`), and [`Entry`]s with the Kafka Connect / Java runtime names (the
//! JSON view and the reporters).

use std::fmt::Write as _;

use serde::Serialize;

use super::defs::{Kind, PREFIX};
use super::registry::{Sample, Value};

/// The content type of [`prometheus_text`].
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn escape_label(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn write_labels(labels: &[(&str, String)], extra: Option<(&str, &str)>, out: &mut String) {
    if labels.is_empty() && extra.is_none() {
        return;
    }
    out.push('{');
    let mut first = true;
    for (name, value) in labels.iter().map(|(n, v)| (*n, v.as_str())).chain(extra) {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(name);
        out.push_str("=\"");
        escape_label(value, out);
        out.push('"');
    }
    out.push('}');
}

fn number(value: f64) -> String {
    if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{value}")
    }
}

/// The samples in Prometheus text format; HELP and TYPE once per metric.
pub fn prometheus_text(samples: &[Sample]) -> String {
    let mut out = String::with_capacity(samples.len() * 96);
    let mut current: Option<&str> = None;
    for sample in samples {
        let def = sample.def;
        if current != Some(def.prom) {
            current = Some(def.prom);
            let kind = match def.kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
                Kind::Timer | Kind::Size => "histogram",
            };
            let _ = writeln!(out, "# HELP {PREFIX}{} {}", def.prom, def.help);
            let _ = writeln!(out, "# TYPE {PREFIX}{} {kind}", def.prom);
        }
        let name = def.prom;
        match &sample.value {
            Value::Counter(value) => {
                let _ = write!(out, "{PREFIX}{name}");
                write_labels(&sample.labels, None, &mut out);
                let _ = writeln!(out, " {value}");
            }
            Value::Gauge(value) => {
                let _ = write!(out, "{PREFIX}{name}");
                write_labels(&sample.labels, None, &mut out);
                let _ = writeln!(out, " {value}");
            }
            Value::Histogram(h) => {
                for (bound, count) in h.buckets.iter().chain([&(f64::INFINITY, h.count)]) {
                    let _ = write!(out, "{PREFIX}{name}_bucket");
                    write_labels(&sample.labels, Some(("le", &number(*bound))), &mut out);
                    let _ = writeln!(out, " {count}");
                }
                let _ = write!(out, "{PREFIX}{name}_sum");
                write_labels(&sample.labels, None, &mut out);
                let _ = writeln!(out, " {}", number(h.sum));
                let _ = write!(out, "{PREFIX}{name}_count");
                write_labels(&sample.labels, None, &mut out);
                let _ = writeln!(out, " {}", h.count);
            }
        }
    }
    out
}

/// One value under its Kafka Connect / Java runtime name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub group: &'static str,
    pub name: String,
    /// The Java runtime's measurement type: `none`, `Avg` or `Max`.
    #[serde(rename = "type")]
    pub measure: &'static str,
    /// In label order (connector, task, …); a JSON object.
    #[serde(serialize_with = "tags_as_object")]
    pub tags: Vec<(&'static str, String)>,
    pub value: f64,
}

fn tags_as_object<S: serde::Serializer>(
    tags: &[(&'static str, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(tags.iter().map(|(k, v)| (k, v)))
}

impl Entry {
    /// The Java runtime's metric name: `rocketmq.connect:<group>,<name>,<type>,k=v,…` — the
    /// key of the topic reporter's messages.
    pub fn java_name(&self) -> String {
        let mut name = format!(
            "rocketmq.connect:{},{},{}",
            self.group, self.name, self.measure
        );
        for (key, value) in &self.tags {
            let _ = write!(name, ",{key}={value}");
        }
        name
    }
}

/// The samples under Kafka / Java names: histograms become their average and maximum (in
/// milliseconds for durations), task counts by state become `connector-<state>-task-count`.
#[allow(clippy::cast_precision_loss)]
pub fn entries(samples: &[Sample]) -> Vec<Entry> {
    let mut out = Vec::with_capacity(samples.len());
    for sample in samples {
        let def = sample.def;
        let mut tags = sample.labels.clone();
        match &sample.value {
            Value::Counter(value) => out.push(Entry {
                group: def.group,
                name: def.kafka.to_owned(),
                measure: "none",
                tags,
                value: *value as f64,
            }),
            Value::Gauge(value) => {
                let mut name = def.kafka.to_owned();
                if std::ptr::eq(def, &super::defs::CONNECTOR_TASKS)
                    && let Some(index) = tags.iter().position(|(k, _)| *k == "state")
                {
                    let (_, state) = tags.remove(index);
                    name = format!("connector-{}-task-count", state.to_lowercase());
                }
                out.push(Entry {
                    group: def.group,
                    name,
                    measure: "none",
                    tags,
                    value: *value as f64,
                });
            }
            Value::Histogram(h) => {
                let (scale, suffix) = match def.kind {
                    Kind::Timer => (1000.0, "-time-ms"),
                    _ => (1.0, ""),
                };
                let avg = if h.count == 0 {
                    0.0
                } else {
                    h.sum / h.count as f64
                };
                for (measure, value) in [("avg", avg), ("max", h.max)] {
                    out.push(Entry {
                        group: def.group,
                        name: format!("{}-{measure}{suffix}", def.kafka),
                        measure: if measure == "avg" { "Avg" } else { "Max" },
                        tags: tags.clone(),
                        value: value * scale,
                    });
                }
            }
        }
    }
    out
}

/// The rates, as entries (type `Rate`: per second over the sampling window).
pub fn rate_entries(rates: &super::rates::Rates) -> Vec<Entry> {
    rates
        .rates()
        .into_iter()
        .map(|rate| Entry {
            group: super::rates::RATED
                .iter()
                .find(|(_, rated)| *rated == rate.name)
                .map_or("", |(def, _)| def.group),
            name: rate.name.to_owned(),
            measure: "Rate",
            tags: rate.labels,
            value: rate.per_second,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TaskId;
    use crate::metrics::registry::WorkerMetrics;
    use crate::metrics::task::Sides;

    fn registry() -> std::sync::Arc<WorkerMetrics> {
        let metrics = WorkerMetrics::new();
        let task = metrics.register_task(
            &TaskId::new("orders \"eu\"", 2),
            Sides {
                source: true,
                sink: false,
            },
        );
        task.source_poll.add(7);
        task.poll_batch
            .observe_duration(std::time::Duration::from_millis(4));
        metrics.set_connector_state("orders \"eu\"", Some("RUNNING"));
        metrics.set_task_state(&TaskId::new("orders \"eu\"", 2), Some("RUNNING"));
        metrics
    }

    #[test]
    fn prometheus_text_has_one_help_and_type_per_metric_and_escaped_labels() {
        let text = prometheus_text(&registry().samples());
        assert!(text.contains(
            "rocketmq_connect_source_record_poll_total{connector=\"orders \\\"eu\\\"\",task=\"2\"} 7\n"
        ));
        assert_eq!(
            text.matches("# TYPE rocketmq_connect_status gauge").count(),
            1
        );
        assert!(text.contains(
            "rocketmq_connect_poll_batch_duration_seconds_bucket{connector=\"orders \\\"eu\\\"\",task=\"2\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains("le=\"+Inf\"} 1\n"));
        assert!(
            !text.contains("sink_record_read"),
            "a source task has no sink metrics"
        );
    }

    #[test]
    fn entries_carry_the_kafka_and_java_names() {
        let entries = entries(&registry().samples());
        let find = |name: &str| entries.iter().find(|e| e.name == name).cloned();
        let poll = find("source-record-poll-total").unwrap();
        assert_eq!(poll.value, 7.0);
        assert_eq!(
            poll.java_name(),
            "rocketmq.connect:source-task-metrics,source-record-poll-total,none,connector=orders \"eu\",task=2"
        );
        assert_eq!(find("poll-batch-avg-time-ms").unwrap().value, 4.0);
        assert_eq!(find("poll-batch-max-time-ms").unwrap().measure, "Max");
        assert_eq!(find("connector-running-task-count").unwrap().value, 1.0);
        assert_eq!(find("task-count").unwrap().value, 1.0);
    }
}
