//! `sdtoken logout`: remove the context's stored API token and its cached JWT.
//! The context itself (its URL and store choice) stays in the config.

use crate::auth::{self, JwtCache, Stores};
use crate::cli::LogoutArgs;
use crate::settings::Settings;
use crate::store::Key;

pub fn run(_args: LogoutArgs, settings: &Settings) -> anyhow::Result<i32> {
    let stores = Stores::new(settings)?;
    let store = stores.token_store()?;
    let key = Key::api_token(&settings.context);
    let token = store.get(&key)?;

    if let Some(token) = &token {
        let url = stored_url(settings);
        JwtCache::new(stores.cache_candidates(), auth::fingerprint(&url, token)).remove();
        store.delete(&key)?;
        crate::output::notice(&format!(
            "Logged out of context `{}`: removed its API token from the {} and its cached JWT.",
            settings.context,
            store.describe()
        ));
    } else {
        crate::output::notice(&format!("Context `{}` has no stored API token; nothing to remove.", settings.context));
    }
    if settings.env.api_token.is_some() || settings.env.jwt.is_some() {
        crate::output::warn("`SD_API_TOKEN` or `SD_TOKEN` is still set in the environment; unset it to log out completely");
    }
    Ok(0)
}

/// The URL the token was stored with (its cache key uses it), else the one in use.
fn stored_url(settings: &Settings) -> crate::api::ApiUrl {
    settings
        .context_config()
        .and_then(|c| crate::api::ApiUrl::parse(&c.api_url).ok())
        .unwrap_or_else(|| settings.api_url.clone())
}
