//! `ctl`'s contexts, as kcctl's: named workers (URL, credentials) in a file readable by its
//! owner only (`$ROCKETMQ_CONNECT_CTL_CONFIG`, or `~/.config/rocketmq-connect/ctl.json`), one
//! of them current.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where requests go, and as whom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Accept any TLS certificate (a worker with a self-signed one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
}

/// The contexts file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Contexts {
    #[serde(default)]
    pub current: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Target>,
}

/// The worker a `ctl` without `--url` and without contexts talks to.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8082";

pub fn path() -> PathBuf {
    if let Some(path) = std::env::var_os("ROCKETMQ_CONNECT_CTL_CONFIG") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".config/rocketmq-connect/ctl.json")
}

impl Contexts {
    pub fn load() -> Result<Self, String> {
        let path = path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a contexts file: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Writes the file, readable and writable by its owner only (it may hold passwords).
    pub fn save(&self) -> Result<(), String> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let temp = path.with_extension("json.tmp");
        // A fresh file, so its mode is ours: a leftover temporary file could have any mode.
        let _ = std::fs::remove_file(&temp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        std::fs::rename(&temp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// The target: `--url` (with `--user`/`--password`) wins, then `--context`, then the
    /// current context, then [`DEFAULT_URL`].
    pub fn resolve(
        &self,
        context: Option<&str>,
        url: Option<&str>,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<Target, String> {
        let named = context.or(self.current.as_deref());
        let mut target = match named {
            Some(name) if url.is_none() => self.contexts.get(name).cloned().ok_or_else(|| {
                format!(
                    "no context named {name:?} in {}; `ctl config set-context {name} --url …` makes one",
                    path().display()
                )
            })?,
            _ => Target {
                url: url.unwrap_or(DEFAULT_URL).to_owned(),
                ..Target::default()
            },
        };
        if let Some(user) = user {
            target.user = Some(user.to_owned());
        }
        if let Some(password) = password {
            target.password = Some(password.to_owned());
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_flag_wins_then_the_named_context_then_the_current_one() {
        let mut contexts = Contexts::default();
        let prod = Target {
            url: "https://127.0.0.1:9443".into(),
            user: Some("ops".into()),
            password: Some("pw".into()),
            insecure: true,
        };
        contexts.contexts.insert("prod".into(), prod.clone());
        contexts.contexts.insert(
            "dev".into(),
            Target {
                url: "http://127.0.0.1:8082".into(),
                ..Target::default()
            },
        );
        assert_eq!(
            contexts.resolve(None, None, None, None).unwrap().url,
            DEFAULT_URL
        );
        contexts.current = Some("prod".into());
        assert_eq!(contexts.resolve(None, None, None, None).unwrap(), prod);
        assert_eq!(
            contexts.resolve(Some("dev"), None, None, None).unwrap().url,
            "http://127.0.0.1:8082"
        );
        let flagged = contexts
            .resolve(None, Some("http://127.0.0.1:1"), Some("me"), None)
            .unwrap();
        assert_eq!(flagged.url, "http://127.0.0.1:1");
        assert_eq!(flagged.user.as_deref(), Some("me"));
        let missing = contexts
            .resolve(Some("nope"), None, None, None)
            .unwrap_err();
        assert!(missing.contains("no context named \"nope\""), "{missing}");
    }
}
