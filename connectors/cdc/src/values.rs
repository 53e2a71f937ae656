//! Representations every database shares: Debezium's semantic type names and the helpers
//! that build its values (decimals, bit strings, binary modes, dates and zoned timestamps).

use base64::Engine;
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
    pub const LTREE: &str = "io.debezium.data.Ltree";
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

/// Days since 1970-01-01 of a proleptic Gregorian date (year 0 is 1 BC); `None` for a date
/// that does not exist. Plain arithmetic (Hinnant's `days_from_civil`), so PostgreSQL's whole
/// range (to 5874897 AD) fits, beyond what a calendar library accepts.
pub fn days_since_epoch(year: i32, month: u32, day: u32) -> Option<i32> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days {
        return None;
    }
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    i32::try_from(era * 146_097 + day_of_era - 719_468).ok()
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
        assert_eq!(days_since_epoch(2024, 2, 29), Some(19_782));
        assert_eq!(days_since_epoch(2023, 2, 29), None);
        assert_eq!(days_since_epoch(1969, 12, 31), Some(-1));
        // PostgreSQL's last date, beyond chrono's range.
        assert_eq!(days_since_epoch(5_874_897, 12, 31), Some(2_145_042_905));
    }
}
