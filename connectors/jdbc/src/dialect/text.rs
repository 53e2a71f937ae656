//! Values as the text SQLite stores: a decimal as `BigDecimal`'s `Display` writes it, a
//! timestamp as sqlx writes a `NaiveDateTime` (`%F %T%.f`). The same text, written directly:
//! the libraries' general formatters (chrono's `strftime` interpreter, bigdecimal's
//! exponent-aware `Display`) were a quarter of the SQLite sink's CPU per row. Values outside
//! the common range go through the libraries, so the text is always theirs.

use bigdecimal::BigDecimal;
use chrono::{Datelike, NaiveDateTime, Timelike};

/// `decimal.to_string()`, without bigdecimal's general formatter for the usual scales.
pub fn decimal(decimal: &BigDecimal) -> String {
    let (digits, scale) = decimal.as_bigint_and_exponent();
    let unscaled = match i128::try_from(&digits) {
        // bigdecimal writes zero its own way ("0" whatever the scale).
        Ok(unscaled) if unscaled != 0 && (0..=MAX_PLAIN_SCALE).contains(&scale) => unscaled,
        _ => return decimal.to_string(),
    };
    let scale = usize::try_from(scale).unwrap_or_default();
    let magnitude = unscaled.unsigned_abs().to_string();
    if scale > magnitude.len() + MAX_LEADING_ZEROS {
        // bigdecimal writes small values with many leading zeros in exponent form.
        return decimal.to_string();
    }
    let mut text = String::with_capacity(magnitude.len() + scale + 3);
    if unscaled < 0 {
        text.push('-');
    }
    if scale == 0 {
        text.push_str(&magnitude);
    } else if magnitude.len() > scale {
        let (whole, fraction) = magnitude.split_at(magnitude.len() - scale);
        text.push_str(whole);
        text.push('.');
        text.push_str(fraction);
    } else {
        text.push_str("0.");
        text.extend(std::iter::repeat_n('0', scale - magnitude.len()));
        text.push_str(&magnitude);
    }
    text
}

/// Scales written here (bigdecimal writes tiny values in exponent form).
const MAX_PLAIN_SCALE: i64 = 18;
/// Zeros after the point written here; bigdecimal writes 0.000001 plain, 0.0000001 as 1E-7.
const MAX_LEADING_ZEROS: usize = 5;

/// `timestamp.format("%F %T%.f").to_string()` (what sqlx stores for a `NaiveDateTime` in
/// SQLite), without chrono's format interpreter for years 0–9999.
pub fn timestamp(timestamp: &NaiveDateTime) -> String {
    let year = timestamp.year();
    let nanos = timestamp.nanosecond();
    // Years chrono writes with a sign or more digits, and leap seconds, are left to chrono.
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return timestamp.format("%F %T%.f").to_string();
    }
    // "YYYY-MM-DD HH:MM:SS", digit by digit: `write!` was most of this function's time.
    let mut text = Vec::with_capacity(29);
    push_digits(&mut text, year.unsigned_abs(), 4); // 0..=9999
    text.push(b'-');
    push_digits(&mut text, timestamp.month(), 2);
    text.push(b'-');
    push_digits(&mut text, timestamp.day(), 2);
    text.push(b' ');
    push_digits(&mut text, timestamp.hour(), 2);
    text.push(b':');
    push_digits(&mut text, timestamp.minute(), 2);
    text.push(b':');
    push_digits(&mut text, timestamp.second(), 2);
    // `%.f`: nothing for a whole second, else 3, 6 or 9 digits, the fewest that are exact.
    if nanos != 0 {
        text.push(b'.');
        if nanos.is_multiple_of(1_000_000) {
            push_digits(&mut text, nanos / 1_000_000, 3);
        } else if nanos.is_multiple_of(1_000) {
            push_digits(&mut text, nanos / 1_000, 6);
        } else {
            push_digits(&mut text, nanos, 9);
        }
    }
    // Only ASCII digits and separators were pushed.
    String::from_utf8(text).unwrap_or_default()
}

/// `value`'s last `width` decimal digits, zero-padded.
fn push_digits(text: &mut Vec<u8>, mut value: u32, width: usize) {
    let start = text.len();
    text.resize(start + width, b'0');
    for slot in text[start..].iter_mut().rev() {
        // A digit: value % 10 < 10.
        *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;
    use std::str::FromStr;

    #[test]
    fn decimals_are_written_as_bigdecimal_writes_them() {
        for text in [
            "0",
            "0.00",
            "12.34",
            "-12.34",
            "0.05",
            "-0.05",
            "1",
            "-1",
            "100",
            "0.000001",
            "99999.99",
            "1E+3",
            "1E-30",
            "123456789012345678901234567890123456789.5",
        ] {
            let value = BigDecimal::from_str(text).unwrap();
            assert_eq!(decimal(&value), value.to_string(), "{text}");
        }
    }

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        for millis in [
            0,
            1,
            999,
            1_000,
            1_700_000_000_123,
            -1,
            -86_400_001,
            253_402_300_799_999,
            -62_167_219_200_000,
        ] {
            let value = DateTime::from_timestamp_millis(millis).unwrap().naive_utc();
            assert_eq!(
                timestamp(&value),
                value.format("%F %T%.f").to_string(),
                "{millis}"
            );
        }
        let micros = DateTime::from_timestamp_micros(1_700_000_000_123_456)
            .unwrap()
            .naive_utc();
        assert_eq!(timestamp(&micros), micros.format("%F %T%.f").to_string());
        let nanos = DateTime::from_timestamp(1_700_000_000, 123_456_789)
            .unwrap()
            .naive_utc();
        assert_eq!(timestamp(&nanos), nanos.format("%F %T%.f").to_string());
        let leap = DateTime::from_timestamp(1_483_228_799, 1_250_000_000)
            .unwrap()
            .naive_utc();
        assert_eq!(timestamp(&leap), leap.format("%F %T%.f").to_string());
    }

    proptest! {
        #[test]
        fn any_decimal_reads_as_bigdecimal_writes_it(
            unscaled in prop_oneof![Just(0i64), -1000i64..1000, any::<i64>()],
            scale in -4i64..24,
        ) {
            let value = BigDecimal::new(unscaled.into(), scale);
            prop_assert_eq!(decimal(&value), value.to_string());
        }

        #[test]
        fn any_timestamp_reads_as_chrono_writes_it(
            millis in -80_000_000_000_000i64..260_000_000_000_000,
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000],
        ) {
            let value = DateTime::from_timestamp(millis.div_euclid(1000), nanos)
                .unwrap()
                .naive_utc();
            prop_assert_eq!(timestamp(&value), value.format("%F %T%.f").to_string());
        }
    }
}
