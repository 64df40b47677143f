//! The authorization-code flow's front half, without I/O (RFC 6749 §4.1, RFC 7636 PKCE,
//! RFC 9207 `iss`): the verifier, state and S256 challenge, the authorization URL, and the
//! checks on the callback. The driver supplies the random bytes (the platform's CSPRNG)
//! and parses URLs (the runtime's WHATWG `URL`, the `url` crate on the host); every
//! decision is made here.

use super::config::{opt_string, string_map, ClientConfig, Secret};
use super::encode::{base64url, push_form};
use super::endpoint::{self, UrlParser};
use super::error::{ErrorKind, OAuthError};
use super::json::Value;
use super::response::one_line;
use super::text::cat;
use crate::prelude::*;
use sha2::{Digest, Sha256};

/// The bytes of randomness in a verifier or a state: 32, giving 43 characters (RFC 7636 §4.1
/// recommends 32 octets).
pub const RANDOM_BYTES: usize = 32;

/// A code verifier or a state from `RANDOM_BYTES` random bytes: their base64url, 43
/// characters of `[A-Za-z0-9_-]`.
pub fn random_text(bytes: &[u8; RANDOM_BYTES]) -> String {
    base64url(bytes)
}

/// RFC 7636 §4.2 `S256`: `BASE64URL(SHA256(verifier))`, after checking the verifier
/// (§4.1: 43–128 characters of `[A-Za-z0-9-._~]`; else a `config` error about
/// `codeVerifier`). Synchronous, with no platform crypto: it works where `crypto.subtle`
/// does not (pages served over plain http during development).
pub fn code_challenge_s256(verifier: &str) -> Result<String, OAuthError> {
    super::request::check_code_verifier(verifier)?;
    Ok(base64url(&Sha256::digest(verifier.as_bytes())))
}

/// What goes into an authorization request besides the client.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// `redirect_uri`: where the server sends the browser back.
    pub redirect_uri: String,
    /// `scope`, space-separated.
    pub scope: Option<String>,
    /// `state`: [`random_text`], checked on the callback.
    pub state: String,
    /// `code_challenge`: [`code_challenge_s256`] of the verifier.
    pub code_challenge: String,
    /// `code_challenge_method`: only `S256` (RFC 9700 §2.1.1: `plain` is not used).
    pub code_challenge_method: Option<String>,
    /// OpenID Connect's `nonce`.
    pub nonce: Option<String>,
    /// More parameters (`prompt`, `login_hint`, `audience` …), in order.
    pub extra_params: Vec<(String, String)>,
}

impl AuthorizationRequest {
    /// A request with the three parameters every one needs.
    pub fn new(redirect_uri: impl Into<String>, state: impl Into<String>, code_challenge: impl Into<String>) -> Self {
        AuthorizationRequest {
            redirect_uri: redirect_uri.into(),
            state: state.into(),
            code_challenge: code_challenge.into(),
            ..Self::default()
        }
    }

    /// Reads the JavaScript API's options (`{ redirectUri, scope?, state, codeChallenge,
    /// codeChallengeMethod?, nonce?, extraParams? }`); type errors name the field.
    pub fn from_value(v: &Value) -> Result<Self, OAuthError> {
        let mut request =
            AuthorizeOptions::from_value(v)?.request(required(v, "state")?, required(v, "codeChallenge")?);
        request.code_challenge_method = opt_string(v, "codeChallengeMethod")?;
        Ok(request)
    }
}

/// The string member `key`, which must be there.
fn required(v: &Value, key: &str) -> Result<String, OAuthError> {
    opt_string(v, key)?.ok_or_else(|| OAuthError::config(key, "is required"))
}

/// The parameters this library sets; `extra_params` may not set them again.
const OWN_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
];

/// The URL to send the browser to (RFC 6749 §4.1.1 with RFC 7636 §4.3):
/// `authorization_endpoint` with `response_type=code`, `client_id`, `redirect_uri`,
/// `scope`, `state`, `code_challenge`, `code_challenge_method=S256`, `nonce` and the extra
/// parameters appended to the endpoint's own query (§3.1: it is kept). The endpoint and
/// `redirect_uri` are checked on `urls`' parse, as the token endpoint is. Bad input is a
/// `config` error naming the field.
pub fn build_authorization_url_with(
    client: &ClientConfig,
    request: &AuthorizationRequest,
    urls: &dyn UrlParser,
) -> Result<String, OAuthError> {
    let endpoint_url = endpoint::required(
        "authorizationEndpoint",
        client.authorization_endpoint.as_deref(),
        "to build an authorization URL: the server's authorization endpoint",
    )?;
    endpoint::check("authorizationEndpoint", endpoint_url, urls, client.allow_insecure_http)?;
    // The redirect URI may be a loopback or custom scheme (RFC 8252); it must parse, and
    // carry no fragment (RFC 6749 §3.1.2).
    let redirect = urls.parse_url(&request.redirect_uri);
    match redirect {
        None => {
            return Err(OAuthError::config(
                "redirectUri",
                "must be an absolute URL such as https://app.example.com/callback",
            ))
        }
        Some(u) if u.has_fragment => return Err(OAuthError::config("redirectUri", "must not have a fragment (#…)")),
        Some(_) => {}
    }
    let client_id = client
        .client_id
        .as_ref()
        .map(|id| id.text())
        .ok_or_else(|| OAuthError::config("clientId", "is required for the authorization code flow"))?;
    let method = request.code_challenge_method.as_deref().unwrap_or("S256");
    if method != "S256" {
        return Err(OAuthError::config(
            "codeChallengeMethod",
            "must be S256 (RFC 9700 §2.1.1: the plain method is not used)",
        ));
    }
    if !is_base64url_digest(&request.code_challenge) {
        return Err(OAuthError::config(
            "codeChallenge",
            "must be an S256 challenge: 43 characters of base64url (codeChallengeS256(verifier))",
        ));
    }
    if request.state.is_empty() {
        return Err(OAuthError::config("state", "is required: generateState(), checked on the callback"));
    }
    let mut params: Vec<(&str, &str)> =
        alloc::vec![("response_type", "code"), ("client_id", &client_id), ("redirect_uri", &request.redirect_uri),];
    if let Some(scope) = request.scope.as_deref().filter(|s| !s.is_empty()) {
        params.push(("scope", scope));
    }
    params.push(("state", &request.state));
    params.push(("code_challenge", &request.code_challenge));
    params.push(("code_challenge_method", method));
    if let Some(nonce) = request.nonce.as_deref() {
        params.push(("nonce", nonce));
    }
    for (name, value) in &request.extra_params {
        if name.is_empty() || OWN_PARAMS.contains(&name.as_str()) || params.iter().any(|(n, _)| n == name) {
            return Err(OAuthError::config(
                "extraParams",
                &cat(&["must not set ", if name.is_empty() { "an empty name" } else { name }, " again"]),
            ));
        }
        params.push((name, value));
    }
    let mut url = String::from(endpoint_url);
    let mut sep = if url.contains('?') {
        if url.ends_with('?') || url.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    for (name, value) in params {
        url.push_str(sep);
        push_form(&mut url, name);
        url.push('=');
        push_form(&mut url, value);
        sep = "&";
    }
    Ok(url)
}

fn is_base64url_digest(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the callback is checked against: the transaction's `state`, the server's `issuer`
/// (RFC 9207) and the `redirect_uri` the request named.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct CallbackCheck {
    /// The `state` sent in the authorization request.
    pub state: String,
    /// The issuer the `iss` parameter must equal when the server sends one.
    pub issuer: Option<String>,
    /// When given, the callback must arrive at this URL (origin and path).
    pub redirect_uri: Option<String>,
    /// A callback without `iss` is refused (RFC 9207 §2.4: the server always sends it).
    pub require_iss: bool,
}

impl CallbackCheck {
    /// Checks against `state` only.
    pub fn new(state: impl Into<String>) -> Self {
        CallbackCheck { state: state.into(), ..Self::default() }
    }

    /// Reads the JavaScript API's options (`{ state, issuer?, redirectUri? }`).
    pub fn from_value(v: &Value) -> Result<Self, OAuthError> {
        Ok(CallbackCheck {
            state: required(v, "state")?,
            issuer: opt_string(v, "issuer")?,
            redirect_uri: opt_string(v, "redirectUri")?,
            require_iss: matches!(v.field("requireIss"), Some(Value::Bool(true))),
        })
    }
}

/// A successful authorization response (RFC 6749 §4.1.2).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AuthorizationResponse {
    /// The authorization code, to exchange once (`Grant::AuthorizationCode`).
    pub code: Secret,
    /// The `state`, equal to the one sent.
    pub state: String,
    /// The `iss` parameter, when the server sent it (RFC 9207).
    pub iss: Option<String>,
}

/// Reads and checks the callback URL (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 §2.4): an `iss`
/// that differs from the expected issuer, then a missing or different `state`, are
/// `invalid_response` errors naming the parameter (a forged callback is not the server's
/// word); then the server's `error` is kind `oauth` with `error`, `errorDescription`,
/// `errorUri`; then a missing `code` is `invalid_response`. The URL is parsed by `urls`
/// (the runtime's `URL` in JavaScript), its query read as `URLSearchParams` does.
pub fn parse_authorization_response_with(
    callback: &str,
    check: &CallbackCheck,
    urls: &dyn UrlParser,
) -> Result<AuthorizationResponse, OAuthError> {
    let Some(url) = urls.parse_url(callback) else {
        return Err(OAuthError::config("url", "must be the absolute URL the server redirected to"));
    };
    if let Some(expected) = check.redirect_uri.as_deref() {
        let Some(want) = urls.parse_url(expected) else {
            return Err(OAuthError::config("redirectUri", "must be an absolute URL"));
        };
        if want.origin != url.origin || want.path != url.path {
            return Err(invalid(&cat(&[
                "the callback arrived at ",
                &url.origin,
                &url.path,
                ", not at the redirect URI ",
                &want.origin,
                &want.path,
            ])));
        }
    }
    let mut code = None;
    let mut state = None;
    let mut iss = None;
    let mut error = None;
    let mut description = None;
    let mut uri = None;
    for (name, value) in form_urlencoded::parse(url.query.as_deref().unwrap_or("").as_bytes()) {
        let slot = match &*name {
            "code" => &mut code,
            "state" => &mut state,
            "iss" => &mut iss,
            "error" => &mut error,
            "error_description" => &mut description,
            "error_uri" => &mut uri,
            _ => continue,
        };
        // RFC 6749 §3.1: a parameter must not be repeated.
        if slot.is_some() {
            return Err(invalid(&cat(&["the callback repeats the parameter ", &one_line(&name)])));
        }
        *slot = Some(value.into_owned());
    }
    if let (Some(expected), Some(got)) = (check.issuer.as_deref(), iss.as_deref()) {
        if expected != got {
            return Err(invalid(&cat(&[
                "the callback's iss (",
                &one_line(got),
                ") is not the expected issuer ",
                expected,
                " (RFC 9207: the response may come from another server)",
            ])));
        }
    }
    if check.require_iss && iss.is_none() {
        return Err(invalid(
            "the callback has no iss, which this server always sends (RFC 9207): it may come from another server",
        ));
    }
    match state.as_deref() {
        None => return Err(invalid("the callback has no state: it does not answer this app's request")),
        Some(s) if s != check.state => {
            return Err(invalid(
                "the callback's state differs from the one sent: a forged or stale callback (CSRF), refused",
            ))
        }
        Some(_) => {}
    }
    if let Some(code) = error {
        let mut e = OAuthError::new(
            ErrorKind::OAuth,
            cat(&[
                "the authorization server answered ",
                &one_line(&code),
                description.as_deref().map_or("", |_| ": "),
                &description.as_deref().map(one_line).unwrap_or_default(),
            ]),
        );
        e.error = Some(code);
        e.error_description = description;
        e.error_uri = uri;
        return Err(e);
    }
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        return Err(invalid("the callback has no code"));
    };
    Ok(AuthorizationResponse { code: Secret::new(code), state: state.unwrap_or_default(), iss })
}

fn invalid(message: &str) -> OAuthError {
    OAuthError::new(ErrorKind::InvalidResponse, message)
}

/// How long an authorization started by `authorize()` waits for its callback: 10 minutes.
pub const TRANSACTION_MS: u64 = 10 * 60 * 1000;
/// `kind` of a stored transaction.
const TRANSACTION_KIND: &str = "oauth2-wasm/authorization";

/// What `manager.authorize()` asks for besides the client (DESIGN §2b).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct AuthorizeOptions {
    /// `redirect_uri`: the page that calls `handleCallback()`.
    pub redirect_uri: String,
    /// `scope`, space-separated.
    pub scope: Option<String>,
    /// OpenID Connect's `nonce`.
    pub nonce: Option<String>,
    /// More parameters (`prompt`, `login_hint` …).
    pub extra_params: Vec<(String, String)>,
}

impl AuthorizeOptions {
    /// Options for `redirect_uri`.
    pub fn new(redirect_uri: impl Into<String>) -> Self {
        AuthorizeOptions { redirect_uri: redirect_uri.into(), ..Self::default() }
    }

    /// Binds the authorization code to a DPoP key (RFC 9449 §10): `dpop_jkt`, its
    /// thumbprint, unless the options already name one. The code is then exchanged only with
    /// a proof made with that key.
    pub fn bind_to(&mut self, key: &crate::jose::PublicJwk) {
        if !self.extra_params.iter().any(|(n, _)| n == "dpop_jkt") {
            self.extra_params.push(("dpop_jkt".into(), key.thumbprint()));
        }
    }

    /// The authorization request for these options, with `state` and `code_challenge`
    /// (S256).
    pub fn request(self, state: String, code_challenge: String) -> AuthorizationRequest {
        AuthorizationRequest {
            redirect_uri: self.redirect_uri,
            scope: self.scope,
            state,
            code_challenge,
            code_challenge_method: None,
            nonce: self.nonce,
            extra_params: self.extra_params,
        }
    }

    /// Reads the JavaScript API's options (`{ redirectUri, scope?, nonce?, extraParams? }`).
    pub fn from_value(v: &Value) -> Result<Self, OAuthError> {
        if !matches!(v, Value::Object(_)) {
            return Err(OAuthError::config("options", "must be an object with at least redirectUri"));
        }
        Ok(AuthorizeOptions {
            redirect_uri: required(v, "redirectUri")?,
            scope: opt_string(v, "scope")?,
            nonce: opt_string(v, "nonce")?,
            extra_params: string_map(v, "extraParams")?,
        })
    }
}

/// An authorization under way: what the callback is checked against and the code is
/// exchanged with. Kept in `sessionStorage` (the tab's own; memory where there is none),
/// never `localStorage`; used once; at most [`TRANSACTION_MS`] old.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Transaction {
    /// The `state` sent.
    pub state: String,
    /// The PKCE code verifier.
    pub verifier: Secret,
    /// The `redirect_uri` sent (the exchange must name it again, RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// When it started (ms since the epoch).
    pub started_at: u64,
}

impl Transaction {
    /// The stored form.
    pub fn encode(&self) -> String {
        let mut out = super::encode::JsonObject::new();
        out.string("kind", TRANSACTION_KIND)
            .string("state", &self.state)
            .string("verifier", self.verifier.expose())
            .string("redirectUri", &self.redirect_uri)
            .number("startedAt", self.started_at);
        out.finish()
    }

    /// The transaction stored as `text` (`None`: nothing was stored), if it is still good at
    /// `now`; else an `invalid_response` error saying why there is none.
    pub fn decode(text: Option<&str>, now: u64) -> Result<Transaction, OAuthError> {
        let none = || {
            invalid(
                "no authorization is under way in this tab: the callback came without authorize(), \
                 was handled already, or arrived in another tab or browser",
            )
        };
        let v = super::json::parse(text.ok_or_else(none)?).ok_or_else(none)?;
        let text_of = |key: &str| match v.field(key) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let started_at = match v.field("startedAt") {
            Some(&Value::Number(n)) => super::config::whole_number(n),
            _ => None,
        };
        let (Some(TRANSACTION_KIND), Some(state), Some(verifier), Some(redirect_uri), Some(started_at)) =
            (text_of("kind").as_deref(), text_of("state"), text_of("verifier"), text_of("redirectUri"), started_at)
        else {
            return Err(none());
        };
        if now.saturating_sub(started_at) > TRANSACTION_MS {
            return Err(invalid("the authorization expired: it was started more than 10 minutes ago; start again"));
        }
        Ok(Transaction { state, verifier: Secret::new(verifier), redirect_uri, started_at })
    }
}

/// Where a manager keeps its transaction, beside its storage key.
pub fn transaction_key(storage_key: &str) -> String {
    cat(&[storage_key, "#authorization"])
}

/// `manager.authorize()`: a transaction (verifier and state from the two sets of random
/// bytes, started at `now`) and the URL to visit, with the S256 challenge.
pub fn authorize_with(
    client: &ClientConfig,
    options: &AuthorizeOptions,
    random: (&[u8; RANDOM_BYTES], &[u8; RANDOM_BYTES]),
    now: u64,
    urls: &dyn UrlParser,
) -> Result<(Transaction, String), OAuthError> {
    let verifier = random_text(random.0);
    let transaction = Transaction {
        state: random_text(random.1),
        verifier: Secret::new(verifier),
        redirect_uri: options.redirect_uri.clone(),
        started_at: now,
    };
    let challenge = code_challenge_s256(transaction.verifier.expose())?;
    let request = options.clone().request(transaction.state.clone(), challenge);
    let url = build_authorization_url_with(client, &request, urls)?;
    Ok((transaction, url))
}

/// `manager.handleCallback()`: the `authorization_code` grant for `callback`, checked
/// against the transaction that was stored (`stored`, already removed: it is used once) —
/// its state, the client's `issuer` (RFC 9207), its redirect URI.
pub fn callback_grant_with(
    client: &ClientConfig,
    stored: Option<&str>,
    callback: &str,
    now: u64,
    urls: &dyn UrlParser,
) -> Result<super::grant::Grant, OAuthError> {
    let transaction = Transaction::decode(stored, now)?;
    let check = CallbackCheck {
        state: transaction.state,
        issuer: client.issuer.clone(),
        redirect_uri: Some(transaction.redirect_uri.clone()),
        require_iss: client.require_iss,
    };
    let response = parse_authorization_response_with(callback, &check, urls)?;
    Ok(super::grant::Grant::AuthorizationCode {
        code: response.code,
        redirect_uri: Some(transaction.redirect_uri),
        code_verifier: Some(transaction.verifier),
    })
}
