//! The [`Dialect`] trait — what the Java connector's dialect SPI does — and its three
//! implementations. A dialect owns its connection pool and knows its database's SQL: identifier
//! quoting, metadata queries, type names for `auto.create`, the upsert form, and how each column
//! kind is read from a row and bound to a statement.
//!
//! Rows are streamed ([`Dialect::stream`]) into a bounded channel: a table is never loaded into
//! memory, and a slow consumer slows the read.
//!
//! `driver` holds what the three share over sqlx; `text` writes decimals and timestamps as
//! the text SQLite stores, without the libraries' general formatters.

mod driver;
mod mysql;
mod postgres;
mod sqlite;
pub mod text;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{ConnectError, ConnectResult, Schema, Value};
use tokio::sync::mpsc;

use crate::types::{Column, ColumnKind, DbTimeZone, TableDesc, TableId};
use crate::url::{ConnectionUrl, DialectKind};

/// One row's values, in the order of the columns it was read with.
pub type Row = Vec<Value>;

/// Rows travel from the query to the task in chunks: one channel hand-over (and wake-up) per
/// chunk rather than per row.
pub const ROWS_PER_CHUNK: usize = 256;

/// A value bound to a statement, already coerced to its column's kind. Borrowed from the
/// record and the table's description where it can be: the sink copies a value once, into the
/// driver's arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound<'a> {
    pub value: Cow<'a, Value>,
    pub kind: Cow<'a, ColumnKind>,
}

impl Bound<'static> {
    /// A parameter that owns its value and kind (a query's, built per poll).
    pub fn owned(value: Value, kind: ColumnKind) -> Self {
        Self {
            value: Cow::Owned(value),
            kind: Cow::Owned(kind),
        }
    }
}

/// A piece of a statement template: SQL text, or the row's parameter at an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Sql(String),
    Param(usize),
}

/// A write, executed with others in one transaction by [`Dialect::execute`]. Rows are laid
/// end to end in one vector, `width` parameters each.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement<'a> {
    /// `head VALUES (row), (row), … tail` — one statement for many rows.
    Values {
        head: String,
        width: usize,
        params: Vec<Bound<'a>>,
        tail: String,
    },
    /// The template run once per row (UPDATE, DELETE).
    PerRow {
        template: Vec<Piece>,
        width: usize,
        params: Vec<Bound<'a>>,
    },
    /// A statement without parameters (DDL).
    Plain(String),
}

/// Options every dialect gets at open.
#[derive(Debug, Clone)]
pub struct DialectOptions {
    pub time_zone: DbTimeZone,
    /// How long to wait for a connection before the call fails (retriably).
    pub connect_timeout: Duration,
    pub max_connections: u32,
}

impl Default for DialectOptions {
    fn default() -> Self {
        Self {
            time_zone: DbTimeZone::UTC,
            connect_timeout: Duration::from_secs(10),
            max_connections: 2,
        }
    }
}

/// A database's SQL and access. Object safe: connectors hold an `Arc<dyn Dialect>`.
#[async_trait]
pub trait Dialect: Send + Sync + std::fmt::Debug {
    /// `MySQL`, `PostgreSQL`, `SQLite`.
    fn name(&self) -> &'static str;

    /// An identifier quoted for this database.
    fn quote(&self, identifier: &str) -> String;

    /// A table's qualified, quoted name.
    fn table_sql(&self, table: &TableId) -> String {
        match &table.schema {
            Some(schema) => format!("{}.{}", self.quote(schema), self.quote(&table.name)),
            None => self.quote(&table.name),
        }
    }

    /// The expression selecting `column` (a dialect may cast kinds it cannot decode to text).
    fn select_expr(&self, column: &Column) -> String {
        self.quote(&column.name)
    }

    /// Checks that the database answers (validation, start-up).
    async fn ping(&self) -> ConnectResult<()>;

    /// The tables (of `table.types`, e.g. `TABLE`, `VIEW`) visible to the connection.
    async fn list_tables(&self, table_types: &[String]) -> ConnectResult<Vec<TableId>>;

    /// A table's columns and primary key; `None` when it does not exist.
    async fn describe(&self, table: &TableId) -> ConnectResult<Option<TableDesc>>;

    /// The columns a query returns.
    async fn describe_query(&self, sql: &str) -> ConnectResult<Vec<Column>>;

    /// The database's current time, milliseconds since the epoch.
    async fn now_millis(&self) -> ConnectResult<i64>;

    /// Runs the query `template` with `params` and sends its rows, decoded per `columns`, to
    /// `out` in chunks of up to [`ROWS_PER_CHUNK`] until the result ends or the receiver is
    /// dropped; returns the rows sent. Errors end the stream (after the rows before them) and
    /// are returned.
    async fn stream(
        &self,
        template: Vec<Piece>,
        params: Vec<Bound<'static>>,
        columns: Arc<[Column]>,
        out: mpsc::Sender<Vec<Row>>,
    ) -> ConnectResult<u64>;

    /// Executes the statements in one transaction: all or nothing.
    async fn execute(&self, statements: &[Statement<'_>]) -> ConnectResult<()>;

    /// The column type `auto.create` / `auto.evolve` give a field of `schema` (`key`: part of
    /// the primary key, which some databases require to be bounded).
    fn column_type(&self, schema: &Schema, key: bool) -> String;

    /// What follows `INSERT … VALUES …` to make it an upsert on `key_columns`.
    fn upsert_tail(&self, columns: &[String], key_columns: &[String]) -> String;

    /// Closes the pool.
    async fn close(&self);
}

/// Opens the dialect `url` selects (or `forced`, from `dialect.name`). Connections are made
/// lazily: opening never fails for an unreachable database, the first call does.
pub fn open(
    url: &ConnectionUrl,
    forced: Option<DialectKind>,
    options: DialectOptions,
) -> ConnectResult<Arc<dyn Dialect>> {
    Ok(match forced.unwrap_or(url.kind) {
        DialectKind::MySql => Arc::new(mysql::MySqlDialect::open(url, options)?),
        DialectKind::Postgres => Arc::new(postgres::PostgresDialect::open(url, options)?),
        DialectKind::Sqlite => Arc::new(sqlite::SqliteDialect::open(url, options)?),
    })
}

/// Sorts a driver error into the runtime's categories: connection trouble is retriable, a
/// statement the database refused (constraint, type, syntax) is a data error.
pub(crate) fn classify(error: sqlx::Error, context: &str) -> ConnectError {
    use sqlx::Error as E;
    match &error {
        E::Io(_)
        | E::PoolTimedOut
        | E::PoolClosed
        | E::WorkerCrashed
        | E::Protocol(_)
        | E::Tls(_) => ConnectError::retriable(format!("{context}: {error}")),
        E::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // SQLSTATE classes: 08 connection, 40 rollback (deadlock, serialization),
            // 53 resources, 57 operator intervention (shutdown), HY000 with MySQL's
            // "server has gone away"-style messages.
            let transient = ["08", "40", "53", "57"].iter().any(|c| code.starts_with(c))
                || db.message().contains("Lock wait timeout")
                || db.message().contains("database is locked");
            if transient {
                ConnectError::retriable(format!("{context}: {error}"))
            } else {
                ConnectError::data(format!("{context}: {error}"))
            }
        }
        E::ColumnDecode { .. } | E::Decode(_) | E::Encode(_) => {
            ConnectError::data(format!("{context}: {error}"))
        }
        _ => ConnectError::other(format!("{context}: {error}")),
    }
}

/// Parses `NAME(p,s)` / `NAME(p)` precision and scale.
pub(crate) fn precision_scale(declared: &str) -> (Option<u32>, Option<i32>) {
    let Some(open) = declared.find('(') else {
        return (None, None);
    };
    let inner = declared[open + 1..].split(')').next().unwrap_or("");
    let mut parts = inner.split(',').map(|p| p.trim().parse::<i64>().ok());
    let precision = parts.next().flatten().and_then(|p| u32::try_from(p).ok());
    let scale = parts.next().flatten().and_then(|s| i32::try_from(s).ok());
    (precision, scale)
}
