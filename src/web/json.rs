//! JSON through the platform's `JSON.parse`, so the wasm build carries no JSON parser.

use crate::core::json::Value;
use wasm_bindgen::JsValue;

/// Parses `text` with `JSON.parse`, or `None` when it is not JSON.
pub fn parse(text: &str) -> Option<JsValue> {
    js_sys::JSON::parse(text).ok()
}

/// Converts a parsed JavaScript value into a [`Value`], or `None` when it cannot be
/// represented (too deeply nested, or not JSON-shaped).
pub fn to_value(js: &JsValue) -> Option<Value> {
    serde_wasm_bindgen::from_value(js.clone()).ok()
}

/// `JSON.parse`, then [`to_value`].
pub fn parse_value(text: &str) -> Option<Value> {
    parse(text).as_ref().and_then(to_value)
}

/// A [`Value`] as a JavaScript value.
pub fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(*n),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(to_js).collect::<js_sys::Array>().into(),
        Value::Object(members) => {
            let out = js_sys::Object::new();
            for (k, v) in members {
                super::set(&out, k, &to_js(v));
            }
            out.into()
        }
    }
}
