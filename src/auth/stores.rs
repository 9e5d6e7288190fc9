//! Opens the stores a command needs, once each and only when first used.
//!
//! The OS keyring is opened lazily even as a JWT cache candidate: with an
//! environment credential and a working kernel keyring, a cache lookup never
//! touches a locked or hung keyring.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::{self, Key, SecretStore, StoreError, StoreKind};

/// The token store of the current context and the stores the JWT cache may use.
/// Clones share the opened stores.
#[derive(Clone)]
pub struct Stores {
    shared: Arc<Shared>,
}

struct Shared {
    token_kind: StoreKind,
    budget: Duration,
    token: OnceLock<Result<Arc<dyn SecretStore>, StoreError>>,
    keyutils: OnceLock<Option<Arc<dyn SecretStore>>>,
}

impl Stores {
    pub fn new(settings: &Settings) -> anyhow::Result<Stores> {
        Ok(Stores::with_kind(settings.token_store_kind()?, settings.store_budget))
    }

    pub fn with_kind(token_kind: StoreKind, budget: Duration) -> Stores {
        let shared = Shared { token_kind, budget, token: OnceLock::new(), keyutils: OnceLock::new() };
        Stores { shared: Arc::new(shared) }
    }

    pub fn token_kind(&self) -> StoreKind {
        self.shared.token_kind
    }

    /// Opens the store of the context's API token once. An opening error is kept and returned again.
    pub fn token_store(&self) -> Result<Arc<dyn SecretStore>, StoreError> {
        let shared = &self.shared;
        shared.token.get_or_init(|| store::open(shared.token_kind, shared.budget)).clone()
    }

    /// Lists the stores the JWT cache may use, best first: the file store with the
    /// file-based token store, otherwise the kernel keyring where it works, then
    /// the OS keyring. The OS keyring is opened when the cache first calls it.
    /// Behind a working kernel keyring, a lookup reads the OS keyring only when
    /// the command has already opened it to read the stored token.
    pub fn cache_candidates(&self) -> Vec<Arc<dyn SecretStore>> {
        let mut candidates = Vec::new();
        if self.token_kind() == StoreKind::File {
            if let Ok(store) = self.token_store() {
                candidates.push(store);
            }
            return candidates;
        }
        let keyutils = if cfg!(target_os = "linux") { self.keyutils() } else { None };
        let open_on_read = keyutils.is_none();
        candidates.extend(keyutils);
        if self.token_kind() == StoreKind::Keyring {
            candidates.push(Arc::new(LazyTokenStore { stores: self.clone(), open_on_read }));
        }
        candidates
    }

    /// The kernel keyring, opened on the calling thread: joining a session
    /// keyring there also covers the helper threads that store calls run on.
    fn keyutils(&self) -> Option<Arc<dyn SecretStore>> {
        let shared = &self.shared;
        let opened = shared.keyutils.get_or_init(|| {
            let opened = if shared.token_kind == StoreKind::Keyutils {
                self.token_store()
            } else {
                store::open(StoreKind::Keyutils, shared.budget)
            };
            opened.map_err(|e| tracing::info!("JWT cache: the kernel keyring is not usable: {e}")).ok()
        });
        opened.clone()
    }
}

/// The context's token store as a JWT cache candidate, opened on its first call.
/// Without `open_on_read`, `get` finds nothing until the store is open.
struct LazyTokenStore {
    stores: Stores,
    open_on_read: bool,
}

impl SecretStore for LazyTokenStore {
    fn kind(&self) -> StoreKind {
        self.stores.token_kind()
    }

    fn describe(&self) -> String {
        match self.stores.shared.token.get() {
            Some(Ok(store)) => store.describe(),
            _ => store::describe_kind(self.kind()),
        }
    }

    fn get(&self, key: &Key) -> Result<Option<Secret>, StoreError> {
        if !self.open_on_read && self.stores.shared.token.get().is_none() {
            return Ok(None);
        }
        self.stores.token_store()?.get(key)
    }

    fn set(&self, key: &Key, value: &Secret) -> Result<(), StoreError> {
        self.stores.token_store()?.set(key, value)
    }

    fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        self.stores.token_store()?.delete(key)
    }
}
