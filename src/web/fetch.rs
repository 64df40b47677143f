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
}

/// Requests a token: builds the request, sends it, parses the answer (RFC 6749 §3.2,
/// §5). Every failure is an [`OAuthError`]; none panics.
pub async fn request_token(
    client: &ClientConfig,
    grant: &Grant,
    options: &RequestOptions,
) -> Result<TokenSet, OAuthError> {
    let response = exchange(client, grant, options).await?;
    crate::parse_token_response(response.status, &response.body, &response.context(client))
        .map_err(|e| refine(client, e))
}

/// Builds and sends the request for `grant`; the response is not parsed yet.
pub async fn exchange(
    client: &ClientConfig,
    grant: &Grant,
    options: &RequestOptions,
) -> Result<HttpResponse, OAuthError> {
    let request = build_token_request(client, grant)?;
    if runtime() == Runtime::Browser {
        warn_once(transport::browser_secret_warning(client, grant));
    }
    let timeout = options.timeout_ms.or(client.timeout_ms).unwrap_or(transport::DEFAULT_TIMEOUT_MS);
    send(&request, timeout, options.signal.as_ref(), options.fetch.as_ref()).await
}

/// Adds what only the client configuration can tell to an error from the response.
pub fn refine(client: &ClientConfig, mut e: OAuthError) -> OAuthError {
    if let Some(hint) = transport::invalid_client_hint(client, &e) {
        e.hint = Some(hint.to_owned());
    }
    e
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

fn warn_once(message: Option<&str>) {
    if let Some(m) = message {
        if !WARNED.swap(true, Relaxed) {
            super::warn(m);
        }
    }
}

#[wasm_bindgen(module = "/src/web/exchange.js")]
extern "C" {
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

    /// `exchange.js`'s outcome: every member of the type it says, or absent.
    type JsOutcome;
    #[wasm_bindgen(method, getter)]
    fn fault(this: &JsOutcome) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn code(this: &JsOutcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = duringBody)]
    fn during_body(this: &JsOutcome) -> Option<bool>;
    #[wasm_bindgen(method, getter)]
    fn status(this: &JsOutcome) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = sentAt)]
    fn sent_at(this: &JsOutcome) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    fn kind(this: &JsOutcome) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn location(this: &JsOutcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = contentType)]
    fn content_type(this: &JsOutcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = retryAfter)]
    fn retry_after(this: &JsOutcome) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn date(this: &JsOutcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = wwwAuthenticate)]
    fn www_authenticate(this: &JsOutcome) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn oversized(this: &JsOutcome) -> Option<bool>;
    #[wasm_bindgen(method, getter)]
    fn body(this: &JsOutcome) -> Option<String>;
}

impl JsOutcome {
    /// The outcome as the core reads it.
    fn read(&self) -> transport::Outcome {
        transport::Outcome {
            fault: self.fault(),
            code: self.code(),
            during_body: self.during_body().unwrap_or(false),
            status: self.status(),
            sent_at: self.sent_at(),
            kind: self.kind(),
            location: self.location(),
            content_type: self.content_type(),
            retry_after: self.retry_after(),
            date: self.date(),
            www_authenticate: self.www_authenticate(),
            oversized: self.oversized().unwrap_or(false),
            body: self.body(),
        }
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
        None => get(&js_sys::global(), "fetch")
            .dyn_into::<Function>()
            .map_err(|_| OAuthError::config("fetch", "is not available here: pass a fetch function in the options"))?,
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
    // exchange.js always resolves to an object; anything else reads as an unreadable
    // outcome (a network error).
    let outcome = match JsFuture::from(promise).await {
        Ok(o) if o.is_object() => o.unchecked_into::<JsOutcome>().read(),
        _ => transport::Outcome::default(),
    };
    transport::read_outcome(&outcome, timeout_ms, runtime())
}
