//! What `ctl` shows of a connector: its row (type, state, tasks running of all, worker), its
//! description, and its rates, summed over its tasks from the worker's `/metrics`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::table;

/// One connector as `get connectors` and `top` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub kind: String,
    pub state: String,
    pub running: usize,
    pub tasks: usize,
    pub worker: String,
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// The rows of `GET /connectors/list` (each connector's status and info), by name.
pub fn rows(details: &Value) -> Vec<Row> {
    details
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, detail)| {
            let tasks = detail
                .pointer("/status/tasks")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            Row {
                name: name.clone(),
                kind: text(detail, "/status/type").to_lowercase(),
                state: text(detail, "/status/connector/state"),
                running: tasks
                    .iter()
                    .filter(|t| t.get("state").and_then(Value::as_str) == Some("RUNNING"))
                    .count(),
                tasks: tasks.len(),
                worker: text(detail, "/status/connector/workerId"),
            }
        })
        .collect()
}

pub fn connectors_table(details: &Value) -> String {
    let rows: Vec<Vec<String>> = rows(details)
        .into_iter()
        .map(|r| {
            vec![
                r.name,
                r.kind,
                r.state,
                format!("{}/{}", r.running, r.tasks),
                r.worker,
            ]
        })
        .collect();
    table::render(&["NAME", "TYPE", "STATE", "TASKS", "WORKER"], &rows)
}

/// `describe`: `{"info", "status"}` of one connector, for people.
pub fn describe(both: &Value) -> String {
    let info = &both["info"];
    let status = &both["status"];
    let mut out = String::new();
    out.push_str(&format!("Name:    {}\n", text(info, "/name")));
    out.push_str(&format!(
        "Type:    {}\n",
        text(status, "/type").to_lowercase()
    ));
    out.push_str(&format!("State:   {}\n", text(status, "/connector/state")));
    out.push_str(&format!(
        "Worker:  {}\n",
        text(status, "/connector/workerId")
    ));
    if let Some(trace) = status.pointer("/connector/trace").and_then(Value::as_str) {
        out.push_str(&format!("Trace:   {trace}\n"));
    }
    out.push_str("Config:\n");
    if let Some(config) = info["config"].as_object() {
        for (key, value) in config {
            out.push_str(&format!("  {key} = {}\n", value.as_str().unwrap_or("")));
        }
    }
    out.push_str("Tasks:\n");
    let tasks = status["tasks"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = tasks
        .iter()
        .map(|t| {
            vec![
                t["id"].to_string(),
                text(t, "/state"),
                text(t, "/workerId"),
                text(t, "/trace").lines().next().unwrap_or("").to_owned(),
            ]
        })
        .collect();
    for line in table::render(&["ID", "STATE", "WORKER", "TRACE"], &rows).lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// Counters and gauges of one connector, summed over its tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    /// Records in: polled by source tasks, read by sink tasks.
    pub records_in: f64,
    /// Records out: written by source tasks, accepted by sink tasks.
    pub records_out: f64,
    pub errors: f64,
    pub dead_letters: f64,
    pub lag: f64,
}

/// Each connector's [`Totals`] from Prometheus text (`GET /metrics`).
pub fn totals(metrics: &str) -> BTreeMap<String, Totals> {
    let mut out: BTreeMap<String, Totals> = BTreeMap::new();
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let (name, labels) = series.split_once('{').unwrap_or((series, ""));
        let Some(connector) = label(labels, "connector") else {
            continue;
        };
        let totals = out.entry(connector).or_default();
        match name.strip_prefix("rocketmq_connect_").unwrap_or(name) {
            "source_record_poll_total" | "sink_record_read_total" => totals.records_in += value,
            "source_record_write_total" | "sink_record_send_total" => totals.records_out += value,
            "record_errors_total" => totals.errors += value,
            "deadletterqueue_produce_requests_total" => totals.dead_letters += value,
            "sink_record_lag_messages" => totals.lag += value,
            _ => {}
        }
    }
    out
}

/// A label's value in `a="x",b="y"}` (values as the worker escapes them).
fn label(labels: &str, wanted: &str) -> Option<String> {
    let start = labels.find(&format!("{wanted}=\""))? + wanted.len() + 2;
    let rest = &labels[start..];
    let mut value = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some(other) => value.push(other),
                None => break,
            },
            '"' => return Some(value),
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_sum_each_connectors_tasks() {
        let text = "# HELP x\n\
            rocketmq_connect_source_record_poll_total{connector=\"a\",task=\"0\"} 10\n\
            rocketmq_connect_source_record_poll_total{connector=\"a\",task=\"1\"} 5\n\
            rocketmq_connect_sink_record_send_total{connector=\"a\",task=\"0\"} 7\n\
            rocketmq_connect_sink_record_lag_messages{connector=\"b\",task=\"0\",topic=\"t\",queue=\"1\"} 3\n\
            rocketmq_connect_record_errors_total{connector=\"q\\\"x\",task=\"0\"} 2\n\
            rocketmq_connect_tasks 3\n";
        let totals = totals(text);
        assert_eq!(totals["a"].records_in, 15.0);
        assert_eq!(totals["a"].records_out, 7.0);
        assert_eq!(totals["b"].lag, 3.0);
        assert_eq!(totals["q\"x"].errors, 2.0);
        assert_eq!(totals.len(), 3);
    }

    #[test]
    fn rows_count_running_tasks() {
        let details = serde_json::json!({
            "a": {"status": {"type": "SOURCE", "connector": {"state": "RUNNING", "workerId": "w1"},
                   "tasks": [{"id": 0, "state": "RUNNING"}, {"id": 1, "state": "FAILED"}]}}
        });
        assert_eq!(
            rows(&details),
            [Row {
                name: "a".into(),
                kind: "source".into(),
                state: "RUNNING".into(),
                running: 1,
                tasks: 2,
                worker: "w1".into(),
            }]
        );
    }
}
