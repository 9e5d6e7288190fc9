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
    pub fn parse(text: &str) -> Result<ApiUrl, CliError> {
        let trimmed = text.trim();
        let fix = "use a URL such as `https://api.screwdriver.cd`";
        let shown = redact_userinfo(trimmed);
        let url = Url::parse(trimmed)
            .map_err(|e| CliError::usage(format!("invalid API URL `{shown}`: {e}")).with_hint(fix))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(CliError::usage(format!(
                "invalid API URL `{shown}`: the scheme must be https (or http for loopback)"
            ))
            .with_hint(fix));
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err(CliError::usage(format!("invalid API URL `{shown}`: it has no host")).with_hint(fix));
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CliError::usage(format!("invalid API URL `{shown}`: credentials in the URL are not accepted"))
                .with_hint("remove the user and password from the URL and log in with `sdtoken login`"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(CliError::usage(format!("invalid API URL `{shown}`: it must not have a query or fragment"))
                .with_hint(fix));
        }
        if url.scheme() == "http" && !is_loopback(host) {
            return Err(CliError::usage(format!(
                "refusing plain http for `{shown}`: tokens would cross the network unencrypted"
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

fn root_of(url: &Url) -> String {
    let mut path = url.path().trim_end_matches('/').to_string();
    if path.ends_with("/v4") {
        path.truncate(path.len() - 3);
    }
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

/// Replaces a password in a URL-like string with `****`, for error messages.
fn redact_userinfo(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("****"));
            url.to_string()
        }
        _ => text.to_string(),
    }
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
        for bad in ["sd.example.com", "ftp://sd.example.com", "https://", "https://h/?api_token=x", ""] {
            assert!(ApiUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_error_hides_password() {
        let err = ApiUrl::parse("https://u:canary@h.example").unwrap_err();
        assert!(!err.message.contains("canary"), "{}", err.message);
    }
}
