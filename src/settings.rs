//! Settings: the global flags resolved against the environment and the config
//! file, once, before any command runs. Commands read settings, never globals.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::api::{ApiUrl, DEFAULT_API_URL};
use crate::cli::GlobalArgs;
use crate::config::{Config, ConfigFile, ContextConfig, DEFAULT_CONTEXT, validate_context_name};
use crate::error::{CliError, ExitCode};
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

/// Where the context name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextOrigin {
    /// `--context` or `SDTOKEN_CONTEXT`.
    Explicit,
    /// The config's `current-context`.
    Current,
    /// Nothing named a context, so it is `default`.
    Default,
}

/// At most this many context names are listed in a hint.
const MAX_LISTED_CONTEXTS: usize = 5;

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
    pub context_origin: ContextOrigin,
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
        Settings::resolve_with(global, false)
    }

    /// Resolves the settings of the `context` commands, which edit the config and send
    /// no request. An invalid API URL only draws a warning there, so that a context
    /// with a broken `api-url` can still be listed, left or removed.
    pub fn resolve_for_contexts(global: &GlobalArgs) -> anyhow::Result<Settings> {
        Settings::resolve_with(global, true)
    }

    fn resolve_with(global: &GlobalArgs, lenient_url: bool) -> anyhow::Result<Settings> {
        let config_file = ConfigFile::locate()?;
        let config = config_file.load()?;
        let (context, context_origin) = resolve_context(global, &config)?;
        let context_config = config.contexts.get(&context).map(|c| (context.as_str(), c));
        let (api_url, url_source) = match resolve_api_url(global, &config_file, context_config) {
            Err(err) if lenient_url => {
                crate::output::warn(&format!("{err:#}"));
                (ApiUrl::parse(DEFAULT_API_URL)?, UrlSource::Default)
            }
            resolved => resolved?,
        };
        let ca_cert = global.ca_cert.clone().or_else(|| context_config.and_then(|(_, c)| c.ca_cert.clone()));
        let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let interactive = terminal && !global.no_input;
        let env = EnvCredentials::read();
        let in_build = env.jwt.is_some() && std::env::var_os("SD_BUILD_ID").is_some_and(|v| !v.is_empty());
        Ok(Settings {
            config_file,
            config,
            context,
            context_explicit: context_origin == ContextOrigin::Explicit,
            context_origin,
            api_url,
            url_source,
            json: global.json,
            interactive,
            no_input: global.no_input,
            ca_cert,
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

    /// Checks, before any store or request, that the context exists where a
    /// credential depends on it (exit 6 otherwise). A context named by
    /// `--context`, `SDTOKEN_CONTEXT` or `current-context` must be in the
    /// config, because falling back to the public server would send the
    /// credential somewhere the user did not mean. When nothing names a
    /// context, `default` is used, also with no config at all. That is an
    /// error only when other contexts exist and no URL was given.
    pub fn check_context(&self) -> Result<(), CliError> {
        if self.context_config().is_some() {
            return Ok(());
        }
        let contexts = &self.config.contexts;
        let (message, hint) = match self.context_origin {
            ContextOrigin::Explicit => (format!("no context named `{}`", self.context), self.missing_context_hint()),
            ContextOrigin::Current => (
                format!("no context named `{}`, which config.toml names as `current-context`", self.context),
                self.missing_context_hint(),
            ),
            ContextOrigin::Default if contexts.is_empty() || self.url_source == UrlSource::Explicit => return Ok(()),
            ContextOrigin::Default => (
                format!("no context is current, and there is no context named `{DEFAULT_CONTEXT}`"),
                format!("{}, or pass `--context NAME`", pick_context_hint(contexts.keys().map(String::as_str))),
            ),
        };
        Err(CliError::new(ExitCode::NotFound, message).with_hint(hint))
    }

    /// Lists the existing contexts and the login that would create the missing one.
    fn missing_context_hint(&self) -> String {
        let url = match self.url_source {
            UrlSource::Explicit => self.api_url.to_string(),
            _ => "URL".to_string(),
        };
        let login = format!("sdtoken login --context {} --api-url {url}", self.context);
        if self.config.contexts.is_empty() {
            return format!("there are no contexts yet; create this one with `{login}`");
        }
        let contexts = list_names(self.config.contexts.keys().map(String::as_str));
        format!("the contexts are {contexts}; create this one with `{login}`")
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

fn resolve_context(global: &GlobalArgs, config: &Config) -> anyhow::Result<(String, ContextOrigin)> {
    if let Some(name) = global.context.as_deref().filter(|n| !n.is_empty()) {
        validate_context_name(name)?;
        return Ok((name.to_string(), ContextOrigin::Explicit));
    }
    match config.current_context.clone().filter(|n| !n.is_empty()) {
        Some(name) => Ok((name, ContextOrigin::Current)),
        None => Ok((DEFAULT_CONTEXT.to_string(), ContextOrigin::Default)),
    }
}

/// "switch to one of `a` and `b` with `sdtoken context use NAME`", or the
/// whole command when there is only one context.
pub fn pick_context_hint<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.as_slice() {
        [only] => format!("switch to `{only}` with `sdtoken context use {only}`"),
        _ => format!("switch to one of {} with `sdtoken context use NAME`", list_names(names.into_iter())),
    }
}

/// Formats names as "`a`, `b` and `c`"; past `MAX_LISTED_CONTEXTS` names the
/// rest are counted ("… and 4 more").
pub fn list_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    match names.len() {
        0 => "none".to_string(),
        1 => names[0].clone(),
        n if n <= MAX_LISTED_CONTEXTS => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
        n => format!("{} and {} more", names[..MAX_LISTED_CONTEXTS].join(", "), n - MAX_LISTED_CONTEXTS),
    }
}

fn resolve_api_url(
    global: &GlobalArgs,
    config_file: &ConfigFile,
    context: Option<(&str, &ContextConfig)>,
) -> anyhow::Result<(ApiUrl, UrlSource)> {
    let empty = global.api_url.as_deref().is_some_and(|u| u.trim().is_empty());
    // An empty `SD_API_URL` counts as unset, as CI systems often define variables
    // empty. An empty `--api-url` is a mistake: falling back would pick another server.
    if empty && std::env::var("SD_API_URL").map_or(true, |v| !v.trim().is_empty()) {
        return Err(CliError::usage("--api-url is empty")
            .with_hint("give the API URL, such as `--api-url https://api.screwdriver.cd`, or leave the option out")
            .into());
    }
    if let Some(text) = global.api_url.as_deref().filter(|u| !u.trim().is_empty()) {
        return Ok((parse_explicit_url(text)?, UrlSource::Explicit));
    }
    if let Some((name, context)) = context {
        let url = ApiUrl::parse(&context.api_url).map_err(|e| {
            config_file.malformed(&format!("context `{name}` has an invalid `api-url`: {}", e.message)).with_hint(
                format!(
                    "fix `api-url` in the file, or log in again with `sdtoken login --context {name} --api-url URL`"
                ),
            )
        })?;
        return Ok((url, UrlSource::Context));
    }
    Ok((ApiUrl::parse(DEFAULT_API_URL)?, UrlSource::Default))
}

/// Parses the URL of `--api-url` or `SD_API_URL`. Whitespace around it, as left
/// by copying or by quoting in a CI variable, is ignored with a warning.
fn parse_explicit_url(text: &str) -> Result<ApiUrl, CliError> {
    // clap fills `--api-url` from `SD_API_URL` when the flag is absent.
    let origin = if std::env::var("SD_API_URL").is_ok_and(|v| v == text) { "SD_API_URL" } else { "--api-url" };
    let url = ApiUrl::parse_from(text, Some(origin))?;
    if text.trim() != text {
        crate::output::warn(&format!(
            "ignoring the whitespace around the API URL `{}` in `{origin}`; remove it to silence this warning",
            text.trim()
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_counts_past_the_limit() {
        assert_eq!(list_names(["a"].into_iter()), "`a`");
        assert_eq!(list_names(["a", "b", "c"].into_iter()), "`a`, `b` and `c`");
        let many: Vec<String> = (1..=8).map(|n| format!("c{n}")).collect();
        assert_eq!(list_names(many.iter().map(String::as_str)), "`c1`, `c2`, `c3`, `c4`, `c5` and 3 more");
    }
}
