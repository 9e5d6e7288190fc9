//! Exit codes, the user-facing error type and the one error renderer.
//!
//! Commands use `anyhow` inside. The typed errors at the edges (`ApiError`,
//! `StoreError`, `CliError`) carry the exit code and an optional hint, and
//! `report` finds them anywhere in an error chain.

use std::fmt;

use crate::api::ApiError;
use crate::store::StoreError;

/// The documented exit codes other than 0 (success).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Failure = 1,
    Usage = 2,
    StoreUnavailable = 3,
    NotAuthenticated = 4,
    Forbidden = 5,
    NotFound = 6,
    Conflict = 7,
    Network = 8,
    Server = 9,
    Interrupted = 130,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// An error with a known exit code and an optional next step for the user.
#[derive(Debug)]
pub struct CliError {
    pub code: ExitCode,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        CliError { code, message: message.into(), hint: None }
    }

    /// A usage error (exit 2): bad flags or input caught before any request.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, message)
    }

    pub fn not_authenticated(message: impl Into<String>) -> Self {
        Self::new(ExitCode::NotAuthenticated, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code and hint of the outermost typed error. `downcast_ref` also
/// finds errors attached as context, at any depth.
fn classify(err: &anyhow::Error) -> (ExitCode, Option<String>) {
    if let Some(e) = err.downcast_ref::<CliError>() {
        return (e.code, e.hint.clone());
    }
    if let Some(e) = err.downcast_ref::<ApiError>() {
        return (e.exit_code(), e.hint());
    }
    if let Some(e) = err.downcast_ref::<StoreError>() {
        return (ExitCode::StoreUnavailable, Some(e.hint()));
    }
    (ExitCode::Failure, None)
}

/// Prints `err` to stderr as `sdtoken: error: …`, one `caused by:` line per cause
/// and a `hint:`, and returns the exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    let (code, hint) = classify(err);
    let mut text = format!("sdtoken: error: {err}\n");
    for cause in err.chain().skip(1) {
        text.push_str(&format!("  caused by: {cause}\n"));
    }
    if let Some(hint) = hint {
        text.push_str(&format!("hint: {hint}\n"));
    }
    crate::output::stderr(&text);
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn classify_finds_typed_error_below_context() {
        let err: anyhow::Result<()> = Err(CliError::usage("bad name").with_hint("use a shorter name").into());
        let err = err.context("failed to create token").unwrap_err();
        let (code, hint) = classify(&err);
        assert_eq!(code, ExitCode::Usage);
        assert_eq!(hint.as_deref(), Some("use a shorter name"));
    }

    #[test]
    fn classify_defaults_to_failure() {
        let err = anyhow::anyhow!("something broke");
        assert_eq!(classify(&err).0, ExitCode::Failure);
    }
}
