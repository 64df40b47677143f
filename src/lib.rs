//! # oauth2-wasm
//!
//! The OAuth 2 token-endpoint work of a web frontend, a Node script or a Rust wasm app:
//! build grant requests, parse token responses and errors (vendors' human-readable fields
//! included), tolerating and reporting the quirks of real servers.
//!
//! The same code ships as the `oauth2-wasm` npm package (the `js-exports` feature, on by
//! default) and as this crate's Rust API, which Rust wasm apps use with
//! `default-features = false`.
//!
//! ## Building a request
//!
//! ```
//! use oauth2_wasm::{build_token_request, ClientConfig, Grant};
//!
//! let mut client = ClientConfig::new("https://auth.example.com/request-token");
//! client.client_id = Some("my-client".into());
//! client.client_secret = Some("s3cret".into());
//! let request = build_token_request(&client, &Grant::ClientCredentials { scope: None }).unwrap();
//! assert_eq!(request.body, "grant_type=client_credentials");
//! assert_eq!(request.headers[2], ("Authorization".into(), "Basic bXktY2xpZW50OnMzY3JldA==".into()));
//! ```
//!
//! ## Parsing the answer
//!
//! ```
//! use oauth2_wasm::{parse_token_response, ErrorKind, ResponseContext};
//!
//! let now = 1_700_000_000_000; // ms since the epoch, when the request was sent
//! let ok = parse_token_response(
//!     200,
//!     r#"{"access_token":"abc","token_type":"bearer","expires_in":3599}"#,
//!     &ResponseContext::at(now),
//! ).unwrap();
//! assert_eq!(ok.expires_at, Some(now + 3_599_000));
//!
//! let err = parse_token_response(
//!     400,
//!     r#"{"error":"invalid_grant","error_human_title":"Niepoprawna wartość"}"#,
//!     &ResponseContext::at(now),
//! ).unwrap_err();
//! assert_eq!(err.kind, ErrorKind::OAuth);
//! assert_eq!(err.human_title.as_deref(), Some("Niepoprawna wartość"));
//! ```

//! ## Requesting a token (wasm)
//!
//! In a browser, a worker or Node, `request_token` (wasm32 only) builds the request, sends it with
//! `globalThis.fetch` (or `RequestOptions::fetch`) within a time limit, and parses the
//! answer; every failure is an [`OAuthError`] (`network`, `timeout`, `aborted` besides the
//! parser's kinds).
//!
//! ```ignore
//! let tokens = oauth2_wasm::request_token(&client, &grant, &RequestOptions::default()).await?;
//! ```
//!
//! ## Keeping a session (wasm)
//!
//! `TokenManager` (wasm32 only) stores the tokens (`localStorage` by default in a window,
//! memory elsewhere), hands out a valid access token — cached, refreshed with the refresh
//! token, or re-acquired with its own `client_credentials` grant — with one request for
//! any number of concurrent callers, and refreshes once between tabs (Web Locks, storage
//! events, a BroadcastChannel). Only the server's `invalid_grant` (or `invalid_refresh`)
//! ends a session; network, timeout and 5xx failures keep the tokens. The decisions live
//! in [`core::session`].
//!
//! ```ignore
//! let mut options = ManagerOptions::new(client);
//! options.grant = Some(Grant::ClientCredentials { scope: None });
//! let manager = TokenManager::new(options)?;
//! let token = manager.get_access_token().await?;
//! ```

// The npm build (feature `npm-package` without `std`) has no standard library: the core
// and the web layer need only `core` and `alloc`.
#![cfg_attr(all(target_arch = "wasm32", feature = "npm-package", not(feature = "std")), no_std)]

extern crate alloc;

/// What std's prelude gives and a `no_std` build imports: `use crate::prelude::*;`.
/// (Not every build uses every item: the host build has no `web` module.)
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
}

pub mod core;

/// The npm build's allocator (feature `small-allocator`): a free list that coalesces
/// neighbours, for a heap that holds a few small records between calls.
#[cfg(all(target_arch = "wasm32", feature = "small-allocator"))]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// The npm build's panic handler: a panic is a bug, and in the wasm nobody reads its
/// message, so it traps at once (a `RuntimeError: unreachable` in JavaScript). Without it
/// std's hook would keep `core::fmt` and the message and location strings in the wasm.
#[cfg(all(target_arch = "wasm32", feature = "npm-package", not(feature = "std")))]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo<'_>) -> ! {
    ::core::arch::wasm32::unreachable()
}

#[cfg(all(target_arch = "wasm32", feature = "js-exports"))]
#[doc(hidden)]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::core::config::{BasicEncoding, BodyEncoding, ClientAuth, ClientConfig, ClientId, Secret};
pub use crate::core::error::{ErrorKind, OAuthError};
pub use crate::core::grant::{Grant, ResourceOwner};
pub use crate::core::json::Value;
pub use crate::core::request::{build_token_request, TokenRequest};
pub use crate::core::response::{Quirk, ResponseContext, TokenSet};
pub use crate::core::transport::{DEFAULT_TIMEOUT_MS, MAX_RESPONSE_BYTES};
#[cfg(target_arch = "wasm32")]
pub use crate::web::fetch::{request_token, RequestOptions};
#[cfg(target_arch = "wasm32")]
pub use crate::web::manager::{ChangeEvent, ChangeReason, ManagerOptions, TokenManager};
#[cfg(target_arch = "wasm32")]
pub use crate::web::storage::StorageChoice;

/// Parses a token endpoint response (RFC 6749 §5.1, §5.2) into a [`TokenSet`], or an
/// [`OAuthError`] of kind `oauth`, `http` or `invalid_response`.
///
/// JSON is read by the core's own parser, the same on every target.
pub fn parse_token_response(status: u16, body: &str, cx: &ResponseContext) -> Result<TokenSet, OAuthError> {
    crate::core::response::parse_token_response(status, body, cx, crate::core::json::parse)
}
