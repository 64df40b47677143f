//! The token endpoint through `fetch`: `globalThis.fetch` (a window, a worker, Node 18+) or
//! one the caller injects, with a time limit, the caller's `AbortSignal`, no redirects,
//! and a bounded body read.

use super::get;
use crate::core::config::ClientConfig;
use crate::core::error::{ErrorKind, OAuthError};
use crate::core::grant::Grant;
use crate::core::request::{build_token_request, TokenRequest};
use crate::core::response::{ResponseContext, TokenSet};
use crate::core::transport::{self, Runtime, TransportFault, MAX_RESPONSE_BYTES};
use js_sys::{Function, Promise, Reflect};
use std::cell::{Cell, OnceCell};
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

/// A response as the parser needs it.
#[derive(Debug)]
pub struct HttpResponse {
    /// When the request was sent (ms since the epoch).
    pub sent_at_ms: u64,
    /// The HTTP status.
    pub status: u16,
    /// The headers the parser reads.
    pub headers: Vec<(String, String)>,
    /// The body, at most [`MAX_RESPONSE_BYTES`].
    pub body: String,
}

impl HttpResponse {
    /// The parser's context for this response.
    pub fn context<'a>(&'a self, client: &'a ClientConfig) -> ResponseContext<'a> {
        ResponseContext {
            now_ms: self.sent_at_ms,
            headers: &self.headers,
            strict: false,
            human_fields: client.human_fields.as_ref().map(|(t, m)| (t.as_str(), m.as_str())),
        }
    }
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
    RUNTIME.with(|known| {
        *known.get_or_init(|| {
            let global = js_sys::global();
            let has = |name: &str| Reflect::has(&global, &JsValue::from_str(name)).unwrap_or(false);
            if has("document") || has("WorkerGlobalScope") {
                Runtime::Browser
            } else {
                Runtime::Server
            }
        })
    })
}

thread_local! {
    static WARNED: Cell<bool> = const { Cell::new(false) };
    static RUNTIME: OnceCell<Runtime> = const { OnceCell::new() };
}

fn warn_once(message: Option<&str>) {
    if let Some(m) = message {
        if !WARNED.with(|w| w.replace(true)) {
            web_sys::console::warn_1(&JsValue::from_str(m));
        }
    }
}

#[wasm_bindgen(module = "/src/web/exchange.js")]
extern "C" {
    /// The outcome of one request (see `exchange.js`).
    type Outcome;
    /// Sends one request and reads the response (`exchange.js`).
    #[wasm_bindgen(js_name = exchange)]
    fn js_exchange(
        fetch: &Function,
        url: &str,
        method: &str,
        header_lines: &str,
        body: &str,
        timeout_ms: u32,
        signal: Option<&AbortSignal>,
        max: u32,
    ) -> Promise;
    #[wasm_bindgen(method, getter)]
    fn fault(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn code(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = duringBody)]
    fn during_body(this: &Outcome) -> Option<bool>;
    #[wasm_bindgen(method, getter)]
    fn status(this: &Outcome) -> u16;
    #[wasm_bindgen(method, getter)]
    fn kind(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = sentAt)]
    fn sent_at(this: &Outcome) -> f64;
    #[wasm_bindgen(method, getter)]
    fn location(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = contentType)]
    fn content_type(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = retryAfter)]
    fn retry_after(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn date(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = wwwAuthenticate)]
    fn www_authenticate(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn oversized(this: &Outcome) -> Option<bool>;
    #[wasm_bindgen(method, getter)]
    fn body(this: &Outcome) -> Option<String>;
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
    let mut lines = String::new();
    for (name, value) in &request.headers {
        for part in [name.as_str(), "\n", value.as_str(), "\n"] {
            lines.push_str(part);
        }
    }
    let promise = js_exchange(
        &fetch,
        &request.url,
        request.method,
        &lines,
        &request.body,
        timeout_ms,
        signal,
        MAX_RESPONSE_BYTES as u32,
    );
    let fault = |f: TransportFault| transport::fault_error(&f, runtime());
    let outcome: Outcome = match JsFuture::from(promise).await {
        Ok(outcome) if outcome.is_object() => outcome.unchecked_into(),
        // Only a fast path of an injected fetch can fail this way.
        _ => return Err(fault(TransportFault::Network { code: None, during_body: false })),
    };
    match outcome.fault().as_deref() {
        None => {}
        Some("timeout") => return Err(fault(TransportFault::Timeout(timeout_ms))),
        Some("aborted") => return Err(fault(TransportFault::Aborted)),
        Some("notresponse") => {
            return Err(OAuthError::new(ErrorKind::Network, "fetch resolved to something that is not a Response"))
        }
        Some(_) => {
            let code = outcome.code().filter(|c| transport::is_error_code(c));
            return Err(fault(TransportFault::Network { code, during_body: outcome.during_body() == Some(true) }));
        }
    }
    let status = outcome.status();
    let kind = outcome.kind();
    if status == 0 && kind.as_deref() != Some("opaqueredirect") {
        return Err(transport::unreadable_error(kind.as_deref().unwrap_or("unknown")));
    }
    if transport::is_redirect(status) {
        return Err(transport::redirect_error(status, outcome.location().as_deref()));
    }
    let content_type = outcome.content_type();
    if outcome.oversized() == Some(true) {
        return Err(transport::oversized_error(status, content_type.as_deref()));
    }
    let mut headers = Vec::with_capacity(4);
    for (name, value) in [
        ("content-type", content_type),
        ("retry-after", outcome.retry_after()),
        ("date", outcome.date()),
        ("www-authenticate", outcome.www_authenticate()),
    ] {
        if let Some(v) = value {
            headers.push((name.to_owned(), v));
        }
    }
    Ok(HttpResponse { sent_at_ms: outcome.sent_at() as u64, status, headers, body: outcome.body().unwrap_or_default() })
}
