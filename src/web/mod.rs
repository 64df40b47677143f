//! The wasm side of the Rust API: what the core needs from the JavaScript platform.

pub mod fetch;
pub mod json;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `obj[key]`, or `undefined` when `obj` is not an object.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// Sets `obj[key] = value`; on a plain object this cannot fail.
pub(crate) fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Calls `obj[name]()`.
pub(crate) fn call0(obj: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    get(obj, name).dyn_into::<Function>()?.call0(obj)
}
