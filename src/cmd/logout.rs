//! `sdtoken logout`: remove the context's stored API token and its cached JWT.
//! The context itself (its URL and store choice) stays in the config.

use crate::auth::{self, Stores};
use crate::cli::LogoutArgs;
use crate::settings::Settings;

pub fn run(_args: LogoutArgs, settings: &Settings) -> anyhow::Result<i32> {
    // A mistyped context name must not read as "nothing to remove".
    settings.check_context()?;
    let stores = Stores::new(settings)?;
    if auth::remove_stored_token(settings, &stores)? {
        let store = stores.token_store()?;
        crate::output::notice(&format!(
            "Logged out of context `{}`: removed its API token from the {} and its cached JWT.",
            settings.context,
            store.describe()
        ));
    } else {
        crate::output::notice(&format!("Context `{}` has no stored API token; nothing to remove.", settings.context));
    }
    if settings.env.api_token.is_some() || settings.env.jwt.is_some() {
        crate::output::warn(
            "`SD_API_TOKEN` or `SD_TOKEN` is still set in the environment; unset it to log out completely",
        );
    }
    Ok(0)
}
