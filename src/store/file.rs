//! The plaintext file store: `$XDG_DATA_HOME/sdtoken/secrets.json`, mode 0600
//! in a 0700 directory, rewritten atomically (temporary file, fsync, rename)
//! under an exclusive lock so that concurrent writers lose nothing.
//!
//! It is used only when the user chose it, because anyone who can read the
//! file can use the tokens in it.

use std::fs::{self, File};
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{Key, SecretStore, StoreError, StoreKind};
use crate::secret::Secret;

const FILE_NAME: &str = "secrets.json";
/// The longest wait for another process's read-modify-write of the file.
const LOCK_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The secrets file and its lock file.
pub struct FileStore {
    path: PathBuf,
}

/// The parsed file: `{"entries": {"<account>": "<secret>", ...}}`. Top-level keys
/// other than `entries` are kept as they are. An entry whose value is not a string
/// is reported as unreadable on its own, so one bad entry does not hide the others.
#[derive(Default)]
struct Contents {
    entries: Map<String, Value>,
    other: Map<String, Value>,
}

impl Contents {
    /// Parses the file. Error details name only the position, never the text,
    /// because the text contains secrets.
    fn parse(text: &str) -> Result<Contents, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("it is not valid JSON (error at line {}, column {})", e.line(), e.column()))?;
        let Value::Object(mut other) = value else {
            return Err("it is not a JSON object".to_string());
        };
        let entries = match other.remove("entries") {
            None => Map::new(),
            Some(Value::Object(entries)) => entries,
            Some(_) => return Err("its `entries` field is not a JSON object".to_string()),
        };
        Ok(Contents { entries, other })
    }

    fn to_json(&self) -> Value {
        let mut object = self.other.clone();
        object.insert("entries".to_string(), Value::Object(self.entries.clone()));
        Value::Object(object)
    }
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
        crate::fsutil::lock_within(&lock, LOCK_LIMIT).map_err(|e| self.error(format!("failed to lock: {e}")))?;
        Ok(lock)
    }

    fn read(&self) -> Result<Contents, StoreError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::default()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(self.corrupt("it is not UTF-8 text".to_string()));
            }
            Err(e) => return Err(self.error(e)),
        };
        crate::fsutil::warn_if_readable_by_others(&self.path);
        Contents::parse(&text).map_err(|detail| self.corrupt(detail))
    }

    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::CorruptFile { path: self.path.display().to_string(), detail }
    }

    fn write(&self, contents: &Contents) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(&contents.to_json()).map_err(|e| self.error(e))?;
        crate::fsutil::write_atomic(&self.path, text.as_bytes()).map_err(|e| self.error(e))
    }

    /// Read-modify-write under the lock. A file that does not parse is an error
    /// and stays as it is.
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
        match self.read()?.entries.get(&key.account) {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(Secret::new(value.as_str()))),
            Some(_) => Err(StoreError::Corrupt {
                store: self.describe(),
                account: key.account.clone(),
                detail: "the value is not a string".to_string(),
            }),
        }
    }

    fn set(&self, key: &Key, value: &Secret) -> Result<(), StoreError> {
        self.modify(|c| {
            c.entries.insert(key.account.clone(), Value::String(value.expose().to_string()));
        })
    }

    fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        if !self.path.exists() {
            return Ok(false);
        }
        self.modify(|c| c.entries.remove(&key.account).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_names_position_not_text() {
        let err = Contents::parse("{\"entries\": {\"api-token/a\": \"canary-7d1e\"").err().unwrap();
        assert!(!err.contains("canary"), "{err}");
        assert!(err.contains("line 1"), "{err}");
        let err = Contents::parse("\"canary-7d1e\"").err().unwrap();
        assert!(!err.contains("canary"), "{err}");
    }

    #[test]
    fn parse_keeps_unknown_keys_and_odd_entries() {
        let contents = Contents::parse(r#"{"version": 2, "entries": {"a": "x", "b": 5}}"#).unwrap();
        assert_eq!(contents.entries["a"], Value::String("x".to_string()));
        assert_eq!(contents.entries["b"], Value::from(5));
        assert_eq!(contents.to_json()["version"], Value::from(2));
    }
}
