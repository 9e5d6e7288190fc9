//! Secret stores: where the API token and the JWT cache live.
//!
//! One trait, `SecretStore`, with three backends: the OS keyring (Secret
//! Service on Linux, Keychain on macOS, Credential Manager on Windows), the
//! Linux kernel keyring (keyutils, volatile) and a plaintext file (mode 0600).
//! Every OS keyring call runs under a time limit, so a hung or locked keyring
//! fails with exit 3 instead of blocking.

mod file;
mod keyring;
#[cfg(target_os = "linux")]
mod session_keyring;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use file::FileStore;
pub use keyring::KeyringStore;

use crate::secret::Secret;

/// The service name under which every sdtoken entry is stored.
pub const SERVICE: &str = "sdtoken";

/// A backend the user can choose with `--store` or `SDTOKEN_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The OS secret store: Secret Service, macOS Keychain or Windows Credential Manager.
    Keyring,
    /// The Linux kernel keyring: fast, gone at reboot.
    Keyutils,
    /// A plaintext file with mode 0600.
    File,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Keyring => "keyring",
            StoreKind::Keyutils => "keyutils",
            StoreKind::File => "file",
        }
    }

    /// How long a stored secret lasts: persistent, volatile or plaintext.
    pub fn durability(self) -> &'static str {
        match self {
            StoreKind::Keyring => "persistent",
            StoreKind::Keyutils => "volatile",
            StoreKind::File => "plaintext",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StoreKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "keyring" => Ok(StoreKind::Keyring),
            "keyutils" => Ok(StoreKind::Keyutils),
            "file" => Ok(StoreKind::File),
            other => Err(format!("invalid store `{other}`: use keyring, keyutils or file")),
        }
    }
}

/// A failure of a secret store. Never carries a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("the {store} is unavailable: {detail}")]
    Unavailable { store: String, detail: String },
    #[error("the {store} did not answer within {secs} s")]
    TimedOut { store: String, secs: u64 },
    #[error("the entry `{account}` in the {store} is unreadable: {detail}")]
    Corrupt { store: String, account: String, detail: String },
    /// The whole secrets file is unreadable; it is never rewritten in this state.
    #[error("the secrets file `{path}` is unreadable: {detail}")]
    CorruptFile { path: String, detail: String },
}

impl StoreError {
    /// The remedies for a store that cannot be used.
    pub fn hint(&self) -> String {
        match self {
            StoreError::Corrupt { .. } => "log in again with `sdtoken login` to replace the entry".to_string(),
            StoreError::CorruptFile { path, .. } => format!(
                "fix the file or move it away (`mv {path} {path}.bad`), then log in again; \
                 sdtoken does not overwrite a secrets file it cannot read"
            ),
            _ => "unlock or start the keyring (on Linux a Secret Service such as gnome-keyring or KeePassXC), \
                  or choose another store at login: `--store keyutils` (volatile, gone at reboot) or \
                  `--store file` (plaintext, mode 0600); or pass the token in `SD_API_TOKEN`"
                .to_string(),
        }
    }
}

/// The name of one entry in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub account: String,
}

impl Key {
    /// The API token of a context.
    pub fn api_token(context: &str) -> Key {
        Key { account: format!("api-token/{context}") }
    }

    /// A cached JWT, named by a fingerprint of the API URL and credential.
    pub fn jwt(fingerprint: &str) -> Key {
        Key { account: format!("jwt/{fingerprint}") }
    }
}

/// A place to keep secrets.
pub trait SecretStore: Send + Sync {
    fn kind(&self) -> StoreKind;
    /// A name for messages, such as "Secret Service" or "file /home/a/.local/share/sdtoken/secrets.json".
    fn describe(&self) -> String;
    fn get(&self, key: &Key) -> Result<Option<Secret>, StoreError>;
    fn set(&self, key: &Key, value: &Secret) -> Result<(), StoreError>;
    /// Stores a value that is useless after `lifetime`, such as a JWT. Stores that
    /// can expire entries (the kernel keyring) drop it then; others keep it.
    fn set_expiring(&self, key: &Key, value: &Secret, lifetime: Duration) -> Result<(), StoreError> {
        let _ = lifetime;
        self.set(key, value)
    }
    /// Deletes the entry; returns whether it existed.
    fn delete(&self, key: &Key) -> Result<bool, StoreError>;
}

/// Opens the store of `kind`. `budget` limits each keyring call.
pub fn open(kind: StoreKind, budget: Duration) -> Result<Arc<dyn SecretStore>, StoreError> {
    match kind {
        StoreKind::Keyring => Ok(Arc::new(KeyringStore::open_platform(budget)?)),
        StoreKind::Keyutils => Ok(Arc::new(KeyringStore::open_keyutils(budget)?)),
        StoreKind::File => Ok(Arc::new(FileStore::open()?)),
    }
}

/// The name of a store of `kind` for messages, without opening it.
pub fn describe_kind(kind: StoreKind) -> String {
    match kind {
        StoreKind::Keyring => keyring::platform_name().to_string(),
        StoreKind::Keyutils => keyring::KEYUTILS_NAME.to_string(),
        StoreKind::File => "file store".to_string(),
    }
}

/// Runs `call` on a helper thread and gives up after `budget`. A call that
/// times out keeps running on its thread until the process exits. A call that
/// panics ends only its thread, and the store counts as unavailable. This relies
/// on unwinding, which is why the release profile keeps `panic = "unwind"`.
pub(crate) fn bounded<T, F>(store: &str, budget: Duration, call: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("store-call".to_string())
        .spawn(move || {
            let _ = sender.send(call());
        })
        .map_err(|e| StoreError::Unavailable { store: store.to_string(), detail: e.to_string() })?;
    match receiver.recv_timeout(budget) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(StoreError::TimedOut { store: store.to_string(), secs: budget.as_secs().max(1) })
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(StoreError::Unavailable {
            store: store.to_string(),
            detail: "the call failed with a panic in the store's library".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_returns_timeout_for_slow_call() {
        let result: Result<(), _> = bounded("test store", Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(matches!(result, Err(StoreError::TimedOut { .. })));
    }

    #[test]
    fn bounded_reports_panicking_call_as_unavailable() {
        let result: Result<(), _> = bounded("test store", Duration::from_secs(5), || panic!("backend bug"));
        assert!(matches!(result, Err(StoreError::Unavailable { .. })), "{result:?}");
    }

    #[test]
    fn store_kind_parses_documented_names() {
        for kind in [StoreKind::Keyring, StoreKind::Keyutils, StoreKind::File] {
            assert_eq!(kind.as_str().parse::<StoreKind>().unwrap(), kind);
        }
        assert!("plaintext".parse::<StoreKind>().unwrap_err().contains("plaintext"));
    }
}
