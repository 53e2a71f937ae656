//! Ad-hoc signals, for every database: a row inserted into the signal table
//! (`signal.data.collection`, columns `id`, `type`, `data`) or a message on the signal topic
//! (`signal.rocketmq.topic`, keyed by the server name, the Java plugin's body
//! `{"type": …, "data": {…}}`), and what they do to the snapshot's progress.

use std::time::Duration;

use connect_api::{
    ConnectResult, SideMessage, SidePositions, SourceTaskContext, TopicMessages, Value,
};
use tracing::{info, warn};

use crate::config::CdcConfig;
use crate::filters::Filters;
use crate::position::SnapshotProgress;
use crate::table::{CapturedTable, ColumnDef};

/// What a signal asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// `execute-snapshot`: an incremental snapshot of these `schema.table`s / `db.table`s.
    ExecuteSnapshot(Vec<String>),
    /// `stop-snapshot`: drop these tables from the running snapshot (all when empty).
    StopSnapshot(Vec<String>),
    /// Anything else (`log`, `pause-snapshot`, …): logged, nothing done.
    Other(String),
}

impl Signal {
    /// A signal from its `type` and `data` (the same for the table and the topic).
    pub fn parse(kind: &str, data: &serde_json::Value) -> Self {
        let collections: Vec<String> = data["data-collections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        match kind {
            "execute-snapshot" => Self::ExecuteSnapshot(collections),
            "stop-snapshot" => Self::StopSnapshot(collections),
            other => Self::Other(other.to_owned()),
        }
    }

    /// A row of the signal table: its `type` and `data` (JSON text) columns.
    pub fn from_row<C: ColumnDef>(table: &CapturedTable<C>, row: &[Value]) -> Self {
        let text = |name: &str| {
            table
                .schemas
                .value
                .field(name)
                .and_then(|f| row.get(f.index()))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let data = text("data")
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or(serde_json::Value::Null);
        Self::parse(&text("type").unwrap_or_default(), &data)
    }

    /// A message of the signal topic: `None` unless keyed by this `server` and JSON.
    pub fn from_message(message: &SideMessage, server: &str) -> Option<Self> {
        if message.key.as_deref() != Some(server) {
            return None;
        }
        match serde_json::from_slice::<serde_json::Value>(&message.body) {
            Ok(signal) => Some(Self::parse(
                signal["type"].as_str().unwrap_or_default(),
                &signal["data"],
            )),
            Err(e) => {
                warn!(error = %e, "a signal message that is not JSON: ignored");
                None
            }
        }
    }

    /// Applies the signal to the snapshot's progress. `execute-snapshot` appends the captured
    /// ones of its tables (starting an incremental snapshot when none runs); `stop-snapshot`
    /// removes tables. Returns whether the table being read changed (its pending chunk, if
    /// any, must not be sent).
    pub fn apply(&self, progress: &mut Option<SnapshotProgress>, filters: &Filters) -> bool {
        match self {
            Self::ExecuteSnapshot(collections) => {
                let wanted: Vec<String> = collections
                    .iter()
                    .filter(|c| {
                        c.split_once('.')
                            .is_some_and(|(db, t)| filters.table_included(db, t))
                    })
                    .cloned()
                    .collect();
                info!(tables = ?wanted, "signal: incremental snapshot");
                match progress.as_mut() {
                    Some(progress) => {
                        for table in wanted {
                            if !progress.tables.contains(&table) {
                                progress.tables.push(table);
                            }
                        }
                    }
                    None if !wanted.is_empty() => {
                        *progress = Some(SnapshotProgress {
                            tables: wanted,
                            after: None,
                            incremental: true,
                        });
                    }
                    None => {}
                }
                false
            }
            Self::StopSnapshot(collections) => {
                info!(tables = ?collections, "signal: stop snapshot");
                let Some(running) = progress.as_mut() else {
                    return false;
                };
                let current = running.tables.first().cloned();
                if collections.is_empty() {
                    running.tables.clear();
                } else {
                    running.tables.retain(|t| !collections.contains(t));
                }
                let changed = running.tables.first() != current.as_ref();
                if changed {
                    running.after = None;
                }
                if running.tables.is_empty() {
                    *progress = None;
                }
                changed
            }
            Self::Other(kind) => {
                info!(signal = %kind, "signal ignored");
                false
            }
        }
    }
}

/// The signal topic's listener (`signal.rocketmq.topic`), resumed at `resume`; `None` without
/// the key, or in direct mode (no message queue: a warning).
pub async fn subscribe(
    config: &CdcConfig,
    context: &SourceTaskContext,
    resume: &SidePositions,
) -> ConnectResult<Option<Box<dyn TopicMessages>>> {
    match (&config.signal_topic, &context.topics) {
        (Some(topic), Some(topics)) => Ok(Some(topics.subscribe(topic, resume).await?)),
        (Some(topic), None) => {
            warn!(topic = %topic, "signal.rocketmq.topic needs a message queue: ignored in direct mode");
            Ok(None)
        }
        (None, _) => Ok(None),
    }
}

/// What arrived on the signal topic since the last call, for this `server`; `positions` (kept
/// in the task's offsets) moves past every message read.
pub async fn poll_topic(
    listener: Option<&mut Box<dyn TopicMessages>>,
    positions: &mut SidePositions,
    server: &str,
) -> ConnectResult<Vec<Signal>> {
    let Some(listener) = listener else {
        return Ok(Vec::new());
    };
    let mut signals = Vec::new();
    for message in listener.poll(Duration::ZERO).await? {
        positions.insert(message.queue.clone(), message.next_offset);
        signals.extend(Signal::from_message(&message, server));
    }
    Ok(signals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filters() -> Filters {
        let lookup = |name: &'static str| {
            (name == "table.include.list").then_some(("table.include.list", "public\\.t.*"))
        };
        Filters::parse(crate::config::Dialect::Postgres, lookup).unwrap()
    }

    #[test]
    fn execute_starts_an_incremental_snapshot_of_the_captured_tables_only() {
        let signal = Signal::parse(
            "execute-snapshot",
            &json!({"data-collections": ["public.t1", "public.other", "public.t2"]}),
        );
        let mut progress = None;
        assert!(!signal.apply(&mut progress, &filters()));
        let progress = progress.unwrap();
        assert_eq!(progress.tables, ["public.t1", "public.t2"]);
        assert!(progress.incremental);
    }

    #[test]
    fn execute_appends_to_a_running_snapshot_once() {
        let mut progress = Some(SnapshotProgress {
            tables: vec!["public.t1".into()],
            after: Some(vec![json!("5")]),
            incremental: true,
        });
        let signal = Signal::parse(
            "execute-snapshot",
            &json!({"data-collections": ["public.t1", "public.t2"]}),
        );
        signal.apply(&mut progress, &filters());
        let progress = progress.unwrap();
        assert_eq!(progress.tables, ["public.t1", "public.t2"]);
        assert_eq!(
            progress.after,
            Some(vec![json!("5")]),
            "the current table goes on"
        );
    }

    #[test]
    fn stop_removes_named_tables_and_says_when_the_current_one_went() {
        let running = || {
            Some(SnapshotProgress {
                tables: vec!["public.t1".into(), "public.t2".into()],
                after: Some(vec![json!("5")]),
                incremental: true,
            })
        };
        let mut progress = running();
        let stop_t2 = Signal::parse("stop-snapshot", &json!({"data-collections": ["public.t2"]}));
        assert!(!stop_t2.apply(&mut progress, &filters()));
        assert_eq!(progress.as_ref().unwrap().tables, ["public.t1"]);
        let mut progress = running();
        let stop_t1 = Signal::parse("stop-snapshot", &json!({"data-collections": ["public.t1"]}));
        assert!(stop_t1.apply(&mut progress, &filters()));
        assert_eq!(progress.as_ref().unwrap().tables, ["public.t2"]);
        assert_eq!(progress.as_ref().unwrap().after, None);
        let mut progress = running();
        assert!(Signal::parse("stop-snapshot", &json!({})).apply(&mut progress, &filters()));
        assert_eq!(progress, None);
    }

    #[test]
    fn topic_messages_need_the_server_key_and_json() {
        let message = |key: &str, body: &str| SideMessage {
            key: Some(key.into()),
            body: body.as_bytes().to_vec(),
            queue: "b:0".into(),
            next_offset: 1,
        };
        let body = r#"{"type":"execute-snapshot","data":{"data-collections":["public.t1"]}}"#;
        assert_eq!(
            Signal::from_message(&message("server1", body), "server1"),
            Some(Signal::ExecuteSnapshot(vec!["public.t1".into()]))
        );
        assert_eq!(
            Signal::from_message(&message("other", body), "server1"),
            None
        );
        assert_eq!(
            Signal::from_message(&message("server1", "{"), "server1"),
            None
        );
        assert_eq!(
            Signal::parse("log", &json!({"message": "hi"})),
            Signal::Other("log".into())
        );
    }
}
