//! Debezium's PostgreSQL type mapping: a [`PgKind`] and the `*.handling.mode` keys give the
//! field's schema ([`field_schema`]); a value in the server's text format — from the stream's
//! tuples and from the snapshot's unprepared queries alike — becomes the Connect value
//! ([`from_text`]). The sessions pin `DateStyle=ISO`, `IntervalStyle=iso_8601`,
//! `TimeZone=UTC`, `bytea_output=hex` and `extra_float_digits=3`, the formats parsed here.

use bigdecimal::BigDecimal;
use connect_api::data::SchemaBuilder;
use connect_api::{SchemaRef, Value};

use super::columns::PgKind;
use crate::config::{DecimalMode, TimePrecision, ValueModes};
use crate::values::{
    binary, bits_le, days_since_epoch, decimal_schema, micros_of, names, zoned_timestamp,
};

/// The PostgreSQL-only representation choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgModes {
    pub base: ValueModes,
    /// `interval.handling.mode=string`: ISO-8601 text instead of microseconds.
    pub interval_string: bool,
    /// `money.fraction.digits`.
    pub money_digits: u32,
    /// `include.unknown.datatypes`: unmapped types as their text (else the column is dropped).
    pub unknown_as_text: bool,
    /// `hstore.handling.mode=map`: hstore as a map (else a JSON object as text).
    pub hstore_map: bool,
    /// `unavailable.value.placeholder`: what an unchanged TOAST value the server did not send
    /// becomes.
    pub placeholder: String,
}

impl Default for PgModes {
    fn default() -> Self {
        Self {
            base: ValueModes {
                time: TimePrecision::Adaptive,
                ..ValueModes::default()
            },
            interval_string: false,
            money_digits: 2,
            unknown_as_text: false,
            hstore_map: false,
            placeholder: "__debezium_unavailable_value".to_owned(),
        }
    }
}

/// The (optional) schema of a column's field; `None` for a column events leave out (an
/// unmapped type without `include.unknown.datatypes`).
pub fn field_schema(kind: &PgKind, modes: &PgModes) -> Option<SchemaRef> {
    Some(builder(kind, modes)?.optional().build())
}

fn builder(kind: &PgKind, modes: &PgModes) -> Option<SchemaBuilder> {
    let time = modes.base.time;
    Some(match kind {
        PgKind::Bool | PgKind::Bits(1) => SchemaBuilder::bool(),
        PgKind::Int16 => SchemaBuilder::int16(),
        PgKind::Int32 => SchemaBuilder::int32(),
        PgKind::Int64 => SchemaBuilder::int64(),
        PgKind::Float32 => SchemaBuilder::float32(),
        PgKind::Float64 => SchemaBuilder::float64(),
        PgKind::Numeric(declared) => match modes.base.decimal {
            DecimalMode::Precise => match declared {
                Some((precision, scale)) => decimal_schema(*scale)
                    .parameter("connect.decimal.precision", precision.to_string()),
                None => variable_scale_builder(),
            },
            DecimalMode::Double => SchemaBuilder::float64(),
            DecimalMode::String => SchemaBuilder::string(),
        },
        PgKind::Money => match modes.base.decimal {
            DecimalMode::Precise => decimal_schema(modes.money_digits),
            DecimalMode::Double => SchemaBuilder::float64(),
            DecimalMode::String => SchemaBuilder::string(),
        },
        PgKind::Text => SchemaBuilder::string(),
        PgKind::Uuid => SchemaBuilder::string().name(names::UUID),
        PgKind::Json => SchemaBuilder::string().name(names::JSON),
        PgKind::Xml => SchemaBuilder::string().name(names::XML),
        PgKind::Bytea => match modes.base.binary {
            crate::config::BinaryMode::Bytes => SchemaBuilder::bytes(),
            _ => SchemaBuilder::string(),
        },
        PgKind::Date => match time {
            TimePrecision::Connect => SchemaBuilder::date(),
            _ => SchemaBuilder::int32().name(names::DATE),
        },
        PgKind::Time(p) => match time {
            TimePrecision::Connect => SchemaBuilder::time(),
            TimePrecision::Adaptive if *p <= 3 => SchemaBuilder::int32().name(names::TIME),
            _ => SchemaBuilder::int64().name(names::MICRO_TIME),
        },
        PgKind::TimeTz => SchemaBuilder::string().name(names::ZONED_TIME),
        PgKind::Timestamp(p) => match time {
            TimePrecision::Connect => SchemaBuilder::timestamp(),
            _ if *p <= 3 => SchemaBuilder::int64().name(names::TIMESTAMP),
            _ => SchemaBuilder::int64().name(names::MICRO_TIMESTAMP),
        },
        PgKind::TimestampTz => SchemaBuilder::string().name(names::ZONED_TIMESTAMP),
        PgKind::Interval if modes.interval_string => SchemaBuilder::string().name(names::INTERVAL),
        PgKind::Interval => SchemaBuilder::int64().name(names::MICRO_DURATION),
        PgKind::Bits(length) => SchemaBuilder::bytes()
            .name(names::BITS)
            .parameter("length", length.to_string()),
        PgKind::Enum(labels) => SchemaBuilder::string()
            .name(names::ENUM)
            .parameter("allowed", labels.join(",")),
        PgKind::Ltree => SchemaBuilder::string().name(names::LTREE),
        // Debezium's map: required string keys (hstore keys are never null).
        PgKind::Hstore if modes.hstore_map => SchemaBuilder::map(
            SchemaBuilder::string().required().build(),
            SchemaBuilder::string().optional().build(),
        ),
        PgKind::Hstore => SchemaBuilder::string().name(names::JSON),
        PgKind::Array(element) => SchemaBuilder::array(builder(element, modes)?.optional().build()),
        PgKind::Unknown(_) if modes.unknown_as_text => SchemaBuilder::string(),
        PgKind::Unknown(_) => return None,
    })
}

/// `io.debezium.data.VariableScaleDecimal`: a numeric without a declared scale.
fn variable_scale_builder() -> SchemaBuilder {
    SchemaBuilder::struct_()
        .name(names::VARIABLE_SCALE_DECIMAL)
        .field("scale", SchemaBuilder::int32().build())
        .and_then(|b| b.field("value", SchemaBuilder::bytes().build()))
        .unwrap_or_else(|_| SchemaBuilder::struct_())
}

/// A value the column's type cannot hold: named, not guessed.
fn bad(kind: &PgKind, text: &str) -> String {
    format!("a {kind:?} column cannot hold {text:?}")
}

/// The value of a column from its text (`None`: SQL null).
pub fn from_text(kind: &PgKind, raw: Option<&[u8]>, modes: &PgModes) -> Result<Value, String> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    let text = std::str::from_utf8(raw).map_err(|_| bad(kind, &String::from_utf8_lossy(raw)))?;
    scalar(kind, text, modes)
}

fn scalar(kind: &PgKind, s: &str, modes: &PgModes) -> Result<Value, String> {
    let time = modes.base.time;
    let parse_err = || bad(kind, s);
    Ok(match kind {
        PgKind::Bool => Value::Boolean(s == "t" || s == "true"),
        PgKind::Int16 => Value::Int16(s.parse().map_err(|_| parse_err())?),
        PgKind::Int32 => Value::Int32(s.parse().map_err(|_| parse_err())?),
        PgKind::Int64 => Value::Int64(s.parse().map_err(|_| parse_err())?),
        PgKind::Float32 => Value::Float32(float(s).ok_or_else(parse_err)? as f32),
        PgKind::Float64 => Value::Float64(float(s).ok_or_else(parse_err)?),
        PgKind::Numeric(declared) => numeric(kind, s, *declared, modes)?,
        PgKind::Money => {
            let negative = s.starts_with('-') || s.starts_with('(');
            let digits: String = s
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let text = if negative {
                format!("-{digits}")
            } else {
                digits
            };
            let scale = Some((0, modes.money_digits));
            numeric(kind, &text, scale, modes)?
        }
        PgKind::Text
        | PgKind::Uuid
        | PgKind::Json
        | PgKind::Xml
        | PgKind::Enum(_)
        | PgKind::Ltree
        | PgKind::Unknown(_) => Value::String(s.to_owned()),
        PgKind::Hstore => {
            let pairs = parse_hstore(s).ok_or_else(parse_err)?;
            if modes.hstore_map {
                Value::Map(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (Value::String(k), v.map_or(Value::Null, Value::String)))
                        .collect(),
                )
            } else {
                let object: serde_json::Map<String, serde_json::Value> = pairs
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k,
                            v.map_or(serde_json::Value::Null, serde_json::Value::String),
                        )
                    })
                    .collect();
                Value::String(serde_json::Value::Object(object).to_string())
            }
        }
        PgKind::TimestampTz => match parse_timestamp(s) {
            Some((micros, offset)) => zoned_timestamp(micros - offset * 1_000_000, 6),
            None => infinity(s).ok_or_else(parse_err)?,
        },
        PgKind::TimeTz => zoned_time(s).ok_or_else(parse_err)?,
        PgKind::Bytea => {
            let hex = s.strip_prefix("\\x").ok_or_else(parse_err)?;
            binary(decode_hex(hex).ok_or_else(parse_err)?, &modes.base)
        }
        PgKind::Date => match parse_date(s) {
            Some(days) => match time {
                TimePrecision::Connect => Value::Date(days),
                _ => Value::Int32(days),
            },
            None => infinity(s).ok_or_else(parse_err)?,
        },
        PgKind::Time(p) => {
            let micros = parse_clock(s).ok_or_else(parse_err)?;
            match time {
                TimePrecision::Connect => Value::Time(micros.div_euclid(1000) as i32),
                TimePrecision::Adaptive if *p <= 3 => Value::Int32(micros.div_euclid(1000) as i32),
                _ => Value::Int64(micros),
            }
        }
        PgKind::Timestamp(p) => match parse_timestamp(s) {
            Some((micros, _)) => match time {
                TimePrecision::Connect => Value::Timestamp(micros.div_euclid(1000)),
                _ if *p <= 3 => Value::Int64(micros.div_euclid(1000)),
                _ => Value::Int64(micros),
            },
            None => infinity(s).ok_or_else(parse_err)?,
        },
        PgKind::Interval if modes.interval_string => Value::String(s.to_owned()),
        PgKind::Interval => Value::Int64(interval_micros(s).ok_or_else(parse_err)?),
        PgKind::Bits(length) => {
            if s.bytes().any(|b| b != b'0' && b != b'1') {
                return Err(parse_err());
            }
            if *length == 1 {
                Value::Boolean(s == "1")
            } else {
                // Debezium's PostgreSQL converter goes through java.util.BitSet, whose bytes
                // stop at the highest set bit: B'00' is empty, B'0000000100000000' one byte.
                let mut bytes = bits_le(s);
                while bytes.last() == Some(&0) {
                    bytes.pop();
                }
                Value::Bytes(bytes)
            }
        }
        PgKind::Array(element) => Value::Array(
            parse_array(s)
                .ok_or_else(parse_err)?
                .into_iter()
                .map(|item| match item {
                    None => Ok(Value::Null),
                    Some(text) => scalar(element, &text, modes),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// `infinity`/`-infinity` dates and timestamps: Debezium has no value for them either.
fn infinity(s: &str) -> Option<Value> {
    matches!(s, "infinity" | "-infinity").then_some(Value::Null)
}

fn float(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

fn numeric(
    kind: &PgKind,
    s: &str,
    declared: Option<(u32, u32)>,
    modes: &PgModes,
) -> Result<Value, String> {
    if s == "NaN" || s.ends_with("Infinity") {
        return Ok(match modes.base.decimal {
            DecimalMode::Precise => Value::Null,
            DecimalMode::Double => Value::Float64(float(s).unwrap_or(f64::NAN)),
            DecimalMode::String => Value::String(s.to_owned()),
        });
    }
    let value: BigDecimal = s.parse().map_err(|_| bad(kind, s))?;
    Ok(match modes.base.decimal {
        DecimalMode::Double => Value::Float64(s.parse().map_err(|_| bad(kind, s))?),
        DecimalMode::String => Value::String(s.to_owned()),
        DecimalMode::Precise => match declared {
            Some((_, scale)) => Value::Decimal(value.with_scale(i64::from(scale))),
            None => {
                let scale = s.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
                let (unscaled, _) = value
                    .with_scale(i64::from(scale))
                    .into_bigint_and_exponent();
                let schema = variable_scale_builder().optional().build();
                let mut out = connect_api::Struct::new(schema).map_err(|e| e.to_string())?;
                out.put("scale", scale).map_err(|e| e.to_string())?;
                out.put("value", unscaled.to_signed_bytes_be())
                    .map_err(|e| e.to_string())?;
                Value::Struct(out)
            }
        },
    })
}

/// "YYYY-MM-DD" (with " BC" for years before 1) as days since the epoch.
fn parse_date(s: &str) -> Option<i32> {
    let (date, bc) = match s.strip_suffix(" BC") {
        Some(date) => (date, true),
        None => (s, false),
    };
    let mut parts = date.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let year = if bc { 1 - year } else { year };
    days_since_epoch(year, month, day)
}

/// "HH:MM:SS[.ffffff]" as µs since midnight (24:00:00 allowed, as PostgreSQL does).
fn parse_clock(s: &str) -> Option<i64> {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = hms.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec: i64 = parts.next()?.parse().ok()?;
    Some((h * 3600 + m * 60 + sec) * 1_000_000 + i64::from(micros_of(frac)?))
}

/// Splits a trailing UTC offset ("+05", "-03:30", "+05:30:15") from a time of day: (the rest,
/// the offset in seconds east of UTC).
fn split_offset(s: &str) -> (&str, i64) {
    let Some(at) = s.rfind(['+', '-']).filter(|&i| i >= 8) else {
        return (s, 0);
    };
    let sign = if s.as_bytes()[at] == b'-' { -1 } else { 1 };
    let mut parts = s[at + 1..]
        .split(':')
        .map(|p| p.parse::<i64>().unwrap_or(0));
    let h = parts.next().unwrap_or(0);
    let m = parts.next().unwrap_or(0);
    let sec = parts.next().unwrap_or(0);
    (&s[..at], sign * (h * 3600 + m * 60 + sec))
}

/// "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]][ BC]": (µs since the epoch of the wall clock,
/// the offset in seconds).
fn parse_timestamp(s: &str) -> Option<(i64, i64)> {
    let (s, bc) = match s.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    let (date, clock) = s.split_once(' ')?;
    let (clock, offset) = split_offset(clock);
    let date = if bc {
        format!("{date} BC")
    } else {
        date.to_owned()
    };
    let days = i64::from(parse_date(&date)?);
    Some((days * 86_400_000_000 + parse_clock(clock)?, offset))
}

/// timetz: "HH:MM:SS[.ffffff]+HH[:MM]" as Debezium's ZonedTime, in UTC ("10:15:30.5Z").
fn zoned_time(s: &str) -> Option<Value> {
    let (clock, offset) = split_offset(s);
    let micros = (parse_clock(clock)? - offset * 1_000_000).rem_euclid(86_400_000_000);
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac > 0 {
        out.push('.');
        out.push_str(format!("{frac:06}").trim_end_matches('0'));
    }
    out.push('Z');
    Some(Value::String(out))
}

/// An ISO-8601 interval ("P1Y2M3DT4H5M6.5S", components may be negative) as µs, with
/// Debezium's average month (30.4375 days) and year (365.25 days).
fn interval_micros(s: &str) -> Option<i64> {
    const DAY: f64 = 86_400_000_000.0;
    let rest = s.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = 0f64;
    for (part, units) in [(date, b"YMWD" as &[u8]), (time, b"HMS")] {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '-' || c == '.' {
                number.push(c);
                continue;
            }
            let value: f64 = number.parse().ok()?;
            number.clear();
            let unit = u8::try_from(c).ok()?;
            if !units.contains(&unit) {
                return None;
            }
            total += value
                * match (units.len(), unit) {
                    (4, b'Y') => 365.25 * DAY,
                    (4, b'M') => 30.4375 * DAY,
                    (4, b'W') => 7.0 * DAY,
                    (4, b'D') => DAY,
                    (_, b'H') => 3_600_000_000.0,
                    (_, b'M') => 60_000_000.0,
                    _ => 1_000_000.0,
                };
        }
        if !number.is_empty() {
            return None;
        }
    }
    Some(total.round() as i64)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A one-dimensional array literal ("{1,2,NULL}", "{\"a b\",c}") as its items (`None`: NULL).
/// More dimensions are refused.
fn parse_array(s: &str) -> Option<Vec<Option<String>>> {
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    if inner.is_empty() {
        return Some(items);
    }
    let mut chars = inner.chars().peekable();
    loop {
        let item = if chars.peek() == Some(&'"') {
            chars.next();
            let mut text = String::new();
            loop {
                match chars.next()? {
                    '\\' => text.push(chars.next()?),
                    '"' => break,
                    c => text.push(c),
                }
            }
            Some(text)
        } else {
            let mut text = String::new();
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '{' {
                    return None;
                }
                text.push(c);
                chars.next();
            }
            (text != "NULL").then_some(text)
        };
        items.push(item);
        match chars.next() {
            None => return Some(items),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

/// hstore's text (`"a"=>"1", "b"=>NULL`) as its pairs in order.
fn parse_hstore(s: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut chars = s.chars().peekable();
    let mut pairs = Vec::new();
    let quoted = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<String> {
        let mut text = String::new();
        loop {
            match chars.next()? {
                '\\' => text.push(chars.next()?),
                '"' => return Some(text),
                c => text.push(c),
            }
        }
    };
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(pairs);
        }
        if chars.next()? != '"' {
            return None;
        }
        let key = quoted(&mut chars)?;
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next()? != '=' || chars.next()? != '>' {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            Some(quoted(&mut chars)?)
        } else {
            let word: String =
                std::iter::from_fn(|| chars.next_if(|c| c.is_alphabetic())).collect();
            if word != "NULL" {
                return None;
            }
            None
        };
        pairs.push((key, value));
    }
}

/// The placeholder for an unchanged TOAST value the server did not send, in the column's
/// type; `None` when the type cannot carry it (the value becomes null).
pub fn unavailable(kind: &PgKind, modes: &PgModes) -> Option<Value> {
    match kind {
        PgKind::Text | PgKind::Json | PgKind::Xml | PgKind::Ltree | PgKind::Unknown(_) => {
            Some(Value::String(modes.placeholder.clone()))
        }
        PgKind::Bytea => Some(binary(modes.placeholder.as_bytes().to_vec(), &modes.base)),
        PgKind::Array(element) if matches!(**element, PgKind::Text) => {
            Some(Value::Array(vec![Value::String(modes.placeholder.clone())]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kind: PgKind, text: &str) -> Value {
        from_text(&kind, Some(text.as_bytes()), &PgModes::default()).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(read(PgKind::Bool, "t"), Value::Boolean(true));
        assert_eq!(read(PgKind::Int16, "-7"), Value::Int16(-7));
        assert_eq!(
            read(PgKind::Int64, "9007199254740993"),
            Value::Int64(9007199254740993)
        );
        assert_eq!(read(PgKind::Float32, "1.5"), Value::Float32(1.5));
        assert!(matches!(read(PgKind::Float64, "NaN"), Value::Float64(f) if f.is_nan()));
        assert_eq!(read(PgKind::Text, "a b"), Value::String("a b".into()));
        assert_eq!(read(PgKind::Bytea, "\\x00ff"), Value::Bytes(vec![0, 255]));
        assert_eq!(
            from_text(&PgKind::Int32, None, &PgModes::default()).unwrap(),
            Value::Null
        );
        assert!(from_text(&PgKind::Int32, Some(b"x"), &PgModes::default()).is_err());
    }

    #[test]
    fn numerics_with_and_without_scale() {
        assert_eq!(
            read(PgKind::Numeric(Some((10, 2))), "12.3"),
            Value::Decimal("12.30".parse().unwrap())
        );
        assert_eq!(read(PgKind::Numeric(Some((10, 2))), "NaN"), Value::Null);
        let Value::Struct(variable) = read(PgKind::Numeric(None), "-1.005") else {
            panic!("not a struct")
        };
        assert_eq!(variable.get("scale"), Some(&Value::Int32(3)));
        // -1005 as big-endian two's complement.
        assert_eq!(variable.get("value"), Some(&Value::Bytes(vec![0xfc, 0x13])));
        assert_eq!(
            read(PgKind::Money, "-$1,234.50"),
            Value::Decimal("-1234.50".parse().unwrap())
        );
    }

    #[test]
    fn dates_times_and_zones() {
        assert_eq!(read(PgKind::Date, "1970-01-02"), Value::Int32(1));
        // 1 BC is the proleptic year 0.
        assert_eq!(read(PgKind::Date, "0001-01-01 BC"), Value::Int32(-719_528));
        assert_eq!(
            read(PgKind::Time(6), "01:00:00.5"),
            Value::Int64(3_600_500_000)
        );
        assert_eq!(read(PgKind::Time(3), "00:00:01.25"), Value::Int32(1250));
        assert_eq!(
            read(PgKind::Timestamp(6), "1970-01-01 00:00:01.000002"),
            Value::Int64(1_000_002)
        );
        assert_eq!(
            read(PgKind::Timestamp(3), "1970-01-01 00:00:01.5"),
            Value::Int64(1500)
        );
        assert_eq!(
            read(PgKind::TimestampTz, "2024-03-01 10:00:00.25+00"),
            Value::String("2024-03-01T10:00:00.25Z".into())
        );
        assert_eq!(
            read(PgKind::TimestampTz, "2024-03-01 10:00:00+05:30"),
            Value::String("2024-03-01T04:30:00Z".into())
        );
        assert_eq!(
            read(PgKind::TimeTz, "10:15:30.5+02"),
            Value::String("08:15:30.5Z".into())
        );
        assert_eq!(read(PgKind::Timestamp(6), "infinity"), Value::Null);
    }

    #[test]
    fn intervals_use_debeziums_average_month() {
        assert_eq!(read(PgKind::Interval, "P1D"), Value::Int64(86_400_000_000));
        assert_eq!(
            read(PgKind::Interval, "P1M"),
            Value::Int64(2_629_800_000_000)
        );
        assert_eq!(
            read(PgKind::Interval, "PT-1H-0.5S"),
            Value::Int64(-3_600_500_000)
        );
        assert_eq!(read(PgKind::Interval, "P0D"), Value::Int64(0));
        let string = PgModes {
            interval_string: true,
            ..PgModes::default()
        };
        assert_eq!(
            from_text(&PgKind::Interval, Some(b"P1Y"), &string).unwrap(),
            Value::String("P1Y".into())
        );
    }

    #[test]
    fn bits_arrays_and_enums() {
        assert_eq!(read(PgKind::Bits(1), "1"), Value::Boolean(true));
        // b'1000000001' (10 bits): little-endian bytes.
        assert_eq!(
            read(PgKind::Bits(10), "1000000001"),
            Value::Bytes(vec![0x01, 0x02])
        );
        // As java.util.BitSet.toByteArray: no bytes above the highest set bit.
        assert_eq!(read(PgKind::Bits(2), "00"), Value::Bytes(vec![]));
        assert_eq!(
            read(PgKind::Bits(16), "0000000000000001"),
            Value::Bytes(vec![0x01])
        );
        assert_eq!(
            read(PgKind::Array(Box::new(PgKind::Int32)), "{1,NULL,3}"),
            Value::Array(vec![Value::Int32(1), Value::Null, Value::Int32(3)])
        );
        assert_eq!(
            read(
                PgKind::Array(Box::new(PgKind::Text)),
                r#"{"a b","q\"x",NULL,"NULL"}"#
            ),
            Value::Array(vec![
                Value::String("a b".into()),
                Value::String("q\"x".into()),
                Value::Null,
                Value::String("NULL".into())
            ])
        );
        assert_eq!(
            read(PgKind::Array(Box::new(PgKind::Int32)), "{}"),
            Value::Array(vec![])
        );
        assert!(
            from_text(
                &PgKind::Array(Box::new(PgKind::Int32)),
                Some(b"{{1},{2}}"),
                &PgModes::default()
            )
            .is_err()
        );
        let kind = PgKind::Enum(vec!["sad".into(), "happy".into()]);
        let schema = field_schema(&kind, &PgModes::default()).unwrap();
        assert_eq!(
            schema.parameters().get("allowed").map(String::as_str),
            Some("sad,happy")
        );
        assert_eq!(read(kind, "happy"), Value::String("happy".into()));
    }

    #[test]
    fn hstore_as_json_text_or_a_map() {
        assert_eq!(
            read(PgKind::Hstore, r#""a"=>"1", "b c"=>NULL, "q\"x"=>"y""#),
            Value::String(r#"{"a":"1","b c":null,"q\"x":"y"}"#.into())
        );
        let map = PgModes {
            hstore_map: true,
            ..PgModes::default()
        };
        assert_eq!(
            from_text(&PgKind::Hstore, Some(br#""k"=>"v""#), &map).unwrap(),
            Value::Map(vec![(Value::String("k".into()), Value::String("v".into()))])
        );
        assert_eq!(read(PgKind::Hstore, ""), Value::String("{}".into()));
        assert!(from_text(&PgKind::Hstore, Some(b"oops"), &PgModes::default()).is_err());
        // Debezium's map schema: required string keys, optional string values.
        let schema = field_schema(&PgKind::Hstore, &map).unwrap();
        assert!(schema.is_optional());
        assert!(!schema.key_schema().unwrap().is_optional());
        assert!(schema.value_schema().unwrap().is_optional());
    }

    #[test]
    fn unknown_types_are_dropped_unless_asked_for() {
        let kind = PgKind::Unknown("hstore".into());
        assert!(field_schema(&kind, &PgModes::default()).is_none());
        let modes = PgModes {
            unknown_as_text: true,
            ..PgModes::default()
        };
        assert!(field_schema(&kind, &modes).is_some());
    }
}
