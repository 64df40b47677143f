//! The token endpoint through `fetch`: `globalThis.fetch` (a window, a worker, Node 18+) or
//! one the caller injects, with a time limit, the caller's `AbortSignal`, no redirects,
//! and a bounded body read.

use super::{call0, clear_timeout, get, set, set_timeout};
use crate::core::config::ClientConfig;
use crate::core::error::{ErrorKind, OAuthError};
use crate::core::grant::Grant;
use crate::core::request::{build_token_request, TokenRequest};
use crate::core::response::{ResponseContext, TokenSet};
use crate::core::transport::{self, Runtime, TransportFault, MAX_RESPONSE_BYTES};
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

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
    let global = js_sys::global();
    let has = |name: &str| Reflect::has(&global, &JsValue::from_str(name)).unwrap_or(false);
    if has("document") || has("WorkerGlobalScope") {
        Runtime::Browser
    } else {
        Runtime::Server
    }
}

thread_local! {
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

fn warn_once(message: Option<&str>) {
    if let Some(m) = message {
        if !WARNED.with(|w| w.replace(true)) {
            web_sys::console::warn_1(&JsValue::from_str(m));
        }
    }
}

/// Why the request was cut short, as set by the timer or the caller's signal.
#[derive(Clone, Copy, PartialEq)]
enum Cut {
    None,
    Timeout,
    Aborted,
}

/// The timer and the signal listener of one request; dropping it removes both.
struct Guard {
    timer: JsValue,
    _on_timeout: Closure<dyn FnMut()>,
    listener: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let Some((signal, callback)) = &self.listener {
            let _ = signal.remove_event_listener_with_callback("abort", callback.as_ref().unchecked_ref());
        }
    }
}

/// Sends `request` and reads the response within `timeout_ms`.
pub async fn send(
    request: &TokenRequest,
    timeout_ms: u32,
    signal: Option<&AbortSignal>,
    fetch: Option<&Function>,
) -> Result<HttpResponse, OAuthError> {
    let fault = |f: TransportFault| transport::fault_error(&f, runtime());
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(fault(TransportFault::Aborted));
    }
    let fetch = match fetch {
        Some(f) => f.clone(),
        None => Reflect::get(&js_sys::global(), &"fetch".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                OAuthError::config("fetch", "is not available here: pass a fetch function in the options")
            })?,
    };
    let controller = AbortController::new().ok();
    let cut = Rc::new(Cell::new(Cut::None));
    // Rejects when the request is cut short, so a fetch that ignores its signal (an
    // injected one) cannot keep the caller waiting past the time limit.
    let mut reject_cut: Option<Function> = None;
    let cut_short = Promise::new(&mut |_, reject| reject_cut = Some(reject));
    let abort = {
        let (cut, controller) = (cut.clone(), controller.clone());
        move |why: Cut| {
            if cut.get() == Cut::None {
                cut.set(why);
            }
            if let Some(c) = &controller {
                c.abort();
            }
            if let Some(reject) = &reject_cut {
                let _ = reject.call1(&JsValue::UNDEFINED, &JsValue::UNDEFINED);
            }
        }
    };
    // Nobody may be waiting on it when it rejects: keep that rejection quiet with a native
    // no-op (`Function.prototype`), which needs no Rust closure kept alive.
    let noop = get(&get(&js_sys::global(), "Function"), "prototype");
    if let Ok(catch) = get(&cut_short, "catch").dyn_into::<Function>() {
        let _ = catch.call1(&cut_short, &noop);
    }
    let race = |p: &JsValue| JsFuture::from(Promise::race(&js_sys::Array::of2(&Promise::resolve(p), &cut_short)));
    let on_timeout = Closure::<dyn FnMut()>::new({
        let abort = abort.clone();
        move || abort(Cut::Timeout)
    });
    let timer = set_timeout(on_timeout.as_ref(), timeout_ms as f64);
    let listener = signal.map(|s| {
        let callback = Closure::<dyn FnMut()>::new(move || abort(Cut::Aborted));
        let _ = s.add_event_listener_with_callback("abort", callback.as_ref().unchecked_ref());
        (s.clone(), callback)
    });
    let _guard = Guard { timer, _on_timeout: on_timeout, listener };
    let failed = |e: JsValue, during_body: bool| match cut.get() {
        Cut::Timeout => fault(TransportFault::Timeout(timeout_ms)),
        Cut::Aborted => fault(TransportFault::Aborted),
        Cut::None => fault(TransportFault::Network { code: error_code(&e), during_body }),
    };

    let init = init(request, controller.as_ref().map(AbortController::signal));
    let sent_at_ms = js_sys::Date::now() as u64;
    let promise = fetch.call2(&JsValue::UNDEFINED, &JsValue::from_str(&request.url), &init);
    let response = match promise.map(|p| Promise::resolve(&p)) {
        Ok(p) => race(&p).await.map_err(|e| failed(e, false))?,
        Err(e) => return Err(failed(e, false)),
    };
    let status = get(&response, "status")
        .as_f64()
        .filter(|s| (0.0..=999.0).contains(s))
        .ok_or_else(|| OAuthError::new(ErrorKind::Network, "fetch resolved to something that is not a Response"))?
        as u16;
    let headers = get(&response, "headers");
    let header = |name: &str| -> Option<String> {
        let get = get(&headers, "get").dyn_into::<Function>().ok()?;
        get.call1(&headers, &JsValue::from_str(name)).ok()?.as_string()
    };
    let kind = get(&response, "type").as_string();
    if status == 0 && kind.as_deref() != Some("opaqueredirect") {
        cancel(&get(&response, "body"));
        return Err(transport::unreadable_error(kind.as_deref().unwrap_or("unknown")));
    }
    if transport::is_redirect(status) {
        cancel(&get(&response, "body"));
        return Err(transport::redirect_error(status, header("location").as_deref()));
    }
    let mut kept = Vec::with_capacity(4);
    for name in ["content-type", "retry-after", "date", "www-authenticate"] {
        if let Some(v) = header(name) {
            kept.push((name.to_owned(), v));
        }
    }
    let oversized = || transport::oversized_error(status, header("content-type").as_deref());
    let length = header("content-length").and_then(|l| l.trim().parse::<u64>().ok());
    if length.is_some_and(|l| l > MAX_RESPONSE_BYTES as u64) {
        cancel(&get(&response, "body"));
        return Err(oversized());
    }
    // With a length and no content coding the body cannot grow past it: read it whole.
    // Otherwise stream it and stop at the bound (a compressed body can inflate without one).
    let identity = header("content-encoding").is_none_or(|c| c.trim().eq_ignore_ascii_case("identity"));
    let stream = get(&response, "body");
    // A body that is not a WHATWG stream (node-fetch v2 gives a Node Readable) is read whole.
    let streamable = get(&stream, "getReader").is_function();
    let body = if (length.is_some() && identity) || !streamable {
        let text = call0(&response, "text").map_err(|e| failed(e, true))?;
        let text = race(&text).await.map_err(|e| failed(e, true))?;
        let text = text.as_string().unwrap_or_default();
        if text.len() > MAX_RESPONSE_BYTES {
            return Err(oversized());
        }
        text
    } else {
        let bytes = read_bounded(&stream, race).await.map_err(|e| failed(e, true))?.ok_or_else(oversized)?;
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    };
    Ok(HttpResponse { sent_at_ms, status, headers: kept, body })
}

/// The fetch options: POST, the headers and body, no redirects, no cookies.
fn init(request: &TokenRequest, signal: Option<AbortSignal>) -> Object {
    let headers = Object::new();
    for (name, value) in &request.headers {
        set(&headers, name, &JsValue::from_str(value));
    }
    let init = Object::new();
    set(&init, "method", &JsValue::from_str(request.method));
    set(&init, "headers", &headers);
    set(&init, "body", &JsValue::from_str(&request.body));
    set(&init, "redirect", &JsValue::from_str("manual"));
    set(&init, "credentials", &JsValue::from_str("omit"));
    if let Some(s) = signal {
        set(&init, "signal", &s);
    }
    init
}

/// Reads a `ReadableStream` of bytes, each read raced against the request being cut
/// short; `Ok(None)` once it passes [`MAX_RESPONSE_BYTES`] (the stream is then cancelled).
async fn read_bounded(stream: &JsValue, race: impl Fn(&JsValue) -> JsFuture) -> Result<Option<Vec<u8>>, JsValue> {
    let reader = call0(stream, "getReader")?;
    let mut bytes = Vec::new();
    loop {
        let chunk = race(&call0(&reader, "read")?).await?;
        if get(&chunk, "done").is_truthy() {
            return Ok(Some(bytes));
        }
        let value = get(&chunk, "value");
        let Some(array) = value.dyn_ref::<Uint8Array>() else {
            continue;
        };
        if bytes.len() + array.length() as usize > MAX_RESPONSE_BYTES {
            let _ = call0(&reader, "cancel");
            return Ok(None);
        }
        let start = bytes.len();
        bytes.resize(start + array.length() as usize, 0);
        if let Some(tail) = bytes.get_mut(start..) {
            array.copy_to(tail);
        }
    }
}

/// Cancels a response body nobody will read, so the connection is released.
fn cancel(body: &JsValue) {
    if body.is_object() {
        if let Ok(p) = call0(body, "cancel") {
            // The promise may reject (already closed): settle it quietly.
            let settled = JsFuture::from(Promise::resolve(&p));
            wasm_bindgen_futures::spawn_local(async move {
                let _ = settled.await;
            });
        }
    }
}

/// The platform's error code of a failed fetch: Node puts it on `err.cause.code`.
fn error_code(e: &JsValue) -> Option<String> {
    let cause = get(e, "cause");
    [get(&cause, "code"), get(e, "code")]
        .into_iter()
        .find_map(|c| c.as_string())
        .filter(|c| c.len() <= 40 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}
