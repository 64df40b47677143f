//! Turning the token endpoint's answer into a [`TokenSet`] or an [`OAuthError`]
//! (RFC 6749 §5.1, §5.2), with the quirks of real servers tolerated and reported.

use super::config::Secret;
use super::error::{ErrorKind, Hint, OAuthError};
use super::json::Value;
use super::text::{cat, digits, find, join};
use crate::prelude::*;

/// What replaces a token or secret in an error.
const REDACTED: &str = "[redacted]";
/// The members holding a vendor's human-readable error title and message, by default.
const DEFAULT_HUMAN_FIELDS: (&str, &str) = ("error_human_title", "error_human_message");
/// Longest response excerpt attached to an error, in bytes.
pub const MAX_BODY_EXCERPT: usize = 2048;
/// Longest lifetime used to compute `expires_at`: ten years. Longer `expires_in` values
/// are kept as sent in `expires_in` but cannot push `expires_at` past this.
pub const MAX_LIFETIME_SECS: u64 = 10 * 366 * 24 * 3600;
/// Longest `error_description` quoted in an error message, in characters.
const MAX_QUOTED: usize = 200;
/// Members whose values are never copied into an error: tokens, and the request's secrets
/// should a server echo them back.
const TOKEN_FIELDS: &[&str] =
    &["access_token", "refresh_token", "id_token", "password", "client_secret", "partner_secret", "assertion"];

/// A non-standard thing a server did that the parser tolerated (and that `strict` refuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Quirk {
    /// `expires_in` was a numeric string (Azure AD v1, SAP).
    ExpiresInString,
    /// `expires_in` had a fraction; it was rounded down.
    ExpiresInFraction,
    /// `token_type` was missing; `Bearer` was assumed (LinkedIn, VK, Slack).
    TokenTypeMissing,
    /// An error object came with a 2xx status (GitHub).
    ErrorWithSuccessStatus,
    /// Success came with a 2xx status other than 200.
    #[cfg_attr(feature = "serde", serde(rename = "success_status_not_200"))]
    SuccessStatusNot200,
    /// The JSON body was not labelled `application/json`.
    ContentTypeNotJson,
    /// A success response carried `WWW-Authenticate`.
    WwwAuthenticateOnSuccess,
    /// `expires_at` came from `expires` (UNIX time, Teen Quotes) for lack of `expires_in`.
    ExpiresUnixTime,
    /// `refresh_token` was an empty string; taken as absent.
    RefreshTokenEmpty,
    /// `scope` was an array; it was joined with spaces.
    ScopeArray,
    /// The body began with a UTF-8 byte order mark.
    ByteOrderMark,
}

impl Quirk {
    /// The name reported in `quirks`.
    pub fn as_str(self) -> &'static str {
        match self {
            Quirk::ExpiresInString => "expires_in_string",
            Quirk::ExpiresInFraction => "expires_in_fraction",
            Quirk::TokenTypeMissing => "token_type_missing",
            Quirk::ErrorWithSuccessStatus => "error_with_success_status",
            Quirk::SuccessStatusNot200 => "success_status_not_200",
            Quirk::ContentTypeNotJson => "content_type_not_json",
            Quirk::WwwAuthenticateOnSuccess => "www_authenticate_on_success",
            Quirk::ExpiresUnixTime => "expires_unix_time",
            Quirk::RefreshTokenEmpty => "refresh_token_empty",
            Quirk::ScopeArray => "scope_array",
            Quirk::ByteOrderMark => "byte_order_mark",
        }
    }
}

/// A successful token response.
///
/// With feature `serde` it reads and writes the JavaScript `TokenSet` shape (camelCase).
#[derive(Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[non_exhaustive]
pub struct TokenSet {
    /// `access_token`.
    pub access_token: Secret,
    /// `token_type` as sent (compare case-insensitively); `Bearer` when missing.
    pub token_type: String,
    /// `expires_in` in seconds, as sent.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub expires_in: Option<u64>,
    /// Milliseconds since the epoch: the request time plus `expires_in`, else from `expires`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub expires_at: Option<u64>,
    /// `refresh_token`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub refresh_token: Option<Secret>,
    /// `scope` as granted.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub scope: Option<String>,
    /// Every member the server sent, unknown ones included.
    #[cfg_attr(feature = "serde", serde(default))]
    pub raw: Value,
    /// What the server did that the RFC does not allow, tolerated.
    #[cfg_attr(feature = "serde", serde(default))]
    pub quirks: Vec<Quirk>,
}

/// `Debug` redacts the tokens and the raw body.
impl core::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .field("raw", &self.raw)
            .field("quirks", &self.quirks)
            .finish()
    }
}

/// What the parser needs besides status and body.
#[derive(Clone, Copy, Debug)]
pub struct ResponseContext<'a> {
    /// When the request was sent, in milliseconds since the epoch (the core reads no clock).
    pub now_ms: u64,
    /// Response headers; names compare case-insensitively.
    pub headers: &'a [(String, String)],
    /// Refuse every [`Quirk`] instead of tolerating it.
    pub strict: bool,
    /// The members holding a vendor's human-readable title and message.
    pub human_fields: Option<(&'a str, &'a str)>,
}

impl<'a> ResponseContext<'a> {
    /// A context at `now_ms` with no headers, tolerant, default human fields.
    pub fn at(now_ms: u64) -> Self {
        ResponseContext { now_ms, headers: &[], strict: false, human_fields: None }
    }

    /// The first header called `name`.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Largest response body read, in bytes: a token response is a few hundred bytes; reading
/// stops here so a hostile or broken server cannot exhaust memory.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// The error for a body longer than [`MAX_RESPONSE_BYTES`].
pub fn oversized_error(status: u16, content_type: Option<&str>) -> OAuthError {
    let limit = digits((MAX_RESPONSE_BYTES / 1024) as u64);
    let success = (200..300).contains(&status);
    let kind = if success { ErrorKind::InvalidResponse } else { ErrorKind::Http };
    let mut e = OAuthError::new(
        kind,
        cat(&["token endpoint answered HTTP ", &digits(status as u64), " with a body over ", &limit, " KiB; not read"]),
    )
    .with(Hint { text: "a token response is small: check tokenEndpoint", about: TOKEN_ENDPOINT });
    e.status = Some(status);
    e.content_type = content_type.map(str::to_owned);
    e
}

/// Parses a token endpoint response (a body over [`MAX_RESPONSE_BYTES`] is refused unread). `parse_json` turns text into a [`Value`] (or `None`
/// when it is not JSON): [`crate::json::parse`], or a caller's own.
pub fn parse_token_response(
    status: u16,
    body: &str,
    cx: &ResponseContext,
    parse_json: impl FnOnce(&str) -> Option<Value>,
) -> Result<TokenSet, OAuthError> {
    // The transports stop reading here; every other entry point is held to the same bound.
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(oversized_error(status, cx.header("content-type")));
    }
    let mut quirks = Vec::new();
    let text = match body.strip_prefix('\u{feff}') {
        Some(rest) => {
            quirks.push(Quirk::ByteOrderMark);
            rest
        }
        None => body,
    };
    let success = (200..300).contains(&status);
    let parsed = if text.trim().is_empty() { None } else { parse_json(text) };
    let failure = Failure { status, text, cx, content_type: cx.header("content-type"), success };
    let obj = match parsed {
        Some(v @ Value::Object(_)) => v,
        Some(v) if success => return Err(failure.invalid(None, "is JSON but not an object", quirks, Some(&v))),
        None if success && text.trim().is_empty() => {
            return Err(failure.invalid(None, "has an empty body", quirks, None))
        }
        None if success => return Err(failure.invalid(None, "is not JSON", quirks, None)),
        _ => return Err(failure.http(None, quirks)),
    };
    if let Some(code) = obj.field("error").and_then(Value::as_str).filter(|c| !c.is_empty()) {
        let code = code.to_owned();
        if success {
            quirks.push(Quirk::ErrorWithSuccessStatus);
        }
        return Err(failure.oauth(code, obj, quirks));
    }
    if !success {
        return Err(failure.http(Some(obj), quirks));
    }
    if status != 200 {
        quirks.push(Quirk::SuccessStatusNot200);
    }
    // Without any headers (a caller that did not pass them) nothing can be said of the type.
    if !cx.headers.is_empty() && !failure.content_type.is_some_and(is_json_media_type) {
        quirks.push(Quirk::ContentTypeNotJson);
    }
    if cx.header("www-authenticate").is_some() {
        quirks.push(Quirk::WwwAuthenticateOnSuccess);
    }
    success_fields(obj, quirks, &failure)
}

/// Reads the revocation endpoint's answer (RFC 7009 §2.2): any 2xx is success — the token
/// is invalid now, or was (a server that sends an `error` object with a 2xx is still read as
/// failing); anything else is read as the token endpoint's errors are: an OAuth error body
/// (`unsupported_token_type`, `invalid_client`) → kind `oauth`, a 503 with `Retry-After` →
/// kind `http` with `retry_after`.
pub fn parse_revocation_response(
    status: u16,
    body: &str,
    cx: &ResponseContext,
    parse_json: impl Fn(&str) -> Option<Value>,
) -> Result<(), OAuthError> {
    if (200..300).contains(&status) && body.len() <= MAX_RESPONSE_BYTES {
        let text = body.strip_prefix('\u{feff}').unwrap_or(body);
        let error = !text.trim().is_empty()
            && parse_json(text)
                .is_some_and(|v| v.field("error").and_then(Value::as_str).is_some_and(|c| !c.is_empty()));
        if !error {
            return Ok(());
        }
    }
    parse_token_response(status, body, cx, parse_json).map(|_| ())
}

/// Reads the members of a 2xx JSON object.
fn success_fields(obj: Value, mut quirks: Vec<Quirk>, failure: &Failure) -> Result<TokenSet, OAuthError> {
    let invalid = |field: Option<&str>, problem: &str, quirks| failure.invalid(field, problem, quirks, Some(&obj));
    let access_token = match obj.field("access_token") {
        None => return Err(invalid(Some("access_token"), "has no access_token", quirks)),
        Some(Value::String(t)) if !t.is_empty() && t.bytes().all(|b| (0x20..0x7f).contains(&b)) => t.clone(),
        Some(_) => {
            return Err(invalid(
                Some("access_token"),
                "has an access_token that is not a non-empty string of printable ASCII",
                quirks,
            ))
        }
    };
    let token_type = match obj.field("token_type") {
        None => {
            quirks.push(Quirk::TokenTypeMissing);
            "Bearer".to_owned()
        }
        // Kept as sent (compare case-insensitively), but never a line break or another
        // control character: the type names the Authorization header's scheme.
        Some(Value::String(t)) if !t.trim().is_empty() && !t.chars().any(char::is_control) => t.clone(),
        Some(Value::String(t)) if !t.trim().is_empty() => {
            return Err(invalid(Some("token_type"), "has a token_type with a control character", quirks))
        }
        Some(_) => return Err(invalid(Some("token_type"), "has a token_type that is not a string", quirks)),
    };
    let expires_in = match seconds(obj.field("expires_in"), &mut quirks) {
        Ok(s) => s,
        Err(()) => {
            return Err(invalid(
                Some("expires_in"),
                "has an expires_in that is not a non-negative number of seconds",
                quirks,
            ))
        }
    };
    let now = failure.cx.now_ms;
    let expires_at = match expires_in {
        Some(s) => Some(now.saturating_add(s.min(MAX_LIFETIME_SECS) * 1000)),
        None => match seconds(obj.field("expires"), &mut Vec::new()) {
            Ok(Some(at)) => {
                quirks.push(Quirk::ExpiresUnixTime);
                // Read the server's absolute time against its own Date header when it
                // sent one, so a skewed client clock does not shift the expiry.
                let server_now = failure.cx.header("date").and_then(http_date);
                Some(match server_now {
                    Some(date) => now.saturating_add(at.saturating_sub(date).min(MAX_LIFETIME_SECS) * 1000),
                    None => at.min(now / 1000 + MAX_LIFETIME_SECS) * 1000,
                })
            }
            _ => None,
        },
    };
    let refresh_token = match obj.field("refresh_token") {
        None => None,
        Some(Value::String(t)) if t.is_empty() => {
            quirks.push(Quirk::RefreshTokenEmpty);
            None
        }
        Some(Value::String(t)) if !t.bytes().any(|b| b < 0x20 || b == 0x7f) => Some(Secret::new(t.clone())),
        Some(_) => return Err(invalid(Some("refresh_token"), "has a refresh_token that is not a string", quirks)),
    };
    let scope = match obj.field("scope") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) if items.iter().all(|i| i.as_str().is_some()) => {
            quirks.push(Quirk::ScopeArray);
            Some(join(items.iter().filter_map(Value::as_str), " "))
        }
        Some(_) => return Err(invalid(Some("scope"), "has a scope that is not a string", quirks)),
    };
    if failure.cx.strict && !quirks.is_empty() {
        let problem =
            cat(&["is non-standard (", &join(quirks.iter().map(|q| q.as_str()), ", "), ") and strict is set"]);
        return Err(invalid(None, &problem, quirks));
    }
    Ok(TokenSet {
        access_token: Secret::new(access_token),
        token_type,
        expires_in,
        expires_at,
        refresh_token,
        scope,
        raw: obj,
        quirks,
    })
}

/// Whole seconds from a number or a digits-only string; `Err` for anything else.
fn seconds(v: Option<&Value>, quirks: &mut Vec<Quirk>) -> Result<Option<u64>, ()> {
    match v {
        None => Ok(None),
        Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => {
            if !super::json::is_whole(*n) {
                quirks.push(Quirk::ExpiresInFraction);
            }
            // `as` truncates (the floor, as `n` is not negative) and saturates: 1e308
            // becomes u64::MAX, clamped by the caller.
            Ok(Some(*n as u64))
        }
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            quirks.push(Quirk::ExpiresInString);
            Ok(Some(s.bytes().fold(0u64, |acc, b| acc.saturating_mul(10).saturating_add((b - b'0') as u64))))
        }
        Some(_) => Err(()),
    }
}

/// `application/json` or any `+json` type, case-insensitively, parameters ignored.
fn is_json_media_type(ct: &str) -> bool {
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Everything needed to describe a failed response.
struct Failure<'a> {
    status: u16,
    text: &'a str,
    cx: &'a ResponseContext<'a>,
    content_type: Option<&'a str>,
    /// A 2xx: where tokens live; its errors show the body's shape, never its values
    /// ([`success_body_shape`], made only when there is such an error).
    success: bool,
}

impl Failure<'_> {
    /// The fields every response error carries.
    fn base(&self, kind: ErrorKind, message: String, quirks: Vec<Quirk>) -> OAuthError {
        let mut e = OAuthError::new(kind, message);
        e.status = Some(self.status);
        e.content_type = self.content_type.map(str::to_owned);
        e.quirks = quirks;
        if !(200..300).contains(&self.status) {
            e.retry_after = self.cx.header("retry-after").and_then(|v| retry_after(v, self.cx.now_ms));
        }
        e
    }

    /// A 2xx response without a usable token (`parsed`: its body as JSON, when it is).
    fn invalid(&self, field: Option<&str>, problem: &str, quirks: Vec<Quirk>, parsed: Option<&Value>) -> OAuthError {
        let status = digits(self.status as u64);
        let mut e =
            self.base(ErrorKind::InvalidResponse, cat(&["token response (HTTP ", &status, ") ", problem]), quirks);
        e.field = field.map(str::to_owned);
        e.body = self.success.then(|| success_body_shape(self.text, parsed));
        if let Some(h) = body_hint(self.text, self.content_type) {
            e.set_hint(h.text, h.about);
        }
        e
    }

    /// A non-2xx response without an OAuth error body.
    fn http(&self, obj: Option<Value>, quirks: Vec<Quirk>) -> OAuthError {
        let mut message = cat(&["token endpoint answered HTTP ", &digits(self.status as u64)]);
        match self.content_type {
            _ if self.text.trim().is_empty() => message.push_str(" with an empty body"),
            Some(ct) => message.push_str(&cat(&[" (", ct.split(';').next().unwrap_or_default().trim(), ")"])),
            None => {}
        }
        let mut e = self.base(ErrorKind::Http, message, quirks);
        if let Some(secs) = e.retry_after {
            e.message.push_str(&cat(&["; retry after ", &digits(secs), " s"]));
        }
        let hint = match self.status {
            401 | 403 => Some(Hint {
                text: "check clientId, clientSecret and clientAuth",
                about: &[("clientId", None), ("clientSecret", None), ("clientAuth", None)],
            }),
            404 | 405 => {
                Some(Hint { text: "check tokenEndpoint: this URL does not take token requests", about: TOKEN_ENDPOINT })
            }
            _ => obj.is_none().then(|| body_hint(self.text, self.content_type)).flatten(),
        };
        if let Some(h) = hint {
            e.set_hint(h.text, h.about);
        }
        match obj {
            Some(obj) => {
                self.human_fields(&mut e, &obj);
                e.raw = Some(redact_members(obj));
            }
            None if !self.text.trim().is_empty() => e.body = Some(excerpt(self.text)),
            None => {}
        }
        e
    }

    /// An RFC 6749 §5.2 error response.
    fn oauth(&self, code: String, obj: Value, quirks: Vec<Quirk>) -> OAuthError {
        let text = |k: &str| obj.field(k).and_then(Value::as_str).map(str::to_owned);
        let description = text("error_description");
        let mut message = cat(&[&one_line(&code), " (HTTP ", &digits(self.status as u64), ")"]);
        if let Some(d) = description.as_deref().filter(|d| !d.trim().is_empty()) {
            message.push_str(": ");
            message.push_str(&one_line(d));
        }
        let mut e = self.base(ErrorKind::OAuth, message, quirks);
        e.error_description = description;
        e.error_uri = text("error_uri");
        self.human_fields(&mut e, &obj);
        if code == "invalid_client" {
            // What to try depends on how the request authenticated, which only the caller
            // knows: `transport::invalid_client_hint` refines this where the client is known.
            e.set_hint(
                "the server refused the client credentials: check clientId and clientSecret",
                &[("clientId", None), ("clientSecret", None)],
            );
        }
        e.error = Some(code);
        e.raw = Some(match self.success {
            // An error object with a 2xx: its error members as sent, every other value's shape.
            true => Value::Object(match obj {
                Value::Object(members) => members
                    .into_iter()
                    .map(|(k, v)| {
                        let (title, message) = self.cx.human_fields.unwrap_or(DEFAULT_HUMAN_FIELDS);
                        let keep = ["error", "error_description", "error_uri", title, message].contains(&k.as_str());
                        let v = if keep { v } else { redacted_shape(&v) };
                        (k, v)
                    })
                    .collect(),
                _ => Vec::new(),
            }),
            false => redact_members(obj),
        });
        e
    }

    /// Copies the vendor's human-readable title and message, verbatim.
    fn human_fields(&self, e: &mut OAuthError, obj: &Value) {
        let (title, message) = self.cx.human_fields.unwrap_or(DEFAULT_HUMAN_FIELDS);
        e.human_title = obj.field(title).and_then(Value::as_str).map(str::to_owned);
        e.human_message = obj.field(message).and_then(Value::as_str).map(str::to_owned);
    }
}

/// A hint about `tokenEndpoint` alone.
const TOKEN_ENDPOINT: &[(&str, Option<&str>)] = &[("tokenEndpoint", None)];

/// What to check when a body is not the JSON that was expected.
fn body_hint(text: &str, content_type: Option<&str>) -> Option<Hint> {
    let t = text.trim_start();
    let has = |needle: &str| find(t, needle).is_some();
    let html = content_type.is_some_and(|c| find(&c.to_ascii_lowercase(), "html").is_some()) || t.starts_with('<');
    if html {
        Some(Hint {
            text: "the server sent an HTML page: check tokenEndpoint, and any proxy or firewall in front of it",
            about: TOKEN_ENDPOINT,
        })
    } else if t.starts_with('{') && (has(",}") || has(",\n}") || has(",\r\n}")) || has(", }") {
        Some(Hint {
            text: "the body looks like JSON with a trailing comma, which JSON does not allow: the server must fix it",
            about: &[],
        })
    } else {
        None
    }
}

/// A control-character-free, length-bounded quote of server text for a message.
pub(crate) fn one_line(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(MAX_QUOTED).collect();
    if s.chars().nth(MAX_QUOTED).is_some() {
        out.push('…');
    }
    out
}

/// The body, with token values redacted, cut to [`MAX_BODY_EXCERPT`] bytes.
pub fn excerpt(text: &str) -> String {
    cut(redact_tokens(text))
}

/// `text` cut to [`MAX_BODY_EXCERPT`] bytes (on a character boundary), with `…` when cut.
fn cut(mut redacted: String) -> String {
    if redacted.len() > MAX_BODY_EXCERPT {
        let mut cut = MAX_BODY_EXCERPT;
        while !redacted.is_char_boundary(cut) {
            cut -= 1;
        }
        redacted.truncate(cut);
        redacted.push('…');
    }
    redacted
}

/// What an error from a 2xx response shows of its body. A 2xx is where tokens live, in
/// whatever encoding a server picks — escaped or camelCase keys, a wrapper object, JSON
/// inside a string, XML, a form — so no value of it is ever shown: a JSON body appears as
/// its shape (members and structure, every string and number `[redacted]`), any other body
/// only as its length. Bounded like an excerpt.
fn success_body_shape(text: &str, parsed: Option<&Value>) -> String {
    match parsed {
        Some(v) => cut(serde_json::to_string(&Shape(v)).unwrap_or_default()),
        None => {
            cat(&[REDACTED, " (", &digits(text.len() as u64), " bytes; a 2xx body is not shown: it may hold tokens)"])
        }
    }
}

/// Whether a value is hidden in a shape: strings and numbers are; booleans, nulls, members
/// and structure are not.
fn hidden_in_shape(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_))
}

/// `v` with every string and number replaced by `[redacted]` (kept as `raw`).
fn redacted_shape(v: &Value) -> Value {
    match v {
        v if hidden_in_shape(v) => Value::String(REDACTED.to_owned()),
        Value::Array(items) => Value::Array(items.iter().map(redacted_shape).collect()),
        Value::Object(members) => Value::Object(members.iter().map(|(k, v)| (k.clone(), redacted_shape(v))).collect()),
        other => other.clone(),
    }
}

/// [`redacted_shape`] written as JSON text (shown as `body`). (Written directly rather than as a redacted copy: no number is ever
/// formatted, so the wasm carries no float writer for it.)
struct Shape<'a>(&'a Value);

impl serde::Serialize for Shape<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            v if hidden_in_shape(v) => s.serialize_str(REDACTED),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Shape(item))?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, &Shape(v))?;
                }
                map.end()
            }
            _ => s.serialize_unit(),
        }
    }
}

/// Whether a member's name says it holds a credential, however it is spelled:
/// `access_token`, `accessToken`, `Refresh-Token`, `clientSecret`, `PASSWORD` … (a
/// member named for the token's type is not one).
fn is_credential_name(key: &str) -> bool {
    let name: String = key.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    let has = |part: &str| find(&name, part).is_some();
    (has("token") && name != "tokentype") || has("secret") || has("password") || has("assertion") || has("verifier")
}

/// An error object as kept in `raw`: credential members (anywhere in it, however their
/// names are spelled) say `[redacted]`.
fn redact_members(v: Value) -> Value {
    match v {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(k, v)| match TOKEN_FIELDS.contains(&k.as_str()) || is_credential_name(&k) {
                    true => (k, Value::String(REDACTED.to_owned())),
                    false => (k, redact_members(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_members).collect()),
        other => other,
    }
}

/// Replaces the values of token members — `"access_token": "…"` in JSON, even truncated
/// JSON, and `access_token=…` in form bodies — with `[redacted]`.
pub fn redact_tokens(text: &str) -> String {
    let mut out = text.to_owned();
    for key in TOKEN_FIELDS {
        out = redact_json_member(&out, key);
        out = redact_form_member(&out, key);
    }
    out
}

fn redact_json_member(text: &str, key: &str) -> String {
    let quoted = cat(&["\"", key, "\""]);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((head, tail)) = find(rest, &quoted).and_then(|at| rest.split_at_checked(at + quoted.len())) {
        out.push_str(head);
        let after_key = tail.trim_start();
        let Some(after_colon) = after_key.strip_prefix(':') else {
            rest = tail;
            continue;
        };
        out.push_str(tail.get(..tail.len() - after_colon.len()).unwrap_or_default());
        let value = after_colon.trim_start();
        out.push_str(after_colon.get(..after_colon.len() - value.len()).unwrap_or_default());
        let end = if let Some(string) = value.strip_prefix('"') {
            out.push('"');
            // Up to the closing quote that is not escaped, or the end of the text.
            let mut escaped = false;
            let close = string.char_indices().find(|&(_, c)| {
                let stop = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                stop
            });
            match close {
                Some((i, _)) => 1 + i,
                None => value.len(),
            }
        } else {
            value.find([',', '}', ']']).unwrap_or(value.len())
        };
        out.push_str(REDACTED);
        rest = value.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

fn redact_form_member(text: &str, key: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match part.strip_prefix(key).and_then(|p| p.strip_prefix('=')) {
            Some(_) => {
                out.push_str(key);
                out.push('=');
                out.push_str(REDACTED);
            }
            None => out.push_str(part),
        }
    }
    out
}

/// `Retry-After` as seconds from now: delay-seconds, or an HTTP-date (RFC 9110 §10.2.3).
pub fn retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim();
    if !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse().ok();
    }
    http_date(v).map(|at| at.saturating_sub(now_ms / 1000))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as seconds since the epoch.
pub fn http_date(v: &str) -> Option<u64> {
    let mut parts = v.trim().split(' ');
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as u64 + 1;
    let year: u64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT"
        || !(1..=31).contains(&day)
        || !(1970..=9999).contains(&year)
        || h > 23
        || m > 59
        || s > 60
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), March-based years.
    let (y, mp) = if month > 2 { (year, month - 3) } else { (year - 1, month + 9) };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}
