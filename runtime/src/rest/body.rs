//! Connector configurations from request bodies and `?config=` parameters: a JSON object whose
//! values become strings (numbers and booleans as their text, nested values as JSON text, as
//! the Java runtime does); `null` values are rejected with the key named.

use connect_api::Config;

/// Parses a JSON object of configuration keys.
pub fn parse_config(bytes: &[u8], what: &str) -> Result<Config, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(format!(
            "{what} is required: a JSON object of configuration keys"
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("{what} is not valid JSON: {e}"))?;
    config_from_json(&json, what)
}

/// Converts a JSON object into a configuration.
pub fn config_from_json(json: &serde_json::Value, what: &str) -> Result<Config, String> {
    let object = json.as_object().ok_or_else(|| {
        format!(
            "{what} must be a JSON object of configuration keys, not {}",
            kind(json)
        )
    })?;
    let mut config = Config::new();
    for (key, value) in object {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => {
                return Err(format!(
                    "config key '{key}' is null; give it a value or leave it out"
                ));
            }
            other => other.to_string(),
        };
        config.put(key.clone(), text);
    }
    Ok(config)
}

fn kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_strings_and_bad_bodies_are_explained() {
        let config = parse_config(
            br#"{"max.tasks": 2, "flag": true, "nested": {"a": 1}, "s": "x"}"#,
            "the request body",
        )
        .unwrap();
        assert_eq!(config.get("max.tasks"), Some("2"));
        assert_eq!(config.get("flag"), Some("true"));
        assert_eq!(config.get("nested"), Some(r#"{"a":1}"#));
        assert!(
            parse_config(b"{oops", "the body")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(
            parse_config(b"[1]", "the body")
                .unwrap_err()
                .contains("not an array")
        );
        assert!(
            parse_config(br#"{"k": null}"#, "the body")
                .unwrap_err()
                .contains("'k' is null")
        );
        assert!(
            parse_config(b"  ", "the body")
                .unwrap_err()
                .contains("is required")
        );
    }
}
