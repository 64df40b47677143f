//! The hand-over of the `OAuthError` class from the package entry.

use wasm_bindgen::prelude::*;

/// Called once by the package entry with the `OAuthError` class:
/// `new OAuthError(kind, message, fields)`.
#[wasm_bindgen(js_name = __registerErrorClass, skip_typescript)]
pub fn register_error_class(class: JsValue) {
    oauth2_wasm::web::convert::set_error_class(class);
}
