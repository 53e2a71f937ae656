//! SQLite, embedded. Column kinds come from the declared types (SQLite itself stores any value
//! in any column); decimals are stored as their exact text.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use connect_api::data::logical::{DECIMAL_PRECISION, LogicalType};
use connect_api::{ConnectError, ConnectResult, FieldType, Schema, Value};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use sqlx::{AssertSqlSafe, QueryBuilder, Row as _, TypeInfo, ValueRef as _};
use tokio::sync::mpsc;

use super::driver::{self, Driver};
use super::postgres::upsert_on_conflict;
use super::{Bound, Dialect, DialectOptions, Piece, Row, Statement, classify, precision_scale};
use crate::types::{
    Column, ColumnKind, DbTimeZone, MICROS_PER_DAY, TableDesc, TableId, Temporal, date_to_days,
    days_to_date, millis_to_time, time_to_millis,
};
use crate::url::ConnectionUrl;

#[derive(Debug)]
pub struct SqliteDialect {
    pool: SqlitePool,
    zone: DbTimeZone,
}

impl SqliteDialect {
    pub fn open(url: &ConnectionUrl, options: DialectOptions) -> ConnectResult<Self> {
        let connect = SqliteConnectOptions::from_str(&url.native).map_err(|e| {
            ConnectError::Config(vec![connect_api::ConfigError::invalid(
                "connection.url",
                &url.redacted(),
                format!("not a SQLite URL: {e}"),
            )])
        })?;
        // WAL lets a reader and a writer work at once; the busy timeout waits out the other
        // writer instead of failing at once.
        let connect = connect
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.connect_timeout)
            .connect_lazy_with(connect);
        Ok(Self {
            pool,
            zone: options.time_zone,
        })
    }

    fn decode_row(&self, row: &SqliteRow, columns: &[Column]) -> ConnectResult<Row> {
        let mut values = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            let failed = |e: sqlx::Error| {
                ConnectError::data(format!("cannot read column '{}': {e}", column.name))
            };
            let raw = row.try_get_raw(i).map_err(failed)?;
            if raw.is_null() {
                values.push(Value::Null);
                continue;
            }
            let storage = raw.type_info().name().to_owned();
            macro_rules! get {
                ($t:ty) => {
                    row.try_get_unchecked::<$t, _>(i).map_err(failed)?
                };
            }
            let narrow = |n: i64| {
                ConnectError::data(format!(
                    "column '{}' holds {n}, too wide for {:?}",
                    column.name, column.kind
                ))
            };
            let value = match &column.kind {
                ColumnKind::Bool => Value::Boolean(get!(i64) != 0),
                ColumnKind::Int8 => {
                    let n = get!(i64);
                    Value::Int8(i8::try_from(n).map_err(|_| narrow(n))?)
                }
                ColumnKind::Int16 | ColumnKind::UInt8 => {
                    let n = get!(i64);
                    Value::Int16(i16::try_from(n).map_err(|_| narrow(n))?)
                }
                ColumnKind::Int32 | ColumnKind::UInt16 => {
                    let n = get!(i64);
                    Value::Int32(i32::try_from(n).map_err(|_| narrow(n))?)
                }
                ColumnKind::Int64 | ColumnKind::UInt32 => Value::Int64(get!(i64)),
                #[allow(clippy::cast_possible_truncation)]
                ColumnKind::Float32 => Value::Float32(get!(f64) as f32),
                ColumnKind::Float64 => Value::Float64(get!(f64)),
                ColumnKind::UInt64 | ColumnKind::Decimal { .. } => {
                    let scale = match column.kind {
                        ColumnKind::Decimal { scale, .. } => scale,
                        _ => 0,
                    };
                    let decimal = match storage.as_str() {
                        "INTEGER" => BigDecimal::from(get!(i64)),
                        "REAL" => BigDecimal::try_from(get!(f64)).map_err(|e| {
                            ConnectError::data(format!("column '{}': {e}", column.name))
                        })?,
                        _ => {
                            let text = get!(String);
                            BigDecimal::from_str(text.trim()).map_err(|e| {
                                ConnectError::data(format!(
                                    "column '{}' holds '{text}', not a decimal: {e}",
                                    column.name
                                ))
                            })?
                        }
                    };
                    Value::Decimal(decimal.with_scale(i64::from(scale)))
                }
                ColumnKind::Date => Value::Date(date_to_days(get!(NaiveDate))),
                ColumnKind::Time => Value::Time(time_to_millis(get!(NaiveTime))),
                ColumnKind::Timestamp => {
                    Value::Timestamp(self.zone.naive_to_millis(get!(NaiveDateTime)))
                }
                ColumnKind::TimestampTz => Value::Timestamp(get!(DateTime<Utc>).timestamp_millis()),
                ColumnKind::Bytes => Value::Bytes(get!(Vec<u8>)),
                ColumnKind::Micros(Temporal::Date) => {
                    Value::Int64(i64::from(date_to_days(get!(NaiveDate))) * MICROS_PER_DAY)
                }
                ColumnKind::Micros(Temporal::Naive) => {
                    Value::Int64(self.zone.naive_to_micros(get!(NaiveDateTime)))
                }
                ColumnKind::Micros(Temporal::Zoned) => {
                    Value::Int64(get!(DateTime<Utc>).timestamp_micros())
                }
                ColumnKind::Text | ColumnKind::Json | ColumnKind::Other(_) => {
                    Value::String(get!(String))
                }
            };
            values.push(value);
        }
        Ok(values)
    }

    fn bind_value(
        &self,
        builder: &mut QueryBuilder<Sqlite>,
        bound: &Bound<'_>,
    ) -> ConnectResult<()> {
        if driver::bind_micros(builder, bound, self.zone)? {
            return Ok(());
        }
        match bound.value.as_ref() {
            Value::Null => builder.push_bind(None::<String>),
            Value::Boolean(v) => builder.push_bind(*v),
            Value::Int8(v) => builder.push_bind(i32::from(*v)),
            Value::Int16(v) => builder.push_bind(i32::from(*v)),
            Value::Int32(v) => builder.push_bind(*v),
            Value::Int64(v) => builder.push_bind(*v),
            Value::Float32(v) => builder.push_bind(f64::from(*v)),
            Value::Float64(v) => builder.push_bind(*v),
            Value::Decimal(v) => builder.push_bind(super::text::decimal(v)),
            Value::Date(days) => builder.push_bind(days_to_date(*days)?),
            Value::Time(millis) => builder.push_bind(millis_to_time(*millis)?),
            Value::Timestamp(millis) => match *bound.kind {
                ColumnKind::TimestampTz => {
                    builder.push_bind(DateTime::<Utc>::from_timestamp_millis(*millis).ok_or_else(
                        || ConnectError::data(format!("timestamp {millis} ms is out of range")),
                    )?)
                }
                // The text sqlx would store for the NaiveDateTime, written faster.
                _ => {
                    builder.push_bind(super::text::timestamp(&self.zone.millis_to_naive(*millis)?))
                }
            },
            Value::String(v) => builder.push_bind(v.clone()),
            Value::Bytes(v) => builder.push_bind(v.clone()),
            other => {
                return Err(ConnectError::data(format!(
                    "a {} value cannot be bound to a SQLite column",
                    other.type_name()
                )));
            }
        };
        Ok(())
    }
}

/// The kind of a column from its declared type.
fn kind_of(declared: &str) -> ColumnKind {
    let upper = declared.trim().to_ascii_uppercase();
    let base = upper.split('(').next().unwrap_or("").trim();
    if base.starts_with("DECIMAL") || base.starts_with("NUMERIC") {
        let (precision, scale) = precision_scale(&upper);
        return ColumnKind::Decimal {
            scale: scale.unwrap_or(0),
            precision,
        };
    }
    match base {
        "BOOLEAN" | "BOOL" => ColumnKind::Bool,
        "TINYINT" => ColumnKind::Int8,
        "SMALLINT" | "INT2" => ColumnKind::Int16,
        "MEDIUMINT" | "INT4" => ColumnKind::Int32,
        "FLOAT" => ColumnKind::Float32,
        "REAL" | "DOUBLE" | "DOUBLE PRECISION" => ColumnKind::Float64,
        "DATE" => ColumnKind::Date,
        "TIME" => ColumnKind::Time,
        "DATETIME" | "TIMESTAMP" => ColumnKind::Timestamp,
        "TIMESTAMPTZ" => ColumnKind::TimestampTz,
        "JSON" => ColumnKind::Json,
        "" | "BLOB" => ColumnKind::Bytes,
        other if other.contains("INT") => ColumnKind::Int64,
        other if other.contains("CHAR") || other.contains("CLOB") || other.contains("TEXT") => {
            ColumnKind::Text
        }
        other if other.contains("BLOB") || other.contains("BINARY") => ColumnKind::Bytes,
        other => ColumnKind::Other(other.to_ascii_lowercase()),
    }
}

impl Driver for SqliteDialect {
    type Db = Sqlite;

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn bind(&self, builder: &mut QueryBuilder<Sqlite>, bound: &Bound<'_>) -> ConnectResult<()> {
        self.bind_value(builder, bound)
    }

    fn decode(&self, row: &SqliteRow, columns: &[Column]) -> ConnectResult<Row> {
        self.decode_row(row, columns)
    }

    fn kind_of_type_name(&self, name: &str) -> ColumnKind {
        kind_of(name)
    }
}

#[async_trait]
impl Dialect for SqliteDialect {
    fn name(&self) -> &'static str {
        "SQLite"
    }

    fn quote(&self, identifier: &str) -> String {
        format!("\"{}\"", identifier.replace('"', "\"\""))
    }

    async fn ping(&self) -> ConnectResult<()> {
        driver::ping(self, "cannot open the SQLite database").await
    }

    async fn list_tables(&self, table_types: &[String]) -> ConnectResult<Vec<TableId>> {
        let types: Vec<String> = table_types.iter().map(|t| t.to_ascii_lowercase()).collect();
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| classify(e, "cannot list tables"))?;
        Ok(rows
            .into_iter()
            .filter(|(_, kind)| types.contains(kind))
            .map(|(name, _)| TableId { schema: None, name })
            .collect())
    }

    async fn describe(&self, table: &TableId) -> ConnectResult<Option<TableDesc>> {
        let context = format!("cannot describe table {table}");
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info({})",
            self.quote(&table.name).replace('"', "'")
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| classify(e, &context))?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut keyed: Vec<(i64, String)> = rows
            .iter()
            .filter(|(_, _, _, pk)| *pk > 0)
            .map(|(name, _, _, pk)| (*pk, name.clone()))
            .collect();
        keyed.sort();
        let columns: Vec<Column> = rows
            .into_iter()
            // An INTEGER PRIMARY KEY is the rowid, never NULL, though PRAGMA says nullable.
            .map(|(name, declared, not_null, pk)| Column {
                name,
                kind: kind_of(&declared),
                nullable: not_null == 0 && pk == 0,
            })
            .collect();
        Ok(Some(TableDesc {
            id: table.clone(),
            columns: columns.into(),
            primary_key: keyed.into_iter().map(|(_, name)| name).collect(),
        }))
    }

    async fn describe_query(&self, sql: &str) -> ConnectResult<Vec<Column>> {
        driver::describe_query(self, sql).await
    }

    async fn now_millis(&self) -> ConnectResult<i64> {
        sqlx::query_scalar::<_, i64>(
            "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| classify(e, "cannot read the database time"))
    }

    async fn stream(
        &self,
        template: Vec<Piece>,
        params: Vec<Bound<'static>>,
        columns: Arc<[Column]>,
        out: mpsc::Sender<Vec<Row>>,
    ) -> ConnectResult<u64> {
        driver::stream(self, template, params, columns, out).await
    }

    async fn execute(&self, statements: &[Statement<'_>]) -> ConnectResult<()> {
        driver::execute(self, statements).await
    }

    fn column_type(&self, schema: &Schema, _key: bool) -> String {
        match schema.logical_type() {
            // Declared so that SQLite gives it TEXT affinity (exact digits), while the name
            // still tells the reader it is a decimal of this scale.
            Some(LogicalType::Decimal { scale }) => {
                let precision = schema
                    .parameters()
                    .get(DECIMAL_PRECISION)
                    .and_then(|p| p.parse::<i32>().ok())
                    .unwrap_or(38);
                return format!("DECIMAL_TEXT({precision},{scale})");
            }
            Some(LogicalType::Date) => return "DATE".into(),
            Some(LogicalType::Time) => return "TIME".into(),
            Some(LogicalType::Timestamp) => return "DATETIME".into(),
            None => {}
        }
        match schema.field_type() {
            FieldType::Boolean => "BOOLEAN",
            FieldType::Int8 => "TINYINT",
            FieldType::Int16 => "SMALLINT",
            FieldType::Int32 => "MEDIUMINT",
            FieldType::Int64 => "INTEGER",
            FieldType::Float32 => "FLOAT",
            FieldType::Float64 => "DOUBLE",
            FieldType::Bytes => "BLOB",
            _ => "TEXT",
        }
        .to_owned()
    }

    fn upsert_tail(&self, columns: &[String], key_columns: &[String]) -> String {
        upsert_on_conflict(self, columns, key_columns)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
