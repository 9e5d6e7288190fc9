//! The JWT cache and the single-flight exchange.
//!
//! Entries are keyed by a fingerprint of the API URL and the API token, so a
//! new token, another context or another server never reuses a JWT minted for
//! something else, and a lookup needs no extra secret read. When the cached
//! JWT is stale, the exchange runs under an exclusive file lock: N processes
//! that start at once make one request to `/v4/auth/token`, and the others
//! read the JWT it cached. The OS releases the lock if the process dies.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use crate::api::ApiUrl;
use crate::jwt::Jwt;
use crate::secret::Secret;
use crate::store::{Key, SecretStore};

/// The longest wait for another process's exchange of the same credential:
/// two attempts at the default 30 s request timeout.
const LOCK_LIMIT: Duration = Duration::from_secs(60);

/// A non-secret fingerprint of an API URL and an API token (hex, 128 bits).
pub fn fingerprint(url: &ApiUrl, token: &Secret) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"sdtoken jwt cache v1\n");
    hasher.update(url.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(token.expose().as_bytes());
    let digest = hasher.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The JWT cache over the first usable store among the candidates.
pub struct JwtCache {
    candidates: Vec<Arc<dyn SecretStore>>,
    key: Key,
    fingerprint: String,
}

impl JwtCache {
    pub fn new(candidates: Vec<Arc<dyn SecretStore>>, fingerprint: String) -> JwtCache {
        if candidates.is_empty() {
            tracing::info!("no store is usable for the JWT cache; every command exchanges the API token");
        }
        JwtCache { key: Key::jwt(&fingerprint), candidates, fingerprint }
    }

    /// The name of the store holding the cache, for `status`.
    pub fn describe(&self) -> Option<String> {
        self.candidates.first().map(|s| s.describe())
    }

    /// A cached JWT that stays valid for longer than `min_ttl`. Unreadable or
    /// undecodable entries count as missing and are replaced by the next `put`.
    /// A miss in one store falls through to the next, because `put` writes to
    /// the next store when the first one rejects the write (a kernel keyring
    /// over its quota, or one without write permission).
    pub fn get(&self, min_ttl: Duration) -> Option<Jwt> {
        for store in &self.candidates {
            match store.get(&self.key) {
                Ok(Some(token)) => return usable(Jwt::decode(token).ok(), min_ttl),
                Ok(None) => {}
                Err(e) => tracing::info!("JWT cache: {} failed, trying the next store: {e}", store.describe()),
            }
        }
        None
    }

    /// Stores `jwt` in the first store that accepts it.
    pub fn put(&self, jwt: &Jwt) {
        for store in &self.candidates {
            let lifetime = std::time::Duration::from_secs(jwt.claims.seconds_left().max(1) as u64);
            match store.set_expiring(&self.key, &jwt.token, lifetime) {
                Ok(()) => {
                    tracing::debug!("JWT cached in the {}", store.describe());
                    return;
                }
                Err(e) => tracing::info!("JWT cache: {} failed: {e}", store.describe()),
            }
        }
        if !self.candidates.is_empty() {
            tracing::info!("JWT cache: no store accepted the JWT; the next command exchanges the API token again");
        }
    }

    /// Drops the cached JWT from every candidate store.
    pub fn remove(&self) {
        for store in &self.candidates {
            if let Err(e) = store.delete(&self.key) {
                tracing::info!("JWT cache: removing from {} failed: {e}", store.describe());
            }
        }
    }

    /// Returns a valid JWT: the cached one, or a new one from `exchange`, made under the
    /// single-flight lock. The `bool` is true when the JWT came from the cache.
    pub fn get_or_exchange(
        &self,
        min_ttl: Duration,
        use_cached: bool,
        exchange: impl FnOnce() -> anyhow::Result<Jwt>,
    ) -> anyhow::Result<(Jwt, bool)> {
        if use_cached && let Some(jwt) = self.get(min_ttl) {
            return Ok((jwt, true));
        }
        if self.candidates.is_empty() {
            return Ok((exchange()?, false));
        }
        let guard = self.lock()?;
        if guard.is_none() {
            return Ok((exchange()?, false));
        }
        // Another process may have refreshed the entry while this one waited.
        if use_cached && let Some(jwt) = self.get(min_ttl) {
            tracing::debug!("JWT cache: another process refreshed the entry");
            return Ok((jwt, true));
        }
        let jwt = exchange()?;
        self.put(&jwt);
        Ok((jwt, false))
    }

    /// Takes the single-flight lock. `None` when another process has held it for
    /// longer than `LOCK_LIMIT` (stopped, say): this one then exchanges on its own.
    fn lock(&self) -> anyhow::Result<Option<std::fs::File>> {
        let dir = lock_dir()?;
        crate::fsutil::create_private_dir(&dir)?;
        let path = dir.join(format!("jwt-{}.lock", self.fingerprint));
        let file = crate::fsutil::open_private(&path)?;
        match crate::fsutil::lock_within(&file, LOCK_LIMIT) {
            Ok(()) => Ok(Some(file)),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                crate::output::warn(&format!("{e} (`{}`); exchanging without waiting longer", path.display()));
                Ok(None)
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("failed to lock `{}`", path.display()))),
        }
    }
}

fn usable(jwt: Option<Jwt>, min_ttl: Duration) -> Option<Jwt> {
    match jwt {
        Some(jwt) if !jwt.claims.expires_within(min_ttl) => Some(jwt),
        Some(_) => {
            tracing::debug!("JWT cache: the cached JWT expires within --min-ttl");
            None
        }
        None => {
            tracing::info!("JWT cache: ignoring an entry that is not a JWT");
            None
        }
    }
}

/// `$XDG_RUNTIME_DIR/sdtoken`, else the cache directory's `sdtoken/locks`.
fn lock_dir() -> anyhow::Result<PathBuf> {
    if let Some(runtime) = dirs::runtime_dir() {
        return Ok(runtime.join("sdtoken"));
    }
    let cache = dirs::cache_dir().context("no cache directory for lock files: set HOME or XDG_CACHE_HOME")?;
    Ok(cache.join("sdtoken").join("locks"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_differs_by_url_and_token() {
        let a = ApiUrl::parse("https://a.example").unwrap();
        let b = ApiUrl::parse("https://b.example").unwrap();
        let one = Secret::new("token-one");
        let two = Secret::new("token-two");
        assert_ne!(fingerprint(&a, &one), fingerprint(&b, &one));
        assert_ne!(fingerprint(&a, &one), fingerprint(&a, &two));
        assert_eq!(fingerprint(&a, &one), fingerprint(&a, &one));
        assert!(!fingerprint(&a, &one).contains("token"));
    }
}
