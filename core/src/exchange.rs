//! One request to the authorization server as a sans-IO exchange: checked and built, signed
//! when the client signs (a client assertion: RFC 7523) or proves possession of a key (a
//! DPoP proof: RFC 9449), answered — and made again once when the server asks for a DPoP
//! nonce. `requestToken`, `revokeToken`, `introspectToken` and the managers' token requests
//! and revocations all go through it; the drivers only sign (WebCrypto), send and feed the
//! answer back:
//!
//! ```text
//! Exchange::new ─┬─ request() ready ─────────────────────────────┐
//!                └─ prepare(now, random, nonce) → to_sign() ─ signed(signatures) ─┤
//!                         ▲                                                       ▼
//!                         └────── Ok(None): the server asked for a nonce ── answer(…)
//! ```

use super::config::{ClientAuth, ClientConfig, Secret};
use super::endpoint::{UrlParser, UrlParts};
use super::error::OAuthError;
use super::grant::Grant;
use super::introspection::Introspection;
use super::jose::{self, PublicJwk, Unsigned, JTI_BYTES};
use super::request::{self, TokenRequest};
use super::response::{self, TokenSet};
use super::transport::HttpResponse;
use crate::prelude::*;

/// What an exchange asks of the server.
#[derive(Debug, Clone)]
pub enum Purpose {
    /// A token for this grant (RFC 6749).
    Token(Grant),
    /// Revoke this token (RFC 7009), with `token_type_hint`.
    Revoke(Secret, Option<String>),
    /// Introspect this token (RFC 7662), with `token_type_hint`.
    Introspect(Secret, Option<String>),
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The tokens.
    Tokens(TokenSet),
    /// The token was revoked (or was not valid).
    Revoked,
    /// What the server says of the token.
    Introspection(Introspection),
}

/// Whose key signs a text: the client's (`privateKey`, or `clientSecret` for HS256) or the
/// DPoP key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The client's key: a client assertion.
    Client,
    /// The DPoP key: a proof.
    Dpop,
}

/// One request and its answer; see the module's documentation.
#[derive(Debug)]
pub struct Exchange {
    client: ClientConfig,
    purpose: Purpose,
    dpop: Option<PublicJwk>,
    /// The endpoint (an assertion's default `aud`) and its WHATWG parse (a proof's `htu`,
    /// the nonce's origin).
    endpoint: String,
    url: Option<UrlParts>,
    /// The request, once it can be sent.
    ready: Option<TokenRequest>,
    /// What is to be signed first: the assertion, the proof.
    unsigned: (Option<Unsigned>, Option<Unsigned>),
    /// Whether it was already made again with a nonce the server asked for.
    retried: bool,
}

impl Exchange {
    /// Checks everything and builds the request (`dpop`: the public key proofs are made
    /// with). Bad input is the `config` error naming it, before anything is signed or sent.
    /// Unless [`Self::signs`], the request is ready at once.
    pub fn new(
        client: ClientConfig,
        purpose: Purpose,
        dpop: Option<PublicJwk>,
        urls: &dyn UrlParser,
    ) -> Result<Exchange, OAuthError> {
        let mut x = Exchange {
            client,
            purpose,
            dpop,
            endpoint: String::new(),
            url: None,
            ready: None,
            unsigned: (None, None),
            retried: false,
        };
        if !x.signs() {
            x.ready = Some(x.build(&x.client, urls)?);
            return Ok(x);
        }
        // Everything but the signatures is checked now, on a request built with a stand-in
        // assertion; the endpoint's parse is the one a proof names.
        let mut check = x.client.clone();
        if x.assertion_needed() {
            check.client_assertion = Some(Secret::new("-"));
        }
        let built = x.build(&check, urls)?;
        x.url = urls.parse_url(&built.url);
        x.endpoint = built.url;
        Ok(x)
    }

    /// Whether the driver signs before the request can go: a client assertion, a proof.
    pub fn signs(&self) -> bool {
        self.dpop.is_some() || self.assertion_needed()
    }

    /// Whether the exchange signs a client assertion: with JWT client authentication, unless
    /// a ready one was given and there is nothing to sign one with. (A client that can sign
    /// signs a fresh one: a ready assertion sent twice — on a nonce retry, on each of a
    /// manager's refreshes — repeats its `jti`, which servers refuse.)
    fn assertion_needed(&self) -> bool {
        let c = &self.client;
        match c.effective_auth() {
            ClientAuth::PrivateKeyJwt => c.client_assertion.is_none() || c.private_key.is_some(),
            ClientAuth::ClientSecretJwt => c.client_assertion.is_none() || c.secret().is_some(),
            _ => false,
        }
    }

    fn build(&self, client: &ClientConfig, urls: &dyn UrlParser) -> Result<TokenRequest, OAuthError> {
        match &self.purpose {
            Purpose::Token(grant) => request::build_token_request_with(client, grant, urls),
            Purpose::Revoke(token, hint) => {
                request::build_revocation_request_with(client, token.expose(), hint.as_deref(), urls)
            }
            Purpose::Introspect(token, hint) => {
                request::build_introspection_request_with(client, token.expose(), hint.as_deref(), urls)
            }
        }
    }

    /// The client this exchange authenticates as.
    pub fn client(&self) -> &ClientConfig {
        &self.client
    }

    /// What the exchange asks.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// The origin whose DPoP nonce [`Self::prepare`] wants (`None` without proofs).
    pub fn nonce_origin(&self) -> Option<&str> {
        self.dpop.as_ref().and(self.url.as_ref()).map(|u| u.origin.as_str())
    }

    /// Writes what is to be signed, at `now_ms`, with fresh random `jti`s and the nonce kept
    /// for [`Self::nonce_origin`]: a client assertion, a proof. The request is not ready
    /// until [`Self::signed`].
    pub fn prepare(
        &mut self,
        now_ms: u64,
        random: &[[u8; JTI_BYTES]; 2],
        nonce: Option<&str>,
    ) -> Result<(), OAuthError> {
        let assertion = match self.assertion_needed() {
            true => jose::client_assertion(&self.client, &self.endpoint, now_ms, &random[0])?,
            false => None,
        };
        let proof = match (&self.dpop, &self.url) {
            (Some(jwk), Some(url)) => {
                Some(jose::dpop_proof(jwk, "POST", &jose::htu(url), now_ms, &random[1], nonce, None))
            }
            _ => None,
        };
        self.unsigned = (assertion, proof);
        self.ready = None;
        Ok(())
    }

    /// What the driver signs, in order, and with whose key.
    pub fn to_sign(&self) -> Vec<(Signer, &Unsigned)> {
        let (a, p) = &self.unsigned;
        let mut out = Vec::with_capacity(2);
        if let Some(a) = a {
            out.push((Signer::Client, a));
        }
        if let Some(p) = p {
            out.push((Signer::Dpop, p));
        }
        out
    }

    /// The signatures of [`Self::to_sign`]'s texts, in order (the bytes WebCrypto gave):
    /// builds the request. A missing signature is a `config` error about the key.
    pub fn signed(&mut self, signatures: &[Vec<u8>], urls: &dyn UrlParser) -> Result<&TokenRequest, OAuthError> {
        let mut next = signatures.iter();
        let mut compact = |u: &Option<Unsigned>, field: &str| match u {
            None => Ok(None),
            Some(u) => next
                .next()
                .map(|sig| Some(u.compact(sig)))
                .ok_or_else(|| OAuthError::config(field, "could not sign: WebCrypto gave no signature")),
        };
        let assertion = compact(&self.unsigned.0, "privateKey")?;
        let proof = compact(&self.unsigned.1, "dpop")?;
        let mut request = match assertion {
            None => self.build(&self.client, urls)?,
            Some(jwt) => {
                let mut client = self.client.clone();
                client.client_assertion = Some(Secret::new(jwt));
                self.build(&client, urls)?
            }
        };
        if let Some(proof) = proof {
            request.add_dpop(proof);
        }
        self.unsigned = (None, None);
        Ok(self.ready.insert(request))
    }

    /// The request to send, once it is ready.
    pub fn request(&self) -> Option<&TokenRequest> {
        self.ready.as_ref()
    }

    /// The `DPoP-Nonce` of an answer to keep for [`Self::nonce_origin`] (any answer, error
    /// or success, may carry a new one), when proofs are on and it is a valid nonce.
    pub fn nonce_to_keep<'a>(&self, response: &'a HttpResponse) -> Option<&'a str> {
        let nonce = response.headers.iter().find(|(n, _)| n == "dpop-nonce").map(|(_, v)| v.as_str());
        nonce.filter(|n| self.dpop.is_some() && jose::valid_nonce(n))
    }

    /// Reads the answer (expiry counted from `now_ms`, when the request was sent):
    /// `Ok(Some(…))`, the error (with the hint for `invalid_client` that fits how the client
    /// authenticated), or `Ok(None)` — the server asked for a DPoP nonce (the first time
    /// only): [`Self::prepare`] with it, sign and send again.
    pub fn answer(&mut self, response: &HttpResponse, now_ms: u64) -> Result<Option<Answer>, OAuthError> {
        let mut cx = response.context(&self.client);
        cx.now_ms = now_ms;
        let (status, body, cx) = (response.status, response.body.as_str(), &cx);
        let parse = super::json::parse;
        let answer = match &self.purpose {
            Purpose::Token(_) => response::parse_token_response(status, body, cx, parse).map(Answer::Tokens),
            Purpose::Revoke(..) => {
                response::parse_revocation_response(status, body, cx, parse).map(|()| Answer::Revoked)
            }
            Purpose::Introspect(..) => {
                super::introspection::parse_introspection_response(status, body, cx, parse).map(Answer::Introspection)
            }
        };
        match answer {
            Err(e)
                if self.dpop.is_some() && !self.retried && jose::nonce_asked(&e, cx.header("dpop-nonce")).is_some() =>
            {
                self.retried = true;
                self.ready = None;
                Ok(None)
            }
            Err(e) => Err(super::transport::refine(&self.client, e)),
            Ok(answer) => Ok(Some(answer)),
        }
    }
}
