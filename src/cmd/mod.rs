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
        Command::Context(args) => context::run(args, &Settings::resolve_for_contexts(&cli.global)?),
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

/// Checks a token name before any request: 1 to 128 characters, not only
/// whitespace, and no control characters. The server accepts line breaks and
/// other control characters, but they break the table and tab-separated output
/// of `list` and are almost always a pasting mistake.
pub fn validate_name(name: &str) -> Result<(), CliError> {
    let length = name.encode_utf16().count();
    if name.trim().is_empty() {
        let shown = if name.is_empty() { "it is empty" } else { "it contains only whitespace" };
        return Err(
            CliError::usage(format!("invalid token name: {shown}")).with_hint("give a name of 1 to 128 characters")
        );
    }
    if let Some(control) = name.chars().find(|c| c.is_control()) {
        return Err(CliError::usage(format!(
            "invalid token name `{}`: it contains the control character {}",
            show_text(name, MAX_SHOWN_NAME),
            describe_control(control)
        ))
        .with_hint("remove line breaks, tabs and other control characters from the name"));
    }
    if length > MAX_NAME {
        return Err(CliError::usage(format!(
            "invalid token name `{}`: it has {length} characters, the maximum is {MAX_NAME}",
            show_text(name, MAX_SHOWN_NAME)
        ))
        .with_hint("use a shorter name"));
    }
    Ok(())
}

/// Error messages show at most this many characters of a name or description.
const MAX_SHOWN_NAME: usize = 24;

/// Formats user text for an error message on one line: control characters as
/// escapes such as `\n` and `\u{0}`, cut after `max` characters with `…`.
pub fn show_text(text: &str, max: usize) -> String {
    let mut shown = String::new();
    for c in text.chars().take(max) {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else {
            shown.push(c);
        }
    }
    if text.chars().count() > max {
        shown.push('…');
    }
    shown
}

/// Names a control character: "U+000A (line feed)".
fn describe_control(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\t' => " (tab)",
        '\n' => " (line feed)",
        '\r' => " (carriage return)",
        '\u{1b}' => " (escape)",
        _ => "",
    };
    format!("U+{:04X}{name}", c as u32)
}

/// Checks a description before any request: at most 256 characters.
pub fn validate_description(description: &str) -> Result<(), CliError> {
    let length = description.encode_utf16().count();
    if length > MAX_DESCRIPTION {
        return Err(CliError::usage(format!(
            "invalid description `{}`: it has {length} characters, the maximum is {MAX_DESCRIPTION}",
            show_text(description, MAX_SHOWN_NAME)
        ))
        .with_hint("shorten the description"));
    }
    Ok(())
}

/// Reads a TOKEN argument: the id for digits (unless `by_name`), `None` for a
/// name. Called before any request, so that an id of 0 or an empty name fails
/// as a usage error (exit 2) even without a credential.
pub fn parse_token_arg(text: &str, by_name: bool) -> Result<Option<u64>, CliError> {
    if text.is_empty() {
        return Err(CliError::usage("invalid token: the name is empty")
            .with_hint("pass a token id or name; see them with `sdtoken list`"));
    }
    let is_id = !by_name && text.bytes().all(|b| b.is_ascii_digit());
    if !is_id {
        return Ok(None);
    }
    match crate::cli::parse_id(text) {
        Ok(id) => Ok(Some(id)),
        Err(message) => Err(CliError::usage(message)
            .with_hint(format!("see the token ids with `sdtoken list`; for a token named `{text}`, add `--by-name`"))),
    }
}

/// Checks every TOKEN argument before any request.
pub fn check_token_args<'a>(texts: impl IntoIterator<Item = &'a String>, by_name: bool) -> Result<(), CliError> {
    texts.into_iter().try_for_each(|text| parse_token_arg(text, by_name).map(|_| ()))
}

/// Finds the token a TOKEN argument names: digits are an id (unless `by_name`),
/// anything else is a name looked up in the list.
pub fn find_token(session: &Session, owner: Owner, text: &str, by_name: bool) -> anyhow::Result<TokenRef> {
    if let Some(id) = parse_token_arg(text, by_name)? {
        return Ok(TokenRef { id, name: None });
    }
    let matches: Vec<Token> = tokens::list(session, owner)?.into_iter().filter(|t| t.name == text).collect();
    let shown = show_text(text, MAX_NAME);
    match matches.as_slice() {
        [] => Err(CliError::new(ExitCode::NotFound, format!("no token named `{shown}` among {}", owner.describe()))
            .with_hint(match owner {
                Owner::User => "see the names with `sdtoken list`".to_string(),
                Owner::Pipeline(id) => format!("see the names with `sdtoken list --pipeline {id}`"),
            })
            .into()),
        [token] => Ok(TokenRef { id: token.id, name: Some(token.name.clone()) }),
        several => {
            let ids: Vec<String> = several.iter().map(|t| t.id.to_string()).collect();
            Err(CliError::usage(format!("the name `{shown}` matches several tokens: ids {}", ids.join(", ")))
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

/// Says why a command cannot prompt: prompts need stdin and stderr on a terminal.
pub fn no_prompt_reason(settings: &Settings) -> &'static str {
    use std::io::IsTerminal;
    if settings.no_input {
        "`--no-input` forbids prompts"
    } else if !std::io::stdin().is_terminal() {
        "stdin is not a terminal to prompt on"
    } else {
        "stderr is not a terminal, so a prompt on it would not be seen"
    }
}

/// Asks for confirmation on a terminal; without one, `--yes` is required (exit 2).
pub fn confirm(settings: &Settings, question: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !settings.interactive {
        return Err(CliError::usage(format!("confirmation needed, and {}", no_prompt_reason(settings)))
            .with_hint("pass `--yes` to confirm; nothing was changed")
            .into());
    }
    let confirm = dialoguer::Confirm::new().with_prompt(question).default(false);
    // Escape and `q` leave the prompt as a no would.
    let answer = crate::interrupt::guard(|| confirm.interact_opt()).map_err(prompt_error)?;
    if answer != Some(true) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_name_accepts_128_utf16_units() {
        assert!(validate_name(&"x".repeat(128)).is_ok());
        assert!(validate_name(&"é".repeat(128)).is_ok());
        assert!(validate_name("ci bot (nightly) – ä").is_ok());
        let err = validate_name(&"x".repeat(129)).unwrap_err();
        assert!(err.message.contains("it has 129 characters, the maximum is 128"), "{}", err.message);
        // An emoji outside the Basic Multilingual Plane counts as two UTF-16 units, as the server counts it.
        let err = validate_name(&"😀".repeat(65)).unwrap_err();
        assert!(err.message.contains("it has 130 characters"), "{}", err.message);
    }

    #[test]
    fn validate_name_rejects_control_characters() {
        // argv cannot carry NUL, so this unit test is where a NUL in a name is checked.
        let cases = [
            ("a\0b", "U+0000 (NUL)", "a\\0b"),
            ("a\nb", "U+000A (line feed)", "a\\nb"),
            ("a\tb", "U+0009 (tab)", "a\\tb"),
            ("a\u{7f}", "U+007F", "a\\u{7f}"),
        ];
        for (name, named, shown) in cases {
            let err = validate_name(name).unwrap_err();
            assert_eq!(err.code, ExitCode::Usage);
            assert!(err.message.contains(&format!("`{shown}`")), "{}", err.message);
            assert!(err.message.contains(named), "{}", err.message);
            assert!(!err.message.contains(name), "the raw control character is printed: {}", err.message);
            assert!(err.hint.is_some());
        }
    }

    #[test]
    fn validate_name_rejects_empty_and_blank() {
        assert!(validate_name("").unwrap_err().message.contains("it is empty"));
        assert!(validate_name("  ").unwrap_err().message.contains("only whitespace"));
    }

    #[test]
    fn show_text_cuts_and_escapes() {
        assert_eq!(show_text("it's \"ok\"", 24), "it's \"ok\"");
        assert_eq!(show_text("abcdef", 3), "abc…");
        assert_eq!(show_text("a\r\nb", 24), "a\\r\\nb");
    }

    #[test]
    fn parse_token_arg_reads_ids_and_names() {
        assert_eq!(parse_token_arg("17", false).unwrap(), Some(17));
        assert_eq!(parse_token_arg("17", true).unwrap(), None);
        assert_eq!(parse_token_arg("ci-bot", false).unwrap(), None);
        for bad in ["0", "00", "18446744073709551616", ""] {
            let err = parse_token_arg(bad, false).unwrap_err();
            assert_eq!(err.code, ExitCode::Usage, "{bad}");
            assert!(err.hint.is_some(), "{bad}");
        }
    }
}
