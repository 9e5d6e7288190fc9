//! `config.toml`: the contexts (one Screwdriver instance each), which one is
//! current, and which store holds each context's API token. It holds no secret.
//!
//! The file lives in `$SDTOKEN_CONFIG_DIR`, else `$XDG_CONFIG_HOME/sdtoken`.
//! Changes are read-modify-write under an exclusive lock and replace the file
//! atomically, so two logins at the same moment both land. A malformed file
//! is an error and is never overwritten; unknown keys draw a warning and are kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::error::{CliError, ExitCode};
use crate::store::StoreKind;

pub const DEFAULT_CONTEXT: &str = "default";
const FILE_NAME: &str = "config.toml";
/// The longest wait for another process's update of the config.
const LOCK_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The whole configuration file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, ContextConfig>,
    #[serde(flatten)]
    pub unknown: toml::Table,
}

/// One context: a Screwdriver API and the store of its token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ContextConfig {
    pub api_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreKind>,
    /// The PEM file of extra CA certificates for this API, as given to `login --ca-cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    #[serde(flatten)]
    pub unknown: toml::Table,
}

impl Config {
    /// Records `name`'s API URL and token store, adding the context if it is new.
    /// A given `ca_cert` replaces the recorded one, and `None` keeps it.
    pub fn record_context(&mut self, name: &str, api_url: &str, store: StoreKind, ca_cert: Option<&Path>) {
        let entry = self.contexts.entry(name.to_string()).or_insert_with(|| ContextConfig {
            api_url: String::new(),
            store: None,
            ca_cert: None,
            unknown: Default::default(),
        });
        entry.api_url = api_url.to_string();
        entry.store = Some(store);
        if let Some(ca_cert) = ca_cert {
            // A relative path would change meaning with the working directory.
            entry.ca_cert = Some(std::path::absolute(ca_cert).unwrap_or_else(|_| ca_cert.to_path_buf()));
        }
    }
}

/// Where the config file is.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
}

impl ConfigFile {
    /// The config file under `$SDTOKEN_CONFIG_DIR` or the XDG config directory.
    pub fn locate() -> anyhow::Result<ConfigFile> {
        let dir = match std::env::var_os("SDTOKEN_CONFIG_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => dirs::config_dir()
                .context("no config directory: set HOME, XDG_CONFIG_HOME or SDTOKEN_CONFIG_DIR")?
                .join("sdtoken"),
        };
        Ok(ConfigFile { path: dir.join(FILE_NAME) })
    }

    /// Reads the config; a missing file is an empty config.
    pub fn load(&self) -> anyhow::Result<Config> {
        self.parse(&self.read()?)
    }

    /// Reads the file's text; a missing file reads as empty.
    fn read(&self) -> anyhow::Result<String> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(self.malformed("it is not UTF-8 text").into()),
            Err(e) => Err(e).with_context(|| format!("failed to read `{}`", self.path.display())),
        }
    }

    /// Parses the file's text and warns about unknown keys.
    fn parse(&self, text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let place = e.span().map(|span| line_and_column(text, span.start)).unwrap_or_default();
            self.malformed(&format!("{place}{}", e.message().trim()))
        })?;
        warn_unknown_keys(&config, &self.path);
        Ok(config)
    }

    /// Builds the error for a config file that sdtoken cannot use; `detail` gives where and why.
    pub fn malformed(&self, detail: &str) -> CliError {
        CliError::new(ExitCode::Failure, format!("the config file `{}` is malformed: {detail}", self.path.display()))
            .with_hint("fix or move the file; sdtoken does not overwrite a malformed config")
    }

    /// Applies `change` to the current file contents under an exclusive lock and
    /// writes the result atomically.
    pub fn update<T>(&self, change: impl FnOnce(&mut Config) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let dir = self.path.parent().expect("the config file has a parent directory");
        crate::fsutil::create_private_dir(dir)?;
        let lock = crate::fsutil::open_private(&dir.join(format!("{FILE_NAME}.lock")))?;
        crate::fsutil::lock_within(&lock, LOCK_LIMIT)
            .with_context(|| format!("failed to lock `{}`", self.path.display()))?;
        let previous = self.read()?;
        let mut config = self.parse(&previous)?;
        let result = change(&mut config)?;
        let text = toml::to_string_pretty(&config).context("failed to serialize the config")?;
        let text = keep_layout(&previous, &text).unwrap_or(text);
        crate::fsutil::write_atomic(&self.path, text.as_bytes())?;
        Ok(result)
    }
}

/// Applies the new contents `updated` to the text of the file as it was, so that
/// comments, blank lines and key order the user wrote survive a rewrite. Returns
/// `None` when either text does not parse, and `updated` is then written as it is.
fn keep_layout(previous: &str, updated: &str) -> Option<String> {
    let mut document: toml_edit::DocumentMut = previous.parse().ok()?;
    let updated: toml_edit::DocumentMut = updated.parse().ok()?;
    merge_table(document.as_table_mut(), updated.as_table());
    Some(document.to_string())
}

/// Makes `old` hold the keys and values of `new`, keeping the decoration (comments,
/// spacing) of every key and value that stays.
fn merge_table(old: &mut toml_edit::Table, new: &toml_edit::Table) {
    use toml_edit::Item;
    let stale: Vec<String> = old.iter().map(|(key, _)| key.to_string()).filter(|key| !new.contains_key(key)).collect();
    for key in stale {
        old.remove(&key);
    }
    for (key, item) in new.iter() {
        match (old.get_mut(key), item) {
            (Some(Item::Table(old_table)), Item::Table(new_table)) => merge_table(old_table, new_table),
            (Some(Item::Value(old_value)), Item::Value(new_value)) => {
                if old_value.to_string().trim() != new_value.to_string().trim() {
                    let decor = old_value.decor().clone();
                    *old_value = new_value.clone();
                    *old_value.decor_mut() = decor;
                }
            }
            _ => {
                old.insert(key, item.clone());
            }
        }
    }
}

/// Warns about keys sdtoken does not know, once per process (`update` reads the file again).
fn warn_unknown_keys(config: &Config, path: &Path) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let mut keys: Vec<String> = config.unknown.keys().cloned().collect();
    for (name, context) in &config.contexts {
        keys.extend(context.unknown.keys().map(|k| format!("contexts.{name}.{k}")));
    }
    if !keys.is_empty() && !WARNED.swap(true, Ordering::Relaxed) {
        crate::output::warn(&format!("`{}` has unknown keys, kept as they are: {}", path.display(), keys.join(", ")));
    }
}

/// Formats the 1-based line and column of byte `offset` in `text` as "line 3, column 7: ".
fn line_and_column(text: &str, offset: usize) -> String {
    let end = (0..=offset.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    format!("line {line}, column {column}: ")
}

/// Checks a context name: 1 to 64 characters of letters, digits, `.`, `_` and `-`.
pub fn validate_context_name(name: &str) -> Result<(), CliError> {
    let valid_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if name.is_empty() || name.len() > 64 || !valid_chars {
        return Err(CliError::usage(format!(
            "invalid context name `{name}`: use 1 to 64 letters, digits, `.`, `_` or `-`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMENTED: &str = "# sdtoken contexts, edited by hand\ncurrent-context = \"a\" # the usual one\n\n\
        # production\n[contexts.a]\napi-url = \"https://a.example\"\nstore = \"file\"\n\n\
        # staging, going away\n[contexts.b]\napi-url = \"https://b.example\"\nstore = \"keyring\"\n";

    fn rewrite(change: impl FnOnce(&mut Config)) -> String {
        let mut config: Config = toml::from_str(COMMENTED).unwrap();
        change(&mut config);
        let updated = toml::to_string_pretty(&config).unwrap();
        let text = keep_layout(COMMENTED, &updated).unwrap();
        let reread: Config = toml::from_str(&text).unwrap();
        assert_eq!(toml::to_string_pretty(&reread).unwrap(), updated, "the rewrite changed the contents:\n{text}");
        text
    }

    #[test]
    fn keep_layout_keeps_comments_on_change() {
        let text = rewrite(|config| config.current_context = Some("b".to_string()));
        assert!(
            text.starts_with("# sdtoken contexts, edited by hand\ncurrent-context = \"b\" # the usual one\n"),
            "{text}"
        );
        assert!(text.contains("# production\n[contexts.a]"), "{text}");
        assert!(text.contains("# staging, going away\n[contexts.b]"), "{text}");
    }

    #[test]
    fn keep_layout_adds_and_removes_contexts() {
        let text = rewrite(|config| {
            config.contexts.remove("b");
            config.record_context("c", "https://c.example", StoreKind::Keyutils, None);
        });
        assert!(!text.contains("staging"), "{text}");
        assert!(!text.contains("b.example"), "{text}");
        assert!(text.contains("# production\n[contexts.a]"), "{text}");
        assert!(text.contains("[contexts.c]"), "{text}");
    }

    #[test]
    fn keep_layout_gives_up_on_unparsable_text() {
        assert_eq!(keep_layout("not = [toml", "a = 1\n"), None);
    }

    #[test]
    fn config_keeps_unknown_keys() {
        let text = "current-context = \"a\"\ncolor = true\n[contexts.a]\napi-url = \"https://x\"\nstore = \"file\"\nteam = \"ci\"\n";
        let config: Config = toml::from_str(text).unwrap();
        assert_eq!(config.contexts["a"].store, Some(StoreKind::File));
        let written = toml::to_string_pretty(&config).unwrap();
        assert!(written.contains("color = true"), "{written}");
        assert!(written.contains("team = \"ci\""), "{written}");
    }

    #[test]
    fn context_names_are_checked() {
        assert!(validate_context_name("prod-1.eu_west").is_ok());
        for bad in ["", "a b", "a/b", &"x".repeat(65)] {
            assert!(validate_context_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nname = \"é\" x\n";
        assert_eq!(line_and_column(text, 0), "line 1, column 1: ");
        assert_eq!(line_and_column(text, text.find('x').unwrap()), "line 2, column 12: ");
        // An offset inside a multibyte character counts from the character's start.
        assert_eq!(line_and_column(text, text.find('é').unwrap() + 1), "line 2, column 9: ");
        assert_eq!(line_and_column(text, 999), "line 3, column 1: ");
    }
}
