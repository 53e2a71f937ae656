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
        writes: &[(usize, Write<'_>)],
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

    async fn write(
        &mut self,
        config: &SinkConfig,
        writes: &[(usize, Write<'_>)],
    ) -> ConnectResult<()> {
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
            let run: Vec<&Write<'_>> = writes[start..end].iter().map(|(_, w)| w).collect();
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
        write: &Write<'_>,
    ) -> ConnectResult<&TableDesc> {
        let fields: Vec<&FieldValue<'_>> = write.key.iter().chain(&write.values).collect();
        let known = self.tables.get(&write.table);
        let missing_columns = |desc: &TableDesc| -> Vec<&FieldValue<'_>> {
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
            let missing: Vec<&FieldValue<'_>> = missing_columns(&desc);
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|f| f.name.as_ref()).collect();
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
                let still: Vec<&FieldValue<'_>> = missing_columns(&desc);
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
fn create_table_sql(dialect: &dyn Dialect, write: &Write<'_>) -> String {
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
    run: &[&Write<'_>],
) -> ConnectResult<Vec<Statement>> {
    let first = run[0];
    // Every write of a run has the first's columns in the same order (`batches_with`), so
    // the table's columns are looked up once per run, not per value.
    let column_of = |field: &FieldValue<'_>| {
        desc.column(&field.name).ok_or_else(|| {
            ConnectError::other(format!("table {} has no column {}", desc.id, field.name))
        })
    };
    let key_columns = first
        .key
        .iter()
        .map(column_of)
        .collect::<ConnectResult<Vec<_>>>()?;
    let value_columns = first
        .values
        .iter()
        .map(column_of)
        .collect::<ConnectResult<Vec<_>>>()?;
    // A row's parameters: `fields` bound to `columns`, pushed onto `row` (sized for the whole
    // row once, not grown per part).
    let bind_onto = |row: &mut Vec<Bound>,
                     fields: &[FieldValue<'_>],
                     columns: &[&crate::types::Column]|
     -> ConnectResult<()> {
        for (field, column) in fields.iter().zip(columns) {
            row.push(Bound {
                value: coerce(&field.value, column)?,
                kind: column.kind.clone(),
            });
        }
        Ok(())
    };
    let width = key_columns.len() + value_columns.len();
    let bind_all = |fields: &[FieldValue<'_>], columns: &[&crate::types::Column]| {
        let mut row = Vec::with_capacity(width);
        bind_onto(&mut row, fields, columns).map(|()| row)
    };
    let row_of = |write: &Write<'_>| -> ConnectResult<Vec<Bound>> {
        let mut row = bind_all(&write.key, &key_columns)?;
        bind_onto(&mut row, &write.values, &value_columns)?;
        Ok(row)
    };
    let table = dialect.table_sql(&desc.id);
    let names = first.column_names();
    let quoted: Vec<String> = names.iter().map(|n| dialect.quote(n)).collect();
    let key_names: Vec<String> = first
        .key
        .iter()
        .map(|f| f.name.clone().into_owned())
        .collect();
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
            let rows: Vec<Vec<Bound>> = if first.op == Op::Upsert {
                // A key written twice in one statement is refused by PostgreSQL and SQLite
                // ("cannot affect row a second time"): the last write of a key wins anyway.
                // Keys are compared as bound to their columns; the values of a superseded
                // write are never bound (nor can they fail).
                let keys = run
                    .iter()
                    .map(|w| bind_all(&w.key, &key_columns))
                    .collect::<ConnectResult<Vec<_>>>()?;
                let keep = last_of_each_key(&keys_view(&keys));
                keys.into_iter()
                    .zip(keep)
                    .zip(run)
                    .filter(|((_, keep), _)| *keep)
                    .map(|((mut row, _), write)| {
                        bind_onto(&mut row, &write.values, &value_columns)?;
                        Ok(row)
                    })
                    .collect::<ConnectResult<_>>()?
            } else {
                run.iter()
                    .map(|write| row_of(write))
                    .collect::<ConnectResult<_>>()?
            };
            let head = format!("INSERT INTO {table} ({})", quoted.join(", "));
            let tail = if first.op == Op::Upsert {
                dialect.upsert_tail(&names, &key_names)
            } else {
                String::new()
            };
            let mut statements = Vec::with_capacity(rows.len().div_ceil(rows_per_statement));
            let mut rows = rows.into_iter().peekable();
            while rows.peek().is_some() {
                statements.push(Statement::Values {
                    head: head.clone(),
                    rows: rows.by_ref().take(rows_per_statement).collect(),
                    tail: tail.clone(),
                });
            }
            Ok(statements)
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
                    let mut row = bind_all(&w.values, &value_columns)?;
                    bind_onto(&mut row, &w.key, &key_columns)?;
                    Ok(row)
                })
                .collect::<ConnectResult<Vec<_>>>()?;
            Ok(vec![Statement::PerRow { template, rows }])
        }
        Op::Delete => {
            let mut template = vec![Piece::Sql(format!("DELETE FROM {table}"))];
            where_key(&mut template, 0);
            let rows = run
                .iter()
                .map(|w| bind_all(&w.key, &key_columns))
                .collect::<ConnectResult<Vec<_>>>()?;
            Ok(vec![Statement::PerRow { template, rows }])
        }
    }
}

/// The bound values of each key.
fn keys_view(keys: &[Vec<Bound>]) -> Vec<Vec<&connect_api::Value>> {
    keys.iter()
        .map(|key| key.iter().map(|b| &b.value).collect())
        .collect()
}

/// Which writes to keep so that each key is written once: its last write (the kept ones stay
/// in run order). A hash of each key finds the candidates without rendering keys as text.
fn last_of_each_key(keys: &[Vec<&connect_api::Value>]) -> Vec<bool> {
    use std::hash::{BuildHasher, Hasher};
    let hasher = std::collections::hash_map::RandomState::new();
    // hash -> the writes (indexes) kept so far with that hash
    let mut kept_by_hash: HashMap<u64, Vec<usize>> = HashMap::with_capacity(keys.len());
    let mut keep = vec![true; keys.len()];
    for (i, key) in keys.iter().enumerate() {
        let mut state = hasher.build_hasher();
        for value in key {
            hash_value(value, &mut state);
        }
        let same_hash = kept_by_hash.entry(state.finish()).or_default();
        let same_key = same_hash.iter().position(|&j| {
            keys[j].len() == key.len() && keys[j].iter().zip(key).all(|(a, b)| same_key_value(a, b))
        });
        match same_key {
            Some(at) => {
                keep[same_hash[at]] = false;
                same_hash[at] = i;
            }
            None => same_hash.push(i),
        }
    }
    keep
}

/// Key equality as the database sees it: floats by their canonical bits (every NaN alike,
/// -0.0 = 0.0), everything else by value.
fn same_key_value(a: &connect_api::Value, b: &connect_api::Value) -> bool {
    use connect_api::Value;
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => canonical_f32(*x) == canonical_f32(*y),
        (Value::Float64(x), Value::Float64(y)) => canonical_f64(*x) == canonical_f64(*y),
        _ => a == b,
    }
}

fn canonical_f32(f: f32) -> u32 {
    if f.is_nan() {
        f32::NAN.to_bits()
    } else {
        (f + 0.0).to_bits()
    }
}

fn canonical_f64(f: f64) -> u64 {
    if f.is_nan() {
        f64::NAN.to_bits()
    } else {
        (f + 0.0).to_bits()
    }
}

/// Feeds a key value to a hasher; values equal by `==` hash alike (a decimal by its normalized
/// digits, a float by its bits).
fn hash_value(value: &connect_api::Value, state: &mut impl std::hash::Hasher) {
    use connect_api::Value;
    use std::hash::Hash;
    std::mem::discriminant(value).hash(state);
    match value {
        Value::Boolean(b) => b.hash(state),
        Value::Int8(n) => n.hash(state),
        Value::Int16(n) => n.hash(state),
        Value::Int32(n) | Value::Date(n) | Value::Time(n) => n.hash(state),
        Value::Int64(n) | Value::Timestamp(n) => n.hash(state),
        Value::Float32(f) => canonical_f32(*f).hash(state),
        Value::Float64(f) => canonical_f64(*f).hash(state),
        Value::String(s) => s.hash(state),
        Value::Bytes(b) => b.hash(state),
        Value::Decimal(d) => d.normalized().hash(state),
        // Composite keys inside a key field are rare: equal ones share the variant's hash.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use bigdecimal::BigDecimal;
    use connect_api::Value;

    use super::*;
    use crate::types::ColumnKind;

    fn row(key: Value, tag: i64) -> Vec<Bound> {
        vec![
            Bound {
                value: key,
                kind: ColumnKind::Int64,
            },
            Bound {
                value: Value::Int64(tag),
                kind: ColumnKind::Int64,
            },
        ]
    }

    fn tags(rows: &[Vec<Bound>]) -> Vec<i64> {
        let keys: Vec<Vec<Bound>> = rows.iter().map(|r| r[..1].to_vec()).collect();
        last_of_each_key(&keys_view(&keys))
            .into_iter()
            .zip(rows)
            .filter(|(keep, _)| *keep)
            .map(|(_, r)| r[1].value.as_i64().unwrap())
            .collect()
    }

    /// Each key keeps its last row, and the kept rows stay in run order.
    #[test]
    fn upsert_runs_keep_the_last_row_of_each_key_in_order() {
        let rows = vec![
            row(Value::Int64(1), 0),
            row(Value::Int64(2), 1),
            row(Value::Int64(1), 2),
            row(Value::Int64(3), 3),
            row(Value::Int64(2), 4),
        ];
        assert_eq!(tags(&rows), [2, 3, 4]);
    }

    /// Keys the database sees as one are one key even when written differently: decimals of
    /// other scales, signed zeros, NaNs, nulls.
    #[test]
    fn keys_equal_as_values_are_one_key() {
        let decimal = |text| Value::Decimal(BigDecimal::from_str(text).unwrap());
        let rows = vec![
            row(decimal("1.0"), 0),
            row(decimal("1.00"), 1),
            row(Value::Float64(0.0), 2),
            row(Value::Float64(-0.0), 3),
            row(Value::Float64(f64::NAN), 4),
            row(Value::Float64(-f64::NAN), 5),
            row(Value::Null, 6),
            row(Value::Null, 7),
            row(Value::String("a".into()), 8),
        ];
        assert_eq!(tags(&rows), [1, 3, 5, 7, 8]);
    }
}
