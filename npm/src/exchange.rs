//! One request for the driver's `requestToken`, `revokeToken` and `introspectToken`,
//! behind the `Exchange` class: checked and built here, signed by the driver when the
//! client signs (a client assertion, a DPoP proof: `toSign`, then `signed`), sent by the
//! driver, read here — and, when the server asks for a DPoP nonce, made again once with it
//! (`finish` answers `null`: send again).
//!
//! What is signed and every claim is the core's ([`oauth2_wasm_core::jose`]); the driver
//! only signs the text with WebCrypto, so no private key enters the wasm.

use crate::machine::{fetch_ready, request_object};
use crate::prelude::*;
use crate::{arg, arg_text, request_options, to_js, Returned};
use alloc::rc::Rc;
use js_sys::Array;
use oauth2_wasm::web::fetch::{read_outcome, runtime, OptionValues};
use oauth2_wasm::web::url::{KeptUrls, RuntimeUrl};
use oauth2_wasm::web::{convert, jose as web_jose};
use oauth2_wasm_core::config::{ClientConfig, Secret};
use oauth2_wasm_core::error::OAuthError;
use oauth2_wasm_core::exchange::{Answer, Exchange, Purpose};
use oauth2_wasm_core::grant::Grant;
use oauth2_wasm_core::jose::PublicJwk;
use oauth2_wasm_core::transport;
use wasm_bindgen::prelude::*;

/// One request: made by [`exchange`], [`revocation`] or [`introspection`] over the core's
/// [`Exchange`], signed and sent by the driver, finished (read and parsed) here.
#[derive(Debug)]
#[wasm_bindgen(js_name = Exchange, skip_typescript)]
pub struct JsExchange {
    x: Exchange,
    timeout_ms: u32,
    /// The request as the driver sends it; `null` while signatures are missing.
    request: JsValue,
    /// The client's endpoint parses, for a request built again once signed.
    urls: Rc<KeptUrls>,
}

/// A client configuration as read from its JSON text, with its endpoints' parses
/// ([`KeptUrls`]): the driver keeps the last one it made and makes another only when the
/// text of `JSON.stringify(client)` changes, so that a series of requests with one client
/// reads it once. (Reading it — the text into the wasm, serde_json, the checks of its
/// shape — and the URL parses were a quarter of a token request's wasm work.)
#[derive(Debug)]
#[wasm_bindgen(js_name = Client, skip_typescript)]
pub struct JsClient {
    config: ClientConfig,
    urls: Rc<KeptUrls>,
}

/// `client(text)`: the client configuration whose `JSON.stringify` is `text` (`undefined`
/// when it could not be written: the same error as any other client that is no plain
/// object).
#[wasm_bindgen(js_name = client, skip_typescript)]
pub fn client(text: Option<String>) -> Result<JsClient, JsValue> {
    let config = ClientConfig::from_value(&arg_text(text.as_deref(), "client")?).map_err(to_js)?;
    Ok(JsClient { config, urls: Rc::default() })
}

/// `exchange(client, grant, options)`: checks everything, builds the request (throws an
/// `OAuthError` of kind `config` naming a bad field). `client` is a [`JsClient`]. Options:
/// `signal`, `timeoutMs`, `fetch`, and `dpop`, the public JWK of the DPoP key (the driver's
/// `publicJwk`).
#[wasm_bindgen(js_name = exchange, skip_typescript)]
pub fn exchange(client: &JsClient, grant: &JsValue, options: &JsValue) -> Result<JsExchange, JsValue> {
    let grant = Grant::from_value(&arg(grant, "grant")?).map_err(to_js)?;
    oauth2_wasm::web::fetch::warn_about_secrets(&client.config, &grant);
    JsExchange::new(client, Purpose::Token(grant), &OptionValues::of(options))
}

/// `revocation(client, token, options)`: checks everything and builds the revocation
/// request, for the driver's `revokeToken` (options `tokenTypeHint`, `signal`, `timeoutMs`,
/// `fetch`, `dpop`).
#[wasm_bindgen(js_name = revocation, skip_typescript)]
pub fn revocation(client: &JsClient, token: &JsValue, options: &JsValue) -> Result<JsExchange, JsValue> {
    exchange_about(client, token, options, false)
}

/// `introspection(client, token, options)`: as [`revocation`], for the driver's
/// `introspectToken`.
#[wasm_bindgen(js_name = introspection, skip_typescript)]
pub fn introspection(client: &JsClient, token: &JsValue, options: &JsValue) -> Result<JsExchange, JsValue> {
    exchange_about(client, token, options, true)
}

fn exchange_about(
    client: &JsClient,
    token: &JsValue,
    options: &JsValue,
    introspect: bool,
) -> Result<JsExchange, JsValue> {
    let options = OptionValues::of(options);
    let (token, hint) = about_token(token, &options.token_type_hint)?;
    JsExchange::new(client, about(token, hint, introspect), &options)
}

fn about(token: String, hint: Option<String>, introspect: bool) -> Purpose {
    match introspect {
        true => Purpose::Introspect(Secret::new(token), hint),
        false => Purpose::Revoke(Secret::new(token), hint),
    }
}

/// The token and `tokenTypeHint` of a revocation or introspection.
fn about_token(token: &JsValue, hint: &JsValue) -> Result<(String, Option<String>), JsValue> {
    let token = token.as_string().ok_or_else(|| to_js(OAuthError::config("token", "must be a string")))?;
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
    let (token, hint) = about_token(token, &OptionValues::of(options).token_type_hint)?;
    let x = Exchange::new(client, about(token, hint, introspect), None, &RuntimeUrl).map_err(to_js)?;
    let request = x.request().ok_or_else(|| to_js(assertion_missing(x.client())))?;
    Ok(oauth2_wasm::web::json::from_text(&convert::request_json(request, None)))
}

/// Building synchronously with a client that signs its own assertion: what is missing.
fn assertion_missing(client: &ClientConfig) -> OAuthError {
    oauth2_wasm_core::request::build_token_request_with(client, &Grant::ClientCredentials { scope: None }, &RuntimeUrl)
        .err()
        .unwrap_or_else(|| OAuthError::config("clientAssertion", "is required"))
}

impl JsExchange {
    fn new(client: &JsClient, purpose: Purpose, options: &OptionValues) -> Result<JsExchange, JsValue> {
        let dpop = match options.dpop.is_undefined() || options.dpop.is_null() {
            true => None,
            false => Some(PublicJwk::from_value(&arg(&options.dpop, "dpop")?).map_err(to_js)?),
        };
        let request_options = request_options(options)?;
        fetch_ready(request_options.fetch.is_some(), Some(&options.runtime_fetch)).map_err(to_js)?;
        let timeout_ms = request_options.timeout_for(&client.config);
        let urls = client.urls.clone();
        let x = Exchange::new(client.config.clone(), purpose, dpop, &*urls).map_err(to_js)?;
        let mut out = JsExchange { x, timeout_ms, request: JsValue::NULL, urls };
        match out.x.request() {
            Some(r) => out.request = request_object(r, timeout_ms),
            None => out.prepare().map_err(to_js)?,
        }
        Ok(out)
    }

    /// What is to be signed: a fresh assertion and proof.
    fn prepare(&mut self) -> Result<(), OAuthError> {
        self.request = JsValue::NULL;
        web_jose::prepare(&mut self.x)
    }
}

#[wasm_bindgen(js_class = Exchange)]
impl JsExchange {
    /// `{ url, method, headers, body, timeoutMs }`, or `null` until [`Self::signed`].
    #[wasm_bindgen(getter)]
    pub fn request(&self) -> Returned {
        Ok(self.request.clone())
    }

    /// What the driver signs before the request can go: `[[key, alg, text], …]` — key 0
    /// the client's (`privateKey`, or `clientSecret` for HS256), 1 the DPoP key.
    #[wasm_bindgen(getter, js_name = toSign)]
    pub fn to_sign(&self) -> Returned<Array> {
        Ok(web_jose::to_sign_js(&self.x))
    }

    /// The signatures of [`Self::to_sign`]'s texts, in order (each the bytes WebCrypto's
    /// `sign` gave): builds the request.
    pub fn signed(&mut self, signatures: Array) -> Result<(), JsValue> {
        let request = self.x.signed(&web_jose::signatures_of(&signatures), &*self.urls).map_err(to_js)?;
        self.request = request_object(request, self.timeout_ms);
        Ok(())
    }

    /// The error for a signature WebCrypto refused (`key` as in [`Self::to_sign`]).
    #[wasm_bindgen(js_name = signFailed)]
    pub fn sign_failed(&self, key: u8, e: JsValue) -> Returned {
        Ok(to_js(web_jose::sign_error(&self.x, key, &e)))
    }

    /// The answer (`exchange.js`'s outcome): the `TokenSet` (the introspection, `undefined`
    /// for a revocation), `null` when the request is to be signed and sent again with the
    /// DPoP nonce the server asked for, or throws the `OAuthError`.
    pub fn finish(&mut self, outcome: JsValue) -> Result<JsValue, JsValue> {
        let response = transport::read_outcome(&read_outcome(&outcome), self.timeout_ms, runtime()).map_err(to_js)?;
        web_jose::keep_answer_nonce(&self.x, &response);
        match self.x.answer(&response, response.sent_at_ms).map_err(to_js)? {
            None => {
                self.prepare().map_err(to_js)?;
                Ok(JsValue::NULL)
            }
            Some(Answer::Revoked) => Ok(JsValue::UNDEFINED),
            Some(Answer::Introspection(i)) => Ok(convert::introspection(&i)),
            Some(Answer::Tokens(tokens)) => Ok(crate::tokens_to_js(&tokens, &response.body)),
        }
    }
}

/// The transport's `exchange(fetch, url, method, headersJson, body, timeoutMs, signal, max)`
/// (`exchange.js`), for the driver.
#[wasm_bindgen(js_name = transport, skip_typescript)]
pub fn transport_js() -> Returned {
    Ok(oauth2_wasm::web::fetch::exchange_function())
}

/// The WebCrypto signing and DPoP key keeping of `keys.js`, for the driver.
#[wasm_bindgen(js_name = keys, skip_typescript)]
pub fn keys_js() -> Returned {
    Ok(oauth2_wasm::web::jose::keys_object())
}

/// The response bound, in bytes.
#[wasm_bindgen(js_name = maxResponseBytes, skip_typescript)]
pub fn max_response_bytes() -> u32 {
    transport::MAX_RESPONSE_BYTES as u32
}
