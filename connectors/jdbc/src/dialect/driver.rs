//! What the three dialects do the same way, written once over sqlx's `Database`: a dialect
//! says how it binds a value, decodes a row and names a query column's kind ([`Driver`]);
//! these functions run statements, stream rows and describe queries with that.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use connect_api::{ConnectResult, Value};
use futures_util::TryStreamExt;
use sqlx::{
    AssertSqlSafe, Column as _, Database, Executor, IntoArguments, Pool, QueryBuilder, SqlSafeStr,
    Statement as _, TypeInfo,
};
use tokio::sync::mpsc;

use super::{Bound, Piece, ROWS_PER_CHUNK, Row, Statement, classify};
use crate::types::{Column, ColumnKind, DbTimeZone, MicrosParam};

/// A dialect's driver-specific parts.
pub(super) trait Driver: Send + Sync {
    type Db: Database;

    fn pool(&self) -> &Pool<Self::Db>;

    /// Pushes `bound` as a parameter (a dialect may add a cast after it).
    fn bind(&self, builder: &mut QueryBuilder<Self::Db>, bound: &Bound<'_>) -> ConnectResult<()>;

    /// A row's values, per `columns`.
    fn decode(&self, row: &<Self::Db as Database>::Row, columns: &[Column]) -> ConnectResult<Row>;

    /// The kind of a query result column from the driver's type name.
    fn kind_of_type_name(&self, name: &str) -> ColumnKind;
}

/// Binds a microsecond position (`ColumnKind::Micros`) as its date, timestamp or zoned
/// timestamp; `false` when `bound` is something else (for the dialect to bind).
pub(super) fn bind_micros<DB>(
    builder: &mut QueryBuilder<DB>,
    bound: &Bound<'_>,
    zone: DbTimeZone,
) -> ConnectResult<bool>
where
    DB: Database,
    for<'t> NaiveDate: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> NaiveDateTime: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> DateTime<Utc>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let (Value::Int64(micros), ColumnKind::Micros(temporal)) =
        (bound.value.as_ref(), bound.kind.as_ref())
    else {
        return Ok(false);
    };
    match MicrosParam::new(*micros, *temporal, zone)? {
        MicrosParam::Date(d) => builder.push_bind(d),
        MicrosParam::Naive(t) => builder.push_bind(t),
        MicrosParam::Zoned(t) => builder.push_bind(t),
    };
    Ok(true)
}

/// A template rendered with its parameters.
fn render<D: Driver>(
    driver: &D,
    template: &[Piece],
    params: &[Bound<'_>],
) -> ConnectResult<QueryBuilder<D::Db>> {
    let mut builder = QueryBuilder::new("");
    for piece in template {
        match piece {
            Piece::Sql(sql) => {
                builder.push(sql.as_str());
            }
            Piece::Param(i) => driver.bind(&mut builder, &params[*i])?,
        }
    }
    Ok(builder)
}

pub(super) async fn ping<D: Driver>(driver: &D, what: &str) -> ConnectResult<()>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    for<'a> <D::Db as Database>::Arguments: IntoArguments<D::Db>,
{
    let mut conn = driver
        .pool()
        .acquire()
        .await
        .map_err(|e| classify(e, what))?;
    (&mut *conn)
        .execute("SELECT 1")
        .await
        .map(|_| ())
        .map_err(|e| classify(e, what))
}

pub(super) async fn describe_query<D: Driver>(driver: &D, sql: &str) -> ConnectResult<Vec<Column>>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
{
    let mut conn = driver
        .pool()
        .acquire()
        .await
        .map_err(|e| classify(e, "cannot prepare the query"))?;
    let statement = (&mut *conn)
        .prepare(AssertSqlSafe(sql.to_owned()).into_sql_str())
        .await
        .map_err(|e| classify(e, "cannot prepare the query"))?;
    Ok(statement
        .columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_owned(),
            kind: driver.kind_of_type_name(c.type_info().name()),
            nullable: true,
        })
        .collect())
}

/// Runs the query and sends the decoded rows to `out` in chunks until the result ends or the
/// receiver is dropped; returns the rows sent.
pub(super) async fn stream<D: Driver>(
    driver: &D,
    template: Vec<Piece>,
    params: Vec<Bound<'static>>,
    columns: Arc<[Column]>,
    out: mpsc::Sender<Vec<Row>>,
) -> ConnectResult<u64>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    for<'a> <D::Db as Database>::Arguments: IntoArguments<D::Db>,
{
    let mut builder = render(driver, &template, &params)?;
    let mut conn = driver
        .pool()
        .acquire()
        .await
        .map_err(|e| classify(e, "query failed"))?;
    let mut rows = builder.build().fetch(&mut *conn);
    let mut sent = 0;
    let mut chunk = Vec::with_capacity(ROWS_PER_CHUNK);
    // The rows decoded before a failure still go out, then the failure.
    let outcome = loop {
        let row = match rows.try_next().await {
            Ok(Some(row)) => row,
            Ok(None) => break Ok(()),
            Err(e) => break Err(classify(e, "query failed")),
        };
        match driver.decode(&row, &columns) {
            Ok(values) => chunk.push(values),
            Err(e) => break Err(e),
        }
        if chunk.len() == ROWS_PER_CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(ROWS_PER_CHUNK));
            if out.send(full).await.is_err() {
                return Ok(sent);
            }
            sent += ROWS_PER_CHUNK as u64;
        }
    };
    if !chunk.is_empty() {
        let count = chunk.len() as u64;
        if out.send(chunk).await.is_ok() {
            sent += count;
        }
    }
    outcome.map(|()| sent)
}

/// Executes the statements in one transaction: all or nothing.
pub(super) async fn execute<D: Driver>(
    driver: &D,
    statements: &[Statement<'_>],
) -> ConnectResult<()>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    for<'a> <D::Db as Database>::Arguments: IntoArguments<D::Db>,
{
    let mut tx = driver
        .pool()
        .begin()
        .await
        .map_err(|e| classify(e, "cannot begin a transaction"))?;
    for statement in statements {
        match statement {
            Statement::Values {
                head,
                width,
                params,
                tail,
            } => {
                let mut builder = QueryBuilder::<D::Db>::new(head.as_str());
                builder.push(" VALUES ");
                for (i, row) in params.chunks((*width).max(1)).enumerate() {
                    builder.push(if i == 0 { "(" } else { ", (" });
                    for (j, bound) in row.iter().enumerate() {
                        if j > 0 {
                            builder.push(", ");
                        }
                        driver.bind(&mut builder, bound)?;
                    }
                    builder.push(")");
                }
                builder.push(tail.as_str());
                run(builder, &mut tx).await?;
            }
            Statement::PerRow {
                template,
                width,
                params,
            } => {
                for row in params.chunks((*width).max(1)) {
                    run(render(driver, template, row)?, &mut tx).await?;
                }
            }
            Statement::Plain(sql) => run(QueryBuilder::new(sql.as_str()), &mut tx).await?,
        }
    }
    tx.commit().await.map_err(|e| classify(e, "cannot commit"))
}

async fn run<DB>(
    mut builder: QueryBuilder<DB>,
    tx: &mut sqlx::Transaction<'_, DB>,
) -> ConnectResult<()>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> DB::Arguments: IntoArguments<DB>,
{
    let sql: String = builder.sql().as_str().chars().take(200).collect();
    builder
        .build()
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(|e| classify(e, &format!("statement failed ({sql}…)")))
}
