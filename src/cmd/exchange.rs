//! `sdtoken exchange`: print a JWT for the current credential, as exactly one
//! line on stdout (or one JSON document with `--json`).

use serde_json::json;

use crate::cli::ExchangeArgs;
use crate::settings::Settings;

pub fn run(args: ExchangeArgs, settings: &Settings) -> anyhow::Result<i32> {
    let (session, _stores, _shadowed) = super::session(settings)?;
    let (jwt, cached) = session.jwt_with(!args.no_cache)?;
    let is_api_token = matches!(session.credential, crate::auth::Credential::ApiToken { .. });
    let origin = match (is_api_token, cached) {
        (false, _) => "the JWT in `SD_TOKEN`",
        (true, true) => "a cached JWT",
        (true, false) => "a new JWT",
    };
    tracing::info!("printing {origin}, valid until {}", crate::jwt::rfc3339(jwt.claims.exp));
    if settings.json {
        crate::output::json(&json!({
            "token": jwt.token.expose(),
            // An SD_TOKEN JWT is neither cached nor exchanged.
            "cached": is_api_token.then_some(cached),
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
