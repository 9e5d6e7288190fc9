//! Usage errors (exit 2): clap's parse errors rewritten in sdtoken's error
//! format, and the flag combinations that clap's attributes cannot express.
//!
//! An API token or JWT typed on the command line by mistake must not be printed
//! back. So the text of an unexpected positional argument is never shown. Other
//! argument text is shown only when it cannot be a secret: a flag name, a short
//! lowercase word, or a value of at most `MAX_SHOWN_VALUE` characters.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, ValueEnum};

use super::{Cli, Command, ShellKind};
use crate::error::CliError;

/// Longer values of options are not shown in errors. API tokens have 43
/// characters and JWTs several hundred, while every valid value of an option
/// that clap checks (store, shell, duration, id, timeout) is much shorter.
const MAX_SHOWN_VALUE: usize = 24;

const LOGIN_HINT: &str = "login does not take the token as an argument: pipe it to `sdtoken login --with-token`, \
                          or run `sdtoken login` on a terminal for a hidden prompt";

/// A usage error as printed: `sdtoken: error: MESSAGE`, then `hint:` lines, then the usage forms.
#[derive(Debug, Default, PartialEq)]
struct UsageError {
    message: String,
    hints: Vec<String>,
    usage: Vec<String>,
}

impl UsageError {
    /// Splits clap's rendered error into the message, its tips and the usage lines.
    fn parse(rendered: &str) -> UsageError {
        enum Part {
            Message,
            Usage,
            Other,
        }
        let mut message: Vec<&str> = Vec::new();
        let mut error = UsageError::default();
        let mut part = Part::Message;
        for line in rendered.lines() {
            if line.trim().is_empty() {
                part = Part::Other;
            } else if let Some(tip) = line.trim_start().strip_prefix("tip: ") {
                error.hints.push(tip.to_string());
            } else if let Some(first) = line.strip_prefix("Usage: ") {
                error.usage.push(first.trim().to_string());
                part = Part::Usage;
            } else if line.starts_with("For more information") {
                continue;
            } else if matches!(part, Part::Usage) {
                error.usage.push(line.trim().to_string());
            } else {
                message.push(line.strip_prefix("error: ").unwrap_or(line));
            }
        }
        error.message = message.join("\n");
        error
    }

    /// Formats the error; `path` is the command named on the command line, such as `sdtoken login`.
    fn render(&self, path: &str) -> String {
        let mut text = format!("sdtoken: error: {}\n", self.message);
        for hint in &self.hints {
            text.push_str(&format!("hint: {hint}\n"));
        }
        match self.usage.as_slice() {
            [] => text.push_str(&format!("hint: see `{path} --help`\n")),
            forms => text.push_str(&format!("hint: usage: `{}`; see `{path} --help`\n", forms.join("` or `"))),
        }
        text
    }
}

/// Renders a clap parse error for `args`, the whole command line with the program name first.
pub(super) fn render_clap_error(err: &clap::Error, args: &[OsString]) -> String {
    let path = command_path(args.iter().skip(1));
    let mut error = UsageError::parse(&err.render().to_string());
    match err.kind() {
        ErrorKind::UnknownArgument => explain_unknown_argument(&mut error, err, args, &path),
        ErrorKind::InvalidSubcommand => explain_unknown_subcommand(&mut error, err, args),
        ErrorKind::TooManyValues => explain_unexpected_value(&mut error, err, &path),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => explain_invalid_value(&mut error, err, args, &path),
        _ => {}
    }
    error.render(&path)
}

/// Finds the subcommand path named on the command line, such as `sdtoken context use`.
pub(super) fn command_path<'a>(args: impl Iterator<Item = &'a OsString>) -> String {
    let mut command = Cli::command();
    let mut path = vec!["sdtoken".to_string()];
    for arg in args {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        if let Some(sub) = command.find_subcommand(arg).cloned() {
            path.push(arg.to_string());
            command = sub;
        }
    }
    path.join(" ")
}

/// Renders the plain usage line of the command at `path`, such as `sdtoken login [OPTIONS]`.
fn usage_of(path: &str) -> Vec<String> {
    let mut command = Cli::command();
    // Building gives the subcommands their full names and the global options.
    command.build();
    for name in path.split(' ').skip(1) {
        match command.find_subcommand(name) {
            Some(sub) => command = sub.clone(),
            None => return Vec::new(),
        }
    }
    let rendered = command.render_usage().to_string();
    UsageError::parse(&rendered).usage
}

fn context_text(err: &clap::Error, kind: ContextKind) -> Option<&str> {
    match err.get(kind)? {
        ContextValue::String(text) => Some(text),
        _ => None,
    }
}

/// Names an unknown argument only when it is a flag name. Anything else may be
/// a secret, so the message gives its position and length instead.
fn explain_unknown_argument(error: &mut UsageError, err: &clap::Error, args: &[OsString], path: &str) {
    let Some(arg) = context_text(err, ContextKind::InvalidArg) else { return };
    let on_login = path == "sdtoken login";
    if is_flag_name(arg) {
        let suggested = context_text(err, ContextKind::SuggestedArg);
        if on_login && mentions_token(arg) {
            // clap suggests `--store` for `--token`, but a flag about the token means `--with-token`.
            if suggested != Some("--with-token") {
                error.hints.clear();
                error.usage = usage_of(path);
            }
            error.hints.push(LOGIN_HINT.to_string());
        }
        return;
    }
    error.message = format!("unexpected argument {}", describe_hidden(args, arg));
    // clap's tips quote the argument.
    error.hints.clear();
    if on_login {
        error.hints.push(LOGIN_HINT.to_string());
    }
}

/// Names an unknown command when clap found a similar command or when it is a
/// short lowercase word. Otherwise the message gives its position and length.
fn explain_unknown_subcommand(error: &mut UsageError, err: &clap::Error, args: &[OsString]) {
    let Some(name) = context_text(err, ContextKind::InvalidSubcommand) else { return };
    if err.get(ContextKind::SuggestedSubcommand).is_some() || !may_be_secret(name) {
        return;
    }
    error.message = format!("unrecognized command {}", describe_hidden(args, name));
    error.hints.clear();
}

/// Rewrites the error for a value given to a flag that takes none, as in `--with-token=TOKEN`.
fn explain_unexpected_value(error: &mut UsageError, err: &clap::Error, path: &str) {
    let (Some(arg), Some(value)) =
        (context_text(err, ContextKind::InvalidArg), context_text(err, ContextKind::InvalidValue))
    else {
        return;
    };
    if may_be_secret(value) {
        error.message = format!("`{arg}` takes no value, but was given one ({})", hidden_length(value.chars().count()));
    }
    if path == "sdtoken login" && arg == "--with-token" {
        error.hints.push(
            "`--with-token` reads the token from stdin: `printf %s \"$TOKEN\" | sdtoken login --with-token`"
                .to_string(),
        );
    }
}

/// Names the environment variable when an invalid value came from one, and
/// hides a value too long to be anything but a secret.
fn explain_invalid_value(error: &mut UsageError, err: &clap::Error, args: &[OsString], path: &str) {
    let Some(arg) = context_text(err, ContextKind::InvalidArg) else { return };
    if let Some(variable) = env_source(arg, args, path) {
        error.message = error.message.replacen(&format!("for '{arg}'"), &format!("in `{variable}`"), 1);
        error.hints.insert(0, format!("set `{variable}` to a valid value, or unset it"));
    }
    if let Some(value) = context_text(err, ContextKind::InvalidValue) {
        let length = value.chars().count();
        if length > MAX_SHOWN_VALUE {
            error.message = error.message.replace(value, &format!("<{}>", hidden_length(length)));
        }
    }
}

/// Finds the environment variable that supplied the option `arg` (as clap
/// prints it, such as `--store <STORE>`) when the option is not on the command line.
fn env_source(arg: &str, args: &[OsString], path: &str) -> Option<String> {
    let long = arg.split(' ').next()?.strip_prefix("--")?;
    let mut command = Cli::command();
    command.build();
    for name in path.split(' ').skip(1) {
        command = command.find_subcommand(name)?.clone();
    }
    let option = command.get_arguments().find(|a| a.get_long() == Some(long))?;
    let variable = option.get_env()?.to_string_lossy().into_owned();
    let flag = format!("--{long}");
    let on_command_line = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .take_while(|a| *a != "--")
        .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    (!on_command_line).then_some(variable)
}

/// True for text that names a flag: `--` and lowercase words joined by `-`, or
/// `-` and one character. The part after `=` in `--flag=value` is not included by clap.
fn is_flag_name(text: &str) -> bool {
    if let Some(long) = text.strip_prefix("--") {
        let mut chars = long.chars();
        return long.len() <= 40
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    }
    let mut chars = text.chars();
    chars.next() == Some('-') && chars.next().is_some_and(|c| c.is_ascii_alphanumeric()) && chars.next().is_none()
}

/// Flags that users try for passing the token on the command line.
fn mentions_token(flag: &str) -> bool {
    ["tok", "pass", "secret", "key"].iter().any(|word| flag.contains(word))
}

/// True unless `text` is a short lowercase word, such as a mistyped command name.
pub(crate) fn may_be_secret(text: &str) -> bool {
    text.chars().count() > MAX_SHOWN_VALUE
        || !text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn hidden_length(length: usize) -> String {
    let unit = if length == 1 { "character" } else { "characters" };
    format!("{length} {unit}, not shown because it may be a secret")
}

/// Describes the argument `text` without showing it: its position on the
/// command line (when only one argument matches) and its length.
fn describe_hidden(args: &[OsString], text: &str) -> String {
    // clap reports `-S` for `-SECRET` and `--name` for `--name=value`.
    let matches = |arg: &str| arg == text || (text.starts_with('-') && arg.starts_with(text));
    let found: Vec<(usize, &str)> = args
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, a)| a.to_str().map(|a| (i, a)))
        .filter(|(_, a)| matches(a))
        .collect();
    match found.as_slice() {
        [(position, arg)] => format!("at position {position} ({})", hidden_length(arg.chars().count())),
        [(_, arg), ..] => format!("({})", hidden_length(arg.chars().count())),
        [] => "(not shown because it may be a secret)".to_string(),
    }
}

/// Checks the flag combinations that clap's attributes do not express.
pub(super) fn check_combinations(cli: &Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Delete(args) if args.all && args.pipeline.is_none() => {
            Err(CliError::usage("`--all` needs `--pipeline ID`: it deletes every token of one pipeline")
                .with_hint("pass `--pipeline ID`, or name the tokens to delete: `sdtoken delete TOKEN…`"))
        }
        Command::Exec(_) if cli.global.json => Err(CliError::usage(
            "`exec` does not take `--json`: what it prints is the command's own output",
        )
        .with_hint("drop `--json`; for the JWT as JSON, use `sdtoken exchange --json` or `sdtoken env --shell json`")),
        Command::Env(args) if cli.global.json => match args.shell {
            None | Some(ShellKind::Json) => Ok(()),
            Some(shell) => {
                let name = shell.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
                Err(CliError::usage(format!("`--json` cannot be combined with `--shell {name}`"))
                    .with_hint("for `env`, `--json` means `--shell json`: pass only one of them"))
            }
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn os_args(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    /// Parses `args`, which must fail, and returns the rendered usage error.
    fn render(args: &[&str]) -> String {
        let err = Cli::try_parse_from(args).expect_err("a usage error");
        render_clap_error(&err, &os_args(args))
    }

    fn check(args: &[&str]) -> Result<(), CliError> {
        check_combinations(&Cli::try_parse_from(args).expect("parses"))
    }

    #[test]
    fn usage_error_uses_sdtoken_format() {
        let rendered = "error: unrecognized subcommand 'lst'\n\n  tip: a similar subcommand exists: 'list'\n\n\
                        Usage: sdtoken [OPTIONS] <COMMAND>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            UsageError::parse(rendered).render("sdtoken"),
            "sdtoken: error: unrecognized subcommand 'lst'\n\
             hint: a similar subcommand exists: 'list'\n\
             hint: usage: `sdtoken [OPTIONS] <COMMAND>`; see `sdtoken --help`\n"
        );
    }

    #[test]
    fn usage_error_keeps_indented_message_lines() {
        let rendered = "error: the following required arguments were not provided:\n  <NAME>\n\n\
                        Usage: sdtoken create <NAME>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            UsageError::parse(rendered).render("sdtoken create"),
            "sdtoken: error: the following required arguments were not provided:\n  <NAME>\n\
             hint: usage: `sdtoken create <NAME>`; see `sdtoken create --help`\n"
        );
    }

    #[test]
    fn command_path_follows_subcommands() {
        let args = os_args(&["--json", "context", "use", "x", "--", "list"]);
        assert_eq!(command_path(args.iter()), "sdtoken context use");
    }

    #[test]
    fn unexpected_positional_is_described_not_shown() {
        let text = render(&["sdtoken", "login", "--with-token", "SECRET-canary-value"]);
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("unexpected argument at position 3 (19 characters, not shown"), "{text}");
        assert!(text.contains(LOGIN_HINT), "{text}");

        let text = render(&["sdtoken", "create", "a", "b"]);
        assert!(text.contains("unexpected argument at position 3 (1 character, not shown"), "{text}");
    }

    #[test]
    fn repeated_text_gets_no_position() {
        let text = render(&["sdtoken", "create", "b", "b"]);
        assert!(text.starts_with("sdtoken: error: unexpected argument (1 character, not shown"), "{text}");
    }

    #[test]
    fn dash_value_is_not_quoted_in_tip() {
        let text = render(&["sdtoken", "create", "a", "--SECRET"]);
        assert!(!text.contains("SECRET"), "{text}");
        let text = render(&["sdtoken", "create", "a", "-SECRET"]);
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn unknown_flag_is_named() {
        let text = render(&["sdtoken", "list", "--pipline", "3"]);
        assert!(text.contains("unexpected argument '--pipline'"), "{text}");
        assert!(text.contains("'--pipeline'"), "{text}");
    }

    #[test]
    fn login_token_flag_points_to_with_token() {
        for flag in ["--token", "--token=SECRET", "--api-token", "--password"] {
            let text = render(&["sdtoken", "login", flag, "SECRET"]);
            assert!(!text.contains("SECRET"), "{text}");
            assert!(!text.contains("--store"), "{flag}: {text}");
            assert!(text.contains(LOGIN_HINT), "{flag}: {text}");
            assert!(text.contains("usage: `sdtoken login"), "{flag}: {text}");
        }
    }

    #[test]
    fn with_token_value_is_not_shown() {
        let text = render(&["sdtoken", "login", "--with-token=SECRET-canary-value"]);
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("`--with-token` takes no value"), "{text}");
        assert!(text.contains("reads the token from stdin"), "{text}");
    }

    #[test]
    fn unknown_command_is_shown_only_when_harmless() {
        let text = render(&["sdtoken", "lst"]);
        assert!(text.contains("'lst'"), "{text}");
        let text = render(&["sdtoken", "frobnicate"]);
        assert!(text.contains("'frobnicate'"), "{text}");
        let text = render(&["sdtoken", "jCxPh_r_8IxcQ2PlBn3TZqY"]);
        assert!(!text.contains("jCxPh"), "{text}");
        assert!(text.contains("unrecognized command at position 1 (23 characters, not shown"), "{text}");
    }

    #[test]
    fn long_option_value_is_not_shown() {
        let text = render(&["sdtoken", "list", "--pipeline", "SECRETSECRETSECRETSECRET-canary"]);
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("invalid value '<31 characters, not shown"), "{text}");
        let text = render(&["sdtoken", "list", "--pipeline", "x7"]);
        assert!(text.contains("invalid value 'x7' for '--pipeline <ID>'"), "{text}");
    }

    #[test]
    fn delete_all_needs_pipeline() {
        let err = check(&["sdtoken", "delete", "--all"]).unwrap_err();
        assert!(err.message.contains("`--all` needs `--pipeline ID`"), "{}", err.message);
        assert!(check(&["sdtoken", "delete", "--all", "--pipeline", "3"]).is_ok());
        assert!(Cli::try_parse_from(["sdtoken", "delete"]).is_err());
        assert!(Cli::try_parse_from(["sdtoken", "delete", "--all", "3"]).is_err());
    }

    #[test]
    fn env_json_conflicts_with_other_shells() {
        assert!(check(&["sdtoken", "env", "--json"]).is_ok());
        assert!(check(&["sdtoken", "env", "--json", "--shell", "json"]).is_ok());
        let err = check(&["sdtoken", "env", "--json", "--shell", "bash"]).unwrap_err();
        assert!(err.message.contains("`--shell bash`"), "{}", err.message);
    }

    #[test]
    fn exec_rejects_json() {
        assert!(check(&["sdtoken", "--json", "exec", "--", "true"]).is_err());
        assert!(check(&["sdtoken", "exec", "--", "ls", "--json"]).is_ok());
    }
}
