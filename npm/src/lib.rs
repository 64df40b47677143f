//! # oauth2-wasm-npm
//!
//! The npm package's wasm: the `#[wasm_bindgen]` exports (JavaScript values in, the
//! decisions of `oauth2-wasm-core` out; nothing is decided here, values are only
//! converted), and with feature `release` the allocator and panic handler of the npm build.
//! Not published: Rust apps depend on `oauth2-wasm` and get none of this.
#![cfg(target_arch = "wasm32")]
// The npm build has no standard library: this crate, the Rust API and the core need only
// `core` and `alloc`.
#![cfg_attr(feature = "release", no_std)]

extern crate alloc;

/// What std's prelude gives and a `no_std` build imports.
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
}

/// The npm build's allocator: lol_alloc's free list that coalesces neighbours, a few
/// hundred bytes of wasm instead of dlmalloc's 8 KB, for a heap that holds a few small
/// records between calls.
#[cfg(feature = "release")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// The npm build's panic handler: a panic is a bug, and in the wasm nobody reads its
/// message, so it traps at once (a `RuntimeError: unreachable` in JavaScript). Without it
/// std's hook would keep `core::fmt` and the message and location strings in the wasm.
#[cfg(feature = "release")]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo<'_>) -> ! {
    ::core::arch::wasm32::unreachable()
}

mod authorization;
mod discovery;
mod error;
mod exchange;
mod machine;
#[cfg(feature = "rust-driver")]
mod rust_driver;

use crate::prelude::*;
use js_sys::{Function, Object};
use oauth2_wasm::build_token_request;
use oauth2_wasm::web::fetch::{OptionValues, RequestOptions};
use oauth2_wasm::web::{get, json};
use oauth2_wasm_core::config::ClientConfig;
use oauth2_wasm_core::grant::Grant;
use oauth2_wasm_core::json::Value;
use oauth2_wasm_core::response::{self, ResponseContext};
use oauth2_wasm_core::response::{oversized_error, MAX_RESPONSE_BYTES};
use oauth2_wasm_core::{config, error::OAuthError};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use oauth2_wasm::web::convert;

/// The JavaScript error for `e`.
fn to_js(e: OAuthError) -> JsValue {
    convert::error(&e)
}

/// A callback URL from JavaScript: a string, or a `URL` or `Location` (their `href`).
pub(crate) fn callback_url(url: &JsValue) -> Result<String, JsValue> {
    url.as_string()
        .or_else(|| get(url, "href").as_string())
        .ok_or_else(|| to_js(OAuthError::config("url", "must be the callback URL: a string or a URL")))
}

/// What an export that hands JavaScript a value returns: always `Ok`. A `Result` so that its
/// wasm function has more than one result: V8 up to 11 (Node 18 and 20) inlines calls to a
/// wasm function with one `externref` result into optimized JavaScript, and aborts the
/// process ("unreachable code" in `Deoptimizer::DoComputeBuiltinContinuation`) when that
/// code is deoptimized during such a call — its deoptimizer reads numeric results only. It
/// never inlines a function with several results. (Seen in tests/node/load.test.mjs, 3 runs
/// in 13; tests/node/wasm-exports.test.mjs checks that no export has one `externref` result.)
pub(crate) type Returned<T = JsValue> = Result<T, JsValue>;

/// A JavaScript argument as a [`Value`]; `what` names it in the error.
fn arg(js: &JsValue, what: &str) -> Result<Value, JsValue> {
    arg_text(json::text(js).as_deref(), what)
}

/// A JavaScript argument as the text `JSON.stringify` wrote of it (`None`: it could not),
/// as a [`Value`]; `what` names it in the error.
fn arg_text(text: Option<&str>, what: &str) -> Result<Value, JsValue> {
    text.and_then(oauth2_wasm_core::json::parse)
        .ok_or_else(|| to_js(OAuthError::config(what, "must be a plain object of strings, numbers and booleans")))
}

/// Builds the token request for `grant`: `{ url, method, headers, body }`, ready for
/// `fetch(req.url, req)`. Throws an `OAuthError` of kind `config` naming the bad field.
/// Options: `clientAssertion`, a ready client assertion (`private_key_jwt`,
/// `client_secret_jwt`); `dpopProof`, a ready DPoP proof for the `DPoP` header.
#[wasm_bindgen(js_name = buildTokenRequest, skip_typescript)]
pub fn build_token_request_js(client: &JsValue, grant: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
    let mut client = ClientConfig::from_value(&arg(client, "client")?).map_err(to_js)?;
    let grant = Grant::from_value(&arg(grant, "grant")?).map_err(to_js)?;
    let text = |name: &str| -> Result<Option<String>, JsValue> {
        let v = get(options, name);
        match v.as_string() {
            _ if v.is_undefined() || v.is_null() => Ok(None),
            Some(s) => Ok(Some(s)),
            None => Err(to_js(OAuthError::config(name, "must be a string: a signed JWT"))),
        }
    };
    if let Some(jwt) = text("clientAssertion")? {
        client.client_assertion = Some(jwt.into());
    }
    let proof = text("dpopProof")?;
    let mut request = build_token_request(&client, &grant).map_err(to_js)?;
    if let Some(proof) = proof {
        oauth2_wasm_core::request::check_line("dpopProof", &proof).map_err(to_js)?;
        request.add_dpop(proof);
    }
    Ok(json::from_text(&convert::request_json(&request, None)))
}

/// Parses a token endpoint response into a `TokenSet`, or throws an `OAuthError` of kind
/// `oauth`, `http`, `invalid_response` (or `config` for bad arguments).
#[wasm_bindgen(js_name = parseTokenResponse, skip_typescript)]
pub fn parse_token_response_js(status: &JsValue, body: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
    let status = status
        .as_f64()
        .and_then(config::whole_number)
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| to_js(OAuthError::config("status", "must be an HTTP status code (100 to 599)")))?
        as u16;
    // More UTF-16 units than the bound is more UTF-8 bytes too: such a body is refused
    // before it is copied into the wasm (a 134 MB body used to exhaust its memory and trap).
    let too_large = body.dyn_ref::<js_sys::JsString>().is_some_and(|s| s.length() as usize > MAX_RESPONSE_BYTES);
    let body = match if too_large { None } else { body.as_string() } {
        _ if too_large => String::new(),
        Some(b) => b,
        None if body.is_undefined() || body.is_null() => String::new(),
        None => return Err(to_js(OAuthError::config("bodyText", "must be a string"))),
    };
    let opts = if options.is_undefined() || options.is_null() { Object::new().into() } else { options.clone() };
    let now = match Some(get(&opts, "now")).filter(|v| !v.is_undefined()) {
        None => js_sys::Date::now() as u64,
        Some(v) => v
            .as_f64()
            .and_then(config::whole_number)
            .ok_or_else(|| to_js(OAuthError::config("now", "must be milliseconds since the epoch")))?,
    };
    let headers = headers(&opts)?;
    let strict = get(&opts, "strict").as_bool() == Some(true);
    let human = get(&opts, "humanFields");
    let title = get(&human, "title").as_string();
    let message = get(&human, "message").as_string();
    let cx = ResponseContext {
        now_ms: now,
        headers: &headers,
        strict,
        human_fields: (title.is_some() || message.is_some()).then(|| {
            (title.as_deref().unwrap_or("error_human_title"), message.as_deref().unwrap_or("error_human_message"))
        }),
    };
    if too_large {
        return Err(to_js(oversized_error(status, cx.header("content-type"))));
    }
    parse_to_js(status, &body, &cx).map_err(to_js)
}

/// Parses with the core's parser; the `TokenSet` crosses back as one piece of JSON, its
/// `raw` being the response text itself.
pub(crate) fn parse_to_js(status: u16, body: &str, cx: &ResponseContext) -> Result<JsValue, OAuthError> {
    let tokens = response::parse_token_response(status, body, cx, oauth2_wasm_core::json::parse)?;
    Ok(tokens_to_js(&tokens, body))
}

/// A `TokenSet` as JavaScript, its `raw` the response text `body` itself (without a BOM).
pub(crate) fn tokens_to_js(tokens: &oauth2_wasm_core::TokenSet, body: &str) -> JsValue {
    let raw = body.strip_prefix('\u{feff}').unwrap_or(body);
    json::from_text(&convert::token_set_json(tokens, Some(raw)))
}

/// `{ signal, timeoutMs, fetch }` from JavaScript (read by [`OptionValues::of`]).
pub(crate) fn request_options(options: &OptionValues) -> Result<RequestOptions, JsValue> {
    let bad = |field: &str, problem: &str| to_js(OAuthError::config(field, problem));
    let OptionValues { signal, timeout_ms: timeout, fetch, .. } = options;
    Ok(RequestOptions {
        signal: match signal.is_undefined() || signal.is_null() {
            true => None,
            false if get(signal, "aborted").is_undefined() => return Err(bad("signal", "must be an AbortSignal")),
            false => Some(signal.clone().unchecked_into()),
        },
        timeout_ms: match timeout.as_f64() {
            None if timeout.is_undefined() || timeout.is_null() => None,
            Some(ms) if config::whole_number(ms).is_some_and(|ms| ms > 0 && ms <= u32::MAX as u64) => Some(ms as u32),
            _ => return Err(bad("timeoutMs", "must be a positive whole number of milliseconds")),
        },
        fetch: match fetch.is_undefined() || fetch.is_null() {
            true => None,
            false => Some(fetch.clone().dyn_into::<Function>().map_err(|_| bad("fetch", "must be a function"))?),
        },
        ..RequestOptions::default()
    })
}

/// The response headers the parser reads, from a `Headers` (or anything with `get`) or a
/// plain record.
fn headers(opts: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    let h = get(opts, "headers");
    if h.is_undefined() || h.is_null() {
        return Ok(Vec::new());
    }
    if let Ok(get) = get(&h, "get").dyn_into::<Function>() {
        let mut out = Vec::new();
        for name in ["content-type", "retry-after", "www-authenticate", "date"] {
            if let Some(v) = get.call1(&h, &name.into()).ok().and_then(|v| v.as_string()) {
                out.push((name.to_owned(), v));
            }
        }
        return Ok(out);
    }
    config::string_pairs(Some(&arg(&h, "headers")?), "headers").map_err(to_js)
}
