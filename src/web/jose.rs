//! What the JWTs a client signs need from the platform ([`oauth2_wasm_core::jose`] writes
//! and decides them): random `jti`s from `crypto.getRandomValues`, the clock, and the DPoP
//! nonces servers gave, kept per origin for the life of the page or process.

use crate::prelude::*;
use js_sys::{Array, Uint8Array};
use oauth2_wasm_core::exchange::{Exchange, Signer};
use oauth2_wasm_core::jose::{self, PublicJwk, Unsigned, JTI_BYTES, MAX_NONCES};
use oauth2_wasm_core::OAuthError;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen(module = "/src/web/keys.js")]
extern "C" {
    /// keys.js's helpers as one object, for the npm package's JavaScript driver.
    #[wasm_bindgen(thread_local_v2, js_name = keys)]
    static KEYS: JsValue;
    /// Signs `[key, alg, text]`s (key 0 the client's: `client.privateKey` or, for HS256,
    /// `client.clientSecret`; 1 the DPoP key); rejects with a `SignFailure { slot, error }`.
    #[wasm_bindgen(js_name = signTexts)]
    fn sign_texts(texts: &js_sys::Array, client: &JsValue, dpop_private_key: &JsValue) -> js_sys::Promise;
    /// What the core may know of a private key: `{ kty, crv, alg, name, hash, private }`.
    #[wasm_bindgen(js_name = keyFacts)]
    fn key_facts_js(key: &JsValue) -> JsValue;
    /// The DPoP key pair kept for a storage key (the adapter's, IndexedDB's or memory's).
    #[wasm_bindgen(js_name = keepDpopKey)]
    fn keep_dpop_key_js(name: &str, adapter: &JsValue, ms: u32, store: u8) -> js_sys::Promise;
    /// Forgets the DPoP key pair kept for a storage key.
    #[wasm_bindgen(js_name = forgetDpopKey)]
    fn forget_dpop_key_js(name: &str, adapter: &JsValue, ms: u32, store: u8) -> js_sys::Promise;
    /// A new, non-extractable DPoP key pair: `{ privateKey, publicKey, publicJwk }`.
    #[wasm_bindgen(js_name = generateDPoPKey)]
    fn generate_dpop_key_js() -> js_sys::Promise;
    /// A key pair's public JWK `{ kty, crv, x, y }`.
    #[wasm_bindgen(js_name = publicJwkOf)]
    fn public_jwk_of(pair: &JsValue) -> js_sys::Promise;
}

/// keys.js's helpers as one object (`signTexts`, `keepDpopKey`, …), for a JavaScript driver.
pub fn keys_object() -> JsValue {
    KEYS.with(JsValue::clone)
}

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

/// Keeps the `DPoP-Nonce` of `x`'s answer for its server ([`Exchange::nonce_to_keep`]).
pub fn keep_answer_nonce(x: &Exchange, response: &oauth2_wasm_core::transport::HttpResponse) {
    if let (Some(origin), Some(nonce)) = (x.nonce_origin(), x.nonce_to_keep(response)) {
        keep_nonce(origin, nonce);
    }
}

/// A resource at `url` answered `status` with these `WWW-Authenticate` and `DPoP-Nonce`
/// headers: keeps a new nonce for its origin; whether the answer asks for the request again
/// with it ([`jose::resource_nonce_asked`]).
pub fn resource_answer(
    url: &oauth2_wasm_core::UrlParts,
    status: u16,
    www_authenticate: Option<&str>,
    dpop_nonce: Option<&str>,
) -> bool {
    let Some(nonce) = dpop_nonce else { return false };
    keep_nonce(&url.origin, nonce);
    jose::resource_nonce_asked(status, www_authenticate, Some(nonce)).is_some()
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

/// An exchange's texts to sign, for a driver: `[[key, alg, text], …]` (key 0 the client's,
/// 1 the DPoP key).
pub fn to_sign_js(x: &Exchange) -> Array {
    x.to_sign()
        .into_iter()
        .map(|(signer, u)| {
            let key = JsValue::from(u8::from(signer == Signer::Dpop));
            Array::of3(&key, &u.alg.as_str().into(), &u.input.as_str().into())
        })
        .collect()
}

/// The driver's signatures (`Uint8Array`s) as bytes; anything else counts as missing.
pub fn signatures_of(signatures: &Array) -> Vec<Vec<u8>> {
    signatures.iter().map_while(|s| s.dyn_into::<Uint8Array>().ok().map(|b| b.to_vec())).collect()
}

/// The error for a signature WebCrypto refused: kind `config` about `privateKey` (or
/// `clientSecret` for HS256) or `dpop`, with the platform's reason.
pub fn sign_error(x: &Exchange, key: u8, e: &JsValue) -> OAuthError {
    let hs =
        x.to_sign().first().is_some_and(|(s, u)| *s == Signer::Client && u.alg == oauth2_wasm_core::jose::Alg::Hs256);
    let field = match key {
        0 if hs => "clientSecret",
        0 => "privateKey",
        _ => "dpop",
    };
    let reason = super::js_error_message(e);
    OAuthError::config(field, &oauth2_wasm_core::text::cat(&["could not sign: ", &reason]))
}

/// A DPoP key pair (RFC 9449) for [`crate::RequestOptions::dpop`]: WebCrypto's ES256 keys,
/// the private one not extractable, and the public JWK the proofs carry.
#[derive(Clone, Debug)]
pub struct DpopKey {
    private_key: web_sys::CryptoKey,
    public_key: web_sys::CryptoKey,
    public_jwk: PublicJwk,
}

impl DpopKey {
    /// A new key pair (WebCrypto ECDSA P-256; the private key cannot be exported).
    pub async fn generate() -> Result<DpopKey, OAuthError> {
        let pair = wasm_bindgen_futures::JsFuture::from(generate_dpop_key_js()).await.map_err(|e| key_error(&e))?;
        DpopKey::from_pair(&pair).await
    }

    /// The key pair `{ privateKey, publicKey }` (a `CryptoKeyPair`, ECDSA P-256).
    pub async fn from_pair(pair: &JsValue) -> Result<DpopKey, OAuthError> {
        let key = |name: &str| super::get(pair, name).dyn_into::<web_sys::CryptoKey>().ok();
        let (Some(private_key), Some(public_key)) = (key("privateKey"), key("publicKey")) else {
            return Err(OAuthError::config("dpop", "must be an ES256 CryptoKeyPair"));
        };
        let jwk = wasm_bindgen_futures::JsFuture::from(public_jwk_of(pair)).await.map_err(|e| key_error(&e))?;
        let jwk = super::json::to_value(&jwk).ok_or_else(|| OAuthError::config("dpop", "must be an ES256 key pair"))?;
        Ok(DpopKey { private_key, public_key, public_jwk: PublicJwk::from_value(&jwk)? })
    }

    /// The private key (non-extractable when [`DpopKey::generate`] made it).
    pub fn private_key(&self) -> &web_sys::CryptoKey {
        &self.private_key
    }

    /// The public key.
    pub fn public_key(&self) -> &web_sys::CryptoKey {
        &self.public_key
    }

    /// The public JWK the proofs carry.
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.public_jwk
    }
}

fn key_error(e: &JsValue) -> OAuthError {
    OAuthError::config("dpop", &oauth2_wasm_core::text::cat(&["no DPoP key: ", &super::js_error_message(e)]))
}

/// The DPoP key pair kept for storage key `name`, as long and as widely as the session in
/// `store` (0 memory, 1 `localStorage`, 2 `sessionStorage`, 3 an adapter; `keys.js`): the
/// storage adapter's (`dpopKey`), else IndexedDB's, else this page's or process's memory.
pub async fn keep_dpop_key(name: &str, adapter: &JsValue, ms: u32, store: u8) -> Result<DpopKey, OAuthError> {
    let pair = wasm_bindgen_futures::JsFuture::from(keep_dpop_key_js(name, adapter, ms, store))
        .await
        .map_err(|e| key_error(&e))?;
    DpopKey::from_pair(&pair).await
}

/// Forgets the DPoP key pair kept for storage key `name` (a logout).
pub async fn forget_dpop_key(name: &str, adapter: &JsValue, ms: u32, store: u8) {
    let _ = wasm_bindgen_futures::JsFuture::from(forget_dpop_key_js(name, adapter, ms, store)).await;
}

/// What the core may know of the client's private key (`private_key_jwt`).
pub fn key_facts(key: &web_sys::CryptoKey) -> Result<oauth2_wasm_core::jose::KeyFacts, OAuthError> {
    let facts = super::json::to_value(&key_facts_js(key)).unwrap_or_default();
    oauth2_wasm_core::jose::KeyFacts::from_value(&facts)
}

/// Signs what `x` asks (its client assertion with `private_key`, or HS256 with the client
/// secret; its proof with `dpop`) through WebCrypto, and hands it the signatures.
pub async fn sign(
    x: &mut Exchange,
    private_key: Option<&web_sys::CryptoKey>,
    dpop: Option<&DpopKey>,
) -> Result<(), OAuthError> {
    let client = js_sys::Object::new();
    if let Some(key) = private_key {
        super::set(&client, "privateKey", key);
    }
    if let Some(secret) = x.client().secret() {
        super::set(&client, "clientSecret", &JsValue::from_str(secret));
    }
    let dpop_private = dpop.map_or(JsValue::UNDEFINED, |k| k.private_key.clone().into());
    let texts = to_sign_js(x);
    match wasm_bindgen_futures::JsFuture::from(sign_texts(&texts, &client, &dpop_private)).await {
        Ok(signatures) => x.signed(&signatures_of(signatures.unchecked_ref()), &super::url::RuntimeUrl).map(|_| ()),
        Err(failure) => {
            let slot = super::get(&failure, "slot").as_f64().unwrap_or(0.0) as u8;
            Err(sign_error(x, slot, &super::get(&failure, "error")))
        }
    }
}

/// Writes what `x` is to sign now: fresh `jti`s, the nonce kept for its server.
pub fn prepare(x: &mut Exchange) -> Result<(), OAuthError> {
    let nonce = x.nonce_origin().and_then(nonce);
    let random = [random_jti()?, random_jti()?];
    x.prepare(now(), &random, nonce.as_deref())
}

/// A proof for `method` `url` with `token` (`ath`), signed with `key`: the `DPoP` header.
pub async fn resource_proof(
    key: &DpopKey,
    method: &str,
    url: &oauth2_wasm_core::UrlParts,
    token: &str,
) -> Result<String, OAuthError> {
    let proof = dpop_proof(&key.public_jwk, &jose::htm(method), url, Some(token))?;
    let texts: Array = core::iter::once(Array::of3(&1.into(), &"ES256".into(), &proof.input.as_str().into())).collect();
    let signed = wasm_bindgen_futures::JsFuture::from(sign_texts(&texts, &JsValue::UNDEFINED, &key.private_key)).await;
    let signature = signed
        .ok()
        .and_then(|s| signatures_of(s.unchecked_ref()).into_iter().next())
        .ok_or_else(|| OAuthError::config("dpop", "could not sign a DPoP proof"))?;
    Ok(proof.compact(&signature))
}
