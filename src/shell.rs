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

/// Checks a variable name for `--var`: a letter or `_`, then letters, digits or `_`.
pub fn validate_var_name(name: &str) -> Result<(), crate::error::CliError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(crate::error::CliError::usage(format!(
            "invalid variable name `{name}`: use letters, digits and `_`, not starting with a digit"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_uses_shell_file_name() {
        assert_eq!(detect(Some("/usr/bin/zsh")), ShellKind::Zsh);
        assert_eq!(detect(Some("/usr/local/bin/fish")), ShellKind::Fish);
        assert_eq!(detect(Some("/opt/microsoft/powershell/7/pwsh")), ShellKind::Powershell);
        assert_eq!(detect(Some("/bin/dash")), ShellKind::Sh);
        assert_eq!(detect(None), ShellKind::Sh);
    }

    #[test]
    fn posix_quote_escapes_single_quote() {
        assert_eq!(posix_quote("it's $(x)"), "'it'\\''s $(x)'");
    }

    #[test]
    fn fish_quote_escapes_backslash_and_quote() {
        assert_eq!(fish_quote(r"a\'b"), r"'a\\\'b'");
    }

    #[test]
    fn powershell_quote_doubles_all_single_quotes() {
        assert_eq!(powershell_quote("it's"), "'it''s'");
        assert_eq!(powershell_quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(powershell_quote("$env:HOME `n"), "'$env:HOME `n'");
        assert_eq!(powershell_quote("line1\nline2"), "'line1\nline2'");
    }

    #[test]
    fn dotenv_quote_uses_documented_escapes() {
        assert_eq!(dotenv_quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }

    #[test]
    fn json_render_is_one_object() {
        let text = render(ShellKind::Json, &[("SD_TOKEN", "a\"b")]);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["SD_TOKEN"], "a\"b");
    }

    #[test]
    fn var_names_are_checked() {
        assert!(validate_var_name("SD_USER_TOKEN").is_ok());
        for bad in ["", "1A", "A-B", "A B", "$A"] {
            assert!(validate_var_name(bad).is_err(), "{bad}");
        }
    }
}
