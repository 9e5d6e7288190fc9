//! `ApiError`: what can go wrong talking to the Screwdriver API, and the exit
//! code and hint each case maps to.

use crate::error::ExitCode;

/// A failed API request. No variant contains a secret or a URL query.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// An error status from the server, with its `{statusCode, error, message}` body.
    #[error("{method} {path} returned {status} {reason}: {message}")]
    Status { method: String, path: String, status: u16, reason: String, message: String },
    /// The connection failed, timed out or TLS failed.
    #[error("{method} {url} failed: {detail}")]
    Network { method: String, url: String, detail: String, failure: NetworkFailure },
    /// The HTTP client could not be set up from the settings (proxy variables,
    /// trust store); no request was sent.
    #[error("{message}")]
    Setup { message: String, hint: String },
    /// A 2xx response whose body is not what the API documents.
    #[error("{method} {path} returned an unexpected response: {detail}")]
    InvalidResponse { method: String, path: String, detail: String },
}

/// The kind of network failure that stopped a request, which picks the hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkFailure {
    /// The host name did not resolve.
    Dns,
    /// Nothing listens at the address, or a firewall rejected the connection.
    Refused,
    /// The TLS handshake failed, most often on a certificate the client does not trust.
    Tls,
    /// The server's certificate does not name the host of the API URL.
    TlsName,
    /// No response within `--timeout`.
    Timeout,
    /// The proxy refused or failed the tunnel to the server.
    Proxy,
    /// Anything else: a reset connection, a lost reply, a client that could not be set up.
    Other,
}

/// The message of an error reply that is a web page, such as a login page or a proxy's.
pub(super) const HTML_REPLY: &str = "the reply is an HTML page, not the Screwdriver API's JSON";

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ApiError::Status { message, .. } => message,
            _ => "",
        }
    }

    /// True for the 401 a pipeline JWT gets on another pipeline's routes.
    pub fn is_pipeline_permission(&self) -> bool {
        self.status() == Some(401) && self.message().contains("does not have permission")
    }

    /// True for an error status whose body was a web page, not the API's JSON (retries may add a note after it).
    pub fn is_html_reply(&self) -> bool {
        self.message().starts_with(HTML_REPLY)
    }

    pub fn is_insufficient_scope(&self) -> bool {
        self.status() == Some(403) && self.message().contains("Insufficient scope")
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            ApiError::Network { .. } => ExitCode::Network,
            ApiError::Setup { .. } => ExitCode::Usage,
            ApiError::InvalidResponse { .. } => ExitCode::Server,
            ApiError::Status { status, .. } => match status {
                401 if self.is_pipeline_permission() => ExitCode::Forbidden,
                401 => ExitCode::NotAuthenticated,
                // The proxy's response, not the server's.
                407 => ExitCode::Network,
                // A web page that is not the API: the URL or a proxy is wrong, not the token.
                404 if self.is_html_reply() => ExitCode::Server,
                403 => ExitCode::Forbidden,
                404 => ExitCode::NotFound,
                409 => ExitCode::Conflict,
                429 | 500..=599 => ExitCode::Server,
                _ => ExitCode::Failure,
            },
        }
    }

    /// Returns the next step for the user, where one is known.
    pub fn hint(&self) -> Option<String> {
        if let ApiError::Setup { hint, .. } = self {
            return Some(hint.clone());
        }
        if let ApiError::Status { status, message, path, .. } = self {
            let list = list_command(path);
            let hint = match status {
                403 if message.contains("does not own") => format!("check the token id with `{list}`"),
                404 if message.contains("Token") => format!("check the token id or name with `{list}`"),
                409 if !message.contains("being deleted") => {
                    let refresh = list.replacen("sdtoken list", "sdtoken refresh NAME", 1);
                    format!(
                        "choose another name, see the existing tokens with `{list}`, or give the existing token a new value with `{refresh}`"
                    )
                }
                _ => return self.fixed_hint().map(str::to_string),
            };
            return Some(hint);
        }
        self.fixed_hint().map(str::to_string)
    }

    /// Returns the hints whose text does not depend on the request path.
    fn fixed_hint(&self) -> Option<&'static str> {
        let hint = match self {
            ApiError::Network { failure, .. } => network_hint(*failure),
            ApiError::InvalidResponse { .. } => "check that the API URL points at a Screwdriver API",
            ApiError::Setup { .. } => return None,
            ApiError::Status { status, message, path, .. } => match status {
                401 if self.is_pipeline_permission() => {
                    "this pipeline token only acts on its own pipeline; use that pipeline's id or a user token"
                }
                401 => "log in again with `sdtoken login`, or check `SD_API_TOKEN` and `SD_TOKEN`",
                403 if message.contains("admin permission") => {
                    "pipeline tokens need admin rights on the pipeline's repository; ask a repository admin"
                }
                403 => "the credential's scope does not allow this; `sdtoken status` shows it",
                404 if message.contains("Pipeline") => "check the pipeline id",
                404 if path.contains("/v4/") && (message == "Not Found" || self.is_html_reply()) => {
                    "check that the API URL points at a Screwdriver API"
                }
                409 if message.contains("being deleted") => "the pipeline is being deleted; nothing can be changed",
                407 => {
                    "the proxy requires valid credentials: put them in the proxy URL (http://USER:PASSWORD@HOST:PORT, percent-encoding `@`, `:` and `/` in them) in `HTTPS_PROXY` or `HTTP_PROXY`"
                }
                429 => "the server is rate limiting requests; wait, then retry",
                500..=599 => "the server failed; retry later or ask its operators",
                _ => return None,
            },
        };
        Some(hint)
    }
}

fn network_hint(failure: NetworkFailure) -> &'static str {
    match failure {
        NetworkFailure::Dns => {
            "check the host name in the API URL (`--api-url`, `SD_API_URL`); where only a proxy can resolve names, set `HTTPS_PROXY`"
        }
        NetworkFailure::Refused => {
            "check the host and port in the API URL (`--api-url`, `SD_API_URL`) and that the server is up; behind a proxy, set `HTTPS_PROXY`"
        }
        NetworkFailure::Tls => {
            "if the server's certificate comes from a private certificate authority, pass that authority's certificate with `--ca-cert FILE` or `SSL_CERT_FILE=FILE`; check also the API URL (https or http, and the port) and the system clock"
        }
        NetworkFailure::TlsName => {
            "the server's certificate is issued for another host name: use the host name it names in the API URL (`--api-url`, `SD_API_URL`)"
        }
        NetworkFailure::Timeout => {
            "the server did not respond in time: check your network and the proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), or raise the limit per attempt with `--timeout SECS`"
        }
        NetworkFailure::Proxy => {
            "check the proxy settings (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`); set `NO_PROXY` to reach the API URL directly"
        }
        NetworkFailure::Other => {
            "check the API URL (`--api-url`, `SD_API_URL`) and your network or proxy; `--timeout` sets the limit per request"
        }
    }
}

/// Builds the `list` command for the tokens a request path names: pipeline
/// tokens under `/v4/pipelines/{id}/tokens`, else user tokens.
fn list_command(path: &str) -> String {
    let pipeline = path.strip_prefix("/v4/pipelines/").and_then(|rest| rest.split('/').next());
    match pipeline {
        Some(id) if !id.is_empty() => format!("sdtoken list --pipeline {id}"),
        _ => "sdtoken list".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, message: &str) -> ApiError {
        ApiError::Status {
            method: "GET".into(),
            path: "/v4/tokens".into(),
            status,
            reason: "x".into(),
            message: message.into(),
        }
    }

    #[test]
    fn exit_code_follows_documented_table() {
        let cases = [
            (400, "Invalid request payload input", ExitCode::Failure),
            (401, "Bad token", ExitCode::NotAuthenticated),
            (401, "Token does not have permission to this pipeline", ExitCode::Forbidden),
            (403, "Insufficient scope", ExitCode::Forbidden),
            (404, "Token does not exist", ExitCode::NotFound),
            (409, "Token with name a already exists", ExitCode::Conflict),
            (429, "", ExitCode::Server),
            (500, "boom", ExitCode::Server),
            (503, "", ExitCode::Server),
        ];
        for (code, message, expected) in cases {
            assert_eq!(status(code, message).exit_code(), expected, "{code} {message}");
        }
    }

    #[test]
    fn hint_names_pipeline_list() {
        let conflict = |path: &str| ApiError::Status {
            method: "POST".into(),
            path: path.into(),
            status: 409,
            reason: "Conflict".into(),
            message: "Token deploy already exists".into(),
        };
        let pipeline = conflict("/v4/pipelines/42/tokens").hint().unwrap();
        assert!(pipeline.contains("`sdtoken list --pipeline 42`"), "{pipeline}");
        let user = conflict("/v4/tokens").hint().unwrap();
        assert!(user.contains("`sdtoken list`"), "{user}");
    }

    #[test]
    fn network_errors_exit_8() {
        let err = ApiError::Network {
            method: "GET".into(),
            url: "u".into(),
            detail: "refused".into(),
            failure: NetworkFailure::Refused,
        };
        assert_eq!(err.exit_code(), ExitCode::Network);
    }
}
