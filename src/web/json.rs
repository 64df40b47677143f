//! JSON through the platform's `JSON.parse`, so the wasm build carries no JSON parser, and
//! JavaScript values read into the core's [`Value`] by a small walker: serde-wasm-bindgen
//! did the same but brought serde's error messages, and with them float formatting, into
//! the wasm (about 20 KB of it).

use crate::core::json::{Value, MAX_DEPTH};
use wasm_bindgen::{JsCast, JsValue};

/// Parses `text` with `JSON.parse`, or `None` when it is not JSON.
pub fn parse(text: &str) -> Option<JsValue> {
    js_sys::JSON::parse(text).ok()
}

/// Converts a JavaScript value into a [`Value`], or `None` when it cannot be represented:
/// nested deeper than [`MAX_DEPTH`], or holding a function, symbol or bigint. `undefined`
/// is `null`; an object's own enumerable string keys are its members.
pub fn to_value(js: &JsValue) -> Option<Value> {
    walk(js, 0)
}

fn walk(js: &JsValue, depth: u32) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    if js.is_null() || js.is_undefined() {
        return Some(Value::Null);
    }
    if let Some(b) = js.as_bool() {
        return Some(Value::Bool(b));
    }
    if let Some(n) = js.as_f64() {
        return Some(Value::Number(n));
    }
    if let Some(s) = js.as_string() {
        return Some(Value::String(s));
    }
    if js_sys::Array::is_array(js) {
        let array: &js_sys::Array = js.unchecked_ref();
        return array.iter().map(|item| walk(&item, depth + 1)).collect::<Option<Vec<_>>>().map(Value::Array);
    }
    if !js.is_object() {
        return None;
    }
    let mut members = Vec::new();
    for entry in js_sys::Object::entries(js.unchecked_ref()).iter() {
        let entry: js_sys::Array = entry.unchecked_into();
        let key = entry.get(0).as_string()?;
        members.push((key, walk(&entry.get(1), depth + 1)?));
    }
    Some(Value::Object(members))
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
