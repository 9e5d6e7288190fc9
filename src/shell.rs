//! Quoting of variable assignments for `sdtoken env`: every value is quoted so
//! that it round-trips byte for byte and nothing in it is executed or expanded.

use crate::cli::ShellKind;

/// Picks the format from `$SHELL`'s file name; POSIX `sh` when unknown.
pub fn detect(shell_var: Option<&str>) -> ShellKind {
    let name = shell_var.and_then(|s| s.rsplit('/').next()).unwrap_or("");
    match name {
        "bash" => ShellKind::Bash,
        "zsh" => ShellKind::Zsh,
        "fish" => ShellKind::Fish,
        "pwsh" | "powershell" | "pwsh.exe" | "powershell.exe" => ShellKind::Powershell,
        _ => ShellKind::Sh,
    }
}

/// Renders `vars` as assignments for `shell`, one per line (JSON: one object).
pub fn render(shell: ShellKind, vars: &[(&str, &str)]) -> String {
    if shell == ShellKind::Json {
        let object: serde_json::Map<String, serde_json::Value> =
            vars.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string()))).collect();
        return format!("{}\n", serde_json::Value::Object(object));
    }
    vars.iter().map(|(name, value)| assignment(shell, name, value) + "\n").collect()
}

fn assignment(shell: ShellKind, name: &str, value: &str) -> String {
    match shell {
        ShellKind::Sh | ShellKind::Bash | ShellKind::Zsh => format!("export {name}={}", posix_quote(value)),
        ShellKind::Fish => format!("set -gx {name} {}", fish_quote(value)),
        ShellKind::Powershell => format!("$env:{name} = {}", powershell_quote(value)),
        ShellKind::Dotenv => format!("{name}={}", dotenv_quote(value)),
        ShellKind::Json => unreachable!("JSON is rendered as one object"),
    }
}

/// POSIX single quotes: nothing inside is special; a `'` becomes `'\''`.
pub fn posix_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// fish single quotes: only `\` and `'` are special inside, each escaped with `\`.
pub fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// PowerShell single quotes: nothing expands; a quote is doubled. PowerShell also
/// treats the typographic single quotes U+2018 to U+201B as quotes, so those are doubled too.
pub fn powershell_quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// dotenv double quotes with `\"`, `\\` and `\n` escapes.
pub fn dotenv_quote(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!("\"{escaped}\"")
}

/// Variables that shells or programs act on, which `--var` must not overwrite.
const PROCESS_VARS: [&str; 12] =
    ["PATH", "HOME", "SHELL", "IFS", "PWD", "USER", "BASH_ENV", "ENV", "PS1", "PS2", "PS3", "PS4"];
/// Prefixes of the variables that the dynamic loader acts on (Linux `LD_*`, macOS `DYLD_*`).
const LOADER_PREFIXES: [&str; 2] = ["LD_", "DYLD_"];

/// Checks a variable name for `--var`: a letter or `_`, then letters, digits
/// or `_`, and not a variable that the JWT would clobber.
pub fn validate_var_name(name: &str) -> Result<(), crate::error::CliError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(crate::error::CliError::usage(format!(
            "invalid variable name `{name}`: use letters, digits and `_`, not starting with a digit"
        ))
        .with_hint("for example `--var SD_USER_TOKEN`"));
    }
    if let Some(reason) = reserved_reason(name) {
        return Err(crate::error::CliError::usage(format!("invalid variable name `{name}` for `--var`: {reason}"))
            .with_hint("choose a name of your own, such as `--var SD_USER_TOKEN`"));
    }
    Ok(())
}

/// Explains why the JWT must not go into `name`, if it must not. Names are compared
/// in upper case, because zsh ties `path` to `PATH` and Windows ignores case.
fn reserved_reason(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    if upper == "SD_API_URL" {
        return Some("`SD_API_URL` is exported next to the JWT and holds the API URL");
    }
    if upper == "SD_API_TOKEN" {
        return Some("sdtoken reads `SD_API_TOKEN` as an API token, and a JWT there fails to exchange");
    }
    if PROCESS_VARS.contains(&upper.as_str()) {
        return Some("the shell and the programs it starts depend on that variable");
    }
    if LOADER_PREFIXES.iter().any(|prefix| upper.starts_with(prefix)) {
        return Some("the dynamic loader acts on variables with that prefix");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_uses_shell_file_name() {
        assert_eq!(detect(Some("/usr/bin/zsh")), ShellKind::Zsh);
        assert_eq!(detect(Some("/bin/bash")), ShellKind::Bash);
        assert_eq!(detect(Some("/usr/local/bin/fish")), ShellKind::Fish);
        assert_eq!(detect(Some("/opt/microsoft/powershell/7/pwsh")), ShellKind::Powershell);
        assert_eq!(detect(Some("/bin/dash")), ShellKind::Sh);
        assert_eq!(detect(Some("")), ShellKind::Sh);
        assert_eq!(detect(None), ShellKind::Sh);
    }

    #[test]
    fn posix_quote_escapes_single_quote() {
        assert_eq!(posix_quote("it's $(x)"), "'it'\\''s $(x)'");
        assert_eq!(posix_quote(""), "''");
    }

    #[test]
    fn fish_quote_escapes_backslash_and_quote() {
        assert_eq!(fish_quote(r"a\'b"), r"'a\\\'b'");
        assert_eq!(fish_quote("$(x) (y)"), "'$(x) (y)'");
    }

    #[test]
    fn powershell_quote_doubles_all_single_quotes() {
        assert_eq!(powershell_quote("it's"), "'it''s'");
        assert_eq!(
            powershell_quote("a\u{2018}b\u{2019}c\u{201A}d\u{201B}e"),
            "'a\u{2018}\u{2018}b\u{2019}\u{2019}c\u{201A}\u{201A}d\u{201B}\u{201B}e'"
        );
        assert_eq!(powershell_quote("$env:HOME `n $(Get-Date) \"x\""), "'$env:HOME `n $(Get-Date) \"x\"'");
        assert_eq!(powershell_quote("line1\nline2"), "'line1\nline2'");
        assert_eq!(powershell_quote(""), "''");
    }

    #[test]
    fn powershell_render_assigns_env_drive() {
        let text = render(ShellKind::Powershell, &[("SD_API_URL", "https://h/v4/"), ("SD_TOKEN", "a'b")]);
        assert_eq!(text, "$env:SD_API_URL = 'https://h/v4/'\n$env:SD_TOKEN = 'a''b'\n");
    }

    #[test]
    fn dotenv_quote_uses_documented_escapes() {
        assert_eq!(dotenv_quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(dotenv_quote(""), "\"\"");
    }

    #[test]
    fn json_render_is_one_object() {
        let text = render(ShellKind::Json, &[("SD_API_URL", "https://h/v4/"), ("SD_TOKEN", "a\"b")]);
        assert_eq!(text.lines().count(), 1, "{text}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["SD_API_URL"], "https://h/v4/");
        assert_eq!(value["SD_TOKEN"], "a\"b");
    }

    #[test]
    fn var_names_are_checked() {
        assert!(validate_var_name("SD_USER_TOKEN").is_ok());
        assert!(validate_var_name("_x1").is_ok());
        for bad in ["", "1A", "A-B", "A B", "$A", "A=B", "É"] {
            assert!(validate_var_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn var_names_that_clobber_are_rejected() {
        let sdtoken_vars = ["SD_API_URL", "SD_API_TOKEN"];
        let process_vars = ["PATH", "path", "HOME", "SHELL", "IFS", "PWD", "USER", "BASH_ENV", "ENV", "PS1", "PS4"];
        let loader_vars = ["LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES"];
        for reserved in sdtoken_vars.into_iter().chain(process_vars).chain(loader_vars) {
            let err = validate_var_name(reserved).expect_err(reserved);
            assert!(err.message.contains(&format!("`{reserved}`")), "{}", err.message);
            assert!(err.hint.as_deref().is_some_and(|h| h.contains("--var SD_USER_TOKEN")), "{reserved}");
        }
        for allowed in ["SD_TOKEN", "SD_USER_TOKEN", "PATH_TOKEN", "MY_HOME", "PS5", "ENVIRONMENT", "LDX"] {
            assert!(validate_var_name(allowed).is_ok(), "{allowed}");
        }
    }
}

/// Round trips through real shells: the output of `render` is evaluated as
/// `out=$(sdtoken env) && eval "$out"` (or `| source` in fish) would, and every
/// exported value must come back byte for byte, with nothing executed.
#[cfg(all(test, unix))]
mod round_trip_tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;
    use std::process::Command;

    /// Values that break naive quoting in at least one shell. Each one that would
    /// run a command, if evaluated, creates a file named `pwned-*` in `dir`.
    fn hostile_values(dir: &Path) -> Vec<String> {
        let d = dir.display();
        let mut values: Vec<String> = [
            "it's",
            "'",
            "''",
            "\"double\" quotes",
            "\"",
            "a \\\"b\\\" c",
            "ends with a backslash\\",
            "\\",
            "\\\\",
            "\\n is not a newline",
            "\\'",
            "two  spaces",
            " leading and trailing ",
            "tab\there",
            "line1\nline2",
            "trailing newline\n",
            "\n",
            "crlf\r\n",
            "héllo wörld 日本語 🚀",
            "\u{2018}curly\u{2019} \u{201C}quotes\u{201D} \u{201A}\u{201B}",
            "!",
            "!!",
            "!$",
            "hist!ory",
            "100%",
            "%s %n %%",
            "-n",
            "-e",
            "--",
            "-gx",
            "--help",
            "-",
            "$HOME ${PATH} $1 $@ $$ $?",
            "*",
            "?",
            "[a-z]*",
            "~",
            "~root",
            "{a,b}",
            "#comment",
            ";",
            "&&",
            "|",
            "=ls",
            "$env:HOME `n",
            "\u{1}\u{1b}[31mred\u{1b}[0m\u{7f}",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        values.extend([
            format!("$(touch {d}/pwned-dollar)"),
            format!("`touch {d}/pwned-backtick`"),
            format!("(touch {d}/pwned-fish)"),
            format!("'; touch {d}/pwned-single; '"),
            format!("'\\''; touch {d}/pwned-escaped; '"),
            format!("\"; touch {d}/pwned-double; \""),
            format!("\\'; touch {d}/pwned-backslash; \\'"),
            format!("\\\\'; touch {d}/pwned-backslashes; '"),
            format!("\n touch {d}/pwned-newline\n"),
            format!("'\ntouch {d}/pwned-quote-newline\n'"),
            format!(">{d}/pwned-redirect"),
            format!("$(touch${{IFS}}{d}/pwned-ifs)"),
        ]);
        values
    }

    /// Evaluates `script` (the output of `render`) in `shell` and returns the
    /// shell's output: on success, the environment of a command started afterwards.
    fn eval_in_shell(shell: &[&str], script: &str, dir: &Path, lang: &str) -> std::process::Output {
        let file = dir.join("assignments");
        std::fs::write(&file, script).unwrap();
        let mut command = Command::new(shell[0]);
        command.args(&shell[1..]).arg(&file).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
        command.env("HOME", dir).env("LANG", lang).current_dir(dir);
        command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}; install it (scripts/install-deps.sh)", shell[0]))
    }

    /// Parses the NUL-separated output of `env -0`.
    fn parse_env(output: &[u8]) -> HashMap<String, String> {
        let text = std::str::from_utf8(output).expect("the environment is UTF-8");
        text.split('\0')
            .filter(|entry| !entry.is_empty())
            .filter_map(|entry| entry.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Files that a hostile value created by being run as a command.
    fn executed_payloads(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("pwned"))
            .collect()
    }

    fn check_round_trip(kind: ShellKind, shell: &[&str]) {
        for lang in ["C.UTF-8", "C"] {
            let dir = tempfile::tempdir().unwrap();
            let values = hostile_values(dir.path());
            let names: Vec<String> = (0..values.len()).map(|i| format!("SDTOKEN_TEST_{i}")).collect();
            let vars: Vec<(&str, &str)> =
                names.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();

            let output = eval_in_shell(shell, &render(kind, &vars), dir.path(), lang);

            let executed = executed_payloads(dir.path());
            assert!(executed.is_empty(), "{shell:?} with LANG={lang} ran commands from values: {executed:?}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{shell:?} with LANG={lang} failed: {stderr}");
            assert!(stderr.is_empty(), "{shell:?} with LANG={lang} wrote to stderr: {stderr}");
            let env = parse_env(&output.stdout);
            for (name, value) in &vars {
                assert_eq!(env.get(*name).map(String::as_str), Some(*value), "{shell:?} with LANG={lang}: {name}");
            }
        }
    }

    const POSIX_EVAL: &str = "out=$(cat \"$1\") && eval \"$out\" && exec env -0";

    #[test]
    fn sh_round_trips_hostile_values() {
        check_round_trip(ShellKind::Sh, &["sh", "-c", POSIX_EVAL, "sh"]);
    }

    #[test]
    fn bash_round_trips_hostile_values() {
        check_round_trip(ShellKind::Bash, &["bash", "--norc", "--noprofile", "-c", POSIX_EVAL, "bash"]);
    }

    #[test]
    fn bash_posix_mode_round_trips_sh_output() {
        check_round_trip(ShellKind::Sh, &["bash", "--posix", "-c", POSIX_EVAL, "bash"]);
    }

    #[test]
    fn zsh_round_trips_hostile_values() {
        check_round_trip(ShellKind::Zsh, &["zsh", "-f", "-c", POSIX_EVAL, "zsh"]);
    }

    #[test]
    fn fish_round_trips_hostile_values() {
        check_round_trip(ShellKind::Fish, &["fish", "--no-config", "-c", "cat $argv[1] | source; and exec env -0"]);
    }

    /// Reads a PowerShell single-quoted string as PowerShell's tokenizer does: a
    /// quote (`'` or U+2018 to U+201B) ends it unless another quote follows, and
    /// the pair stands for one. Returns the value and what follows the string.
    fn powershell_unquote(text: &str) -> (String, &str) {
        let is_quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
        let mut chars = text.char_indices().peekable();
        assert!(chars.next().is_some_and(|(_, c)| is_quote(c)), "not a single-quoted string: {text}");
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            if !is_quote(c) {
                value.push(c);
                continue;
            }
            match chars.peek() {
                Some(&(_, next)) if is_quote(next) => {
                    value.push(next);
                    chars.next();
                }
                _ => return (value, &text[i + c.len_utf8()..]),
            }
        }
        panic!("unterminated string: {text}");
    }

    /// Reads a dotenv value with the documented escapes `\"`, `\\` and `\n`.
    fn dotenv_unquote(text: &str) -> (String, &str) {
        let inner = text.strip_prefix('"').expect("a double-quoted value");
        let mut value = String::new();
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return (value, &inner[i + 1..]),
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => value.push('\n'),
                    Some(e @ ('"' | '\\')) => value.push(e),
                    other => panic!("undocumented escape \\{other:?} in {text}"),
                },
                c => value.push(c),
            }
        }
        panic!("unterminated value: {text}");
    }

    #[test]
    fn powershell_quoting_round_trips_hostile_values() {
        let dir = tempfile::tempdir().unwrap();
        for value in hostile_values(dir.path()) {
            let line = render(ShellKind::Powershell, &[("SD_TOKEN", &value)]);
            let quoted = line.strip_prefix("$env:SD_TOKEN = ").expect("an $env: assignment");
            let (decoded, rest) = powershell_unquote(quoted);
            assert_eq!(decoded, value);
            assert_eq!(rest, "\n", "text after the string in {line:?}");
        }
    }

    #[test]
    fn dotenv_quoting_round_trips_hostile_values() {
        let dir = tempfile::tempdir().unwrap();
        for value in hostile_values(dir.path()) {
            let line = render(ShellKind::Dotenv, &[("SD_TOKEN", &value)]);
            let quoted = line.strip_prefix("SD_TOKEN=").expect("a KEY=value line");
            let (decoded, rest) = dotenv_unquote(quoted);
            assert_eq!(decoded, value);
            assert_eq!(rest, "\n", "text after the value in {line:?}");
        }
    }

    #[test]
    fn json_round_trips_hostile_values() {
        let dir = tempfile::tempdir().unwrap();
        for value in hostile_values(dir.path()) {
            let text = render(ShellKind::Json, &[("SD_TOKEN", &value)]);
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed["SD_TOKEN"].as_str(), Some(value.as_str()));
        }
    }

    /// Reads one POSIX shell word made of single-quoted parts and backslash
    /// escapes, as `sh` reads the output of `posix_quote`. Returns the value and
    /// what follows the word.
    fn posix_unquote(text: &str) -> (String, &str) {
        let mut value = String::new();
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\'' => loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, inner)) => value.push(inner),
                        None => panic!("unterminated single quote: {text}"),
                    }
                },
                '\\' => value.push(chars.next().expect("a character after the backslash").1),
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => return (value, &text[i..]),
                '"' | '$' | '`' | '*' | '?' | '[' | '#' | '~' => panic!("unquoted `{c}` in {text}"),
                c => value.push(c),
            }
        }
        (value, "")
    }

    /// Reads a fish single-quoted string: only `\\` and `\'` are escapes inside.
    fn fish_unquote(text: &str) -> (String, &str) {
        let inner = text.strip_prefix('\'').expect("a single-quoted string");
        let mut value = String::new();
        let mut chars = inner.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\'' => return (value, &inner[i + 1..]),
                '\\' if matches!(chars.peek(), Some((_, '\\' | '\''))) => value.push(chars.next().unwrap().1),
                c => value.push(c),
            }
        }
        panic!("unterminated string: {text}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Strings rich in the characters that quoting must handle, or any text.
        /// NUL is left out because no environment variable or argument can hold it.
        fn value() -> impl Strategy<Value = String> {
            let special = "[ a-z'\"\\\\$`!\n\r\t*?~#;&|(){}<>%=\u{2018}\u{2019}\u{201a}\u{201b}é日🚀-]{0,24}";
            prop_oneof![special, any::<String>()].prop_map(|s| s.replace('\0', ""))
        }

        proptest! {
            #[test]
            fn posix_quote_round_trips(value in value()) {
                for kind in [ShellKind::Sh, ShellKind::Bash, ShellKind::Zsh] {
                    let line = render(kind, &[("SD_TOKEN", &value)]);
                    let word = line.strip_prefix("export SD_TOKEN=").expect("an export line");
                    let (decoded, rest) = posix_unquote(word);
                    prop_assert_eq!(&decoded, &value);
                    prop_assert_eq!(rest, "\n");
                }
            }

            #[test]
            fn fish_quote_round_trips(value in value()) {
                let line = render(ShellKind::Fish, &[("SD_TOKEN", &value)]);
                let (decoded, rest) = fish_unquote(line.strip_prefix("set -gx SD_TOKEN ").expect("a set line"));
                prop_assert_eq!(&decoded, &value);
                prop_assert_eq!(rest, "\n");
            }

            #[test]
            fn powershell_quote_round_trips(value in value()) {
                let line = render(ShellKind::Powershell, &[("SD_TOKEN", &value)]);
                let (decoded, rest) = powershell_unquote(line.strip_prefix("$env:SD_TOKEN = ").expect("an assignment"));
                prop_assert_eq!(&decoded, &value);
                prop_assert_eq!(rest, "\n");
            }

            #[test]
            fn dotenv_quote_round_trips(value in value()) {
                let line = render(ShellKind::Dotenv, &[("SD_TOKEN", &value)]);
                let (decoded, rest) = dotenv_unquote(line.strip_prefix("SD_TOKEN=").expect("a KEY=value line"));
                prop_assert_eq!(&decoded, &value);
                prop_assert_eq!(rest, "\n");
            }
        }

        proptest! {
            // Each case starts two shells, so the case count stays modest.
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn real_shells_print_value_back(value in value()) {
                let script = render(ShellKind::Sh, &[("SD_TOKEN", &value)]);
                for shell in ["sh", "bash"] {
                    let output = Command::new(shell)
                        .args(["-c", "eval \"$1\" && printf %s \"$SD_TOKEN\"", shell, &script])
                        .env_clear()
                        .env("PATH", std::env::var("PATH").unwrap_or_default())
                        .env("LANG", "C.UTF-8")
                        .output()
                        .unwrap_or_else(|e| panic!("cannot run {shell}: {e}"));
                    prop_assert!(output.status.success(), "{shell}: {}", String::from_utf8_lossy(&output.stderr));
                    prop_assert_eq!(String::from_utf8_lossy(&output.stdout), value.as_str(), "{}", shell);
                }
            }
        }
    }
}
