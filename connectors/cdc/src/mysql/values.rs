//! Debezium's MySQL type mapping: a [`ColumnKind`] and the `*.handling.mode` keys give the
//! field's schema ([`field_schema`]); a value from the binlog ([`from_binlog`]) or from a
//! snapshot's text row ([`from_text`]) becomes the same Connect value. Both paths meet in the
//! small helpers at the bottom, so the two cannot drift.

use bigdecimal::BigDecimal;
use connect_api::data::SchemaBuilder;
use connect_api::{SchemaRef, Value};
use mysql_async::Value as MyValue;
use mysql_async::binlog::value::BinlogValue;

use super::columns::ColumnKind;
use super::rows::Cell;
use crate::config::{BinaryMode, DecimalMode, TimePrecision, ValueModes};
use crate::values::{
    binary, bits_from_be, days_since_epoch, decimal_schema, micros_of, names, zoned_timestamp,
};

/// The (optional) schema of a column's field in `before`/`after` and in keys.
pub fn field_schema(kind: &ColumnKind, modes: &ValueModes) -> SchemaRef {
    let builder = match kind {
        ColumnKind::TinyInt { .. } | ColumnKind::SmallInt { unsigned: false } => {
            SchemaBuilder::int16()
        }
        ColumnKind::SmallInt { unsigned: true }
        | ColumnKind::MediumInt { .. }
        | ColumnKind::Int { unsigned: false } => SchemaBuilder::int32(),
        ColumnKind::Int { unsigned: true } => SchemaBuilder::int64(),
        ColumnKind::BigInt { unsigned: true } if modes.bigint_unsigned_precise => decimal_schema(0),
        ColumnKind::BigInt { .. } => SchemaBuilder::int64(),
        // FLOAT is FLOAT64 in Debezium 1.7 (the JDBC type FLOAT is double precision).
        ColumnKind::Float | ColumnKind::Double => SchemaBuilder::float64(),
        ColumnKind::Decimal { precision, scale } => match modes.decimal {
            DecimalMode::Precise => {
                decimal_schema(*scale).parameter("connect.decimal.precision", precision.to_string())
            }
            DecimalMode::Double => SchemaBuilder::float64(),
            DecimalMode::String => SchemaBuilder::string(),
        },
        ColumnKind::Bit { length: 1 } => SchemaBuilder::bool(),
        ColumnKind::Bit { length } => SchemaBuilder::bytes()
            .name(names::BITS)
            .parameter("length", length.to_string()),
        ColumnKind::Text => SchemaBuilder::string(),
        ColumnKind::Binary | ColumnKind::Geometry => match modes.binary {
            BinaryMode::Bytes => SchemaBuilder::bytes(),
            BinaryMode::Base64 | BinaryMode::Hex => SchemaBuilder::string(),
        },
        ColumnKind::Date => match modes.time {
            TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds => {
                SchemaBuilder::int32().name(names::DATE)
            }
            TimePrecision::Connect => SchemaBuilder::date(),
        },
        ColumnKind::Time { .. } => match modes.time {
            TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds => {
                SchemaBuilder::int64().name(names::MICRO_TIME)
            }
            TimePrecision::Connect => SchemaBuilder::time(),
        },
        ColumnKind::DateTime { fsp } => match modes.time {
            TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds if *fsp <= 3 => {
                SchemaBuilder::int64().name(names::TIMESTAMP)
            }
            TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds => {
                SchemaBuilder::int64().name(names::MICRO_TIMESTAMP)
            }
            TimePrecision::Connect => SchemaBuilder::timestamp(),
        },
        ColumnKind::Timestamp { .. } => SchemaBuilder::string().name(names::ZONED_TIMESTAMP),
        ColumnKind::Year => SchemaBuilder::int32().name(names::YEAR),
        ColumnKind::Enum { values } => SchemaBuilder::string()
            .name(names::ENUM)
            .parameter("allowed", values.join(",")),
        ColumnKind::Set { values } => SchemaBuilder::string()
            .name(names::ENUM_SET)
            .parameter("allowed", values.join(",")),
        ColumnKind::Json => SchemaBuilder::string().name(names::JSON),
    };
    builder.optional().build()
}

/// BIT(n): BIT(1) is a boolean; longer ones are Debezium's `Bits` (little-endian bytes).
fn bits(raw: &[u8], length: u32) -> Value {
    if length == 1 {
        return Value::Boolean(raw.iter().any(|b| *b != 0));
    }
    Value::Bytes(bits_from_be(raw.to_vec(), length))
}

/// A value the column's type cannot hold (a bug or a corrupt event): named, not guessed.
#[derive(Debug, thiserror::Error)]
#[error("column of type {kind:?}: cannot read {value}")]
pub struct ValueError {
    kind: ColumnKind,
    value: String,
}

fn bad(kind: &ColumnKind, value: impl std::fmt::Debug) -> ValueError {
    ValueError {
        kind: kind.clone(),
        value: format!("{value:?}"),
    }
}

/// A binlog row value as the column's Connect value.
pub fn from_binlog(
    kind: &ColumnKind,
    value: Option<&Cell<'_>>,
    modes: &ValueModes,
) -> Result<Value, ValueError> {
    let value = match value {
        Some(Cell::Decimal { unscaled, scale }) => {
            let value = BigDecimal::new((*unscaled).into(), i64::from(*scale));
            return match kind {
                ColumnKind::Decimal {
                    scale: column_scale,
                    ..
                } => decimal_value(kind, value, *column_scale, modes),
                // A column the connector knows otherwise (an event from before a type change)
                // gets the decimal's text, as mysql_common's reading gave it.
                _ => from_value(
                    kind,
                    &MyValue::Bytes(value.to_plain_string().into_bytes()),
                    modes,
                ),
            };
        }
        Some(Cell::Binlog(value)) => Some(value),
        None => None,
    };
    let value = match value {
        None | Some(BinlogValue::Value(MyValue::NULL)) => return Ok(Value::Null),
        Some(BinlogValue::Value(v)) => v,
        Some(BinlogValue::Jsonb(json)) => {
            let json: serde_json::Value = json
                .clone()
                .parse()
                .map_err(|e| bad(kind, e.to_string()))?
                .into();
            return Ok(Value::String(json.to_string()));
        }
        Some(other @ BinlogValue::JsonDiff(_)) => return Err(bad(kind, other)),
    };
    from_value(kind, value, modes)
}

/// A value as the binlog decodes it (and, for most types, as the binary protocol sends it;
/// see [`binary_protocol_reads_as_binlog`]) as the column's Connect value.
pub fn from_value(
    kind: &ColumnKind,
    value: &MyValue,
    modes: &ValueModes,
) -> Result<Value, ValueError> {
    match (kind, value) {
        (_, MyValue::NULL) => Ok(Value::Null),
        (ColumnKind::TinyInt { unsigned }, MyValue::Int(i)) => Ok(int16(*i, *unsigned, 8)),
        (
            ColumnKind::TinyInt { .. } | ColumnKind::SmallInt { unsigned: false },
            MyValue::UInt(u),
        ) => Ok(Value::Int16(*u as i16)),
        (ColumnKind::SmallInt { unsigned: false }, MyValue::Int(i)) => Ok(Value::Int16(*i as i16)),
        (ColumnKind::SmallInt { unsigned: true }, MyValue::Int(i)) => {
            Ok(Value::Int32(i32::from(*i as u16)))
        }
        (ColumnKind::SmallInt { unsigned: true }, MyValue::UInt(u)) => Ok(Value::Int32(*u as i32)),
        (ColumnKind::MediumInt { unsigned: false }, MyValue::Int(i)) => {
            // MariaDB's row metadata can leave a MEDIUMINT's sign unread: a 24-bit value at
            // or above 2^23 is negative in a signed column.
            Ok(Value::Int32(if *i >= 1 << 23 {
                (*i - (1 << 24)) as i32
            } else {
                *i as i32
            }))
        }
        (
            ColumnKind::MediumInt { unsigned: true } | ColumnKind::Int { unsigned: false },
            MyValue::Int(i),
        ) => Ok(Value::Int32(*i as i32)),
        (ColumnKind::MediumInt { .. }, MyValue::UInt(u)) => Ok(Value::Int32(*u as i32)),
        (ColumnKind::Int { unsigned: true }, MyValue::Int(i)) => {
            Ok(Value::Int64(i64::from(*i as u32)))
        }
        (ColumnKind::Int { .. }, MyValue::UInt(u)) => Ok(Value::Int64(*u as i64)),
        (ColumnKind::BigInt { unsigned: true }, MyValue::Int(i)) => {
            Ok(bigint(i128::from(*i as u64), true, modes))
        }
        (ColumnKind::BigInt { unsigned }, MyValue::Int(i)) => {
            Ok(bigint(i128::from(*i), *unsigned, modes))
        }
        (ColumnKind::BigInt { unsigned }, MyValue::UInt(u)) => {
            Ok(bigint(i128::from(*u), *unsigned, modes))
        }
        (ColumnKind::Float | ColumnKind::Double, MyValue::Double(f)) => Ok(Value::Float64(*f)),
        (ColumnKind::Float | ColumnKind::Double, MyValue::Float(f)) => {
            Ok(Value::Float64(f64::from(*f)))
        }
        (ColumnKind::Decimal { scale, .. }, MyValue::Bytes(b)) => decimal(kind, b, *scale, modes),
        (ColumnKind::Bit { length }, MyValue::Bytes(b)) => Ok(bits(b, *length)),
        (ColumnKind::Text | ColumnKind::Json, MyValue::Bytes(b)) => Ok(Value::String(text(b))),
        (ColumnKind::Binary | ColumnKind::Geometry, MyValue::Bytes(b)) => {
            Ok(binary(b.clone(), modes))
        }
        (ColumnKind::Year, MyValue::Bytes(b)) => {
            let year: i32 = text(b).parse().map_err(|_| bad(kind, b))?;
            Ok(Value::Int32(year))
        }
        (ColumnKind::Year, MyValue::Int(i)) => Ok(Value::Int32(*i as i32)),
        (ColumnKind::Date, MyValue::Date(y, m, d, ..)) => Ok(date(*y, *m, *d, modes)),
        (ColumnKind::DateTime { fsp }, MyValue::Date(y, mo, d, h, mi, s, us)) => {
            Ok(datetime(*y, *mo, *d, (*h, *mi, *s, *us), *fsp, modes))
        }
        (ColumnKind::Time { .. }, MyValue::Time(negative, days, h, m, s, us)) => {
            let micros = ((i64::from(*days) * 24 + i64::from(*h)) * 3600
                + i64::from(*m) * 60
                + i64::from(*s))
                * 1_000_000
                + i64::from(*us);
            Ok(time(if *negative { -micros } else { micros }, modes))
        }
        (ColumnKind::Timestamp { fsp }, MyValue::Bytes(b)) => {
            // TIMESTAMP2 arrives as "<epoch seconds>[.<microseconds>]".
            let raw = text(b);
            let (secs, micros) = match raw.split_once('.') {
                Some((s, us)) => (s.parse::<i64>(), us.parse::<i64>()),
                None => (raw.parse::<i64>(), Ok(0)),
            };
            match (secs, micros) {
                (Ok(s), Ok(us)) => Ok(zoned_timestamp(s * 1_000_000 + us, *fsp)),
                _ => Err(bad(kind, raw)),
            }
        }
        (ColumnKind::Timestamp { fsp }, MyValue::Int(secs)) => {
            Ok(zoned_timestamp(secs * 1_000_000, *fsp))
        }
        (ColumnKind::Enum { values }, MyValue::Int(index)) => Ok(match *index {
            0 => Value::String(String::new()),
            i => values
                .get(i as usize - 1)
                .map(|v| Value::String(v.clone()))
                .ok_or_else(|| bad(kind, i))?,
        }),
        (ColumnKind::Set { values }, MyValue::Bytes(mask)) => {
            // Little-endian bitmask over the set's members.
            let chosen: Vec<&str> = values
                .iter()
                .enumerate()
                .filter(|(i, _)| super::rows::bit(mask, *i))
                .map(|(_, v)| v.as_str())
                .collect();
            Ok(Value::String(chosen.join(",")))
        }
        _ => Err(bad(kind, value)),
    }
}

/// Whether a value from the binary protocol (a prepared statement's row) means what the same
/// value means in the binlog, so [`from_value`] reads it without printing it as text first.
/// Not for TIMESTAMP (a wall-clock date in the session's zone here, epoch seconds in the
/// binlog), ENUM and SET (their text here, an index or a bitmask there), and not for bytes
/// standing in for a number or a date (the text protocol's form).
pub fn binary_protocol_reads_as_binlog(kind: &ColumnKind, value: &MyValue) -> bool {
    match (kind, value) {
        (ColumnKind::Timestamp { .. } | ColumnKind::Enum { .. } | ColumnKind::Set { .. }, _) => {
            false
        }
        (
            ColumnKind::Text
            | ColumnKind::Json
            | ColumnKind::Binary
            | ColumnKind::Geometry
            | ColumnKind::Decimal { .. }
            | ColumnKind::Bit { .. },
            MyValue::Bytes(_),
        ) => true,
        (_, MyValue::Bytes(_)) => false,
        _ => true,
    }
}

/// A snapshot value in the text protocol (what `SELECT` returns with no prepared statement)
/// as the column's Connect value. The session's time zone is UTC.
pub fn from_text(
    kind: &ColumnKind,
    raw: Option<&[u8]>,
    modes: &ValueModes,
) -> Result<Value, ValueError> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    let s = || text(raw);
    let int = || s().parse::<i64>().map_err(|_| bad(kind, s()));
    match kind {
        ColumnKind::TinyInt { .. } => Ok(Value::Int16(int()? as i16)),
        ColumnKind::SmallInt { unsigned: false } => Ok(Value::Int16(int()? as i16)),
        ColumnKind::SmallInt { unsigned: true }
        | ColumnKind::MediumInt { .. }
        | ColumnKind::Int { unsigned: false } => Ok(Value::Int32(int()? as i32)),
        ColumnKind::Int { unsigned: true } => Ok(Value::Int64(int()?)),
        ColumnKind::BigInt { unsigned: false } => Ok(Value::Int64(int()?)),
        ColumnKind::BigInt { unsigned: true } => {
            let u = s().parse::<u64>().map_err(|_| bad(kind, s()))?;
            Ok(bigint(i128::from(u), true, modes))
        }
        // A FLOAT's text is its shortest decimal form: read it as f32 and widen, as the
        // binlog's 4-byte float is widened, so both paths agree.
        ColumnKind::Float => Ok(Value::Float64(f64::from(
            s().parse::<f32>().map_err(|_| bad(kind, s()))?,
        ))),
        ColumnKind::Double => Ok(Value::Float64(s().parse().map_err(|_| bad(kind, s()))?)),
        ColumnKind::Decimal { scale, .. } => decimal(kind, raw, *scale, modes),
        ColumnKind::Bit { length } => Ok(bits(raw, *length)),
        ColumnKind::Text | ColumnKind::Json | ColumnKind::Enum { .. } | ColumnKind::Set { .. } => {
            Ok(Value::String(s()))
        }
        ColumnKind::Binary | ColumnKind::Geometry => Ok(binary(raw.to_vec(), modes)),
        ColumnKind::Year => Ok(Value::Int32(int()? as i32)),
        ColumnKind::Date => {
            let (y, m, d) = parse_date(&s()).ok_or_else(|| bad(kind, s()))?;
            Ok(date(y, m, d, modes))
        }
        ColumnKind::DateTime { fsp } => {
            let (y, mo, d, clock) = parse_datetime(&s()).ok_or_else(|| bad(kind, s()))?;
            Ok(datetime(y, mo, d, clock, *fsp, modes))
        }
        ColumnKind::Timestamp { fsp } => {
            let (y, mo, d, (h, mi, sec, us)) =
                parse_datetime(&s()).ok_or_else(|| bad(kind, s()))?;
            if y == 0 {
                return Ok(Value::Null);
            }
            let micros = epoch_micros(y, mo, d, (h, mi, sec, us)).ok_or_else(|| bad(kind, s()))?;
            Ok(zoned_timestamp(micros, *fsp))
        }
        ColumnKind::Time { .. } => {
            let micros = parse_time(&s()).ok_or_else(|| bad(kind, s()))?;
            Ok(time(micros, modes))
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn int16(i: i64, unsigned: bool, bits: u32) -> Value {
    if unsigned && i < 0 {
        Value::Int16((i + (1 << bits)) as i16)
    } else {
        Value::Int16(i as i16)
    }
}

/// BIGINT: as a long (unsigned values above i64::MAX wrap, as in Debezium's `long` mode) or,
/// for unsigned columns under `precise`, as a scale-0 decimal.
fn bigint(value: i128, unsigned: bool, modes: &ValueModes) -> Value {
    if unsigned && modes.bigint_unsigned_precise {
        Value::Decimal(BigDecimal::from(bigdecimal::num_bigint::BigInt::from(
            value,
        )))
    } else {
        Value::Int64(value as i64)
    }
}

fn decimal(
    kind: &ColumnKind,
    raw: &[u8],
    scale: u32,
    modes: &ValueModes,
) -> Result<Value, ValueError> {
    let Ok(s) = std::str::from_utf8(raw) else {
        return Err(bad(kind, text(raw)));
    };
    let s = s.trim();
    let value = decimal_text(s).ok_or_else(|| bad(kind, s))?;
    decimal_value(kind, value, scale, modes)
}

/// A DECIMAL column's value under `decimal.handling.mode`, at the column's scale.
fn decimal_value(
    kind: &ColumnKind,
    value: BigDecimal,
    scale: u32,
    modes: &ValueModes,
) -> Result<Value, ValueError> {
    let value = value.with_scale(i64::from(scale));
    Ok(match modes.decimal {
        DecimalMode::Precise => Value::Decimal(value),
        // Through the exact text: the nearest double.
        DecimalMode::Double => {
            let text = value.to_string();
            Value::Float64(text.parse().map_err(|_| bad(kind, &text))?)
        }
        DecimalMode::String => Value::String(value.to_string()),
    })
}

/// A decimal's text as the server writes it (`-1234.50`). Up to 38 digits (every DECIMAL up
/// to DECIMAL(38)) are read into one integer: bigdecimal's general parser was a twentieth of
/// the instructions of a streamed row of the benchmark's table, for its one DECIMAL column.
/// Anything else goes to that parser.
fn decimal_text(s: &str) -> Option<BigDecimal> {
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = whole.len() + fraction.len();
    let plain = !whole.is_empty()
        && digits <= 38
        && whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit());
    if !plain {
        return s.parse().ok();
    }
    let magnitude = whole
        .bytes()
        .chain(fraction.bytes())
        .fold(0i128, |n, digit| n * 10 + i128::from(digit - b'0'));
    let unscaled = if negative { -magnitude } else { magnitude };
    Some(BigDecimal::new(unscaled.into(), fraction.len() as i64))
}

/// DATE: days since the epoch; zero dates ('0000-00-00') become null, as in Debezium.
fn date(y: u16, m: u8, d: u8, modes: &ValueModes) -> Value {
    match days_since_epoch(i32::from(y), u32::from(m), u32::from(d)) {
        None => Value::Null,
        Some(days) => match modes.time {
            TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds => Value::Int32(days),
            TimePrecision::Connect => Value::Date(days),
        },
    }
}

fn epoch_micros(y: u16, mo: u8, d: u8, (h, mi, s, us): (u8, u8, u8, u32)) -> Option<i64> {
    let days = i64::from(days_since_epoch(i32::from(y), u32::from(mo), u32::from(d))?);
    Some(
        ((days * 24 + i64::from(h)) * 3600 + i64::from(mi) * 60 + i64::from(s)) * 1_000_000
            + i64::from(us),
    )
}

/// DATETIME: the wall-clock value read as UTC, in ms (fsp ≤ 3) or µs.
fn datetime(
    y: u16,
    mo: u8,
    d: u8,
    clock: (u8, u8, u8, u32),
    fsp: u32,
    modes: &ValueModes,
) -> Value {
    let Some(micros) = epoch_micros(y, mo, d, clock) else {
        return Value::Null;
    };
    match modes.time {
        TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds if fsp <= 3 => {
            Value::Int64(micros.div_euclid(1000))
        }
        TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds => Value::Int64(micros),
        TimePrecision::Connect => Value::Timestamp(micros.div_euclid(1000)),
    }
}

/// TIME: µs (may be negative or beyond 24 h, as MySQL allows).
fn time(micros: i64, modes: &ValueModes) -> Value {
    match modes.time {
        TimePrecision::Adaptive | TimePrecision::AdaptiveTimeMicroseconds => Value::Int64(micros),
        TimePrecision::Connect => Value::Time(micros.div_euclid(1000) as i32),
    }
}

fn parse_date(s: &str) -> Option<(u16, u8, u8)> {
    let date = s.trim().split(' ').next()?;
    let mut parts = date.splitn(3, '-');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

/// "YYYY-MM-DD HH:MM:SS[.ffffff]".
/// (hour, minute, second, microsecond).
type Clock = (u8, u8, u8, u32);

fn parse_datetime(s: &str) -> Option<(u16, u8, u8, Clock)> {
    let (date, clock) = s.trim().split_once(' ')?;
    let (y, mo, d) = parse_date(date)?;
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.splitn(3, ':');
    let h = parts.next()?.parse().ok()?;
    let mi = parts.next()?.parse().ok()?;
    let sec = parts.next()?.parse().ok()?;
    Some((y, mo, d, (h, mi, sec, micros_of(frac)?)))
}

/// "[-]HHH:MM:SS[.ffffff]" as µs.
fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = hms.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec: i64 = parts.next()?.parse().ok()?;
    let micros = (h * 3600 + m * 60 + sec) * 1_000_000 + i64::from(micros_of(frac)?);
    Some(if negative { -micros } else { micros })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast reading of a decimal's text gives exactly bigdecimal's value, digits and
    /// scale, and refuses what bigdecimal refuses.
    #[test]
    fn decimal_text_reads_as_bigdecimal_parses() {
        let cases = [
            "0",
            "-0",
            "0.00",
            "-0.00",
            "1",
            "-1",
            "123.45",
            "-123.4500",
            "0.001",
            "99999999999999999999999999999999999999",
            "-9999999999999999999999999999.9999999999",
            "123456789012345678901234567890123456789.5",
            "1e5",
            "+1.5",
            ".5",
            "5.",
            "1.2.3",
            "",
            "-",
            "12a",
            "١٢",
        ];
        for text in cases {
            let expected: Option<BigDecimal> = text.parse().ok();
            let read = decimal_text(text);
            assert_eq!(read, expected, "{text:?}");
            if let (Some(read), Some(expected)) = (read, expected) {
                assert_eq!(
                    read.as_bigint_and_exponent(),
                    expected.as_bigint_and_exponent(),
                    "{text:?}"
                );
            }
        }
    }

    fn modes() -> ValueModes {
        ValueModes::default()
    }

    /// The snapshot (text) and binlog paths give the same value for the same datum.
    #[test]
    fn text_and_binlog_paths_agree() {
        let m = modes();
        let cases: Vec<(ColumnKind, &str, MyValue)> = vec![
            (
                ColumnKind::Int { unsigned: true },
                "4294967295",
                MyValue::Int(-1),
            ),
            (
                ColumnKind::TinyInt { unsigned: true },
                "255",
                MyValue::Int(-1),
            ),
            (
                ColumnKind::DateTime { fsp: 3 },
                "2022-06-14 11:57:51.123",
                MyValue::Date(2022, 6, 14, 11, 57, 51, 123_000),
            ),
            (
                ColumnKind::DateTime { fsp: 6 },
                "1969-12-31 23:59:59.999999",
                MyValue::Date(1969, 12, 31, 23, 59, 59, 999_999),
            ),
            (
                ColumnKind::Time { fsp: 0 },
                "-838:59:59",
                MyValue::Time(true, 34, 22, 59, 59, 0),
            ),
            (
                ColumnKind::Timestamp { fsp: 0 },
                "2022-06-14 11:57:51",
                MyValue::Bytes(b"1655207871".to_vec()),
            ),
            (
                ColumnKind::Decimal {
                    precision: 11,
                    scale: 2,
                },
                "-12.50",
                MyValue::Bytes(b"-12.5".to_vec()),
            ),
            (
                ColumnKind::Date,
                "2022-06-14",
                MyValue::Date(2022, 6, 14, 0, 0, 0, 0),
            ),
            (ColumnKind::Year, "2024", MyValue::Bytes(b"2024".to_vec())),
        ];
        for (kind, text_value, binlog_value) in cases {
            let from_text = from_text(&kind, Some(text_value.as_bytes()), &m).unwrap();
            let from_log = from_binlog(
                &kind,
                Some(&Cell::Binlog(BinlogValue::Value(binlog_value))),
                &m,
            )
            .unwrap();
            assert_eq!(from_text, from_log, "{kind:?}");
        }
    }

    /// Debezium's representations of the time types and oddities.
    #[test]
    fn debezium_representations() {
        let m = modes();
        assert_eq!(
            from_text(&ColumnKind::Date, Some(b"1970-01-02"), &m).unwrap(),
            Value::Int32(1)
        );
        assert_eq!(
            from_text(&ColumnKind::Date, Some(b"0000-00-00"), &m).unwrap(),
            Value::Null
        );
        assert_eq!(
            from_text(
                &ColumnKind::DateTime { fsp: 0 },
                Some(b"2022-06-14 11:57:51"),
                &m
            )
            .unwrap(),
            Value::Int64(1_655_207_871_000)
        );
        assert_eq!(
            from_text(
                &ColumnKind::Timestamp { fsp: 3 },
                Some(b"2022-06-14 11:57:51.500"),
                &m
            )
            .unwrap(),
            Value::String("2022-06-14T11:57:51.5Z".into())
        );
        assert_eq!(
            from_text(&ColumnKind::Time { fsp: 6 }, Some(b"25:00:00.000001"), &m).unwrap(),
            Value::Int64(90_000_000_001)
        );
        assert_eq!(
            from_text(&ColumnKind::Bit { length: 1 }, Some(&[1]), &m).unwrap(),
            Value::Boolean(true)
        );
        assert_eq!(
            from_text(&ColumnKind::Bit { length: 16 }, Some(&[0x01, 0x02]), &m).unwrap(),
            Value::Bytes(vec![0x02, 0x01])
        );
        let set = ColumnKind::Set {
            values: vec!["a".into(), "b".into(), "c".into()],
        };
        assert_eq!(
            from_binlog(
                &set,
                Some(&Cell::Binlog(BinlogValue::Value(MyValue::Bytes(vec![
                    0b101
                ])))),
                &m
            )
            .unwrap(),
            Value::String("a,c".into())
        );
        let e = ColumnKind::Enum {
            values: vec!["x".into(), "y".into()],
        };
        assert_eq!(
            from_binlog(
                &e,
                Some(&Cell::Binlog(BinlogValue::Value(MyValue::Int(2)))),
                &m
            )
            .unwrap(),
            Value::String("y".into())
        );
        let max = ColumnKind::BigInt { unsigned: true };
        let precise = ValueModes {
            bigint_unsigned_precise: true,
            ..m
        };
        assert_eq!(
            from_text(&max, Some(b"18446744073709551615"), &precise).unwrap(),
            Value::Decimal("18446744073709551615".parse().unwrap())
        );
        assert_eq!(
            from_text(&max, Some(b"18446744073709551615"), &m).unwrap(),
            Value::Int64(-1)
        );
    }

    /// Handling modes change the representation, and the schema with it.
    #[test]
    fn handling_modes() {
        let string_decimals = ValueModes {
            decimal: DecimalMode::String,
            ..modes()
        };
        let kind = ColumnKind::Decimal {
            precision: 11,
            scale: 2,
        };
        assert_eq!(
            from_text(&kind, Some(b"1.5"), &string_decimals).unwrap(),
            Value::String("1.50".into())
        );
        // A DECIMAL the row reader read into an integer: the same values in every mode.
        let cell = Cell::Decimal {
            unscaled: 15,
            scale: 1,
        };
        assert_eq!(
            from_binlog(&kind, Some(&cell), &string_decimals).unwrap(),
            Value::String("1.50".into())
        );
        let Value::Decimal(precise) = from_binlog(&kind, Some(&cell), &modes()).unwrap() else {
            panic!("a precise decimal")
        };
        assert_eq!(precise.as_bigint_and_exponent(), (150.into(), 2));
        let doubles = ValueModes {
            decimal: DecimalMode::Double,
            ..modes()
        };
        assert_eq!(
            from_binlog(&kind, Some(&cell), &doubles).unwrap(),
            Value::Float64(1.5)
        );
        // Under a column known as text, the decimal's text.
        assert_eq!(
            from_binlog(&ColumnKind::Text, Some(&cell), &modes()).unwrap(),
            Value::String("1.5".into())
        );
        assert_eq!(
            field_schema(&kind, &string_decimals).field_type(),
            connect_api::FieldType::String
        );
        let hex = ValueModes {
            binary: BinaryMode::Hex,
            ..modes()
        };
        assert_eq!(
            from_text(&ColumnKind::Binary, Some(&[0xab, 0x01]), &hex).unwrap(),
            Value::String("ab01".into())
        );
        let connect = ValueModes {
            time: TimePrecision::Connect,
            ..modes()
        };
        assert_eq!(
            field_schema(&ColumnKind::DateTime { fsp: 6 }, &connect).name(),
            Some(connect_api::data::logical::TIMESTAMP_NAME)
        );
    }
}
