//! The request builder on arbitrary client and grant objects (JSON text split in two):
//! a request or a `config` error naming a field, never a panic; a request never puts a
//! secret in the URL. The same client's JWT client assertion (issue 17): two base64url
//! parts or a `config` error naming a field; the grant's text read as a DPoP public key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth2_wasm_core::json::parse;
use oauth2_wasm_core::{build_token_request, ClientConfig, ErrorKind, Grant};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (client, grant) = text.split_once('\u{1f}').unwrap_or((&text, r#"{"grantType":"client_credentials"}"#));
    let (Some(client), Some(grant)) = (parse(client), parse(grant)) else { return };
    if let Err(e) = oauth2_wasm_core::jose::PublicJwk::from_value(&grant) {
        assert_eq!(e.field.as_deref(), Some("dpop"));
    }
    let (client, grant) = match (ClientConfig::from_value(&client), Grant::from_value(&grant)) {
        (Ok(c), Ok(g)) => (c, g),
        (Err(e), _) | (_, Err(e)) => {
            assert_eq!(e.kind, ErrorKind::Config);
            assert!(e.field.is_some());
            return;
        }
    };
    match oauth2_wasm_core::jose::client_assertion(&client, &client.token_endpoint, 1_700_000_000_000, &[7; 16]) {
        Ok(Some(unsigned)) => {
            let parts: Vec<&str> = unsigned.input.split('.').collect();
            assert_eq!(parts.len(), 2);
            assert!(unsigned.input.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        }
        Ok(None) => {}
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Config);
            assert!(e.field.is_some());
        }
    }
    match build_token_request(&client, &grant) {
        Ok(request) => {
            assert_eq!(request.url, client.token_endpoint);
            if let Some(secret) = client.secret().filter(|s| s.len() > 3) {
                assert!(!request.url.contains(secret) || client.token_endpoint.contains(secret));
            }
        }
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Config);
            assert!(e.field.is_some());
        }
    }
});
