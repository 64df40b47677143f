//! The response parser on any status, headers and bytes: a TokenSet or an OAuthError,
//! never a panic, and a TokenSet only for a 2xx with a usable token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth2_wasm_core::{parse_token_response, ErrorKind, ResponseContext};

const CONTENT_TYPES: [&str; 5] = ["application/json", "text/html", "text/plain", "Application/JSON; charset=utf-8", ""];

fuzz_target!(|data: &[u8]| {
    let [a, b, c, rest @ ..] = data else { return };
    let status = u16::from_le_bytes([*a, *b]) % 1000;
    let mut headers = Vec::new();
    let ct = CONTENT_TYPES[(*c & 7) as usize % CONTENT_TYPES.len()];
    if !ct.is_empty() {
        headers.push(("content-type".to_owned(), ct.to_owned()));
    }
    if c & 8 != 0 {
        headers.push((
            "retry-after".to_owned(),
            String::from_utf8_lossy(rest.get(..rest.len().min(32)).unwrap_or(&[])).into_owned(),
        ));
    }
    if c & 16 != 0 {
        headers.push(("date".to_owned(), "Tue, 14 Nov 2023 22:13:20 GMT".to_owned()));
    }
    let body = String::from_utf8_lossy(rest);
    let cx =
        ResponseContext { now_ms: u64::from(*a) << 40, headers: &headers, strict: c & 32 != 0, human_fields: None };
    match parse_token_response(status, &body, &cx) {
        Ok(tokens) => {
            assert!((200..300).contains(&status));
            assert!(!tokens.access_token.expose().is_empty());
        }
        Err(e) => {
            assert!(matches!(e.kind, ErrorKind::OAuth | ErrorKind::Http | ErrorKind::InvalidResponse));
            assert_eq!(e.status, Some(status));
            assert!(e.body.as_ref().is_none_or(|b| b.len() <= oauth2_wasm_core::response::MAX_BODY_EXCERPT + 3));
        }
    }
});
