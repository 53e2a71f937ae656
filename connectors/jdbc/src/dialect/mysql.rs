//! MySQL and MariaDB.

use std::sync::Arc;

use async_trait::async_trait;
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use connect_api::data::logical::LogicalType;
use connect_api::{ConnectError, ConnectResult, FieldType, Schema, Value};
use sqlx::mysql::{MySql, MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow};
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
pub struct MySqlDialect {
    pool: MySqlPool,
    zone: DbTimeZone,
}

impl MySqlDialect {
    pub fn open(url: &ConnectionUrl, options: DialectOptions) -> ConnectResult<Self> {
        let connect: MySqlConnectOptions = url.native.parse().map_err(|e| {
            ConnectError::Config(vec![connect_api::ConfigError::invalid(
                "connection.url",
                &url.redacted(),
                format!("not a MySQL URL: {e}"),
            )])
        })?;
        // Sessions in UTC: TIMESTAMP columns are then read and written as UTC instants.
        let connect = connect.timezone(Some("+00:00".to_owned()));
        let pool = MySqlPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.connect_timeout)
            .connect_lazy_with(connect);
        Ok(Self {
            pool,
            zone: options.time_zone,
        })
    }

    fn decode_row(&self, row: &MySqlRow, columns: &[Column]) -> ConnectResult<Row> {
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
                ColumnKind::Int8 => get!(i8).map(Value::Int8),
                ColumnKind::Int16 => get!(i16).map(Value::Int16),
                ColumnKind::UInt8 => get!(u8).map(|v| Value::Int16(v.into())),
                ColumnKind::Int32 => get!(i32).map(Value::Int32),
                ColumnKind::UInt16 => get!(u16).map(|v| Value::Int32(v.into())),
                ColumnKind::Int64 => get!(i64).map(Value::Int64),
                ColumnKind::UInt32 => get!(u32).map(|v| Value::Int64(v.into())),
                ColumnKind::UInt64 => get!(u64).map(|v| Value::Decimal(BigDecimal::from(v))),
                ColumnKind::Float32 => get!(f32).map(Value::Float32),
                ColumnKind::Float64 => get!(f64).map(Value::Float64),
                ColumnKind::Decimal { scale, .. } => {
                    get!(BigDecimal).map(|d| Value::Decimal(d.with_scale(i64::from(*scale))))
                }
                ColumnKind::Date => get!(NaiveDate).map(|d| Value::Date(date_to_days(d))),
                ColumnKind::Time => get!(NaiveTime).map(|t| Value::Time(time_to_millis(t))),
                ColumnKind::Timestamp => {
                    get!(NaiveDateTime).map(|t| Value::Timestamp(self.zone.naive_to_millis(t)))
                }
                ColumnKind::TimestampTz => {
                    get!(DateTime<Utc>).map(|t| Value::Timestamp(t.timestamp_millis()))
                }
                ColumnKind::Text | ColumnKind::Json | ColumnKind::Other(_) => {
                    get!(String).map(Value::String)
                }
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
        builder: &mut QueryBuilder<MySql>,
        bound: &Bound<'_>,
    ) -> ConnectResult<()> {
        if driver::bind_micros(builder, bound, self.zone)? {
            return Ok(());
        }
        match bound.value.as_ref() {
            Value::Null => builder.push_bind(None::<String>),
            Value::Boolean(v) => builder.push_bind(*v),
            Value::Int8(v) => builder.push_bind(*v),
            Value::Int16(v) => builder.push_bind(*v),
            Value::Int32(v) => builder.push_bind(*v),
            Value::Int64(v) => builder.push_bind(*v),
            Value::Float32(v) => builder.push_bind(*v),
            Value::Float64(v) => builder.push_bind(*v),
            Value::Decimal(v) => builder.push_bind(v.clone()),
            Value::Date(days) => builder.push_bind(days_to_date(*days)?),
            Value::Time(millis) => builder.push_bind(millis_to_time(*millis)?),
            Value::Timestamp(millis) => match *bound.kind {
                ColumnKind::TimestampTz => {
                    builder.push_bind(DateTime::<Utc>::from_timestamp_millis(*millis).ok_or_else(
                        || ConnectError::data(format!("timestamp {millis} ms is out of range")),
                    )?)
                }
                _ => builder.push_bind(self.zone.millis_to_naive(*millis)?),
            },
            Value::String(v) => builder.push_bind(v.clone()),
            Value::Bytes(v) => builder.push_bind(v.clone()),
            other => {
                return Err(ConnectError::data(format!(
                    "a {} value cannot be bound to a MySQL column",
                    other.type_name()
                )));
            }
        };
        Ok(())
    }
}

/// The kind of a column from `information_schema.COLUMNS` (`DATA_TYPE`, `COLUMN_TYPE`).
fn kind_of(
    data_type: &str,
    column_type: &str,
    scale: Option<i32>,
    precision: Option<u32>,
) -> ColumnKind {
    let unsigned = column_type.contains("unsigned");
    match data_type {
        "tinyint" if column_type.starts_with("tinyint(1)") => ColumnKind::Bool,
        "bit" if column_type == "bit(1)" => ColumnKind::Bool,
        "tinyint" if unsigned => ColumnKind::UInt8,
        "tinyint" => ColumnKind::Int8,
        "smallint" if unsigned => ColumnKind::UInt16,
        "smallint" => ColumnKind::Int16,
        "mediumint" if unsigned => ColumnKind::UInt32,
        "mediumint" => ColumnKind::Int32,
        "int" | "integer" if unsigned => ColumnKind::UInt32,
        "int" | "integer" => ColumnKind::Int32,
        "bigint" if unsigned => ColumnKind::UInt64,
        "bigint" => ColumnKind::Int64,
        "float" => ColumnKind::Float32,
        "double" | "real" => ColumnKind::Float64,
        "decimal" | "numeric" => ColumnKind::Decimal {
            scale: scale.unwrap_or(0),
            precision,
        },
        "date" => ColumnKind::Date,
        "time" => ColumnKind::Time,
        "datetime" => ColumnKind::Timestamp,
        "timestamp" => ColumnKind::TimestampTz,
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum" | "set" => {
            ColumnKind::Text
        }
        "json" => ColumnKind::Json,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "bit" => {
            ColumnKind::Bytes
        }
        other => ColumnKind::Other(other.to_owned()),
    }
}

/// The kind of a query result column from the driver's type name (query mode).
fn kind_of_type_name(name: &str) -> ColumnKind {
    let lower = name.to_ascii_lowercase();
    let (base, unsigned) = match lower.strip_suffix(" unsigned") {
        Some(base) => (base.to_owned(), " unsigned"),
        None => (lower.clone(), ""),
    };
    let column_type = format!("{base}{unsigned}");
    match base.as_str() {
        "boolean" => ColumnKind::Bool,
        "decimal" => ColumnKind::Decimal {
            scale: 0,
            precision: None,
        },
        "varbinary" | "binary" | "blob" | "tinyblob" | "mediumblob" | "longblob" => {
            ColumnKind::Bytes
        }
        _ => kind_of(&base, &column_type, None, None),
    }
}

impl Driver for MySqlDialect {
    type Db = MySql;

    fn pool(&self) -> &MySqlPool {
        &self.pool
    }

    fn bind(&self, builder: &mut QueryBuilder<MySql>, bound: &Bound<'_>) -> ConnectResult<()> {
        self.bind_value(builder, bound)
    }

    fn decode(&self, row: &MySqlRow, columns: &[Column]) -> ConnectResult<Row> {
        self.decode_row(row, columns)
    }

    fn kind_of_type_name(&self, name: &str) -> ColumnKind {
        kind_of_type_name(name)
    }
}

#[async_trait]
impl Dialect for MySqlDialect {
    fn name(&self) -> &'static str {
        "MySQL"
    }

    fn quote(&self, identifier: &str) -> String {
        format!("`{}`", identifier.replace('`', "``"))
    }

    fn select_expr(&self, column: &Column) -> String {
        match column.kind {
            ColumnKind::Other(_) => format!("CAST({} AS CHAR)", self.quote(&column.name)),
            _ => self.quote(&column.name),
        }
    }

    async fn ping(&self) -> ConnectResult<()> {
        driver::ping(self, "cannot reach the MySQL server").await
    }

    async fn list_tables(&self, table_types: &[String]) -> ConnectResult<Vec<TableId>> {
        let types: Vec<&str> = table_types
            .iter()
            .map(|t| {
                if t.eq_ignore_ascii_case("TABLE") {
                    "BASE TABLE"
                } else {
                    "VIEW"
                }
            })
            .collect();
        let rows = sqlx::query(
            "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(TABLE_TYPE AS CHAR) \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             OR (DATABASE() IS NULL AND TABLE_SCHEMA NOT IN \
                 ('mysql', 'information_schema', 'performance_schema', 'sys')) \
             ORDER BY 1, 2",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| classify(e, "cannot list tables"))?;
        let mut tables = Vec::new();
        for row in rows {
            let kind: String = row.try_get(2).map_err(|e| classify(e, "table list"))?;
            if types.iter().any(|t| t.eq_ignore_ascii_case(&kind)) {
                tables.push(TableId {
                    schema: Some(row.try_get(0).map_err(|e| classify(e, "table list"))?),
                    name: row.try_get(1).map_err(|e| classify(e, "table list"))?,
                });
            }
        }
        Ok(tables)
    }

    async fn describe(&self, table: &TableId) -> ConnectResult<Option<TableDesc>> {
        let context = format!("cannot describe table {table}");
        let rows = sqlx::query(
            "SELECT CAST(COLUMN_NAME AS CHAR), CAST(DATA_TYPE AS CHAR), CAST(COLUMN_TYPE AS CHAR), \
             CAST(IS_NULLABLE AS CHAR), CAST(NUMERIC_PRECISION AS SIGNED), \
             CAST(NUMERIC_SCALE AS SIGNED) \
             FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
             ORDER BY ORDINAL_POSITION",
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
            let get_text = |i: usize| -> ConnectResult<String> {
                row.try_get::<Option<String>, _>(i)
                    .map(Option::unwrap_or_default)
                    .map_err(|e| classify(e, &context))
            };
            let precision: Option<i64> = row.try_get(4).map_err(|e| classify(e, &context))?;
            let scale: Option<i64> = row.try_get(5).map_err(|e| classify(e, &context))?;
            columns.push(Column {
                name: get_text(0)?,
                kind: kind_of(
                    &get_text(1)?.to_ascii_lowercase(),
                    &get_text(2)?.to_ascii_lowercase(),
                    scale.and_then(|s| i32::try_from(s).ok()),
                    precision.and_then(|p| u32::try_from(p).ok()),
                ),
                nullable: get_text(3)? == "YES",
            });
        }
        let keys = sqlx::query(
            "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
             AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
        )
        .bind(table.schema.clone())
        .bind(table.name.clone())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| classify(e, &context))?;
        let primary_key = keys
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()
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
        sqlx::query_scalar::<_, i64>("SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)")
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

    fn column_type(&self, schema: &Schema, key: bool) -> String {
        match schema.logical_type() {
            Some(LogicalType::Decimal { scale }) => {
                let precision = schema
                    .parameters()
                    .get(connect_api::data::logical::DECIMAL_PRECISION)
                    .and_then(|p| p.parse::<i32>().ok())
                    .unwrap_or(65)
                    .clamp(scale.max(1), 65);
                return format!("DECIMAL({precision},{})", scale.clamp(0, 30));
            }
            Some(LogicalType::Date) => return "DATE".into(),
            Some(LogicalType::Time) => return "TIME(3)".into(),
            Some(LogicalType::Timestamp) => return "DATETIME(3)".into(),
            None => {}
        }
        match schema.field_type() {
            FieldType::Boolean => "TINYINT(1)",
            FieldType::Int8 => "TINYINT",
            FieldType::Int16 => "SMALLINT",
            FieldType::Int32 => "INT",
            FieldType::Int64 => "BIGINT",
            FieldType::Float32 => "FLOAT",
            FieldType::Float64 => "DOUBLE",
            FieldType::String if key => "VARCHAR(255)",
            FieldType::Bytes if key => "VARBINARY(255)",
            FieldType::Bytes => "LONGBLOB",
            _ => "LONGTEXT",
        }
        .to_owned()
    }

    fn upsert_tail(&self, columns: &[String], key_columns: &[String]) -> String {
        let updates: Vec<String> = columns
            .iter()
            .filter(|c| !key_columns.contains(c))
            .map(|c| format!("{0}=VALUES({0})", self.quote(c)))
            .collect();
        if updates.is_empty() {
            // Nothing but the key: a duplicate is already the desired row.
            let first = self.quote(&key_columns[0]);
            format!(" ON DUPLICATE KEY UPDATE {first}={first}")
        } else {
            format!(" ON DUPLICATE KEY UPDATE {}", updates.join(", "))
        }
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
