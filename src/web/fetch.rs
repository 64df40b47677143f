//! The token endpoint through `fetch`: `globalThis.fetch` (a window, a worker, Node 18+) or
//! one the caller injects, with a time limit, the caller's `AbortSignal`, no redirects,
//! and a bounded body read. `exchange.js` does the calls into the platform; what its
//! outcome means is decided here and in [`oauth2_wasm_core::transport`].

use super::get;
use super::url::build_token_request;
use crate::prelude::*;
use ::core::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};
use js_sys::{Function, Promise, Reflect};
use oauth2_wasm_core::config::ClientConfig;
use oauth2_wasm_core::error::OAuthError;
use oauth2_wasm_core::exchange::{Answer, Exchange, Purpose};
use oauth2_wasm_core::grant::Grant;
use oauth2_wasm_core::request::TokenRequest;
use oauth2_wasm_core::response::TokenSet;
pub use oauth2_wasm_core::transport::HttpResponse;
use oauth2_wasm_core::transport::{self, Runtime, MAX_RESPONSE_BYTES};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

/// How to send one token request.
#[derive(Debug, Default, Clone)]
pub struct RequestOptions {
    /// Time limit in ms for the whole exchange, body included; default: the client's
    /// `timeout_ms`, else 30 000.
    pub timeout_ms: Option<u32>,
    /// The caller's signal: aborting it aborts the request (`kind: "aborted"`).
    pub signal: Option<AbortSignal>,
    /// A `fetch` to use instead of `globalThis.fetch`.
    pub fetch: Option<Function>,
    /// Send DPoP proofs made with this key (RFC 9449): the tokens are bound to it. A
    /// `use_dpop_nonce` answer is sent once more with the server's nonce.
    pub dpop: Option<super::jose::DpopKey>,
    /// The client's private key for `private_key_jwt` (a WebCrypto key: RSA, P-256 or
    /// Ed25519); its type is read from the key, it never leaves WebCrypto.
    pub private_key: Option<web_sys::CryptoKey>,
}

/// Requests a token: builds the request, sends it, parses the answer (RFC 6749 §3.2,
/// §5). Every failure is an [`OAuthError`]; none panics.
pub async fn request_token(
    client: &ClientConfig,
    grant: &Grant,
    options: &RequestOptions,
) -> Result<TokenSet, OAuthError> {
    warn_about_secrets(client, grant);
    match exchange_with(client, Purpose::Token(grant.clone()), options, None).await? {
        Answer::Tokens(tokens) => Ok(tokens),
        _ => Err(oauth2_wasm_core::machine::unsettled()),
    }
}

/// One exchange ([`oauth2_wasm_core::exchange`]): checked and built; signed through
/// WebCrypto when the client signs (`private_key_jwt`, `client_secret_jwt`) or proves a DPoP
/// key; sent as `options` say; answered — once more with the nonce a server asked for.
/// `answered_at`: the instant expiry counts from (default: when the request was sent).
pub async fn exchange_with(
    client: &ClientConfig,
    purpose: Purpose,
    options: &RequestOptions,
    answered_at: Option<u64>,
) -> Result<Answer, OAuthError> {
    let mut client = client.clone();
    if let Some(key) = &options.private_key {
        client.private_key = Some(super::jose::key_facts(key)?);
    }
    let dpop = options.dpop.as_ref();
    let mut x = Exchange::new(client, purpose, dpop.map(|k| k.public_jwk().clone()), &super::url::RuntimeUrl)?;
    for _ in 0..2 {
        if x.request().is_none() {
            super::jose::prepare(&mut x)?;
            super::jose::sign(&mut x, options.private_key.as_ref(), dpop).await?;
        }
        let request = x.request().ok_or_else(oauth2_wasm_core::machine::unsettled)?;
        let response = send_for(x.client(), request, options).await?;
        super::jose::keep_answer_nonce(&x, &response);
        if let Some(answer) = x.answer(&response, answered_at.unwrap_or(response.sent_at_ms))? {
            return Ok(answer);
        }
    }
    Err(oauth2_wasm_core::machine::unsettled())
}

/// Revokes `token` at the client's `revocation_endpoint` (RFC 7009): builds the request
/// (`token_type_hint`: `access_token`, `refresh_token` …), sends it as token requests are
/// sent (time limit, the caller's signal, no redirects, a bounded body) and reads the
/// answer: `Ok` for any 2xx, else the [`OAuthError`] (`unsupported_token_type` → kind
/// `oauth`, a 503 → kind `http` with `retry_after` …).
pub async fn revoke_token(
    client: &ClientConfig,
    token: &str,
    token_type_hint: Option<&str>,
    options: &RequestOptions,
) -> Result<(), OAuthError> {
    let purpose = Purpose::Revoke(token.into(), token_type_hint.map(str::to_owned));
    exchange_with(client, purpose, options, None).await.map(|_| ())
}

/// Fetches the server's metadata (RFC 8414 at `/.well-known/oauth-authorization-server`,
/// inserted before the issuer's path; OpenID Connect's `/.well-known/openid-configuration`
/// after a 404), sent as token requests are (time limit, signal, no redirects, a bounded
/// body); the document must name `issuer` exactly. `allow_insecure_http` as for a client.
pub async fn discover(
    issuer: &str,
    allow_insecure_http: bool,
    options: &RequestOptions,
) -> Result<oauth2_wasm_core::discovery::ServerMetadata, OAuthError> {
    let mut discovery =
        oauth2_wasm_core::discovery::Discovery::new(issuer, allow_insecure_http, &super::url::RuntimeUrl)?;
    let timeout = options.timeout_ms.unwrap_or(transport::DEFAULT_TIMEOUT_MS);
    for _ in 0..2 {
        let response = send(&discovery.request(), timeout, options.signal.as_ref(), options.fetch.as_ref()).await?;
        if let Some(metadata) = discovery.finish(response.status, &response.body)? {
            return Ok(metadata);
        }
    }
    Err(oauth2_wasm_core::machine::unsettled())
}

/// Asks the client's `introspection_endpoint` about `token` (RFC 7662), sent as token
/// requests are; the server's answer, or the [`OAuthError`].
pub async fn introspect_token(
    client: &ClientConfig,
    token: &str,
    token_type_hint: Option<&str>,
    options: &RequestOptions,
) -> Result<oauth2_wasm_core::Introspection, OAuthError> {
    let purpose = Purpose::Introspect(token.into(), token_type_hint.map(str::to_owned));
    match exchange_with(client, purpose, options, None).await? {
        Answer::Introspection(i) => Ok(i),
        _ => Err(oauth2_wasm_core::machine::unsettled()),
    }
}

/// Builds and sends the request for `grant`; the response is not parsed yet.
pub async fn exchange(
    client: &ClientConfig,
    grant: &Grant,
    options: &RequestOptions,
) -> Result<HttpResponse, OAuthError> {
    let request = build_token_request(client, grant)?;
    warn_about_secrets(client, grant);
    send_for(client, &request, options).await
}

/// Sends `request` for `client` as `options` say: the call's time limit, else the client's,
/// else the default; the caller's signal; its `fetch`.
async fn send_for(
    client: &ClientConfig,
    request: &TokenRequest,
    options: &RequestOptions,
) -> Result<HttpResponse, OAuthError> {
    send(request, options.timeout_for(client), options.signal.as_ref(), options.fetch.as_ref()).await
}

/// Adds what only the client configuration can tell to an error from the response
/// ([`transport::refine`]).
pub fn refine(client: &ClientConfig, e: OAuthError) -> OAuthError {
    transport::refine(client, e)
}

/// In a browser, the once-per-page warning about secrets in page code for `grant`
/// ([`transport::browser_secret_warning`]).
pub fn warn_about_secrets(client: &ClientConfig, grant: &Grant) {
    if runtime() == Runtime::Browser {
        warn_once(transport::browser_secret_warning(client, grant));
    }
}

impl RequestOptions {
    /// The time limit of one request: the call's, else the client's, else the default, as
    /// a timer can run it.
    pub fn timeout_for(&self, client: &ClientConfig) -> u32 {
        transport::timer_ms(self.timeout_ms.or(client.timeout_ms).unwrap_or(transport::DEFAULT_TIMEOUT_MS))
    }
}

/// Where this code runs: a window or worker has `document` or `WorkerGlobalScope`.
pub fn runtime() -> Runtime {
    // Cached: 0 not yet known, 1 browser, 2 server. (Atomics only because a `static` must
    // be `Sync`; the wasm has one thread.)
    let mut known = RUNTIME.load(Relaxed);
    if known == 0 {
        let global = js_sys::global();
        let has = |name: &str| Reflect::has(&global, &JsValue::from_str(name)).unwrap_or(false);
        known = if has("document") || has("WorkerGlobalScope") { 1 } else { 2 };
        RUNTIME.store(known, Relaxed);
    }
    if known == 1 {
        Runtime::Browser
    } else {
        Runtime::Server
    }
}

static RUNTIME: AtomicU8 = AtomicU8::new(0);
static WARNED: AtomicBool = AtomicBool::new(false);

/// Shows `message` (the browser-secret warning) with `console.warn`, once per page.
pub fn warn_once(message: Option<&str>) {
    if let Some(m) = message {
        if !WARNED.swap(true, Relaxed) {
            super::warn(m);
        }
    }
}

#[wasm_bindgen(module = "/src/web/exchange.js")]
extern "C" {
    /// `exchange` itself, as a value (the npm package's JavaScript driver calls it).
    #[wasm_bindgen(thread_local_v2, js_name = exchange)]
    static EXCHANGE: JsValue;
    /// Sends one request and reads the response; resolves to its outcome object (never
    /// rejects). `headers` is a JSON object's text.
    #[wasm_bindgen(js_name = exchange)]
    fn js_exchange(
        fetch: &Function,
        url: &str,
        method: &str,
        headers: &str,
        body: &str,
        timeout_ms: u32,
        signal: Option<&AbortSignal>,
        max: u32,
    ) -> Promise;
    /// A request's options in one crossing: `[signal, timeoutMs, fetch, dpop, tokenTypeHint,
    /// the runtime's fetch]`. (Typed as optional — it always answers — so that the import
    /// goes through the glue: wasm-bindgen writes each import it passes straight through as
    /// one more namespace under the same key of the web glue's import object, a duplicate
    /// key bundlers warn about.)
    #[wasm_bindgen(js_name = options)]
    fn js_options(options: &JsValue) -> Option<js_sys::Array>;
}

/// The members of a request's options as JavaScript gave them, read in one crossing
/// (`exchange.js`'s `options`; each read by name cost a crossing of its name's text):
/// `undefined` where a member is missing, its getter throws, or the options are no object.
#[derive(Debug)]
pub struct OptionValues {
    /// `signal`: an `AbortSignal` for the request.
    pub signal: JsValue,
    /// `timeoutMs`: the time limit.
    pub timeout_ms: JsValue,
    /// `fetch`: the function to send with.
    pub fetch: JsValue,
    /// `dpop`: the DPoP key (or its public JWK, from the driver).
    pub dpop: JsValue,
    /// `tokenTypeHint`, of a revocation or introspection.
    pub token_type_hint: JsValue,
    /// The runtime's own `fetch` (`globalThis.fetch`), whatever the options hold.
    pub runtime_fetch: JsValue,
}

impl OptionValues {
    /// Reads `options`.
    pub fn of(options: &JsValue) -> OptionValues {
        let values = js_options(options).unwrap_or_default();
        OptionValues {
            signal: values.get(0),
            timeout_ms: values.get(1),
            fetch: values.get(2),
            dpop: values.get(3),
            token_type_hint: values.get(4),
            runtime_fetch: values.get(5),
        }
    }
}

/// The error when there is no `fetch` to send with: none given, none in the runtime.
pub fn fetch_missing() -> OAuthError {
    OAuthError::config("fetch", "is not available here: pass a fetch function in the options")
}

/// `exchange.js`'s `exchange` function, for a JavaScript driver: one transport for both.
pub fn exchange_function() -> JsValue {
    EXCHANGE.with(JsValue::clone)
}

/// `exchange.js`'s outcome as the core reads it: an array in the order below (`outcome()`
/// in exchange.js), each value of its type, or absent. By index, not by name: a member read
/// by name costs the name's crossing too, and this is read once per request.
pub fn read_outcome(o: &JsValue) -> transport::Outcome {
    let o: &js_sys::Array = match o.dyn_ref() {
        Some(o) => o,
        None => return transport::Outcome::default(),
    };
    let text = |i: u32| o.get(i).as_string();
    let number = |i: u32| o.get(i).as_f64();
    let flag = |i: u32| o.get(i).as_bool().unwrap_or(false);
    transport::Outcome {
        fault: text(0),
        code: text(1),
        during_body: flag(2),
        status: number(3),
        sent_at: number(4),
        kind: text(5),
        location: text(6),
        content_type: text(7),
        retry_after: text(8),
        date: text(9),
        www_authenticate: text(10),
        dpop_nonce: text(11),
        oversized: flag(12),
        body: text(13),
    }
}

/// Sends `request` and reads the response within `timeout_ms`: `exchange.js` moves the
/// bytes, [`transport`] says what its outcome means.
pub async fn send(
    request: &TokenRequest,
    timeout_ms: u32,
    signal: Option<&AbortSignal>,
    fetch: Option<&Function>,
) -> Result<HttpResponse, OAuthError> {
    let fetch = match fetch {
        Some(f) => f.clone(),
        None => get(&js_sys::global(), "fetch").dyn_into::<Function>().map_err(|_| fetch_missing())?,
    };
    // The limit as a timer can run it, for both of exchange.js's transports and the message.
    let timeout_ms = transport::timer_ms(timeout_ms);
    let mut headers = oauth2_wasm_core::encode::JsonObject::new();
    for (name, value) in &request.headers {
        headers.string(name, value);
    }
    let promise = js_exchange(
        &fetch,
        &request.url,
        request.method,
        &headers.finish(),
        &request.body,
        timeout_ms,
        signal,
        MAX_RESPONSE_BYTES as u32,
    );
    // exchange.js always resolves to an array; anything else reads as an unreadable
    // outcome (a network error).
    let outcome = match JsFuture::from(promise).await {
        Ok(o) => read_outcome(&o),
        Err(_) => transport::Outcome::default(),
    };
    transport::read_outcome(&outcome, timeout_ms, runtime())
}
