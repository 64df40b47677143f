//! [`OAuthError`] as a JavaScript `OAuthError` (a real `Error` subclass).
//!
//! The class itself is plain JavaScript shipped with the package (`js/error.cjs`): wasm
//! cannot subclass `Error`, and wasm-bindgen's JS snippets do not work with the Node
//! target. The package entry hands the class over once at load time; until it has,
//! errors are plain `Error`s with `name = "OAuthError"` and the same fields.

use super::{quirks, set, set_opt};
use crate::core::error::OAuthError;
use js_sys::{Array, Function, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    static CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called once by the package entry with the `OAuthError` class:
/// `new OAuthError(kind, message, fields)`.
#[wasm_bindgen(js_name = __registerErrorClass, skip_typescript)]
pub fn register_error_class(class: JsValue) {
    CLASS.with(|c| *c.borrow_mut() = class.dyn_into::<Function>().ok());
}

/// The JavaScript error for `e`; `raw` is the parsed body as `JSON.parse` returned it.
pub fn to_js(e: OAuthError, raw: Option<JsValue>) -> JsValue {
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
        set(&fields, "quirks", quirks(&e.quirks));
    }
    // The raw object only where the core kept one (OAuth and vendor error bodies): a
    // success body that failed validation holds tokens and is never attached.
    if e.raw.is_some() {
        set_opt(&fields, "raw", raw);
    }
    let kind = JsValue::from_str(e.kind.as_str());
    let message = JsValue::from_str(&e.message);
    let class = CLASS.with(|c| c.borrow().clone());
    if let Some(class) = class {
        let args = Array::of3(&kind, &message, &fields);
        if let Ok(err) = Reflect::construct(&class, &args) {
            return err;
        }
    }
    let err = js_sys::Error::new(&e.message);
    err.set_name("OAuthError");
    set(&err, "kind", kind);
    let _ = Object::assign(&err, &fields);
    err.into()
}
