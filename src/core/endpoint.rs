//! Checking the token endpoint URL (RFC 6749 §3.2: an absolute URI, no fragment, TLS).

use super::error::{find, OAuthError};
use crate::prelude::*;

const FIELD: &str = "tokenEndpoint";

/// Checks that `url` is an absolute `https` URL — or `http` to a loopback host
/// (`localhost`, `127.0.0.0/8`, `[::1]`), or any `http` when `allow_insecure_http` —
/// with a host, no user information and no fragment. A query is kept as it is.
pub fn check(url: &str, allow_insecure_http: bool) -> Result<(), OAuthError> {
    if url.trim().is_empty() {
        return Err(OAuthError::config(FIELD, "is required: the token endpoint's absolute URL"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(OAuthError::config(FIELD, "must not contain spaces or control characters"));
    }
    let split = find(url, "://").and_then(|at| Some((url.get(..at)?, url.get(at + 3..)?)));
    let Some((scheme, rest)) = split else {
        return Err(OAuthError::config(FIELD, "must be an absolute URL such as https://auth.example.com/oauth/token"));
    };
    let https = scheme.eq_ignore_ascii_case("https");
    if !https && !scheme.eq_ignore_ascii_case("http") {
        return Err(OAuthError::config(FIELD, "must be an https URL"));
    }
    if url.contains('#') {
        return Err(OAuthError::config(FIELD, "must not have a fragment (#…)"));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(OAuthError::config(
            FIELD,
            "must not carry user information (user:pass@); use clientId and clientSecret",
        ));
    }
    let host = host_of(authority).ok_or_else(|| OAuthError::config(FIELD, "has no valid host and port"))?;
    if !https && !allow_insecure_http && !is_loopback(host) {
        return Err(OAuthError::config(
            FIELD,
            "must use https: http is allowed only for localhost, 127.0.0.0/8 and [::1] unless allowInsecureHttp is set",
        ));
    }
    Ok(())
}

/// The host of an authority `host[:port]`, or `None` when the port is not a port.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            // "[" + address + "]", then nothing or ":port"
            let (host, after) = authority.split_at_checked(v6.find(']')? + 2)?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return None;
    }
    if let Some(port) = port {
        let valid = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
        if !valid || port.parse::<u32>().ok()? > 65535 {
            return None;
        }
    }
    Some(host)
}

/// Loopback hosts: `localhost` (and `*.localhost`), `127.0.0.0/8`, `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    let lower = host.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") || lower == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = lower.split('.').collect();
    octets.len() == 4
        && octets.first() == Some(&"127")
        && octets.iter().all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()))
}
