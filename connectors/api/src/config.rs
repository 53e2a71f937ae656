//! [`Config`]: string key/value configuration (`KeyValue` in Java) with typed getters whose
//! errors name the key, the value and what was expected.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::secrets::{mask_value, restore_masked};

/// Configuration of a connector, task, transform or converter. Values are strings, exactly as
/// they arrive over REST or from a properties file; typed getters parse on access.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Config(BTreeMap<String, String>);

impl Config {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (builder style).
    pub fn with(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.put(key, value);
        self
    }

    pub fn put(&mut self, key: impl Into<String>, value: impl ToString) {
        self.0.insert(key.into(), value.to_string());
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`, trimmed; absent or blank counts as absent.
    pub fn get_trimmed(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The value of a required key.
    pub fn require(&self, key: &str) -> Result<&str, ConfigError> {
        self.get_trimmed(key)
            .ok_or_else(|| ConfigError::missing(key))
    }

    /// Parses `key` as `T`, or returns `default` when absent or blank.
    pub fn parse_or<T: FromStr>(
        &self,
        key: &str,
        default: T,
        expected: &str,
    ) -> Result<T, ConfigError> {
        match self.get_trimmed(key) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| ConfigError::invalid(key, raw, format!("expected {expected}"))),
        }
    }

    /// Parses a required `key` as `T`.
    pub fn parse_required<T: FromStr>(&self, key: &str, expected: &str) -> Result<T, ConfigError> {
        let raw = self.require(key)?;
        raw.parse()
            .map_err(|_| ConfigError::invalid(key, raw, format!("expected {expected}")))
    }

    pub fn get_i32_or(&self, key: &str, default: i32) -> Result<i32, ConfigError> {
        self.parse_or(key, default, "a 32-bit integer")
    }

    pub fn get_i64_or(&self, key: &str, default: i64) -> Result<i64, ConfigError> {
        self.parse_or(key, default, "a 64-bit integer")
    }

    pub fn get_f64_or(&self, key: &str, default: f64) -> Result<f64, ConfigError> {
        self.parse_or(key, default, "a number")
    }

    /// Parses a boolean (`true`/`false`, case-insensitive).
    pub fn get_bool_or(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get_trimmed(key) {
            None => Ok(default),
            Some(raw) if raw.eq_ignore_ascii_case("true") => Ok(true),
            Some(raw) if raw.eq_ignore_ascii_case("false") => Ok(false),
            Some(raw) => Err(ConfigError::invalid(key, raw, "expected true or false")),
        }
    }

    /// The string value of `key`, or `default`.
    pub fn get_string_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.get_trimmed(key).unwrap_or(default)
    }

    /// A comma-separated list: items trimmed, blanks dropped, order kept.
    pub fn get_list(&self, key: &str) -> Vec<String> {
        split_list(self.get(key).unwrap_or(""), &[','])
    }

    /// The sub-configuration under `prefix`, with the prefix stripped
    /// (`transforms.Replace.field.pattern` → `field.pattern` for prefix `transforms.Replace.`).
    pub fn with_prefix_stripped(&self, prefix: &str) -> Config {
        Config(
            self.0
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix(prefix)
                        .map(|rest| (rest.to_owned(), v.clone()))
                })
                .collect(),
        )
    }

    /// Adds every entry of `other`, overwriting existing keys.
    pub fn extend(&mut self, other: &Config) {
        for (k, v) in other.iter() {
            self.put(k, v);
        }
    }

    /// A copy with secret values replaced by a mask, for responses and logs.
    pub fn masked(&self) -> Config {
        Config(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), mask_value(k, v).into_owned()))
                .collect(),
        )
    }

    /// This configuration, as sent by a client, with every value that is exactly what the
    /// client was shown for `stored`'s value (masks included) replaced by the stored value.
    pub fn with_secrets_kept_from(mut self, stored: &Config) -> Config {
        for (key, value) in self.0.iter_mut() {
            if let Some(old) = stored.get(key) {
                let kept = restore_masked(key, value, old);
                if kept != value.as_str() {
                    *value = kept.to_owned();
                }
            }
        }
        self
    }

    /// The underlying map.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// Parses Java `.properties` text: `key=value` or `key: value`, `#`/`!` comments, trailing
/// `\` continues a line, whitespace around keys and values trimmed.
pub fn parse_properties(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut start_line = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if pending.is_empty() {
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            start_line = index + 1;
        }
        if let Some(stripped) = line.strip_suffix('\\') {
            pending.push_str(stripped);
            continue;
        }
        pending.push_str(line);
        let entry = std::mem::take(&mut pending);
        let split = entry.find(['=', ':']).unwrap_or(entry.len());
        let key = entry[..split].trim().to_owned();
        let value = entry.get(split + 1..).unwrap_or("").trim().to_owned();
        if !key.is_empty() {
            out.push((start_line, key, value));
        }
    }
    out
}

/// Splits on any of `separators`, trims, drops blanks, keeps order.
pub fn split_list(raw: &str, separators: &[char]) -> Vec<String> {
    raw.split(|c| separators.contains(&c))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl<K: Into<String>, V: ToString> FromIterator<(K, V)> for Config {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Config(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.to_string()))
                .collect(),
        )
    }
}

impl From<BTreeMap<String, String>> for Config {
    fn from(map: BTreeMap<String, String>) -> Self {
        Config(map)
    }
}

/// Debug output masks secrets, so a `{:?}` in a log line never leaks a password.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.masked().0.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_getters_parse_and_name_bad_keys() {
        let config = Config::new()
            .with("max.tasks", "4")
            .with("flag", "TRUE")
            .with("bad", "x1");
        assert_eq!(config.get_i32_or("max.tasks", 1).unwrap(), 4);
        assert_eq!(config.get_i32_or("absent", 1).unwrap(), 1);
        assert!(config.get_bool_or("flag", false).unwrap());
        let err = config.get_i64_or("bad", 0).unwrap_err();
        assert_eq!(err.key, "bad");
        assert_eq!(err.value.as_deref(), Some("x1"));
        assert!(err.message.contains("integer"));
        assert!(config.get_bool_or("bad", false).is_err());
        assert_eq!(
            config.require("absent").unwrap_err(),
            ConfigError::missing("absent")
        );
    }

    /// The seed's `"transforms": "Replace, Replace02"` keeps order and trims blanks.
    #[test]
    fn lists_keep_order_and_trim() {
        let config = Config::new().with("transforms", " Replace, Replace02 ,, ");
        assert_eq!(config.get_list("transforms"), vec!["Replace", "Replace02"]);
        assert!(config.get_list("absent").is_empty());
    }

    #[test]
    fn prefix_stripping_selects_a_sub_config() {
        let config = Config::new()
            .with("transforms.R.field.pattern", "company")
            .with("transforms.R2.field.pattern", "other")
            .with("connector.class", "X");
        let sub = config.with_prefix_stripped("transforms.R.");
        assert_eq!(sub.len(), 1);
        assert_eq!(sub.get("field.pattern"), Some("company"));
    }

    #[test]
    fn debug_masks_secrets() {
        let config = Config::new()
            .with("connection.password", "hunter2")
            .with("user", "bob");
        let text = format!("{config:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("bob"));
    }
}
