//! Checking endpoint URLs (RFC 6749 §3.1, §3.2: an absolute URI, no fragment, TLS).
//!
//! The decision is made on a WHATWG parse — the one `fetch` and `node:http` connect to —
//! never on the text: a host that a string split sees differently from the transport
//! (`http://evil.example\.localhost/`, which WHATWG reads as host `evil.example`) is how
//! credentials leak in clear text. The core has no URL parser of its own: drivers hand it
//! one ([`UrlParser`]): the runtime's `URL` in JavaScript, the `url` crate on the host
//! ([`WhatwgUrl`], feature `url`).

use super::error::{Hint, OAuthError};
use crate::prelude::*;

/// What the checks read of a parsed URL, as a WHATWG parser gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts {
    /// The scheme, lower case, without the `:` (`https`).
    pub scheme: String,
    /// The host as WHATWG serializes it: a domain (lower case, IDNA applied), an IPv4
    /// address in dotted decimal, an IPv6 address in brackets; empty when there is none.
    pub host: String,
    /// Whether the URL carries a user name or a password.
    pub has_credentials: bool,
    /// Whether the URL has a fragment, even an empty one (`…#`).
    pub has_fragment: bool,
    /// The origin as WHATWG serializes it (`https://api.example:8443`); `null` when opaque.
    pub origin: String,
    /// The path as WHATWG serializes it (`/callback`).
    pub path: String,
    /// The query without its `?`; `None` when there is none or it is empty.
    pub query: Option<String>,
}

/// A WHATWG URL parser (<https://url.spec.whatwg.org/#concept-url-parser>), without a base.
pub trait UrlParser {
    /// The parts of `input`, or `None` when it is not an absolute URL.
    fn parse_url(&self, input: &str) -> Option<UrlParts>;
}

impl<F: Fn(&str) -> Option<UrlParts>> UrlParser for F {
    fn parse_url(&self, input: &str) -> Option<UrlParts> {
        self(input)
    }
}

/// The `url` crate's WHATWG parser: the host's [`UrlParser`] (tests, fuzzing, Rust code
/// off the web). In JavaScript runtimes the drivers use the runtime's own `URL`.
#[cfg(feature = "url")]
#[derive(Clone, Copy, Debug, Default)]
pub struct WhatwgUrl;

#[cfg(feature = "url")]
impl UrlParser for WhatwgUrl {
    fn parse_url(&self, input: &str) -> Option<UrlParts> {
        let url = url::Url::parse(input).ok()?;
        Some(UrlParts {
            scheme: url.scheme().to_owned(),
            host: url.host_str().unwrap_or_default().to_owned(),
            has_credentials: !url.username().is_empty() || url.password().is_some(),
            has_fragment: url.fragment().is_some(),
            origin: url.origin().ascii_serialization(),
            path: url.path().to_owned(),
            query: url.query().filter(|q| !q.is_empty()).map(str::to_owned),
        })
    }
}

/// The endpoint the option `field` names, or the `config` error saying it is required
/// `purpose` ("to revoke a token: the server's RFC 7009 endpoint").
pub fn required<'a>(field: &str, url: Option<&'a str>, purpose: &str) -> Result<&'a str, OAuthError> {
    url.ok_or_else(|| OAuthError::config(field, &crate::text::cat(&["is required ", purpose])))
}

/// Checks that `input` (the option `field`) is an absolute `https` URL — or `http` to a
/// loopback host ([`is_loopback`]), or any `http` when `allow_insecure_http` — with a host,
/// no user information and no fragment, as `urls` parses it. A query is kept as it is.
pub fn check(field: &str, input: &str, urls: &dyn UrlParser, allow_insecure_http: bool) -> Result<(), OAuthError> {
    if input.trim().is_empty() {
        return Err(OAuthError::config(field, "is required: an absolute URL"));
    }
    // WHATWG drops tabs and newlines and trims spaces silently; a URL that needs that is refused.
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(OAuthError::config(field, "must not contain spaces or control characters"));
    }
    let Some(url) = urls.parse_url(input) else {
        return Err(OAuthError::config(field, "must be an absolute URL such as https://auth.example.com/oauth/token"));
    };
    let https = url.scheme == "https";
    if !https && url.scheme != "http" {
        return Err(OAuthError::config(field, "must be an https URL"));
    }
    if url.has_fragment {
        return Err(OAuthError::config(field, "must not have a fragment (#…)"));
    }
    if url.has_credentials {
        return Err(OAuthError::config(
            field,
            "must not carry user information (user:pass@); use clientId and clientSecret",
        ));
    }
    if url.host.is_empty() {
        return Err(OAuthError::config(field, "has no host"));
    }
    if !https && !allow_insecure_http && !is_loopback(&url.host) {
        return Err(OAuthError::config(
            field,
            "must use https: http is allowed only for localhost, 127.0.0.0/8 and [::1] unless allowInsecureHttp is set",
        )
        .with(Hint {
            text: "a development server over plain http: set allowInsecureHttp (never in production)",
            about: &[("allowInsecureHttp", Some("true"))],
        }));
    }
    Ok(())
}

/// Loopback hosts, as a WHATWG parser serializes them: `localhost`, `127.0.0.0/8`, `[::1]`.
/// Not `*.localhost`: Node hands those names to the system resolver, which may answer
/// anything.
pub fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let mut octets = host.split('.');
    octets.next() == Some("127")
        && octets.clone().count() == 3
        && octets.all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks that a resource request made with the session's token (`manager.fetch`) goes
/// where a token may go (DESIGN §2 TokenManager): `https`, or `http` to a loopback host (or
/// anywhere with `allow_insecure_http`), and — when `resource_origins` is given — only to
/// one of those origins. `url` is the request URL as the runtime parses it (relative ones
/// against the page). The refusal is a `config` error: nothing was sent.
pub fn check_resource(
    url: Option<&UrlParts>,
    resource_origins: Option<&[String]>,
    allow_insecure_http: bool,
) -> Result<(), OAuthError> {
    const FIELD: &str = "fetch";
    let Some(url) = url else {
        return Err(OAuthError::config(FIELD, "needs a URL it can resolve (an absolute URL outside a page)"));
    };
    match url.scheme.as_str() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url.host) => {}
        _ => {
            return Err(OAuthError::config(
                FIELD,
                "sends the access token only over https (http only to localhost, 127.0.0.0/8 and [::1] unless \
                 allowInsecureHttp is set)",
            ))
        }
    }
    match resource_origins {
        Some(origins) if !origins.contains(&url.origin) => Err(OAuthError::config(
            FIELD,
            "sends the access token only to the origins in resourceOrigins, and this URL's origin is not one",
        )),
        _ => Ok(()),
    }
}

/// The origin of each of `origins` (the option `resourceOrigins`), as `urls` parses it:
/// each must be an absolute http(s) URL; a path is ignored.
pub fn resource_origins(origins: &[String], urls: &dyn UrlParser) -> Result<Vec<String>, OAuthError> {
    origins
        .iter()
        .map(|o| match urls.parse_url(o) {
            Some(u) if (u.scheme == "https" || u.scheme == "http") && !u.host.is_empty() => Ok(u.origin),
            _ => Err(OAuthError::config("resourceOrigins", "must list absolute URLs such as https://api.example.com")),
        })
        .collect()
}
