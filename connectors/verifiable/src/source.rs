//! The verifiable source: consecutive sequence numbers per task, resumable from the
//! committed offset, with optional throughput limit and fault injection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, Connector, ConnectorContext, RecordOffset,
    RecordPartition, SchemaBuilder, SchemaRef, SourceConnector, SourceTask, SourceTaskContext,
    Struct, Value,
};

pub const TASK_CLASS: &str = "org.apache.rocketmq.connect.verifiable.VerifiableSourceTask";

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            "throughput",
            ConfigType::Long,
            "-1",
            "Records per second per task (-1: unlimited)",
        )
        .optional(
            "max.messages",
            ConfigType::Long,
            "-1",
            "Records per task before going idle (-1: unlimited)",
        )
        .optional(
            "batch.size",
            ConfigType::Int,
            "100",
            "Most records per poll",
        )
        .validate_with(Validator::Range {
            min: 1,
            max: 100_000,
        })
        .optional(
            "key.count",
            ConfigType::Long,
            "0",
            "Keys per task: record key \"<task>-<seq % key.count>\" (0: the task id as key)",
        )
        .optional(
            "fail.on.start",
            ConfigType::Boolean,
            "false",
            "Fault injection: start() fails",
        )
        .fault_injection()
        .optional(
            "fail.at.seq",
            ConfigType::Long,
            "-1",
            "Fault injection: poll() fails when this seq is next",
        )
        .fault_injection()
        .optional(
            "poll.retriable.failures",
            ConfigType::Int,
            "0",
            "Fault injection: the first N polls fail retriably",
        )
        .fault_injection()
        .optional(
            "panic.on.poll",
            ConfigType::Boolean,
            "false",
            "Fault injection: every poll() panics",
        )
        .fault_injection()
        .optional(
            "hang.on.stop",
            ConfigType::Boolean,
            "false",
            "Fault injection: stop() never returns",
        )
        .fault_injection()
        .optional(
            "hang.on.poll",
            ConfigType::Boolean,
            "false",
            "Fault injection: poll() blocks its thread forever",
        )
        .fault_injection()
        .optional(
            "connector.hang.on.start",
            ConfigType::Boolean,
            "false",
            "Fault injection: the connector's start() never returns",
        )
        .fault_injection()
}

/// Splits into `max.tasks` identical tasks; each numbers its own records.
#[derive(Debug, Default)]
pub struct VerifiableSourceConnector {
    config: Config,
}

#[async_trait]
impl Connector for VerifiableSourceConnector {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    async fn start(
        &mut self,
        config: Config,
        _context: Arc<dyn ConnectorContext>,
    ) -> ConnectResult<()> {
        if config.get_bool_or("connector.hang.on.start", false)? {
            std::future::pending::<()>().await;
        }
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

impl SourceConnector for VerifiableSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(VerifiableSourceTask::default())
    }
}

#[derive(Debug, Default)]
pub struct VerifiableSourceTask {
    task: i64,
    next_seq: i64,
    max_messages: i64,
    batch_size: usize,
    interval: Option<Duration>,
    next_send: Option<Instant>,
    fail_at_seq: i64,
    retriable_failures_left: i64,
    key_count: i64,
    panic_on_poll: bool,
    hang_on_stop: bool,
    hang_on_poll: bool,
    schema: Option<SchemaRef>,
}

impl VerifiableSourceTask {
    fn key_of(&self, seq: i64) -> Value {
        if self.key_count > 0 {
            Value::from(format!("{}-{}", self.task, seq % self.key_count))
        } else {
            Value::Int64(self.task)
        }
    }
}

#[async_trait]
impl SourceTask for VerifiableSourceTask {
    async fn start(&mut self, config: Config, context: SourceTaskContext) -> ConnectResult<()> {
        let errors = config_def().validate(&config);
        if !errors.is_empty() {
            return Err(ConnectError::Config(errors));
        }
        if config.get_bool_or("fail.on.start", false)? {
            return Err(ConnectError::other("fault injection: fail.on.start"));
        }
        self.task = i64::from(context.info.task_id);
        self.max_messages = config.get_i64_or("max.messages", -1)?;
        self.batch_size = usize::try_from(config.get_i32_or("batch.size", 100)?).unwrap_or(100);
        let throughput = config.get_i64_or("throughput", -1)?;
        self.interval = (throughput > 0).then(|| Duration::from_secs_f64(1.0 / throughput as f64));
        self.fail_at_seq = config.get_i64_or("fail.at.seq", -1)?;
        self.retriable_failures_left = i64::from(config.get_i32_or("poll.retriable.failures", 0)?);
        self.key_count = config.get_i64_or("key.count", 0)?;
        self.panic_on_poll = config.get_bool_or("panic.on.poll", false)?;
        self.hang_on_stop = config.get_bool_or("hang.on.stop", false)?;
        self.hang_on_poll = config.get_bool_or("hang.on.poll", false)?;
        let partition = RecordPartition::new().with("task", self.task);
        self.next_seq = context
            .offset_storage_reader()
            .read_offset(&partition)
            .and_then(|o| o.get_i64("seq"))
            .map_or(0, |last| last + 1);
        self.schema = Some(
            SchemaBuilder::struct_()
                .name("verifiable")
                .field("task", SchemaBuilder::int64().required().build())?
                .field("seq", SchemaBuilder::int64().required().build())?
                .build(),
        );
        Ok(())
    }

    #[allow(clippy::cast_precision_loss)]
    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        if self.panic_on_poll {
            panic!("fault injection: panic.on.poll");
        }
        if self.hang_on_poll {
            // Blocks the thread itself, not just the future: the worst a connector can do.
            loop {
                std::thread::park();
            }
        }
        if self.retriable_failures_left > 0 {
            self.retriable_failures_left -= 1;
            return Err(ConnectError::retriable(
                "fault injection: poll.retriable.failures",
            ));
        }
        if self.next_seq == self.fail_at_seq {
            return Err(ConnectError::other(format!(
                "fault injection: fail.at.seq={}",
                self.fail_at_seq
            )));
        }
        let remaining = if self.max_messages < 0 {
            i64::MAX
        } else {
            self.max_messages - self.next_seq
        };
        if remaining <= 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            return Ok(Vec::new());
        }
        let mut count = self
            .batch_size
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        if let Some(interval) = self.interval {
            let now = Instant::now();
            let next = *self.next_send.get_or_insert(now);
            if next > now {
                tokio::time::sleep(next - now).await;
            }
            // Emit what the rate allows since the last batch, at least one record.
            let elapsed = Instant::now().saturating_duration_since(next);
            let due = 1 + (elapsed.as_secs_f64() / interval.as_secs_f64()) as usize;
            count = count.min(due);
            self.next_send = Some(next + interval * u32::try_from(count).unwrap_or(u32::MAX));
        }
        let schema = self
            .schema
            .clone()
            .ok_or_else(|| ConnectError::other("poll before start"))?;
        let partition = RecordPartition::new().with("task", self.task);
        let mut records = Vec::with_capacity(count);
        for _ in 0..count {
            if self.next_seq == self.fail_at_seq {
                break;
            }
            let mut value = Struct::new(schema.clone())?;
            value.put("task", self.task)?.put("seq", self.next_seq)?;
            let offset = RecordOffset::new().with("seq", self.next_seq);
            records.push(
                ConnectRecord::new(partition.clone(), offset, None)
                    .with_key(None, self.key_of(self.next_seq))
                    .with_value(Some(schema.clone()), Value::Struct(value)),
            );
            self.next_seq += 1;
        }
        Ok(records)
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if self.hang_on_stop {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}
