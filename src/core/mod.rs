//! The pure core: grants, client configuration, request encoding, response and error
//! parsing. No I/O, no clock, nothing of JavaScript — host-tested with plain `cargo test`.
//!
//! Nothing here may panic on input: `panic = "abort"` makes a panic a crash in wasm.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod config;
pub mod encode;
pub mod endpoint;
pub mod error;
pub mod grant;
pub mod json;
pub mod renewal;
pub mod request;
pub mod response;
pub mod session;
pub mod transport;
