//! Crash-safe file documents for the standalone stores, under `storePathRootDir/config/`.
//!
//! A save writes `<file>.tmp`, fsyncs it, renames it over `<file>` and fsyncs the directory:
//! after a crash at any point the file holds either the old or the new document, whole.
//! Documents hold connector configurations (passwords among them): files are created 0600 and
//! the directory 0700, whatever the umask.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use connect_actors::ports::DocumentStore;
use connect_actors::system::Stores;

/// One JSON document in a file.
#[derive(Debug, Clone)]
pub struct FileDocument {
    path: PathBuf,
}

impl FileDocument {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl DocumentStore for FileDocument {
    fn load(&self) -> std::io::Result<Option<Vec<u8>>> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn save(&self, bytes: &[u8]) -> std::io::Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        {
            let mut file = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            // A file left by an older version (or another umask) is narrowed too.
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// The three standalone stores under `root/config/`, creating the directory.
pub fn open_stores(root: &Path) -> std::io::Result<Stores> {
    let dir = root.join("config");
    fs::create_dir_all(&dir)?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    Ok(Stores {
        configs: Box::new(FileDocument::new(dir.join("connectors.json"))),
        statuses: Box::new(FileDocument::new(dir.join("status.json"))),
        positions: Box::new(FileDocument::new(dir.join("positions.json"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_replace_the_document_whole() {
        let dir = tempfile::tempdir().unwrap();
        let doc = FileDocument::new(dir.path().join("x.json"));
        assert_eq!(doc.load().unwrap(), None);
        doc.save(b"{\"a\":1}").unwrap();
        doc.save(b"{\"a\":2}").unwrap();
        assert_eq!(doc.load().unwrap().unwrap(), b"{\"a\":2}");
        assert!(!dir.path().join("x.json.tmp").exists());
        let mode = fs::metadata(dir.path().join("x.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
