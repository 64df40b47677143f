//! Building the token request: one pure function from client and grant to bytes.

use super::config::{BasicEncoding, BodyEncoding, ClientAuth, ClientConfig, ClientId};
use super::encode;
use super::endpoint;
use super::error::OAuthError;
use super::grant::{Grant, ResourceOwner};
use super::text::{cat, digits};
use crate::prelude::*;

/// A token request, ready for `fetch(url, { method, headers, body })`.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The token endpoint.
    pub url: String,
    /// Always `POST` (RFC 6749 §3.2).
    pub method: &'static str,
    /// Request headers, in order: `Accept`, `Content-Type`, `Authorization`, then extras.
    pub headers: Vec<(String, String)>,
    /// The encoded body. It holds credentials: never log it.
    pub body: String,
}

impl TokenRequest {
    /// Adds the `DPoP` header with `proof` (RFC 9449 §4.1), a signed proof for this
    /// request ([`crate::jose::dpop_proof`]).
    pub fn add_dpop(&mut self, proof: String) {
        self.headers.push(("DPoP".into(), proof));
    }
}

/// `Debug` shows header names and the body's length: both carry credentials.
impl core::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("TokenRequest")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Parameters the library sets itself; neither `extraParams` nor `params` may repeat them.
const MANAGED: &[&str] = &["grant_type", "client_id", "client_secret", "client_assertion_type", "client_assertion"];

/// Headers the library sets itself (compared case-insensitively).
const MANAGED_HEADERS: &[&str] = &["authorization", "content-type", "content-length", "accept", "host", "dpop"];

/// One body parameter; `number` marks a numeric `client_id` (a JSON number in JSON bodies).
struct Param<'a> {
    name: &'a str,
    value: &'a str,
    number: bool,
}

/// [`build_token_request_with`] the `url` crate's WHATWG parser (feature `url`).
#[cfg(feature = "url")]
pub fn build_token_request(client: &ClientConfig, grant: &Grant) -> Result<TokenRequest, OAuthError> {
    build_token_request_with(client, grant, &endpoint::WhatwgUrl)
}

/// Builds the token request for `grant` (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §4.5, §6, with
/// client authentication per §2.3.1). Bad input is a `config` error naming the field;
/// nothing about the request is left to the caller to check.
///
/// `urls` is the WHATWG parser the transport uses ([`endpoint::UrlParser`]): the endpoint's
/// https-or-loopback check is made on its parse.
pub fn build_token_request_with(
    client: &ClientConfig,
    grant: &Grant,
    urls: &dyn endpoint::UrlParser,
) -> Result<TokenRequest, OAuthError> {
    let mut params: Vec<Param> = Vec::with_capacity(8);
    params.push(Param { name: "grant_type", value: grant.grant_type(), number: false });
    grant_params(grant, &mut params)?;
    authenticated(client, "tokenEndpoint", &client.token_endpoint, params, urls)
}

/// [`build_revocation_request_with`] the `url` crate's WHATWG parser (feature `url`).
#[cfg(feature = "url")]
pub fn build_revocation_request(
    client: &ClientConfig,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<TokenRequest, OAuthError> {
    build_revocation_request_with(client, token, token_type_hint, &endpoint::WhatwgUrl)
}

/// Builds the revocation request for `token` (RFC 7009 §2.1) at the client's
/// `revocation_endpoint`, authenticated as token requests are (every `clientAuth`, both
/// body encodings), with the client's extra headers and parameters. `token_type_hint`:
/// `access_token`, `refresh_token` or an extension's type.
pub fn build_revocation_request_with(
    client: &ClientConfig,
    token: &str,
    token_type_hint: Option<&str>,
    urls: &dyn endpoint::UrlParser,
) -> Result<TokenRequest, OAuthError> {
    let url = endpoint::required(
        "revocationEndpoint",
        client.revocation_endpoint.as_deref(),
        "to revoke a token: the server's RFC 7009 endpoint",
    )?;
    about_token(client, "revocationEndpoint", url, token, token_type_hint, urls)
}

/// [`build_introspection_request_with`] the `url` crate's WHATWG parser (feature `url`).
#[cfg(feature = "url")]
pub fn build_introspection_request(
    client: &ClientConfig,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<TokenRequest, OAuthError> {
    build_introspection_request_with(client, token, token_type_hint, &endpoint::WhatwgUrl)
}

/// Builds the introspection request for `token` (RFC 7662 §2.1) at the client's
/// `introspection_endpoint`, authenticated as token requests are.
pub fn build_introspection_request_with(
    client: &ClientConfig,
    token: &str,
    token_type_hint: Option<&str>,
    urls: &dyn endpoint::UrlParser,
) -> Result<TokenRequest, OAuthError> {
    let url = endpoint::required(
        "introspectionEndpoint",
        client.introspection_endpoint.as_deref(),
        "to introspect a token: the server's RFC 7662 endpoint",
    )?;
    about_token(client, "introspectionEndpoint", url, token, token_type_hint, urls)
}

/// A request about `token` (revocation, introspection): `token` and `token_type_hint`, then
/// the client's authentication, as for token requests.
fn about_token(
    client: &ClientConfig,
    field: &str,
    url: &str,
    token: &str,
    token_type_hint: Option<&str>,
    urls: &dyn endpoint::UrlParser,
) -> Result<TokenRequest, OAuthError> {
    if token.is_empty() {
        return Err(OAuthError::config("token", "must not be empty"));
    }
    check_line("token", token)?;
    let mut params: Vec<Param> = Vec::with_capacity(6);
    params.push(Param { name: "token", value: token, number: false });
    if let Some(hint) = token_type_hint {
        if hint.is_empty() {
            return Err(OAuthError::config("tokenTypeHint", "must not be empty"));
        }
        check_line("tokenTypeHint", hint)?;
        params.push(Param { name: "token_type_hint", value: hint, number: false });
    }
    authenticated(client, field, url, params, urls)
}

/// A POST to `url` (the client's `field`, checked as the transport will parse it) with
/// `params` first, then the client's authentication, extra parameters and headers.
fn authenticated<'a>(
    client: &'a ClientConfig,
    field: &str,
    url: &str,
    first: Vec<Param<'a>>,
    urls: &dyn endpoint::UrlParser,
) -> Result<TokenRequest, OAuthError> {
    endpoint::check(field, url, urls, client.allow_insecure_http)?;
    let auth = client.effective_auth();
    let secret = client.secret();
    if let Some(s) = &client.client_secret {
        if !s.expose().is_empty() && s.expose().trim().is_empty() {
            return Err(OAuthError::config("clientSecret", "is only whitespace"));
        }
        check_line("clientSecret", s.expose())?;
    }
    let id_digits;
    let client_id: Option<(&str, bool)> = match &client.client_id {
        None => None,
        Some(ClientId::Text(s)) => {
            if s.is_empty() {
                return Err(OAuthError::config("clientId", "must not be empty"));
            }
            check_line("clientId", s)?;
            Some((s, false))
        }
        Some(ClientId::Number(n)) => {
            id_digits = digits(*n);
            Some((&id_digits, true))
        }
    };
    match auth {
        ClientAuth::None if secret.is_some() => {
            return Err(OAuthError::config(
                "clientSecret",
                "is set but clientAuth is \"none\": use \"basic\" or \"body\", or drop the secret",
            )
            .about(&[("clientAuth", Some("basic")), ("clientAuth", Some("body"))]))
        }
        ClientAuth::Basic | ClientAuth::Body if client_id.is_none() => {
            return Err(OAuthError::config("clientId", "is required when clientAuth is \"basic\" or \"body\"")
                .about(&[("clientAuth", None)]))
        }
        ClientAuth::Basic if secret.is_none() => {
            return Err(OAuthError::config("clientSecret", "is required when clientAuth is \"basic\""))
        }
        ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt if client_id.is_none() => {
            return Err(OAuthError::config(
                "clientId",
                &cat(&["is required when clientAuth is \"", auth.as_str(), "\""]),
            ))
        }
        _ => {}
    }
    let assertion = match auth {
        ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt => {
            let jwt = client.client_assertion.as_ref().map(|a| a.expose()).ok_or_else(|| {
                OAuthError::config(
                    "clientAssertion",
                    &cat(&[
                        "is required to build a request with clientAuth \"",
                        auth.as_str(),
                        "\" (requestToken, revokeToken and introspectToken sign one themselves)",
                    ]),
                )
            })?;
            check_line("clientAssertion", jwt)?;
            Some(jwt)
        }
        _ => None,
    };

    // Shorter-lived than `first`'s: the numeric id's digits live here.
    let mut params: Vec<Param> = first;
    match auth {
        ClientAuth::Body => {
            if let Some((id, number)) = client_id {
                params.push(Param { name: "client_id", value: id, number });
            }
            if let Some(s) = secret {
                params.push(Param { name: "client_secret", value: s, number: false });
            }
        }
        ClientAuth::None | ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt => {
            if let Some((id, number)) = client_id {
                params.push(Param { name: "client_id", value: id, number });
            }
        }
        ClientAuth::Basic => {}
    }
    if let Some(jwt) = assertion {
        params.push(Param { name: "client_assertion_type", value: crate::jose::ASSERTION_TYPE, number: false });
        params.push(Param { name: "client_assertion", value: jwt, number: false });
    }
    for (name, value) in &client.extra_params {
        check_param_name("extraParams", name, &params)?;
        check_line(&cat(&["extraParams.", name]), value)?;
        params.push(Param { name, value, number: false });
    }

    let mut headers: Vec<(String, String)> = Vec::with_capacity(3 + client.headers.len());
    headers.push(("Accept".into(), "application/json".into()));
    let body = match client.body_encoding {
        BodyEncoding::Form => {
            headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
            encode::form_body(params.iter().map(|p| (p.name, p.value)))
        }
        BodyEncoding::Json => {
            headers.push(("Content-Type".into(), "application/json".into()));
            encode::json_body(params.iter().map(|p| (p.name, p.value, p.number)))
        }
    };
    if let (ClientAuth::Basic, Some((id, _)), Some(secret)) = (auth, client_id, secret) {
        headers.push(("Authorization".into(), basic_credentials(id, secret, client.basic_encoding)?));
    }
    for (name, value) in &client.headers {
        check_header(name, value)?;
        headers.push((name.clone(), value.clone()));
    }
    Ok(TokenRequest { url: url.to_owned(), method: "POST", headers, body })
}

/// `Basic base64(id ":" secret)`; with [`BasicEncoding::Form`], each half form-urlencoded
/// first (RFC 6749 §2.3.1).
pub fn basic_credentials(id: &str, secret: &str, encoding: BasicEncoding) -> Result<String, OAuthError> {
    let mut plain = String::new();
    match encoding {
        BasicEncoding::Form => {
            encode::push_form(&mut plain, id);
            plain.push(':');
            encode::push_form(&mut plain, secret);
        }
        BasicEncoding::Raw => {
            if id.contains(':') {
                return Err(OAuthError::config(
                    "clientId",
                    "contains ':' which raw Basic encoding cannot carry: use basicEncoding \"form\" or clientAuth \"body\"",
                )
                .about(&[("basicEncoding", Some("form")), ("clientAuth", Some("body"))]));
            }
            plain.push_str(id);
            plain.push(':');
            plain.push_str(secret);
        }
    }
    Ok(cat(&["Basic ", &encode::base64(plain.as_bytes())]))
}

/// The grant's own parameters, checked.
fn grant_params<'a>(grant: &'a Grant, params: &mut Vec<Param<'a>>) -> Result<(), OAuthError> {
    let mut add = |field: &str, name: &'a str, value: &'a str| -> Result<(), OAuthError> {
        if value.is_empty() {
            return Err(OAuthError::config(field, "must not be empty"));
        }
        check_line(field, value)?;
        params.push(Param { name, value, number: false });
        Ok(())
    };
    match grant {
        Grant::Password { owner, password, scope } => {
            match owner {
                ResourceOwner::Username(u) => add("username", "username", u)?,
                ResourceOwner::EmailAddress(e) => add("emailAddress", "email_address", e)?,
            }
            add("password", "password", password.expose())?;
            push_scope(scope.as_deref(), params)
        }
        Grant::Partner { partner_code, partner_secret, scope } => {
            add("partnerCode", "partner_code", partner_code)?;
            add("partnerSecret", "partner_secret", partner_secret.expose())?;
            push_scope(scope.as_deref(), params)
        }
        Grant::ClientCredentials { scope } => push_scope(scope.as_deref(), params),
        Grant::RefreshToken { refresh_token, scope } => {
            add("refreshToken", "refresh_token", refresh_token.expose())?;
            push_scope(scope.as_deref(), params)
        }
        Grant::AuthorizationCode { code, redirect_uri, code_verifier } => {
            add("code", "code", code.expose())?;
            if let Some(uri) = redirect_uri {
                add("redirectUri", "redirect_uri", uri)?;
            }
            if let Some(v) = code_verifier {
                check_code_verifier(v.expose())?;
                add("codeVerifier", "code_verifier", v.expose())?;
            }
            Ok(())
        }
        Grant::Extension { grant_type, params: extra } => {
            check_grant_type(grant_type)?;
            for (name, value) in extra {
                check_param_name("params", name, params)?;
                check_line("params", value.expose())?;
                params.push(Param { name, value: value.expose(), number: false });
            }
            Ok(())
        }
    }
}

/// Adds `scope` unless empty; each space-separated token must be `1*NQCHAR` (RFC 6749 §3.3).
fn push_scope<'a>(scope: Option<&'a str>, params: &mut Vec<Param<'a>>) -> Result<(), OAuthError> {
    let Some(scope) = scope.filter(|s| !s.trim().is_empty()) else {
        return Ok(());
    };
    let nqchar = |b: u8| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b);
    if !scope.split(' ').filter(|t| !t.is_empty()).all(|t| t.bytes().all(nqchar)) {
        return Err(OAuthError::config(
            "scope",
            "holds a character a scope token cannot have (RFC 6749 §3.3: printable ASCII without space, \" or \\)",
        ));
    }
    params.push(Param { name: "scope", value: scope, number: false });
    Ok(())
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`.
pub(crate) fn check_code_verifier(v: &str) -> Result<(), OAuthError> {
    let ok = (43..=128).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if ok {
        Ok(())
    } else {
        Err(OAuthError::config("codeVerifier", "must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)"))
    }
}

/// An extension `grant_type`: a name of `[A-Za-z0-9._-]` or an absolute URI (RFC 6749 A.10).
fn check_grant_type(t: &str) -> Result<(), OAuthError> {
    let name = !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    let uri = t.contains(':') && t.bytes().all(|b| b.is_ascii_graphic());
    if name || uri {
        Ok(())
    } else {
        Err(OAuthError::config("grantType", "must be a name of letters, digits, '-', '.', '_' or an absolute URI"))
    }
}

/// An extra parameter must have a name and must not repeat one already in the body.
fn check_param_name(field: &str, name: &str, params: &[Param]) -> Result<(), OAuthError> {
    if name.is_empty() {
        return Err(OAuthError::config(field, "has a parameter with an empty name"));
    }
    check_line(field, name)?;
    if MANAGED.contains(&name) || params.iter().any(|p| p.name == name) {
        return Err(OAuthError::config(
            &cat(&[field, ".", name]),
            "repeats a parameter the grant or client authentication already sets",
        ));
    }
    Ok(())
}

/// Values travel in one line: CR, LF and NUL are refused (RFC 6749 Appendix A).
pub fn check_line(field: &str, value: &str) -> Result<(), OAuthError> {
    if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(OAuthError::config(field, "must not contain line breaks or NUL"));
    }
    Ok(())
}

/// Extra headers: a token name, a one-line value, and none the library sets itself.
fn check_header(name: &str, value: &str) -> Result<(), OAuthError> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(OAuthError::config(&cat(&["headers.", name]), "is not a valid header name"));
    }
    if MANAGED_HEADERS.iter().any(|m| m.eq_ignore_ascii_case(name)) {
        return Err(OAuthError::config(
            &cat(&["headers.", name]),
            "is set by the library (use clientAuth, bodyEncoding) and cannot be overridden",
        )
        .about(&[("clientAuth", None), ("bodyEncoding", None)]));
    }
    let field = cat(&["headers.", name]);
    check_line(&field, value)?;
    // What fetch (a byte string) and node:http both carry: tab, visible ASCII, Latin-1.
    let carried = |c: char| c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c);
    if !value.chars().all(carried) {
        return Err(OAuthError::config(
            &field,
            "has a character an HTTP header cannot carry (a control character, or beyond U+00FF)",
        ));
    }
    Ok(())
}
