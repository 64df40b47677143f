//! What the JWTs a client signs need from the platform ([`oauth2_wasm_core::jose`] writes
//! and decides them): random `jti`s from `crypto.getRandomValues`, the clock, and the DPoP
//! nonces servers gave, kept per origin for the life of the page or process.

use crate::prelude::*;
use oauth2_wasm_core::jose::{self, PublicJwk, Unsigned, JTI_BYTES, MAX_NONCES};
use oauth2_wasm_core::OAuthError;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(module = "/src/web/exchange.js")]
extern "C" {
    /// exchange.js's `dpopNonces`: a `Map` from origin to nonce, in the order they were
    /// given (the wasm has no threads to keep a Rust global behind; the JavaScript module
    /// holds the map, the rules are here).
    #[wasm_bindgen(thread_local_v2, js_name = dpopNonces)]
    static NONCES: js_sys::Map;
}

/// The nonce to send to `origin`.
pub fn nonce(origin: &str) -> Option<String> {
    NONCES.with(|n| n.get(&JsValue::from_str(origin)).as_string())
}

/// Keeps a server's `DPoP-Nonce` for `origin` when it is a valid nonce, the most recent
/// last; the oldest server's is forgotten past [`MAX_NONCES`].
pub fn keep_nonce(origin: &str, nonce: &str) -> bool {
    if !jose::valid_nonce(nonce) {
        return false;
    }
    NONCES.with(|n| {
        let origin = JsValue::from_str(origin);
        n.delete(&origin);
        n.set(&origin, &JsValue::from_str(nonce));
        while n.size() as usize > MAX_NONCES {
            let oldest = n.keys().next().ok().map(|k| k.value());
            match oldest {
                Some(k) if !k.is_undefined() => n.delete(&k),
                _ => break,
            };
        }
    });
    true
}

/// A DPoP proof for `htm` `url` (its origin and path: the request's WHATWG parse) with the
/// nonce kept for its origin, `ath` with `access_token`.
pub fn dpop_proof(
    jwk: &PublicJwk,
    htm: &str,
    url: &oauth2_wasm_core::UrlParts,
    access_token: Option<&str>,
) -> Result<Unsigned, OAuthError> {
    let random = random_jti()?;
    let nonce = nonce(&url.origin);
    Ok(jose::dpop_proof(jwk, htm, &jose::htu(url), now(), &random, nonce.as_deref(), access_token))
}

/// Random bytes for a `jti`, from `crypto.getRandomValues`.
pub fn random_jti() -> Result<[u8; JTI_BYTES], OAuthError> {
    super::authorization::random_bytes::<JTI_BYTES>()
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}
