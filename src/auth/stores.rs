//! Opens the stores a command needs, once each and only when first used.

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Duration;

use crate::settings::Settings;
use crate::store::{self, SecretStore, StoreError, StoreKind};

/// The token store of the current context and the stores the JWT cache may use.
pub struct Stores {
    token_kind: StoreKind,
    budget: Duration,
    token: OnceCell<Result<Arc<dyn SecretStore>, StoreError>>,
    keyutils: OnceCell<Option<Arc<dyn SecretStore>>>,
}

impl Stores {
    pub fn new(settings: &Settings) -> anyhow::Result<Stores> {
        Ok(Stores::with_kind(settings.token_store_kind()?, settings.store_budget))
    }

    pub fn with_kind(token_kind: StoreKind, budget: Duration) -> Stores {
        Stores { token_kind, budget, token: OnceCell::new(), keyutils: OnceCell::new() }
    }

    pub fn token_kind(&self) -> StoreKind {
        self.token_kind
    }

    /// The store of the context's API token; opening errors are kept and repeated.
    pub fn token_store(&self) -> Result<Arc<dyn SecretStore>, StoreError> {
        self.token.get_or_init(|| store::open(self.token_kind, self.budget)).clone()
    }

    /// The stores the JWT cache may use, best first: the file store with the
    /// file-based token store; otherwise the kernel keyring where it works, then
    /// the OS keyring.
    pub fn cache_candidates(&self) -> Vec<Arc<dyn SecretStore>> {
        let mut candidates = Vec::new();
        if self.token_kind == StoreKind::File {
            if let Ok(store) = self.token_store() {
                candidates.push(store);
            }
            return candidates;
        }
        if cfg!(target_os = "linux") {
            let keyutils = self.keyutils.get_or_init(|| {
                let opened = if self.token_kind == StoreKind::Keyutils {
                    self.token_store()
                } else {
                    store::open(StoreKind::Keyutils, self.budget)
                };
                opened.map_err(|e| tracing::info!("JWT cache: the kernel keyring is not usable: {e}")).ok()
            });
            candidates.extend(keyutils.clone());
        }
        if self.token_kind == StoreKind::Keyring {
            match self.token_store() {
                Ok(store) => candidates.push(store),
                Err(e) => tracing::info!("JWT cache: the OS keyring is not usable: {e}"),
            }
        }
        candidates
    }
}
