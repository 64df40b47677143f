//! Token introspection (RFC 7662): what the server says about a token. The request is built
//! by [`crate::request::build_introspection_request_with`]; the answer is read here.

use crate::error::{ErrorKind, OAuthError};
use crate::json::{is_whole, Value};
use crate::prelude::*;
use crate::response::{parse_token_response, ResponseContext, MAX_RESPONSE_BYTES};
use crate::text::{cat, digits};

/// The server's answer about a token (RFC 7662 §2.2). Members of another type than the RFC's
/// are left out (they stay in `raw`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Introspection {
    /// Whether the token is active (issued by this server, not expired, not revoked).
    pub active: bool,
    /// Space-separated scopes.
    pub scope: Option<String>,
    /// The client the token was issued to.
    pub client_id: Option<String>,
    /// The resource owner's human-readable name.
    pub username: Option<String>,
    /// The token's type (`Bearer` …).
    pub token_type: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: Option<u64>,
    /// Issued at, seconds since the epoch.
    pub iat: Option<u64>,
    /// Not before, seconds since the epoch.
    pub nbf: Option<u64>,
    /// The subject.
    pub sub: Option<String>,
    /// The audiences (a single string becomes one).
    pub aud: Vec<String>,
    /// The issuer.
    pub iss: Option<String>,
    /// The token's identifier.
    pub jti: Option<String>,
    /// Every member the server sent.
    pub raw: Value,
}

/// Reads an introspection endpoint's answer: a 2xx must be a JSON object with a boolean
/// `active` (else kind `invalid_response`, naming the field); an `error` object, or any
/// other status, is read as the token endpoint's errors are (`oauth`, `http` …).
pub fn parse_introspection_response(
    status: u16,
    body: &str,
    cx: &ResponseContext,
    parse_json: impl Fn(&str) -> Option<Value>,
) -> Result<Introspection, OAuthError> {
    let success = (200..300).contains(&status) && body.len() <= MAX_RESPONSE_BYTES;
    let text = body.strip_prefix('\u{feff}').unwrap_or(body);
    let parsed = if success { parse_json(text) } else { None };
    let obj = match parsed {
        Some(v @ Value::Object(_)) if v.field("error").and_then(Value::as_str).is_none_or(str::is_empty) => v,
        // An error object at a 2xx, a non-2xx, an oversized body: as the token endpoint's errors.
        Some(Value::Object(_)) | None if !success || parsed.is_some() => {
            return match parse_token_response(status, body, cx, parse_json) {
                Err(e) => Err(e),
                Ok(_) => Err(invalid(status, None, "is a token response, not an introspection")),
            }
        }
        _ => return Err(invalid(status, None, "is not a JSON object")),
    };
    let text_of = |k: &str| obj.field(k).and_then(Value::as_str).map(str::to_owned);
    let seconds = |k: &str| match obj.field(k) {
        Some(Value::Number(n)) if is_whole(*n) && *n >= 0.0 => Some(*n as u64),
        _ => None,
    };
    let active = match obj.field("active") {
        Some(Value::Bool(b)) => *b,
        _ => return Err(invalid(status, Some("active"), "has no boolean active")),
    };
    let aud = match obj.field("aud") {
        Some(Value::String(s)) => alloc::vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    Ok(Introspection {
        active,
        scope: text_of("scope"),
        client_id: text_of("client_id"),
        username: text_of("username"),
        token_type: text_of("token_type"),
        exp: seconds("exp"),
        iat: seconds("iat"),
        nbf: seconds("nbf"),
        sub: text_of("sub"),
        aud,
        iss: text_of("iss"),
        jti: text_of("jti"),
        raw: obj,
    })
}

fn invalid(status: u16, field: Option<&str>, problem: &str) -> OAuthError {
    let mut e = OAuthError::new(
        ErrorKind::InvalidResponse,
        cat(&["introspection response (HTTP ", &digits(status as u64), ") ", problem]),
    );
    e.status = Some(status);
    e.field = field.map(str::to_owned);
    e
}
