//! Values as Kafka prints them when a transform turns one into text (Kafka's
//! `Values.convertToString`, used by `Cast` to `string` and by header values): floats as
//! Java's `Double.toString`/`Float.toString` (`42.0`, `1.0E7`), Date/Time/Timestamp values in
//! ISO forms chosen by the instant (`Values.dateFormatFor`), bytes as base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::DateTime;
use connect_api::Value;
use connect_api::data::logical::MILLIS_PER_DAY;

/// The text Kafka writes for `value`.
pub fn java_text(value: &Value) -> String {
    match value {
        Value::Float32(v) => java_float(&format!("{v:e}"), f64::from(*v)),
        Value::Float64(v) => java_float(&format!("{v:e}"), *v),
        Value::Bytes(bytes) => BASE64.encode(bytes),
        Value::Date(days) => instant_text(i64::from(*days) * MILLIS_PER_DAY),
        Value::Time(ms) => instant_text(i64::from(*ms)),
        Value::Timestamp(ms) => instant_text(*ms),
        other => other.to_string(),
    }
}

/// The text of a header made from `value` (`HeaderFrom`): `None` for a null (no header),
/// strings as they are, structs, maps and arrays as JSON, anything else as [`java_text`].
pub fn header_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Struct(_) | Value::Map(_) | Value::Array(_) => {
            let mut out = String::new();
            write_json(value, &mut out);
            Some(out)
        }
        other => Some(java_text(other)),
    }
}

/// Compact JSON of a value: structs and string-keyed maps as objects, other maps as arrays of
/// `[key, value]` pairs (as the JSON converter writes them), numbers as Java prints them.
fn write_json(value: &Value, out: &mut String) {
    let quoted = |text: &str| serde_json::to_string(text).unwrap_or_default();
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => out.push_str(&quoted(s)),
        Value::Bytes(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => {
            out.push_str(&quoted(&java_text(value)));
        }
        Value::Float32(f) if !f.is_finite() => out.push_str(&quoted(&java_text(value))),
        Value::Float64(f) if !f.is_finite() => out.push_str(&quoted(&java_text(value))),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) if entries.iter().all(|(k, _)| k.as_str().is_some()) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quoted(k.as_str().unwrap_or_default()));
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
        Value::Map(entries) => {
            out.push('[');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('[');
                write_json(k, out);
                out.push(',');
                write_json(v, out);
                out.push(']');
            }
            out.push(']');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, (field, v)) in s.schema().fields().iter().zip(s.values()).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quoted(field.name()));
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
        other => out.push_str(&java_text(other)),
    }
}

/// Java's `Double.toString`: plain notation with at least one decimal between 10⁻³ and 10⁷,
/// computerized scientific notation (`1.0E7`, `1.5E-4`) outside, from the shortest digits that
/// read back to the same number (`scientific` is Rust's `{:e}` of the value, e.g. `1.5e-4`).
fn java_float(scientific: &str, v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let magnitude = v.abs();
    if v == 0.0 || (1e-3..1e7).contains(&magnitude) {
        // Plain: place the decimal point `exponent` digits after the first.
        let point = exponent + 1;
        let (int, frac) = if point <= 0 {
            let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
            ("0".to_owned(), format!("{zeros}{digits}"))
        } else {
            let point = usize::try_from(point).unwrap_or(0);
            if digits.len() <= point {
                (format!("{digits:0<point$}"), String::new())
            } else {
                (digits[..point].to_owned(), digits[point..].to_owned())
            }
        };
        let frac = if frac.is_empty() {
            "0".to_owned()
        } else {
            frac
        };
        return format!("{sign}{int}.{frac}");
    }
    let (first, rest) = digits.split_at(1);
    let rest = if rest.is_empty() { "0" } else { rest };
    format!("{sign}{first}.{rest}E{exponent}")
}

/// Kafka's `Values.dateFormatFor`: under a day → `HH:mm:ss.SSS'Z'`; a whole day →
/// `yyyy-MM-dd`; otherwise `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (UTC).
fn instant_text(millis: i64) -> String {
    let Some(at) = DateTime::from_timestamp_millis(millis) else {
        return millis.to_string();
    };
    if millis < MILLIS_PER_DAY {
        at.format("%H:%M:%S%.3fZ").to_string()
    } else if millis % MILLIS_PER_DAY == 0 {
        at.format("%Y-%m-%d").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_java_prints_them() {
        let cases: &[(f64, &str)] = &[
            (42.0, "42.0"),
            (-64.0, "-64.0"),
            (0.0, "0.0"),
            (12.34, "12.34"),
            (0.001, "0.001"),
            (1e-4, "1.0E-4"),
            (1.5e-4, "1.5E-4"),
            (1e7, "1.0E7"),
            (9_999_999.0, "9999999.0"),
            (1e20, "1.0E20"),
            (9.223_372_036_854_776e18, "9.223372036854776E18"),
            (-1.25e-10, "-1.25E-10"),
            (123_456.789, "123456.789"),
        ];
        for (v, expected) in cases {
            assert_eq!(java_text(&Value::Float64(*v)), *expected, "{v}");
        }
        assert_eq!(java_text(&Value::Float32(12.34)), "12.34");
        assert_eq!(java_text(&Value::Float32(1e7)), "1.0E7");
        assert_eq!(java_text(&Value::Float64(f64::NAN)), "NaN");
    }

    #[test]
    fn dates_and_times_print_in_the_form_their_instant_calls_for() {
        assert_eq!(java_text(&Value::Date(1)), "1970-01-02");
        assert_eq!(java_text(&Value::Time(3_600_000)), "01:00:00.000Z");
        assert_eq!(
            java_text(&Value::Timestamp(MILLIS_PER_DAY + 1)),
            "1970-01-02T00:00:00.001Z"
        );
        assert_eq!(
            java_text(&Value::Timestamp(1_700_000_000_123)),
            "2023-11-14T22:13:20.123Z"
        );
        // Kafka's quirks, kept: the epoch day prints as a time, a midnight timestamp as a date.
        assert_eq!(java_text(&Value::Date(0)), "00:00:00.000Z");
        assert_eq!(java_text(&Value::Timestamp(MILLIS_PER_DAY)), "1970-01-02");
        assert_eq!(java_text(&Value::Bytes(vec![0xFE, 0xDC])), "/tw=");
    }
}
