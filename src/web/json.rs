//! JSON across the boundary in one piece each way: a JavaScript argument crosses as the
//! text of `JSON.stringify` and is read by serde_json (`core::json::parse`); a result is written as JSON
//! text and crosses back through one `JSON.parse`. One crossing instead of one per
//! property — property-by-property reads and writes were most of what a call cost.

use crate::prelude::*;
use oauth2_wasm_core::json::{self, Value};
use wasm_bindgen::JsValue;

/// Reads a JavaScript value into a [`Value`] through `JSON.stringify`, or `None` when it
/// cannot be represented: cyclic, a bigint, nested deeper than the core allows, or a value
/// `JSON.stringify` skips (`undefined`, a function). Getters and `toJSON` run, as they do
/// for `JSON.stringify`; members holding `undefined` or functions are left out.
pub fn to_value(js: &JsValue) -> Option<Value> {
    json::parse(&text(js)?)
}

/// `JSON.stringify(js)`, or `None` where [`to_value`] has none.
pub fn text(js: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(js).ok()?.as_string()
}

/// A [`Value`] as a JavaScript value, numbers exact (no JSON text: the wasm writes no
/// fractions).
pub fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(*n),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(to_js).collect::<js_sys::Array>().into(),
        // `Object.fromEntries` defines each member as an own property, as `JSON.parse` does:
        // a server's `__proto__` member stays data and never becomes the prototype (a plain
        // assignment would run the `__proto__` setter; issue 13.6). Later duplicates win.
        Value::Object(members) => {
            let entries: js_sys::Array =
                members.iter().map(|(k, v)| js_sys::Array::of2(&JsValue::from_str(k), &to_js(v))).collect();
            js_sys::Object::from_entries(&entries).map(JsValue::from).unwrap_or(JsValue::NULL)
        }
    }
}

/// JSON text this module wrote, as a JavaScript value.
pub fn from_text(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}
