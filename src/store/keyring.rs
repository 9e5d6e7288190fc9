//! The keyring backends through keyring-core: the OS secret store (Secret
//! Service, macOS Keychain, Windows Credential Manager) and the Linux kernel
//! keyring (keyutils).
//!
//! NOTE: the macOS and Windows backends are thin wrappers over the keyring
//! project's store crates; they cannot be built or tested on the Linux
//! machines this project is developed and tested on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use super::{Key, SERVICE, SecretStore, StoreError, StoreKind, bounded};
use crate::secret::Secret;

/// The kernel keyring's name in messages.
pub const KEYUTILS_NAME: &str = "kernel keyring (keyutils)";

/// A store reached through keyring-core, with a time limit on every call.
/// After one call times out, later calls fail at once instead of waiting again.
pub struct KeyringStore {
    inner: Arc<CredentialStore>,
    kind: StoreKind,
    name: &'static str,
    budget: Duration,
    timed_out: AtomicBool,
}

impl KeyringStore {
    /// Opens the OS secret store of this platform.
    pub fn open_platform(budget: Duration) -> Result<KeyringStore, StoreError> {
        let name = platform_name();
        let inner = bounded(name, budget, move || platform_store().map_err(|e| unavailable(name, e)))?;
        Ok(KeyringStore { inner, kind: StoreKind::Keyring, name, budget, timed_out: AtomicBool::new(false) })
    }

    /// Opens the Linux kernel keyring, joining a session keyring first if needed.
    /// Its calls run on the calling thread (see `call`), without a time limit.
    pub fn open_keyutils(budget: Duration) -> Result<KeyringStore, StoreError> {
        let name = KEYUTILS_NAME;
        // The session keyring belongs to the thread's credentials, so it is joined
        // on the thread that makes the calls.
        #[cfg(target_os = "linux")]
        super::session_keyring::ensure()
            .map_err(|detail| StoreError::Unavailable { store: name.to_string(), detail })?;
        let inner = keyutils_store().map_err(|e| unavailable(name, e))?;
        Ok(KeyringStore { inner, kind: StoreKind::Keyutils, name, budget, timed_out: AtomicBool::new(false) })
    }

    fn entry(inner: &Arc<CredentialStore>, name: &str, key: &Key) -> Result<Entry, StoreError> {
        Entry::new_in_store(inner, SERVICE, &key.account).map_err(|e| unavailable(name, e))
    }

    /// Runs `call` under the time limit, unless an earlier call of this store timed out.
    /// Kernel keyring calls run on the calling thread. The store only adds, searches,
    /// reads and removes keys in kernel memory, which involves no other process, so
    /// a helper thread would cost more than the call itself.
    fn call<T, F>(&self, call: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    {
        if self.kind == StoreKind::Keyutils {
            return call();
        }
        let secs = self.budget.as_secs().max(1);
        if self.timed_out.load(Ordering::Relaxed) {
            return Err(StoreError::TimedOut { store: self.name.to_string(), secs });
        }
        let result = bounded(self.name, self.budget, call);
        if matches!(result, Err(StoreError::TimedOut { .. })) {
            self.timed_out.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl SecretStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        self.kind
    }

    fn describe(&self) -> String {
        self.name.to_string()
    }

    fn get(&self, key: &Key) -> Result<Option<Secret>, StoreError> {
        let (inner, name, key) = (self.inner.clone(), self.name, key.clone());
        self.call(move || {
            let entry = Self::entry(&inner, name, &key)?;
            match entry.get_password() {
                Ok(value) => Ok(Some(Secret::new(value))),
                Err(KeyringError::NoEntry) => Ok(None),
                Err(KeyringError::BadEncoding(_)) | Err(KeyringError::BadDataFormat(..)) => Err(StoreError::Corrupt {
                    store: name.to_string(),
                    account: key.account.clone(),
                    detail: "the stored value is not UTF-8 text".to_string(),
                }),
                Err(e) => Err(unavailable(name, e)),
            }
        })
    }

    fn set(&self, key: &Key, value: &Secret) -> Result<(), StoreError> {
        let (inner, name, key, value) = (self.inner.clone(), self.name, key.clone(), value.clone());
        self.call(move || {
            let entry = Self::entry(&inner, name, &key)?;
            entry.set_password(value.expose()).map_err(|e| unavailable(name, e))
        })
    }

    fn set_expiring(&self, key: &Key, value: &Secret, lifetime: Duration) -> Result<(), StoreError> {
        self.set(key, value)?;
        if self.kind == StoreKind::Keyutils {
            expire_kernel_key(key, lifetime);
        }
        Ok(())
    }

    fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        let (inner, name, key) = (self.inner.clone(), self.name, key.clone());
        self.call(move || {
            let entry = Self::entry(&inner, name, &key)?;
            match entry.delete_credential() {
                Ok(()) => Ok(true),
                Err(KeyringError::NoEntry) => Ok(false),
                Err(e) => Err(unavailable(name, e)),
            }
        })
    }
}

/// Sets the kernel key of `key` to expire after `lifetime`, so a cached JWT does
/// not outlive its use in kernel memory or count against the user's key quota.
/// A failure only leaves the key without a timeout.
#[cfg(target_os = "linux")]
fn expire_kernel_key(key: &Key, lifetime: Duration) {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    // The store names keys `keyring:ACCOUNT@SERVICE` and links them into the session keyring.
    let description = format!("keyring:{}@{SERVICE}", key.account);
    let secs = usize::try_from(lifetime.as_secs()).unwrap_or(usize::MAX).max(1);
    let result = KeyRing::from_special_id(KeyRingIdentifier::Session, false)
        .and_then(|session| session.search(&description))
        .and_then(|found| found.set_timeout(secs));
    if let Err(e) = result {
        tracing::info!("JWT cache: could not set the kernel key's timeout: {e:?}");
    }
}

#[cfg(not(target_os = "linux"))]
fn expire_kernel_key(_key: &Key, _lifetime: Duration) {}

/// Keyring errors name the platform failure; none of them carries the secret.
fn unavailable(store: &str, err: KeyringError) -> StoreError {
    StoreError::Unavailable { store: store.to_string(), detail: err.to_string() }
}

#[cfg(target_os = "linux")]
pub fn platform_name() -> &'static str {
    "Secret Service"
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
pub fn platform_name() -> &'static str {
    "macOS Keychain"
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
pub fn platform_name() -> &'static str {
    "Windows Credential Manager"
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub fn platform_name() -> &'static str {
    "OS keyring"
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(KeyringError::NotSupportedByStore("no OS keyring is supported on this platform".to_string()))
}

#[cfg(target_os = "linux")]
fn keyutils_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(linux_keyutils_keyring_store::Store::new()?)
}

#[cfg(not(target_os = "linux"))]
fn keyutils_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(KeyringError::NotSupportedByStore("the kernel keyring exists only on Linux".to_string()))
}
