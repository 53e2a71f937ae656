//! The source task: a reader on the task's runtime streams each assigned table (or the query)
//! into a bounded channel of records; `poll` hands out what is there, up to `batch.max.rows`.
//!
//! The reader owns the positions: a table's next query starts after the last row it *sent*,
//! while the runtime commits a row's position only once RocketMQ stored it, so a restart
//! resumes from the last stored row (at-least-once, no gaps). Transient database errors are
//! reported through `poll` (the runtime shows them in the task's status) and retried after
//! `connection.backoff.ms`; anything else fails the task with the reason.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, RecordOffset, RecordPartition,
    SchemaBuilder, SchemaRef, SourceTask, SourceTaskContext, Struct, Value,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::query::{self, From, Position};
use crate::config::{Mode, SourceConfig};
use crate::dialect::{self, Dialect, ROWS_PER_CHUNK};
use crate::types::{Column, TableDesc, TableId};

pub const TASK_CLASS: &str = "org.apache.rocketmq.connect.jdbc.source.JdbcSourceTask";

/// How long `poll` waits for a first record before returning an empty batch.
const POLL_WAIT: Duration = Duration::from_millis(500);
/// The longest pause after a transient error (`connection.backoff.ms` caps lower).
const MAX_ERROR_BACKOFF: Duration = Duration::from_secs(10);

/// What the reader hands to `poll`: the records of a chunk of rows, or why reading failed.
type Item = ConnectResult<Vec<ConnectRecord>>;

/// Reads tables or a query into records. See the module docs.
#[derive(Default)]
pub struct JdbcSourceTask {
    batch_max_rows: usize,
    records: Option<mpsc::Receiver<Item>>,
    /// Records received and not yet returned by `poll` (a chunk is cut at `batch.max.rows`).
    ready: std::collections::VecDeque<ConnectRecord>,
    /// An error that arrived behind records: returned by the next `poll`.
    pending_error: Option<ConnectError>,
    reader: Option<JoinHandle<()>>,
    dialect: Option<Arc<dyn Dialect>>,
}

impl std::fmt::Debug for JdbcSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JdbcSourceTask").finish_non_exhaustive()
    }
}

/// One table (or the query) a reader polls.
struct Source {
    from: SourceOf,
    /// `db.table` or `query`, for messages.
    label: String,
    partition: RecordPartition,
    position: Position,
    topic: Option<String>,
    next_poll: Instant,
    /// The columns last described and the record schemas built from them.
    shape: Option<Shape>,
}

enum SourceOf {
    Table(TableId),
    Query(String),
}

/// A source's columns and the schemas of its records.
struct Shape {
    columns: Vec<Column>,
    value_schema: SchemaRef,
    key: Option<(Vec<usize>, SchemaRef)>,
    incrementing: Option<usize>,
    timestamps: Vec<usize>,
}

/// The partition a table's (or the query's) position is stored under.
pub fn partition_of(label: &str, is_query: bool, suffix: &str) -> RecordPartition {
    let mut key = String::from(if is_query { "query" } else { "table" });
    if !suffix.is_empty() {
        key.push('-');
        key.push_str(suffix);
    }
    RecordPartition::new().with(key, label)
}

/// The position stored in a record's offset.
fn offset_of(mode: Mode, position: Position) -> RecordOffset {
    let mut offset = RecordOffset::new();
    if mode.uses_incrementing()
        && let Some(inc) = position.incrementing
    {
        offset = offset.with("incrementing", inc);
    }
    if mode.uses_timestamp()
        && let Some(micros) = position.timestamp_micros
    {
        // Java's shape: milliseconds, plus the nanoseconds within the second.
        offset = offset
            .with("timestamp", micros.div_euclid(1000))
            .with("timestamp_nanos", micros.rem_euclid(1_000_000) * 1000);
    }
    offset
}

/// The position a stored offset denotes.
fn position_of(offset: &RecordOffset) -> Position {
    let timestamp_micros = offset.get_i64("timestamp").map(|ms| {
        let nanos = offset
            .get_i64("timestamp_nanos")
            .unwrap_or(ms.rem_euclid(1000) * 1_000_000);
        ms.div_euclid(1000) * 1_000_000 + nanos / 1000
    });
    Position {
        incrementing: offset.get_i64("incrementing"),
        timestamp_micros,
    }
}

#[async_trait]
impl SourceTask for JdbcSourceTask {
    async fn start(&mut self, config: Config, context: SourceTaskContext) -> ConnectResult<()> {
        let config = SourceConfig::parse(&config).map_err(ConnectError::Config)?;
        let dialect = dialect::open(
            &config.common.url,
            config.common.dialect,
            config.common.dialect_options(),
        )?;
        let froms: Vec<SourceOf> = match (&config.query, &config.tables) {
            (Some(query), _) => vec![SourceOf::Query(query.clone())],
            (None, Some(tables)) => tables.iter().cloned().map(SourceOf::Table).collect(),
            (None, None) if !config.whitelist.is_empty() => config
                .whitelist
                .iter()
                .cloned()
                .map(SourceOf::Table)
                .collect(),
            (None, None) => super::discover_tables(dialect.as_ref(), &config)
                .await?
                .into_iter()
                .map(SourceOf::Table)
                .collect(),
        };
        let now = Instant::now();
        let sources = froms
            .into_iter()
            .map(|from| {
                let (label, is_query) = match &from {
                    SourceOf::Table(table) => (table.to_string(), false),
                    SourceOf::Query(_) => ("query".to_owned(), true),
                };
                let partition = partition_of(&label, is_query, &config.offset_suffix);
                let mut position = context
                    .offset_storage_reader()
                    .read_offset(&partition)
                    .map(|o| position_of(&o))
                    .unwrap_or_default();
                if position.timestamp_micros.is_none() {
                    position.timestamp_micros = config.timestamp_initial.map(|ms| ms * 1000);
                }
                let topic = super::topic_for(&config, &from_name(&from));
                Source {
                    from,
                    label,
                    partition,
                    position,
                    topic,
                    next_poll: now,
                    shape: None,
                }
            })
            .collect();
        // About two polls' worth of records in chunks.
        let chunks = (config.batch_max_rows * 2).div_ceil(ROWS_PER_CHUNK).max(2);
        let (tx, rx) = mpsc::channel(chunks);
        self.batch_max_rows = config.batch_max_rows;
        self.records = Some(rx);
        self.dialect = Some(dialect.clone());
        let reader = Reader {
            config,
            dialect,
            sources,
            out: tx,
        };
        self.reader = Some(tokio::spawn(reader.run()));
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        let Some(records) = self.records.as_mut() else {
            return Err(ConnectError::other("the JDBC source task was not started"));
        };
        if self.ready.is_empty() {
            if let Some(error) = self.pending_error.take() {
                return Err(error);
            }
            match tokio::time::timeout(POLL_WAIT, records.recv()).await {
                Err(_) => return Ok(Vec::new()),
                Ok(None) => return Err(ConnectError::other("the JDBC reader stopped")),
                Ok(Some(chunk)) => self.ready.extend(chunk?),
            }
        }
        // Take what else already arrived, without waiting, up to a full batch.
        while self.ready.len() < self.batch_max_rows && self.pending_error.is_none() {
            match records.try_recv() {
                Ok(Ok(chunk)) => self.ready.extend(chunk),
                Ok(Err(error)) => self.pending_error = Some(error),
                Err(_) => break,
            }
        }
        let take = self.ready.len().min(self.batch_max_rows.max(1));
        Ok(self.ready.drain(..take).collect())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(reader) = self.reader.take() {
            reader.abort();
        }
        self.records = None;
        self.ready.clear();
        self.pending_error = None;
        if let Some(dialect) = self.dialect.take() {
            dialect.close().await;
        }
        Ok(())
    }
}

fn from_name(from: &SourceOf) -> Option<String> {
    match from {
        SourceOf::Table(table) => Some(table.name.clone()),
        SourceOf::Query(_) => None,
    }
}

/// Streams the sources into records. Runs until the task stops (the channel closes) or an
/// error that retrying cannot cure.
struct Reader {
    config: SourceConfig,
    dialect: Arc<dyn Dialect>,
    sources: Vec<Source>,
    out: mpsc::Sender<Item>,
}

impl Reader {
    async fn run(mut self) {
        if self.sources.is_empty() {
            tracing::warn!("the JDBC source task has no tables to read");
            self.out.closed().await;
            return;
        }
        let backoff = self.config.common.backoff.min(MAX_ERROR_BACKOFF);
        loop {
            let (index, due) = self
                .sources
                .iter()
                .enumerate()
                .map(|(i, s)| (i, s.next_poll))
                .min_by_key(|(_, due)| *due)
                .expect("at least one source");
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                () = self.out.closed() => return,
            }
            let started = Instant::now();
            match self.poll_source(index).await {
                Ok(rows) => {
                    tracing::debug!(source = %self.sources[index].label, rows, "polled");
                    self.sources[index].next_poll = started + self.config.poll_interval;
                }
                Err(error) if error.is_retriable() => {
                    tracing::warn!(source = %self.sources[index].label, %error, "read failed; retrying");
                    if self.out.send(Err(error)).await.is_err() {
                        return;
                    }
                    self.sources[index].next_poll = Instant::now() + backoff;
                    // The columns may have changed while the database was away.
                    self.sources[index].shape = None;
                }
                Err(error) => {
                    let _ = self.out.send(Err(error)).await;
                    return;
                }
            }
            if self.out.is_closed() {
                return;
            }
        }
    }

    /// Reads one source from its position to the end of its result; returns the rows read.
    async fn poll_source(&mut self, index: usize) -> ConnectResult<u64> {
        let dialect = self.dialect.clone();
        let config = &self.config;
        let source = &mut self.sources[index];
        let columns = match &source.from {
            SourceOf::Table(table) => {
                let desc = dialect.describe(table).await?.ok_or_else(|| {
                    ConnectError::other(format!("table {table} does not exist (table.whitelist)"))
                })?;
                desc_columns(desc)
            }
            SourceOf::Query(query) => (dialect.describe_query(query).await?, Vec::new()),
        };
        if source.shape.as_ref().is_none_or(|s| s.columns != columns.0) {
            let is_query = matches!(source.from, SourceOf::Query(_));
            source.shape = Some(shape_of(
                config,
                &source.label,
                is_query,
                columns.0,
                &columns.1,
            )?);
        }
        let shape = source.shape.as_ref().expect("shape set above");
        let from = match &source.from {
            SourceOf::Table(table) => From::Table(dialect.table_sql(table)),
            SourceOf::Query(query) => From::Query(query.clone()),
        };
        let upper_micros = if config.mode.uses_timestamp() {
            let delay = i64::try_from(config.timestamp_delay.as_micros()).unwrap_or(i64::MAX);
            dialect.now_millis().await? * 1000 - delay
        } else {
            0
        };
        let timestamps: Vec<&Column> = shape
            .timestamps
            .iter()
            .map(|i| &shape.columns[*i])
            .collect();
        let poll = query::build(
            dialect.as_ref(),
            &from,
            &shape.columns,
            config.mode,
            shape.incrementing.map(|i| &shape.columns[i]),
            &timestamps,
            source.position,
            upper_micros,
            &config.query_suffix,
        );
        let mut read_columns = shape.columns.clone();
        if config.mode.uses_timestamp() {
            read_columns.push(Column {
                name: "connect_position".into(),
                kind: timestamps[0].kind.micros().expect("checked temporal"),
                nullable: true,
            });
        }
        let (row_tx, mut row_rx) = mpsc::channel(2);
        let stream = dialect.stream(poll.template, poll.params, read_columns.into(), row_tx);
        let out = &self.out;
        let convert = async {
            while let Some(rows) = row_rx.recv().await {
                let mut records = Vec::with_capacity(rows.len());
                let mut failure = None;
                for row in rows {
                    match to_record(config, source, row) {
                        Ok(record) => records.push(record),
                        Err(error) => {
                            failure = Some(error);
                            break;
                        }
                    }
                }
                // The records before a row that failed still go out.
                if !records.is_empty() && out.send(Ok(records)).await.is_err() {
                    break;
                }
                if let Some(error) = failure {
                    return Err(error);
                }
            }
            ConnectResult::Ok(())
        };
        let (streamed, converted) = tokio::join!(stream, convert);
        converted?;
        streamed
    }
}

fn desc_columns(desc: TableDesc) -> (Vec<Column>, Vec<String>) {
    (desc.columns.to_vec(), desc.primary_key)
}

/// Checks that `columns` have what the configured mode needs (validation).
pub(crate) fn check_columns(
    config: &SourceConfig,
    label: &str,
    is_query: bool,
    columns: Vec<Column>,
    primary_key: &[String],
) -> ConnectResult<()> {
    shape_of(config, label, is_query, columns, primary_key).map(|_| ())
}

/// Resolves the configured columns of `label` and builds its record schemas.
/// A query's columns have no known nullability, so `validate.non.null` does not apply to them.
fn shape_of(
    config: &SourceConfig,
    label: &str,
    is_query: bool,
    columns: Vec<Column>,
    primary_key: &[String],
) -> ConnectResult<Shape> {
    let find = |key: &str, name: &str| -> ConnectResult<usize> {
        columns.iter().position(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            ConnectError::other(format!(
                "{key} '{name}' is not a column of {label} (columns: {})",
                names.join(", ")
            ))
        })
    };
    let incrementing = match (&config.incrementing_column, config.mode.uses_incrementing()) {
        (Some(name), true) => {
            let index = find("incrementing.column.name", name)?;
            let column = &columns[index];
            if !column.kind.is_integer() {
                return Err(ConnectError::other(format!(
                    "incrementing.column.name '{name}' of {label} is {:?}, expected an integer column",
                    column.kind
                )));
            }
            if config.validate_non_null && column.nullable && !is_query {
                return Err(ConnectError::other(format!(
                    "incrementing.column.name '{name}' of {label} is nullable; make it NOT NULL or set validate.non.null=false"
                )));
            }
            Some(index)
        }
        _ => None,
    };
    let mut timestamps = Vec::new();
    if config.mode.uses_timestamp() {
        for name in &config.timestamp_columns {
            let index = find("timestamp.column.name", name)?;
            let column = &columns[index];
            if column.kind.micros().is_none() {
                return Err(ConnectError::other(format!(
                    "timestamp.column.name '{name}' of {label} is {:?}, expected a date or timestamp column",
                    column.kind
                )));
            }
            if config.validate_non_null
                && column.nullable
                && !is_query
                && config.timestamp_columns.len() == 1
            {
                return Err(ConnectError::other(format!(
                    "timestamp.column.name '{name}' of {label} is nullable; make it NOT NULL or set validate.non.null=false"
                )));
            }
            timestamps.push(index);
        }
    }
    let record_name = label.to_owned();
    let mut builder = SchemaBuilder::struct_()
        .name(record_name.clone())
        .optional();
    for column in &columns {
        builder = builder.field(column.name.clone(), column.kind.schema(column.nullable))?;
    }
    let value_schema = builder.build();
    let key = if primary_key.is_empty() {
        None
    } else {
        let mut indexes = Vec::new();
        let mut builder = SchemaBuilder::struct_().name(format!("{record_name}.Key"));
        for name in primary_key {
            let index = find("primary key", name)?;
            builder = builder.field(name.clone(), columns[index].kind.schema(false))?;
            indexes.push(index);
        }
        Some((indexes, builder.build()))
    };
    Ok(Shape {
        columns,
        value_schema,
        key,
        incrementing,
        timestamps,
    })
}

/// Turns a row into a record and advances the source's position past it.
fn to_record(
    config: &SourceConfig,
    source: &mut Source,
    mut row: Vec<Value>,
) -> ConnectResult<ConnectRecord> {
    let shape = source.shape.as_ref().expect("shape set before reading");
    if config.mode.uses_timestamp()
        && let Some(Value::Int64(micros)) = row.pop()
    {
        source.position.timestamp_micros = Some(micros);
    }
    if let Some(index) = shape.incrementing {
        let value = &row[index];
        let inc = match value {
            Value::Decimal(d) => d.to_string().parse::<i64>().ok(),
            other => other.as_i64(),
        };
        match inc {
            Some(inc) => source.position.incrementing = Some(inc),
            None if value.is_null() => {}
            None => {
                return Err(ConnectError::other(format!(
                    "incrementing column value {value} of {} does not fit a 64-bit integer",
                    source.label
                )));
            }
        }
    }
    let timestamp = source
        .position
        .timestamp_micros
        .filter(|_| config.mode.uses_timestamp())
        .map(|micros| micros.div_euclid(1000));
    let key = shape
        .key
        .as_ref()
        .map(|(indexes, schema)| {
            Struct::from_values(
                schema.clone(),
                indexes.iter().map(|i| row[*i].clone()).collect(),
            )
        })
        .transpose()
        .map_err(|e| ConnectError::data(format!("key of a row of {}: {e}", source.label)))?;
    let value = Struct::from_values(shape.value_schema.clone(), row)
        .map_err(|e| ConnectError::data(format!("a row of {}: {e}", source.label)))?;
    let offset = offset_of(config.mode, source.position);
    let mut record = ConnectRecord::new(
        source.partition.clone(),
        offset,
        timestamp.or_else(now_millis),
    )
    .with_value(Some(shape.value_schema.clone()), Value::Struct(value));
    if let (Some(key), Some((_, schema))) = (key, &shape.key) {
        record = record.with_key(Some(schema.clone()), Value::Struct(key));
    }
    if let Some(topic) = &source.topic {
        record.set_topic(topic.clone());
    }
    Ok(record)
}

fn now_millis() -> Option<i64> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_survive_their_offset_form() {
        let position = Position {
            incrementing: Some(42),
            timestamp_micros: Some(1_700_000_000_123_456),
        };
        let offset = offset_of(Mode::TimestampIncrementing, position);
        assert_eq!(offset.get_i64("timestamp"), Some(1_700_000_000_123));
        assert_eq!(offset.get_i64("timestamp_nanos"), Some(123_456_000));
        assert_eq!(position_of(&offset), position);
        // Java-written offsets without nanos resume at the millisecond.
        let java = RecordOffset::new().with("timestamp", 1_500i64);
        assert_eq!(position_of(&java).timestamp_micros, Some(1_500_000));
    }

    fn record(n: i64) -> ConnectRecord {
        ConnectRecord::new(
            RecordPartition::new(),
            RecordOffset::new().with("incrementing", n),
            None,
        )
    }

    fn numbers(batch: &[ConnectRecord]) -> Vec<i64> {
        batch
            .iter()
            .map(|r| r.position.offset.get_i64("incrementing").unwrap())
            .collect()
    }

    /// Chunks are cut at `batch.max.rows`; a read error behind records comes only after every
    /// record before it, and the task then reports the reader gone, not silence.
    #[tokio::test]
    async fn polls_hand_out_chunks_in_order_and_the_error_after_them() {
        let (tx, rx) = mpsc::channel(4);
        let mut task = JdbcSourceTask {
            batch_max_rows: 2,
            records: Some(rx),
            ..JdbcSourceTask::default()
        };
        tx.send(Ok((1..=3).map(record).collect())).await.unwrap();
        tx.send(Ok(vec![record(4)])).await.unwrap();
        tx.send(Err(ConnectError::retriable("the database went away")))
            .await
            .unwrap();
        drop(tx);
        assert_eq!(numbers(&task.poll().await.unwrap()), [1, 2]);
        assert_eq!(numbers(&task.poll().await.unwrap()), [3, 4]);
        let error = task.poll().await.unwrap_err();
        assert!(error.is_retriable(), "{error}");
        assert!(error.to_string().contains("went away"), "{error}");
        let gone = task.poll().await.unwrap_err();
        assert!(gone.to_string().contains("reader stopped"), "{gone}");
    }

    #[test]
    fn partitions_carry_the_suffix() {
        assert_eq!(
            partition_of("db.t", false, "").get_str("table"),
            Some("db.t")
        );
        assert_eq!(
            partition_of("query", true, "v2").get_str("query-v2"),
            Some("query")
        );
    }
}
