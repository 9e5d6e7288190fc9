//! `sdtoken completions SHELL`: print a completion script on stdout.
//!
//! The scripts and man pages committed under `completions/` are generated
//! from the same clap definition; this module's tests fail when they no
//! longer match, and rewrite them when `SDTOKEN_UPDATE_COMPLETIONS=1` is set.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> anyhow::Result<i32> {
    crate::output::stdout(&script(args.shell));
    Ok(0)
}

/// Renders the completion script for `shell`.
fn script(shell: Shell) -> String {
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sdtoken", &mut text);
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use clap_complete::Generator;

    use super::*;
    use crate::cmd::help::{ENVIRONMENT, EXIT_CODES};

    const SHELLS: [Shell; 5] = [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell, Shell::Elvish];

    fn completions_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("completions")
    }

    /// The man pages: `sdtoken.1`, with ENVIRONMENT and EXIT STATUS sections,
    /// and one `sdtoken-COMMAND.1` per subcommand (`sdtoken-context-use.1` for nested ones).
    fn man_pages() -> BTreeMap<String, String> {
        let mut command = Cli::command();
        command.build();
        let mut pages = BTreeMap::new();
        add_man_pages(&command, &mut pages);
        let root = pages.get_mut("sdtoken.1").expect("the root page is rendered");
        *root = add_reference_sections(root);
        pages
    }

    fn add_man_pages(command: &clap::Command, pages: &mut BTreeMap<String, String>) {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            add_man_pages(sub, pages);
        }
        let man = clap_mangen::Man::new(command.clone())
            .source(format!("sdtoken {}", env!("CARGO_PKG_VERSION")))
            .manual("sdtoken manual");
        let mut text = Vec::new();
        man.render(&mut text).expect("rendering to memory does not fail");
        let text = String::from_utf8(text).expect("man pages are UTF-8");
        pages.insert(man.get_filename(), examples_section(&text));
    }

    /// Renames clap_mangen's EXTRA section (the `after_long_help` examples) to
    /// EXAMPLES and keeps its line breaks with a no-fill block.
    fn examples_section(page: &str) -> String {
        let Some(start) = page.find(".SH EXTRA\n") else { return page.to_string() };
        let body_start = start + ".SH EXTRA\n".len();
        let body_end = page[body_start..].find(".SH ").map_or(page.len(), |at| body_start + at);
        let body = page[body_start..body_end].strip_prefix("Examples:\n").unwrap_or(&page[body_start..body_end]);
        format!("{}.SH EXAMPLES\n.nf\n{body}.fi\n{}", &page[..start], &page[body_end..])
    }

    /// Inserts the `help environment` and `help exit-codes` pages before the VERSION section.
    fn add_reference_sections(page: &str) -> String {
        let sections =
            format!(".SH ENVIRONMENT\n{}.SH \"EXIT STATUS\"\n{}", preformatted(ENVIRONMENT), preformatted(EXIT_CODES));
        match page.find(".SH VERSION") {
            Some(at) => format!("{}{sections}{}", &page[..at], &page[at..]),
            None => format!("{page}{sections}"),
        }
    }

    /// A reference page as a roff no-fill block, without its title line.
    fn preformatted(text: &str) -> String {
        let body = text.lines().skip_while(|l| !l.is_empty()).skip(1);
        let mut roff = String::from(".nf\n");
        for line in body {
            let line = line.replace('\\', "\\\\").replace('-', "\\-");
            let escaped = if line.starts_with(['.', '\'']) { format!("\\&{line}") } else { line };
            roff.push_str(&escaped);
            roff.push('\n');
        }
        roff.push_str(".fi\n");
        roff
    }

    /// Every generated file under `completions/`, by path relative to it.
    fn expected_files() -> BTreeMap<String, String> {
        let mut files: BTreeMap<String, String> =
            SHELLS.iter().map(|&shell| (shell.file_name("sdtoken"), script(shell))).collect();
        for (name, page) in man_pages() {
            files.insert(format!("man/{name}"), page);
        }
        files
    }

    /// The files under `completions/` now, by path relative to it.
    fn committed_files() -> BTreeMap<String, String> {
        let dir = completions_dir();
        let mut files = BTreeMap::new();
        for sub in [dir.clone(), dir.join("man")] {
            let Ok(entries) = std::fs::read_dir(&sub) else { continue };
            for entry in entries.flatten().filter(|e| e.path().is_file()) {
                let relative = entry.path().strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
                files.insert(relative, std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        files
    }

    fn rewrite(expected: &BTreeMap<String, String>) {
        let dir = completions_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("man")).unwrap();
        for (relative, text) in expected {
            std::fs::write(dir.join(relative), text).unwrap();
        }
    }

    #[test]
    fn committed_completions_match_binary() {
        let expected = expected_files();
        if std::env::var_os("SDTOKEN_UPDATE_COMPLETIONS").is_some_and(|v| v == "1") {
            rewrite(&expected);
        }
        let committed = committed_files();
        let stale: Vec<&String> = expected
            .keys()
            .chain(committed.keys())
            .filter(|name| expected.get(*name) != committed.get(*name))
            .collect();
        assert!(
            stale.is_empty(),
            "completions/ is out of date ({stale:?}); regenerate with \
             `SDTOKEN_UPDATE_COMPLETIONS=1 cargo test committed_completions_match_binary`"
        );
    }

    #[test]
    fn completion_scripts_name_every_command() {
        for shell in SHELLS {
            let text = script(shell);
            for command in ["login", "status", "exchange", "refresh", "delete", "context", "completions"] {
                assert!(text.contains(command), "{shell}: no `{command}`");
            }
        }
    }

    #[test]
    fn root_man_page_has_reference_sections() {
        let pages = man_pages();
        let root = &pages["sdtoken.1"];
        assert!(root.contains(".SH ENVIRONMENT\n.nf\nCredentials"), "{root}");
        assert!(root.contains(".SH \"EXIT STATUS\"\n.nf\n"), "{root}");
        assert!(root.contains("SD_API_TOKEN"), "{root}");
        assert!(pages.contains_key("sdtoken-context-use.1"), "{:?}", pages.keys());
        assert!(pages["sdtoken-refresh.1"].contains(".SH EXAMPLES\n.nf\n  $ sdtoken refresh ci\\-bot\n"));
    }
}
