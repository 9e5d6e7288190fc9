//! Settings: the global flags resolved against the environment and the config
//! file, once, before any command runs. Commands read settings, never globals.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use crate::api::{ApiUrl, DEFAULT_API_URL};
use crate::cli::GlobalArgs;
use crate::config::{Config, ConfigFile, ContextConfig, DEFAULT_CONTEXT, validate_context_name};
use crate::secret::Secret;
use crate::store::StoreKind;

/// Store calls get this long without a terminal…
const STORE_BUDGET_BATCH: Duration = Duration::from_secs(3);
/// …and this long with one, where the keyring may show an unlock prompt.
const STORE_BUDGET_INTERACTIVE: Duration = Duration::from_secs(60);

/// Where the API URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// `--api-url` or `SD_API_URL`.
    Explicit,
    /// The context's `api-url` in the config.
    Context,
    /// The public instance, because nothing else named one.
    Default,
}

/// Credentials found in the environment. Read before any store is touched.
#[derive(Debug, Clone, Default)]
pub struct EnvCredentials {
    /// `SD_API_TOKEN`: an API token to exchange.
    pub api_token: Option<Secret>,
    /// `SD_TOKEN`: a JWT, used as it is.
    pub jwt: Option<Secret>,
}

impl EnvCredentials {
    pub fn read() -> EnvCredentials {
        let read = |name: &str| std::env::var(name).ok().map(Secret::new).filter(|s| !s.is_empty());
        EnvCredentials { api_token: read("SD_API_TOKEN"), jwt: read("SD_TOKEN") }
    }
}

/// Everything a command needs to know about how it was invoked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_file: ConfigFile,
    pub config: Config,
    pub context: String,
    /// True when `--context` or `SDTOKEN_CONTEXT` named the context.
    pub context_explicit: bool,
    pub api_url: ApiUrl,
    pub url_source: UrlSource,
    pub json: bool,
    /// True when prompts may be shown: stdin and stderr are terminals and `--no-input` is off.
    pub interactive: bool,
    /// True with `--no-input`: prompts are forbidden even on a terminal.
    pub no_input: bool,
    pub ca_cert: Option<PathBuf>,
    pub timeout: Duration,
    pub min_ttl: Duration,
    /// The time limit of one secret-store call.
    pub store_budget: Duration,
    pub env: EnvCredentials,
    /// True inside a Screwdriver build: `SD_BUILD_ID` and `SD_TOKEN` are set.
    pub in_build: bool,
}

impl Settings {
    pub fn resolve(global: &GlobalArgs) -> anyhow::Result<Settings> {
        let config_file = ConfigFile::locate()?;
        let config = config_file.load()?;
        let (context, context_explicit) = resolve_context(global, &config)?;
        let (api_url, url_source) = resolve_api_url(global, config.contexts.get(&context))?;
        let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let interactive = terminal && !global.no_input;
        let env = EnvCredentials::read();
        let in_build = env.jwt.is_some() && std::env::var_os("SD_BUILD_ID").is_some_and(|v| !v.is_empty());
        Ok(Settings {
            config_file,
            config,
            context,
            context_explicit,
            api_url,
            url_source,
            json: global.json,
            interactive,
            no_input: global.no_input,
            ca_cert: global.ca_cert.clone(),
            timeout: Duration::from_secs(global.timeout),
            min_ttl: global.min_ttl,
            store_budget: if terminal { STORE_BUDGET_INTERACTIVE } else { STORE_BUDGET_BATCH },
            env,
            in_build,
        })
    }

    /// The config entry of the current context, if it exists.
    pub fn context_config(&self) -> Option<&ContextConfig> {
        self.config.contexts.get(&self.context)
    }

    /// The store that holds (or will hold) the current context's API token:
    /// the context's remembered choice, else `SDTOKEN_STORE`, else the OS keyring.
    pub fn token_store_kind(&self) -> anyhow::Result<StoreKind> {
        if let Some(kind) = self.context_config().and_then(|c| c.store) {
            return Ok(kind);
        }
        match std::env::var("SDTOKEN_STORE").ok().filter(|v| !v.is_empty()) {
            Some(text) => {
                text.parse().map_err(|e: String| crate::error::CliError::usage(format!("SDTOKEN_STORE: {e}")).into())
            }
            None => Ok(StoreKind::Keyring),
        }
    }
}

fn resolve_context(global: &GlobalArgs, config: &Config) -> anyhow::Result<(String, bool)> {
    if let Some(name) = global.context.as_deref().filter(|n| !n.is_empty()) {
        validate_context_name(name)?;
        return Ok((name.to_string(), true));
    }
    let name = config.current_context.clone().unwrap_or_else(|| DEFAULT_CONTEXT.to_string());
    Ok((name, false))
}

fn resolve_api_url(global: &GlobalArgs, context: Option<&ContextConfig>) -> anyhow::Result<(ApiUrl, UrlSource)> {
    if let Some(text) = global.api_url.as_deref().filter(|u| !u.trim().is_empty()) {
        return Ok((ApiUrl::parse(text)?, UrlSource::Explicit));
    }
    if let Some(context) = context {
        let url = ApiUrl::parse(&context.api_url).context("the context's `api-url` in the config file is invalid")?;
        return Ok((url, UrlSource::Context));
    }
    Ok((ApiUrl::parse(DEFAULT_API_URL)?, UrlSource::Default))
}
