//! The plaintext file store: `$XDG_DATA_HOME/sdtoken/secrets.json`, mode 0600
//! in a 0700 directory, rewritten atomically (temporary file, fsync, rename)
//! under an exclusive lock so that concurrent writers lose nothing.
//!
//! It is used only when the user chose it, because anyone who can read the
//! file can use the tokens in it.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Key, SecretStore, StoreError, StoreKind};
use crate::secret::Secret;

const FILE_NAME: &str = "secrets.json";

/// The secrets file and its lock file.
pub struct FileStore {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
struct Contents {
    #[serde(default)]
    entries: BTreeMap<String, String>,
}

impl FileStore {
    /// Opens the store under `$XDG_DATA_HOME/sdtoken` (or the platform's data directory).
    pub fn open() -> Result<FileStore, StoreError> {
        let dir = dirs::data_dir().ok_or_else(|| StoreError::Unavailable {
            store: "file store".to_string(),
            detail: "no data directory: set HOME or XDG_DATA_HOME".to_string(),
        })?;
        Ok(FileStore { path: dir.join("sdtoken").join(FILE_NAME) })
    }

    fn error(&self, detail: impl std::fmt::Display) -> StoreError {
        StoreError::Unavailable { store: self.describe(), detail: detail.to_string() }
    }

    fn lock(&self) -> Result<File, StoreError> {
        let dir = self.path.parent().expect("the secrets file has a parent directory");
        crate::fsutil::create_private_dir(dir).map_err(|e| self.error(e))?;
        let lock = crate::fsutil::open_private(&dir.join(format!("{FILE_NAME}.lock"))).map_err(|e| self.error(e))?;
        lock.lock().map_err(|e| self.error(format!("failed to lock: {e}")))?;
        Ok(lock)
    }

    fn read(&self) -> Result<Contents, StoreError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::default()),
            Err(e) => return Err(self.error(e)),
        };
        crate::fsutil::warn_if_readable_by_others(&self.path);
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            store: self.describe(),
            account: FILE_NAME.to_string(),
            detail: format!("not valid JSON ({e}); move the file away and log in again"),
        })
    }

    fn write(&self, contents: &Contents) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(contents).map_err(|e| self.error(e))?;
        crate::fsutil::write_atomic(&self.path, text.as_bytes()).map_err(|e| self.error(e))
    }

    fn modify<T>(&self, change: impl FnOnce(&mut Contents) -> T) -> Result<T, StoreError> {
        let _lock = self.lock()?;
        let mut contents = self.read()?;
        let result = change(&mut contents);
        self.write(&contents)?;
        Ok(result)
    }
}

impl SecretStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }

    fn get(&self, key: &Key) -> Result<Option<Secret>, StoreError> {
        Ok(self.read()?.entries.get(&key.account).map(|v| Secret::new(v.as_str())))
    }

    fn set(&self, key: &Key, value: &Secret) -> Result<(), StoreError> {
        self.modify(|c| {
            c.entries.insert(key.account.clone(), value.expose().to_string());
        })
    }

    fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        if !self.path.exists() {
            return Ok(false);
        }
        self.modify(|c| c.entries.remove(&key.account).is_some())
    }
}
