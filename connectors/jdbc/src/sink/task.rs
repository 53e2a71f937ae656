//! The sink task: each `put` becomes one transaction of batched statements.
//!
//! Consecutive records for the same table, operation and columns form a run; a run becomes
//! multi-row `INSERT` (or upsert) statements of at most `batch.size` rows, or per-row
//! `UPDATE` / `DELETE`. Missing tables and columns are created when `auto.create` /
//! `auto.evolve` allow.
//!
//! Failures: a transient one (connection lost, deadlock) retries the whole transaction
//! `max.retries` times `retry.backoff.ms` apart, then hands the batch back to the runtime as
//! retriable — it comes again, nothing is lost. A statement the database refuses (constraint,
//! type) makes the task write the batch record by record, so only the bad records fail: each
//! goes to the error reporter (dead-letter topic, tolerance) when one is configured, else the
//! task fails naming the record.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, ErrorRecordReporter, SinkTask,
    SinkTaskContext,
};

use super::plan::{self, FieldValue, Op, Write};
use crate::config::SinkConfig;
use crate::dialect::{self, Bound, Dialect, Piece, Statement};
use crate::types::{TableDesc, TableId, coerce};

pub const TASK_CLASS: &str = "org.apache.rocketmq.connect.jdbc.sink.JdbcSinkTask";

/// The most parameters one statement binds (SQLite's limit is 32766, the others' 65535).
const MAX_PARAMS: usize = 30_000;

#[derive(Default)]
pub struct JdbcSinkTask {
    config: Option<SinkConfig>,
    dialect: Option<Arc<dyn Dialect>>,
    tables: HashMap<TableId, TableDesc>,
    reporter: Option<Arc<dyn ErrorRecordReporter>>,
}

impl std::fmt::Debug for JdbcSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JdbcSinkTask").finish_non_exhaustive()
    }
}

#[async_trait]
impl SinkTask for JdbcSinkTask {
    async fn start(&mut self, config: Config, context: SinkTaskContext) -> ConnectResult<()> {
        let config = SinkConfig::parse(&config).map_err(ConnectError::Config)?;
        let dialect = dialect::open(
            &config.common.url,
            config.common.dialect,
            config.common.dialect_options(),
        )?;
        self.reporter = context.error_record_reporter().cloned();
        self.dialect = Some(dialect);
        self.config = Some(config);
        Ok(())
    }

    async fn put(&mut self, records: &[ConnectRecord]) -> ConnectResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let config = self
            .config
            .clone()
            .ok_or_else(|| ConnectError::other("the JDBC sink task was not started"))?;
        let mut writes = Vec::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            match plan::plan(&config, record) {
                Ok(Some(write)) => writes.push((index, write)),
                Ok(None) => {}
                Err(error) => self.reject(record, error).await?,
            }
        }
        match self.write_with_retries(&config, &writes).await {
            Ok(()) => Ok(()),
            Err(error) if error.is_retriable() => Err(error),
            Err(ConnectError::Data(message)) => {
                tracing::warn!(%message, "a batch was refused; writing its records one by one");
                for (index, write) in &writes {
                    match self
                        .write_with_retries(&config, std::slice::from_ref(&(*index, write.clone())))
                        .await
                    {
                        Ok(()) => {}
                        Err(error) if error.is_retriable() => return Err(error),
                        Err(error) => self.reject(&records[*index], error).await?,
                    }
                }
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(dialect) = self.dialect.take() {
            dialect.close().await;
        }
        Ok(())
    }
}

impl JdbcSinkTask {
    /// A record that cannot be written: to the error reporter, or the task fails.
    async fn reject(&self, record: &ConnectRecord, error: ConnectError) -> ConnectResult<()> {
        let error = match error {
            ConnectError::Data(message) => ConnectError::Data(format!(
                "record at {} {} cannot be written: {message}",
                serde_json::to_string(&record.position.partition).unwrap_or_default(),
                serde_json::to_string(&record.position.offset).unwrap_or_default(),
            )),
            other => other,
        };
        match &self.reporter {
            Some(reporter) => reporter.report(record, &error).await,
            None => Err(error),
        }
    }

    /// Writes in one transaction, retrying transient failures `max.retries` times.
    async fn write_with_retries(
        &mut self,
        config: &SinkConfig,
        writes: &[(usize, Write)],
    ) -> ConnectResult<()> {
        let mut attempt = 0;
        loop {
            let result = self.write(config, writes).await;
            match result {
                Err(error) if error.is_retriable() && attempt < config.max_retries => {
                    attempt += 1;
                    tracing::warn!(%error, attempt, "write failed; retrying");
                    // The database may have lost or changed tables meanwhile.
                    self.tables.clear();
                    tokio::time::sleep(config.retry_backoff).await;
                }
                other => return other,
            }
        }
    }

    async fn write(&mut self, config: &SinkConfig, writes: &[(usize, Write)]) -> ConnectResult<()> {
        let dialect = self
            .dialect
            .clone()
            .ok_or_else(|| ConnectError::other("not started"))?;
        let mut statements = Vec::new();
        let mut start = 0;
        while start < writes.len() {
            let first = &writes[start].1;
            let mut end = start + 1;
            while end < writes.len() && first.batches_with(&writes[end].1) {
                end += 1;
            }
            let run: Vec<&Write> = writes[start..end].iter().map(|(_, w)| w).collect();
            let desc = self
                .table_for(config, dialect.as_ref(), first)
                .await?
                .clone();
            statements.extend(statements_for(config, dialect.as_ref(), &desc, &run)?);
            start = end;
        }
        dialect.execute(&statements).await
    }

    /// The table a write goes to, created or evolved as allowed.
    async fn table_for(
        &mut self,
        config: &SinkConfig,
        dialect: &dyn Dialect,
        write: &Write,
    ) -> ConnectResult<&TableDesc> {
        let fields: Vec<&FieldValue> = write.key.iter().chain(&write.values).collect();
        let known = self.tables.get(&write.table);
        let missing_columns = |desc: &TableDesc| -> Vec<&FieldValue> {
            fields
                .iter()
                .copied()
                .filter(|f| desc.column(&f.name).is_none())
                .collect()
        };
        if known.is_none_or(|desc| !missing_columns(desc).is_empty()) {
            let mut desc = dialect.describe(&write.table).await?;
            if desc.is_none() {
                if !config.auto_create {
                    return Err(ConnectError::other(format!(
                        "table {} does not exist: create it or set auto.create=true",
                        write.table
                    )));
                }
                dialect
                    .execute(&[Statement::Plain(create_table_sql(dialect, write))])
                    .await
                    .or_else(|e| {
                        // Another task may have created it first.
                        if e.is_retriable() { Err(e) } else { Ok(()) }
                    })?;
                desc = dialect.describe(&write.table).await?;
            }
            let mut desc = desc.ok_or_else(|| {
                ConnectError::other(format!("table {} could not be created", write.table))
            })?;
            let missing: Vec<&FieldValue> = missing_columns(&desc);
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|f| f.name.as_str()).collect();
                if !config.auto_evolve {
                    return Err(ConnectError::other(format!(
                        "table {} has no column(s) {}: add them or set auto.evolve=true",
                        write.table,
                        names.join(", ")
                    )));
                }
                for field in missing {
                    let sql = format!(
                        "ALTER TABLE {} ADD COLUMN {} {}",
                        dialect.table_sql(&write.table),
                        dialect.quote(&field.name),
                        dialect.column_type(&field.schema, false)
                    );
                    if let Err(e) = dialect.execute(&[Statement::Plain(sql)]).await
                        && e.is_retriable()
                    {
                        return Err(e);
                    }
                }
                desc = dialect.describe(&write.table).await?.ok_or_else(|| {
                    ConnectError::other(format!("table {} disappeared", write.table))
                })?;
                let still: Vec<&FieldValue> = missing_columns(&desc);
                if !still.is_empty() {
                    return Err(ConnectError::other(format!(
                        "table {} could not be given column(s) {}",
                        write.table,
                        names.join(", ")
                    )));
                }
            }
            self.tables.insert(write.table.clone(), desc);
        }
        Ok(&self.tables[&write.table])
    }
}

/// `CREATE TABLE` for a write's columns: key columns NOT NULL and the primary key, the others
/// nullable unless their schema is required.
fn create_table_sql(dialect: &dyn Dialect, write: &Write) -> String {
    let mut columns: Vec<String> = write
        .key
        .iter()
        .map(|f| {
            format!(
                "{} {} NOT NULL",
                dialect.quote(&f.name),
                dialect.column_type(&f.schema, true)
            )
        })
        .collect();
    columns.extend(write.values.iter().map(|f| {
        format!(
            "{} {}{}",
            dialect.quote(&f.name),
            dialect.column_type(&f.schema, false),
            if f.schema.is_optional() {
                ""
            } else {
                " NOT NULL"
            }
        )
    }));
    if !write.key.is_empty() {
        let keys: Vec<String> = write.key.iter().map(|f| dialect.quote(&f.name)).collect();
        columns.push(format!("PRIMARY KEY ({})", keys.join(", ")));
    }
    format!(
        "CREATE TABLE {} ({})",
        dialect.table_sql(&write.table),
        columns.join(", ")
    )
}

/// The statements of a run of writes with the same table, operation and columns.
fn statements_for(
    config: &SinkConfig,
    dialect: &dyn Dialect,
    desc: &TableDesc,
    run: &[&Write],
) -> ConnectResult<Vec<Statement>> {
    let first = run[0];
    let bind = |field: &FieldValue| -> ConnectResult<Bound> {
        let column = desc.column(&field.name).ok_or_else(|| {
            ConnectError::other(format!("table {} has no column {}", desc.id, field.name))
        })?;
        Ok(Bound {
            value: coerce(&field.value, column)?,
            kind: column.kind.clone(),
        })
    };
    let table = dialect.table_sql(&desc.id);
    let names = first.column_names();
    let quoted: Vec<String> = names.iter().map(|n| dialect.quote(n)).collect();
    let key_names: Vec<String> = first.key.iter().map(|f| f.name.clone()).collect();
    let rows_per_statement = config
        .batch_size
        .min(MAX_PARAMS / names.len().max(1))
        .max(1);
    let where_key = |template: &mut Vec<Piece>, offset: usize| {
        for (i, key) in key_names.iter().enumerate() {
            let joiner = if i == 0 { " WHERE " } else { " AND " };
            template.push(Piece::Sql(format!("{joiner}{} = ", dialect.quote(key))));
            template.push(Piece::Param(offset + i));
        }
    };
    match first.op {
        Op::Insert | Op::Upsert => {
            let mut rows = Vec::with_capacity(run.len());
            if first.op == Op::Upsert {
                // A key written twice in one statement is refused by PostgreSQL and SQLite
                // ("cannot affect row a second time"): the last write of a key wins anyway.
                let mut last_of_key: HashMap<String, usize> = HashMap::new();
                for (i, write) in run.iter().enumerate() {
                    let key: Vec<String> = write.key.iter().map(|f| f.value.to_string()).collect();
                    last_of_key.insert(key.join("\u{1}"), i);
                }
                let mut keep: Vec<usize> = last_of_key.into_values().collect();
                keep.sort_unstable();
                for i in keep {
                    rows.push(
                        run[i]
                            .key
                            .iter()
                            .chain(&run[i].values)
                            .map(bind)
                            .collect::<ConnectResult<Vec<_>>>()?,
                    );
                }
            } else {
                for write in run {
                    rows.push(
                        write
                            .key
                            .iter()
                            .chain(&write.values)
                            .map(bind)
                            .collect::<ConnectResult<Vec<_>>>()?,
                    );
                }
            }
            let head = format!("INSERT INTO {table} ({})", quoted.join(", "));
            let tail = if first.op == Op::Upsert {
                dialect.upsert_tail(&names, &key_names)
            } else {
                String::new()
            };
            Ok(rows
                .chunks(rows_per_statement)
                .map(|chunk| Statement::Values {
                    head: head.clone(),
                    rows: chunk.to_vec(),
                    tail: tail.clone(),
                })
                .collect())
        }
        Op::Update => {
            if first.values.is_empty() {
                return Ok(Vec::new());
            }
            let mut template = vec![Piece::Sql(format!("UPDATE {table} SET "))];
            for (i, field) in first.values.iter().enumerate() {
                let joiner = if i == 0 { "" } else { ", " };
                template.push(Piece::Sql(format!(
                    "{joiner}{} = ",
                    dialect.quote(&field.name)
                )));
                template.push(Piece::Param(i));
            }
            where_key(&mut template, first.values.len());
            let rows = run
                .iter()
                .map(|w| {
                    w.values
                        .iter()
                        .chain(&w.key)
                        .map(bind)
                        .collect::<ConnectResult<Vec<_>>>()
                })
                .collect::<ConnectResult<Vec<_>>>()?;
            Ok(vec![Statement::PerRow { template, rows }])
        }
        Op::Delete => {
            let mut template = vec![Piece::Sql(format!("DELETE FROM {table}"))];
            where_key(&mut template, 0);
            let rows = run
                .iter()
                .map(|w| w.key.iter().map(bind).collect::<ConnectResult<Vec<_>>>())
                .collect::<ConnectResult<Vec<_>>>()?;
            Ok(vec![Statement::PerRow { template, rows }])
        }
    }
}
