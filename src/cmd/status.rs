//! `sdtoken status`: the context, the credential that won and what it
//! shadowed, the identity, scope, ids and expiry of its JWT, and the store.
//! No request while a cached JWT is valid; `--verify` checks the signature.

use serde_json::{Value, json};

use crate::api::tokens;
use crate::auth::{self, Credential, Stores};
use crate::cli::StatusArgs;
use crate::error::{CliError, ExitCode};
use crate::jwt::{self, Jwt};
use crate::settings::Settings;

/// Clock differences above this many seconds draw a warning.
const MAX_CLOCK_SKEW: i64 = 60;

pub fn run(args: StatusArgs, settings: &Settings) -> anyhow::Result<i32> {
    let stores = Stores::new(settings)?;
    let mut report = base_report(settings, &stores);

    let outcome = inspect(settings, &stores, args.verify, &mut report);
    let code = match &outcome {
        Ok(()) => 0,
        Err(err) => {
            report["valid"] = json!(false);
            report["error"] = json!(format!("{err:#}"));
            crate::error::exit_code_of(err)
        }
    };
    if settings.json {
        crate::output::json(&report);
    } else if outcome.is_ok() {
        crate::output::stdout(&render(&report));
    }
    match outcome {
        Err(err) if !settings.json => Err(err),
        Err(err) => {
            crate::error::report(&err);
            Ok(code)
        }
        Ok(()) => Ok(0),
    }
}

fn base_report(settings: &Settings, stores: &Stores) -> Value {
    let kind = stores.token_kind();
    json!({
        "context": settings.context,
        "api_url": settings.api_url.as_str(),
        "store": { "kind": kind.as_str(), "durability": kind.durability() },
        "valid": false,
    })
}

/// Fills `report` with the credential's details; fails when it is missing or invalid.
fn inspect(settings: &Settings, stores: &Stores, verify: bool, report: &mut Value) -> anyhow::Result<()> {
    if let Ok(store) = stores.token_store() {
        report["store"]["name"] = json!(store.describe());
    }
    let resolved = auth::resolve(settings, stores, true)?;
    report["source"] = json!(resolved.credential.source().id());
    report["source_description"] = json!(resolved.credential.source().describe());
    report["shadowed"] = json!(resolved.shadowed.iter().map(|s| s.id()).collect::<Vec<_>>());

    let is_api_token = matches!(resolved.credential, Credential::ApiToken { .. });
    let session = super::session_for(settings, stores, resolved.credential)?;
    if let Some(cache) = &session.cache {
        report["jwt_cache"] = json!(cache.describe());
    }
    let (jwt, cached) = session.jwt_with(true)?;
    if is_api_token {
        report["cached"] = json!(cached);
    }
    describe_jwt(&jwt, report);
    report["valid"] = json!(true);

    if verify {
        let key = tokens::public_key(&session.client)?;
        match jwt::verify(&jwt, &key) {
            Ok(()) => report["verified"] = json!(true),
            Err(reason) => {
                report["verified"] = json!(false);
                return Err(CliError::new(ExitCode::NotAuthenticated, format!("the JWT failed verification: {reason}"))
                    .with_hint("the credential was not issued by this server, or was altered")
                    .into());
            }
        }
    }
    check_clock(&session.client, report);
    Ok(())
}

fn describe_jwt(jwt: &Jwt, report: &mut Value) {
    let claims = &jwt.claims;
    report["username"] = json!(claims.username());
    report["scm_context"] = json!(claims.scm_context);
    report["scope"] = json!(claims.scope().as_str());
    report["scopes"] = json!(claims.scope);
    report["pipeline_id"] = json!(claims.pipeline_id);
    report["job_id"] = json!(claims.job_id);
    report["event_id"] = json!(claims.event_id);
    report["is_pr"] = json!(claims.is_pr);
    report["issued_at"] = json!(claims.iat.map(jwt::rfc3339));
    report["expires_at"] = json!(jwt::rfc3339(claims.exp));
    report["expires_at_epoch"] = json!(claims.exp);
    report["expires_in"] = json!(claims.seconds_left());
}

fn check_clock(client: &crate::api::Client, report: &mut Value) {
    let Some(offset) = client.clock_offset() else { return };
    report["clock_offset"] = json!(offset);
    if offset.abs() > MAX_CLOCK_SKEW {
        crate::output::warn(&format!(
            "the local clock differs from the server's by {offset} s; expiry times may be off"
        ));
    }
}

/// The text form: one `Label: value` line per known field.
fn render(report: &Value) -> String {
    let text = |key: &str| report.get(key).and_then(Value::as_str).map(str::to_string);
    let number = |key: &str| report.get(key).and_then(Value::as_i64);
    let mut lines = vec![
        ("Context", text("context")),
        ("API URL", text("api_url")),
        ("Credential", text("source_description")),
    ];
    let shadowed: Vec<String> = report["shadowed"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(|s| if s == "stored" { "the stored API token".to_string() } else { format!("`{s}`") }).collect())
        .unwrap_or_default();
    if !shadowed.is_empty() {
        lines.push(("Shadows", Some(shadowed.join(", "))));
    }
    let store = &report["store"];
    lines.push((
        "Store",
        Some(format!(
            "{} ({})",
            store["name"].as_str().unwrap_or(store["kind"].as_str().unwrap_or("")),
            store["durability"].as_str().unwrap_or("")
        )),
    ));
    if let Some(cache) = text("jwt_cache") {
        let state = if report["cached"].as_bool() == Some(true) { "JWT read from the cache" } else { "JWT exchanged now" };
        lines.push(("JWT cache", Some(format!("{cache}; {state}"))));
    }
    let identity = match (text("username"), text("scm_context")) {
        (Some(user), Some(scm)) => Some(format!("{user} ({scm})")),
        (Some(user), None) => Some(user),
        _ => None,
    };
    lines.push(("Identity", identity));
    lines.push(("Scope", text("scope")));
    for (label, key) in [("Pipeline", "pipeline_id"), ("Job", "job_id"), ("Event", "event_id")] {
        lines.push((label, number(key).map(|n| n.to_string())));
    }
    lines.push(("Expires", text("expires_at").map(|at| format!("{at} (in {} s)", number("expires_in").unwrap_or(0)))));
    if let Some(verified) = report["verified"].as_bool() {
        lines.push(("Signature", Some(if verified { "verified with the server's key" } else { "invalid" }.to_string())));
    }
    lines
        .into_iter()
        .filter_map(|(label, value)| value.map(|v| format!("{:<12}{v}\n", format!("{label}:"))))
        .collect()
}
