//! The JSON Web Tokens a client signs: DPoP proofs (RFC 9449) and client assertions for
//! `private_key_jwt` and `client_secret_jwt` (RFC 7523 §2.2, OpenID Connect Core §9).
//!
//! The core writes each token's header and claims and makes every decision about them —
//! which algorithm a key signs with, which claims, which nonce, when a request is sent again
//! with a new nonce. The signature itself is the driver's, through WebCrypto: private keys
//! stay the platform's (a DPoP key is not even extractable) and never enter the wasm heap.
//! A driver hands in what it may tell of a key ([`KeyFacts`]: its type, never its material),
//! signs the text [`Unsigned::input`] gives, and hands the raw signature back to
//! [`Unsigned::compact`].

use super::config::{ClientAuth, ClientConfig};
use super::encode::{base64url, JsonObject};
use super::endpoint::UrlParts;
use super::error::OAuthError;
use super::json::Value;
use super::text::{cat, find};
use crate::prelude::*;
use sha2::{Digest, Sha256};

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long a client assertion is valid: `exp` is `iat` plus this, in seconds.
pub const ASSERTION_LIFETIME_S: u64 = 60;

/// Random bytes in a `jti`: 16, base64url (22 characters).
pub const JTI_BYTES: usize = 16;

/// The JWS algorithms the library signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256 (salt 32 bytes).
    Ps256,
    /// ECDSA on P-256 with SHA-256 (the signature is `r ‖ s`, as WebCrypto gives it).
    Es256,
    /// Ed25519.
    EdDsa,
    /// HMAC with SHA-256, keyed with the client secret (`client_secret_jwt`).
    Hs256,
}

impl Alg {
    /// The JWS name (`"ES256"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
            Alg::Hs256 => "HS256",
        }
    }

    /// The algorithm named `name` (its JWS name), if the library signs with it.
    pub fn parse(name: &str) -> Option<Alg> {
        [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDsa, Alg::Hs256].into_iter().find(|a| a.as_str() == name)
    }

    /// The key type (JWK `kty`) that signs with this algorithm.
    fn key_type(self) -> &'static str {
        match self {
            Alg::Rs256 | Alg::Ps256 => "RSA",
            Alg::Es256 => "EC",
            Alg::EdDsa => "OKP",
            Alg::Hs256 => "oct",
        }
    }
}

/// What a driver tells of a private key: never its material. From a JWK: `kty`, `crv`,
/// `alg`; from a WebCrypto `CryptoKey`: its algorithm's `name`, `namedCurve` (as `crv`) and
/// `hash` name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// JWK `kty` (`RSA`, `EC`, `OKP`).
    pub kty: Option<String>,
    /// JWK `crv` or the CryptoKey's `namedCurve` (`P-256`, `Ed25519`).
    pub crv: Option<String>,
    /// JWK `alg`, when the key names one.
    pub alg: Option<String>,
    /// The CryptoKey's algorithm (`RSASSA-PKCS1-v1_5`, `RSA-PSS`, `ECDSA`, `Ed25519`).
    pub name: Option<String>,
    /// The CryptoKey's hash (`SHA-256`), for RSA keys.
    pub hash: Option<String>,
    /// Whether it is a private key (a JWK with `d`, a CryptoKey of type `private`): a
    /// public key cannot sign.
    pub private: bool,
}

impl KeyFacts {
    /// Reads `{ kty?, crv?, alg?, name?, hash? }` (each a string when present).
    pub fn from_value(v: &Value) -> Result<KeyFacts, OAuthError> {
        let text = |key: &str| match v.field(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(OAuthError::config("privateKey", "must be a CryptoKey or a private JWK")),
        };
        let private = matches!(v.field("private"), Some(Value::Bool(true)));
        Ok(KeyFacts {
            kty: text("kty")?,
            crv: text("crv")?,
            alg: text("alg")?,
            name: text("name")?,
            hash: text("hash")?,
            private,
        })
    }

    /// The algorithm the key is for, from its type alone (`None` when it is not one the
    /// library signs with).
    fn natural_alg(&self) -> Option<Alg> {
        let crv = self.crv.as_deref();
        match (self.name.as_deref(), self.kty.as_deref()) {
            (Some("RSASSA-PKCS1-v1_5"), _) if self.hash.as_deref() == Some("SHA-256") => Some(Alg::Rs256),
            (Some("RSA-PSS"), _) if self.hash.as_deref() == Some("SHA-256") => Some(Alg::Ps256),
            (Some("ECDSA"), _) if crv == Some("P-256") => Some(Alg::Es256),
            (Some("Ed25519"), _) => Some(Alg::EdDsa),
            (Some(_), _) => None,
            (None, Some("RSA")) => Some(Alg::Rs256),
            (None, Some("EC")) if crv == Some("P-256") => Some(Alg::Es256),
            (None, Some("OKP")) if crv == Some("Ed25519") => Some(Alg::EdDsa),
            (None, _) => None,
        }
    }

    /// Whether the key can sign with `alg`.
    fn signs(&self, alg: Alg) -> bool {
        match self.name {
            // A CryptoKey is bound to one algorithm.
            Some(_) => self.natural_alg() == Some(alg),
            // A JWK: by its type (an RSA key signs RS256 and PS256 alike).
            None => self.kty.as_deref() == Some(alg.key_type()) && self.natural_alg().is_some(),
        }
    }
}

/// The algorithm a `private_key_jwt` assertion is signed with: `signingAlg` when given,
/// else the JWK's `alg`, else the key's type decides (RSA → RS256, EC P-256 → ES256,
/// Ed25519 → EdDSA; a CryptoKey is bound to its algorithm). A `config` error names what
/// does not fit.
pub fn signing_alg(requested: Option<&str>, key: &KeyFacts) -> Result<Alg, OAuthError> {
    if !key.private {
        return Err(OAuthError::config(
            "privateKey",
            "must be a private key: a JWK with its \"d\", or a CryptoKey of type \"private\"",
        ));
    }
    let unsupported =
        |field: &str| OAuthError::config(field, "must be RS256, PS256, ES256 or EdDSA (an RSA, P-256 or Ed25519 key)");
    let alg = match (requested, key.alg.as_deref()) {
        (Some(name), _) => Alg::parse(name).filter(|a| *a != Alg::Hs256).ok_or_else(|| unsupported("signingAlg"))?,
        (None, Some(name)) => Alg::parse(name).filter(|a| *a != Alg::Hs256).ok_or_else(|| unsupported("privateKey"))?,
        (None, None) => key.natural_alg().ok_or_else(|| unsupported("privateKey"))?,
    };
    if !key.signs(alg) {
        return Err(OAuthError::config(
            if requested.is_some() { "signingAlg" } else { "privateKey" },
            &cat(&["does not fit the key: a ", alg.as_str(), " signature needs ", alg.key_type(), " key"]),
        ));
    }
    Ok(alg)
}

/// A JWT before its signature: the algorithm and the text to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsigned {
    /// The algorithm to sign with.
    pub alg: Alg,
    /// `BASE64URL(header) "." BASE64URL(claims)`, the JWS signing input.
    pub input: String,
}

impl Unsigned {
    fn new(alg: Alg, header: JsonObject, claims: JsonObject) -> Unsigned {
        let input = cat(&[&base64url(header.finish().as_bytes()), ".", &base64url(claims.finish().as_bytes())]);
        Unsigned { alg, input }
    }

    /// The compact JWS with `signature` (the raw bytes WebCrypto's `sign` gives).
    pub fn compact(&self, signature: &[u8]) -> String {
        compact(&self.input, signature)
    }
}

/// The compact JWS of a signing `input` ([`Unsigned::input`]) and its `signature`.
pub fn compact(input: &str, signature: &[u8]) -> String {
    cat(&[input, ".", &base64url(signature)])
}

/// `htm` for a request `method` as fetch sends it: DELETE, GET, HEAD, OPTIONS, POST and
/// PUT in any case are upper-cased (fetch normalizes them), any other method is as given.
pub fn htm(method: &str) -> String {
    let upper = method.to_ascii_uppercase();
    match ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"].contains(&upper.as_str()) {
        true => upper,
        false => method.to_owned(),
    }
}

/// The public half of a DPoP key: an EC P-256 JWK's `x` and `y` (RFC 7518 §6.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicJwk {
    /// The x coordinate, base64url.
    pub x: String,
    /// The y coordinate, base64url.
    pub y: String,
}

impl PublicJwk {
    /// Reads `{ kty: "EC", crv: "P-256", x, y }`; anything else (another curve, a JWK with
    /// its private `d`) is a `config` error about `dpop`.
    pub fn from_value(v: &Value) -> Result<PublicJwk, OAuthError> {
        let bad = || OAuthError::config("dpop", "must be a DPoP key from generateDPoPKey() (an ES256 key pair)");
        let text = |key: &str| v.field(key).and_then(Value::as_str);
        if text("kty") != Some("EC") || text("crv") != Some("P-256") || v.field("d").is_some() {
            return Err(bad());
        }
        // A P-256 coordinate is 32 bytes: 43 base64url characters.
        let coordinate = |key: &str| {
            text(key)
                .filter(|c| c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
                .map(str::to_owned)
        };
        Ok(PublicJwk { x: coordinate("x").ok_or_else(bad)?, y: coordinate("y").ok_or_else(bad)? })
    }

    /// The JWK's text, members in the order RFC 7638's thumbprint uses.
    pub fn to_json(&self) -> String {
        let mut jwk = JsonObject::new();
        jwk.string("crv", "P-256").string("kty", "EC").string("x", &self.x).string("y", &self.y);
        jwk.finish()
    }

    /// The RFC 7638 thumbprint (base64url SHA-256 of [`Self::to_json`]): `dpop_jkt`.
    pub fn thumbprint(&self) -> String {
        base64url(&Sha256::digest(self.to_json().as_bytes()))
    }
}

/// `htu` (RFC 9449 §4.2): the request URL without query and fragment, as the transport's
/// WHATWG parse serializes it.
pub fn htu(url: &UrlParts) -> String {
    cat(&[&url.origin, &url.path])
}

/// `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token.
pub fn ath(access_token: &str) -> String {
    base64url(&Sha256::digest(access_token.as_bytes()))
}

/// A DPoP proof (RFC 9449 §4.2) for `htm` `htu`, made at `now_ms`: `typ` `dpop+jwt`,
/// ES256, the public `jwk`; a unique `jti` (from [`JTI_BYTES`] random bytes), `iat`,
/// `nonce` once the server gave one, `ath` with an access token.
pub fn dpop_proof(
    jwk: &PublicJwk,
    htm: &str,
    htu: &str,
    now_ms: u64,
    random: &[u8; JTI_BYTES],
    nonce: Option<&str>,
    access_token: Option<&str>,
) -> Unsigned {
    let mut header = JsonObject::new();
    header.string("typ", "dpop+jwt").string("alg", Alg::Es256.as_str()).json("jwk", &jwk.to_json());
    let mut claims = JsonObject::new();
    claims
        .string("jti", &base64url(random))
        .string("htm", htm)
        .string("htu", htu)
        .number("iat", now_ms / 1000)
        .maybe_string("nonce", nonce)
        .maybe_string("ath", access_token.map(ath).as_deref());
    Unsigned::new(Alg::Es256, header, claims)
}

/// The client assertion the client's `clientAuth` asks for, for a request to `endpoint`,
/// made at `now_ms` (`None` for the other kinds of client authentication). Claims: `iss`
/// and `sub` the client id, `aud` `assertionAudience` or the endpoint, a unique `jti`,
/// `iat`, `exp` [`ASSERTION_LIFETIME_S`] later; header `alg` and `kid` (`keyId`).
pub fn client_assertion(
    client: &ClientConfig,
    endpoint: &str,
    now_ms: u64,
    random: &[u8; JTI_BYTES],
) -> Result<Option<Unsigned>, OAuthError> {
    let auth = client.effective_auth();
    let alg = match auth {
        ClientAuth::PrivateKeyJwt => {
            let key = client.private_key.as_ref().ok_or_else(|| {
                OAuthError::config("privateKey", "is required when clientAuth is \"private_key_jwt\"")
            })?;
            signing_alg(client.signing_alg.as_deref(), key)?
        }
        ClientAuth::ClientSecretJwt => {
            if client.secret().is_none() {
                return Err(OAuthError::config("clientSecret", "is required when clientAuth is \"client_secret_jwt\""));
            }
            if client.signing_alg.as_deref().is_some_and(|a| a != "HS256") {
                return Err(OAuthError::config("signingAlg", "must be HS256 with clientAuth \"client_secret_jwt\""));
            }
            Alg::Hs256
        }
        _ => return Ok(None),
    };
    let id = client.client_id.as_ref().map(|id| id.text()).ok_or_else(|| {
        OAuthError::config("clientId", &cat(&["is required when clientAuth is \"", auth.as_str(), "\""]))
    })?;
    let iat = now_ms / 1000;
    let mut header = JsonObject::new();
    header.string("alg", alg.as_str()).maybe_string("kid", client.key_id.as_deref());
    let mut claims = JsonObject::new();
    claims
        .string("iss", &id)
        .string("sub", &id)
        .string("aud", client.assertion_audience.as_deref().unwrap_or(endpoint))
        .string("jti", &base64url(random))
        .number("iat", iat)
        .number("exp", iat + ASSERTION_LIFETIME_S);
    Ok(Some(Unsigned::new(alg, header, claims)))
}

/// Whether `nonce` is one RFC 9449 §8 allows (`1*NQCHAR`: printable ASCII but `"` and `\`).
pub fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce.len() <= 1024
        && nonce.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

/// How many servers' DPoP nonces a driver keeps (RFC 9449 §8: "the nonce is kept per
/// server"): the most recently given, per origin.
pub const MAX_NONCES: usize = 32;

/// Whether a resource's answer asks for the request again with a DPoP nonce (RFC 9449 §9:
/// a 401 whose `WWW-Authenticate` has a `DPoP` challenge with `error="use_dpop_nonce"`),
/// given its `DPoP-Nonce` header: the nonce to use, when it is valid. (No crate of the
/// stack parses RFC 9110 challenges; this looks for the scheme and the error code only, and
/// a wrong reading costs at most one extra request, never a token.)
pub fn resource_nonce_asked<'a>(
    status: u16,
    www_authenticate: Option<&str>,
    dpop_nonce: Option<&'a str>,
) -> Option<&'a str> {
    let challenge = www_authenticate.unwrap_or_default();
    let lower = challenge.to_ascii_lowercase();
    // The scheme: `DPoP` at the start or after a comma, followed by a space (its parameters).
    let dpop = lower.trim_start().starts_with("dpop ")
        || find(&lower, ", dpop ").is_some()
        || find(&lower, ",dpop ").is_some();
    let asked = status == 401 && dpop && find(challenge, "use_dpop_nonce").is_some();
    dpop_nonce.filter(|n| asked && valid_nonce(n))
}

/// Whether an error answer asks for the request again with a DPoP nonce (RFC 9449 §8:
/// `use_dpop_nonce` from the token endpoint, §9 from a resource in `WWW-Authenticate`),
/// given the `DPoP-Nonce` header it came with: the nonce to use, when it is valid.
pub fn nonce_asked<'a>(error: &OAuthError, dpop_nonce: Option<&'a str>) -> Option<&'a str> {
    let asked = error.error.as_deref() == Some("use_dpop_nonce");
    dpop_nonce.filter(|n| asked && valid_nonce(n))
}
