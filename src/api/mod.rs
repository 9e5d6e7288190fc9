//! The HTTP client for the Screwdriver API: the one place that builds request
//! URLs, sends `Authorization: Bearer`, retries what is safe to retry, parses
//! the `{statusCode, error, message}` error body and logs requests with the
//! `Authorization` value redacted.

mod error;
mod netenv;
pub mod tokens;
mod url;

use std::cell::Cell;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::blocking::{Client as HttpClient, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::{ApiError, NetworkFailure};
pub use url::{ApiUrl, DEFAULT_API_URL};

use crate::error::CliError;
use crate::secret::Secret;

/// At most this many attempts for requests that are safe to retry.
const MAX_ATTEMPTS: u32 = 3;
/// The longest `Retry-After` wait sdtoken honours before giving up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Whether a request may be sent again after a connection error, 502, 503 or 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// GET, token update (PUT) and DELETE.
    Idempotent,
    /// POST and refresh: never sent twice, because the server may have acted.
    Never,
}

/// The body of a successful response, with the request line for error messages.
pub struct Reply {
    pub body: Vec<u8>,
    method: String,
    path: String,
}

impl Reply {
    /// Parses the body as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::InvalidResponse {
            method: self.method.clone(),
            path: self.path.clone(),
            detail: describe_bad_body(&self.body, &e),
        })
    }
}

/// The HTTP client, and the proxy it sends requests through.
struct Transport {
    client: HttpClient,
    /// The proxy variable and masked URL, for messages.
    proxy: Option<String>,
}

/// The API client for one base URL.
pub struct Client {
    /// Built on the first request: loading the system's trust store costs a few
    /// milliseconds that commands served from the JWT cache do not need to pay.
    http: std::cell::OnceCell<Result<Transport, ApiError>>,
    timeout: Duration,
    certificates: Vec<reqwest::Certificate>,
    base: ApiUrl,
    /// The server's `Date` header minus the local clock, from the last response.
    clock_offset: Cell<Option<i64>>,
    /// Changes the HTTP client's settings in unit tests (a failing DNS resolver, say).
    #[cfg(test)]
    customize: Option<fn(reqwest::blocking::ClientBuilder) -> reqwest::blocking::ClientBuilder>,
}

impl Client {
    /// Builds a client with a per-request `timeout` and optional extra CA certificates.
    pub fn new(base: ApiUrl, timeout: Duration, ca_cert: Option<&Path>) -> anyhow::Result<Client> {
        let certificates = match ca_cert {
            Some(path) => read_certificates(path)?,
            None => Vec::new(),
        };
        Ok(Client {
            http: std::cell::OnceCell::new(),
            timeout,
            certificates,
            base,
            clock_offset: Cell::new(None),
            #[cfg(test)]
            customize: None,
        })
    }

    fn http(&self) -> Result<&Transport, ApiError> {
        let built = self.http.get_or_init(|| {
            let proxy = netenv::check(&self.base)?;
            // The proxy variables are read here, not by the HTTP client: it would
            // ignore a value with surrounding whitespace and connect directly.
            let mut builder = HttpClient::builder()
                .timeout(self.timeout)
                .connect_timeout(self.timeout)
                .user_agent(concat!("sdtoken/", env!("CARGO_PKG_VERSION")))
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy();
            if !self.certificates.is_empty() {
                builder = builder.tls_certs_merge(self.certificates.clone());
            }
            let shown = proxy.as_ref().map(|p| p.shown.clone());
            if let Some(setting) = proxy {
                tracing::debug!("requests go through the proxy from {}", setting.shown);
                builder = builder.proxy(setting.proxy);
            }
            #[cfg(test)]
            if let Some(customize) = self.customize {
                builder = customize(builder);
            }
            let client = builder.build().map_err(|e| ApiError::Setup {
                message: format!("failed to set up the HTTP client: {}", error_chain(&e)),
                hint: "check the trust store (`SSL_CERT_FILE`, `SSL_CERT_DIR`, `--ca-cert`) and the proxy variables"
                    .to_string(),
            })?;
            Ok(Transport { client, proxy: shown })
        });
        built.as_ref().map_err(Clone::clone)
    }

    pub fn base(&self) -> &ApiUrl {
        &self.base
    }

    /// Seconds the server's clock is ahead of the local one, from the last `Date` header.
    pub fn clock_offset(&self) -> Option<i64> {
        self.clock_offset.get()
    }

    /// Sends a request to `path` under `/v4/` and returns the 2xx reply or an `ApiError`.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&Secret>,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Reply, ApiError> {
        let url = self.base.endpoint(path);
        // The path as sent, with any prefix of the base URL, for logs and errors.
        let shown_path = reqwest::Url::parse(&url).map(|u| u.path().to_string()).unwrap_or_else(|_| url.clone());
        let http = self.http()?;
        let mut attempt = 1;
        loop {
            log_request(&method, path, bearer.is_some());
            let request = self.build(&http.client, method.clone(), &url, bearer, body);
            let started = Instant::now();
            let outcome = request.send();
            let wait = match self.interpret(outcome, http.proxy.as_deref(), &method, &url, &shown_path, started, bearer)
            {
                Ok(reply) => return Ok(reply),
                Err((err, _)) if attempt > 1 && method == Method::DELETE && err.status() == Some(404) => {
                    // The earlier attempt may have deleted it before its reply was lost.
                    tracing::info!("{method} {shown_path} returned 404 on attempt {attempt}; counting it as deleted");
                    return Ok(Reply { body: Vec::new(), method: method.to_string(), path: shown_path });
                }
                Err((err, wait)) if retry == Retry::Idempotent && attempt < MAX_ATTEMPTS => match wait {
                    Some(wait) => {
                        tracing::info!("{method} {shown_path} failed ({err}); retrying in {} ms", wait.as_millis());
                        wait
                    }
                    None => return Err(note_attempts(err, attempt)),
                },
                Err((err, _)) => return Err(note_attempts(err, attempt)),
            };
            sleep(wait);
            attempt += 1;
        }
    }

    fn build(
        &self,
        http: &HttpClient,
        method: Method,
        url: &str,
        bearer: Option<&Secret>,
        body: Option<&Value>,
    ) -> RequestBuilder {
        let mut request = http.request(method, url).header("accept", "application/json");
        if let Some(secret) = bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", secret.expose()))
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request
    }

    /// Turns a send outcome into a reply, or an error plus how long to wait before a retry
    /// (`None` when a retry would not help).
    #[allow(clippy::too_many_arguments)]
    fn interpret(
        &self,
        outcome: reqwest::Result<Response>,
        proxy: Option<&str>,
        method: &Method,
        url: &str,
        path: &str,
        started: Instant,
        bearer: Option<&Secret>,
    ) -> Result<Reply, (ApiError, Option<Duration>)> {
        let response = match outcome {
            Ok(response) => response,
            Err(err) => {
                let (detail, failure) = describe_transport_error(&err, proxy, self.timeout);
                tracing::info!("{method} {path} failed after {} ms: {detail}", started.elapsed().as_millis());
                // A certificate or a proxy's refusal of credentials stays the same on the next attempt.
                let lasting = matches!(failure, NetworkFailure::Tls | NetworkFailure::TlsName)
                    || (failure == NetworkFailure::Proxy && detail.contains("authorization required"));
                let wait = (!lasting).then(|| backoff(1));
                let err = ApiError::Network { method: method.to_string(), url: url.to_string(), detail, failure };
                return Err((err, wait));
            }
        };
        let status = response.status().as_u16();
        self.record_clock(response.headers());
        tracing::info!("{method} {path} -> {status} in {} ms", started.elapsed().as_millis());
        log_headers(response.headers(), bearer);
        let headers = response.headers().clone();
        let body = response.bytes().map(|b| b.to_vec()).map_err(|e| {
            let (detail, failure) = describe_transport_error(&e, proxy, self.timeout);
            (ApiError::Network { method: method.to_string(), url: url.to_string(), detail, failure }, Some(backoff(1)))
        })?;
        if (200..300).contains(&status) {
            return Ok(Reply { body, method: method.to_string(), path: path.to_string() });
        }
        let wait = match status {
            502 => Some(backoff(1)),
            // Servers send Retry-After with both 503 and 429 (RFC 9110, section 10.2.3).
            503 | 429 => retry_after(&headers),
            _ => None,
        };
        Err((redact(status_error(method, path, status, &body), bearer), wait))
    }

    fn record_clock(&self, headers: &HeaderMap) {
        let server = headers
            .get("date")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok());
        if let Some(server) = server {
            self.clock_offset.set(Some(server.unix_timestamp() - crate::jwt::now_epoch()));
        }
    }
}

/// Removes `SSL_CERT_FILE` and `SSL_CERT_DIR` from the environment when they are
/// empty. The TLS library would read an empty value as a path and trust nothing,
/// where users mean "unset", as with the other variables. Call it first thing in
/// `main`, while the process has one thread.
pub fn drop_empty_trust_store_variables() {
    for name in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
        if std::env::var_os(name).is_some_and(|value| value.is_empty()) {
            // SAFETY: no other thread exists yet, so nothing reads the environment meanwhile.
            unsafe { std::env::remove_var(name) };
        }
    }
}

/// Reads the PEM certificates of `--ca-cert`. A file that cannot be read or contains
/// no certificate is a usage error, reported before any request.
fn read_certificates(path: &Path) -> anyhow::Result<Vec<reqwest::Certificate>> {
    let shown = path.display();
    let hint = "`--ca-cert FILE` takes a PEM file with one or more CA certificates (`-----BEGIN CERTIFICATE-----`)";
    let pem = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("cannot read the CA certificate file `{shown}`: {e}")).with_hint(hint))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).ok().filter(|c| !c.is_empty());
    certificates.ok_or_else(|| {
        CliError::usage(format!(
            "invalid CA certificate file `{shown}` (given with --ca-cert): no PEM certificate found"
        ))
        .with_hint(hint)
        .into()
    })
}

/// Adds "after N attempts" to an error that survived retries.
fn note_attempts(err: ApiError, attempts: u32) -> ApiError {
    if attempts < 2 {
        return err;
    }
    match err {
        ApiError::Network { method, url, detail, failure } => {
            ApiError::Network { method, url, detail: format!("{detail} (after {attempts} attempts)"), failure }
        }
        ApiError::Status { method, path, status, reason, message } => {
            ApiError::Status { method, path, status, reason, message: format!("{message} (after {attempts} attempts)") }
        }
        other => other,
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 3u64.pow(attempt.saturating_sub(1)))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    match secs {
        Some(secs) if Duration::from_secs(secs) <= MAX_RETRY_AFTER => Some(Duration::from_secs(secs)),
        Some(_) => None,
        None => Some(backoff(2)),
    }
}

/// Builds an `ApiError::Status` from an error body such as
/// `{"statusCode":409,"error":"Conflict","message":"Token with name x already exists"}`.
fn status_error(method: &Method, path: &str, status: u16, body: &[u8]) -> ApiError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).and_then(Value::as_str).map(str::to_string);
    let reason = field("error").unwrap_or_else(|| {
        reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("").to_string()
    });
    let message = match (&parsed, field("message")) {
        (_, Some(message)) => message,
        (Some(_), None) => "(the reply gives no message)".to_string(),
        (None, None) => summarize_body(body),
    };
    ApiError::Status { method: method.to_string(), path: path.to_string(), status, reason, message }
}

/// Says why a success body could not be read: empty, an HTML page (a login page
/// or proxy responding in the server's place), cut short, or other JSON.
fn describe_bad_body(body: &[u8], err: &serde_json::Error) -> String {
    let text = String::from_utf8_lossy(body);
    let start = text.trim_start();
    if start.is_empty() {
        "the body is empty where JSON was expected".to_string()
    } else if start.starts_with('<') {
        "the body is an HTML page, not JSON: a login page or a proxy may have answered in place of the Screwdriver API"
            .to_string()
    } else if err.is_eof() {
        format!("the JSON body ends early, at line {} column {}: the reply was cut short", err.line(), err.column())
    } else {
        format!("the body is not the expected JSON ({})", without_quoted_values(&err.to_string()))
    }
}

/// A serde_json error message with quoted input values removed: `invalid type:
/// string "…"` would otherwise repeat part of a body that may hold a token.
fn without_quoted_values(message: &str) -> String {
    let mut shown = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                shown.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            shown.push(c);
        }
    }
    shown
}

/// The first line of a non-JSON body, shortened and without control characters;
/// an HTML page is named as such.
fn summarize_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('<') {
        return error::HTML_REPLY.to_string();
    }
    let line: String = text.lines().next().unwrap_or("").chars().filter(|c| !c.is_control()).take(120).collect();
    if line.is_empty() { "(empty body)".to_string() } else { line }
}

/// Returns the texts of the causes of `err`, outermost first, without `err` itself.
fn causes(err: &dyn std::error::Error) -> Vec<String> {
    std::iter::successors(err.source(), |cause| cause.source()).map(|cause| cause.to_string()).collect()
}

/// Joins the texts of an error and its causes with `: `.
fn error_chain(err: &dyn std::error::Error) -> String {
    std::iter::once(err.to_string()).chain(causes(err)).collect::<Vec<_>>().join(": ")
}

/// Says what stopped a request that got no response, and what kind of failure
/// it was. With a proxy in effect, a failed connection is the proxy's.
fn describe_transport_error(err: &reqwest::Error, proxy: Option<&str>, timeout: Duration) -> (String, NetworkFailure) {
    let chain = causes(err);
    let mut failure = classify(err.is_timeout(), err.is_connect(), &chain);
    let through_proxy = matches!(failure, NetworkFailure::Refused | NetworkFailure::Dns)
        || (failure == NetworkFailure::Other && err.is_connect());
    if proxy.is_some() && through_proxy {
        failure = NetworkFailure::Proxy;
    }
    let what = match (failure, proxy) {
        (NetworkFailure::Timeout, None) => format!("timed out after {} s", timeout.as_secs()),
        (NetworkFailure::Timeout, Some(proxy)) => {
            format!("timed out after {} s, through the proxy from {proxy}", timeout.as_secs())
        }
        (NetworkFailure::Dns, _) => "could not resolve the host name".to_string(),
        (NetworkFailure::Tls | NetworkFailure::TlsName, _) => "the TLS handshake failed".to_string(),
        (NetworkFailure::Refused, _) => "could not connect".to_string(),
        (NetworkFailure::Proxy, Some(proxy)) => format!("the connection through the proxy from {proxy} failed"),
        (NetworkFailure::Proxy, None) => "the connection through the proxy failed".to_string(),
        (NetworkFailure::Other, _) if err.is_connect() => "could not connect".to_string(),
        (NetworkFailure::Other, _) => "the request failed".to_string(),
    };
    // The innermost cause carries the useful text (refused, certificate, lookup);
    // reqwest's own message would repeat the URL. A timeout needs no cause.
    let detail = match chain.last() {
        _ if failure == NetworkFailure::Timeout => what,
        Some(last) if last.contains(&what) => last.clone(),
        Some(last) => format!("{what}: {last}"),
        None => what,
    };
    (detail, failure)
}

/// Sorts a transport error by the texts of its causes, outermost first.
fn classify(timeout: bool, connect: bool, chain: &[String]) -> NetworkFailure {
    let any = |needles: &[&str]| chain.iter().any(|c| needles.iter().any(|n| c.contains(n)));
    if timeout || any(&["timed out", "deadline has elapsed"]) {
        NetworkFailure::Timeout
    } else if any(&["dns error", "failed to lookup address", "Name or service not known"]) {
        NetworkFailure::Dns
    } else if any(&["not valid for name", "NotValidForName"]) {
        NetworkFailure::TlsName
    } else if any(&["certificate", "tls handshake", "TLS handshake", "rustls", "CorruptMessage", "InvalidContentType"])
    {
        NetworkFailure::Tls
    } else if any(&["tunnel", "proxy"]) {
        NetworkFailure::Proxy
    } else if connect && any(&["Connection refused", "connection refused"]) {
        NetworkFailure::Refused
    } else {
        NetworkFailure::Other
    }
}

/// Replaces the request's own credential in a server's error text. A proxy or
/// gateway may echo the `Authorization` header back in its error body.
fn redact(err: ApiError, bearer: Option<&Secret>) -> ApiError {
    let Some(secret) = bearer.filter(|s| !s.is_empty()) else { return err };
    let clean = |text: String| text.replace(secret.expose(), "<redacted>");
    match err {
        ApiError::Status { method, path, status, reason, message } => {
            ApiError::Status { method, path, status, reason: clean(reason), message: clean(message) }
        }
        other => other,
    }
}

/// Logs the response headers at trace level. `Set-Cookie`, `Authorization` and any
/// value that contains the request's credential are redacted.
fn log_headers(headers: &HeaderMap, bearer: Option<&Secret>) {
    if tracing::enabled!(tracing::Level::TRACE) {
        let echoes = |text: &str| bearer.is_some_and(|s| !s.is_empty() && text.contains(s.expose()));
        for (name, value) in headers {
            let text = value.to_str().unwrap_or("<binary>");
            let shown = if value.is_sensitive() || name == AUTHORIZATION || name == "set-cookie" || echoes(text) {
                "<redacted>"
            } else {
                text
            };
            tracing::trace!("< {name}: {shown}");
        }
    }
}

/// Logs the request line and headers at trace level, with `Authorization` redacted.
fn log_request(method: &Method, path: &str, bearer: bool) {
    tracing::trace!("> {method} /v4/{}", path.trim_start_matches('/'));
    if bearer {
        tracing::trace!("> authorization: Bearer <redacted>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_error_reads_screwdriver_body() {
        let body = br#"{"statusCode":409,"error":"Conflict","message":"Token with name a already exists"}"#;
        let err = status_error(&Method::POST, "/v4/tokens", 409, body);
        assert_eq!(err.status(), Some(409));
        assert_eq!(err.message(), "Token with name a already exists");
    }

    #[test]
    fn status_error_summarizes_html_body() {
        let err = status_error(&Method::GET, "/v4/tokens", 502, b"<html>Bad gateway</html>\nmore");
        assert!(err.is_html_reply());
        let err = status_error(&Method::GET, "/v4/tokens", 502, b"upstream connect error\nmore");
        assert_eq!(err.message(), "upstream connect error");
    }

    /// Serves one canned HTTP response per connection, in order, on a loopback port.
    fn serve(responses: Vec<&'static str>) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for response in responses {
                let (mut stream, _) = listener.accept().unwrap();
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut buffer).unwrap();
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buffer[..n]);
                }
                stream.write_all(response.as_bytes()).unwrap();
            }
        });
        url
    }

    const UNAVAILABLE: &str = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    const NOT_FOUND: &str = "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 71\r\nconnection: close\r\n\r\n{\"statusCode\":404,\"error\":\"Not Found\",\"message\":\"Token does not exist\"}";

    fn delete(url: &str) -> Result<Reply, ApiError> {
        let client = Client::new(ApiUrl::parse(url).unwrap(), Duration::from_secs(5), None).unwrap();
        client.send(Method::DELETE, "tokens/5", None, None, Retry::Idempotent)
    }

    #[test]
    fn delete_retry_finding_404_succeeds() {
        let url = serve(vec![UNAVAILABLE, NOT_FOUND]);
        assert!(delete(&url).is_ok());
    }

    #[test]
    fn delete_first_404_fails() {
        let url = serve(vec![NOT_FOUND]);
        assert_eq!(delete(&url).err().and_then(|e| e.status()), Some(404));
    }

    #[test]
    fn redact_removes_echoed_credential() {
        let secret = Secret::new("canary-3f9a1c");
        let body =
            br#"{"statusCode":401,"error":"Unauthorized canary-3f9a1c","message":"Bad token Bearer canary-3f9a1c"}"#;
        let err = redact(status_error(&Method::GET, "/v4/auth/token", 401, body), Some(&secret));
        let shown = err.to_string();
        assert!(!shown.contains("canary-3f9a1c"), "{shown}");
        assert!(shown.contains("Bearer <redacted>"), "{shown}");
    }

    #[test]
    fn json_error_detail_hides_quoted_values() {
        let err = serde_json::from_str::<u64>(r#""canary-3f9a1c""#).unwrap_err();
        let shown = without_quoted_values(&err.to_string());
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.starts_with("invalid type: string"), "{shown}");
    }

    /// A resolver that fails every lookup, so no test depends on a real DNS server.
    struct FailingResolver;

    impl reqwest::dns::Resolve for FailingResolver {
        fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
            Box::pin(async { Err(std::io::Error::other("no such host in this test").into()) })
        }
    }

    #[test]
    fn unresolvable_host_exits_8() {
        let base = ApiUrl::parse("https://api.sdtoken-test.invalid").unwrap();
        let mut client = Client::new(base, Duration::from_secs(5), None).unwrap();
        client.customize = Some(|builder| builder.no_proxy().dns_resolver(std::sync::Arc::new(FailingResolver)));
        let err = client.send(Method::GET, "tokens", None, None, Retry::Idempotent).err().expect("the request failed");
        let ApiError::Network { failure, detail, .. } = &err else { panic!("not a network error: {err}") };
        assert_eq!(*failure, NetworkFailure::Dns, "{detail}");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Network);
        let shown = err.to_string();
        assert!(shown.contains("could not resolve the host name"), "{shown}");
        assert!(!shown.contains("proxy"), "{shown}");
        assert!(shown.contains("no such host in this test"), "{shown}");
        assert!(shown.contains("(after 3 attempts)"), "{shown}");
        assert!(err.hint().unwrap().contains("host name in the API URL"));
    }

    #[test]
    fn classify_names_each_failure() {
        let cases = [
            (
                vec!["client error (Connect)", "tcp connect error", "Connection refused (os error 111)"],
                NetworkFailure::Refused,
            ),
            (vec!["client error (Connect)", "invalid peer certificate: UnknownIssuer"], NetworkFailure::Tls),
            (vec!["client error (Connect)", "dns error", "failed"], NetworkFailure::Dns),
            (vec!["client error (Connect)", "unsuccessful tunnel"], NetworkFailure::Proxy),
            (
                vec![
                    "invalid peer certificate: certificate not valid for name \"127.0.0.1\"; certificate is only valid for DnsName(\"x\")",
                ],
                NetworkFailure::TlsName,
            ),
            (vec!["connection reset by peer"], NetworkFailure::Other),
        ];
        for (chain, expected) in cases {
            let chain: Vec<String> = chain.into_iter().map(str::to_string).collect();
            assert_eq!(classify(false, true, &chain), expected, "{chain:?}");
        }
        assert_eq!(classify(true, false, &[]), NetworkFailure::Timeout);
    }

    #[test]
    fn bad_success_bodies_are_named() {
        let err = |body: &[u8]| describe_bad_body(body, &serde_json::from_slice::<Value>(body).unwrap_err());
        assert!(err(b"").contains("empty"));
        assert!(err(b"  <!DOCTYPE html><html>").contains("HTML page"));
        assert!(err(br#"{"token": "abc"#).contains("cut short"));
        assert!(err(b"token=abc").contains("not the expected JSON"));
    }

    #[test]
    fn retry_after_honours_small_values_only() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&headers), None);
    }
}
