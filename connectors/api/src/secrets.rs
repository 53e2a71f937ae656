//! Secrets in configuration: which keys hold them, and how they are masked wherever a value is
//! shown — REST answers, error messages, statuses and log lines.
//!
//! One rule, written once: a key is secret when it matches the worker's secret-key pattern
//! ([`DEFAULT_SECRET_KEY_PATTERN`] unless the worker sets `secretKeyPattern`). A secret key's
//! value is masked whole; any other value is searched for secrets inside it: keys of a JSON
//! object or array value, the password of a URL's user-info, and secret query parameters
//! (`jdbc:mysql://h/db?user=u&password=p`). Free text (an error a driver printed) is scrubbed
//! of the same shapes by [`scrub_text`].
//!
//! A value written back exactly as it was shown — masks included — keeps the stored secret
//! ([`restore_masked`]): reading a config and writing it back, as every Kafka Connect UI does,
//! must not replace a password with `********`.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

/// What is printed instead of a secret value.
pub const MASK: &str = "********";

/// Keys whose values are secrets, unless the worker configures its own pattern: passwords
/// (`password`, `passwd`, `pwd`), secrets, tokens, credentials, JAAS configurations, key
/// material (`private.key`, `access.key`, `api.key`, `ssl.key…`, `keystore…`) and basic-auth
/// user info.
pub const DEFAULT_SECRET_KEY_PATTERN: &str = r"(?i)(passw(or)?d|(^|[._-])pwd$|secret|token|credential|jaas|private[._-]?key|access[._-]?key|api[._-]?key|ssl[._-]key|keystore|key[._-]?material|user[._-]?info)";

static KEY_PATTERN: OnceLock<Regex> = OnceLock::new();

/// Installs the worker's secret-key pattern (once, at startup, before any value is shown).
/// Returns false when a pattern was already installed (the first one stays).
pub fn install_key_pattern(pattern: Regex) -> bool {
    KEY_PATTERN.set(pattern).is_ok()
}

/// Compiles a secret-key pattern, naming what is wrong with it.
pub fn compile_key_pattern(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("not a valid regular expression: {e}"))
}

fn key_pattern() -> &'static Regex {
    KEY_PATTERN.get_or_init(|| {
        Regex::new(DEFAULT_SECRET_KEY_PATTERN).expect("the default secret-key pattern compiles")
    })
}

/// True when the value of `key` is a secret, masked wherever it is shown.
pub fn is_secret_key(key: &str) -> bool {
    key_pattern().is_match(key)
}

/// True for a whole value that is a configuration-provider reference (`${env:DB_PASSWORD}`):
/// it names where the secret is, not the secret, so it is shown as written.
pub fn is_provider_reference(value: &str) -> bool {
    let value = value.trim();
    value.starts_with("${") && value.ends_with('}') && value[2..].find('}') == Some(value.len() - 3)
}

/// `value` as it may be shown for `key`.
pub fn mask_value<'a>(key: &str, value: &'a str) -> Cow<'a, str> {
    if is_provider_reference(value) {
        return Cow::Borrowed(value);
    }
    if is_secret_key(key) {
        return Cow::Borrowed(MASK);
    }
    let trimmed = value.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(mut json) = serde_json::from_str::<serde_json::Value>(value)
    {
        return if mask_json(&mut json) {
            Cow::Owned(json.to_string())
        } else {
            Cow::Borrowed(value)
        };
    }
    scrub_text(value)
}

/// Masks secrets inside a JSON value in place; true when anything changed.
pub fn mask_json(json: &mut serde_json::Value) -> bool {
    match json {
        serde_json::Value::Object(map) => {
            let mut changed = false;
            for (key, value) in map.iter_mut() {
                match value {
                    serde_json::Value::String(text) => {
                        let masked = mask_value(key, text);
                        if masked != *text {
                            *value = serde_json::Value::String(masked.into_owned());
                            changed = true;
                        }
                    }
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        changed |= mask_json(value);
                    }
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_)
                        if is_secret_key(key) =>
                    {
                        *value = serde_json::Value::String(MASK.to_owned());
                        changed = true;
                    }
                    _ => {}
                }
            }
            changed
        }
        serde_json::Value::Array(items) => {
            let mut changed = false;
            for item in items {
                match item {
                    serde_json::Value::String(text) => {
                        if let Cow::Owned(masked) = scrub_text(text) {
                            *item = serde_json::Value::String(masked);
                            changed = true;
                        }
                    }
                    _ => changed |= mask_json(item),
                }
            }
            changed
        }
        _ => false,
    }
}

fn url_user_info() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // scheme://user:password@host — the password is everything up to the last '@' before the
    // host (a password may itself contain '@' or ':').
    RE.get_or_init(|| {
        Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):([^\s/?#]*)@").expect("compiles")
    })
}

fn key_value_pair() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // name=value in query strings, JDBC property lists and messages; "name": "value" in JSON
    // text.
    RE.get_or_init(|| {
        Regex::new(
            r#"(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)(?P<sep>=|"\s*:\s*")(?P<value>[^&;\s,"'}\])]*)"#,
        )
        .expect("compiles")
    })
}

/// `text` with URL passwords and secret `name=value` pairs masked.
pub fn scrub_text(text: &str) -> Cow<'_, str> {
    if !text.contains('=') && !text.contains('@') && !text.contains(':') {
        return Cow::Borrowed(text);
    }
    let after_urls = url_user_info().replace_all(text, |c: &regex::Captures<'_>| {
        if &c[2] == MASK {
            c[0].to_owned()
        } else {
            format!("{}:{MASK}@", &c[1])
        }
    });
    let scrubbed = key_value_pair().replace_all(&after_urls, |c: &regex::Captures<'_>| {
        let value = &c["value"];
        if is_secret_key(&c["name"]) && !value.is_empty() && value != MASK {
            format!("{}{}{MASK}", &c["name"], &c["sep"])
        } else {
            c[0].to_owned()
        }
    });
    if scrubbed == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(scrubbed.into_owned())
    }
}

/// The value to store for `key` when a client sends `new` and `stored` is the current value:
/// a value that is exactly what the client was shown for the stored one keeps the secret.
pub fn restore_masked<'a>(key: &str, new: &'a str, stored: &'a str) -> &'a str {
    if new.contains(MASK) && mask_value(key, stored) == new {
        stored
    } else {
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_by_the_default_pattern() {
        for key in [
            "password",
            "connection.password",
            "database.password",
            "passwd",
            "db.pwd",
            "secret.key",
            "secretKey",
            "accessKey",
            "access.key",
            "auth.token",
            "credentials",
            "sasl.jaas.config",
            "ssl.key.password",
            "ssl.keystore.location",
            "private.key",
            "api_key",
            "basic.auth.user.info",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "connection.url",
            "key.converter",
            "message.key.columns",
            "topic",
            "connection.user",
            "pass.through",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn values_are_masked_whole_or_inside() {
        assert_eq!(mask_value("connection.password", "hunter2"), MASK);
        assert_eq!(
            mask_value("connection.password", "${env:DB_PASSWORD}"),
            "${env:DB_PASSWORD}"
        );
        assert_eq!(
            mask_value(
                "connection.url",
                "jdbc:mysql://db:3306/app?user=u&password=p@ss&ssl=true"
            ),
            format!("jdbc:mysql://db:3306/app?user=u&password={MASK}&ssl=true")
        );
        assert_eq!(
            mask_value("connection.url", "postgres://app:s3cr:et@127.0.0.1/db"),
            format!("postgres://app:{MASK}@127.0.0.1/db")
        );
        assert_eq!(
            mask_value(
                "nested",
                r#"{"user":"u","auth":{"password":"p","token":"t"},"list":["https://a:b@h"]}"#
            ),
            format!(
                r#"{{"auth":{{"password":"{MASK}","token":"{MASK}"}},"list":["https://a:{MASK}@h"],"user":"u"}}"#
            )
        );
        assert_eq!(mask_value("topic", "orders"), "orders");
        assert!(matches!(mask_value("topic", "a=b"), Cow::Borrowed(_)));
    }

    #[test]
    fn free_text_is_scrubbed() {
        assert_eq!(
            scrub_text(
                "cannot connect to mysql://root:toor@127.0.0.1/x (password=toor; \"token\": \"abc\")"
            ),
            format!(
                "cannot connect to mysql://root:{MASK}@127.0.0.1/x (password={MASK}; \"token\": \"{MASK}\")"
            )
        );
        assert_eq!(scrub_text("plain: nothing here"), "plain: nothing here");
    }

    #[test]
    fn a_value_written_back_as_shown_keeps_the_secret() {
        assert_eq!(restore_masked("password", MASK, "real"), "real");
        assert_eq!(restore_masked("password", "new", "real"), "new");
        let url = "jdbc:mysql://h/db?user=u&password=real";
        let shown = mask_value("connection.url", url).into_owned();
        assert_eq!(restore_masked("connection.url", &shown, url), url);
        // An edited URL that still carries the mask cannot be restored: it is taken as sent.
        let edited = shown.replace("/db?", "/other?");
        assert_eq!(restore_masked("connection.url", &edited, url), edited);
    }
}
