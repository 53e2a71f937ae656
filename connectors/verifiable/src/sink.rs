//! The verifiable sink: records every `(task, seq)` it receives, counts duplicates, and
//! reports gaps. With `file`, received pairs are appended there and reloaded on start, so the
//! report covers restarts of the worker.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::config_def::{ConfigDef, ConfigType, FileUse};
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, Connector, ConnectorContext,
    ErrorRecordReporter, OffsetMap, SinkConnector, SinkTask, SinkTaskContext,
};

use crate::task_and_seq;

pub const TASK_CLASS: &str = "org.apache.rocketmq.connect.verifiable.VerifiableSinkTask";

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            "file",
            ConfigType::String,
            "",
            "Append received `task seq` pairs here (and reload them on start)",
        )
        .file(FileUse::Write)
        .optional(
            "report.file",
            ConfigType::String,
            "",
            "Write a JSON report of gaps and duplicates here on every flush (${task}: the task id)",
        )
        .file(FileUse::Write)
        .optional(
            "put.retriable.failures",
            ConfigType::Int,
            "0",
            "Fault injection: the first N puts fail retriably",
        )
        .fault_injection()
        .optional(
            "report.failed.every",
            ConfigType::Long,
            "0",
            "Fault injection: records whose seq is a multiple of N are handed to the runtime's ErrorRecordReporter instead of being taken (0: none)",
        )
        .fault_injection()
}

#[derive(Debug, Default)]
pub struct VerifiableSinkConnector {
    config: Config,
}

#[async_trait]
impl Connector for VerifiableSinkConnector {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }
    async fn start(
        &mut self,
        config: Config,
        _context: Arc<dyn ConnectorContext>,
    ) -> ConnectResult<()> {
        self.config = config;
        Ok(())
    }
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Ok(vec![self.config.clone(); max_tasks.max(1)])
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> &'static str {
        TASK_CLASS
    }
}

impl SinkConnector for VerifiableSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(VerifiableSinkTask::default())
    }
}

/// What was received from one source task.
#[derive(Debug, Default, Clone)]
struct Seen {
    bits: Vec<u64>,
    max: i64,
    unique: u64,
}

impl Seen {
    /// Marks `seq`; true if it was new.
    fn mark(&mut self, seq: i64) -> bool {
        let Ok(index) = usize::try_from(seq) else {
            return false;
        };
        let (word, bit) = (index / 64, index % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        let new = self.bits[word] & (1 << bit) == 0;
        self.bits[word] |= 1 << bit;
        if new {
            self.unique += 1;
            self.max = self.max.max(seq);
        }
        new
    }

    fn missing(&self) -> Vec<i64> {
        (0..=self.max)
            .filter(|seq| {
                let index = usize::try_from(*seq).unwrap_or(0);
                self.bits
                    .get(index / 64)
                    .is_none_or(|w| w & (1 << (index % 64)) == 0)
            })
            .collect()
    }
}

/// Delivery accounting across all source tasks.
#[derive(Debug, Default)]
pub struct VerifiableSinkTask {
    seen: BTreeMap<i64, Seen>,
    received: u64,
    duplicates: u64,
    unreadable: u64,
    file: Option<BufWriter<File>>,
    report_file: Option<String>,
    retriable_failures_left: i64,
    report_failed_every: i64,
    reporter: Option<Arc<dyn ErrorRecordReporter>>,
    reported: u64,
    /// Highest seq seen per record key, to count records arriving out of per-key order.
    last_by_key: HashMap<String, i64>,
    reordered: u64,
    queues: BTreeSet<String>,
}

impl VerifiableSinkTask {
    fn observe(&mut self, task: i64, seq: i64) -> bool {
        self.received += 1;
        let new = self.seen.entry(task).or_default().mark(seq);
        if !new {
            self.duplicates += 1;
        }
        new
    }

    /// The report: totals, and per source task the highest seq and the missing ones.
    pub fn report(&self) -> serde_json::Value {
        let tasks: serde_json::Map<String, serde_json::Value> = self
            .seen
            .iter()
            .map(|(task, seen)| {
                let missing = seen.missing();
                (
                    task.to_string(),
                    serde_json::json!({
                        "max": seen.max,
                        "unique": seen.unique,
                        "missingCount": missing.len(),
                        "missing": missing.iter().take(20).collect::<Vec<_>>(),
                    }),
                )
            })
            .collect();
        let missing: usize = self.seen.values().map(|s| s.missing().len()).sum();
        let unique: u64 = self.seen.values().map(|s| s.unique).sum();
        serde_json::json!({
            "reordered": self.reordered,
            "reported": self.reported,
            "keys": self.last_by_key.len(),
            "queues": self.queues,
            "received": self.received,
            "unique": unique,
            "duplicates": self.duplicates,
            "missing": missing,
            "unreadable": self.unreadable,
            "tasks": tasks,
        })
    }

    fn write_report(&self) -> ConnectResult<()> {
        let Some(path) = &self.report_file else {
            return Ok(());
        };
        let tmp = format!("{path}.tmp");
        let text = serde_json::to_vec_pretty(&self.report())
            .map_err(|e| ConnectError::other(e.to_string()))?;
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| ConnectError::retriable(format!("cannot write report {path}: {e}")))
    }
}

#[async_trait]
impl SinkTask for VerifiableSinkTask {
    async fn start(&mut self, config: Config, context: SinkTaskContext) -> ConnectResult<()> {
        let errors = config_def().validate(&config);
        if !errors.is_empty() {
            return Err(ConnectError::Config(errors));
        }
        self.retriable_failures_left = i64::from(config.get_i32_or("put.retriable.failures", 0)?);
        self.report_failed_every = config.get_i64_or("report.failed.every", 0)?;
        self.reporter.clone_from(&context.reporter);
        self.report_file = config
            .get_trimmed("report.file")
            .map(|path| path.replace("${task}", &context.info.task_id.to_string()));
        if let Some(path) = config.get_trimmed("file") {
            if let Ok(existing) = File::open(path) {
                for line in BufReader::new(existing).lines() {
                    let line = line
                        .map_err(|e| ConnectError::retriable(format!("cannot read {path}: {e}")))?;
                    let mut parts = line.split_whitespace().map(str::parse::<i64>);
                    if let (Some(Ok(task)), Some(Ok(seq))) = (parts.next(), parts.next()) {
                        self.observe(task, seq);
                    }
                }
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| ConnectError::retriable(format!("cannot open {path}: {e}")))?;
            self.file = Some(BufWriter::new(file));
        }
        Ok(())
    }

    async fn put(&mut self, records: &[ConnectRecord]) -> ConnectResult<()> {
        if self.retriable_failures_left > 0 {
            self.retriable_failures_left -= 1;
            return Err(ConnectError::retriable(
                "fault injection: put.retriable.failures",
            ));
        }
        for record in records {
            let Some((task, seq)) = task_and_seq(record) else {
                self.unreadable += 1;
                continue;
            };
            if self.report_failed_every > 0 && seq % self.report_failed_every == 0 {
                let reporter = self.reporter.as_ref().ok_or_else(|| {
                    ConnectError::other(
                        "report.failed.every needs an error reporter: set errors.log.enable or errors.deadletterqueue.topic.name",
                    )
                })?;
                reporter
                    .report(
                        record,
                        &ConnectError::data(format!(
                            "fault injection: report.failed.every (seq {seq})"
                        )),
                    )
                    .await?;
                self.reported += 1;
                continue;
            }
            let new = self.observe(task, seq);
            let key = record.key.to_string();
            let last = self.last_by_key.entry(key).or_insert(-1);
            // A first delivery below the highest seq of its key overtook an earlier record.
            if new && seq < *last {
                self.reordered += 1;
            }
            *last = (*last).max(seq);
            if let Some(queue) = record.position.partition.get_str("queueId") {
                self.queues.insert(queue.to_owned());
            }
            if let Some(file) = &mut self.file {
                writeln!(file, "{task} {seq}")
                    .map_err(|e| ConnectError::retriable(format!("cannot append: {e}")))?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, _offsets: &OffsetMap) -> ConnectResult<()> {
        if let Some(file) = &mut self.file {
            file.flush()
                .and_then(|()| file.get_ref().sync_data())
                .map_err(|e| ConnectError::retriable(format!("cannot flush: {e}")))?;
        }
        self.write_report()
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(file) = &mut self.file {
            file.flush()
                .map_err(|e| ConnectError::other(format!("cannot flush: {e}")))?;
        }
        self.write_report()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_duplicates_and_gaps() {
        let mut sink = VerifiableSinkTask::default();
        for seq in [0, 1, 1, 3, 5] {
            sink.observe(0, seq);
        }
        sink.observe(1, 0);
        let report = sink.report();
        assert_eq!(report["received"], 6);
        assert_eq!(report["duplicates"], 1);
        assert_eq!(report["missing"], 2);
        assert_eq!(report["tasks"]["0"]["missing"], serde_json::json!([2, 4]));
        assert_eq!(report["tasks"]["1"]["max"], 0);
    }
}
