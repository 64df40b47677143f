//! # oauth2-wasm-core
//!
//! The pure core of [oauth2-wasm](https://crates.io/crates/oauth2-wasm): grants, client
//! configuration, request encoding, response and error parsing, expiry maths, the stored
//! record and the session as one machine (`machine`, on `sync`, `lock` and `renewal`). No
//! I/O, no clock, no JavaScript: this crate depends on neither wasm-bindgen, js-sys nor
//! web-sys, so the compiler keeps it pure, and it is host-tested with plain `cargo test` and
//! fuzzed.
//!
//! Time comes in as an argument (ms since the epoch); I/O results come in as values.
//! Nothing here may panic on input: `panic = "abort"` makes a panic a crash in wasm.
//!
//! ```
//! use oauth2_wasm_core::{build_token_request, ClientConfig, Grant};
//!
//! let mut client = ClientConfig::new("https://auth.example.com/request-token");
//! client.client_id = Some("my-client".into());
//! let request = build_token_request(&client, &Grant::ClientCredentials { scope: None }).unwrap();
//! assert_eq!(request.body, "grant_type=client_credentials&client_id=my-client");
//! ```
#![no_std]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

extern crate alloc;

/// What std's prelude gives and a `no_std` crate imports: `use crate::prelude::*;`.
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
}

pub mod authorization;
pub mod config;
pub mod discovery;
pub mod encode;
pub mod endpoint;
pub mod error;
pub mod exchange;
pub mod grant;
pub mod introspection;
pub mod jose;
pub mod json;
pub mod lock;
pub mod machine;
pub mod renewal;
pub mod request;
pub mod response;
#[cfg(feature = "serde")]
mod serde_shapes;
pub mod session;
pub mod sync;
pub mod text;
pub mod transport;

pub use authorization::{AuthorizationRequest, AuthorizationResponse, CallbackCheck};
pub use config::{BasicEncoding, BodyEncoding, ClientAuth, ClientConfig, ClientConfigBuilder, ClientId, Secret};
pub use endpoint::{UrlParser, UrlParts};
pub use error::{ErrorCode, ErrorKind, OAuthError};
pub use grant::{Grant, ResourceOwner};
pub use introspection::Introspection;
pub use json::Value;
#[cfg(feature = "url")]
pub use request::{build_introspection_request, build_revocation_request, build_token_request};

/// [`authorization::build_authorization_url_with`] the `url` crate's WHATWG parser.
#[cfg(feature = "url")]
pub fn build_authorization_url(
    client: &ClientConfig,
    request: &AuthorizationRequest,
) -> Result<alloc::string::String, OAuthError> {
    authorization::build_authorization_url_with(client, request, &endpoint::WhatwgUrl)
}

/// [`authorization::parse_authorization_response_with`] the `url` crate's WHATWG parser.
#[cfg(feature = "url")]
pub fn parse_authorization_response(
    callback: &str,
    check: &CallbackCheck,
) -> Result<AuthorizationResponse, OAuthError> {
    authorization::parse_authorization_response_with(callback, check, &endpoint::WhatwgUrl)
}
pub use request::{
    build_introspection_request_with, build_revocation_request_with, build_token_request_with, TokenRequest,
};
pub use response::{Quirk, ResponseContext, TokenSet};
pub use transport::{DEFAULT_TIMEOUT_MS, MAX_RESPONSE_BYTES};

/// Reads an introspection endpoint's answer (RFC 7662 §2.2), or the [`OAuthError`].
pub fn parse_introspection_response(
    status: u16,
    body: &str,
    cx: &ResponseContext,
) -> Result<introspection::Introspection, OAuthError> {
    introspection::parse_introspection_response(status, body, cx, json::parse)
}

/// Reads a revocation endpoint's answer (RFC 7009 §2.2): `Ok` for any 2xx, else the
/// [`OAuthError`] (kind `oauth`, `http` …) as for a token response.
pub fn parse_revocation_response(status: u16, body: &str, cx: &ResponseContext) -> Result<(), OAuthError> {
    response::parse_revocation_response(status, body, cx, json::parse)
}

/// Parses a token endpoint response (RFC 6749 §5.1, §5.2) into a [`TokenSet`], or an
/// [`OAuthError`] of kind `oauth`, `http` or `invalid_response`.
pub fn parse_token_response(status: u16, body: &str, cx: &ResponseContext) -> Result<TokenSet, OAuthError> {
    response::parse_token_response(status, body, cx, json::parse)
}
