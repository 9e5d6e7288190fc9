//! `sdtoken status`: the context, the credential that won and what it
//! shadowed, the identity, scope, ids and expiry of its JWT, and the store.
//!
//! No request while a cached JWT is valid; `--verify` checks the signature
//! with the server's public key. The `--json` document always has the same
//! keys (absent values are `null`) and is printed also when status exits 4.

use serde::Serialize;

use crate::api::{ApiUrl, tokens};
use crate::auth::{self, Credential, Session, Stores};
use crate::cli::StatusArgs;
use crate::error::{CliError, ExitCode};
use crate::jwt::{self, Jwt, Scope};
use crate::settings::Settings;
use crate::store::StoreKind;

/// Clock differences above this many seconds draw a warning.
const MAX_CLOCK_SKEW: i64 = 60;

/// The `status --json` document. Every field is always present.
#[derive(Debug, Serialize)]
struct Report {
    context: String,
    api_url: String,
    /// True when the credential yields a JWT that has not expired (and, with
    /// `--verify`, whose signature matches the server's key).
    valid: bool,
    /// `SD_API_TOKEN`, `SD_TOKEN` or `stored`.
    source: Option<&'static str>,
    /// The sources the winning one hid, in precedence order.
    shadowed: Vec<&'static str>,
    store: StoreReport,
    /// The store holding the JWT cache; null for `SD_TOKEN` or when no store is usable.
    jwt_cache: Option<String>,
    /// True when the JWT came from the cache, false when it was exchanged now; null for `SD_TOKEN`.
    cached: Option<bool>,
    username: Option<String>,
    scm_context: Option<String>,
    /// The most specific scope: admin, user, pipeline, build, temporal, guest or unknown.
    scope: Option<&'static str>,
    /// The JWT's `scope` claim as it is.
    scopes: Vec<String>,
    pipeline_id: Option<u64>,
    job_id: Option<u64>,
    event_id: Option<u64>,
    is_pr: Option<bool>,
    issued_at: Option<String>,
    issued_at_epoch: Option<i64>,
    expires_at: Option<String>,
    expires_at_epoch: Option<i64>,
    /// Seconds until `expires_at`; negative once expired.
    expires_in: Option<i64>,
    /// The `--verify` outcome; null without `--verify`.
    verified: Option<bool>,
    /// Seconds the server's clock is ahead of the local one; null when no request was made.
    clock_offset: Option<i64>,
    /// Why the credential is not valid.
    error: Option<String>,
}

/// The store of the context's API token.
#[derive(Debug, Serialize)]
struct StoreReport {
    kind: &'static str,
    durability: &'static str,
    /// Such as "Secret Service" or "file /home/a/.local/share/sdtoken/secrets.json"; null when it cannot be opened.
    name: Option<String>,
    /// False when the command does not consult the store: inside a build with
    /// `SD_TOKEN` as the credential and no `--context`.
    used: bool,
}

pub fn run(args: StatusArgs, settings: &Settings) -> anyhow::Result<i32> {
    let stores = Stores::new(settings)?;
    let mut report = Report::new(settings, &stores);

    let outcome = inspect(settings, &stores, args.verify, &mut report);
    warn_on_clock_skew(report.clock_offset);
    if let Err(err) = &outcome {
        report.valid = false;
        report.error = Some(format!("{err:#}"));
    }
    if settings.json {
        crate::output::json(&report);
    } else if outcome.is_ok() {
        crate::output::stdout(&render(&report));
    }
    match outcome {
        Ok(()) => Ok(0),
        // The document is out; the error still goes to stderr in the usual form.
        Err(err) if settings.json => Ok(crate::error::report(&err).code()),
        Err(err) => Err(err),
    }
}

impl Report {
    fn new(settings: &Settings, stores: &Stores) -> Report {
        let kind = stores.token_kind();
        Report {
            context: settings.context.clone(),
            api_url: settings.api_url.to_string(),
            valid: false,
            source: None,
            shadowed: Vec::new(),
            store: StoreReport { kind: kind.as_str(), durability: kind.durability(), name: None, used: true },
            jwt_cache: None,
            cached: None,
            username: None,
            scm_context: None,
            scope: None,
            scopes: Vec::new(),
            pipeline_id: None,
            job_id: None,
            event_id: None,
            is_pr: None,
            issued_at: None,
            issued_at_epoch: None,
            expires_at: None,
            expires_at_epoch: None,
            expires_in: None,
            verified: None,
            clock_offset: None,
            error: None,
        }
    }

    /// Copies the claims of `jwt` into the report.
    fn describe_jwt(&mut self, jwt: &Jwt) {
        let claims = &jwt.claims;
        self.username = claims.username();
        self.scm_context = claims.scm_context.clone();
        self.scope = Some(claims.scope().as_str());
        self.scopes = claims.scope.clone();
        self.pipeline_id = claims.pipeline_id;
        self.job_id = claims.job_id;
        self.event_id = claims.event_id;
        self.is_pr = claims.is_pr;
        self.issued_at = claims.iat.map(jwt::rfc3339);
        self.issued_at_epoch = claims.iat;
        self.expires_at = Some(jwt::rfc3339(claims.exp));
        self.expires_at_epoch = Some(claims.exp);
        self.expires_in = Some(claims.seconds_left());
    }
}

/// Fills `report` with the credential's details; fails when it is missing or invalid.
fn inspect(settings: &Settings, stores: &Stores, verify: bool, report: &mut Report) -> anyhow::Result<()> {
    settings.check_context()?;
    // Inside a build the build token wins and no token store is opened, unless
    // `--context` names a context whose stored token it then shadows.
    report.store.used = !settings.in_build || settings.env.api_token.is_some() || settings.context_explicit;
    if !settings.in_build
        && let Ok(store) = stores.token_store()
    {
        report.store.name = Some(store.describe());
    }
    let resolved = auth::resolve(settings, stores, true).inspect_err(|_| {
        // A malformed environment credential still names its variable.
        report.source = auth::env_source(settings).map(|s| s.id());
    })?;
    report.source = Some(resolved.credential.source().id());
    report.shadowed = resolved.shadowed.iter().map(auth::Source::id).collect();
    // An `SD_TOKEN` JWT is described before it is checked, so an expired one still shows its claims.
    if let Credential::Jwt { jwt, .. } = &resolved.credential {
        report.describe_jwt(jwt);
    }

    let session = super::session_for(settings, stores, resolved.credential)?;
    if let Some(cache) = &session.cache {
        report.jwt_cache = cache.describe();
    }
    let outcome = check_session(&session, verify, report);
    report.clock_offset = session.client.clock_offset();
    outcome
}

/// Gets the session's JWT (from the cache when valid) and, with `verify`, checks its signature.
fn check_session(session: &Session, verify: bool, report: &mut Report) -> anyhow::Result<()> {
    let (jwt, cached) = session.jwt_with(true)?;
    if matches!(session.credential, Credential::ApiToken { .. }) {
        report.cached = Some(cached);
    }
    report.describe_jwt(&jwt);
    if verify {
        let key = tokens::public_key(&session.client)?;
        let checked = verify_signature(&jwt, &key, session.client.base());
        report.verified = Some(checked.is_ok());
        checked?;
    }
    report.valid = true;
    Ok(())
}

/// Checks the JWT's RS256 signature and `exp` with the server's PEM public key.
fn verify_signature(jwt: &Jwt, key: &str, server: &ApiUrl) -> anyhow::Result<()> {
    jwt::verify(jwt, key).map_err(|reason| {
        CliError::new(ExitCode::NotAuthenticated, format!("the JWT failed verification: {reason}"))
            .with_hint(format!("the credential was not issued by {server}, or it was altered"))
            .into()
    })
}

fn warn_on_clock_skew(offset: Option<i64>) {
    let Some(offset) = offset.filter(|o| o.abs() > MAX_CLOCK_SKEW) else { return };
    let direction = if offset > 0 { "behind" } else { "ahead of" };
    crate::output::warn(&format!(
        "the local clock is {} s {direction} the server's (from its `Date` header); expiry times may be off",
        offset.abs()
    ));
}

/// The text form: one `Label: value` line per known field.
fn render(report: &Report) -> String {
    let mut lines: Vec<(&str, String)> = vec![
        ("Context", report.context.clone()),
        ("API URL", report.api_url.clone()),
        ("Credential", describe_source(report.source, &report.context)),
    ];
    if !report.shadowed.is_empty() {
        let shadowed: Vec<String> = report.shadowed.iter().map(|s| describe_source(Some(s), &report.context)).collect();
        lines.push(("Shadows", shadowed.join(", ")));
    }
    lines.push(("Token store", describe_store(&report.store, report.source)));
    if let Some(cache) = &report.jwt_cache {
        let state = if report.cached == Some(true) { "JWT read from the cache" } else { "JWT exchanged now" };
        lines.push(("JWT cache", format!("{cache}; {state}")));
    }
    lines.extend(identity_lines(report));
    if let (Some(at), Some(left)) = (&report.expires_at, report.expires_in) {
        lines.push(("Expires", format!("{at} (in {left} s)")));
    }
    if report.verified == Some(true) {
        lines.push(("Signature", "verified with the server's key".to_string()));
    }
    lines.into_iter().map(|(label, value)| format!("{:<13}{value}\n", format!("{label}:"))).collect()
}

/// Identity, scope and the pipeline, job and event ids that the JWT carries.
fn identity_lines(report: &Report) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(user) = &report.username {
        // A build token's `username` is the build id.
        let who = if report.scope == Some(Scope::Build.as_str()) { format!("build {user}") } else { user.clone() };
        let scm = report.scm_context.as_ref().map(|s| format!(" ({s})")).unwrap_or_default();
        lines.push(("Identity", format!("{who}{scm}")));
    }
    if let Some(scope) = report.scope {
        lines.push(("Scope", scope.to_string()));
    }
    for (label, id) in [("Pipeline", report.pipeline_id), ("Job", report.job_id), ("Event", report.event_id)] {
        if let Some(id) = id {
            lines.push((label, id.to_string()));
        }
    }
    lines
}

fn describe_source(source: Option<&str>, context: &str) -> String {
    match source {
        Some("stored") => format!("the API token stored for context `{context}`"),
        Some(name) => format!("`{name}`"),
        None => "none".to_string(),
    }
}

fn describe_store(store: &StoreReport, source: Option<&str>) -> String {
    if !store.used {
        let credential = describe_source(source, "");
        return format!("not used: inside a build, {credential} is the credential");
    }
    let durability = match store.kind.parse::<StoreKind>() {
        Ok(StoreKind::Keyring) => "persistent",
        Ok(StoreKind::Keyutils) => "volatile: gone at reboot",
        Ok(StoreKind::File) => "plaintext file, mode 0600",
        Err(_) => store.durability,
    };
    format!("{} ({durability})", store.name.as_deref().unwrap_or(store.kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            context: "work".into(),
            api_url: "https://sd.example.com".into(),
            valid: true,
            source: Some("SD_API_TOKEN"),
            shadowed: vec!["stored"],
            store: StoreReport {
                kind: "file",
                durability: "plaintext",
                name: Some("file /x/secrets.json".into()),
                used: true,
            },
            jwt_cache: Some("file /x/secrets.json".into()),
            cached: Some(true),
            username: Some("4711".into()),
            scm_context: Some("github:github.com".into()),
            scope: Some("build"),
            scopes: vec!["build".into()],
            pipeline_id: Some(1),
            job_id: Some(2),
            event_id: Some(3),
            is_pr: Some(false),
            issued_at: None,
            issued_at_epoch: None,
            expires_at: Some("2030-01-01T00:00:00Z".into()),
            expires_at_epoch: Some(1_893_456_000),
            expires_in: Some(60),
            verified: None,
            clock_offset: None,
            error: None,
        }
    }

    #[test]
    fn render_names_source_shadowed_and_ids() {
        let text = render(&report());
        assert!(text.contains("Credential:  `SD_API_TOKEN`\n"), "{text}");
        assert!(text.contains("Shadows:     the API token stored for context `work`\n"), "{text}");
        assert!(text.contains("Identity:    build 4711 (github:github.com)\n"), "{text}");
        assert!(text.contains("Pipeline:    1\nJob:         2\nEvent:       3\n"), "{text}");
        assert!(text.contains("Expires:     2030-01-01T00:00:00Z (in 60 s)\n"), "{text}");
        assert!(text.contains("Token store: file /x/secrets.json (plaintext file, mode 0600)\n"), "{text}");
    }

    #[test]
    fn json_has_every_key_when_empty() {
        let mut empty = report();
        empty.source = None;
        empty.username = None;
        empty.expires_in = None;
        let value = serde_json::to_value(&empty).unwrap();
        for key in ["source", "username", "expires_in", "verified", "clock_offset", "error"] {
            assert!(value.get(key).is_some(), "missing {key}");
        }
    }
}
