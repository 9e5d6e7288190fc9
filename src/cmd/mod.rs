//! Dispatch to one module per command, plus the steps several commands share:
//! building a session, reading TOKEN arguments, checking input and confirming.

mod completions;
mod context;
mod create;
mod delete;
mod env;
mod exchange;
mod exec;
mod help;
mod list;
mod login;
mod logout;
mod refresh;
mod status;
mod update;

use crate::api::Client;
use crate::api::tokens::{self, Owner, Token};
use crate::auth::{self, Credential, JwtCache, Session, Stores};
use crate::cli::{Cli, Command};
use crate::error::{CliError, ExitCode};
use crate::settings::Settings;

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Completions(args) => completions::run(args),
        Command::Help(args) => help::run(args),
        command => {
            let settings = Settings::resolve(&cli.global)?;
            dispatch(command, &settings)
        }
    }
}

fn dispatch(command: Command, settings: &Settings) -> anyhow::Result<i32> {
    match command {
        Command::Login(args) => login::run(args, settings),
        Command::Logout(args) => logout::run(args, settings),
        Command::Status(args) => status::run(args, settings),
        Command::Exchange(args) => exchange::run(args, settings),
        Command::Env(args) => env::run(args, settings),
        Command::Exec(args) => exec::run(args, settings),
        Command::List(args) => list::run(args, settings),
        Command::Create(args) => create::run(args, settings),
        Command::Update(args) => update::run(args, settings),
        Command::Refresh(args) => refresh::run(args, settings),
        Command::Delete(args) => delete::run(args, settings),
        Command::Context(args) => context::run(args, settings),
        Command::Completions(_) | Command::Help(_) => unreachable!("handled before settings are resolved"),
    }
}

/// Builds the API client for the settings' URL.
pub fn client(settings: &Settings) -> anyhow::Result<Client> {
    Client::new(settings.api_url.clone(), settings.timeout, settings.ca_cert.as_deref())
}

/// Resolves the credential and builds a session with the JWT cache that fits it.
pub fn session(settings: &Settings) -> anyhow::Result<(Session, Stores, Vec<auth::Source>)> {
    let stores = Stores::new(settings)?;
    let resolved = auth::resolve(settings, &stores, false)?;
    let session = session_for(settings, &stores, resolved.credential)?;
    Ok((session, stores, resolved.shadowed))
}

pub fn session_for(settings: &Settings, stores: &Stores, credential: Credential) -> anyhow::Result<Session> {
    let cache = match &credential {
        Credential::ApiToken { token, .. } => {
            Some(JwtCache::new(stores.cache_candidates(), auth::fingerprint(&settings.api_url, token)))
        }
        Credential::Jwt { .. } => None,
    };
    Ok(Session::new(client(settings)?, credential, cache, settings.min_ttl, settings.in_build))
}

/// Whose tokens `--pipeline` selects.
pub fn owner(pipeline: Option<u64>) -> Owner {
    pipeline.map_or(Owner::User, Owner::Pipeline)
}

/// The longest token name the server accepts, in UTF-16 code units as it counts them.
const MAX_NAME: usize = 128;
const MAX_DESCRIPTION: usize = 256;

/// Checks a token name before any request: 1 to 128 characters.
pub fn validate_name(name: &str) -> Result<(), CliError> {
    let length = name.encode_utf16().count();
    if name.trim().is_empty() {
        let shown = if name.is_empty() { "it is empty" } else { "it contains only whitespace" };
        return Err(
            CliError::usage(format!("invalid token name: {shown}")).with_hint("give a name of 1 to 128 characters")
        );
    }
    if length > MAX_NAME {
        return Err(CliError::usage(format!(
            "invalid token name `{}…`: it has {length} characters, the maximum is {MAX_NAME}",
            name.chars().take(24).collect::<String>()
        ))
        .with_hint("use a shorter name"));
    }
    Ok(())
}

/// Checks a description before any request: at most 256 characters.
pub fn validate_description(description: &str) -> Result<(), CliError> {
    let length = description.encode_utf16().count();
    if length > MAX_DESCRIPTION {
        return Err(CliError::usage(format!(
            "invalid description `{}…`: it has {length} characters, the maximum is {MAX_DESCRIPTION}",
            description.chars().take(24).collect::<String>()
        ))
        .with_hint("shorten the description"));
    }
    Ok(())
}

/// Finds the token a TOKEN argument names: digits are an id (unless `by_name`),
/// anything else is a name looked up in the list.
pub fn find_token(session: &Session, owner: Owner, text: &str, by_name: bool) -> anyhow::Result<TokenRef> {
    let is_id = !by_name && !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if is_id {
        let id = crate::cli::parse_id(text).map_err(CliError::usage)?;
        return Ok(TokenRef { id, name: None });
    }
    if text.is_empty() {
        return Err(CliError::usage("invalid token: the name is empty").into());
    }
    let matches: Vec<Token> = tokens::list(session, owner)?.into_iter().filter(|t| t.name == text).collect();
    match matches.as_slice() {
        [] => Err(CliError::new(ExitCode::NotFound, format!("no token named `{text}` among {}", owner.describe()))
            .with_hint(match owner {
                Owner::User => "see the names with `sdtoken list`".to_string(),
                Owner::Pipeline(id) => format!("see the names with `sdtoken list --pipeline {id}`"),
            })
            .into()),
        [token] => Ok(TokenRef { id: token.id, name: Some(token.name.clone()) }),
        several => {
            let ids: Vec<String> = several.iter().map(|t| t.id.to_string()).collect();
            Err(CliError::usage(format!("the name `{text}` matches several tokens: ids {}", ids.join(", ")))
                .with_hint("pass the id instead of the name")
                .into())
        }
    }
}

/// A token picked by id or name.
pub struct TokenRef {
    pub id: u64,
    pub name: Option<String>,
}

impl TokenRef {
    /// "token 17 (`ci-bot`)" or "token 17".
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("token {} (`{name}`)", self.id),
            None => format!("token {}", self.id),
        }
    }
}

/// Asks for confirmation on a terminal; without one, `--yes` is required (exit 2).
pub fn confirm(settings: &Settings, question: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !settings.interactive {
        let why = if settings.no_input { "`--no-input` forbids prompts" } else { "there is no terminal to ask on" };
        return Err(CliError::usage(format!("confirmation needed, and {why}"))
            .with_hint("pass `--yes` to confirm; nothing was changed")
            .into());
    }
    let confirm = dialoguer::Confirm::new().with_prompt(question).default(false);
    let answer = crate::interrupt::guard(|| confirm.interact()).map_err(prompt_error)?;
    if !answer {
        return Err(CliError::new(ExitCode::Failure, "cancelled; nothing was changed").into());
    }
    Ok(())
}

/// A prompt interrupted by Ctrl-C exits 130.
pub fn prompt_error(err: dialoguer::Error) -> anyhow::Error {
    match err {
        dialoguer::Error::IO(e) if e.kind() == std::io::ErrorKind::Interrupted => {
            CliError::new(ExitCode::Interrupted, "interrupted").into()
        }
        dialoguer::Error::IO(e) => anyhow::Error::new(e).context("the prompt failed"),
    }
}

/// The JSON form of a token: `id`, `name`, `description`, `pipeline_id`,
/// `last_used` (RFC 3339 UTC or null), `last_used_epoch`, and `value` when given.
pub fn token_json(token: &Token, value: Option<&crate::secret::Secret>) -> serde_json::Value {
    let last_used = parse_time(&token.last_used);
    let mut object = serde_json::json!({
        "id": token.id,
        "name": token.name,
        "description": token.description,
        "pipeline_id": token.pipeline_id,
        "last_used": last_used.map(crate::jwt::rfc3339),
        "last_used_epoch": last_used,
    });
    if let Some(value) = value {
        object["value"] = serde_json::Value::String(value.expose().to_string());
    }
    object
}

/// Epoch seconds of an ISO 8601 time such as `2026-12-04T20:17:50.123Z`; `None` when empty.
pub fn parse_time(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp())
}
