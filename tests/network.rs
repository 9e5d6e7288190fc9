//! Enterprise networks: a private certificate authority (`--ca-cert`,
//! `SSL_CERT_FILE`) in front of a local HTTPS server, and the proxy variables
//! (`HTTP(S)_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper and lower case) through a
//! forwarding proxy on 127.0.0.1. Every server here is started by the test on
//! loopback; the proxy only ever connects to 127.0.0.1.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use common::{Sandbox, unsigned_user_jwt};
use httpmock::MockServer;

const LIST: &str = r#"[{"id":1,"name":"through","lastUsed":""}]"#;
const LIST_ROW: &str = "1\tthrough\t\tnever\n";

/// Creates a sandbox whose runs send a user JWT (outside a build) to `url`.
fn sandbox_for(url: &str) -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_TOKEN", &unsigned_user_jwt()).set("SD_API_URL", url);
    sandbox
}

/// Reads an HTTP request head (request line and headers) and returns it with
/// the body's length, or `None` when the peer sent nothing usable.
fn read_head(reader: &mut impl BufRead) -> Option<(String, Vec<String>, usize)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end().to_string();
        if header.is_empty() {
            break;
        }
        if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        headers.push(header);
    }
    Some((line.trim_end().to_string(), headers, length))
}

// --- a private certificate authority and an HTTPS server it signed ---

/// An HTTPS server on 127.0.0.1 whose certificate (for `localhost` and
/// 127.0.0.1) a throwaway CA signed. It returns a JWT for the exchange and
/// `LIST` for every other request.
struct TlsServer {
    port: u16,
    ca_file: PathBuf,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl TlsServer {
    fn start() -> TlsServer {
        TlsServer::for_names(&["localhost"], true)
    }

    /// Starts a server whose certificate names `dns_names` and, when `loopback_ip`, 127.0.0.1.
    fn for_names(dns_names: &[&str], loopback_ip: bool) -> TlsServer {
        let (ca_pem, chain, key) = throwaway_ca_and_leaf(dns_names, loopback_ip);
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("private-ca.pem");
        std::fs::write(&ca_file, ca_pem).unwrap();
        let config = rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(chain, key).unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (counted, seen) = (connections.clone(), requests.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                counted.fetch_add(1, Ordering::SeqCst);
                let (config, seen) = (config.clone(), seen.clone());
                thread::spawn(move || serve_tls(stream, config, &seen));
            }
        });
        TlsServer { port, ca_file, connections, requests, _dir: dir }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Makes a CA certificate (PEM) and a leaf certificate chain and key signed by it.
fn throwaway_ca_and_leaf(
    dns_names: &[&str],
    loopback_ip: bool,
) -> (String, Vec<rustls::pki_types::CertificateDer<'static>>, rustls::pki_types::PrivateKeyDer<'static>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "sdtoken test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let names: Vec<String> = dns_names.iter().map(|n| n.to_string()).collect();
    let mut leaf_params = CertificateParams::new(names).unwrap();
    if loopback_ip {
        leaf_params.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
    leaf_params.distinguished_name.push(DnType::CommonName, dns_names[0]);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    (ca_cert.pem(), vec![leaf.der().clone()], key)
}

fn serve_tls(stream: TcpStream, config: Arc<rustls::ServerConfig>, seen: &Mutex<Vec<String>>) {
    let connection = rustls::ServerConnection::new(config).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut reader = BufReader::new(&mut tls);
    // A client that rejects the certificate ends the handshake here.
    let Some((line, _, length)) = read_head(&mut reader) else { return };
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body = if line.contains("/v4/auth/token") {
        format!(r#"{{"token":"{}"}}"#, unsigned_user_jwt())
    } else {
        LIST.to_string()
    };
    seen.lock().unwrap().push(line);
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(reply.as_bytes());
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

#[test]
fn untrusted_certificate_exits_8() {
    let server = TlsServer::start();
    let run = sandbox_for(&server.url()).run(&["list"], "");
    run.expect_code(8);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("TLS handshake failed"), "{}", run.stderr);
    assert!(run.stderr.contains("certificate"), "{}", run.stderr);
    assert!(run.stderr.contains("--ca-cert FILE"), "{}", run.stderr);
    assert!(run.stderr.contains("SSL_CERT_FILE"), "{}", run.stderr);
    assert_eq!(server.connections(), 1, "a certificate failure is not retried");
    assert!(server.requests().is_empty());
}

#[test]
fn ca_cert_option_trusts_a_private_authority() {
    let server = TlsServer::start();
    let ca = server.ca_file.to_str().unwrap();
    let run = sandbox_for(&server.url()).run(&["--ca-cert", ca, "list"], "");
    run.success();
    assert_eq!(run.stdout, LIST_ROW);
    assert_eq!(server.requests(), ["GET /v4/tokens HTTP/1.1"]);
}

#[test]
fn ssl_cert_file_trusts_a_private_authority() {
    let server = TlsServer::start();
    let mut sandbox = sandbox_for(&server.url());
    sandbox.set("SSL_CERT_FILE", server.ca_file.to_str().unwrap());
    let run = sandbox.run(&["list"], "");
    run.success();
    assert_eq!(run.stdout, LIST_ROW);
}

#[test]
fn ca_cert_for_host_name_matches_certificate() {
    let server = TlsServer::start();
    let url = format!("https://localhost:{}", server.port);
    let run = sandbox_for(&url).run(&["--ca-cert", server.ca_file.to_str().unwrap(), "list"], "");
    run.success();
    assert_eq!(run.stdout, LIST_ROW);
}

#[test]
fn unreadable_ca_cert_exits_2() {
    let server = TlsServer::start();
    let sandbox = sandbox_for(&server.url());
    let missing = sandbox.path("no-such-ca.pem");
    let run = sandbox.run(&["--ca-cert", missing.to_str().unwrap(), "list"], "");
    run.expect_code(2);
    assert!(run.stderr.contains("no-such-ca.pem"), "{}", run.stderr);
    assert!(run.stderr.contains("--ca-cert"), "{}", run.stderr);

    let not_pem = sandbox.path("not-a-cert.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let run = sandbox.run(&["--ca-cert", not_pem.to_str().unwrap(), "list"], "");
    run.expect_code(2);
    assert!(run.stderr.contains("not-a-cert.pem"), "{}", run.stderr);
    assert!(run.stderr.contains("PEM"), "{}", run.stderr);
    assert_eq!(server.connections(), 0);
}

// --- proxies ---

/// A forwarding proxy on 127.0.0.1: absolute-form requests (`GET http://…`) are
/// passed to the origin, `CONNECT` opens a tunnel. Whatever host a request
/// names, the proxy connects to 127.0.0.1 at the named port, so no test traffic
/// leaves the machine. It records each request line it received, followed by
/// any `Proxy-Authorization` value in brackets.
struct ForwardProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    fn start() -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let log = log.clone();
                thread::spawn(move || forward(stream, &log));
            }
        });
        ForwardProxy { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn forward(client: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let Some((line, headers, length)) = read_head(&mut reader) else { return };
    let credentials = headers.iter().find(|h| h.to_ascii_lowercase().starts_with("proxy-authorization:"));
    let entry = match credentials {
        Some(header) => format!("{line} [{}]", header.split_once(':').map_or("", |(_, v)| v.trim())),
        None => line.clone(),
    };
    seen.lock().unwrap().push(entry);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut client = client;
    if method == "CONNECT" {
        let port = target.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()).unwrap();
        let upstream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
        tunnel(reader, client, upstream);
        return;
    }
    // `GET http://host:port/path HTTP/1.1` becomes `GET /path HTTP/1.1` to 127.0.0.1:port.
    let rest = target.split_once("://").map_or(target, |(_, rest)| rest);
    let (authority, path) = rest.split_once('/').map_or((rest, "".to_string()), |(a, p)| (a, format!("/{p}")));
    let port = authority.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()).unwrap_or(80);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();

    let mut upstream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for header in headers.iter().filter(|h| {
        let lower = h.to_ascii_lowercase();
        !lower.starts_with("connection:") && !lower.starts_with("proxy-")
    }) {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes()).unwrap();
    upstream.write_all(&body).unwrap();

    let mut reply = Vec::new();
    let _ = upstream.read_to_end(&mut reply);
    let _ = client.write_all(&reply);
    let _ = client.shutdown(Shutdown::Both);
}

/// Copies bytes both ways until either side closes.
fn tunnel(mut from_client: BufReader<TcpStream>, mut client: TcpStream, upstream: TcpStream) {
    let mut to_upstream = upstream.try_clone().unwrap();
    let mut from_upstream = upstream;
    let back = thread::spawn(move || {
        let _ = std::io::copy(&mut from_upstream, &mut client);
        let _ = client.shutdown(Shutdown::Both);
    });
    let _ = std::io::copy(&mut from_client, &mut to_upstream);
    let _ = to_upstream.shutdown(Shutdown::Both);
    let _ = back.join();
}

/// Starts a plain-HTTP API on 127.0.0.1 that serves `GET /v4/tokens`.
fn plain_api() -> MockServer {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method("GET").path("/v4/tokens");
        then.status(200).header("content-type", "application/json").body(LIST);
    });
    server
}

#[test]
fn http_proxy_variables_carry_plain_http_requests() {
    for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        let api = plain_api();
        let proxy = ForwardProxy::start();
        let mut sandbox = sandbox_for(&api.base_url());
        sandbox.set(variable, &proxy.url());
        let run = sandbox.run(&["list"], "");
        run.success();
        assert_eq!(run.stdout, LIST_ROW, "{variable}");
        assert_eq!(proxy.seen(), [format!("GET {}/v4/tokens HTTP/1.1", api.base_url())], "{variable}");
    }
}

#[test]
fn https_proxy_variables_tunnel_tls_requests() {
    for variable in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        let server = TlsServer::start();
        let proxy = ForwardProxy::start();
        let mut sandbox = sandbox_for(&server.url());
        sandbox.set(variable, &proxy.url());
        let run = sandbox.run(&["--ca-cert", server.ca_file.to_str().unwrap(), "list"], "");
        run.success();
        assert_eq!(run.stdout, LIST_ROW, "{variable}");
        assert_eq!(proxy.seen(), [format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.port)], "{variable}");
        assert_eq!(server.requests(), ["GET /v4/tokens HTTP/1.1"], "{variable}");
    }
}

#[test]
fn no_proxy_match_sends_requests_directly() {
    let cases = [
        ("NO_PROXY", "localhost", "localhost"),
        ("no_proxy", "localhost", "localhost"),
        ("NO_PROXY", ".localhost", "localhost"),
        ("NO_PROXY", "example.test, localhost:1, 127.0.0.1", "127.0.0.1"),
        ("NO_PROXY", "127.0.0.0/8", "127.0.0.1"),
        ("NO_PROXY", "*", "127.0.0.1"),
        ("NO_PROXY", "*", "localhost"),
    ];
    for (variable, value, host) in cases {
        let api = plain_api();
        let proxy = ForwardProxy::start();
        let mut sandbox = sandbox_for(&format!("http://{host}:{}", api.port()));
        sandbox.set("HTTP_PROXY", &proxy.url()).set("HTTPS_PROXY", &proxy.url()).set(variable, value);
        let run = sandbox.run(&["list"], "");
        run.success();
        assert_eq!(run.stdout, LIST_ROW, "{variable}={value}");
        assert!(proxy.seen().is_empty(), "{variable}={value} for {host} went through the proxy: {:?}", proxy.seen());
    }
}

#[test]
fn no_proxy_without_match_keeps_the_proxy() {
    let cases =
        [("other.test", "localhost"), (".other.test", "localhost"), ("host", "localhost"), ("10.0.0.1", "127.0.0.1")];
    for (value, host) in cases {
        let api = plain_api();
        let proxy = ForwardProxy::start();
        let mut sandbox = sandbox_for(&format!("http://{host}:{}", api.port()));
        sandbox.set("HTTP_PROXY", &proxy.url()).set("NO_PROXY", value);
        let run = sandbox.run(&["list"], "");
        run.success();
        assert_eq!(proxy.seen().len(), 1, "NO_PROXY={value} should not match {host}");
    }
}

#[test]
fn refusing_proxy_exits_8() {
    let server = TlsServer::start();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut sandbox = sandbox_for(&server.url());
    sandbox.set("HTTPS_PROXY", &format!("http://user:proxy-secret-71c2@127.0.0.1:{closed}"));
    let run = sandbox.run(&["list"], "");
    run.expect_code(8);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("HTTPS_PROXY"), "{}", run.stderr);
    assert!(!run.stderr.contains("proxy-secret-71c2"), "the proxy password was shown: {}", run.stderr);
    assert_eq!(server.connections(), 0);
}

#[test]
fn unusable_proxy_exits_2() {
    for value in ["not a url", "ftp://127.0.0.1:3", "http://127.0.0.1:99999", "socks5://127.0.0.1:1080"] {
        let server = TlsServer::start();
        let mut sandbox = sandbox_for(&server.url());
        sandbox.set("https_proxy", value);
        let run = sandbox.run(&["list"], "");
        run.expect_code(2);
        assert!(run.stdout.is_empty());
        assert!(run.stderr.contains("https_proxy"), "{}", run.stderr);
        assert!(run.stderr.contains("is not a usable proxy"), "{}", run.stderr);
        assert!(run.stderr.contains("unset it"), "{}", run.stderr);
        assert_eq!(server.connections(), 0, "{value}");
    }
}

#[test]
fn missing_ssl_cert_file_exits_2() {
    let server = TlsServer::start();
    let mut sandbox = sandbox_for(&server.url());
    let missing = sandbox.path("gone.pem");
    sandbox.set("SSL_CERT_FILE", missing.to_str().unwrap());
    let run = sandbox.run(&["list"], "");
    run.expect_code(2);
    assert!(run.stderr.contains("SSL_CERT_FILE"), "{}", run.stderr);
    assert!(run.stderr.contains("gone.pem"), "{}", run.stderr);
    assert_eq!(server.connections(), 0);
}

#[test]
fn certificate_for_other_host_exits_8() {
    let server = TlsServer::for_names(&["api.other.test"], false);
    let run = sandbox_for(&server.url()).run(&["--ca-cert", server.ca_file.to_str().unwrap(), "list"], "");
    run.expect_code(8);
    assert!(run.stderr.contains("not valid for name"), "{}", run.stderr);
    assert!(run.stderr.contains("issued for another host name"), "{}", run.stderr);
    assert_eq!(server.connections(), 1, "a certificate failure is not retried");
}

#[test]
fn proxy_value_with_whitespace_is_trimmed() {
    for value in ["{url} ", " {url}", "{url}\n"] {
        let server = TlsServer::start();
        let proxy = ForwardProxy::start();
        let mut sandbox = sandbox_for(&server.url());
        sandbox.set("HTTPS_PROXY", &value.replace("{url}", &proxy.url()));
        let run = sandbox.run(&["--ca-cert", server.ca_file.to_str().unwrap(), "list"], "");
        run.success();
        assert_eq!(proxy.seen().len(), 1, "{value:?} was not used");
    }
}

#[test]
fn refusing_http_proxy_is_named() {
    let api = plain_api();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut sandbox = sandbox_for(&api.base_url());
    sandbox.set("http_proxy", &format!("127.0.0.1:{closed}"));
    let run = sandbox.run(&["list"], "");
    run.expect_code(8);
    assert!(
        run.stderr.contains(&format!("through the proxy from http_proxy (http://127.0.0.1:{closed})")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("check the proxy settings"), "{}", run.stderr);
}

#[test]
fn proxy_wanting_credentials_exits_8() {
    let api = plain_api();
    let proxy = MockServer::start();
    proxy.mock(|_, then| {
        then.status(407).header("proxy-authenticate", "Basic realm=\"corp\"").body("<html>auth</html>");
    });
    let mut sandbox = sandbox_for(&api.base_url());
    sandbox.set("HTTP_PROXY", &format!("http://alice:wrong-71c2@127.0.0.1:{}", proxy.port()));
    let run = sandbox.run(&["list"], "");
    run.expect_code(8);
    assert!(run.stderr.contains("407"), "{}", run.stderr);
    assert!(run.stderr.contains("percent-encoding"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong-71c2"), "{}", run.stderr);
}

#[test]
fn empty_trust_store_variables_count_as_unset() {
    let api = plain_api();
    let mut sandbox = sandbox_for(&api.base_url());
    sandbox.set("SSL_CERT_FILE", "").set("SSL_CERT_DIR", "");
    sandbox.run(&["list"], "").success();
}

#[test]
fn ssl_cert_file_without_certificates_exits_2() {
    let server = TlsServer::start();
    let mut sandbox = sandbox_for(&server.url());
    let junk = sandbox.path("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    sandbox.set("SSL_CERT_FILE", junk.to_str().unwrap());
    let run = sandbox.run(&["list"], "");
    run.expect_code(2);
    assert!(run.stderr.contains("junk.pem"), "{}", run.stderr);
    assert!(run.stderr.contains("no PEM certificate"), "{}", run.stderr);
    assert_eq!(server.connections(), 0);
}

#[test]
fn login_remembers_ca_cert_for_the_context() {
    let server = TlsServer::start();
    let sandbox = Sandbox::new();
    let ca = server.ca_file.to_str().unwrap();
    let login = ["login", "--with-token", "--api-url", &server.url(), "--ca-cert", ca];
    sandbox.run(&login, "api-token-for-ca-test").success();
    let run = sandbox.run(&["list"], "");
    run.success();
    assert_eq!(run.stdout, LIST_ROW);
    let config = std::fs::read_to_string(sandbox.path("config/sdtoken/config.toml")).unwrap();
    assert!(config.contains(&format!("ca-cert = \"{ca}\"")), "{config}");
}

#[test]
fn sdtoken_ca_cert_variable_trusts_a_private_authority() {
    let server = TlsServer::start();
    let mut sandbox = sandbox_for(&server.url());
    sandbox.set("SDTOKEN_CA_CERT", server.ca_file.to_str().unwrap());
    sandbox.run(&["list"], "").success();
}

#[test]
fn proxy_credentials_are_sent_to_the_proxy() {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode("alice:p@ss");
    for (variable, secure) in [("HTTP_PROXY", false), ("HTTPS_PROXY", true)] {
        let server = TlsServer::start();
        let api = plain_api();
        let proxy = ForwardProxy::start();
        let url = if secure { server.url() } else { api.base_url() };
        let mut sandbox = sandbox_for(&url);
        sandbox.set(variable, &proxy.url().replace("http://", "http://alice:p%40ss@"));
        let run = sandbox.run(&["--ca-cert", server.ca_file.to_str().unwrap(), "list"], "");
        run.success();
        let seen = proxy.seen();
        assert_eq!(seen.len(), 1, "{variable}: {seen:?}");
        assert!(seen[0].ends_with(&format!("[Basic {encoded}]")), "{variable}: {seen:?}");
    }
}
