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

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, ErrorRecordReporter, SinkTask,
    SinkTaskContext,
};

use super::plan::{ColumnPlan, FieldValue, Op, Planner, Write};
use crate::config::SinkConfig;
use crate::dialect::{self, Bound, Dialect, Piece, Statement};
use crate::types::{Column, TableDesc, TableId, coerce};

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
        let mut planner = Planner::new(&config);
        let mut writes = Vec::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            match planner.plan(record) {
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
        let runs = runs_of(writes);
        // Every run's table first (creating and evolving them), then the statements, which
        // borrow the tables' descriptions.
        for run in &runs {
            self.table_for(config, dialect.as_ref(), &writes[run.start].1)
                .await?;
        }
        let mut statements = Vec::new();
        for run in runs {
            let desc = &self.tables[writes[run.start].1.table()];
            statements.extend(statements_for(
                config,
                dialect.as_ref(),
                desc,
                &writes[run],
            )?);
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
        let mut fields = write.key_fields();
        fields.extend(write.value_fields());
        let known = self.tables.get(write.table());
        let missing_columns = |desc: &TableDesc| -> Vec<&FieldValue<'_>> {
            fields
                .iter()
                .filter(|f| desc.column(&f.name).is_none())
                .collect()
        };
        if known.is_none_or(|desc| !missing_columns(desc).is_empty()) {
            let table = write.table();
            let mut desc = dialect.describe(table).await?;
            if desc.is_none() {
                if !config.auto_create {
                    return Err(ConnectError::other(format!(
                        "table {} does not exist: create it or set auto.create=true",
                        table
                    )));
                }
                dialect
                    .execute(&[Statement::Plain(create_table_sql(dialect, write))])
                    .await
                    .or_else(|e| {
                        // Another task may have created it first.
                        if e.is_retriable() { Err(e) } else { Ok(()) }
                    })?;
                desc = dialect.describe(table).await?;
            }
            let mut desc = desc.ok_or_else(|| {
                ConnectError::other(format!("table {} could not be created", table))
            })?;
            let missing: Vec<&FieldValue<'_>> = missing_columns(&desc);
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|f| f.name.as_ref()).collect();
                if !config.auto_evolve {
                    return Err(ConnectError::other(format!(
                        "table {} has no column(s) {}: add them or set auto.evolve=true",
                        table,
                        names.join(", ")
                    )));
                }
                for field in missing {
                    let sql = format!(
                        "ALTER TABLE {} ADD COLUMN {} {}",
                        dialect.table_sql(table),
                        dialect.quote(&field.name),
                        dialect.column_type(&field.schema, false)
                    );
                    if let Err(e) = dialect.execute(&[Statement::Plain(sql)]).await
                        && e.is_retriable()
                    {
                        return Err(e);
                    }
                }
                desc = dialect
                    .describe(table)
                    .await?
                    .ok_or_else(|| ConnectError::other(format!("table {} disappeared", table)))?;
                let still: Vec<&FieldValue<'_>> = missing_columns(&desc);
                if !still.is_empty() {
                    return Err(ConnectError::other(format!(
                        "table {} could not be given column(s) {}",
                        table,
                        names.join(", ")
                    )));
                }
            }
            self.tables.insert(table.clone(), desc);
        }
        Ok(&self.tables[write.table()])
    }
}

/// `CREATE TABLE` for a write's columns: key columns NOT NULL and the primary key, the others
/// nullable unless their schema is required.
fn create_table_sql(dialect: &dyn Dialect, write: &Write<'_>) -> String {
    let key = write.key_fields();
    let mut columns: Vec<String> = key
        .iter()
        .map(|f| {
            format!(
                "{} {} NOT NULL",
                dialect.quote(&f.name),
                dialect.column_type(&f.schema, true)
            )
        })
        .collect();
    columns.extend(write.value_fields().iter().map(|f| {
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
    if !key.is_empty() {
        let keys: Vec<String> = key.iter().map(|f| dialect.quote(&f.name)).collect();
        columns.push(format!("PRIMARY KEY ({})", keys.join(", ")));
    }
    format!(
        "CREATE TABLE {} ({})",
        dialect.table_sql(write.table()),
        columns.join(", ")
    )
}

/// The writes split into runs that share a statement (`batches_with`).
fn runs_of(writes: &[(usize, Write<'_>)]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < writes.len() {
        let first = &writes[start].1;
        let mut end = start + 1;
        while end < writes.len() && first.batches_with(&writes[end].1) {
            end += 1;
        }
        runs.push(start..end);
        start = end;
    }
    runs
}

/// The statements of a run of writes with the same table, operation and columns. Their
/// parameters borrow the records' values and the table's column kinds.
fn statements_for<'a>(
    config: &SinkConfig,
    dialect: &dyn Dialect,
    desc: &'a TableDesc,
    run: &[(usize, Write<'a>)],
) -> ConnectResult<Vec<Statement<'a>>> {
    let first = &run[0].1.layout;
    // Every write of a run has the first's columns in the same order (`batches_with`), so
    // the table's columns are looked up once per run, not per value.
    let column_of = |plan: &ColumnPlan<'_>| {
        desc.column(&plan.name).ok_or_else(|| {
            ConnectError::other(format!("table {} has no column {}", desc.id, plan.name))
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
    let key_width = key_columns.len();
    let width = key_width + value_columns.len();
    let table = dialect.table_sql(&desc.id);
    let names: Vec<String> = first
        .key
        .iter()
        .chain(&first.values)
        .map(|c| c.name.clone().into_owned())
        .collect();
    let key_names = &names[..key_width];
    match first.op {
        Op::Insert | Op::Upsert => {
            let mut params = Vec::with_capacity(run.len() * width);
            if first.op == Op::Upsert {
                // A key written twice in one statement is refused by PostgreSQL and SQLite
                // ("cannot affect row a second time"): the last write of a key wins anyway.
                // Keys are compared as bound to their columns; the values of a superseded
                // write are never bound (nor can they fail).
                let mut keys = Vec::with_capacity(run.len() * key_width);
                for (_, write) in run {
                    bind(&mut keys, write, &write.layout.key, &key_columns)?;
                }
                let keep = last_of_each_key(&keys, key_width, run.len());
                let mut keys = keys.into_iter();
                for ((_, write), keep) in run.iter().zip(keep) {
                    let key = keys.by_ref().take(key_width);
                    if keep {
                        params.extend(key);
                        bind(&mut params, write, &write.layout.values, &value_columns)?;
                    } else {
                        key.for_each(drop);
                    }
                }
            } else {
                for (_, write) in run {
                    bind(&mut params, write, &write.layout.key, &key_columns)?;
                    bind(&mut params, write, &write.layout.values, &value_columns)?;
                }
            }
            let quoted: Vec<String> = names.iter().map(|n| dialect.quote(n)).collect();
            let head = format!("INSERT INTO {table} ({})", quoted.join(", "));
            let tail = if first.op == Op::Upsert {
                dialect.upsert_tail(&names, key_names)
            } else {
                String::new()
            };
            let rows_per_statement = config.batch_size.min(MAX_PARAMS / width.max(1)).max(1);
            let per_statement = rows_per_statement * width.max(1);
            if params.len() <= per_statement {
                // The usual case: one statement takes the vector as it is.
                return Ok(vec![Statement::Values {
                    head,
                    width,
                    params,
                    tail,
                }]);
            }
            let mut statements = Vec::with_capacity(params.len().div_ceil(per_statement));
            let mut params = params.into_iter();
            while params.len() > 0 {
                statements.push(Statement::Values {
                    head: head.clone(),
                    width,
                    params: params.by_ref().take(per_statement).collect(),
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
            for (i, name) in names[key_width..].iter().enumerate() {
                let joiner = if i == 0 { "" } else { ", " };
                template.push(Piece::Sql(format!("{joiner}{} = ", dialect.quote(name))));
                template.push(Piece::Param(i));
            }
            where_key(dialect, &mut template, key_names, first.values.len());
            let mut params = Vec::with_capacity(run.len() * width);
            for (_, write) in run {
                bind(&mut params, write, &write.layout.values, &value_columns)?;
                bind(&mut params, write, &write.layout.key, &key_columns)?;
            }
            Ok(vec![Statement::PerRow {
                template,
                width,
                params,
            }])
        }
        Op::Delete => {
            let mut template = vec![Piece::Sql(format!("DELETE FROM {table}"))];
            where_key(dialect, &mut template, key_names, 0);
            let mut params = Vec::with_capacity(run.len() * key_width);
            for (_, write) in run {
                bind(&mut params, write, &write.layout.key, &key_columns)?;
            }
            Ok(vec![Statement::PerRow {
                template,
                width: key_width,
                params,
            }])
        }
    }
}

/// `write`'s values of the layout columns `part`, coerced to the table's `columns` (the same
/// names, in order), pushed onto `params`.
fn bind<'a>(
    params: &mut Vec<Bound<'a>>,
    write: &Write<'a>,
    part: &[ColumnPlan<'a>],
    columns: &[&'a Column],
) -> ConnectResult<()> {
    for (plan, column) in part.iter().zip(columns) {
        params.push(Bound {
            value: coerce(write.value_of(plan), column)?,
            kind: Cow::Borrowed(&column.kind),
        });
    }
    Ok(())
}

/// ` WHERE k1 = ? AND k2 = ?`, the keys' parameters from `offset` on.
fn where_key(dialect: &dyn Dialect, template: &mut Vec<Piece>, keys: &[String], offset: usize) {
    for (i, key) in keys.iter().enumerate() {
        let joiner = if i == 0 { " WHERE " } else { " AND " };
        template.push(Piece::Sql(format!("{joiner}{} = ", dialect.quote(key))));
        template.push(Piece::Param(offset + i));
    }
}

/// Which of `count` writes to keep so that each key is written once: its last write (the kept
/// ones stay in run order). `keys` holds the writes' keys end to end, `width` values each. A
/// hash of each key finds the candidates without rendering keys as text.
fn last_of_each_key(keys: &[Bound<'_>], width: usize, count: usize) -> Vec<bool> {
    use std::hash::{BuildHasher, Hasher};
    let hasher = std::collections::hash_map::RandomState::new();
    // hash -> the writes (indexes) kept so far with that hash
    let key = |i: usize| &keys[i * width..(i + 1) * width];
    let mut kept_by_hash: HashMap<u64, Vec<usize>> = HashMap::with_capacity(count);
    let mut keep = vec![true; count];
    for i in 0..count {
        let mut state = hasher.build_hasher();
        for bound in key(i) {
            hash_value(&bound.value, &mut state);
        }
        let same_hash = kept_by_hash.entry(state.finish()).or_default();
        let same_key = same_hash.iter().position(|&j| {
            key(j)
                .iter()
                .zip(key(i))
                .all(|(a, b)| same_key_value(&a.value, &b.value))
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

    /// A row of a key and a tag telling rows apart.
    fn row(key: Value, tag: i64) -> (Value, i64) {
        (key, tag)
    }

    /// The tags of the rows an upsert run keeps.
    fn tags(rows: &[(Value, i64)]) -> Vec<i64> {
        let keys: Vec<Bound<'_>> = rows
            .iter()
            .map(|(key, _)| Bound::owned(key.clone(), ColumnKind::Int64))
            .collect();
        last_of_each_key(&keys, 1, rows.len())
            .into_iter()
            .zip(rows)
            .filter(|(keep, _)| *keep)
            .map(|(_, (_, tag))| *tag)
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
