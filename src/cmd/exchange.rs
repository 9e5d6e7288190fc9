//! `sdtoken exchange`: print a JWT for the current credential, as exactly one
//! line on stdout (or one JSON document with `--json`).

use serde_json::json;

use crate::cli::ExchangeArgs;
use crate::settings::Settings;

pub fn run(args: ExchangeArgs, settings: &Settings) -> anyhow::Result<i32> {
    let (session, _stores, _shadowed) = super::session(settings)?;
    let (jwt, cached) = session.jwt_with(!args.no_cache)?;
    tracing::info!(
        "{} JWT, valid until {}",
        if cached { "cached" } else { "new" },
        crate::jwt::rfc3339(jwt.claims.exp)
    );
    if settings.json {
        crate::output::json(&json!({
            "token": jwt.token.expose(),
            "cached": cached,
            "scope": jwt.claims.scope().as_str(),
            "expires_at": crate::jwt::rfc3339(jwt.claims.exp),
            "expires_at_epoch": jwt.claims.exp,
            "expires_in": jwt.claims.seconds_left(),
        }));
    } else {
        crate::output::stdout_line(jwt.token.expose());
    }
    Ok(0)
}
