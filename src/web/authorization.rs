//! The authorization-code flow's helpers on the platform's parts: the runtime's WHATWG
//! `URL` (as for every endpoint check) and its CSPRNG (`crypto.getRandomValues`). The
//! decisions are the core's ([`oauth2_wasm_core::authorization`]).

use super::url::RuntimeUrl;
use crate::prelude::*;
use oauth2_wasm_core::authorization::{
    self, AuthorizationRequest, AuthorizationResponse, AuthorizeOptions, CallbackCheck, Transaction, RANDOM_BYTES,
};
use oauth2_wasm_core::{ClientConfig, ErrorKind, Grant, OAuthError};
use wasm_bindgen::JsCast;

/// A fresh PKCE code verifier (RFC 7636 §4.1): the base64url of 32 bytes from
/// `crypto.getRandomValues`, 43 characters. Kind `config` where the runtime has no
/// `crypto.getRandomValues`.
pub fn generate_code_verifier() -> Result<String, OAuthError> {
    random_text()
}

/// A fresh `state` for an authorization request: as [`generate_code_verifier`].
pub fn generate_state() -> Result<String, OAuthError> {
    random_text()
}

fn random_text() -> Result<String, OAuthError> {
    Ok(authorization::random_text(&random_bytes::<RANDOM_BYTES>()?))
}

/// `N` bytes from `crypto.getRandomValues` (verifiers, states, `jti`s).
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], OAuthError> {
    let crypto = super::get(&js_sys::global(), "crypto");
    let fill = super::get(&crypto, "getRandomValues").dyn_into::<js_sys::Function>().map_err(|_| {
        OAuthError::new(
            ErrorKind::Config,
            "this runtime has no crypto.getRandomValues to make a verifier, a state or a jti with",
        )
    })?;
    let array = js_sys::Uint8Array::new_with_length(N as u32);
    fill.call1(&crypto, &array).map_err(|e| OAuthError::new(ErrorKind::Config, super::js_error_message(&e)))?;
    let mut bytes = [0u8; N];
    array.copy_to(&mut bytes);
    Ok(bytes)
}

/// `manager.authorize()`'s transaction and URL ([`authorization::authorize_with`]), with
/// fresh random bytes and the runtime's URL parse.
pub fn authorize(
    client: &ClientConfig,
    options: &AuthorizeOptions,
    now: u64,
) -> Result<(Transaction, String), OAuthError> {
    authorization::authorize_with(
        client,
        options,
        (&random_bytes::<RANDOM_BYTES>()?, &random_bytes::<RANDOM_BYTES>()?),
        now,
        &RuntimeUrl,
    )
}

/// `manager.handleCallback()`'s grant ([`authorization::callback_grant_with`]).
pub fn callback_grant(
    client: &ClientConfig,
    stored: Option<&str>,
    callback: &str,
    now: u64,
) -> Result<Grant, OAuthError> {
    authorization::callback_grant_with(client, stored, callback, now, &RuntimeUrl)
}

/// The tab's `sessionStorage` for transactions, when it is there and takes writes.
pub fn session_storage() -> Option<web_sys::Storage> {
    super::storage::probe("sessionStorage").ok()
}

/// The URL to send the browser to ([`authorization::build_authorization_url_with`]), the
/// endpoint checked on the runtime's URL parse.
pub fn build_authorization_url(client: &ClientConfig, request: &AuthorizationRequest) -> Result<String, OAuthError> {
    authorization::build_authorization_url_with(client, request, &RuntimeUrl)
}

/// Reads and checks the callback URL ([`authorization::parse_authorization_response_with`])
/// on the runtime's URL parse.
pub fn parse_authorization_response(
    callback: &str,
    check: &CallbackCheck,
) -> Result<AuthorizationResponse, OAuthError> {
    authorization::parse_authorization_response_with(callback, check, &RuntimeUrl)
}
