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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
        self.exp.saturating_sub(now_epoch())
    }

    /// True when the JWT expires within `margin` (or has expired).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.seconds_left() <= i64::try_from(margin.as_secs()).unwrap_or(i64::MAX)
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
    #[error("it starts with `Bearer `, which belongs to the Authorization header and not to the JWT")]
    BearerPrefix,
    #[error("{}", parts_message(*.0))]
    Parts(usize),
    #[error("part {0} of its 3 dot-separated parts is empty")]
    EmptyPart(usize),
    #[error("its header is not base64url-encoded JSON")]
    Header,
    #[error("its payload is not base64url")]
    Base64,
    #[error("its signature is not base64url")]
    Signature,
    #[error("its payload is not JSON")]
    NotJson,
    #[error("its payload is not a JSON object")]
    NotObject,
    #[error("it has no `exp` claim, which gives its expiry")]
    MissingExp,
    #[error("its `exp` claim is not a number of seconds since 1970")]
    BadExp,
    #[error("its claims do not have the expected types ({0})")]
    Claims(&'static str),
}

fn parts_message(parts: usize) -> String {
    let shape = "a JWT has 3 dot-separated parts (header.payload.signature)";
    match parts {
        1 => format!("it has no dots, and {shape}"),
        n => format!("it has {n} dot-separated parts, and {shape}"),
    }
}

impl Jwt {
    /// Decodes the claims of `token` without checking its signature.
    pub fn decode(token: Secret) -> Result<Jwt, DecodeError> {
        let claims = decode_claims(token.expose())?;
        Ok(Jwt { token, claims })
    }
}

/// Decodes the payload of a JWT. Error messages describe what is wrong
/// without quoting any of the text, because the text is a credential.
fn decode_claims(token: &str) -> Result<Claims, DecodeError> {
    if token.get(..7).is_some_and(|start| start.eq_ignore_ascii_case("bearer ")) {
        return Err(DecodeError::BearerPrefix);
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(DecodeError::Parts(parts.len()));
    }
    if let Some(empty) = parts.iter().position(|p| p.is_empty()) {
        return Err(DecodeError::EmptyPart(empty + 1));
    }
    let header = URL_SAFE_NO_PAD.decode(parts[0].trim_end_matches('=')).map_err(|_| DecodeError::Header)?;
    if !matches!(serde_json::from_slice(&header), Ok(Value::Object(_))) {
        return Err(DecodeError::Header);
    }
    let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if !parts[2].trim_end_matches('=').chars().all(base64url) {
        return Err(DecodeError::Signature);
    }
    let payload = URL_SAFE_NO_PAD.decode(parts[1].trim_end_matches('=')).map_err(|_| DecodeError::Base64)?;
    let value: Value = serde_json::from_slice(&payload).map_err(|_| DecodeError::NotJson)?;
    let Value::Object(mut object) = value else {
        return Err(DecodeError::NotObject);
    };
    let exp = object.get("exp").ok_or(DecodeError::MissingExp)?;
    let exp = numeric_date(exp).ok_or(DecodeError::BadExp)?;
    object.insert("exp".to_string(), Value::from(exp));
    // serde's messages quote the offending value, so only the kind of mismatch is kept.
    serde_json::from_value(Value::Object(object)).map_err(|e| DecodeError::Claims(classify_json_error(&e)))
}

/// Reads a NumericDate (RFC 7519, section 2): seconds since 1970, which may have
/// a fraction. The fraction is dropped, and values beyond ±10^12 s (about 31 000
/// years) are rejected, so later arithmetic on `exp` cannot overflow.
fn numeric_date(value: &Value) -> Option<i64> {
    const LIMIT: i64 = 1_000_000_000_000;
    let seconds = match value.as_i64() {
        Some(seconds) => seconds,
        None => {
            let float = value.as_f64()?;
            if !float.is_finite() || float.abs() > LIMIT as f64 {
                return None;
            }
            float.floor() as i64
        }
    };
    (-LIMIT..=LIMIT).contains(&seconds).then_some(seconds)
}

fn classify_json_error(err: &serde_json::Error) -> &'static str {
    let text = err.to_string();
    if text.starts_with("invalid type") {
        "a claim has the wrong type"
    } else if text.starts_with("invalid value") {
        "a claim has an invalid value"
    } else {
        "unexpected content"
    }
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
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => "its algorithm is not RS256".to_string(),
        jsonwebtoken::errors::ErrorKind::ImmatureSignature => "it is not valid yet (`nbf`)".to_string(),
        _ => "it is malformed (its header, claims or signature cannot be read)".to_string(),
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
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        let err = Jwt::decode(Secret::new(format!("{header}.bm90IGpzb24.c"))).unwrap_err();
        assert!(matches!(err, DecodeError::NotJson));
        let no_exp = fake(&json!({"username": "a"}));
        assert!(matches!(Jwt::decode(no_exp).unwrap_err(), DecodeError::MissingExp));
    }

    #[test]
    fn decode_rejects_bearer_prefix_header_and_signature() {
        let good = fake(&json!({"username": "a", "exp": 1}));
        let bearer = Secret::new(format!("Bearer {}", good.expose()));
        assert!(matches!(Jwt::decode(bearer).unwrap_err(), DecodeError::BearerPrefix));
        let rest = good.expose().split_once('.').unwrap().1.to_string();
        let bad_header = Secret::new(format!("x!x.{rest}"));
        assert!(matches!(Jwt::decode(bad_header).unwrap_err(), DecodeError::Header));
        let not_json_header = Secret::new(format!("{}.{rest}", URL_SAFE_NO_PAD.encode("alg")));
        assert!(matches!(Jwt::decode(not_json_header).unwrap_err(), DecodeError::Header));
        let (head, _) = good.expose().rsplit_once('.').unwrap();
        let bad_signature = Secret::new(format!("{head}.si g"));
        assert!(matches!(Jwt::decode(bad_signature).unwrap_err(), DecodeError::Signature));
    }

    #[test]
    fn decode_names_each_defect() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        let with_payload = |payload: &[u8]| Secret::new(format!("{header}.{}.c2ln", URL_SAFE_NO_PAD.encode(payload)));
        let cases = [
            (Secret::new("canary"), "it has no dots"),
            (Secret::new("canary.canary"), "it has 2 dot-separated parts"),
            (Secret::new("a..canary"), "part 2 of its 3"),
            (Secret::new("a.!canary!.c"), "not base64url"),
            (with_payload(b"canary"), "not JSON"),
            (with_payload(b"[\"canary\"]"), "not a JSON object"),
            (with_payload(br#"{"sub":"canary"}"#), "no `exp` claim"),
            (with_payload(br#"{"exp":"canary"}"#), "`exp` claim is not a number"),
            (with_payload(br#"{"exp":-9223372036854775808}"#), "`exp` claim is not a number"),
            (with_payload(br#"{"exp":1e300}"#), "`exp` claim is not a number"),
            (with_payload(br#"{"exp":1,"scope":"canary"}"#), "a claim has the wrong type"),
        ];
        for (token, expected) in cases {
            let message = Jwt::decode(token).unwrap_err().to_string();
            assert!(message.contains(expected), "expected `{expected}` in: {message}");
            assert!(!message.contains("canary"), "the message quotes the token: {message}");
        }
    }

    #[test]
    fn decode_accepts_fractional_exp() {
        let jwt = Jwt::decode(fake(&json!({"exp": 2_000_000_000.75}))).unwrap();
        assert_eq!(jwt.claims.exp, 2_000_000_000);
    }

    #[test]
    fn seconds_left_saturates_at_extremes() {
        let jwt = Jwt::decode(fake(&json!({"exp": -1_000_000_000_000_i64}))).unwrap();
        assert!(jwt.claims.seconds_left() < 0);
        assert!(jwt.claims.expires_within(Duration::MAX));
        let jwt = Jwt::decode(fake(&json!({"exp": 1_000_000_000_000_i64}))).unwrap();
        assert!(!jwt.claims.expires_within(Duration::from_secs(3600)));
    }

    #[test]
    fn rfc3339_prints_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Claims as a Screwdriver server issues them: user, pipeline and build tokens.
        fn claims() -> impl Strategy<Value = serde_json::Value> {
            let username = prop_oneof![any::<String>().prop_map(Value::from), any::<u32>().prop_map(Value::from)];
            let scope = proptest::sample::subsequence(vec!["user", "admin", "pipeline", "build", "guest"], 0..=3);
            let id = proptest::option::of(1..u64::MAX);
            (username, scope, id.clone(), id.clone(), id, any::<Option<bool>>(), -100_000_000_000..100_000_000_000i64)
                .prop_map(|(username, scope, pipeline, job, event, is_pr, exp)| {
                    let mut claims = json!({
                        "username": username, "scope": scope, "exp": exp, "iat": exp - 7200,
                        "scmContext": "github:github.com", "jti": "x",
                    });
                    for (key, value) in [("pipelineId", pipeline), ("jobId", job), ("eventId", event)] {
                        if let Some(value) = value {
                            claims[key] = json!(value);
                        }
                    }
                    if let Some(is_pr) = is_pr {
                        claims["isPR"] = json!(is_pr);
                    }
                    claims
                })
        }

        /// Any JSON value, with numbers of every kind and nesting up to 3 levels.
        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                any::<String>().prop_map(Value::from),
            ];
            leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                    proptest::collection::btree_map(any::<String>(), inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// Generates objects with the claim names sdtoken reads, each with any JSON value.
        fn claims_of_any_type() -> impl Strategy<Value = Value> {
            let names = ["username", "scope", "pipelineId", "jobId", "eventId", "isPR", "exp", "iat", "scmContext"];
            proptest::collection::vec((proptest::sample::select(names.to_vec()), json_value()), 0..9)
                .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
        }

        proptest! {
            #[test]
            fn decode_never_panics_on_claims_of_any_type(claims in claims_of_any_type()) {
                if let Ok(jwt) = Jwt::decode(fake(&claims)) {
                    let _ = (jwt.claims.scope(), jwt.claims.username(), jwt.claims.seconds_left());
                    let _ = (rfc3339(jwt.claims.exp), jwt.claims.expires_within(Duration::MAX));
                }
            }

            #[test]
            fn decode_never_panics_on_text(text in any::<String>()) {
                let _ = Jwt::decode(Secret::new(text));
            }

            #[test]
            fn decode_never_panics_on_any_payload(payload in proptest::collection::vec(any::<u8>(), 0..256)) {
                let token = format!("eyJhbGciOiJSUzI1NiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(&payload));
                if let Ok(jwt) = Jwt::decode(Secret::new(token)) {
                    let _ = (jwt.claims.scope(), jwt.claims.username(), jwt.claims.seconds_left());
                    let _ = jwt.claims.expires_within(Duration::from_secs(300));
                }
            }

            #[test]
            fn decode_round_trips_claims(claims in claims()) {
                let jwt = Jwt::decode(fake(&claims)).unwrap();
                let expected: Claims = serde_json::from_value(claims.clone()).unwrap();
                prop_assert_eq!(&jwt.claims, &expected);
                prop_assert_eq!(jwt.claims.exp, claims["exp"].as_i64().unwrap());
                prop_assert_eq!(jwt.claims.pipeline_id, claims["pipelineId"].as_u64());
                let username = match &claims["username"] {
                    Value::String(text) => text.clone(),
                    number => number.to_string(),
                };
                prop_assert_eq!(jwt.claims.username(), Some(username));
            }
        }
    }
}
