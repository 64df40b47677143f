//! A tiny consumer of the oauth2-wasm Rust API: what a Yew/Leptos/Dioxus app would write.

use oauth2_wasm::{ClientConfig, Grant};

/// The AutoGrab-like client of www/token-server.mjs: client_credentials over HTTP Basic.
pub fn autograb_client(token_endpoint: &str) -> ClientConfig {
    let mut client = ClientConfig::new(token_endpoint);
    client.client_id = Some("autograb-client".into());
    client.client_secret = Some("autograb-secret".into());
    // A secret in page code is this test's choice: silence the library's warning about it.
    client.acknowledge_browser_secrets = true;
    client
}

/// The grant AutoGrab takes.
pub fn autograb_grant() -> Grant {
    Grant::ClientCredentials { scope: None }
}
