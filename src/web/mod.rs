//! The wasm side of the Rust API: what the core needs from the JavaScript platform.

pub mod authorization;
pub mod convert;
pub mod fetch;
pub mod jose;
pub mod json;
pub mod manager;
pub mod storage;
pub mod url;

use crate::prelude::*;
use ::core::future::Future;
use ::core::pin::Pin;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout` (windows, workers and Node alike).
    #[wasm_bindgen(js_name = setTimeout)]
    fn js_set_timeout(handler: &JsValue, ms: u32) -> JsValue;
    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue); // Calls into host code that may throw — a "fail on console.error" test set-up, a
                                        // getter — are imported with `catch`: an exception that unwound through the wasm would
                                        // leave the manager's state borrowed and its callers pending for good.
    #[wasm_bindgen(js_namespace = console, js_name = warn, catch)]
    fn console_warn(message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = console, js_name = error, catch)]
    fn console_error(message: &JsValue, detail: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = assign, catch)]
    fn object_assign(target: &Object, source: &JsValue) -> Result<Object, JsValue>;
}

/// `console.warn(message)`; a console that throws (or is missing) is ignored.
pub fn warn(message: &str) {
    let _ = console_warn(&JsValue::from_str(message));
}

/// `console.error(message, detail)`; a console that throws (or is missing) is ignored.
pub fn error(message: &str, detail: &JsValue) {
    let _ = console_error(&JsValue::from_str(message), detail);
}

/// A shallow copy of `source`'s own enumerable members (`Object.assign({}, source)`), or
/// what a getter of it threw.
pub fn copy_object(source: &JsValue) -> Result<Object, JsValue> {
    object_assign(&Object::new(), source)
}

/// `setTimeout`'s longest delay: the core's rule (`oauth2_wasm_core::transport::MAX_TIMER_MS`).
pub use oauth2_wasm_core::transport::MAX_TIMER_MS as MAX_DELAY_MS;

/// `setTimeout(handler, ms)`; a delay beyond the timer's range waits as long as it can
/// instead of firing at once.
pub fn set_timeout(handler: &JsValue, ms: u32) -> JsValue {
    js_set_timeout(handler, oauth2_wasm_core::transport::timer_ms(ms))
}

/// A future behind a pointer: every promise and task below shares one instance of the
/// wasm-bindgen-futures machinery, instead of one per future type (kilobytes of wasm each).
type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

/// Runs `future` as a JavaScript promise.
pub fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Boxed<Result<JsValue, JsValue>> = Box::pin(future);
    wasm_bindgen_futures::future_to_promise(boxed)
}

/// Runs `future` in the background.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    let boxed: Boxed<()> = Box::pin(future);
    wasm_bindgen_futures::spawn_local(boxed);
}

/// `obj[key]`, or `undefined` when `obj` is not an object or a function.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() || obj.is_function() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// Sets `obj[key] = value`; on a plain object this cannot fail.
pub fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Calls `obj[name]()`.
pub fn call0(obj: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    get(obj, name).dyn_into::<Function>()?.call0(obj)
}

/// A short description of a thrown JavaScript value: `name: message` of an `Error`, else
/// its string form, bounded.
pub fn js_error_message(e: &JsValue) -> String {
    let text = match (get(e, "name").as_string(), get(e, "message").as_string()) {
        (Some(n), Some(m)) => oauth2_wasm_core::text::cat(&[&n, ": ", &m]),
        (None, Some(m)) => m,
        _ => e.as_string().unwrap_or_else(|| String::from("a non-Error value")),
    };
    text.chars().take(200).collect()
}

/// Waits for the promise `p` at most `ms`; `None` when the time ran out first.
pub async fn within(p: &JsValue, ms: u32) -> Option<Result<JsValue, JsValue>> {
    let marker: JsValue = Object::new().into();
    let mut timer = JsValue::UNDEFINED;
    let timeout = Promise::new(&mut |resolve, _| {
        timer = set_timeout(&resolve.bind1(&JsValue::NULL, &marker), ms);
    });
    let raced =
        wasm_bindgen_futures::JsFuture::from(Promise::race(&js_sys::Array::of2(&Promise::resolve(p), &timeout))).await;
    clear_timeout(&timer);
    match raced {
        Ok(v) if Object::is(&v, &marker) => None,
        other => Some(other),
    }
}
