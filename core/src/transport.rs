//! What the transport reports, turned into errors: timeouts, aborts, unreachable servers,
//! redirects that are never followed, bodies too large to read. The wasm side only observes;
//! the wording and the hints are decided here.

use super::config::{BasicEncoding, ClientAuth, ClientConfig, ClientId};
use super::encode;
use super::error::{ErrorKind, Hint, OAuthError};
use super::grant::Grant;
use super::response::ResponseContext;
use super::text::{cat, digits};
use crate::prelude::*;

/// Default request time limit (ms).
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// The longest timer a JavaScript runtime runs, 2^31−1 ms (about 24.8 days): browsers and
/// Node fire a longer `setTimeout` at once. Every time limit and wait the drivers set is
/// clamped to it ([`timer_ms`]); `exchange.js` and `nodeHttpFetch` receive clamped values.
pub const MAX_TIMER_MS: u32 = i32::MAX as u32;

/// `ms` as a timer can run it: a longer wait waits as long as it can instead of not at all.
pub fn timer_ms(ms: u32) -> u32 {
    ms.min(MAX_TIMER_MS)
}

pub use super::response::{oversized_error, MAX_RESPONSE_BYTES};

/// Where the request runs: the hints differ (CORS exists only in browsers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// A window or a worker.
    Browser,
    /// Node, Deno, Bun …
    Server,
}

/// Why no response could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportFault {
    /// The time limit ran out (ms).
    Timeout(u32),
    /// The caller's `AbortSignal` fired.
    Aborted,
    /// The fetch failed: refused, reset, DNS, TLS, or (in browsers) CORS. `code` is the
    /// platform's error code where there is one (`ECONNREFUSED` …).
    Network {
        /// The platform's error code (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND` …).
        code: Option<String>,
        /// Whether the failure came while reading the body, after the headers.
        during_body: bool,
    },
}

/// Whether a platform's error code is one to show (`ECONNREFUSED`, `UND_ERR_SOCKET` …):
/// short, letters, digits and `_` only — anything else is not echoed into a message.
pub fn is_error_code(code: &str) -> bool {
    code.len() <= 40 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A response as the parser needs it.
#[derive(Debug)]
pub struct HttpResponse {
    /// When the request was sent (ms since the epoch).
    pub sent_at_ms: u64,
    /// The HTTP status.
    pub status: u16,
    /// The headers the parser reads.
    pub headers: Vec<(String, String)>,
    /// The body, at most [`MAX_RESPONSE_BYTES`].
    pub body: String,
}

impl HttpResponse {
    /// The parser's context for this response.
    pub fn context<'a>(&'a self, client: &'a ClientConfig) -> ResponseContext<'a> {
        ResponseContext {
            now_ms: self.sent_at_ms,
            headers: &self.headers,
            strict: false,
            human_fields: client.human_fields.as_ref().map(|(t, m)| (t.as_str(), m.as_str())),
        }
    }
}

/// One request's outcome as a driver reports it — `exchange.js`'s outcome object, member
/// for member (typed: no positional protocol). Either a fault (`fault`, with `code` and
/// `during_body` for a network failure) or a response (`status` and what follows it).
#[derive(Clone, Default, PartialEq)]
pub struct Outcome {
    /// Why there is no response: `"timeout"`, `"aborted"`, `"notresponse"` (fetch resolved
    /// to something that is not a Response); anything else is a network failure.
    pub fault: Option<String>,
    /// The platform's error code of a network failure (`ECONNRESET` …), shown only when
    /// [`is_error_code`].
    pub code: Option<String>,
    /// The network failure came while reading the body.
    pub during_body: bool,
    /// The HTTP status (a JavaScript number: a whole one from 0 to 999 is a status).
    pub status: Option<f64>,
    /// When the request was sent (ms since the epoch).
    pub sent_at: Option<f64>,
    /// The Response's `type` (`basic`, `cors`, `opaqueredirect` …), for status 0 and redirects.
    pub kind: Option<String>,
    /// The `Location` of a redirect.
    pub location: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Retry-After`.
    pub retry_after: Option<String>,
    /// `Date`.
    pub date: Option<String>,
    /// `WWW-Authenticate`.
    pub www_authenticate: Option<String>,
    /// `DPoP-Nonce` (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
    /// The body was over [`MAX_RESPONSE_BYTES`] and was not read.
    pub oversized: bool,
    /// The body (absent for redirects, opaque and oversized responses).
    pub body: Option<String>,
}

/// The body may hold tokens: `Debug` shows its length only.
impl core::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Outcome")
            .field("fault", &self.fault)
            .field("code", &self.code)
            .field("during_body", &self.during_body)
            .field("status", &self.status)
            .field("kind", &self.kind)
            .field("oversized", &self.oversized)
            .field("body_len", &self.body.as_ref().map(String::len))
            .finish_non_exhaustive()
    }
}

/// Reads one request's [`Outcome`] into the response, or the error it stands for. Anything
/// unreadable (no status, a status that is not one) is a network error.
pub fn read_outcome(outcome: &Outcome, timeout_ms: u32, runtime: Runtime) -> Result<HttpResponse, OAuthError> {
    let fault = |f: TransportFault| fault_error(&f, runtime);
    match outcome.fault.as_deref() {
        None => {}
        Some("timeout") => return Err(fault(TransportFault::Timeout(timeout_ms))),
        Some("aborted") => return Err(fault(TransportFault::Aborted)),
        Some("notresponse") => {
            return Err(OAuthError::new(ErrorKind::Network, "fetch resolved to something that is not a Response"))
        }
        Some(_) => {
            let code = outcome.code.clone().filter(|c| is_error_code(c));
            return Err(fault(TransportFault::Network { code, during_body: outcome.during_body }));
        }
    }
    let status = outcome.status.filter(|s| (0.0..=999.0).contains(s) && *s == (*s as u16) as f64).map(|s| s as u16);
    let Some(status) = status else {
        return Err(fault(TransportFault::Network { code: None, during_body: false }));
    };
    let sent_at_ms = outcome.sent_at.filter(|t| t.is_finite() && *t >= 0.0).map_or(0, |t| t as u64);
    let kind = outcome.kind.as_deref();
    if status == 0 && kind != Some("opaqueredirect") {
        return Err(unreadable_error(kind.unwrap_or("unknown")));
    }
    if is_redirect(status) {
        return Err(redirect_error(status, outcome.location.as_deref()));
    }
    let mut headers = Vec::with_capacity(5);
    for (name, value) in [
        ("content-type", &outcome.content_type),
        ("retry-after", &outcome.retry_after),
        ("date", &outcome.date),
        ("www-authenticate", &outcome.www_authenticate),
        ("dpop-nonce", &outcome.dpop_nonce),
    ] {
        if let Some(v) = value {
            headers.push((name.to_owned(), v.clone()));
        }
    }
    if outcome.oversized {
        return Err(oversized_error(status, outcome.content_type.as_deref()));
    }
    Ok(HttpResponse { sent_at_ms, status, headers, body: outcome.body.clone().unwrap_or_default() })
}

/// The error for a transport fault.
pub fn fault_error(fault: &TransportFault, runtime: Runtime) -> OAuthError {
    match fault {
        TransportFault::Timeout(ms) => OAuthError::new(
            ErrorKind::Timeout,
            cat(&["no answer from the token endpoint within ", &digits(*ms as u64), " ms"]),
        )
        .with(Hint {
            text: "raise timeoutMs if the server is slow; otherwise check that tokenEndpoint is reachable",
            about: &[("timeoutMs", None), ("tokenEndpoint", None)],
        }),
        TransportFault::Aborted => {
            OAuthError::new(ErrorKind::Aborted, "the token request was aborted by its AbortSignal")
        }
        TransportFault::Network { code, during_body } => {
            let mut message = String::from(if *during_body {
                "the connection to the token endpoint broke while reading the response"
            } else {
                "could not reach the token endpoint"
            });
            if let Some(code) = code {
                message.push_str(&cat(&[" (", code, ")"]));
            }
            let endpoint: &[(&str, Option<&str>)] = &[("tokenEndpoint", None)];
            let (hint, about) = match (runtime, code.as_deref()) {
                (_, Some("ECONNREFUSED")) => ("nothing accepts connections at tokenEndpoint's host and port", endpoint),
                (_, Some("ENOTFOUND" | "EAI_AGAIN")) => ("tokenEndpoint's host name does not resolve", endpoint),
                (_, Some("ECONNRESET" | "UND_ERR_SOCKET")) => ("the server or a proxy closed the connection", &[][..]),
                (Runtime::Browser, _) => (
                    "the server is down or unreachable, or it does not allow this page's origin (CORS): browsers \
                     report both the same way; the console shows which",
                    &[][..],
                ),
                (Runtime::Server, _) => ("the server is down or unreachable, or TLS failed", &[][..]),
            };
            let mut e = OAuthError::new(ErrorKind::Network, message);
            e.set_hint(hint, about);
            e
        }
    }
}

/// The error for a redirect, which is never followed: it could carry the credentials to
/// another origin (RFC 9700 §4.12). `status` is 0 for a browser's opaque redirect.
pub fn redirect_error(status: u16, location: Option<&str>) -> OAuthError {
    let message = match status {
        0 => String::from("the token endpoint answered with a redirect, which is not followed"),
        _ => cat(&["the token endpoint answered HTTP ", &digits(status as u64), " (a redirect, not followed)"]),
    };
    let hint = match location {
        // Server text: one line, bounded (a 15 KB Location was seen).
        Some(l) => {
            cat(&["set tokenEndpoint to the final URL (the server points to ", &super::response::one_line(l), ")"])
        }
        None => String::from("set tokenEndpoint to the final URL; credentials are never sent on to a redirect target"),
    };
    let mut e = OAuthError::new(ErrorKind::Http, message);
    e.set_hint(&hint, &[("tokenEndpoint", None)]);
    e.status = (status != 0).then_some(status);
    e
}

/// The error for a Response with status 0 that is not a browser's opaque redirect: a
/// network error (`Response.error()`) or an opaque no-cors answer, from an injected fetch.
pub fn unreadable_error(response_type: &str) -> OAuthError {
    let message = cat(&["fetch gave no readable response (type \"", response_type, "\", status 0)"]);
    OAuthError::new(ErrorKind::Network, message).with(Hint {
        text: "the fetch function failed to reach the token endpoint, or made a no-cors request",
        about: &[("fetch", None)],
    })
}

/// Whether a status is a redirect (or a browser's opaque redirect, status 0).
pub fn is_redirect(status: u16) -> bool {
    status == 0 || (300..400).contains(&status)
}

/// The hint for `invalid_client`, following how the request actually authenticated: it
/// never suggests what the client already does (a body-auth client is not told to try
/// body auth, a raw-Basic client not to try raw). `None` for other errors.
pub fn invalid_client_hint(client: &ClientConfig, error: &OAuthError) -> Option<Hint> {
    if error.error.as_deref() != Some("invalid_client") {
        return None;
    }
    let id = match &client.client_id {
        Some(ClientId::Text(s)) => s.as_str(),
        _ => "",
    };
    let changes = |s: &str| {
        let mut encoded = String::new();
        encode::push_form(&mut encoded, s);
        encoded != s
    };
    let secret = client.secret().unwrap_or_default();
    let encoding_matters = changes(id) || changes(secret);
    const CREDENTIALS: (&str, Option<&str>) = ("clientId", None);
    const SECRET: (&str, Option<&str>) = ("clientSecret", None);
    Some(match (client.effective_auth(), client.basic_encoding) {
        (ClientAuth::Basic, BasicEncoding::Form) if encoding_matters => Hint {
            text: "the client id or secret has characters that form-encoding changes (RFC 6749 §2.3.1); \
                   this server may not decode them: try basicEncoding \"raw\" or clientAuth \"body\"",
            about: &[("basicEncoding", Some("raw")), ("clientAuth", Some("body"))],
        },
        (ClientAuth::Basic, BasicEncoding::Raw) if encoding_matters => Hint {
            text: "check clientId and clientSecret; they were sent in HTTP Basic as they are, unencoded: \
                   if they are right, try basicEncoding \"form\" (RFC 6749 §2.3.1) or clientAuth \"body\"",
            about: &[CREDENTIALS, SECRET, ("basicEncoding", Some("form")), ("clientAuth", Some("body"))],
        },
        (ClientAuth::Basic, _) => Hint {
            text: "check clientId and clientSecret; they were sent in HTTP Basic: if they are right, the server \
                   may want them in the body (clientAuth \"body\")",
            about: &[CREDENTIALS, SECRET, ("clientAuth", Some("body"))],
        },
        (ClientAuth::Body, _) => Hint {
            text: "check clientId and clientSecret; they were sent in the request body: if they are right, the \
                   server may want HTTP Basic (clientAuth \"basic\")",
            about: &[CREDENTIALS, SECRET, ("clientAuth", Some("basic"))],
        },
        (ClientAuth::PrivateKeyJwt, _) => Hint {
            text: "the server refused the client assertion: check clientId, that the server has this key's \
                   public half (keyId, signingAlg) and the audience it expects (assertionAudience)",
            about: &[CREDENTIALS, ("keyId", None), ("signingAlg", None), ("assertionAudience", None)],
        },
        (ClientAuth::ClientSecretJwt, _) => Hint {
            text: "the server refused the client assertion: check clientId and clientSecret, and the audience \
                   it expects (assertionAudience)",
            about: &[CREDENTIALS, SECRET, ("assertionAudience", None)],
        },
        (ClientAuth::None, _) => Hint {
            text: "the server wants this client to authenticate: set clientSecret (it is sent in HTTP Basic), or \
                   check clientId",
            about: &[SECRET, CREDENTIALS],
        },
    })
}

/// `e` with the `invalid_client` hint that fits how `client` authenticated
/// ([`invalid_client_hint`]), when it is that error.
pub fn refine(client: &ClientConfig, mut e: OAuthError) -> OAuthError {
    if let Some(hint) = invalid_client_hint(client, &e) {
        e.set_hint(hint.text, hint.about);
    }
    e
}

/// The one-per-page warning for secrets in browser code, or `None` when there is nothing
/// to warn about or the client acknowledged it.
pub fn browser_secret_warning(client: &ClientConfig, grant: &Grant) -> Option<&'static str> {
    if client.acknowledge_browser_secrets {
        return None;
    }
    match grant {
        Grant::Password { .. } => Some(
            "oauth2-wasm: the password grant runs in a browser. The user's password passes through this page, \
             and RFC 9700 deprecates the grant; set acknowledgeBrowserSecrets: true to silence this warning.",
        ),
        _ if client.secret().is_some() => Some(
            "oauth2-wasm: a clientSecret is configured in browser code, where anyone can read it; \
             set acknowledgeBrowserSecrets: true to silence this warning.",
        ),
        _ => None,
    }
}
