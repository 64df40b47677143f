//! The one error type: a kind that says what happened, and the fields a user needs to act.

use super::json::Value;
use super::response::Quirk;
use super::text::cat;
use crate::prelude::*;

/// What went wrong. The names match the JavaScript `err.kind` strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    OAuth,
    /// A 2xx response without a usable token.
    InvalidResponse,
    /// Token storage failed.
    Storage,
    /// The session cannot be renewed without the user: log in again.
    LoginRequired,
}

impl ErrorKind {
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

/// An error from any stage: configuration, transport, or the token endpoint's answer.
///
/// `message` is one line a developer can act on. Neither it nor any other field holds a
/// client secret, password or token: response bodies are attached only after the token
/// values in them have been replaced by `[redacted]`.
#[derive(Clone, PartialEq)]
pub struct OAuthError {
    /// What happened.
    pub kind: ErrorKind,
    /// One line, free of secrets.
    pub message: String,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// RFC 6749 §5.2 `error`.
    pub error: Option<String>,
    /// RFC 6749 §5.2 `error_description`.
    pub error_description: Option<String>,
    /// RFC 6749 §5.2 `error_uri`.
    pub error_uri: Option<String>,
    /// The vendor's human-readable title (`error_human_title` by default), verbatim.
    pub human_title: Option<String>,
    /// The vendor's human-readable message (`error_human_message` by default), verbatim.
    pub human_message: Option<String>,
    /// The response text, bounded and with token values redacted, when it could not be used.
    pub body: Option<String>,
    /// The response's `Content-Type`.
    pub content_type: Option<String>,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    /// What to try, where the library can tell.
    pub hint: Option<String>,
    /// The offending field of the configuration, grant or response, where there is one.
    pub field: Option<String>,
    /// Non-standard things the server did (see [`Quirk`]).
    pub quirks: Vec<Quirk>,
    /// The parsed error object, unknown members included.
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

    /// Adds a hint.
    pub fn with_hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.to_owned());
        self
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
            .field("field", &self.field)
            .field("quirks", &self.quirks)
            .finish_non_exhaustive()
    }
}

impl ::core::error::Error for OAuthError {}
