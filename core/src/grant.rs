//! Grants: what the client presents to get a token (RFC 6749 §4, §6, and extensions).

use super::config::{opt_string, string_map, Secret};
use super::error::OAuthError;
use super::json::Value;
use super::text::cat;
use crate::prelude::*;

/// Who the resource owner is in a password grant. Social ID takes exactly one of the two.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceOwner {
    /// `username` (OLX sends the user's e-mail here).
    Username(String),
    /// `email_address` (Social ID).
    EmailAddress(String),
}

/// A grant, as sent in the token request's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Resource owner password credentials (RFC 6749 §4.3; deprecated by RFC 9700, still
    /// what several vendors offer).
    Password {
        /// `username` or `email_address`.
        owner: ResourceOwner,
        /// `password`.
        password: Secret,
        /// Space-separated scope; `None` or empty leaves `scope` out.
        scope: Option<String>,
    },
    /// OLX's `partner` grant: `partner_code` and `partner_secret`.
    Partner {
        /// `partner_code`.
        partner_code: String,
        /// `partner_secret`.
        partner_secret: Secret,
        /// Space-separated scope.
        scope: Option<String>,
    },
    /// Client credentials (RFC 6749 §4.4).
    ClientCredentials {
        /// Space-separated scope.
        scope: Option<String>,
    },
    /// Refreshing an access token (RFC 6749 §6).
    RefreshToken {
        /// `refresh_token`.
        refresh_token: Secret,
        /// Space-separated scope.
        scope: Option<String>,
    },
    /// Authorization code (RFC 6749 §4.1.3), with the PKCE `code_verifier` (RFC 7636 §4.5).
    AuthorizationCode {
        /// `code`.
        code: Secret,
        /// `redirect_uri`, when the authorization request had one.
        redirect_uri: Option<String>,
        /// `code_verifier`.
        code_verifier: Option<Secret>,
    },
    /// Any other grant type (RFC 6749 §4.5) with its parameters, in order.
    Extension {
        /// `grant_type`: a name or an absolute URI.
        grant_type: String,
        /// The parameters (values may be secret: they are never shown by `Debug`).
        params: Vec<(String, Secret)>,
    },
}

impl Grant {
    /// The `grant_type` value.
    pub fn grant_type(&self) -> &str {
        match self {
            Grant::Password { .. } => "password",
            Grant::Partner { .. } => "partner",
            Grant::ClientCredentials { .. } => "client_credentials",
            Grant::RefreshToken { .. } => "refresh_token",
            Grant::AuthorizationCode { .. } => "authorization_code",
            Grant::Extension { grant_type, .. } => grant_type,
        }
    }

    /// Whether a token manager may send this grant by itself, again and again: not one that
    /// carries a user's credentials or a single-use code — whatever its form, an extension
    /// grant named `password` included (issue 13, finding 9) — nor a refresh token, which
    /// the manager keeps itself.
    pub fn is_repeatable(&self) -> bool {
        const ONE_OFF: [&str; 5] = [
            "password",
            "refresh_token",
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ];
        !ONE_OFF.contains(&self.grant_type())
    }

    /// Reads a grant from a JSON-shaped object with the JavaScript names (`grantType`,
    /// `username`, `emailAddress`, …). Missing or mistyped members name the field.
    pub fn from_value(v: &Value) -> Result<Self, OAuthError> {
        if !matches!(v, Value::Object(_)) {
            return Err(OAuthError::config("grant", "must be an object with a grantType"));
        }
        let grant_type = opt_string(v, "grantType")?
            .ok_or_else(|| OAuthError::config("grantType", "is required (\"client_credentials\", \"password\", …)"))?;
        if v.field("params").is_some() {
            let params = string_map(v, "params")?.into_iter().map(|(k, s)| (k, Secret::new(s))).collect();
            return Ok(Grant::Extension { grant_type, params });
        }
        let req = |key: &str| -> Result<String, OAuthError> {
            opt_string(v, key)?
                .ok_or_else(|| OAuthError::config(key, &cat(&["is required for the ", &grant_type, " grant"])))
        };
        let scope = scope(v)?;
        Ok(match grant_type.as_str() {
            "password" => {
                let owner = match (opt_string(v, "username")?, opt_string(v, "emailAddress")?) {
                    (Some(u), None) => ResourceOwner::Username(u),
                    (None, Some(e)) => ResourceOwner::EmailAddress(e),
                    _ => {
                        return Err(OAuthError::config(
                            "username",
                            "or emailAddress: give exactly one of the two for the password grant",
                        ))
                    }
                };
                Grant::Password { owner, password: Secret::new(req("password")?), scope }
            }
            "partner" => Grant::Partner {
                partner_code: req("partnerCode")?,
                partner_secret: Secret::new(req("partnerSecret")?),
                scope,
            },
            "client_credentials" => Grant::ClientCredentials { scope },
            "refresh_token" => Grant::RefreshToken { refresh_token: Secret::new(req("refreshToken")?), scope },
            "authorization_code" => Grant::AuthorizationCode {
                code: Secret::new(req("code")?),
                redirect_uri: opt_string(v, "redirectUri")?,
                code_verifier: opt_string(v, "codeVerifier")?.map(Secret::new),
            },
            _ => {
                return Err(OAuthError::config(
                    "grantType",
                    &cat(&["\"", &grant_type, "\" is not a known grant: give its parameters in grant.params"]),
                ))
            }
        })
    }
}

/// `scope` as a string or an array of strings, joined with spaces.
fn scope(v: &Value) -> Result<Option<String>, OAuthError> {
    match v.field("scope") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(items)) => {
            let mut joined = String::new();
            for item in items {
                let s = item
                    .as_str()
                    .ok_or_else(|| OAuthError::config("scope", "must be a string or an array of strings"))?;
                if s.is_empty() || s.contains(' ') {
                    return Err(OAuthError::config(
                        "scope",
                        "has an array element that is empty or holds a space: give one scope token per element",
                    ));
                }
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(s);
            }
            Ok(Some(joined))
        }
        Some(_) => Err(OAuthError::config("scope", "must be a string or an array of strings")),
    }
}
