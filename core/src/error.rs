//! The one error type: a kind that says what happened, and the fields a user needs to act.

use super::json::Value;
use super::response::Quirk;
use super::text::cat;
use crate::prelude::*;

/// What went wrong. The names match the JavaScript `err.kind` strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client configuration or grant is unusable; nothing was sent.
    Config,
    /// The request could not be sent or the response not read (refused, reset, DNS, CORS).
    Network,
    /// No response within the time limit.
    Timeout,
    /// The caller aborted the request.
    Aborted,
    /// A non-2xx response without an OAuth error body (an HTML 502, an empty 500, a 429).
    Http,
    /// An RFC 6749 §5.2 error response, at any status.
    #[cfg_attr(feature = "serde", serde(rename = "oauth"))]
    OAuth,
    /// A 2xx response without a usable token.
    InvalidResponse,
    /// Token storage failed.
    Storage,
    /// The session cannot be renewed without the user: log in again.
    LoginRequired,
}

impl ErrorKind {
    /// Every kind, in the order the README's table lists them.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Config,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Aborted,
        ErrorKind::Http,
        ErrorKind::OAuth,
        ErrorKind::InvalidResponse,
        ErrorKind::Storage,
        ErrorKind::LoginRequired,
    ];

    /// The wire name, as JavaScript sees it in `err.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Aborted => "aborted",
            ErrorKind::Http => "http",
            ErrorKind::OAuth => "oauth",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::Storage => "storage",
            ErrorKind::LoginRequired => "login_required",
        }
    }
}

/// An OAuth error code: RFC 6749 §5.2's and the ones later RFCs add at the token endpoint,
/// or any other a server sends ([`ErrorCode::Extension`]). Read from [`OAuthError::code`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(from = "String", into = "String"))]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request` (RFC 6749 §5.2).
    InvalidRequest,
    /// `invalid_client`: client authentication failed (RFC 6749 §5.2).
    InvalidClient,
    /// `invalid_grant`: the grant or refresh token is invalid, expired or revoked (RFC 6749 §5.2).
    InvalidGrant,
    /// `unauthorized_client` (RFC 6749 §5.2).
    UnauthorizedClient,
    /// `unsupported_grant_type` (RFC 6749 §5.2).
    UnsupportedGrantType,
    /// `invalid_scope` (RFC 6749 §5.2).
    InvalidScope,
    /// `unsupported_token_type` (RFC 7009 §2.2.1, revocation).
    UnsupportedTokenType,
    /// `invalid_dpop_proof` (RFC 9449 §5).
    InvalidDpopProof,
    /// `use_dpop_nonce` (RFC 9449 §8).
    UseDpopNonce,
    /// `authorization_pending` (RFC 8628 §3.5).
    AuthorizationPending,
    /// `slow_down` (RFC 8628 §3.5).
    SlowDown,
    /// `expired_token` (RFC 8628 §3.5).
    ExpiredToken,
    /// Any other code, as sent (a vendor's `invalid_credentials`, `invalid_refresh` …).
    Extension(String),
}

impl ErrorCode {
    const KNOWN: [(&'static str, ErrorCode); 12] = [
        ("invalid_request", ErrorCode::InvalidRequest),
        ("invalid_client", ErrorCode::InvalidClient),
        ("invalid_grant", ErrorCode::InvalidGrant),
        ("unauthorized_client", ErrorCode::UnauthorizedClient),
        ("unsupported_grant_type", ErrorCode::UnsupportedGrantType),
        ("invalid_scope", ErrorCode::InvalidScope),
        ("unsupported_token_type", ErrorCode::UnsupportedTokenType),
        ("invalid_dpop_proof", ErrorCode::InvalidDpopProof),
        ("use_dpop_nonce", ErrorCode::UseDpopNonce),
        ("authorization_pending", ErrorCode::AuthorizationPending),
        ("slow_down", ErrorCode::SlowDown),
        ("expired_token", ErrorCode::ExpiredToken),
    ];

    /// The code for `error` as a server sent it (codes are case-sensitive).
    pub fn parse(error: &str) -> ErrorCode {
        Self::KNOWN
            .iter()
            .find(|(name, _)| *name == error)
            .map_or_else(|| ErrorCode::Extension(error.to_owned()), |(_, code)| code.clone())
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Extension(code) => code,
            known => Self::KNOWN.iter().find(|(_, c)| c == known).map_or("", |(name, _)| name),
        }
    }
}

impl From<String> for ErrorCode {
    fn from(error: String) -> Self {
        ErrorCode::parse(&error)
    }
}

impl From<ErrorCode> for String {
    fn from(code: ErrorCode) -> Self {
        code.as_str().to_owned()
    }
}

/// An error from any stage: configuration, transport, or the token endpoint's answer.
///
/// `message` is one line a developer can act on. Neither it nor any other field holds a
/// client secret, password or token: response bodies are attached only after the token
/// values in them have been replaced by `[redacted]`.
///
/// With feature `serde` it serializes as JavaScript's `OAuthError` does in `JSON.stringify`
/// (camelCase, absent fields left out).
#[derive(Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[non_exhaustive]
pub struct OAuthError {
    /// What happened.
    pub kind: ErrorKind,
    /// One line, free of secrets.
    pub message: String,
    /// The HTTP status, when there was a response.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub status: Option<u16>,
    /// RFC 6749 §5.2 `error`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub error: Option<String>,
    /// RFC 6749 §5.2 `error_description`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub error_description: Option<String>,
    /// RFC 6749 §5.2 `error_uri`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub error_uri: Option<String>,
    /// The vendor's human-readable title (`error_human_title` by default), verbatim.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub human_title: Option<String>,
    /// The vendor's human-readable message (`error_human_message` by default), verbatim.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub human_message: Option<String>,
    /// The response text, bounded and with token values redacted, when it could not be used.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub body: Option<String>,
    /// The response's `Content-Type`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub content_type: Option<String>,
    /// `Retry-After`, in seconds.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub retry_after: Option<u64>,
    /// What to try, where the library can tell.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub hint: Option<String>,
    /// The settings the hint (or a `config` error's message) is about (`clientAuth`,
    /// `tokenEndpoint` …), each with the value it suggests trying where it names one: the
    /// advice in a tool's own terms (the CLI shows its options from these, never from text).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub suggestions: Vec<Suggestion>,
    /// The offending field of the configuration, grant or response, where there is one.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub field: Option<String>,
    /// Non-standard things the server did (see [`Quirk`]).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub quirks: Vec<Quirk>,
    /// The parsed error object, unknown members included.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub raw: Option<Value>,
}

impl OAuthError {
    /// An error of `kind` with `message` and nothing else.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        OAuthError {
            kind,
            message: message.into(),
            status: None,
            error: None,
            error_description: None,
            error_uri: None,
            human_title: None,
            human_message: None,
            body: None,
            content_type: None,
            retry_after: None,
            hint: None,
            suggestions: Vec::new(),
            field: None,
            quirks: Vec::new(),
            raw: None,
        }
    }

    /// A configuration error about `field`; the message starts with the field's name.
    pub fn config(field: &str, problem: &str) -> Self {
        let mut e = OAuthError::new(ErrorKind::Config, cat(&[field, " ", problem]));
        e.field = Some(field.to_owned());
        e
    }

    /// The OAuth error code, typed (`None` when the failure was not an OAuth error).
    pub fn code(&self) -> Option<ErrorCode> {
        self.error.as_deref().map(ErrorCode::parse)
    }

    /// Adds a hint that is about no setting.
    pub fn with_hint(mut self, hint: &str) -> Self {
        self.set_hint(hint, &[]);
        self
    }

    /// Adds a hint and the settings it is about.
    pub fn with(mut self, hint: Hint) -> Self {
        self.set_hint(hint.text, hint.about);
        self
    }

    /// Sets the hint to `text`, about the settings `about` (each with the value to try, if
    /// the hint names one).
    pub fn set_hint(&mut self, text: &str, about: &[(&str, Option<&str>)]) {
        self.hint = Some(text.to_owned());
        self.suggestions = suggestions(about);
    }

    /// Names the settings the message suggests (each with the value to try, if it names one).
    pub fn about(mut self, about: &[(&str, Option<&str>)]) -> Self {
        self.suggestions = suggestions(about);
        self
    }
}

fn suggestions(about: &[(&str, Option<&str>)]) -> Vec<Suggestion> {
    about
        .iter()
        .map(|(setting, value)| Suggestion { setting: (*setting).to_owned(), value: value.map(str::to_owned) })
        .collect()
}

/// A setting an error's hint is about, with the value it suggests trying where it names one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Suggestion {
    /// The setting's name as the JavaScript API spells it (`clientAuth`, `tokenEndpoint` …).
    pub setting: String,
    /// The value to try (`"body"`), or `None` for "check it".
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub value: Option<String>,
}

/// A hint written once with the settings it is about ([`OAuthError::suggestions`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    /// What to try, in words.
    pub text: &'static str,
    /// The settings it is about, each with the value to try where it names one.
    pub about: &'static [(&'static str, Option<&'static str>)],
}

impl ::core::ops::Deref for Hint {
    type Target = str;
    fn deref(&self) -> &str {
        self.text
    }
}

impl ::core::fmt::Display for Hint {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.text)
    }
}

impl core::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)
    }
}

/// `Debug` leaves out the response body and the raw object: they come from the server.
impl core::fmt::Debug for OAuthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OAuthError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("status", &self.status)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("human_title", &self.human_title)
            .field("human_message", &self.human_message)
            .field("content_type", &self.content_type)
            .field("retry_after", &self.retry_after)
            .field("hint", &self.hint)
            .field("suggestions", &self.suggestions)
            .field("field", &self.field)
            .field("quirks", &self.quirks)
            .finish_non_exhaustive()
    }
}

impl ::core::error::Error for OAuthError {}
