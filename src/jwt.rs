//! Decoding of Screwdriver JWTs: the claims sdtoken reads (scope, ids, `exp`)
//! and signature checks against the server's RS256 public key.
//!
//! Decoding does not verify the signature: sdtoken already trusts its server
//! and only needs `exp` and the scope. `verify` checks the signature on demand.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

use crate::secret::Secret;

/// The claims of a Screwdriver JWT. Unknown claims are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    /// A user name; the build id for build tokens, often a JSON number.
    #[serde(default)]
    pub username: Option<Value>,
    #[serde(default)]
    pub scm_context: Option<String>,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub pipeline_id: Option<u64>,
    #[serde(default)]
    pub job_id: Option<u64>,
    #[serde(default)]
    pub event_id: Option<u64>,
    #[serde(default, rename = "isPR")]
    pub is_pr: Option<bool>,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
}

/// The kind of credential a JWT stands for, from its `scope` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Admin,
    User,
    Pipeline,
    Build,
    Temporal,
    Guest,
    Unknown,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Admin => "admin",
            Scope::User => "user",
            Scope::Pipeline => "pipeline",
            Scope::Build => "build",
            Scope::Temporal => "temporal",
            Scope::Guest => "guest",
            Scope::Unknown => "unknown",
        }
    }

    /// A phrase such as "a pipeline token (scope pipeline)".
    pub fn describe(self) -> String {
        let noun = match self {
            Scope::Admin => "an admin user token",
            Scope::User => "a user token",
            Scope::Pipeline => "a pipeline token",
            Scope::Build => "a build token",
            Scope::Temporal => "a temporal launcher token",
            Scope::Guest => "a guest token",
            Scope::Unknown => "a token of unknown scope",
        };
        format!("{noun} (scope {})", self.as_str())
    }
}

impl Claims {
    /// The most specific scope in the `scope` claim.
    pub fn scope(&self) -> Scope {
        let has = |s: &str| self.scope.iter().any(|c| c == s);
        if has("guest") {
            Scope::Guest
        } else if has("admin") {
            Scope::Admin
        } else if has("user") {
            Scope::User
        } else if has("pipeline") {
            Scope::Pipeline
        } else if has("build") {
            Scope::Build
        } else if has("temporal") {
            Scope::Temporal
        } else {
            Scope::Unknown
        }
    }

    /// The `username` claim as text, whether it is a string or a number.
    pub fn username(&self) -> Option<String> {
        match &self.username {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }

    /// Seconds until `exp`; negative once expired.
    pub fn seconds_left(&self) -> i64 {
        self.exp - now_epoch()
    }

    /// True when the JWT expires within `margin` (or has expired).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.seconds_left() <= margin.as_secs() as i64
    }
}

/// A JWT with its decoded claims.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub token: Secret,
    pub claims: Claims,
}

/// Why a string is not a usable JWT. The message never contains the token.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("it does not have the three dot-separated parts of a JWT")]
    NotThreeParts,
    #[error("its payload is not base64url")]
    Base64,
    #[error("its payload is not JSON with a numeric `exp` claim: {0}")]
    Claims(String),
}

impl Jwt {
    /// Decodes the claims of `token` without checking its signature.
    pub fn decode(token: Secret) -> Result<Jwt, DecodeError> {
        let parts: Vec<&str> = token.expose().split('.').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(DecodeError::NotThreeParts);
        }
        let payload = URL_SAFE_NO_PAD.decode(parts[1].trim_end_matches('=')).map_err(|_| DecodeError::Base64)?;
        // The serde error names the missing field or position, never the token text.
        let claims: Claims = serde_json::from_slice(&payload)
            .map_err(|e| DecodeError::Claims(format!("{} at column {}", classify_json_error(&e), e.column())))?;
        Ok(Jwt { token, claims })
    }
}

fn classify_json_error(err: &serde_json::Error) -> &'static str {
    if err.to_string().contains("missing field `exp`") { "missing `exp`" } else { "unexpected content" }
}

/// Checks the RS256 signature and `exp` of `jwt` against the PEM public key `pem`.
pub fn verify(jwt: &Jwt, pem: &str) -> Result<(), String> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};

    let key = DecodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|e| format!("the server's public key is not a valid RSA PEM key: {e}"))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims = ["exp".to_string()].into_iter().collect();
    validation.leeway = 0;
    validation.validate_aud = false;
    decode::<Value>(jwt.token.expose(), &key, &validation).map(|_| ()).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            "the signature does not match the server's key".to_string()
        }
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the JWT has expired".to_string(),
        other => format!("the JWT failed verification: {other:?}"),
    })
}

/// Seconds since the Unix epoch.
pub fn now_epoch() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Formats epoch seconds as RFC 3339 UTC, such as `2026-12-04T20:17:50Z`.
pub fn rfc3339(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| epoch.to_string())
}

#[cfg(test)]
pub(crate) fn fake(claims: &Value) -> Secret {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    Secret::new(format!("{header}.{payload}.c2lnbmF0dXJl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decode_reads_build_token_claims() {
        let token = fake(&json!({
            "username": 4711, "scmContext": "github:github.com", "scope": ["build"],
            "isPR": false, "jobId": 3, "eventId": 9, "pipelineId": 1, "exp": 2_000_000_000,
            "iat": 1_999_990_000, "jti": "x", "auth": {"type": "new"}
        }));
        let jwt = Jwt::decode(token).unwrap();
        assert_eq!(jwt.claims.scope(), Scope::Build);
        assert_eq!(jwt.claims.username().as_deref(), Some("4711"));
        assert_eq!(jwt.claims.pipeline_id, Some(1));
        assert_eq!(jwt.claims.job_id, Some(3));
        assert_eq!(jwt.claims.event_id, Some(9));
    }

    #[test]
    fn decode_ranks_admin_above_user() {
        let token = fake(&json!({"username": "a", "scope": ["user", "admin"], "exp": 1}));
        assert_eq!(Jwt::decode(token).unwrap().claims.scope(), Scope::Admin);
    }

    #[test]
    fn decode_rejects_non_jwt_without_echoing_it() {
        let err = Jwt::decode(Secret::new("not-a-jwt-canary")).unwrap_err();
        assert!(!err.to_string().contains("canary"));
        let err = Jwt::decode(Secret::new("a.bm90IGpzb24.c")).unwrap_err();
        assert!(matches!(err, DecodeError::Claims(_)));
        let no_exp = fake(&json!({"username": "a"}));
        assert!(Jwt::decode(no_exp).unwrap_err().to_string().contains("missing `exp`"));
    }

    #[test]
    fn rfc3339_prints_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
