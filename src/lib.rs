//! # oauth2-wasm
//!
//! The OAuth 2 token-endpoint work of a web frontend, a Node script or a Rust wasm app:
//! build grant requests, parse token responses and errors (vendors' human-readable fields
//! included), tolerating and reporting the quirks of real servers.
//!
//! This crate is the Rust API for wasm apps (Yew, Leptos, Dioxus …). Its decisions are
//! made by the pure [`oauth2-wasm-core`](pure) crate, re-exported here; the same code ships
//! as the `oauth2-wasm` npm package, whose JavaScript exports live in a separate crate, so
//! an app that depends on this one gets no `#[wasm_bindgen]` exports, no global allocator
//! and no panic handler.
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
//! ```no_run
//! # #[cfg(target_arch = "wasm32")]
//! # async fn run() -> Result<(), oauth2_wasm::OAuthError> {
//! use oauth2_wasm::{request_token, ClientConfig, Grant, RequestOptions};
//!
//! let client = ClientConfig::builder("https://auth.example.com/request-token")
//!     .client_id("my-client")
//!     .client_secret("s3cret")
//!     .build();
//! let grant = Grant::ClientCredentials { scope: None };
//! let tokens = request_token(&client, &grant, &RequestOptions::default()).await?;
//! println!("expires at {:?}", tokens.expires_at);
//! # Ok(())
//! # }
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
//! in [`pure::session`] and [`pure::renewal`].
//!
//! ```no_run
//! # #[cfg(target_arch = "wasm32")]
//! # async fn run() -> Result<(), oauth2_wasm::OAuthError> {
//! use oauth2_wasm::{ClientConfig, Grant, ManagerOptions, TokenManager};
//!
//! let client = ClientConfig::builder("https://auth.example.com/request-token").client_id("my-client").build();
//! let mut options = ManagerOptions::new(client);
//! options.grant = Some(Grant::ClientCredentials { scope: None });
//! let manager = TokenManager::new(options)?;
//! let token = manager.get_access_token().await?;
//! # let _ = token;
//! # Ok(())
//! # }
//! ```

#![no_std]

extern crate alloc;

/// What std's prelude gives and a `no_std` crate imports: `use crate::prelude::*;`.
/// (Not every build uses every item: the host build has no `web` module.)
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
}

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The pure core (the `oauth2-wasm-core` crate): its modules, for what the names below
/// do not cover — the session's record and renewal machine among them.
pub use oauth2_wasm_core as pure;

#[cfg(target_arch = "wasm32")]
pub use crate::web::authorization::{
    build_authorization_url, generate_code_verifier, generate_state, parse_authorization_response,
};
#[cfg(target_arch = "wasm32")]
pub use crate::web::fetch::{discover, introspect_token, request_token, revoke_token, RequestOptions};
#[cfg(target_arch = "wasm32")]
pub use crate::web::jose::DpopKey;
#[cfg(target_arch = "wasm32")]
pub use crate::web::manager::{ChangeEvent, ChangeReason, Clock, ManagerOptions, TokenManager};
#[cfg(target_arch = "wasm32")]
pub use crate::web::storage::{StorageChoice, TokenStorage};
#[cfg(target_arch = "wasm32")]
pub use crate::web::url::{build_introspection_request, build_revocation_request, build_token_request};
pub use oauth2_wasm_core::authorization::code_challenge_s256;
pub use oauth2_wasm_core::authorization::{AuthorizeOptions, Transaction};
pub use oauth2_wasm_core::discovery::ServerMetadata;
#[cfg(not(target_arch = "wasm32"))]
pub use oauth2_wasm_core::{build_authorization_url, parse_authorization_response};
#[cfg(not(target_arch = "wasm32"))]
pub use oauth2_wasm_core::{build_introspection_request, build_revocation_request, build_token_request};
pub use oauth2_wasm_core::{
    parse_introspection_response, parse_revocation_response, parse_token_response, BasicEncoding, BodyEncoding,
    ClientAuth, ClientConfig, ClientConfigBuilder, ClientId, ErrorCode, ErrorKind, Grant, Introspection, OAuthError,
    Quirk, ResourceOwner, ResponseContext, Secret, TokenRequest, TokenSet, Value, DEFAULT_TIMEOUT_MS,
    MAX_RESPONSE_BYTES,
};
pub use oauth2_wasm_core::{AuthorizationRequest, AuthorizationResponse, CallbackCheck};
