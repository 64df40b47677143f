//! The authorization-code flow's parsers on attacker-controlled input: a callback URL (with
//! a stored transaction, itself arbitrary), and a server metadata document. Never a panic;
//! a callback is accepted only with the transaction's state and, when the client requires
//! it, the client's issuer as `iss`; metadata is accepted only when it names the issuer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth2_wasm_core::authorization::{callback_grant_with, parse_authorization_response_with, CallbackCheck};
use oauth2_wasm_core::discovery::Discovery;
use oauth2_wasm_core::endpoint::WhatwgUrl;
use oauth2_wasm_core::{ClientConfig, ErrorKind, Grant};

const ISSUER: &str = "https://as.example";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\u{1f}');
    let (first, second, third) = (parts.next().unwrap_or(""), parts.next(), parts.next());

    // A callback checked against a known state.
    let mut check = CallbackCheck::new("st-1");
    check.issuer = Some(ISSUER.into());
    check.require_iss = first.len() % 2 == 0;
    match parse_authorization_response_with(first, &check, &WhatwgUrl) {
        Ok(r) => {
            assert_eq!(r.state, "st-1");
            assert!(!r.code.expose().is_empty());
            assert!(r.iss.as_deref().is_none_or(|i| i == ISSUER));
            assert!(!check.require_iss || r.iss.is_some());
        }
        Err(e) => assert!(matches!(e.kind, ErrorKind::Config | ErrorKind::InvalidResponse | ErrorKind::OAuth), "{e:?}"),
    }

    // The same callback against an arbitrary stored transaction.
    let mut client = ClientConfig::new("https://as.example/token");
    client.issuer = Some(ISSUER.into());
    match callback_grant_with(&client, second, first, 1_700_000_000_000, &WhatwgUrl) {
        Ok(Grant::AuthorizationCode { code_verifier, redirect_uri, .. }) => {
            assert!(code_verifier.is_some() && redirect_uri.is_some());
        }
        Ok(other) => panic!("not a code grant: {other:?}"),
        Err(e) => assert!(matches!(e.kind, ErrorKind::Config | ErrorKind::InvalidResponse | ErrorKind::OAuth), "{e:?}"),
    }

    // A metadata document (status from its length).
    let mut discovery = Discovery::new(ISSUER, false, &WhatwgUrl).unwrap();
    let status = [200, 404, 500, 201][third.map_or(0, str::len) % 4];
    if let Ok(Some(m)) = discovery.finish(status, third.unwrap_or(first)) {
        assert_eq!(m.issuer, ISSUER);
        assert!(!m.to_json().is_empty());
    }
});
