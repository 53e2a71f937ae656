//! JSON numbers written with leading zeros (`0012`, `-007`): invalid JSON, but Kafka's converter
//! reads them (Jackson's `ALLOW_LEADING_ZEROS_FOR_NUMBERS`), so this one does too.

/// `text` with the leading zeros of every number outside strings removed (`0012` → `12`,
/// `-00.5` → `-0.5`, `00` → `0`), or `None` when no number has any (nothing to retry).
pub(crate) fn without_leading_zeros(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut changed = false;
    let mut in_string = false;
    let mut escaped = false;
    // True when the previous byte outside a string continues a token (a number, `true`…):
    // a digit there is not the start of a number.
    let mut in_token = false;
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        if in_string {
            out.push(byte);
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        let starts_number = !in_token && (byte.is_ascii_digit() || byte == b'-');
        if starts_number {
            if byte == b'-' {
                out.push(byte);
                i += 1;
            }
            // Drop each zero that is followed by another digit.
            while i + 1 < text.len() && text[i] == b'0' && text[i + 1].is_ascii_digit() {
                changed = true;
                i += 1;
            }
            in_token = true;
            continue;
        }
        match byte {
            b'"' => {
                in_string = true;
                in_token = false;
            }
            b',' | b':' | b'[' | b']' | b'{' | b'}' => in_token = false,
            _ if byte.is_ascii_whitespace() => in_token = false,
            _ => in_token = true,
        }
        out.push(byte);
        i += 1;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::without_leading_zeros;

    fn fixed(text: &str) -> Option<String> {
        without_leading_zeros(text.as_bytes()).map(|b| String::from_utf8(b).unwrap_or_default())
    }

    #[test]
    fn leading_zeros_are_removed_from_numbers_only() {
        assert_eq!(fixed("0012").as_deref(), Some("12"));
        assert_eq!(fixed("000123").as_deref(), Some("123"));
        assert_eq!(fixed("-007").as_deref(), Some("-7"));
        assert_eq!(fixed("00").as_deref(), Some("0"));
        assert_eq!(fixed("-00.50").as_deref(), Some("-0.50"));
        assert_eq!(
            fixed(r#"{"a":[01, 2, 003],"b":"0012","c\"":00}"#).as_deref(),
            Some(r#"{"a":[1, 2, 3],"b":"0012","c\"":0}"#)
        );
        // Nothing to change: valid numbers, zeros inside strings or after other digits.
        assert_eq!(fixed(r#"[0, 0.5, 100, -0, 1e05, "007"]"#), None);
    }
}
