//! [`FileAccess`]: the directories file-naming keys may point into (`allowedPaths`), and those
//! they never may (the worker's own store). Paths are made absolute and canonical first, so
//! `..` and symbolic links cannot step outside.

use std::path::{Path, PathBuf};

use connect_api::config_def::FileUse;

/// The worker key listing the directories connectors may read and write.
pub const ALLOWED_PATHS: &str = "allowedPaths";

/// Where connectors may read and write files.
#[derive(Debug, Clone, Default)]
pub struct FileAccess {
    /// Canonical directories under which files may be used; empty: no file access at all.
    allowed: Vec<PathBuf>,
    /// Canonical directories never usable, even inside an allowed one (the worker's store).
    forbidden: Vec<PathBuf>,
}

impl FileAccess {
    /// Access under `allowed`, never under `forbidden`. Directories that do not exist yet are
    /// kept as given (made absolute), so a later `mkdir` does not widen anything.
    pub fn new(allowed: &[PathBuf], forbidden: &[PathBuf]) -> Self {
        Self {
            allowed: allowed.iter().map(|p| canonical_or_absolute(p)).collect(),
            forbidden: forbidden.iter().map(|p| canonical_or_absolute(p)).collect(),
        }
    }

    /// True when no directory is allowed.
    pub fn is_closed(&self) -> bool {
        self.allowed.is_empty()
    }

    /// The canonical path `raw` names, if a component may `usage` it; else what is wrong and
    /// how to fix it.
    pub fn check(&self, raw: &str, usage: FileUse) -> Result<PathBuf, String> {
        if self.allowed.is_empty() {
            return Err(format!(
                "this worker allows no file access: set the worker key {ALLOWED_PATHS} to the directories connectors may use"
            ));
        }
        let path = resolve(Path::new(raw.trim()), usage)?;
        if let Some(store) = self.forbidden.iter().find(|f| path.starts_with(f)) {
            return Err(format!(
                "{} is inside the worker's store ({}), which connectors may never {}",
                path.display(),
                store.display(),
                verb(usage)
            ));
        }
        if !self.allowed.iter().any(|a| path.starts_with(a)) {
            return Err(format!(
                "{} is outside the directories this worker lets connectors {} ({ALLOWED_PATHS}={}); add its directory to {ALLOWED_PATHS} on the worker",
                path.display(),
                verb(usage),
                self.allowed
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
        Ok(path)
    }
}

fn verb(usage: FileUse) -> &'static str {
    match usage {
        FileUse::Read => "read",
        FileUse::Write => "write",
    }
}

fn canonical_or_absolute(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|_| std::path::absolute(path).unwrap_or_else(|_| path.to_owned()))
}

/// The canonical form of `path`: the file itself when it exists (symbolic links resolved),
/// else its canonical parent directory joined with its name (a file a sink will create).
fn resolve(path: &Path, usage: FileUse) -> Result<PathBuf, String> {
    if path.as_os_str().is_empty() {
        return Err("expected a file path".to_owned());
    }
    if let Ok(canonical) = path.canonicalize() {
        if canonical.is_dir() {
            return Err(format!(
                "{} is a directory; expected a file",
                canonical.display()
            ));
        }
        return Ok(canonical);
    }
    let name = path
        .file_name()
        .filter(|n| *n != "..")
        .ok_or_else(|| format!("{} does not name a file", path.display()))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let parent = parent.canonicalize().map_err(|e| {
        format!(
            "cannot {} {}: its directory {} is not usable ({e})",
            verb(usage),
            path.display(),
            parent.display()
        )
    })?;
    Ok(parent.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_directories_outside_the_store() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let store = data.join("store");
        std::fs::create_dir_all(&store).unwrap();
        std::fs::write(data.join("in.txt"), "x").unwrap();
        let access = FileAccess::new(std::slice::from_ref(&data), std::slice::from_ref(&store));
        let data = data.canonicalize().unwrap();

        assert_eq!(
            access
                .check(data.join("in.txt").to_str().unwrap(), FileUse::Read)
                .unwrap(),
            data.join("in.txt")
        );
        assert_eq!(
            access
                .check(data.join("new.txt").to_str().unwrap(), FileUse::Write)
                .unwrap(),
            data.join("new.txt")
        );
        let outside = access.check("/etc/shadow", FileUse::Read).unwrap_err();
        assert!(
            outside.contains("outside") && outside.contains(ALLOWED_PATHS),
            "{outside}"
        );
        let dotdot = format!("{}/../../etc/passwd", data.display());
        assert!(access.check(&dotdot, FileUse::Read).is_err());
        let into_store = access
            .check(
                data.join("store/config/connectors.json").to_str().unwrap(),
                FileUse::Write,
            )
            .unwrap_err();
        assert!(into_store.contains("store"), "{into_store}");
        assert!(
            access
                .check(data.to_str().unwrap(), FileUse::Write)
                .is_err()
        );
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_cannot_escape() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::os::unix::fs::symlink("/etc", data.join("etc")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", data.join("host")).unwrap();
        let access = FileAccess::new(std::slice::from_ref(&data), &[]);
        assert!(
            access
                .check(data.join("etc/hostname").to_str().unwrap(), FileUse::Read)
                .is_err()
        );
        assert!(
            access
                .check(data.join("host").to_str().unwrap(), FileUse::Read)
                .is_err()
        );
        assert!(
            access
                .check(data.join("etc/new.txt").to_str().unwrap(), FileUse::Write)
                .is_err()
        );
    }

    #[test]
    fn closed_by_default() {
        let error = FileAccess::default()
            .check("/tmp/x", FileUse::Read)
            .unwrap_err();
        assert!(error.contains(ALLOWED_PATHS), "{error}");
    }
}
