//! DECIMAL values of row images, read from the server's binary form straight into an integer.
//!
//! mysql_common reads a binlog DECIMAL into its own digit groups and then formats it as text,
//! which the connector parsed again: with the benchmark's one DECIMAL column, about 1.6k of a
//! streamed row's ~28k instructions. A DECIMAL of up to 38 digits fits an `i128` unscaled
//! value; wider ones keep mysql_common's reading.
//!
//! The form (the server's `decimal2bin`): the integer part's digits, then the fraction's, in
//! groups of nine decimal digits stored as 4 big-endian bytes, the integer part's leading
//! shorter group and the fraction's trailing one in just enough bytes (`BYTES_OF_DIGITS`).
//! The first byte's top bit is flipped; a negative number has every byte inverted.

/// Bytes holding a group of 0…9 decimal digits.
const BYTES_OF_DIGITS: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
const DIGITS_PER_GROUP: usize = 9;

/// The widest DECIMAL read here: every value of up to 38 digits fits an `i128`.
pub const MAX_PRECISION: usize = 38;

/// Bytes of a DECIMAL(precision, scale) value.
pub fn width(precision: usize, scale: usize) -> usize {
    let whole = precision - scale;
    (whole / DIGITS_PER_GROUP) * 4
        + BYTES_OF_DIGITS[whole % DIGITS_PER_GROUP]
        + (scale / DIGITS_PER_GROUP) * 4
        + BYTES_OF_DIGITS[scale % DIGITS_PER_GROUP]
}

/// The unscaled value of a DECIMAL(precision, scale) in its binary form (`bytes` exactly
/// [`width`] long; `precision` ≤ [`MAX_PRECISION`], `scale` ≤ `precision`). `None` when a
/// group holds more digits than it may (bytes that are not a DECIMAL of this shape; the
/// server's own reader refuses them too).
pub fn unscaled(bytes: &[u8], precision: usize, scale: usize) -> Option<i128> {
    debug_assert!(precision <= MAX_PRECISION && scale <= precision);
    debug_assert_eq!(bytes.len(), width(precision, scale));
    let negative = bytes.first().is_some_and(|first| first & 0x80 == 0);
    // Every byte inverted for a negative number, the first's top bit flipped for any.
    let invert: u8 = if negative { 0xff } else { 0 };
    let mut at = 0;
    let mut group = |digits: usize| -> Option<i128> {
        let mut value: u32 = 0;
        for &byte in bytes.get(at..at + BYTES_OF_DIGITS[digits])? {
            let flip = if at == 0 { 0x80 } else { 0 };
            value = value << 8 | u32::from(byte ^ flip ^ invert);
            at += 1;
        }
        (value < POWERS_OF_TEN[digits]).then_some(i128::from(value))
    };
    let whole = precision - scale;
    let mut magnitude = group(whole % DIGITS_PER_GROUP)?;
    for _ in 0..whole / DIGITS_PER_GROUP + scale / DIGITS_PER_GROUP {
        magnitude = magnitude * 1_000_000_000 + group(DIGITS_PER_GROUP)?;
    }
    let trailing = scale % DIGITS_PER_GROUP;
    magnitude = magnitude * i128::from(POWERS_OF_TEN[trailing]) + group(trailing)?;
    Some(if negative { -magnitude } else { magnitude })
}

/// 10^n for a group of n digits (the bound its value stays under).
const POWERS_OF_TEN: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

#[cfg(test)]
mod tests {
    use bigdecimal::BigDecimal;
    use mysql_common::binlog::decimal::Decimal;
    use proptest::prelude::*;

    use super::*;

    /// A DECIMAL(precision, scale) value's binary form, written as the server writes it from
    /// its digits (the integer part's `precision - scale`, then the fraction's `scale`).
    fn binary(negative: bool, digits: &[u8], precision: usize, scale: usize) -> Vec<u8> {
        let whole = precision - scale;
        let sizes = std::iter::once(whole % DIGITS_PER_GROUP)
            .chain(std::iter::repeat_n(
                DIGITS_PER_GROUP,
                whole / DIGITS_PER_GROUP,
            ))
            .chain(std::iter::repeat_n(
                DIGITS_PER_GROUP,
                scale / DIGITS_PER_GROUP,
            ))
            .chain(std::iter::once(scale % DIGITS_PER_GROUP))
            .filter(|&n| n > 0);
        let mut out = Vec::new();
        let mut rest = digits;
        for size in sizes {
            let (group, after) = rest.split_at(size);
            rest = after;
            let value = group.iter().fold(0u32, |n, d| n * 10 + u32::from(*d));
            let bytes = value.to_be_bytes();
            out.extend_from_slice(&bytes[4 - BYTES_OF_DIGITS[size]..]);
        }
        if negative {
            out.iter_mut().for_each(|b| *b = !*b);
        }
        out[0] ^= 0x80;
        out
    }

    /// What mysql_common reads from the same bytes (the reading the connector used before).
    fn mysql_common_reads(bytes: &[u8], precision: usize, scale: usize) -> BigDecimal {
        let decimal = Decimal::read_bin(bytes, precision, scale, false).unwrap();
        decimal.to_string().parse().unwrap()
    }

    #[test]
    fn widths_are_the_servers() {
        // decimal_bin_size: DECIMAL(12,2) 6 bytes, (10,0) 5, (38,10) 18, (9,9) 4, (1,0) 1.
        for (precision, scale, bytes) in
            [(12, 2, 6), (10, 0, 5), (38, 10, 18), (9, 9, 4), (1, 0, 1)]
        {
            assert_eq!(width(precision, scale), bytes, "({precision},{scale})");
            assert_eq!(
                width(precision, scale),
                mysql_common::binlog::decimal::decimal_bin_size(precision, scale)
            );
        }
    }

    #[test]
    fn known_values() {
        // DECIMAL(12,2): 1234.56 and -1234.56; DECIMAL(5,0): 0.
        let positive = binary(false, &[0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6], 12, 2);
        assert_eq!(unscaled(&positive, 12, 2), Some(123_456));
        let negative = binary(true, &[0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6], 12, 2);
        assert_eq!(unscaled(&negative, 12, 2), Some(-123_456));
        assert_eq!(unscaled(&binary(false, &[0; 5], 5, 0), 5, 0), Some(0));
        // Not a DECIMAL(38,2): every group at its bytes' maximum, past its digits.
        assert_eq!(unscaled(&[0xff; 17], 38, 2), None);
        assert_eq!(
            unscaled(&[0xbb, 0x9a, 0xca, 0x00], 9, 0),
            None,
            "10^9 in 9 digits"
        );
    }

    proptest! {
        /// Every DECIMAL of up to 38 digits reads as mysql_common reads it.
        #[test]
        fn reads_as_mysql_common_reads(
            (precision, scale) in (1usize..=MAX_PRECISION).prop_flat_map(|p| (Just(p), 0..=p)),
            digits in prop::collection::vec(0u8..10, MAX_PRECISION),
            negative in any::<bool>(),
        ) {
            let digits = &digits[..precision];
            let bytes = binary(negative, digits, precision, scale);
            prop_assert_eq!(bytes.len(), width(precision, scale));
            let read = BigDecimal::new(unscaled(&bytes, precision, scale).unwrap().into(), scale as i64);
            prop_assert_eq!(read, mysql_common_reads(&bytes, precision, scale));
        }
    }
}
