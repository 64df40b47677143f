//! Client configuration: the token endpoint, the client's identity and how it authenticates.

use super::error::OAuthError;
use super::json::Value;
use super::text::cat;
use crate::prelude::*;

/// A string that must not be shown: a client secret, password, partner secret or token.
/// `Debug` prints `[redacted]`; there is no `Display`.
///
/// With feature `serde` it serializes as the plain string — as oauth2-rs's secret types do —
/// so that an app can keep its own configuration or token set: what it writes holds the
/// secret. The library itself never serializes one outside the token record.
#[derive(Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself, for the one place that must send or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

/// A client identifier: vendors hand out strings or numbers (OLX's `client_id` is a number).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(untagged))]
pub enum ClientId {
    /// A string identifier.
    Text(String),
    /// A numeric identifier, sent as digits (a JSON number in a JSON body).
    Number(u64),
}

impl ClientId {
    /// The identifier as text (a number as its digits).
    pub fn text(&self) -> String {
        match self {
            ClientId::Text(s) => s.clone(),
            ClientId::Number(n) => super::text::digits(*n),
        }
    }
}

impl From<&str> for ClientId {
    fn from(s: &str) -> Self {
        ClientId::Text(s.to_owned())
    }
}

impl From<String> for ClientId {
    fn from(s: String) -> Self {
        ClientId::Text(s)
    }
}

impl From<u64> for ClientId {
    fn from(n: u64) -> Self {
        ClientId::Number(n)
    }
}

/// How the client authenticates to the token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum ClientAuth {
    /// `Authorization: Basic base64(id ":" secret)`.
    Basic,
    /// `client_id` and `client_secret` as body parameters.
    Body,
    /// No client authentication; `client_id`, when given, goes in the body (public clients).
    None,
    /// A JWT signed with the client's private key (RFC 7523 §2.2, OpenID Connect Core §9):
    /// `client_assertion_type`, `client_assertion` and `client_id` in the body.
    #[cfg_attr(feature = "serde", serde(rename = "private_key_jwt"))]
    PrivateKeyJwt,
    /// A JWT signed HS256 with the client secret, sent as with [`ClientAuth::PrivateKeyJwt`].
    #[cfg_attr(feature = "serde", serde(rename = "client_secret_jwt"))]
    ClientSecretJwt,
}

impl ClientAuth {
    /// The JavaScript API's name (`"basic"`, `"body"`, `"none"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::Basic => "basic",
            ClientAuth::Body => "body",
            ClientAuth::None => "none",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
            ClientAuth::ClientSecretJwt => "client_secret_jwt",
        }
    }
}

/// How the id and secret are prepared for HTTP Basic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "lowercase"))]
pub enum BasicEncoding {
    /// RFC 6749 §2.3.1: each form-urlencoded (UTF-8) before `base64(id ":" secret)`.
    #[default]
    Form,
    /// UTF-8 as is, for servers that do not decode (what `curl --user` sends).
    Raw,
}

/// How the request body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "lowercase"))]
pub enum BodyEncoding {
    /// `application/x-www-form-urlencoded` (RFC 6749 §4).
    #[default]
    Form,
    /// `application/json`, for servers that ask for it (Teen Quotes).
    Json,
}

/// Everything about the client that does not change between grants.
///
/// Build one with [`ClientConfig::builder`] (or [`ClientConfig::new`] and the public
/// fields). With feature `serde` it reads and writes the JavaScript API's shape
/// (`{"tokenEndpoint": …, "clientId": …, "headers": {…}}`).
#[derive(Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
#[non_exhaustive]
pub struct ClientConfig {
    /// The token endpoint: an absolute `https` URL (`http` only for loopback hosts unless
    /// `allow_insecure_http`).
    pub token_endpoint: String,
    /// The authorization endpoint (RFC 6749 §3.1), for
    /// [`crate::authorization::build_authorization_url_with`]: checked like `token_endpoint`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub authorization_endpoint: Option<String>,
    /// The authorization server's issuer identifier (RFC 8414 §2), which a callback's `iss`
    /// must equal (RFC 9207).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub issuer: Option<String>,
    /// The server always sends `iss` in its authorization responses (its metadata says
    /// `authorization_response_iss_parameter_supported`): a callback without one is refused
    /// (RFC 9207 §2.4). Set by [`crate::discovery::ServerMetadata::client`].
    pub require_iss: bool,
    /// The revocation endpoint (RFC 7009), for [`crate::request::build_revocation_request_with`]:
    /// an absolute URL, checked like `token_endpoint`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub revocation_endpoint: Option<String>,
    /// The introspection endpoint (RFC 7662), for
    /// [`crate::request::build_introspection_request_with`]: checked like `token_endpoint`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub introspection_endpoint: Option<String>,
    /// The client identifier.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub client_id: Option<ClientId>,
    /// The client secret; an empty one counts as none (RFC 6749 §2.3.1).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub client_secret: Option<Secret>,
    /// Client authentication; by default `private_key_jwt` with a private key, Basic with a
    /// secret, none without.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub client_auth: Option<ClientAuth>,
    /// What the driver tells of the private key of `private_key_jwt` (its type, never its
    /// material: the key stays the platform's, and signs there).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub private_key: Option<crate::jose::KeyFacts>,
    /// `kid` in a client assertion's header.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub key_id: Option<String>,
    /// The client assertion's algorithm (`RS256`, `PS256`, `ES256`, `EdDSA`; `HS256` for
    /// `client_secret_jwt`); by default the key's ([`crate::jose::signing_alg`]).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub signing_alg: Option<String>,
    /// A client assertion's `aud`; by default the URL of the endpoint it is sent to.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub assertion_audience: Option<String>,
    /// A ready client assertion (a signed JWT) for `private_key_jwt` or
    /// `client_secret_jwt`: what a request built synchronously sends. The drivers sign one
    /// per request themselves ([`crate::jose::client_assertion`]).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub client_assertion: Option<Secret>,
    /// How Basic credentials are encoded.
    pub basic_encoding: BasicEncoding,
    /// How the body is encoded.
    pub body_encoding: BodyEncoding,
    /// Extra request headers.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_shapes::pairs"))]
    pub headers: Vec<(String, String)>,
    /// Extra body parameters sent with every grant.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_shapes::pairs"))]
    pub extra_params: Vec<(String, String)>,
    /// Request time limit in milliseconds (default 30 000).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub timeout_ms: Option<u32>,
    /// Allow `http` endpoints on any host.
    pub allow_insecure_http: bool,
    /// The response members holding a vendor's human-readable error title and message
    /// (default `error_human_title` and `error_human_message`).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_shapes::human_fields"))]
    pub human_fields: Option<(String, String)>,
    /// Silence the once-per-page browser warning about a client secret or a password grant.
    pub acknowledge_browser_secrets: bool,
}

impl ClientConfig {
    /// A configuration for `token_endpoint` with everything else at its default.
    pub fn new(token_endpoint: impl Into<String>) -> Self {
        ClientConfig { token_endpoint: token_endpoint.into(), ..ClientConfig::default() }
    }

    /// A builder for a configuration of `token_endpoint`:
    ///
    /// ```
    /// use oauth2_wasm_core::{BodyEncoding, ClientAuth, ClientConfig};
    ///
    /// let client = ClientConfig::builder("https://api.teen-quotes.com/oauth")
    ///     .client_id("42")
    ///     .client_secret("s3cret")
    ///     .client_auth(ClientAuth::Body)
    ///     .body_encoding(BodyEncoding::Json)
    ///     .header("X-Api-Version", "2")
    ///     .timeout_ms(10_000)
    ///     .build();
    /// assert_eq!(client.secret(), Some("s3cret"));
    /// ```
    pub fn builder(token_endpoint: impl Into<String>) -> ClientConfigBuilder {
        ClientConfigBuilder(ClientConfig::new(token_endpoint))
    }

    /// The client secret, if one is set and not empty.
    pub fn secret(&self) -> Option<&str> {
        self.client_secret.as_ref().map(Secret::expose).filter(|s| !s.is_empty())
    }

    /// The client authentication in effect: by default `private_key_jwt` with a private key,
    /// Basic with a secret, none without.
    pub fn effective_auth(&self) -> ClientAuth {
        self.client_auth.unwrap_or(match (&self.private_key, self.secret()) {
            (Some(_), _) => ClientAuth::PrivateKeyJwt,
            (None, Some(_)) => ClientAuth::Basic,
            (None, None) => ClientAuth::None,
        })
    }

    /// Reads a configuration from a JSON-shaped object with the JavaScript names
    /// (`tokenEndpoint`, `clientId`, …). Type errors name the field.
    pub fn from_value(v: &Value) -> Result<Self, OAuthError> {
        if !matches!(v, Value::Object(_)) {
            return Err(OAuthError::config("client", "must be an object with at least tokenEndpoint"));
        }
        let mut c = ClientConfig::new(opt_string(v, "tokenEndpoint")?.unwrap_or_default());
        c.authorization_endpoint = opt_string(v, "authorizationEndpoint")?;
        c.issuer = opt_string(v, "issuer")?;
        c.require_iss = opt_bool(v, "requireIss")?;
        c.revocation_endpoint = opt_string(v, "revocationEndpoint")?;
        c.introspection_endpoint = opt_string(v, "introspectionEndpoint")?;
        c.client_id =
            match v.field("clientId") {
                None => None,
                Some(Value::String(s)) => Some(ClientId::Text(s.clone())),
                Some(Value::Number(n)) => Some(ClientId::Number(whole_number(*n).ok_or_else(|| {
                    OAuthError::config("clientId", "must be a string or a non-negative whole number")
                })?)),
                Some(_) => return Err(OAuthError::config("clientId", "must be a string or a number")),
            };
        c.client_secret = opt_string(v, "clientSecret")?.map(Secret);
        c.client_auth = match opt_string(v, "clientAuth")?.as_deref() {
            None => None,
            Some("basic") => Some(ClientAuth::Basic),
            Some("body") => Some(ClientAuth::Body),
            Some("none") => Some(ClientAuth::None),
            Some("private_key_jwt") => Some(ClientAuth::PrivateKeyJwt),
            Some("client_secret_jwt") => Some(ClientAuth::ClientSecretJwt),
            Some(_) => {
                return Err(OAuthError::config(
                    "clientAuth",
                    "must be \"basic\", \"body\", \"none\", \"private_key_jwt\" or \"client_secret_jwt\"",
                ))
            }
        };
        c.private_key = v.field("privateKey").map(crate::jose::KeyFacts::from_value).transpose()?;
        c.key_id = opt_string(v, "keyId")?;
        c.signing_alg = opt_string(v, "signingAlg")?;
        c.assertion_audience = opt_string(v, "assertionAudience")?;
        c.client_assertion = opt_string(v, "clientAssertion")?.map(Secret);
        c.basic_encoding = match opt_string(v, "basicEncoding")?.as_deref() {
            None | Some("form") => BasicEncoding::Form,
            Some("raw") => BasicEncoding::Raw,
            Some(_) => return Err(OAuthError::config("basicEncoding", "must be \"form\" or \"raw\"")),
        };
        c.body_encoding = match opt_string(v, "bodyEncoding")?.as_deref() {
            None | Some("form") => BodyEncoding::Form,
            Some("json") => BodyEncoding::Json,
            Some(_) => return Err(OAuthError::config("bodyEncoding", "must be \"form\" or \"json\"")),
        };
        c.headers = string_map(v, "headers")?;
        c.extra_params = string_map(v, "extraParams")?;
        c.timeout_ms = match v.field("timeoutMs") {
            None => None,
            Some(Value::Number(n)) => Some(
                whole_number(*n)
                    .filter(|&ms| ms > 0 && ms <= u32::MAX as u64)
                    .ok_or_else(|| OAuthError::config("timeoutMs", "must be a positive whole number of milliseconds"))?
                    as u32,
            ),
            Some(_) => return Err(OAuthError::config("timeoutMs", "must be a number of milliseconds")),
        };
        c.allow_insecure_http = opt_bool(v, "allowInsecureHttp")?;
        c.acknowledge_browser_secrets = opt_bool(v, "acknowledgeBrowserSecrets")?;
        if let Some(h) = v.field("humanFields") {
            let title = opt_string(h, "title")?.unwrap_or_else(|| "error_human_title".to_owned());
            let message = opt_string(h, "message")?.unwrap_or_else(|| "error_human_message".to_owned());
            c.human_fields = Some((title, message));
        }
        Ok(c)
    }
}

/// `Debug` shows the shape, never the secret or header values (they may hold API keys).
impl core::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let param_names: Vec<&str> = self.extra_params.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ClientConfig")
            .field("token_endpoint", &self.token_endpoint)
            .field("authorization_endpoint", &self.authorization_endpoint)
            .field("issuer", &self.issuer)
            .field("require_iss", &self.require_iss)
            .field("revocation_endpoint", &self.revocation_endpoint)
            .field("introspection_endpoint", &self.introspection_endpoint)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("client_auth", &self.client_auth)
            .field("private_key", &self.private_key)
            .field("key_id", &self.key_id)
            .field("signing_alg", &self.signing_alg)
            .field("assertion_audience", &self.assertion_audience)
            .field("client_assertion", &self.client_assertion)
            .field("basic_encoding", &self.basic_encoding)
            .field("body_encoding", &self.body_encoding)
            .field("headers", &header_names)
            .field("extra_params", &param_names)
            .field("timeout_ms", &self.timeout_ms)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("acknowledge_browser_secrets", &self.acknowledge_browser_secrets)
            .finish()
    }
}

/// A non-negative whole number that a JavaScript number represents exactly.
pub fn whole_number(n: f64) -> Option<u64> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    ((0.0..=MAX_SAFE).contains(&n) && super::json::is_whole(n)).then_some(n as u64)
}

/// The optional boolean member `key` of `v`, `false` when absent.
fn opt_bool(v: &Value, key: &str) -> Result<bool, OAuthError> {
    match v.field(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(OAuthError::config(key, "must be a boolean")),
    }
}

/// The optional string member `key` of `v` (`null` counts as absent).
pub fn opt_string(v: &Value, key: &str) -> Result<Option<String>, OAuthError> {
    match v.field(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(OAuthError::config(key, &cat(&["must be a string, not ", other.describe()]))),
    }
}

/// The optional object member `key` whose values are strings (whole numbers and booleans
/// are taken as their text); `null` members are skipped.
pub fn string_map(v: &Value, key: &str) -> Result<Vec<(String, String)>, OAuthError> {
    string_pairs(v.field(key), key)
}

/// The members of `map` (an object of strings, or absent) as pairs; `key` names it in errors.
pub fn string_pairs(map: Option<&Value>, key: &str) -> Result<Vec<(String, String)>, OAuthError> {
    let members = match map {
        None => return Ok(Vec::new()),
        Some(Value::Object(members)) => members,
        Some(_) => return Err(OAuthError::config(key, "must be an object of strings")),
    };
    let mut out = Vec::with_capacity(members.len());
    for (name, value) in members {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Bool(b) => (if *b { "true" } else { "false" }).to_owned(),
            Value::Number(n) => match whole_number(*n) {
                Some(n) => super::text::digits(n),
                None => return Err(OAuthError::config(&cat(&[key, ".", name]), "must be a string")),
            },
            _ => return Err(OAuthError::config(&cat(&[key, ".", name]), "must be a string")),
        };
        out.push((name.clone(), text));
    }
    Ok(out)
}

/// Builds a [`ClientConfig`] ([`ClientConfig::builder`]). Nothing is checked until the
/// configuration is used: the checks live in one place, where requests are built.
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientConfigBuilder(ClientConfig);

impl ClientConfigBuilder {
    /// The authorization endpoint (RFC 6749 §3.1).
    pub fn authorization_endpoint(mut self, url: impl Into<String>) -> Self {
        self.0.authorization_endpoint = Some(url.into());
        self
    }

    /// The issuer identifier (RFC 8414), checked against a callback's `iss` (RFC 9207).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.0.issuer = Some(issuer.into());
        self
    }

    /// Refuse a callback without `iss` (RFC 9207 §2.4: the server says it always sends one).
    pub fn require_iss(mut self, require: bool) -> Self {
        self.0.require_iss = require;
        self
    }

    /// The revocation endpoint (RFC 7009).
    pub fn revocation_endpoint(mut self, url: impl Into<String>) -> Self {
        self.0.revocation_endpoint = Some(url.into());
        self
    }

    /// The introspection endpoint (RFC 7662).
    pub fn introspection_endpoint(mut self, url: impl Into<String>) -> Self {
        self.0.introspection_endpoint = Some(url.into());
        self
    }

    /// The client identifier (a string or a number).
    pub fn client_id(mut self, id: impl Into<ClientId>) -> Self {
        self.0.client_id = Some(id.into());
        self
    }
    /// The client secret.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.0.client_secret = Some(secret.into());
        self
    }
    /// How the client authenticates (default: Basic with a secret, none without).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.0.client_auth = Some(auth);
        self
    }
    /// Sets [`ClientConfig::private_key`] (`private_key_jwt`).
    pub fn private_key(mut self, key: crate::jose::KeyFacts) -> Self {
        self.0.private_key = Some(key);
        self
    }

    /// Sets [`ClientConfig::key_id`].
    pub fn key_id(mut self, kid: impl Into<String>) -> Self {
        self.0.key_id = Some(kid.into());
        self
    }

    /// Sets [`ClientConfig::signing_alg`].
    pub fn signing_alg(mut self, alg: impl Into<String>) -> Self {
        self.0.signing_alg = Some(alg.into());
        self
    }

    /// Sets [`ClientConfig::assertion_audience`].
    pub fn assertion_audience(mut self, aud: impl Into<String>) -> Self {
        self.0.assertion_audience = Some(aud.into());
        self
    }

    /// Sets [`ClientConfig::client_assertion`].
    pub fn client_assertion(mut self, jwt: impl Into<Secret>) -> Self {
        self.0.client_assertion = Some(jwt.into());
        self
    }

    /// How Basic credentials are encoded.
    pub fn basic_encoding(mut self, encoding: BasicEncoding) -> Self {
        self.0.basic_encoding = encoding;
        self
    }
    /// How the body is encoded.
    pub fn body_encoding(mut self, encoding: BodyEncoding) -> Self {
        self.0.body_encoding = encoding;
        self
    }
    /// Adds a request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.headers.push((name.into(), value.into()));
        self
    }
    /// Adds a body parameter sent with every grant.
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.extra_params.push((name.into(), value.into()));
        self
    }
    /// The request time limit in milliseconds.
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.0.timeout_ms = Some(ms);
        self
    }
    /// Allows `http` endpoints on any host (not only loopback).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.0.allow_insecure_http = allow;
        self
    }
    /// The response members holding the vendor's human-readable error title and message.
    pub fn human_fields(mut self, title: impl Into<String>, message: impl Into<String>) -> Self {
        self.0.human_fields = Some((title.into(), message.into()));
        self
    }
    /// Silences the once-per-page browser warning about a secret or a password grant.
    pub fn acknowledge_browser_secrets(mut self, acknowledge: bool) -> Self {
        self.0.acknowledge_browser_secrets = acknowledge;
        self
    }
    /// The configuration.
    pub fn build(self) -> ClientConfig {
        self.0
    }
}
