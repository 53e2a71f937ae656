//! PostgreSQL.

use std::sync::Arc;

use async_trait::async_trait;
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use connect_api::data::logical::{DECIMAL_PRECISION, LogicalType};
use connect_api::{ConnectError, ConnectResult, FieldType, Schema, Value};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow, Postgres};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row as _};
use tokio::sync::mpsc;

use super::driver::{self, Driver};
use super::{Bound, Dialect, DialectOptions, Piece, Row, Statement, classify};
use crate::types::{
    Column, ColumnKind, DbTimeZone, MICROS_PER_DAY, TableDesc, TableId, Temporal, date_to_days,
    days_to_date, millis_to_time, time_to_millis,
};
use crate::url::ConnectionUrl;

#[derive(Debug)]
pub struct PostgresDialect {
    pool: PgPool,
    zone: DbTimeZone,
}

impl PostgresDialect {
    pub fn open(url: &ConnectionUrl, options: DialectOptions) -> ConnectResult<Self> {
        let connect: PgConnectOptions = url.native.parse().map_err(|e| {
            ConnectError::Config(vec![connect_api::ConfigError::invalid(
                "connection.url",
                &url.redacted(),
                format!("not a PostgreSQL URL: {e}"),
            )])
        })?;
        let connect = connect.options([("TimeZone", "UTC")]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.connect_timeout)
            .connect_lazy_with(connect);
        Ok(Self {
            pool,
            zone: options.time_zone,
        })
    }

    fn decode_row(&self, row: &PgRow, columns: &[Column]) -> ConnectResult<Row> {
        let mut values = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            let failed = |e: sqlx::Error| {
                ConnectError::data(format!("cannot read column '{}': {e}", column.name))
            };
            macro_rules! get {
                ($t:ty) => {
                    row.try_get::<Option<$t>, _>(i).map_err(failed)?
                };
            }
            let value = match &column.kind {
                ColumnKind::Bool => get!(bool).map(Value::Boolean),
                ColumnKind::Int8 | ColumnKind::Int16 | ColumnKind::UInt8 => {
                    get!(i16).map(Value::Int16)
                }
                ColumnKind::Int32 | ColumnKind::UInt16 => get!(i32).map(Value::Int32),
                ColumnKind::Int64 | ColumnKind::UInt32 => get!(i64).map(Value::Int64),
                ColumnKind::Float32 => get!(f32).map(Value::Float32),
                ColumnKind::Float64 => get!(f64).map(Value::Float64),
                ColumnKind::UInt64 | ColumnKind::Decimal { .. } => {
                    let scale = match column.kind {
                        ColumnKind::Decimal { scale, .. } => scale,
                        _ => 0,
                    };
                    get!(BigDecimal).map(|d| Value::Decimal(d.with_scale(i64::from(scale))))
                }
                ColumnKind::Date => get!(NaiveDate).map(|d| Value::Date(date_to_days(d))),
                ColumnKind::Time => get!(NaiveTime).map(|t| Value::Time(time_to_millis(t))),
                ColumnKind::Timestamp => {
                    get!(NaiveDateTime).map(|t| Value::Timestamp(self.zone.naive_to_millis(t)))
                }
                ColumnKind::TimestampTz => {
                    get!(DateTime<Utc>).map(|t| Value::Timestamp(t.timestamp_millis()))
                }
                ColumnKind::Json => {
                    get!(Json<serde_json::Value>).map(|Json(v)| Value::String(v.to_string()))
                }
                ColumnKind::Text | ColumnKind::Other(_) => get!(String).map(Value::String),
                ColumnKind::Bytes => get!(Vec<u8>).map(Value::Bytes),
                ColumnKind::Micros(Temporal::Date) => get!(NaiveDate)
                    .map(|d| Value::Int64(i64::from(date_to_days(d)) * MICROS_PER_DAY)),
                ColumnKind::Micros(Temporal::Naive) => {
                    get!(NaiveDateTime).map(|t| Value::Int64(self.zone.naive_to_micros(t)))
                }
                ColumnKind::Micros(Temporal::Zoned) => {
                    get!(DateTime<Utc>).map(|t| Value::Int64(t.timestamp_micros()))
                }
            };
            values.push(value.unwrap_or(Value::Null));
        }
        Ok(values)
    }

    fn bind_value(
        &self,
        builder: &mut QueryBuilder<Postgres>,
        bound: &Bound<'_>,
    ) -> ConnectResult<()> {
        // NULLs are typed: PostgreSQL refuses a text NULL for an integer column.
        if bound.value.is_null() {
            match bound.kind.as_ref() {
                ColumnKind::Bool => builder.push_bind(None::<bool>),
                ColumnKind::Int8 | ColumnKind::Int16 | ColumnKind::UInt8 => {
                    builder.push_bind(None::<i16>)
                }
                ColumnKind::Int32 | ColumnKind::UInt16 => builder.push_bind(None::<i32>),
                ColumnKind::Int64 | ColumnKind::UInt32 => builder.push_bind(None::<i64>),
                ColumnKind::Float32 => builder.push_bind(None::<f32>),
                ColumnKind::Float64 => builder.push_bind(None::<f64>),
                ColumnKind::UInt64 | ColumnKind::Decimal { .. } => {
                    builder.push_bind(None::<BigDecimal>)
                }
                ColumnKind::Date => builder.push_bind(None::<NaiveDate>),
                ColumnKind::Time => builder.push_bind(None::<NaiveTime>),
                ColumnKind::Timestamp => builder.push_bind(None::<NaiveDateTime>),
                ColumnKind::TimestampTz => builder.push_bind(None::<DateTime<Utc>>),
                ColumnKind::Json => builder.push_bind(None::<Json<serde_json::Value>>),
                ColumnKind::Bytes => builder.push_bind(None::<Vec<u8>>),
                ColumnKind::Text => builder.push_bind(None::<String>),
                ColumnKind::Micros(_) => builder.push_bind(None::<i64>),
                ColumnKind::Other(type_name) => {
                    builder.push_bind(None::<String>);
                    builder.push(format!("::{type_name}"))
                }
            };
            return Ok(());
        }
        if driver::bind_micros(builder, bound, self.zone)? {
            return Ok(());
        }
        match (bound.value.as_ref(), bound.kind.as_ref()) {
            (Value::String(v), ColumnKind::Json) => {
                let json: serde_json::Value = serde_json::from_str(v).map_err(|e| {
                    ConnectError::data(format!("not a JSON document for a json column: {e}"))
                })?;
                builder.push_bind(Json(json))
            }
            (Value::String(v), ColumnKind::Other(type_name)) => {
                builder.push_bind(v.clone());
                builder.push(format!("::{type_name}"))
            }
            (Value::Boolean(v), _) => builder.push_bind(*v),
            (Value::Int8(v), _) => builder.push_bind(i16::from(*v)),
            (Value::Int16(v), _) => builder.push_bind(*v),
            (Value::Int32(v), _) => builder.push_bind(*v),
            (Value::Int64(v), _) => builder.push_bind(*v),
            (Value::Float32(v), _) => builder.push_bind(*v),
            (Value::Float64(v), _) => builder.push_bind(*v),
            (Value::Decimal(v), _) => builder.push_bind(v.clone()),
            (Value::Date(days), _) => builder.push_bind(days_to_date(*days)?),
            (Value::Time(millis), _) => builder.push_bind(millis_to_time(*millis)?),
            (Value::Timestamp(millis), ColumnKind::TimestampTz) => {
                builder.push_bind(DateTime::<Utc>::from_timestamp_millis(*millis).ok_or_else(
                    || ConnectError::data(format!("timestamp {millis} ms is out of range")),
                )?)
            }
            (Value::Timestamp(millis), _) => builder.push_bind(self.zone.millis_to_naive(*millis)?),
            (Value::String(v), _) => builder.push_bind(v.clone()),
            (Value::Bytes(v), _) => builder.push_bind(v.clone()),
            (other, _) => {
                return Err(ConnectError::data(format!(
                    "a {} value cannot be bound to a PostgreSQL column",
                    other.type_name()
                )));
            }
        };
        Ok(())
    }
}

/// The kind of a column from `information_schema.columns` (`data_type`, `udt_name`).
fn kind_of(
    data_type: &str,
    udt_name: &str,
    scale: Option<i32>,
    precision: Option<u32>,
) -> ColumnKind {
    match data_type {
        "boolean" => ColumnKind::Bool,
        "smallint" => ColumnKind::Int16,
        "integer" => ColumnKind::Int32,
        "bigint" => ColumnKind::Int64,
        "real" => ColumnKind::Float32,
        "double precision" => ColumnKind::Float64,
        // Unconstrained NUMERIC has no fixed scale, which a Decimal schema needs: carried as
        // its exact text.
        "numeric" => match scale {
            Some(scale) => ColumnKind::Decimal { scale, precision },
            None => ColumnKind::Other("numeric".into()),
        },
        "date" => ColumnKind::Date,
        "time without time zone" => ColumnKind::Time,
        "timestamp without time zone" => ColumnKind::Timestamp,
        "timestamp with time zone" => ColumnKind::TimestampTz,
        "text" | "character varying" | "character" | "name" => ColumnKind::Text,
        "bytea" => ColumnKind::Bytes,
        "json" | "jsonb" => ColumnKind::Json,
        "USER-DEFINED" | "ARRAY" => ColumnKind::Other(udt_name.to_owned()),
        other => ColumnKind::Other(other.to_owned()),
    }
}

/// The kind of a query result column from the driver's type name (query mode).
fn kind_of_type_name(name: &str) -> ColumnKind {
    match name.to_ascii_uppercase().as_str() {
        "BOOL" => ColumnKind::Bool,
        "INT2" => ColumnKind::Int16,
        "INT4" => ColumnKind::Int32,
        "INT8" => ColumnKind::Int64,
        "FLOAT4" => ColumnKind::Float32,
        "FLOAT8" => ColumnKind::Float64,
        "DATE" => ColumnKind::Date,
        "TIME" => ColumnKind::Time,
        "TIMESTAMP" => ColumnKind::Timestamp,
        "TIMESTAMPTZ" => ColumnKind::TimestampTz,
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => ColumnKind::Text,
        "BYTEA" => ColumnKind::Bytes,
        "JSON" | "JSONB" => ColumnKind::Json,
        other => ColumnKind::Other(other.to_ascii_lowercase()),
    }
}

impl Driver for PostgresDialect {
    type Db = Postgres;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn bind(&self, builder: &mut QueryBuilder<Postgres>, bound: &Bound<'_>) -> ConnectResult<()> {
        self.bind_value(builder, bound)
    }

    fn decode(&self, row: &PgRow, columns: &[Column]) -> ConnectResult<Row> {
        self.decode_row(row, columns)
    }

    fn kind_of_type_name(&self, name: &str) -> ColumnKind {
        kind_of_type_name(name)
    }
}

#[async_trait]
impl Dialect for PostgresDialect {
    fn name(&self) -> &'static str {
        "PostgreSQL"
    }

    fn quote(&self, identifier: &str) -> String {
        format!("\"{}\"", identifier.replace('"', "\"\""))
    }

    fn select_expr(&self, column: &Column) -> String {
        match column.kind {
            ColumnKind::Other(_) => format!("{}::text", self.quote(&column.name)),
            _ => self.quote(&column.name),
        }
    }

    async fn ping(&self) -> ConnectResult<()> {
        driver::ping(self, "cannot reach the PostgreSQL server").await
    }

    async fn list_tables(&self, table_types: &[String]) -> ConnectResult<Vec<TableId>> {
        let types: Vec<String> = table_types
            .iter()
            .map(|t| {
                if t.eq_ignore_ascii_case("TABLE") {
                    "BASE TABLE".to_owned()
                } else {
                    t.to_ascii_uppercase()
                }
            })
            .collect();
        let rows = sqlx::query(
            "SELECT table_schema::text, table_name::text FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
             AND table_type::text = ANY($1) ORDER BY 1, 2",
        )
        .bind(types)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| classify(e, "cannot list tables"))?;
        rows.iter()
            .map(|row| {
                Ok(TableId {
                    schema: Some(row.try_get(0)?),
                    name: row.try_get(1)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| classify(e, "table list"))
    }

    async fn describe(&self, table: &TableId) -> ConnectResult<Option<TableDesc>> {
        let context = format!("cannot describe table {table}");
        let rows = sqlx::query(
            "SELECT column_name::text, data_type::text, udt_name::text, is_nullable::text, \
             numeric_precision::int4, numeric_scale::int4 FROM information_schema.columns \
             WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2 \
             ORDER BY ordinal_position",
        )
        .bind(table.schema.clone())
        .bind(table.name.clone())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| classify(e, &context))?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut columns = Vec::with_capacity(rows.len());
        for row in &rows {
            let text = |i: usize| -> ConnectResult<String> {
                row.try_get::<String, _>(i)
                    .map_err(|e| classify(e, &context))
            };
            let precision: Option<i32> = row.try_get(4).map_err(|e| classify(e, &context))?;
            let scale: Option<i32> = row.try_get(5).map_err(|e| classify(e, &context))?;
            columns.push(Column {
                name: text(0)?,
                kind: kind_of(
                    &text(1)?,
                    &text(2)?,
                    scale,
                    precision.and_then(|p| u32::try_from(p).ok()),
                ),
                nullable: text(3)? == "YES",
            });
        }
        let primary_key: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = to_regclass($1) AND i.indisprimary \
             ORDER BY array_position(i.indkey, a.attnum)",
        )
        .bind(self.table_sql(table))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| classify(e, &context))?;
        Ok(Some(TableDesc {
            id: table.clone(),
            columns: columns.into(),
            primary_key,
        }))
    }

    async fn describe_query(&self, sql: &str) -> ConnectResult<Vec<Column>> {
        driver::describe_query(self, sql).await
    }

    async fn now_millis(&self) -> ConnectResult<i64> {
        sqlx::query_scalar::<_, i64>("SELECT (extract(epoch from clock_timestamp()) * 1000)::int8")
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
            Some(LogicalType::Decimal { scale }) => {
                let scale = scale.clamp(0, 1000);
                let precision = schema
                    .parameters()
                    .get(DECIMAL_PRECISION)
                    .and_then(|p| p.parse::<i32>().ok())
                    .unwrap_or(38)
                    .clamp(scale.max(1), 1000);
                return format!("NUMERIC({precision},{scale})");
            }
            Some(LogicalType::Date) => return "DATE".into(),
            Some(LogicalType::Time) => return "TIME(3)".into(),
            Some(LogicalType::Timestamp) => return "TIMESTAMP(3)".into(),
            None => {}
        }
        match schema.field_type() {
            FieldType::Boolean => "BOOLEAN",
            FieldType::Int8 | FieldType::Int16 => "SMALLINT",
            FieldType::Int32 => "INTEGER",
            FieldType::Int64 => "BIGINT",
            FieldType::Float32 => "REAL",
            FieldType::Float64 => "DOUBLE PRECISION",
            FieldType::Bytes => "BYTEA",
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

/// `ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c` (PostgreSQL and SQLite).
pub(super) fn upsert_on_conflict(
    dialect: &dyn Dialect,
    columns: &[String],
    key_columns: &[String],
) -> String {
    let keys: Vec<String> = key_columns.iter().map(|c| dialect.quote(c)).collect();
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| !key_columns.contains(c))
        .map(|c| format!("{0} = EXCLUDED.{0}", dialect.quote(c)))
        .collect();
    if updates.is_empty() {
        format!(" ON CONFLICT ({}) DO NOTHING", keys.join(", "))
    } else {
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            keys.join(", "),
            updates.join(", ")
        )
    }
}
