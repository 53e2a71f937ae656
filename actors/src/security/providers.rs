//! Configuration providers, as in Kafka Connect (KIP-297, KIP-632, KIP-887): a value may refer
//! to a secret kept elsewhere — `${file:/path/secrets.properties:db.password}` (a key of a
//! properties file), `${dir:/run/secrets:db-password}` (a file's content), `${env:DB_PASSWORD}`.
//! The reference is what is stored and shown; it is resolved only on the copy handed to a
//! connector or task when it is validated or starts. Providers are off unless the worker lists
//! them in `configProviders`; file and dir providers read only under `allowedPaths`.

use std::sync::OnceLock;

use connect_api::config_def::FileUse;
use connect_api::{Config, ConfigError};
use regex::Regex;

use super::file_access::FileAccess;

/// The worker key enabling providers (`file,env,dir`).
pub const CONFIG_PROVIDERS: &str = "configProviders";

/// A source of referenced values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    File,
    Dir,
    Env,
}

impl Provider {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "file" => Some(Self::File),
            "dir" => Some(Self::Dir),
            "env" => Some(Self::Env),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Dir => "dir",
            Self::Env => "env",
        }
    }
}

/// The providers a worker enables.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    enabled: Vec<Provider>,
}

fn reference() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\$\{(file|dir|env):([^}]*)\}").expect("compiles"))
}

/// True when `value` holds a provider reference.
pub fn has_reference(value: &str) -> bool {
    value.contains("${") && reference().is_match(value)
}

impl ConfigProviders {
    /// Parses the worker key's value: a comma-separated list of `file`, `dir`, `env`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut enabled = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let provider = Provider::parse(&name.to_ascii_lowercase()).ok_or_else(|| {
                format!("unknown configuration provider {name:?}; expected file, dir or env")
            })?;
            if !enabled.contains(&provider) {
                enabled.push(provider);
            }
        }
        Ok(Self { enabled })
    }

    /// `config` with every reference replaced by its value; every unresolvable reference is an
    /// error naming its key (never the value).
    pub fn resolve(&self, config: &Config, files: &FileAccess) -> Result<Config, Vec<ConfigError>> {
        let mut resolved = config.clone();
        let mut errors = Vec::new();
        for (key, value) in config.iter() {
            if !has_reference(value) {
                continue;
            }
            let mut failure = None;
            let replaced = reference().replace_all(value, |c: &regex::Captures<'_>| {
                let provider = Provider::parse(&c[1]).expect("the pattern names providers");
                match self.lookup(provider, &c[2], files) {
                    Ok(found) => found,
                    Err(message) => {
                        failure.get_or_insert(message);
                        String::new()
                    }
                }
            });
            match failure {
                None => resolved.put(key, replaced.into_owned()),
                Some(message) => errors.push(ConfigError {
                    key: key.to_owned(),
                    value: Some(value.to_owned()),
                    message,
                }),
            }
        }
        if errors.is_empty() {
            Ok(resolved)
        } else {
            Err(errors)
        }
    }

    fn lookup(&self, provider: Provider, body: &str, files: &FileAccess) -> Result<String, String> {
        if !self.enabled.contains(&provider) {
            return Err(format!(
                "refers to the '{name}' configuration provider, which this worker does not enable; add {name} to the worker key {CONFIG_PROVIDERS}",
                name = provider.name()
            ));
        }
        match provider {
            Provider::Env => std::env::var(body).map_err(|_| {
                format!("refers to the environment variable {body}, which the worker does not have")
            }),
            Provider::File | Provider::Dir => {
                let (path, key) = body.rsplit_once(':').ok_or_else(|| {
                    format!(
                        "a {} reference is ${{{}:<path>:<key>}}",
                        provider.name(),
                        provider.name()
                    )
                })?;
                if provider == Provider::File {
                    let path = files.check(path, FileUse::Read)?;
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    connect_api::config::parse_properties(&text)
                        .into_iter()
                        .rev()
                        .find(|(_, k, _)| k == key)
                        .map(|(_, _, v)| v)
                        .ok_or_else(|| format!("{} has no key {key}", path.display()))
                } else {
                    if key.contains('/') || key == ".." {
                        return Err(format!(
                            "a dir reference's key names a file in the directory, not a path: {key:?}"
                        ));
                    }
                    let path = files.check(&format!("{path}/{key}"), FileUse::Read)?;
                    std::fs::read_to_string(&path)
                        .map(|text| text.trim_end_matches(['\n', '\r']).to_owned())
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))
                }
            }
        }
    }
}

/// Task configurations are computed by a connector from its resolved configuration, then
/// stored: every value a task copied from a resolved key goes back to the reference the
/// connector's stored configuration has (Kafka Connect's reverse transformation), so resolved
/// secrets are never stored.
pub fn unresolve(task: &mut Config, stored: &Config, resolved: &Config) {
    for (key, raw) in stored.iter() {
        if has_reference(raw) && task.get(key).is_some() && task.get(key) == resolved.get(key) {
            task.put(key, raw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_from_files_dirs_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("secrets.properties"),
            "db.password = s3cret\nother=1\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        std::fs::write(dir.path().join("run/token"), "tok\n").unwrap();
        let files = FileAccess::new(&[dir.path().to_owned()], &[]);
        let providers = ConfigProviders::parse("file, dir,env").unwrap();
        let d = dir.path().display();
        let config = Config::new()
            .with(
                "password",
                format!("${{file:{d}/secrets.properties:db.password}}"),
            )
            .with("url", format!("jdbc:x://h/db?token=${{dir:{d}/run:token}}"))
            .with("home", "${env:HOME}")
            .with("report.file", "/tmp/report-${task}.json");
        let resolved = providers.resolve(&config, &files).unwrap();
        assert_eq!(resolved.get("password"), Some("s3cret"));
        assert_eq!(resolved.get("url"), Some("jdbc:x://h/db?token=tok"));
        assert_eq!(
            resolved.get("home").map(str::to_owned),
            std::env::var("HOME").ok()
        );
        assert_eq!(
            resolved.get("report.file"),
            Some("/tmp/report-${task}.json")
        );

        let mut task = resolved.clone().with("task.id", "0");
        unresolve(&mut task, &config, &resolved);
        assert_eq!(task.get("password"), config.get("password"));
        assert_eq!(task.get("task.id"), Some("0"));
    }

    #[test]
    fn unresolvable_references_name_the_key_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.properties"), "a=1\n").unwrap();
        let files = FileAccess::new(&[dir.path().to_owned()], &[]);
        let d = dir.path().display();
        let config = Config::new().with("password", format!("${{file:{d}/s.properties:b}}"));
        let off = ConfigProviders::default()
            .resolve(&config, &files)
            .unwrap_err();
        assert!(
            off[0].message.contains(CONFIG_PROVIDERS),
            "{}",
            off[0].message
        );
        let providers = ConfigProviders::parse("file,env,dir").unwrap();
        let missing = providers.resolve(&config, &files).unwrap_err();
        assert_eq!(missing[0].key, "password");
        assert!(missing[0].message.contains("has no key b"));
        let outside = Config::new().with("password", "${file:/etc/shadow:root}");
        let refused = providers.resolve(&outside, &files).unwrap_err();
        assert!(
            refused[0].message.contains("outside"),
            "{}",
            refused[0].message
        );
        let escape = Config::new().with("password", format!("${{dir:{d}:../x}}"));
        assert!(providers.resolve(&escape, &files).is_err());
        assert!(ConfigProviders::parse("file,vault").is_err());
    }
}
