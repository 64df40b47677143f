//! The authorization-code flow's pure helpers for JavaScript (DESIGN §2b):
//! `generateCodeVerifier`, `generateState`, `codeChallengeS256`, `buildAuthorizationUrl`,
//! `parseAuthorizationResponse`. Arguments are read here; the checks are the core's.

use crate::prelude::*;
use crate::{arg, to_js};
use oauth2_wasm::web::authorization as web;
use oauth2_wasm_core::authorization::{code_challenge_s256, AuthorizationRequest, CallbackCheck};
use oauth2_wasm_core::config::ClientConfig;
use oauth2_wasm_core::encode::JsonObject;
use oauth2_wasm_core::error::OAuthError;
use wasm_bindgen::prelude::*;

/// A fresh PKCE code verifier: 43 characters from 32 random bytes.
#[wasm_bindgen(js_name = generateCodeVerifier, skip_typescript)]
pub fn generate_code_verifier() -> Result<String, JsValue> {
    web::generate_code_verifier().map_err(to_js)
}

/// A fresh `state`: 43 characters from 32 random bytes.
#[wasm_bindgen(js_name = generateState, skip_typescript)]
pub fn generate_state() -> Result<String, JsValue> {
    web::generate_state().map_err(to_js)
}

/// `BASE64URL(SHA256(verifier))`, synchronously.
#[wasm_bindgen(js_name = codeChallengeS256, skip_typescript)]
pub fn code_challenge_s256_js(verifier: &JsValue) -> Result<String, JsValue> {
    let verifier = verifier.as_string().ok_or_else(|| to_js(OAuthError::config("codeVerifier", "must be a string")))?;
    code_challenge_s256(&verifier).map_err(to_js)
}

/// The authorization URL for `client` and `{ redirectUri, scope?, state, codeChallenge,
/// codeChallengeMethod?, nonce?, extraParams? }`.
#[wasm_bindgen(js_name = buildAuthorizationUrl, skip_typescript)]
pub fn build_authorization_url_js(client: &JsValue, options: &JsValue) -> Result<String, JsValue> {
    let client = ClientConfig::from_value(&arg(client, "client")?).map_err(to_js)?;
    let request = AuthorizationRequest::from_value(&arg(options, "options")?).map_err(to_js)?;
    web::build_authorization_url(&client, &request).map_err(to_js)
}

/// `{ code, state, iss? }` from the callback URL (a string or a `URL`), checked against
/// `{ state, issuer?, redirectUri? }`.
#[wasm_bindgen(js_name = parseAuthorizationResponse, skip_typescript)]
pub fn parse_authorization_response_js(url: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
    let url = crate::callback_url(url)?;
    let check = CallbackCheck::from_value(&arg(options, "options")?).map_err(to_js)?;
    let response = web::parse_authorization_response(&url, &check).map_err(to_js)?;
    let mut out = JsonObject::new();
    out.string("code", response.code.expose())
        .string("state", &response.state)
        .maybe_string("iss", response.iss.as_deref());
    Ok(oauth2_wasm::web::json::from_text(&out.finish()))
}
