//! A session: the API client plus the credential, producing the JWT for each
//! request. A 401 on a cached JWT leads to one fresh exchange and one retry.

use std::cell::RefCell;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::{Credential, JwtCache, Source};
use crate::api::{self, ApiError, Client, Reply, Retry};
use crate::error::{CliError, ExitCode};
use crate::jwt::{Jwt, Scope};
use crate::secret::Secret;

pub struct Session {
    pub client: Client,
    pub credential: Credential,
    pub cache: Option<JwtCache>,
    min_ttl: Duration,
    in_build: bool,
    /// The JWT in use and whether it came from the cache.
    current: RefCell<Option<(Jwt, bool)>>,
}

impl Session {
    pub fn new(
        client: Client,
        credential: Credential,
        cache: Option<JwtCache>,
        min_ttl: Duration,
        in_build: bool,
    ) -> Session {
        Session { client, credential, cache, min_ttl, in_build, current: RefCell::new(None) }
    }

    /// The JWT for this credential, from memory, the cache or a new exchange.
    pub fn jwt(&self) -> anyhow::Result<Jwt> {
        self.jwt_with(true).map(|(jwt, _)| jwt)
    }

    /// Like `jwt`, and also returns whether the JWT came from the cache. With
    /// `use_cached` false an API token is exchanged even if a cached JWT is valid.
    pub fn jwt_with(&self, use_cached: bool) -> anyhow::Result<(Jwt, bool)> {
        if use_cached && let Some(current) = self.current.borrow().as_ref() {
            return Ok(current.clone());
        }
        let result = match &self.credential {
            Credential::Jwt { jwt, source } => (self.check_env_jwt(jwt, source)?, false),
            Credential::ApiToken { token, source } => self.exchange(token, source, use_cached)?,
        };
        *self.current.borrow_mut() = Some(result.clone());
        Ok(result)
    }

    /// True when the JWT in use was read from the cache, not exchanged by this process.
    pub fn used_cached_jwt(&self) -> bool {
        self.current.borrow().as_ref().is_some_and(|(_, cached)| *cached)
    }

    /// Checks the expiry of an `SD_TOKEN` JWT, which is used as it is. It cannot be
    /// renewed, so expiry is an error and expiry within `--min-ttl` draws a warning.
    fn check_env_jwt(&self, jwt: &Jwt, source: &Source) -> anyhow::Result<Jwt> {
        let left = jwt.claims.seconds_left();
        let expires = crate::jwt::rfc3339(jwt.claims.exp);
        let is_build_token = jwt.claims.scope() == Scope::Build;
        let noun = if is_build_token { "build token" } else { "JWT" };
        if left <= 0 {
            let mut message = format!("the {noun} in {} expired at {expires}", source.describe());
            let hint = if is_build_token {
                message.push_str("; build tokens cannot be renewed");
                "rerun the build, or give it a longer build timeout"
            } else if self.in_build {
                "inside a build, give the build an API token as the secret `SD_API_TOKEN`; sdtoken exchanges it as needed"
            } else {
                "unset `SD_TOKEN` (it may be left over from `sdtoken env`), or set a fresh JWT"
            };
            return Err(CliError::not_authenticated(message).with_hint(hint).into());
        }
        if jwt.claims.expires_within(self.min_ttl) {
            let renew = if is_build_token || self.in_build { "; it cannot be renewed" } else { "" };
            crate::output::warn(&format!(
                "the {noun} in {} expires in {left} s (at {expires}), within --min-ttl of {} s{renew}",
                source.describe(),
                self.min_ttl.as_secs()
            ));
        }
        Ok(jwt.clone())
    }

    fn exchange(&self, token: &Secret, source: &Source, use_cached: bool) -> anyhow::Result<(Jwt, bool)> {
        let fresh = || self.exchange_now(token, source);
        match &self.cache {
            Some(cache) => cache.get_or_exchange(self.min_ttl, use_cached, fresh),
            None => Ok((fresh()?, false)),
        }
    }

    /// One request to `/v4/auth/token`. A rejected token drops its cached JWT.
    fn exchange_now(&self, token: &Secret, source: &Source) -> anyhow::Result<Jwt> {
        tracing::debug!("exchanging {}", source.describe_credential());
        let jwt = match api::tokens::exchange(&self.client, token) {
            Ok(jwt) => jwt,
            Err(err) => {
                if let Some(cache) = &self.cache
                    && err.status() == Some(401)
                {
                    cache.remove();
                }
                return Err(explain_exchange_error(err, source, self.client.base()));
            }
        };
        let jwt = Jwt::decode(jwt).map_err(|e| ApiError::InvalidResponse {
            method: "GET".to_string(),
            path: "/v4/auth/token".to_string(),
            detail: format!("the returned token is not a JWT: {e}"),
        })?;
        self.warn_if_min_ttl_too_long(&jwt);
        Ok(jwt)
    }

    /// A fresh JWT that already counts as stale means no cached JWT is ever reused.
    fn warn_if_min_ttl_too_long(&self, jwt: &Jwt) {
        if jwt.claims.expires_within(self.min_ttl) {
            crate::output::warn(&format!(
                "the server's JWTs last {} s, no longer than --min-ttl ({} s), so every command exchanges \
                 the API token again; lower --min-ttl",
                jwt.claims.seconds_left(),
                self.min_ttl.as_secs()
            ));
        }
    }

    /// Sends an authenticated request. A 401 on a cached JWT drops it and retries once
    /// with a fresh exchange; a 403 for scope is explained in terms of the credential.
    pub fn send(&self, method: Method, path: &str, body: Option<&Value>, retry: Retry) -> anyhow::Result<Reply> {
        let (jwt, cached) = self.jwt_with(true)?;
        let first = self.client.send(method.clone(), path, Some(&jwt.token), body, retry);
        let err = match first {
            Ok(reply) => return Ok(reply),
            Err(err) => err,
        };
        let renewable = matches!(self.credential, Credential::ApiToken { .. });
        if err.status() == Some(401) && !err.is_pipeline_permission() && cached && renewable {
            tracing::info!("the cached JWT was rejected ({}); exchanging the API token again", err.message());
            if let Some(cache) = &self.cache {
                cache.remove();
            }
            let (jwt, _) = self.jwt_with(false)?;
            return self.client.send(method, path, Some(&jwt.token), body, retry).map_err(|e| self.explain(e, &jwt));
        }
        Err(self.explain(err, &jwt))
    }

    fn explain(&self, err: ApiError, jwt: &Jwt) -> anyhow::Error {
        if err.is_insufficient_scope() {
            return explain_scope(err, jwt.claims.scope(), self.credential.source(), self.in_build);
        }
        err.into()
    }
}

/// Turns a 403 "Insufficient scope" into a message that names the credential's
/// scope and the scope the token routes need (user), with a fix that fits where
/// the credential came from.
fn explain_scope(err: ApiError, scope: Scope, source: &Source, in_build: bool) -> anyhow::Error {
    if matches!(scope, Scope::User | Scope::Admin) {
        // The credential already has the scope the token routes need; the server's own text is all there is.
        return err.into();
    }
    let subject = match scope {
        Scope::Build => "build tokens cannot manage tokens",
        Scope::Pipeline => "pipeline tokens cannot manage tokens",
        Scope::Guest => "guest tokens cannot manage tokens",
        _ => "the credential's scope does not allow this",
    };
    let message = format!(
        "{subject}: {} is {}, and this command needs a user token (scope user)",
        source.describe_credential(),
        scope.describe()
    );
    let error = CliError::new(ExitCode::Forbidden, message).with_hint(scope_hint(scope, source, in_build));
    anyhow::Error::new(err).context(error)
}

/// Suggests how to get a credential with the user scope, given where the current one came from.
fn scope_hint(scope: Scope, source: &Source, in_build: bool) -> String {
    match source {
        Source::EnvJwt if in_build || scope == Scope::Build => {
            "inside a build, give the build a user API token as the secret `SD_API_TOKEN`; `SD_TOKEN` stays the build token"
                .to_string()
        }
        Source::EnvJwt => "set `SD_TOKEN` to a JWT of a user token, or unset it to use the stored token".to_string(),
        Source::EnvApiToken => {
            "set `SD_API_TOKEN` to a user API token (made with `sdtoken create`), or unset it to use the stored token"
                .to_string()
        }
        Source::Stored { context } => format!(
            "context `{context}` stores {}; use a context that stores a user API token (`--context NAME`)",
            scope.describe()
        ),
    }
}

fn explain_exchange_error(err: ApiError, source: &Source, url: &api::ApiUrl) -> anyhow::Error {
    match err.status() {
        Some(401) => anyhow::Error::new(err).context(
            CliError::not_authenticated(format!("{url} rejected {}", source.describe_credential()))
                .with_hint(match source {
                    Source::EnvApiToken => {
                        "the token in `SD_API_TOKEN` may have been refreshed or deleted; set a current one".to_string()
                    }
                    Source::Stored { context } if context != crate::config::DEFAULT_CONTEXT => format!(
                        "the token may have been refreshed or deleted; log in again with `sdtoken login --context {context}`"
                    ),
                    _ => "the token may have been refreshed or deleted; log in again with `sdtoken login`".to_string(),
                }),
        ),
        Some(403) => anyhow::Error::new(err).context(
            CliError::new(ExitCode::Forbidden, format!("{} cannot be exchanged for a JWT", source.describe_credential()))
                .with_hint("only user and pipeline API tokens can be exchanged"),
        ),
        _ => anyhow::Error::new(err).context(format!("failed to exchange {}", source.describe_credential())),
    }
}
