//! One request for the driver's `requestToken`, `revokeToken` and `introspectToken`,
//! behind the `Exchange` class: checked and built here, signed by the driver when the
//! client signs (a client assertion, a DPoP proof: `toSign`, then `signed`), sent by the
//! driver, read here — and, when the server asks for a DPoP nonce, made again once with it
//! (`finish` answers `null`: send again).
//!
//! What is signed and every claim is the core's ([`oauth2_wasm_core::jose`]); the driver
//! only signs the text with WebCrypto, so no private key enters the wasm.

use crate::machine::{fetch_ready, request_js, request_object};
use crate::prelude::*;
use crate::{arg, request_options, to_js};
use js_sys::{Array, Uint8Array};
use oauth2_wasm::web::fetch::{read_outcome, refine, runtime};
use oauth2_wasm::web::url::RuntimeUrl;
use oauth2_wasm::web::{convert, get, jose as web_jose};
use oauth2_wasm_core::config::{ClientConfig, Secret};
use oauth2_wasm_core::endpoint::{UrlParser, UrlParts};
use oauth2_wasm_core::error::OAuthError;
use oauth2_wasm_core::grant::Grant;
use oauth2_wasm_core::jose::{self, PublicJwk, Unsigned};
use oauth2_wasm_core::request::TokenRequest;
use oauth2_wasm_core::transport;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// What an exchange asks for.
#[derive(Debug)]
enum What {
    /// A token (`requestToken`).
    Token(Grant),
    /// A revocation (`introspect` false) or an introspection of `token`.
    About { token: Secret, hint: Option<String>, introspect: bool },
}

/// One request: made by [`exchange`], [`revocation`] or [`introspection`], signed and sent
/// by the driver, finished (read and parsed) here.
#[derive(Debug)]
#[wasm_bindgen(js_name = Exchange, skip_typescript)]
pub struct JsExchange {
    client: ClientConfig,
    what: What,
    timeout_ms: u32,
    /// The request to send; `null` while signatures are missing.
    request: JsValue,
    /// The public half of the DPoP key, when the request carries a proof.
    dpop: Option<PublicJwk>,
    /// The endpoint (an assertion's default `aud`) and its WHATWG parse (a proof's `htu`,
    /// the nonce's origin).
    endpoint: String,
    url: Option<UrlParts>,
    /// What the driver signs before the request can go: the client assertion, the proof.
    unsigned: (Option<Unsigned>, Option<Unsigned>),
    /// Whether the request was already made again with a nonce the server asked for.
    retried: bool,
}

/// `exchange(client, grant, options)`: checks everything, builds the request (throws an
/// `OAuthError` of kind `config` naming a bad field). Options: `signal`, `timeoutMs`,
/// `fetch`, and `dpop`, the public JWK of the DPoP key (the driver's `publicJwk`).
#[wasm_bindgen(js_name = exchange, skip_typescript)]
pub fn exchange(client: &JsValue, grant: &JsValue, options: &JsValue) -> Result<JsExchange, JsValue> {
    let client = ClientConfig::from_value(&arg(client, "client")?).map_err(to_js)?;
    let grant = Grant::from_value(&arg(grant, "grant")?).map_err(to_js)?;
    JsExchange::new(client, What::Token(grant), options)
}

/// `revocation(client, token, options)`: checks everything and builds the revocation
/// request, for the driver's `revokeToken` (options `tokenTypeHint`, `signal`, `timeoutMs`,
/// `fetch`, `dpop`).
#[wasm_bindgen(js_name = revocation, skip_typescript)]
pub fn revocation(client: &JsValue, token: &JsValue, options: &JsValue) -> Result<JsExchange, JsValue> {
    exchange_about(client, token, options, false)
}

/// `introspection(client, token, options)`: as [`revocation`], for the driver's
/// `introspectToken`.
#[wasm_bindgen(js_name = introspection, skip_typescript)]
pub fn introspection(client: &JsValue, token: &JsValue, options: &JsValue) -> Result<JsExchange, JsValue> {
    exchange_about(client, token, options, true)
}

fn exchange_about(
    client: &JsValue,
    token: &JsValue,
    options: &JsValue,
    introspect: bool,
) -> Result<JsExchange, JsValue> {
    let client = ClientConfig::from_value(&arg(client, "client")?).map_err(to_js)?;
    let (token, hint) = about_token(token, options)?;
    JsExchange::new(client, What::About { token: Secret::new(token), hint, introspect }, options)
}

/// The token and `tokenTypeHint` of a revocation or introspection.
fn about_token(token: &JsValue, options: &JsValue) -> Result<(String, Option<String>), JsValue> {
    let token = token.as_string().ok_or_else(|| to_js(OAuthError::config("token", "must be a string")))?;
    let hint = get(options, "tokenTypeHint");
    let hint = match hint.as_string() {
        _ if hint.is_undefined() || hint.is_null() => None,
        Some(h) => Some(h),
        None => return Err(to_js(OAuthError::config("tokenTypeHint", "must be a string such as \"refresh_token\""))),
    };
    Ok((token, hint))
}

/// `buildRevocationRequest(client, token, { tokenTypeHint }?)`: the revocation request,
/// `{ url, method, headers, body }`, ready for `fetch(req.url, req)` (throws an `OAuthError`
/// of kind `config` naming a bad field).
#[wasm_bindgen(js_name = buildRevocationRequest, skip_typescript)]
pub fn build_revocation_request_js(client: &JsValue, token: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
    about_token_js(client, token, options, false)
}

/// `buildIntrospectionRequest(client, token, { tokenTypeHint }?)`: the introspection
/// request (RFC 7662), ready for `fetch(req.url, req)`.
#[wasm_bindgen(js_name = buildIntrospectionRequest, skip_typescript)]
pub fn build_introspection_request_js(
    client: &JsValue,
    token: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsValue> {
    about_token_js(client, token, options, true)
}

fn about_token_js(client: &JsValue, token: &JsValue, options: &JsValue, introspect: bool) -> Result<JsValue, JsValue> {
    let client = ClientConfig::from_value(&arg(client, "client")?).map_err(to_js)?;
    let (token, hint) = about_token(token, options)?;
    let what = What::About { token: Secret::new(token), hint, introspect };
    let request = what.build(&client).map_err(to_js)?;
    Ok(oauth2_wasm::web::json::from_text(&convert::request_json(&request)))
}

impl What {
    /// The request for `client` (its `client_assertion` set when it signs one).
    fn build(&self, client: &ClientConfig) -> Result<TokenRequest, OAuthError> {
        match self {
            What::Token(grant) => oauth2_wasm::build_token_request(client, grant),
            What::About { token, hint, introspect: true } => {
                oauth2_wasm::build_introspection_request(client, token.expose(), hint.as_deref())
            }
            What::About { token, hint, introspect: false } => {
                oauth2_wasm::build_revocation_request(client, token.expose(), hint.as_deref())
            }
        }
    }
}

impl JsExchange {
    fn new(client: ClientConfig, what: What, options: &JsValue) -> Result<JsExchange, JsValue> {
        let dpop = get(options, "dpop");
        let dpop = match dpop.is_undefined() || dpop.is_null() {
            true => None,
            false => Some(PublicJwk::from_value(&arg(&dpop, "dpop")?).map_err(to_js)?),
        };
        let request_options = request_options(options)?;
        fetch_ready(request_options.fetch.is_some()).map_err(to_js)?;
        let timeout_ms = transport::timer_ms(
            request_options.timeout_ms.or(client.timeout_ms).unwrap_or(transport::DEFAULT_TIMEOUT_MS),
        );
        let mut x = JsExchange {
            client,
            what,
            timeout_ms,
            request: JsValue::NULL,
            dpop,
            endpoint: String::new(),
            url: None,
            unsigned: (None, None),
            retried: false,
        };
        let signs = x.dpop.is_some() || x.client.client_assertion.is_none() && x.assertion_needed();
        if !signs {
            x.request = match &x.what {
                // The browser's warning about secrets in page code.
                What::Token(grant) => request_js(&x.client, grant, timeout_ms).map_err(to_js)?,
                _ => request_object(&x.what.build(&x.client).map_err(to_js)?, timeout_ms),
            };
            return Ok(x);
        }
        // Everything but the signatures is checked now, on a request built with a stand-in
        // assertion; the endpoint's parse is the one the proof names.
        let mut check = x.client.clone();
        if x.assertion_needed() {
            check.client_assertion = Some(Secret::new("-"));
        }
        let built = match &x.what {
            What::Token(grant) => {
                request_js(&check, grant, timeout_ms).map_err(to_js)?;
                x.what.build(&check)
            }
            _ => x.what.build(&check),
        }
        .map_err(to_js)?;
        x.url = RuntimeUrl.parse_url(&built.url);
        x.endpoint = built.url;
        x.prepare().map_err(to_js)?;
        Ok(x)
    }

    /// Whether the client authenticates with a JWT it signs.
    fn assertion_needed(&self) -> bool {
        matches!(
            self.client.effective_auth(),
            oauth2_wasm_core::ClientAuth::PrivateKeyJwt | oauth2_wasm_core::ClientAuth::ClientSecretJwt
        )
    }

    /// Writes what is to be signed: a fresh assertion and proof.
    fn prepare(&mut self) -> Result<(), OAuthError> {
        let assertion = match self.client.client_assertion.is_some() {
            true => None,
            false => web_jose::client_assertion(&self.client, &self.endpoint)?,
        };
        let proof = match (&self.dpop, &self.url) {
            (Some(jwk), Some(url)) => Some(web_jose::dpop_proof(jwk, "POST", url, None)?),
            _ => None,
        };
        self.unsigned = (assertion, proof);
        self.request = JsValue::NULL;
        Ok(())
    }
}

#[wasm_bindgen(js_class = Exchange)]
impl JsExchange {
    /// `{ url, method, headers, body, timeoutMs }`, or `null` until [`Self::signed`].
    #[wasm_bindgen(getter)]
    pub fn request(&self) -> JsValue {
        self.request.clone()
    }

    /// What the driver signs before the request can go: `[[key, alg, text], …]` — key 0
    /// the client's (`privateKey`, or `clientSecret` for HS256), 1 the DPoP key — or `null`.
    #[wasm_bindgen(getter, js_name = toSign)]
    pub fn to_sign(&self) -> JsValue {
        let (a, p) = &self.unsigned;
        if a.is_none() && p.is_none() {
            return JsValue::NULL;
        }
        let out = Array::new();
        for (key, u) in [(0u8, a), (1, p)] {
            if let Some(u) = u {
                out.push(&Array::of3(&key.into(), &u.alg.as_str().into(), &u.input.as_str().into()));
            }
        }
        out.into()
    }

    /// The signatures of [`Self::to_sign`]'s texts, in order (each the bytes WebCrypto's
    /// `sign` gave): builds the request.
    pub fn signed(&mut self, signatures: Array) -> Result<(), JsValue> {
        let mut next = signatures.iter().map(|s| s.dyn_into::<Uint8Array>().ok().map(|b| b.to_vec()));
        let mut compact = |u: &Option<Unsigned>, field: &str| -> Result<Option<String>, JsValue> {
            match u {
                None => Ok(None),
                Some(u) => next
                    .next()
                    .flatten()
                    .map(|sig| Some(u.compact(&sig)))
                    .ok_or_else(|| to_js(OAuthError::config(field, "could not sign: WebCrypto gave no signature"))),
            }
        };
        let assertion = compact(&self.unsigned.0, "privateKey")?;
        let proof = compact(&self.unsigned.1, "dpop")?;
        let mut client;
        let client = match assertion {
            None => &self.client,
            Some(jwt) => {
                client = self.client.clone();
                client.client_assertion = Some(Secret::new(jwt));
                &client
            }
        };
        let mut request = self.what.build(client).map_err(to_js)?;
        if let Some(proof) = proof {
            request.add_dpop(proof);
        }
        self.unsigned = (None, None);
        self.request = request_object(&request, self.timeout_ms);
        Ok(())
    }

    /// The error for a signature WebCrypto refused (`key` as in [`Self::to_sign`]): kind
    /// `config` about `privateKey` (or `clientSecret`) or `dpop`, with the platform's reason.
    #[wasm_bindgen(js_name = signFailed)]
    pub fn sign_failed(&self, key: u8, e: JsValue) -> JsValue {
        let field = match (key, self.unsigned.0.as_ref().map(|u| u.alg)) {
            (0, Some(jose::Alg::Hs256)) => "clientSecret",
            (0, _) => "privateKey",
            _ => "dpop",
        };
        let reason = oauth2_wasm::web::js_error_message(&e);
        to_js(OAuthError::config(field, &oauth2_wasm_core::text::cat(&["could not sign: ", &reason])))
    }

    /// The answer (`exchange.js`'s outcome): the `TokenSet` (the introspection, `undefined`
    /// for a revocation), `null` when the request is to be signed and sent again with the
    /// DPoP nonce the server asked for, or throws the `OAuthError`.
    pub fn finish(&mut self, outcome: JsValue) -> Result<JsValue, JsValue> {
        let response = transport::read_outcome(&read_outcome(&outcome), self.timeout_ms, runtime()).map_err(to_js)?;
        let cx = response.context(&self.client);
        let nonce = cx.header("dpop-nonce");
        if let (Some(_), Some(url), Some(n)) = (&self.dpop, &self.url, nonce) {
            web_jose::keep_nonce(&url.origin, n);
        }
        let answer = match &self.what {
            What::About { introspect: false, .. } => {
                oauth2_wasm::parse_revocation_response(response.status, &response.body, &cx)
                    .map(|()| JsValue::UNDEFINED)
            }
            What::About { introspect: true, .. } => {
                oauth2_wasm::parse_introspection_response(response.status, &response.body, &cx)
                    .map(|i| convert::introspection(&i))
            }
            What::Token(_) => crate::parse_to_js(response.status, &response.body, &cx),
        };
        match answer {
            Ok(v) => Ok(v),
            Err(e) if self.dpop.is_some() && !self.retried && jose::nonce_asked(&e, nonce).is_some() => {
                self.retried = true;
                self.prepare().map_err(to_js)?;
                Ok(JsValue::NULL)
            }
            Err(e) => Err(to_js(refine(&self.client, e))),
        }
    }
}

/// The transport's `exchange(fetch, url, method, headersJson, body, timeoutMs, signal, max)`
/// (`exchange.js`), for the driver.
#[wasm_bindgen(js_name = transport, skip_typescript)]
pub fn transport_js() -> JsValue {
    oauth2_wasm::web::fetch::exchange_function()
}

/// The response bound, in bytes.
#[wasm_bindgen(js_name = maxResponseBytes, skip_typescript)]
pub fn max_response_bytes() -> u32 {
    transport::MAX_RESPONSE_BYTES as u32
}
