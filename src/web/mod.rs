//! The wasm side of the Rust API: what the core needs from the JavaScript platform.

pub mod json;
