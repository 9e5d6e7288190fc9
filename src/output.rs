//! All terminal output goes through here: data on stdout, everything else
//! (warnings, notices, prompts' text, errors) on stderr.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences notices (`-q`); warnings and errors still print.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Writes data to stdout. A closed pipe (`sdtoken list | head -1`) ends the process with 0.
pub fn stdout(text: &str) {
    let mut out = io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if let Err(e) = result {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(io::stderr(), "sdtoken: error: failed to write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Writes one line of data (adds the newline).
pub fn stdout_line(text: &str) {
    stdout(&format!("{text}\n"));
}

/// Prints `value` as one pretty JSON document on stdout.
pub fn json<T: Serialize>(value: &T) {
    let text = serde_json::to_string_pretty(value).expect("JSON output is always serializable");
    stdout_line(&text);
}

pub fn stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// A warning on stderr: `sdtoken: warning: …`; silenced by `-q`, which prints only data and errors.
pub fn warn(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        stderr(&format!("sdtoken: warning: {text}\n"));
    }
}

/// A notice on stderr, such as "Created token 17"; silenced by `-q`.
pub fn notice(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        stderr(&format!("{text}\n"));
    }
}

pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// True when colour may be used on stdout: a terminal and `NO_COLOR` unset or empty.
pub fn color_enabled() -> bool {
    stdout_is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints rows as a table on a terminal (bold header unless `NO_COLOR`), or as
/// tab-separated lines without a header otherwise.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) {
    let rows: Vec<Vec<String>> = rows.iter().map(|row| row.iter().map(|cell| clean_cell(cell)).collect()).collect();
    if !stdout_is_terminal() {
        let text: String = rows.iter().map(|row| format!("{}\n", row.join("\t"))).collect();
        stdout(&text);
        return;
    }
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    let detected = table.width();
    table.set_width(table_width(detected, std::env::var("COLUMNS").ok().as_deref()));
    if color_enabled() {
        table.set_header(header.iter().map(|h| comfy_table::Cell::new(h).add_attribute(comfy_table::Attribute::Bold)));
    } else {
        table.force_no_tty();
        table.set_header(header.to_vec());
    }
    for row in rows {
        table.add_row(row);
    }
    stdout_line(&table.to_string());
}

/// Picks the width to fit a table in: the terminal's, else `COLUMNS`, else 80.
/// A pty whose size was never set reports 0 columns, and comfy-table would
/// then squeeze every column to one character.
fn table_width(detected: Option<u16>, columns: Option<&str>) -> u16 {
    const FALLBACK: u16 = 80;
    detected
        .filter(|width| *width > 0)
        .or_else(|| columns.and_then(|text| text.trim().parse::<u16>().ok()).filter(|width| *width > 0))
        .unwrap_or(FALLBACK)
}

/// Replaces control characters (tabs, newlines, terminal escapes from server
/// data such as a token description) with spaces, so a cell stays one cell.
fn clean_cell(cell: &str) -> String {
    cell.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_cell_removes_control_characters() {
        assert_eq!(clean_cell("a\tb\nc\u{1b}[31md"), "a b c [31md");
        assert_eq!(clean_cell("nightly jobs"), "nightly jobs");
    }

    #[test]
    fn table_width_falls_back_to_columns_then_80() {
        assert_eq!(table_width(Some(132), Some("100")), 132);
        assert_eq!(table_width(Some(0), Some("100")), 100);
        assert_eq!(table_width(None, Some(" 90 ")), 90);
        assert_eq!(table_width(Some(0), None), 80);
        assert_eq!(table_width(None, Some("0")), 80);
        assert_eq!(table_width(None, Some("wide")), 80);
    }
}
