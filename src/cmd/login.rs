//! `sdtoken login`: read an API token (hidden prompt, or stdin with
//! `--with-token`), check it with one exchange, store it, and remember the
//! context's URL and store in the config.

use std::io::Read;

use anyhow::Context as _;

use crate::api::tokens;
use crate::auth::{self, JwtCache, Stores};
use crate::cli::LoginArgs;
use crate::error::{CliError, ExitCode};
use crate::jwt::Jwt;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::{Key, StoreKind};

pub fn run(args: LoginArgs, settings: &Settings) -> anyhow::Result<i32> {
    let kind = args.store.map_or_else(|| settings.token_store_kind(), Ok)?;
    // An unusable store fails here, before the prompt and the exchange.
    let stores = Stores::with_kind(kind, settings.store_budget);
    let store = stores.token_store()?;
    let token = read_token(&args, settings)?;
    check_token_shape(&token)?;

    let client = super::client(settings)?;
    let jwt = tokens::exchange(&client, &token).map_err(|e| explain_rejection(e, settings))?;
    let jwt = Jwt::decode(jwt).context("the server returned a token that is not a JWT")?;

    let key = Key::api_token(&settings.context);
    let previous = store.get(&key).ok().flatten();
    store.set(&key, &token).with_context(|| format!("failed to store the API token in the {}", store.describe()))?;
    // This runs before the new JWT is cached, because the old store's JWT cache may be the new store's too.
    if let Some(old) = settings.context_config().and_then(|c| c.store).filter(|old| *old != kind) {
        forget_old_copy(settings, old);
    }

    let candidates = stores.cache_candidates();
    if let Some(previous) = previous.filter(|p| *p != token) {
        JwtCache::new(candidates.clone(), auth::fingerprint(&settings.api_url, &previous)).remove();
    }
    JwtCache::new(candidates, auth::fingerprint(&settings.api_url, &token)).put(&jwt);

    let became_current = remember_context(settings, kind)?;
    report(settings, &jwt, &*store, became_current);
    Ok(0)
}

/// Removes the context's token from the store it used before, so that moving
/// to another store leaves no copy behind (in particular no plaintext one).
fn forget_old_copy(settings: &Settings, old: StoreKind) {
    let stores = Stores::with_kind(old, settings.store_budget);
    match auth::remove_stored_token(settings, &stores) {
        Ok(true) => crate::output::notice(&format!("Removed the previous copy of the token from the {old} store.")),
        Ok(false) => {}
        Err(e) => crate::output::warn(&format!(
            "the previous copy of the token in the {old} store could not be removed ({e}); remove it by hand"
        )),
    }
}

/// Reads the token from stdin with `--with-token`, else from a hidden prompt.
fn read_token(args: &LoginArgs, settings: &Settings) -> anyhow::Result<Secret> {
    let token = if args.with_token {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("failed to read the token from stdin")?;
        Secret::new(text)
    } else if settings.interactive {
        crate::output::stderr(&format!(
            "Paste an API token for {}. Create one in the Screwdriver UI under User Settings.\n",
            settings.api_url
        ));
        // An empty answer (Enter, or Ctrl-D for end of input) ends the login below
        // instead of asking again, so the prompt can always be left.
        let password = dialoguer::Password::new().with_prompt("API token").allow_empty_password(true);
        let text = crate::interrupt::guard(|| password.interact()).map_err(super::prompt_error)?;
        Secret::new(text)
    } else {
        return Err(CliError::usage(format!("the API token is needed, and {}", super::no_prompt_reason(settings)))
            .with_hint("pass the token on stdin: `printf %s \"$TOKEN\" | sdtoken login --with-token`")
            .into());
    };
    if token.is_empty() {
        return Err(CliError::usage("the API token is empty")
            .with_hint("create a token in the Screwdriver UI under User Settings, then paste it at the prompt or pipe it to `sdtoken login --with-token`")
            .into());
    }
    Ok(token)
}

/// API tokens are printable ASCII without spaces; a JWT belongs in `SD_TOKEN` instead.
fn check_token_shape(token: &Secret) -> Result<(), CliError> {
    if let Some(defect) = auth::api_token_defect(token) {
        return Err(CliError::usage(format!("invalid API token: {defect}"))
            .with_hint("paste the token exactly as the Screwdriver UI or `sdtoken create` showed it"));
    }
    if Jwt::decode(token.clone()).is_ok() {
        return Err(CliError::usage("that is a JWT, not an API token")
            .with_hint("log in with an API token; to use a JWT as it is, set `SD_TOKEN`"));
    }
    Ok(())
}

fn explain_rejection(err: crate::api::ApiError, settings: &Settings) -> anyhow::Error {
    if err.status() == Some(401) {
        let message = format!("{} rejected the API token; nothing was stored", settings.api_url);
        return anyhow::Error::new(err).context(
            CliError::new(ExitCode::NotAuthenticated, message)
                .with_hint("check that the token is current and belongs to this server (`--api-url`)"),
        );
    }
    anyhow::Error::new(err).context("failed to check the API token; nothing was stored")
}

/// Records the context's URL and store; makes it current when no context is.
fn remember_context(settings: &Settings, kind: StoreKind) -> anyhow::Result<bool> {
    settings.config_file.update(|config| {
        config.record_context(&settings.context, settings.api_url.as_str(), kind, settings.ca_cert.as_deref());
        let became_current = config.current_context.is_none();
        if became_current {
            config.current_context = Some(settings.context.clone());
        }
        Ok(became_current)
    })
}

fn report(settings: &Settings, jwt: &Jwt, store: &dyn crate::store::SecretStore, became_current: bool) {
    let who = jwt.claims.username().unwrap_or_else(|| "unknown".to_string());
    let durability = match store.kind() {
        StoreKind::Keyring => "which is persistent: it survives reboots",
        StoreKind::Keyutils => "which is volatile: it is gone at reboot",
        StoreKind::File => "which is plaintext with mode 0600: anyone who can read the file can use the token",
    };
    crate::output::notice(&format!(
        "Logged in to {} as {who} with {}.\nThe API token of context `{}` is stored in the {}, {durability}.",
        settings.api_url,
        jwt.claims.scope().describe(),
        settings.context,
        store.describe()
    ));
    let current = settings.config.current_context.as_deref();
    if !became_current && current != Some(settings.context.as_str()) {
        crate::output::notice(&format!("Switch to it with `sdtoken context use {}`.", settings.context));
    }
}
