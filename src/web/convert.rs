//! Rust values as JavaScript values: a `TokenSet` as a plain object, an [`OAuthError`] as
//! a JavaScript `OAuthError` (a real `Error` subclass).
//!
//! The error class is plain JavaScript shipped with the package (`js/error.mjs`): wasm
//! cannot subclass `Error`, and wasm-bindgen's JS snippets do not work with the Node
//! target. The package entry hands the class over once at load time
//! ([`set_error_class`]); until it has, errors are plain `Error`s with
//! `name = "OAuthError"` and the same fields.

use super::{json, set};
use crate::core::error::OAuthError;
use crate::core::response::{Quirk, TokenSet};
use js_sys::{Array, Function, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    static CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Sets the class `new OAuthError(kind, message, fields)` that errors are made with.
pub fn set_error_class(class: JsValue) {
    CLASS.with(|c| *c.borrow_mut() = class.dyn_into::<Function>().ok());
}

/// Sets `obj[key]` when there is a value.
fn set_opt<T: Into<JsValue>>(obj: &Object, key: &str, value: Option<T>) {
    if let Some(v) = value {
        set(obj, key, &v.into());
    }
}

/// Quirk names as a JavaScript array.
pub fn quirks(q: &[Quirk]) -> Array {
    q.iter().map(|q| JsValue::from_str(q.as_str())).collect()
}

/// A `TokenSet` as a JavaScript object. `raw` is the object `JSON.parse` returned when the
/// caller has it; otherwise it is rebuilt from the parsed value.
pub fn token_set(t: &TokenSet, raw: Option<JsValue>) -> JsValue {
    let out = Object::new();
    set(&out, "accessToken", &JsValue::from_str(t.access_token.expose()));
    set(&out, "tokenType", &JsValue::from_str(&t.token_type));
    set_opt(&out, "expiresIn", t.expires_in.map(|s| s as f64));
    set_opt(&out, "expiresAt", t.expires_at.map(|s| s as f64));
    set_opt(&out, "refreshToken", t.refresh_token.as_ref().map(|r| r.expose()));
    set_opt(&out, "scope", t.scope.as_deref());
    set(&out, "raw", &raw.unwrap_or_else(|| json::to_js(&t.raw)));
    set(&out, "quirks", &quirks(&t.quirks));
    out.into()
}

/// The JavaScript error for `e`.
pub fn error(e: &OAuthError) -> JsValue {
    let fields = Object::new();
    set_opt(&fields, "status", e.status.map(f64::from));
    set_opt(&fields, "error", e.error.as_deref());
    set_opt(&fields, "errorDescription", e.error_description.as_deref());
    set_opt(&fields, "errorUri", e.error_uri.as_deref());
    set_opt(&fields, "humanTitle", e.human_title.as_deref());
    set_opt(&fields, "humanMessage", e.human_message.as_deref());
    set_opt(&fields, "body", e.body.as_deref());
    set_opt(&fields, "contentType", e.content_type.as_deref());
    set_opt(&fields, "retryAfter", e.retry_after.map(|s| s as f64));
    set_opt(&fields, "hint", e.hint.as_deref());
    set_opt(&fields, "field", e.field.as_deref());
    if !e.quirks.is_empty() {
        set(&fields, "quirks", &quirks(&e.quirks));
    }
    // The raw object only where the core kept one (OAuth and vendor error bodies), with
    // token and secret members redacted: a success body that failed validation holds
    // tokens and is never attached.
    if let Some(value) = &e.raw {
        set(&fields, "raw", &json::to_js(value));
    }
    let kind = JsValue::from_str(e.kind.as_str());
    let message = JsValue::from_str(&e.message);
    let class = CLASS.with(|c| c.borrow().clone());
    if let Some(class) = class {
        if let Ok(err) = Reflect::construct(&class, &Array::of3(&kind, &message, &fields)) {
            return err;
        }
    }
    let err = js_sys::Error::new(&e.message);
    err.set_name("OAuthError");
    set(&err, "kind", &kind);
    let _ = Object::assign(&err, &fields);
    err.into()
}
