//! Authorization server metadata (RFC 8414, with OpenID Connect Discovery 1.0 as the
//! fallback), without I/O: the well-known URLs for an issuer, the document's checks, and
//! the client configuration it gives. A driver sends [`Discovery::request`] and hands each
//! answer to [`Discovery::finish`].

use super::config::{opt_string, ClientAuth, ClientConfig};
use super::endpoint::{self, UrlParser};
use super::error::{ErrorKind, OAuthError};
use super::json::{self, Value};
use super::request::TokenRequest;
use super::text::cat;
use crate::prelude::*;

/// What the server says about itself (RFC 8414 §2); members of another type are only in
/// `raw`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ServerMetadata {
    /// `issuer`: equal to the one asked for.
    pub issuer: String,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 7009).
    pub revocation_endpoint: Option<String>,
    /// `introspection_endpoint` (RFC 7662).
    pub introspection_endpoint: Option<String>,
    /// `token_endpoint_auth_methods_supported`.
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// `code_challenge_methods_supported`.
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// `dpop_signing_alg_values_supported` (RFC 9449).
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207).
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// The whole document.
    pub raw: Value,
}

impl ServerMetadata {
    /// The JavaScript API's shape (camelCase members, `raw` the document).
    pub fn to_json(&self) -> String {
        let mut out = super::encode::JsonObject::new();
        out.string("issuer", &self.issuer).string("tokenEndpoint", &self.token_endpoint);
        for (key, value) in [
            ("authorizationEndpoint", &self.authorization_endpoint),
            ("revocationEndpoint", &self.revocation_endpoint),
            ("introspectionEndpoint", &self.introspection_endpoint),
        ] {
            out.maybe_string(key, value.as_deref());
        }
        for (key, list) in [
            ("tokenEndpointAuthMethodsSupported", &self.token_endpoint_auth_methods_supported),
            ("codeChallengeMethodsSupported", &self.code_challenge_methods_supported),
            ("dpopSigningAlgValuesSupported", &self.dpop_signing_alg_values_supported),
        ] {
            if let Some(list) = list {
                let mut text = String::new();
                json::write(&mut text, &Value::Array(list.iter().cloned().map(Value::String).collect()));
                out.json(key, &text);
            }
        }
        if let Some(b) = self.authorization_response_iss_parameter_supported {
            out.json("authorizationResponseIssParameterSupported", if b { "true" } else { "false" });
        }
        let mut raw = String::new();
        json::write(&mut raw, &self.raw);
        out.json("raw", &raw);
        out.finish()
    }

    /// Reads the JavaScript API's shape ([`ServerMetadata::to_json`]); type errors name the
    /// field.
    pub fn from_value(v: &Value) -> Result<ServerMetadata, OAuthError> {
        let required = |key: &str| {
            opt_string(v, key)?
                .ok_or_else(|| OAuthError::config(&cat(&["metadata.", key]), "is required: pass what discover() gave"))
        };
        let list = |key: &str| -> Result<Option<Vec<String>>, OAuthError> {
            match v.field(key) {
                None => Ok(None),
                Some(Value::Array(items)) => {
                    Ok(Some(items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()))
                }
                Some(_) => Err(OAuthError::config(&cat(&["metadata.", key]), "must be an array of strings")),
            }
        };
        Ok(ServerMetadata {
            issuer: required("issuer")?,
            token_endpoint: required("tokenEndpoint")?,
            authorization_endpoint: opt_string(v, "authorizationEndpoint")?,
            revocation_endpoint: opt_string(v, "revocationEndpoint")?,
            introspection_endpoint: opt_string(v, "introspectionEndpoint")?,
            token_endpoint_auth_methods_supported: list("tokenEndpointAuthMethodsSupported")?,
            code_challenge_methods_supported: list("codeChallengeMethodsSupported")?,
            dpop_signing_alg_values_supported: list("dpopSigningAlgValuesSupported")?,
            authorization_response_iss_parameter_supported: match v.field("authorizationResponseIssParameterSupported")
            {
                Some(&Value::Bool(b)) => Some(b),
                _ => None,
            },
            raw: v.field("raw").cloned().unwrap_or(Value::Null),
        })
    }

    /// The `clientAuth` for the methods the server lists, when the caller chose none
    /// (`has_secret`: the client has a secret): `client_secret_basic` → Basic, then
    /// `client_secret_post` → body; without a secret, `none`. RFC 8414 §2: an absent list
    /// means `client_secret_basic`. `None`: nothing listed fits (the default applies).
    pub fn client_auth(&self, has_secret: bool) -> Option<ClientAuth> {
        let listed = |m: &str| match &self.token_endpoint_auth_methods_supported {
            Some(list) => list.iter().any(|l| l == m),
            None => m == "client_secret_basic",
        };
        match has_secret {
            true if listed("client_secret_basic") => Some(ClientAuth::Basic),
            true if listed("client_secret_post") => Some(ClientAuth::Body),
            false if listed("none") => Some(ClientAuth::None),
            _ => None,
        }
    }

    /// `clientFromMetadata`: `base` with the server's endpoints and issuer filled in where
    /// it has none, and [`ServerMetadata::client_auth`] where it chose none.
    pub fn client(&self, mut base: ClientConfig) -> ClientConfig {
        if base.token_endpoint.is_empty() {
            base.token_endpoint = self.token_endpoint.clone();
        }
        let fill = |slot: &mut Option<String>, value: &Option<String>| {
            if slot.is_none() {
                slot.clone_from(value);
            }
        };
        fill(&mut base.authorization_endpoint, &self.authorization_endpoint);
        fill(&mut base.revocation_endpoint, &self.revocation_endpoint);
        fill(&mut base.introspection_endpoint, &self.introspection_endpoint);
        fill(&mut base.issuer, &Some(self.issuer.clone()));
        if base.client_auth.is_none() {
            base.client_auth = self.client_auth(base.secret().is_some());
        }
        base.require_iss |= self.authorization_response_iss_parameter_supported == Some(true);
        base
    }
}

/// One discovery: the RFC 8414 document first, OpenID Connect's on a 404.
#[derive(Clone, Debug)]
pub struct Discovery {
    issuer: String,
    /// RFC 8414's URL, then OpenID Connect's.
    oauth: String,
    oidc: String,
    /// The first answered 404: OpenID Connect's URL is next.
    fallback: bool,
}

impl Discovery {
    /// For `issuer` (an https URL — http for loopback hosts unless `allow_insecure_http` —
    /// without query or fragment, RFC 8414 §2), parsed by `parser`.
    pub fn new(issuer: &str, allow_insecure_http: bool, parser: &dyn UrlParser) -> Result<Discovery, OAuthError> {
        endpoint::check("issuer", issuer, parser, allow_insecure_http)?;
        let Some(url) = parser.parse_url(issuer) else {
            return Err(OAuthError::config("issuer", "must be an absolute URL"));
        };
        if url.query.is_some() || issuer.contains('?') {
            return Err(OAuthError::config("issuer", "must not have a query (RFC 8414 §2)"));
        }
        // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
        let path = url.path.trim_end_matches('/');
        let oauth = cat(&[&url.origin, "/.well-known/oauth-authorization-server", path]);
        let oidc = cat(&[issuer.trim_end_matches('/'), "/.well-known/openid-configuration"]);
        Ok(Discovery { issuer: issuer.to_owned(), oauth, oidc, fallback: false })
    }

    /// The request to send now: a GET of the next well-known URL.
    pub fn request(&self) -> TokenRequest {
        TokenRequest {
            url: self.url().to_owned(),
            method: "GET",
            headers: alloc::vec![("Accept".to_owned(), "application/json".to_owned())],
            body: String::new(),
        }
    }

    /// The URL the last request went to.
    pub fn url(&self) -> &str {
        if self.fallback {
            &self.oidc
        } else {
            &self.oauth
        }
    }

    /// Reads the answer to [`Discovery::request`]: `Ok(None)` after the first 404 (send the
    /// next request), else the metadata or the error: `http` for any other status (and a
    /// 404 at both URLs), `invalid_response` for a document that is not JSON, has no
    /// `token_endpoint`, or names another `issuer` (exact comparison, RFC 8414 §3.3).
    pub fn finish(&mut self, status: u16, body: &str) -> Result<Option<ServerMetadata>, OAuthError> {
        if status == 404 && !self.fallback {
            self.fallback = true;
            return Ok(None);
        }
        if !(200..300).contains(&status) {
            let mut e = OAuthError::new(
                ErrorKind::Http,
                cat(&[
                    "no server metadata for ",
                    &self.issuer,
                    ": ",
                    self.url(),
                    " answered HTTP ",
                    &super::text::digits(status.into()),
                    if status == 404 { " (and so did RFC 8414's well-known URL)" } else { "" },
                ]),
            );
            e.status = Some(status);
            e.field = Some("issuer".to_owned());
            return Err(e);
        }
        let doc = json::parse(body.strip_prefix('\u{feff}').unwrap_or(body))
            .filter(|v| matches!(v, Value::Object(_)))
            .ok_or_else(|| invalid(&cat(&["the server metadata at ", self.url(), " is not a JSON object"])))?;
        let text = |key: &str| match doc.field(key) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let list = |key: &str| match doc.field(key) {
            Some(Value::Array(items)) => Some(items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()),
            _ => None,
        };
        match text("issuer") {
            Some(i) if i == self.issuer => {}
            other => {
                return Err(invalid(&cat(&[
                    "the server metadata's issuer (",
                    &other.as_deref().map_or_else(|| "none".to_owned(), super::response::one_line),
                    ") is not ",
                    &self.issuer,
                    ": refused (RFC 8414 §3.3: metadata for another server)",
                ])))
            }
        }
        let Some(token_endpoint) = text("token_endpoint") else {
            return Err(invalid("the server metadata has no token_endpoint"));
        };
        Ok(Some(ServerMetadata {
            issuer: self.issuer.clone(),
            token_endpoint,
            authorization_endpoint: text("authorization_endpoint"),
            revocation_endpoint: text("revocation_endpoint"),
            introspection_endpoint: text("introspection_endpoint"),
            token_endpoint_auth_methods_supported: list("token_endpoint_auth_methods_supported"),
            code_challenge_methods_supported: list("code_challenge_methods_supported"),
            dpop_signing_alg_values_supported: list("dpop_signing_alg_values_supported"),
            authorization_response_iss_parameter_supported: match doc
                .field("authorization_response_iss_parameter_supported")
            {
                Some(&Value::Bool(b)) => Some(b),
                _ => None,
            },
            raw: doc,
        }))
    }
}

fn invalid(message: &str) -> OAuthError {
    OAuthError::new(ErrorKind::InvalidResponse, message)
}
