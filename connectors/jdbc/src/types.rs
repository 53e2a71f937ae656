//! The shared vocabulary of the dialects: tables, columns, the column kinds a database type
//! maps to, their Connect schemas, and the coercion of a record's value to a column's kind
//! before it is bound.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bigdecimal::BigDecimal;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use connect_api::data::logical::{DECIMAL_PRECISION, MILLIS_PER_DAY};
use connect_api::{ConnectError, ConnectResult, SchemaBuilder, SchemaRef, Value};

/// A table, optionally qualified by its database (MySQL) or schema (PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    pub schema: Option<String>,
    pub name: String,
}

impl TableId {
    /// Parses `db.table` / `schema.table` / `table` (as `table.whitelist` lists them).
    pub fn parse(text: &str) -> Self {
        match text.trim().rsplit_once('.') {
            Some((schema, name)) if !schema.is_empty() => Self {
                schema: Some(schema.to_owned()),
                name: name.to_owned(),
            },
            _ => Self {
                schema: None,
                name: text.trim().to_owned(),
            },
        }
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What a database column holds, as far as moving data is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    /// Unsigned integers widen to the next signed width (u64 to a Decimal of scale 0).
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float32,
    Float64,
    Decimal {
        scale: i32,
        precision: Option<u32>,
    },
    Date,
    Time,
    /// Without a time zone: read and written in `db.timezone`.
    Timestamp,
    /// With a time zone (PostgreSQL `timestamptz`, MySQL `TIMESTAMP`).
    TimestampTz,
    Text,
    Bytes,
    /// JSON documents, carried as strings.
    Json,
    /// Anything else, carried as its text form (the dialect reads it as text).
    Other(String),
    /// A temporal column read (or bound) as microseconds since the epoch, as an `Int64`: the
    /// source's timestamp position, kept at the database's precision so that rows within one
    /// millisecond are neither re-read nor skipped.
    Micros(Temporal),
}

/// The temporal kind behind [`ColumnKind::Micros`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporal {
    Date,
    Naive,
    Zoned,
}

impl ColumnKind {
    /// The Connect schema of this kind.
    pub fn schema(&self, optional: bool) -> SchemaRef {
        let builder = match self {
            Self::Bool => SchemaBuilder::bool(),
            Self::Int8 => SchemaBuilder::int8(),
            Self::Int16 | Self::UInt8 => SchemaBuilder::int16(),
            Self::Int32 | Self::UInt16 => SchemaBuilder::int32(),
            Self::Int64 | Self::UInt32 => SchemaBuilder::int64(),
            Self::UInt64 => SchemaBuilder::decimal(0).parameter(DECIMAL_PRECISION, "20"),
            Self::Float32 => SchemaBuilder::float32(),
            Self::Float64 => SchemaBuilder::float64(),
            Self::Decimal { scale, precision } => {
                let builder = SchemaBuilder::decimal(*scale);
                match precision {
                    Some(p) => builder.parameter(DECIMAL_PRECISION, p.to_string()),
                    None => builder,
                }
            }
            Self::Date => SchemaBuilder::date(),
            Self::Time => SchemaBuilder::time(),
            Self::Timestamp | Self::TimestampTz => SchemaBuilder::timestamp(),
            Self::Text | Self::Json | Self::Other(_) => SchemaBuilder::string(),
            Self::Bytes => SchemaBuilder::bytes(),
            Self::Micros(_) => SchemaBuilder::int64(),
        };
        builder.optional_if(optional).build()
    }

    /// True for kinds whose values order numerically (usable as an incrementing column).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            Self::Int8
                | Self::Int16
                | Self::Int32
                | Self::Int64
                | Self::UInt8
                | Self::UInt16
                | Self::UInt32
                | Self::UInt64
                | Self::Decimal { scale: 0, .. }
        )
    }

    /// The microsecond form of a temporal kind (a timestamp column's position).
    pub fn micros(&self) -> Option<Self> {
        match self {
            Self::Timestamp => Some(Self::Micros(Temporal::Naive)),
            Self::TimestampTz => Some(Self::Micros(Temporal::Zoned)),
            Self::Date => Some(Self::Micros(Temporal::Date)),
            _ => None,
        }
    }
}

/// A column of a table or a query's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub nullable: bool,
}

/// A table's columns (in order) and primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDesc {
    pub id: TableId,
    pub columns: Arc<[Column]>,
    pub primary_key: Vec<String>,
}

impl TableDesc {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// `db.timezone`: the offset in which zone-less timestamps are read and written. Fixed offsets
/// only (`UTC`, `+08:00`, `-05:30`): a zone database would cost a dependency for what a
/// database server configured in UTC (the usual case) never needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbTimeZone(pub FixedOffset);

impl DbTimeZone {
    pub const UTC: Self = Self(FixedOffset::east_opt(0).expect("zero offset"));

    /// Parses `UTC`, `GMT`, `Z`, `Etc/UTC`, `+HH:MM`, `-HH:MM`, `UTC+8`, `GMT+08:00`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let upper = text.to_ascii_uppercase();
        let rest = ["ETC/UTC", "ETC/GMT", "UTC", "GMT", "Z"]
            .iter()
            .find_map(|prefix| upper.strip_prefix(prefix))
            .unwrap_or(&upper);
        if rest.is_empty() {
            return Some(Self::UTC);
        }
        let (sign, digits) = match rest.as_bytes()[0] {
            b'+' => (1, &rest[1..]),
            b'-' => (-1, &rest[1..]),
            _ => return None,
        };
        let (hours, minutes) = match digits.split_once(':') {
            Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
            None if digits.len() == 4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
            None => (digits.parse().ok()?, 0),
        };
        if hours > 18 || minutes > 59 {
            return None;
        }
        FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).map(Self)
    }

    /// Milliseconds since the epoch of a zone-less timestamp read in this zone.
    pub fn naive_to_millis(self, naive: NaiveDateTime) -> i64 {
        (naive - chrono::Duration::seconds(i64::from(self.0.local_minus_utc())))
            .and_utc()
            .timestamp_millis()
    }

    /// Microseconds since the epoch of a zone-less timestamp read in this zone.
    pub fn naive_to_micros(self, naive: NaiveDateTime) -> i64 {
        (naive - chrono::Duration::seconds(i64::from(self.0.local_minus_utc())))
            .and_utc()
            .timestamp_micros()
    }

    /// The zone-less timestamp, in this zone, of `micros` since the epoch.
    pub fn micros_to_naive(self, micros: i64) -> ConnectResult<NaiveDateTime> {
        let utc = DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| ConnectError::data(format!("timestamp {micros} µs is out of range")))?;
        Ok(utc.with_timezone(&self.0).naive_local())
    }

    /// The zone-less timestamp, in this zone, of `millis` since the epoch.
    pub fn millis_to_naive(self, millis: i64) -> ConnectResult<NaiveDateTime> {
        let utc = DateTime::from_timestamp_millis(millis)
            .ok_or_else(|| ConnectError::data(format!("timestamp {millis} ms is out of range")))?;
        Ok(utc.with_timezone(&self.0).naive_local())
    }
}

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days since the epoch of a date.
pub fn date_to_days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// The date `days` after the epoch.
pub fn days_to_date(days: i32) -> ConnectResult<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    epoch
        .checked_add_signed(chrono::Duration::days(i64::from(days)))
        .ok_or_else(|| {
            ConnectError::data(format!("date {days} days after 1970-01-01 is out of range"))
        })
}

/// The zone-less timestamp of `micros` since the epoch, bound per [`Temporal`] kind: what the
/// dialects need to compare a timestamp column with a position.
#[derive(Debug, Clone, Copy)]
pub enum MicrosParam {
    Date(NaiveDate),
    Naive(NaiveDateTime),
    Zoned(DateTime<chrono::Utc>),
}

impl MicrosParam {
    pub fn new(micros: i64, temporal: Temporal, zone: DbTimeZone) -> ConnectResult<Self> {
        Ok(match temporal {
            Temporal::Date => Self::Date(zone.micros_to_naive(micros)?.date()),
            Temporal::Naive => Self::Naive(zone.micros_to_naive(micros)?),
            Temporal::Zoned => {
                Self::Zoned(DateTime::from_timestamp_micros(micros).ok_or_else(|| {
                    ConnectError::data(format!("timestamp {micros} µs is out of range"))
                })?)
            }
        })
    }
}

/// Milliseconds since midnight of a time of day.
pub fn time_to_millis(time: NaiveTime) -> i32 {
    let millis = time.num_seconds_from_midnight() * 1000 + time.nanosecond() / 1_000_000;
    i32::try_from(millis.min(86_399_999)).unwrap_or(0)
}

/// The time of day `millis` after midnight.
pub fn millis_to_time(millis: i32) -> ConnectResult<NaiveTime> {
    if !(0..MILLIS_PER_DAY).contains(&i64::from(millis)) {
        return Err(ConnectError::data(format!(
            "time {millis} ms is outside a day (0..86400000)"
        )));
    }
    let millis = u32::try_from(millis).unwrap_or(0);
    NaiveTime::from_num_seconds_from_midnight_opt(millis / 1000, (millis % 1000) * 1_000_000)
        .ok_or_else(|| ConnectError::data(format!("time {millis} ms is invalid")))
}

/// A value made to fit a column's kind before binding; `Null` stays `Null`. Fails with a
/// data error naming the column, the value's type and the column's kind when it cannot fit
/// (a string that is no number for an integer column, an integer out of range, …). A value
/// that already fits is passed on as it is (borrowed values stay borrowed): the sink's common
/// case costs no copy.
pub fn coerce<'v>(value: Cow<'v, Value>, column: &Column) -> ConnectResult<Cow<'v, Value>> {
    if fits(&value, &column.kind) {
        Ok(value)
    } else {
        convert(&value, column).map(Cow::Owned)
    }
}

/// True when `convert` would give `value` back unchanged: it already has the variant the
/// column's kind binds (integers in range by their width).
fn fits(value: &Value, kind: &ColumnKind) -> bool {
    matches!(
        (value, kind),
        (Value::Null, _)
            | (Value::Boolean(_), ColumnKind::Bool)
            | (Value::Int8(_), ColumnKind::Int8)
            | (Value::Int16(_), ColumnKind::Int16 | ColumnKind::UInt8)
            | (Value::Int32(_), ColumnKind::Int32 | ColumnKind::UInt16)
            | (
                Value::Int64(_),
                ColumnKind::Int64 | ColumnKind::UInt32 | ColumnKind::Micros(_)
            )
            | (
                Value::Decimal(_),
                ColumnKind::UInt64 | ColumnKind::Decimal { .. }
            )
            | (Value::Float32(_), ColumnKind::Float32)
            | (Value::Float64(_), ColumnKind::Float64)
            | (Value::Date(_), ColumnKind::Date)
            | (Value::Time(_), ColumnKind::Time)
            | (
                Value::Timestamp(_),
                ColumnKind::Timestamp | ColumnKind::TimestampTz
            )
            | (
                Value::String(_),
                ColumnKind::Text | ColumnKind::Json | ColumnKind::Other(_)
            )
            | (Value::Bytes(_), ColumnKind::Bytes)
    )
}

/// The value converted to the column's kind.
fn convert(value: &Value, column: &Column) -> ConnectResult<Value> {
    let mismatch = || {
        ConnectError::data(format!(
            "column '{}' ({:?}) cannot take a {} value ({})",
            column.name,
            column.kind,
            value.type_name(),
            short(value)
        ))
    };
    if value.is_null() {
        return Ok(Value::Null);
    }
    let integer = |min: i64, max: i64| -> ConnectResult<i64> {
        let n = match value {
            Value::Boolean(b) => i64::from(*b),
            Value::String(s) => s.trim().parse::<i64>().map_err(|_| mismatch())?,
            Value::Decimal(d) if d.is_integer() => d.to_string().parse().map_err(|_| mismatch())?,
            Value::Float32(_) | Value::Float64(_) => {
                let f = value.as_f64().unwrap_or(f64::NAN);
                if f.fract() != 0.0 || !f.is_finite() {
                    return Err(mismatch());
                }
                #[allow(clippy::cast_possible_truncation)]
                let n = f as i64;
                n
            }
            other => other.as_i64().ok_or_else(mismatch)?,
        };
        if n < min || n > max {
            return Err(ConnectError::data(format!(
                "column '{}' ({:?}) cannot take {n}: outside {min}..={max}",
                column.name, column.kind
            )));
        }
        Ok(n)
    };
    #[allow(clippy::cast_possible_truncation)]
    Ok(match &column.kind {
        ColumnKind::Bool => match value {
            Value::Boolean(b) => Value::Boolean(*b),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "t" | "1" => Value::Boolean(true),
                "false" | "f" | "0" => Value::Boolean(false),
                _ => return Err(mismatch()),
            },
            other => Value::Boolean(other.as_i64().ok_or_else(mismatch)? != 0),
        },
        ColumnKind::Int8 => Value::Int8(integer(i8::MIN.into(), i8::MAX.into())? as i8),
        ColumnKind::Int16 | ColumnKind::UInt8 => {
            Value::Int16(integer(i16::MIN.into(), i16::MAX.into())? as i16)
        }
        ColumnKind::Int32 | ColumnKind::UInt16 => {
            Value::Int32(integer(i32::MIN.into(), i32::MAX.into())? as i32)
        }
        ColumnKind::Int64 | ColumnKind::UInt32 => Value::Int64(integer(i64::MIN, i64::MAX)?),
        ColumnKind::UInt64 | ColumnKind::Decimal { .. } => match value {
            Value::Decimal(d) => Value::Decimal(d.clone()),
            Value::String(s) => {
                Value::Decimal(s.trim().parse::<BigDecimal>().map_err(|_| mismatch())?)
            }
            Value::Float32(_) | Value::Float64(_) => Value::Decimal(
                value
                    .as_f64()
                    .and_then(|f| BigDecimal::try_from(f).ok())
                    .ok_or_else(mismatch)?,
            ),
            other => Value::Decimal(BigDecimal::from(other.as_i64().ok_or_else(mismatch)?)),
        },
        ColumnKind::Float32 => Value::Float32(value_f64(value).ok_or_else(mismatch)? as f32),
        ColumnKind::Float64 => Value::Float64(value_f64(value).ok_or_else(mismatch)?),
        ColumnKind::Date => match value {
            Value::Date(d) => Value::Date(*d),
            Value::Timestamp(ms) => {
                Value::Date(i32::try_from(ms.div_euclid(MILLIS_PER_DAY)).map_err(|_| mismatch())?)
            }
            Value::String(s) => Value::Date(date_to_days(
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| mismatch())?,
            )),
            other => Value::Date(
                i32::try_from(other.as_i64().ok_or_else(mismatch)?).map_err(|_| mismatch())?,
            ),
        },
        ColumnKind::Time => match value {
            Value::Time(t) => Value::Time(*t),
            Value::String(s) => Value::Time(time_to_millis(
                NaiveTime::parse_from_str(s.trim(), "%H:%M:%S%.f").map_err(|_| mismatch())?,
            )),
            other => Value::Time(
                i32::try_from(other.as_i64().ok_or_else(mismatch)?).map_err(|_| mismatch())?,
            ),
        },
        ColumnKind::Timestamp | ColumnKind::TimestampTz => match value {
            Value::Timestamp(ms) => Value::Timestamp(*ms),
            Value::Date(days) => Value::Timestamp(i64::from(*days) * MILLIS_PER_DAY),
            Value::String(s) => Value::Timestamp(parse_timestamp_text(s).ok_or_else(mismatch)?),
            other => Value::Timestamp(other.as_i64().ok_or_else(mismatch)?),
        },
        ColumnKind::Text | ColumnKind::Json | ColumnKind::Other(_) => match value {
            Value::String(s) => Value::String(s.clone()),
            Value::Bytes(b) => Value::String(String::from_utf8(b.clone()).map_err(|_| mismatch())?),
            Value::Array(_) | Value::Map(_) | Value::Struct(_) => return Err(mismatch()),
            other => Value::String(other.to_string()),
        },
        ColumnKind::Bytes => match value {
            Value::Bytes(b) => Value::Bytes(b.clone()),
            Value::String(s) => Value::Bytes(s.clone().into_bytes()),
            _ => return Err(mismatch()),
        },
        ColumnKind::Micros(_) => Value::Int64(integer(i64::MIN, i64::MAX)?),
    })
}

fn value_f64(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => s.trim().parse().ok(),
        Value::Decimal(d) => d.to_string().parse().ok(),
        other => other.as_f64(),
    }
}

/// `2024-01-31T10:00:00Z`, `2024-01-31 10:00:00.123`, `2024-01-31T10:00:00+08:00` as epoch ms
/// (zone-less text is UTC).
fn parse_timestamp_text(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc().timestamp_millis())
}

/// A value shortened for an error message.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 60 {
        let cut = (0..=60)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        format!("{}…", &text[..cut])
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: ColumnKind) -> Column {
        Column {
            name: "c".into(),
            kind,
            nullable: true,
        }
    }

    #[test]
    fn table_ids_split_on_the_last_dot() {
        assert_eq!(TableId::parse("shop.orders").to_string(), "shop.orders");
        assert_eq!(TableId::parse("orders").schema, None);
    }

    #[test]
    fn time_zones_are_fixed_offsets() {
        assert_eq!(DbTimeZone::parse("UTC"), Some(DbTimeZone::UTC));
        assert_eq!(DbTimeZone::parse("Etc/UTC"), Some(DbTimeZone::UTC));
        let east8 = DbTimeZone::parse("+08:00").unwrap();
        assert_eq!(DbTimeZone::parse("GMT+8"), Some(east8));
        assert_eq!(DbTimeZone::parse("Asia/Shanghai"), None);
        let naive = NaiveDate::from_ymd_opt(1970, 1, 1)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        assert_eq!(east8.naive_to_millis(naive), 0);
        assert_eq!(east8.millis_to_naive(0).unwrap(), naive);
    }

    fn coerce_owned(value: &Value, column: &Column) -> ConnectResult<Value> {
        coerce(Cow::Borrowed(value), column).map(Cow::into_owned)
    }

    /// A value that fits its column is passed on borrowed, and converting it would have given
    /// the same value: the shortcut changes nothing.
    #[test]
    fn values_that_fit_are_passed_on_unchanged() {
        let decimal = Value::Decimal("12.50".parse().unwrap());
        let cases = [
            (Value::Boolean(true), ColumnKind::Bool),
            (Value::Int8(-8), ColumnKind::Int8),
            (Value::Int16(-16), ColumnKind::Int16),
            (Value::Int16(i16::MAX), ColumnKind::UInt8),
            (Value::Int32(i32::MIN), ColumnKind::Int32),
            (Value::Int32(65_535), ColumnKind::UInt16),
            (Value::Int64(i64::MAX), ColumnKind::Int64),
            (Value::Int64(7), ColumnKind::UInt32),
            (Value::Int64(-7), ColumnKind::Micros(Temporal::Naive)),
            (decimal.clone(), ColumnKind::UInt64),
            (
                decimal,
                ColumnKind::Decimal {
                    scale: 2,
                    precision: Some(12),
                },
            ),
            (Value::Float32(0.1), ColumnKind::Float32),
            (Value::Float64(f64::MIN_POSITIVE), ColumnKind::Float64),
            (Value::Date(-1), ColumnKind::Date),
            (Value::Time(86_399_999), ColumnKind::Time),
            (Value::Timestamp(-1), ColumnKind::Timestamp),
            (Value::Timestamp(1), ColumnKind::TimestampTz),
            (Value::String("x".into()), ColumnKind::Text),
            (Value::String("{}".into()), ColumnKind::Json),
            (Value::String("a,b".into()), ColumnKind::Other("SET".into())),
            (Value::Bytes(vec![0, 1]), ColumnKind::Bytes),
            (Value::Null, ColumnKind::Int32),
        ];
        for (value, kind) in cases {
            let column = column(kind);
            assert!(
                matches!(coerce(Cow::Borrowed(&value), &column), Ok(Cow::Borrowed(_))),
                "{value:?} for {:?} was copied",
                column.kind
            );
            assert_eq!(
                convert(&value, &column).unwrap(),
                value,
                "{:?}",
                column.kind
            );
        }
    }

    #[test]
    fn coercion_fits_values_to_columns_or_says_why_not() {
        assert_eq!(
            coerce_owned(&Value::Int64(7), &column(ColumnKind::Int16)).unwrap(),
            Value::Int16(7)
        );
        assert_eq!(
            coerce_owned(&Value::String("42".into()), &column(ColumnKind::Int32)).unwrap(),
            Value::Int32(42)
        );
        let error =
            coerce_owned(&Value::String("abc".into()), &column(ColumnKind::Int32)).unwrap_err();
        assert!(error.to_string().contains("column 'c'"), "{error}");
        let error = coerce_owned(&Value::Int64(70_000), &column(ColumnKind::Int16)).unwrap_err();
        assert!(error.to_string().contains("outside"), "{error}");
        assert_eq!(
            coerce_owned(
                &Value::String("2024-01-02".into()),
                &column(ColumnKind::Date)
            )
            .unwrap(),
            Value::Date(19_724)
        );
        assert_eq!(
            coerce_owned(
                &Value::String("1970-01-01T00:00:01Z".into()),
                &column(ColumnKind::Timestamp)
            )
            .unwrap(),
            Value::Timestamp(1000)
        );
        assert_eq!(
            coerce_owned(&Value::Null, &column(ColumnKind::Bytes)).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn dates_and_times_round_trip() {
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(days_to_date(date_to_days(date)).unwrap(), date);
        let time = NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap();
        assert_eq!(millis_to_time(time_to_millis(time)).unwrap(), time);
        assert!(millis_to_time(86_400_000).is_err());
    }
}
