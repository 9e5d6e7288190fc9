//! The Screwdriver API base URL: parsing, normalisation and the loopback rule
//! for plain `http://`.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

use crate::error::CliError;

/// The public Screwdriver instance, used when no URL is configured anywhere.
pub const DEFAULT_API_URL: &str = "https://api.screwdriver.cd";

/// A normalised API base URL: scheme, host, optional port and path prefix,
/// without the `/v4` segment and without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiUrl {
    root: String,
}

impl ApiUrl {
    /// Parses `https://host`, `https://host/v4` or `https://host/v4/` (all the same server).
    /// Whitespace around the URL is ignored.
    pub fn parse(text: &str) -> Result<ApiUrl, CliError> {
        Self::parse_from(text, None)
    }

    /// Parses like `parse`; an error names `origin`, such as `SD_API_URL`, as the place to fix.
    pub fn parse_from(text: &str, origin: Option<&str>) -> Result<ApiUrl, CliError> {
        let trimmed = text.trim();
        let shown = redact_userinfo(trimmed);
        let origin = origin.map(|o| format!(" in `{o}`")).unwrap_or_default();
        let invalid = |reason: &str| CliError::usage(format!("invalid API URL `{shown}`{origin}: {reason}"));
        let fix = "use a URL such as `https://api.screwdriver.cd`";
        if trimmed.chars().any(char::is_whitespace) {
            return Err(invalid("it contains whitespace").with_hint("remove the whitespace from the URL"));
        }
        if !trimmed.contains("://") {
            return Err(invalid("it has no scheme").with_hint(format!("write the scheme too: `https://{shown}`")));
        }
        let url = Url::parse(trimmed).map_err(|e| invalid(&e.to_string()).with_hint(fix))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(invalid("the scheme must be https (or http for loopback)").with_hint(fix));
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err(invalid("it has no host").with_hint(fix));
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("credentials in the URL are not accepted")
                .with_hint("remove the user and password from the URL and log in with `sdtoken login`"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            let part = if url.query().is_some() { "a query (`?…`)" } else { "a fragment (`#…`)" };
            let mut bare = url.clone();
            bare.set_query(None);
            bare.set_fragment(None);
            return Err(invalid(&format!("it must not have {part}"))
                .with_hint(format!("remove everything from the `?` or `#` on, as in `{bare}`")));
        }
        // The root of `https://h/v4/v4` would read as `https://h` when parsed again.
        if prefix_of(&url).ends_with("/v4") {
            return Err(invalid("it ends in `/v4` twice").with_hint("give the URL with one `/v4` at most"));
        }
        if url.scheme() == "http" && !is_loopback(host) {
            return Err(CliError::usage(format!(
                "refusing plain http for `{shown}`{origin}: tokens would cross the network unencrypted"
            ))
            .with_hint("use https; plain http is accepted only for loopback hosts such as 127.0.0.1"));
        }
        Ok(ApiUrl { root: root_of(&url) })
    }

    /// The URL of `path` under `/v4/`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/v4/{}", self.root, path.trim_start_matches('/'))
    }

    /// The form builds use for `SD_API_URL`: the root followed by `/v4/`.
    pub fn v4(&self) -> String {
        format!("{}/v4/", self.root)
    }

    pub fn as_str(&self) -> &str {
        &self.root
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &str {
        self.root.split_once("://").map_or("https", |(scheme, _)| scheme)
    }
}

impl fmt::Display for ApiUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.root)
    }
}

/// Returns the path before the `/v4` segment, without trailing slashes: `/sd` for `https://h/sd/v4/`.
fn prefix_of(url: &Url) -> &str {
    let path = url.path().trim_end_matches('/');
    path.strip_suffix("/v4").map_or(path, |p| p.trim_end_matches('/'))
}

fn root_of(url: &Url) -> String {
    let path = prefix_of(url);
    let host = url.host_str().unwrap_or_default();
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() };
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{}{}", url.scheme(), host.to_ascii_lowercase(), port, path)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// Replaces a password in a URL-like string with `****` and the text of a
/// query with `…`, for error messages: both may contain a secret, such as
/// `?api_token=` in the URLs of older Screwdriver clients.
fn redact_userinfo(text: &str) -> String {
    let shown = match Url::parse(text) {
        Ok(url) if url.password().is_some() => with_password_masked(&url).to_string(),
        _ => text.to_string(),
    };
    match shown.split_once('?') {
        Some((before, after)) => {
            let fragment = after.find('#').map_or("", |i| &after[i..]);
            format!("{before}?…{fragment}")
        }
        None => shown,
    }
}

/// Returns `url` with its password, if any, replaced by `****`.
pub(super) fn with_password_masked(url: &Url) -> Url {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("****"));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_treats_v4_forms_as_one_server() {
        let forms = [
            "https://sd.example.com",
            "https://sd.example.com/",
            "https://sd.example.com/v4",
            "https://SD.example.com/v4/",
            "https://sd.example.com//v4//",
        ];
        for form in forms {
            let url = ApiUrl::parse(form).unwrap();
            assert_eq!(url.as_str(), "https://sd.example.com", "{form}");
            assert_eq!(url.v4(), "https://sd.example.com/v4/");
            assert_eq!(url.endpoint("tokens"), "https://sd.example.com/v4/tokens");
        }
    }

    #[test]
    fn parse_keeps_port_and_prefix() {
        let url = ApiUrl::parse("https://h.example:8443/sd/v4/").unwrap();
        assert_eq!(url.endpoint("/auth/token"), "https://h.example:8443/sd/v4/auth/token");
    }

    #[test]
    fn parse_accepts_http_only_for_loopback() {
        assert!(ApiUrl::parse("http://127.0.0.1:18080").is_ok());
        assert!(ApiUrl::parse("http://localhost:9").is_ok());
        assert!(ApiUrl::parse("http://[::1]:9/v4").is_ok());
        let err = ApiUrl::parse("http://sd.example.com").unwrap_err();
        assert!(err.message.contains("http://sd.example.com"), "{}", err.message);
    }

    #[test]
    fn parse_rejects_urls_without_scheme_or_host() {
        for bad in
            ["sd.example.com", "ftp://sd.example.com", "https://", "https://h/?api_token=x", "https://h/v4/v4", ""]
        {
            assert!(ApiUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_error_hides_password() {
        let err = ApiUrl::parse("https://u:canary@h.example").unwrap_err();
        assert!(!err.message.contains("canary"), "{}", err.message);
    }

    #[test]
    fn parse_error_hides_query() {
        let err = ApiUrl::parse("https://h.example/v4?api_token=canary#top").unwrap_err();
        assert!(!err.message.contains("canary"), "{}", err.message);
        assert!(err.message.contains("`https://h.example/v4?…#top`"), "{}", err.message);
        assert!(err.hint.as_deref().unwrap().contains("`https://h.example/v4`"), "{:?}", err.hint);
    }

    #[test]
    fn parse_without_scheme_suggests_https() {
        for text in ["sd.example.com", "localhost:8080", "127.0.0.1:9/v4/"] {
            let err = ApiUrl::parse_from(text, Some("SD_API_URL")).unwrap_err();
            assert!(err.message.contains(&format!("`{text}` in `SD_API_URL`: it has no scheme")), "{}", err.message);
            assert_eq!(err.hint.unwrap(), format!("write the scheme too: `https://{text}`"));
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Generates host names of 1 to 3 labels, in any letter case. Labels start
        /// with a letter, because a numeric host such as `0` is an IPv4 address.
        fn domain() -> impl Strategy<Value = String> {
            proptest::collection::vec("[a-zA-Z]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", 1..4).prop_map(|l| l.join("."))
        }

        /// Text shaped like an API URL, with the parts that normalisation treats specially.
        fn url_like() -> impl Strategy<Value = String> {
            let scheme = prop_oneof![Just("https://"), Just("http://"), Just("HTTPS://"), Just("ftp://"), Just("")];
            let host = prop_oneof![
                domain(),
                Just("127.0.0.1".to_string()),
                Just("localhost".to_string()),
                Just("[::1]".to_string()),
                Just("[2001:DB8::1]".to_string()),
                Just("user:pw@h.example".to_string()),
            ];
            let port = proptest::option::of(0..=65535u32).prop_map(|p| p.map(|p| format!(":{p}")).unwrap_or_default());
            let segment = prop_oneof![
                Just("v4".to_string()),
                Just("V4".to_string()),
                Just("".to_string()),
                Just(".".to_string()),
                Just("..".to_string()),
                Just("a%20b".to_string()),
                "[a-z0-9]{1,6}",
            ];
            let path = proptest::collection::vec(segment, 0..4).prop_map(|s| s.join("/"));
            let tail = prop_oneof![Just(""), Just("/"), Just("?x=1"), Just("#x"), Just(" ")];
            (scheme, host, port, any::<bool>(), path, tail).prop_map(|(scheme, host, port, slash, path, tail)| {
                let slash = if slash || !path.is_empty() { "/" } else { "" };
                format!("{scheme}{host}{port}{slash}{path}{tail}")
            })
        }

        proptest! {
            #[test]
            fn parse_never_panics(text in any::<String>()) {
                if let Ok(url) = ApiUrl::parse(&text) {
                    let _ = (url.endpoint("tokens"), url.v4(), url.to_string());
                }
            }

            #[test]
            fn parse_is_idempotent(text in url_like()) {
                if let Ok(url) = ApiUrl::parse(&text) {
                    prop_assert_eq!(ApiUrl::parse(url.as_str()).ok(), Some(url.clone()), "root of {}", text);
                    prop_assert_eq!(ApiUrl::parse(&url.v4()).ok(), Some(url.clone()), "v4 form of {}", text);
                }
            }

            #[test]
            fn parse_treats_v4_suffixes_alike(host in domain(), port in proptest::option::of(1024..=65535u16),
                                              prefix in proptest::collection::vec("[a-z0-9]{1,6}", 0..3)) {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let prefix: String = prefix.iter().map(|s| format!("/{s}")).collect();
                let base = format!("https://{host}{port}{prefix}");
                let plain = ApiUrl::parse(&base).unwrap();
                for form in [format!("{base}/"), format!("{base}/v4"), format!("{base}/v4/")] {
                    prop_assert_eq!(&ApiUrl::parse(&form).unwrap(), &plain, "{}", form);
                }
                let expected = format!("https://{}{port}{prefix}/v4/tokens", host.to_ascii_lowercase());
                prop_assert_eq!(plain.endpoint("tokens"), expected);
            }
        }
    }
}
