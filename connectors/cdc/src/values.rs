//! Representations every database shares: Debezium's semantic type names and the helpers
//! that build its values (decimals, bit strings, binary modes, dates and zoned timestamps).

use base64::Engine;
use chrono::{Datelike, NaiveDate};
use connect_api::Value;
use connect_api::data::SchemaBuilder;

use crate::config::{BinaryMode, ValueModes};

/// Debezium's semantic type names.
pub mod names {
    pub const DATE: &str = "io.debezium.time.Date";
    pub const TIME: &str = "io.debezium.time.Time";
    pub const MICRO_TIME: &str = "io.debezium.time.MicroTime";
    pub const TIMESTAMP: &str = "io.debezium.time.Timestamp";
    pub const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
    pub const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";
    pub const ZONED_TIME: &str = "io.debezium.time.ZonedTime";
    pub const MICRO_DURATION: &str = "io.debezium.time.MicroDuration";
    pub const INTERVAL: &str = "io.debezium.time.Interval";
    pub const YEAR: &str = "io.debezium.time.Year";
    pub const BITS: &str = "io.debezium.data.Bits";
    pub const ENUM: &str = "io.debezium.data.Enum";
    pub const ENUM_SET: &str = "io.debezium.data.EnumSet";
    pub const JSON: &str = "io.debezium.data.Json";
    pub const UUID: &str = "io.debezium.data.Uuid";
    pub const XML: &str = "io.debezium.data.Xml";
    pub const VARIABLE_SCALE_DECIMAL: &str = "io.debezium.data.VariableScaleDecimal";
}

/// The logical Decimal under the runtime's (openmessaging) name, as the Java adaptor renames
/// Kafka's; no version, because the adaptor drops versions.
pub fn decimal_schema(scale: u32) -> SchemaBuilder {
    SchemaBuilder::bytes()
        .name(connect_api::data::logical::DECIMAL_NAME)
        .parameter(connect_api::data::logical::DECIMAL_SCALE, scale.to_string())
}

/// A bit string of `length` bits given big-endian (as servers send it): Debezium's `Bits`,
/// little-endian bytes, `ceil(length / 8)` of them.
pub fn bits_from_be(mut bytes: Vec<u8>, length: u32) -> Vec<u8> {
    bytes.reverse();
    bytes.resize((length as usize).div_ceil(8).max(1), 0);
    bytes
}

/// A bit string written as text ("1000000001") as Debezium's `Bits` bytes.
pub fn bits_le(text: &str) -> Vec<u8> {
    let bits = text.as_bytes();
    let mut be = vec![0u8; bits.len().div_ceil(8)];
    for (i, &bit) in bits.iter().rev().enumerate() {
        if bit == b'1' {
            let byte = be.len() - 1 - i / 8;
            be[byte] |= 1 << (i % 8);
        }
    }
    bits_from_be(be, bits.len() as u32)
}

/// Bytes as `binary.handling.mode` says: bytes, or base64/hex text.
pub fn binary(bytes: Vec<u8>, modes: &ValueModes) -> Value {
    match modes.binary {
        BinaryMode::Bytes => Value::Bytes(bytes),
        BinaryMode::Base64 => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        BinaryMode::Hex => Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect()),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year 0 is 1 BC).
pub fn days_since_epoch(year: i32, month: u32, day: u32) -> Option<i32> {
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    Some(date.num_days_from_ce() - 719_163)
}

/// A fraction of a second written as digits ("5" = 500000 µs) in µs.
pub fn micros_of(frac: &str) -> Option<u32> {
    if frac.is_empty() {
        return Some(0);
    }
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    digits.parse().ok()
}

/// A UTC instant in µs as Debezium's ZonedTimestamp: ISO-8601 ("2022-06-14T11:57:51Z"), the
/// fraction as Java prints it (only the digits needed).
pub fn zoned_timestamp(micros: i64, _fsp: u32) -> Value {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000) as u32;
    let Some(at) = chrono::DateTime::from_timestamp(secs, frac * 1000) else {
        return Value::Null;
    };
    let mut out = at.format("%Y-%m-%dT%H:%M:%S").to_string();
    if frac > 0 {
        let digits = format!("{frac:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    Value::String(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_strings_become_little_endian_bytes() {
        assert_eq!(bits_le("1000000001"), vec![0x01, 0x02]);
        assert_eq!(bits_le("1"), vec![0x01]);
        assert_eq!(bits_le("00000000"), vec![0x00]);
        assert_eq!(bits_from_be(vec![0x02, 0x01], 10), vec![0x01, 0x02]);
    }

    #[test]
    fn dates_count_from_the_epoch_through_year_zero() {
        assert_eq!(days_since_epoch(1970, 1, 1), Some(0));
        assert_eq!(days_since_epoch(0, 1, 1), Some(-719_528));
        assert_eq!(days_since_epoch(2023, 2, 30), None);
    }
}
