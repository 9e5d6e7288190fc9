//! Credentials: which one wins (`SD_API_TOKEN`, then `SD_TOKEN`, then the
//! context's stored API token), how an API token becomes a JWT, and the
//! session that sends authenticated requests.

mod cache;
mod session;
mod stores;

use crate::api::ApiUrl;
use crate::error::CliError;
use crate::jwt::Jwt;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::{Key, StoreError};

pub use cache::{JwtCache, fingerprint};
pub use session::Session;
pub use stores::Stores;

/// Where a credential came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The `SD_API_TOKEN` environment variable.
    EnvApiToken,
    /// The `SD_TOKEN` environment variable.
    EnvJwt,
    /// The API token stored for a context.
    Stored { context: String },
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::EnvApiToken => "`SD_API_TOKEN`".to_string(),
            Source::EnvJwt => "`SD_TOKEN`".to_string(),
            Source::Stored { context } => format!("the API token stored for context `{context}`"),
        }
    }

    /// Names the credential for sentences such as "… rejected the API token in `SD_API_TOKEN`".
    pub fn describe_credential(&self) -> String {
        match self {
            Source::EnvApiToken => "the API token in `SD_API_TOKEN`".to_string(),
            Source::EnvJwt => "the JWT in `SD_TOKEN`".to_string(),
            Source::Stored { context } => format!("the API token stored for context `{context}`"),
        }
    }

    /// A stable name for JSON output.
    pub fn id(&self) -> &'static str {
        match self {
            Source::EnvApiToken => "SD_API_TOKEN",
            Source::EnvJwt => "SD_TOKEN",
            Source::Stored { .. } => "stored",
        }
    }
}

/// The credential a command acts with.
#[derive(Debug)]
pub enum Credential {
    /// An API token, exchanged for a JWT that is cached.
    ApiToken { token: Secret, source: Source },
    /// A JWT used as it is: never exchanged, never cached.
    Jwt { jwt: Jwt, source: Source },
}

impl Credential {
    pub fn source(&self) -> &Source {
        match self {
            Credential::ApiToken { source, .. } | Credential::Jwt { source, .. } => source,
        }
    }
}

/// The winning credential and the sources it shadowed.
#[derive(Debug)]
pub struct Resolved {
    pub credential: Credential,
    pub shadowed: Vec<Source>,
}

/// Picks the credential: `SD_API_TOKEN`, then `SD_TOKEN`, then the stored token.
/// A context that was named but does not exist stops every command here (exit 6),
/// before any store or request. The environment is read first, so a broken
/// store never blocks an environment credential.
/// With `look_in_store`, a stored token that an environment credential shadows is reported.
pub fn resolve(settings: &Settings, stores: &Stores, look_in_store: bool) -> anyhow::Result<Resolved> {
    settings.check_context()?;
    let mut shadowed = Vec::new();
    let stored_exists = || stored_token_exists(settings, stores);

    if let Some(token) = &settings.env.api_token {
        check_env_api_token(token)?;
        if settings.env.jwt.is_some() {
            shadowed.push(Source::EnvJwt);
        }
        if look_in_store && stored_token_present(settings, stores) {
            shadowed.push(stored_source(settings));
        }
        warn_env_over_named_context(settings, stores, &Source::EnvApiToken, look_in_store);
        return Ok(Resolved {
            credential: Credential::ApiToken { token: token.clone(), source: Source::EnvApiToken },
            shadowed,
        });
    }

    if let Some(token) = &settings.env.jwt {
        let jwt = decode_env_jwt(token)?;
        let stale = jwt.claims.expires_within(settings.min_ttl);
        if stale && !settings.in_build && stored_exists() {
            let left = jwt.claims.seconds_left();
            let state =
                if left <= 0 { "has expired".to_string() } else { format!("expires in {left} s, within --min-ttl") };
            crate::output::warn(&format!(
                "skipping `SD_TOKEN`: it {state} (probably left over from `sdtoken env`); using the stored token instead"
            ));
            shadowed.push(Source::EnvJwt);
        } else {
            // Inside a build the build token always wins, and no store is touched
            // unless `--context` named a context.
            let look = look_in_store && (!settings.in_build || settings.context_explicit);
            if look && stored_token_present(settings, stores) {
                shadowed.push(stored_source(settings));
            }
            warn_env_over_named_context(settings, stores, &Source::EnvJwt, look_in_store);
            return Ok(Resolved { credential: Credential::Jwt { jwt, source: Source::EnvJwt }, shadowed });
        }
    }

    let token = load_stored_token(settings, stores)?;
    Ok(Resolved { credential: Credential::ApiToken { token, source: stored_source(settings) }, shadowed })
}

/// Returns the environment variable whose credential wins, if one is set.
/// `status` names it also when the credential turns out to be malformed.
pub fn env_source(settings: &Settings) -> Option<Source> {
    if settings.env.api_token.is_some() {
        Some(Source::EnvApiToken)
    } else if settings.env.jwt.is_some() {
        Some(Source::EnvJwt)
    } else {
        None
    }
}

fn decode_env_jwt(token: &Secret) -> anyhow::Result<Jwt> {
    Jwt::decode(token.clone()).map_err(|e| {
        CliError::not_authenticated(format!("`SD_TOKEN` is not a valid JWT: {e}"))
            .with_hint("unset `SD_TOKEN`, or set it to a JWT such as the output of `sdtoken exchange`")
            .into()
    })
}

/// Warns when `--context` or `SDTOKEN_CONTEXT` named a context whose stored
/// token loses to an environment credential: the command does not act as that
/// context. `status` reports the shadowed token instead, so `reported` skips it.
/// The stored token counts whatever URL it belongs to, because the environment
/// may also have replaced the context's URL (`SD_API_URL` from `sdtoken env`).
fn warn_env_over_named_context(settings: &Settings, stores: &Stores, winner: &Source, reported: bool) {
    if !settings.context_explicit || reported {
        return;
    }
    if stored_token_present(settings, stores) {
        crate::output::warn(&format!(
            "{} takes precedence over the token stored for context `{}`; unset it{} to use the context",
            winner.describe(),
            settings.context,
            if std::env::var_os("SD_API_URL").is_some() { " and `SD_API_URL`" } else { "" }
        ));
    }
}

fn stored_source(settings: &Settings) -> Source {
    Source::Stored { context: settings.context.clone() }
}

/// True when the context has a stored token, whatever its URL: the environment
/// shadows it either way. Store errors count as no.
fn stored_token_present(settings: &Settings, stores: &Stores) -> bool {
    let Ok(store) = stores.token_store() else { return false };
    matches!(store.get(&Key::api_token(&settings.context)), Ok(Some(_)))
}

/// True when the context has a stored token for the API URL in use. Store errors count as no.
fn stored_token_exists(settings: &Settings, stores: &Stores) -> bool {
    check_stored_url(settings).is_ok() && stored_token_present(settings, stores)
}

/// Finds what makes `token` unusable as an API token, which travels in an HTTP
/// header: whitespace inside it, or a character other than printable ASCII.
/// The result describes the character, never the token.
pub fn api_token_defect(token: &Secret) -> Option<String> {
    let bad = token.expose().chars().find(|c| !c.is_ascii_graphic())?;
    Some(if bad.is_whitespace() {
        "it contains whitespace; pass exactly one token".to_string()
    } else if bad.is_control() {
        format!("it contains the control character U+{:04X}", bad as u32)
    } else {
        format!("it contains U+{:04X}, which is not printable ASCII", bad as u32)
    })
}

/// Rejects an `SD_API_TOKEN` that cannot be sent as an API token: one with a
/// character a header cannot carry, or a JWT, for which it names the right variable.
fn check_env_api_token(token: &Secret) -> anyhow::Result<()> {
    if let Some(defect) = api_token_defect(token) {
        return Err(CliError::not_authenticated(format!("`SD_API_TOKEN` is not a valid API token: {defect}"))
            .with_hint("set `SD_API_TOKEN` to the 43-character value made by `sdtoken create`, with nothing around it")
            .into());
    }
    if Jwt::decode(token.clone()).is_ok() {
        return Err(CliError::not_authenticated("`SD_API_TOKEN` contains a JWT, not an API token")
            .with_hint(
                "put JWTs in `SD_TOKEN`; `SD_API_TOKEN` takes the 43-character API token made by `sdtoken create`",
            )
            .into());
    }
    Ok(())
}

/// Checks that the context's token belongs to the API URL in use: a stored
/// token is only ever sent to the URL it was stored with.
pub fn check_stored_url(settings: &Settings) -> anyhow::Result<()> {
    let Some(context) = settings.context_config() else {
        return Err(not_logged_in(settings).into());
    };
    let stored_url = crate::api::ApiUrl::parse(&context.api_url)?;
    if stored_url != settings.api_url {
        return Err(CliError::not_authenticated(format!(
            "the token of context `{}` belongs to {}, not to {}",
            settings.context, stored_url, settings.api_url
        ))
        .with_hint(format!(
            "log in to {} with `sdtoken login --context NAME --api-url {}`, or drop `--api-url` and `SD_API_URL` to use {}",
            settings.api_url, settings.api_url, stored_url
        ))
        .into());
    }
    Ok(())
}

fn load_stored_token(settings: &Settings, stores: &Stores) -> anyhow::Result<Secret> {
    check_stored_url(settings)?;
    let store = stores.token_store()?;
    match store.get(&Key::api_token(&settings.context))? {
        Some(token) => Ok(token),
        None => Err(not_logged_in(settings).into()),
    }
}

/// Removes the API token of the settings' context from `stores`' token store,
/// together with the JWT cached for it. Returns false when no token was stored.
pub fn remove_stored_token(settings: &Settings, stores: &Stores) -> Result<bool, StoreError> {
    // The cache key uses the URL the token was stored with, else the one in use.
    let url = settings
        .context_config()
        .and_then(|c| crate::api::ApiUrl::parse(&c.api_url).ok())
        .unwrap_or_else(|| settings.api_url.clone());
    remove_context_token(stores, &settings.context, Some(&url))
}

/// Removes the API token of `context` from `stores`' token store and, when
/// `url` is known, the JWT cached for it at that URL. Returns false when no
/// token was stored.
pub fn remove_context_token(stores: &Stores, context: &str, url: Option<&ApiUrl>) -> Result<bool, StoreError> {
    let store = stores.token_store()?;
    let key = Key::api_token(context);
    let Some(token) = store.get(&key)? else { return Ok(false) };
    if let Some(url) = url {
        JwtCache::new(stores.cache_candidates(), fingerprint(url, &token)).remove();
    }
    store.delete(&key)?;
    Ok(true)
}

fn not_logged_in(settings: &Settings) -> CliError {
    CliError::not_authenticated(format!(
        "not logged in: no credential for context `{}` ({})",
        settings.context, settings.api_url
    ))
    .with_hint(format!("run `{}`, or set `SD_API_TOKEN` (an API token) or `SD_TOKEN` (a JWT)", login_command(settings)))
}

/// Builds the `sdtoken login` command that stores a token for the settings'
/// context and server: `--context` unless it is `default`, and `--api-url`
/// when the URL was given on the command line or in `SD_API_URL`, so that
/// following the hint never logs in to another server.
pub fn login_command(settings: &Settings) -> String {
    let mut command = "sdtoken login".to_string();
    if settings.context != crate::config::DEFAULT_CONTEXT {
        command.push_str(&format!(" --context {}", settings.context));
    }
    if settings.url_source == crate::settings::UrlSource::Explicit {
        command.push_str(&format!(" --api-url {}", settings.api_url));
    }
    command
}
