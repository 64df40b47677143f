//! Rust values as JavaScript values: a `TokenSet` as a plain object, an [`OAuthError`] as
//! a JavaScript `OAuthError` (a real `Error` subclass).
//!
//! The error class is plain JavaScript shipped with the package (`js/error.mjs`): wasm
//! cannot subclass `Error`, and the class must be the one users import. The package entry
//! hands it over once at load time ([`set_error_class`]) to `exchange.js`, which keeps it
//! and makes the errors; until it has, errors are plain `Error`s with
//! `name = "OAuthError"` and the same fields.

use super::{json, set};
use crate::prelude::*;
use js_sys::Array;
use oauth2_wasm_core::encode::{push_json_string, JsonObject};
use oauth2_wasm_core::error::OAuthError;
use oauth2_wasm_core::request::TokenRequest;
use oauth2_wasm_core::response::{Quirk, TokenSet};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/src/web/exchange.js")]
extern "C" {
    /// Sets the class `new OAuthError(kind, message, fields)` that errors are made with.
    #[wasm_bindgen(js_name = setErrorClass)]
    pub fn set_error_class(class: JsValue);
    /// `new OAuthError(kind, message, fields)` with the class set, else a plain `Error`
    /// named `OAuthError` with the same fields: `fields` is the JSON text of all but `raw`,
    /// given apart (`undefined` when there is none).
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(kind: &str, message: &str, fields: &str, raw: JsValue) -> JsValue;
}

/// A JSON array's text of items each written by `write` (a JSON value's text).
fn json_array<T>(items: &[T], write: impl Fn(&mut String, &T)) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(&mut out, item);
    }
    out.push(']');
    out
}

/// Quirk names as a JSON array's text.
fn quirks_json(q: &[Quirk]) -> String {
    json_array(q, |out, q| push_json_string(out, q.as_str()))
}

/// A `TokenSet` as the JSON text of its JavaScript object. `raw_text`, when given, is the
/// response text the set was parsed from (valid JSON), placed as `raw` verbatim; without
/// it there is no `raw` member (see [`token_set`]).
pub fn token_set_json(t: &TokenSet, raw_text: Option<&str>) -> String {
    let mut out = JsonObject::new();
    out.string("accessToken", t.access_token.expose())
        .string("tokenType", &t.token_type)
        .maybe_number("expiresIn", t.expires_in)
        .maybe_number("expiresAt", t.expires_at)
        .maybe_string("refreshToken", t.refresh_token.as_ref().map(|r| r.expose()))
        .maybe_string("scope", t.scope.as_deref());
    if let Some(text) = raw_text {
        out.json("raw", text);
    }
    out.json("quirks", &quirks_json(&t.quirks));
    out.finish()
}

/// An introspection result as a JavaScript object: `{ active, scope?, clientId?, username?,
/// tokenType?, exp?, iat?, nbf?, sub?, aud?, iss?, jti?, raw }`.
pub fn introspection(i: &oauth2_wasm_core::Introspection) -> JsValue {
    let mut out = JsonObject::new();
    out.json("active", if i.active { "true" } else { "false" })
        .maybe_string("scope", i.scope.as_deref())
        .maybe_string("clientId", i.client_id.as_deref())
        .maybe_string("username", i.username.as_deref())
        .maybe_string("tokenType", i.token_type.as_deref())
        .maybe_number("exp", i.exp)
        .maybe_number("iat", i.iat)
        .maybe_number("nbf", i.nbf)
        .maybe_string("sub", i.sub.as_deref())
        .maybe_string("iss", i.iss.as_deref())
        .maybe_string("jti", i.jti.as_deref());
    let js = json::from_text(&out.finish());
    if !i.aud.is_empty() {
        let aud: Array = i.aud.iter().map(|a| JsValue::from_str(a)).collect();
        set(js.unchecked_ref(), "aud", &aud);
    }
    set(js.unchecked_ref(), "raw", &json::to_js(&i.raw));
    js
}

/// A built request as the JSON text of `{ url, method, headers, body }`, and `timeoutMs`
/// when given (the request as the npm driver sends it).
pub fn request_json(r: &TokenRequest, timeout_ms: Option<u32>) -> String {
    let mut headers = JsonObject::new();
    for (name, value) in &r.headers {
        headers.string(name, value);
    }
    let mut out = JsonObject::new();
    out.string("url", &r.url).string("method", r.method).json("headers", &headers.finish()).string("body", &r.body);
    out.maybe_number("timeoutMs", timeout_ms.map(u64::from));
    out.finish()
}

/// A `TokenSet` as a JavaScript object, `raw` rebuilt from the parsed value.
pub fn token_set(t: &TokenSet) -> JsValue {
    let out = json::from_text(&token_set_json(t, None));
    set(out.unchecked_ref(), "raw", &json::to_js(&t.raw));
    out
}

/// The JavaScript error for `e`: its fields cross as one JSON text (one crossing instead of
/// one per field and name), `raw` — a parsed body, numbers and all — as a value.
pub fn error(e: &OAuthError) -> JsValue {
    let mut fields = JsonObject::new();
    fields
        .maybe_number("status", e.status.map(u64::from))
        .maybe_string("error", e.error.as_deref())
        .maybe_string("errorDescription", e.error_description.as_deref())
        .maybe_string("errorUri", e.error_uri.as_deref())
        .maybe_string("humanTitle", e.human_title.as_deref())
        .maybe_string("humanMessage", e.human_message.as_deref())
        .maybe_string("body", e.body.as_deref())
        .maybe_string("contentType", e.content_type.as_deref())
        .maybe_number("retryAfter", e.retry_after)
        .maybe_string("hint", e.hint.as_deref());
    if !e.suggestions.is_empty() {
        let list = json_array(&e.suggestions, |out, s| {
            let mut item = JsonObject::new();
            item.string("setting", &s.setting).maybe_string("value", s.value.as_deref());
            out.push_str(&item.finish());
        });
        fields.json("suggestions", &list);
    }
    fields.maybe_string("field", e.field.as_deref());
    if !e.quirks.is_empty() {
        fields.json("quirks", &quirks_json(&e.quirks));
    }
    // The raw object only where the core kept one (OAuth and vendor error bodies), with
    // token and secret members redacted: a success body that failed validation holds
    // tokens and is never attached.
    let raw = e.raw.as_ref().map(json::to_js).unwrap_or(JsValue::UNDEFINED);
    make_error(e.kind.as_str(), &e.message, &fields.finish(), raw)
}
