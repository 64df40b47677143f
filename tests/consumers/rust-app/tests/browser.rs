//! The Rust API from a separate crate with `default-features = false`, in headless Chromium.
//! `OAUTH2_CONSUMER_TOKEN_ENDPOINT` (read at build time) is the AutoGrab endpoint of a
//! running www/token-server.mjs; consumers.test.mjs starts one and sets it.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Reflect};
use oauth2_wasm::{
    build_token_request, parse_token_response, request_token, ErrorKind, Quirk, RequestOptions, ResponseContext,
};
use oauth2_wasm_rust_consumer::{autograb_client, autograb_grant};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[wasm_bindgen_test]
fn builds_a_client_credentials_request() {
    let request = build_token_request(&autograb_client("https://auth.example.com/request-token"), &autograb_grant())
        .expect("a valid request");
    assert_eq!(request.url, "https://auth.example.com/request-token");
    assert_eq!(request.method, "POST");
    assert_eq!(request.body, "grant_type=client_credentials");
    assert_eq!(header(&request.headers, "Content-Type"), Some("application/x-www-form-urlencoded"));
    // base64("autograb-client:autograb-secret")
    assert_eq!(header(&request.headers, "Authorization"), Some("Basic YXV0b2dyYWItY2xpZW50OmF1dG9ncmFiLXNlY3JldA=="));
}

#[wasm_bindgen_test]
fn refuses_plain_http_to_a_remote_host() {
    let err = build_token_request(&autograb_client("http://auth.example.com/request-token"), &autograb_grant())
        .expect_err("http to a non-loopback host is refused");
    assert_eq!(err.kind, ErrorKind::Config);
}

#[wasm_bindgen_test]
fn parses_a_token_and_an_error() {
    let now = 1_700_000_000_000;
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    let cx = ResponseContext { headers: &headers, ..ResponseContext::at(now) };
    let tokens = parse_token_response(
        200,
        r#"{"access_token":"abc","expires_in":"3599","scope":"","token_type":"bearer"}"#,
        &cx,
    )
    .expect("a token");
    assert_eq!(tokens.access_token.expose(), "abc");
    assert_eq!(tokens.token_type, "bearer");
    assert_eq!(tokens.expires_in, Some(3599));
    assert_eq!(tokens.expires_at, Some(now + 3_599_000));
    assert_eq!(tokens.quirks, vec![Quirk::ExpiresInString]);

    let err = parse_token_response(
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        &cx,
    )
    .expect_err("an OAuth error");
    assert_eq!(err.kind, ErrorKind::OAuth);
    assert_eq!(err.status, Some(401));
    assert_eq!(err.error.as_deref(), Some("invalid_client"));
    assert_eq!(err.error_description.as_deref(), Some("Client authentication failed"));
}

#[wasm_bindgen_test]
async fn requests_a_token_from_the_loopback_server() {
    let Some(endpoint) = option_env!("OAUTH2_CONSUMER_TOKEN_ENDPOINT") else {
        panic!("build with OAUTH2_CONSUMER_TOKEN_ENDPOINT set (tests/consumers/run.sh does)")
    };
    let tokens = request_token(&autograb_client(endpoint), &autograb_grant(), &RequestOptions::default())
        .await
        .expect("a token from the token server");
    assert_eq!(tokens.access_token.expose().len(), 40);
    assert_eq!(tokens.expires_in, Some(3599));

    let mut wrong = autograb_client(endpoint);
    wrong.client_secret = Some("wrong".into());
    let err = request_token(&wrong, &autograb_grant(), &RequestOptions::default()).await.expect_err("a refusal");
    assert_eq!(err.kind, ErrorKind::OAuth);
    assert_eq!(err.status, Some(401));
    assert_eq!(err.error.as_deref(), Some("invalid_client"));
}

/// With default features off, the npm package's #[wasm_bindgen] exports are not linked in:
/// the module's wasm exports have none of them.
#[wasm_bindgen_test]
fn the_js_exports_are_absent() {
    let exports: JsValue = wasm_bindgen::exports();
    let names: Vec<String> =
        Object::keys(&exports.into()).iter().map(|k| k.as_string().expect("export names are strings")).collect();
    assert!(!names.is_empty());
    for name in &names {
        let lower = name.to_ascii_lowercase();
        assert!(
            !["buildtokenrequest", "parsetokenresponse", "requesttoken", "__registererrorclass"]
                .contains(&lower.as_str())
                && !lower.starts_with("tokenmanager_")
                && !lower.starts_with("__wbg_tokenmanager"),
            "unexpected JS export {name} in {names:?}"
        );
    }
    assert!(Reflect::has(&wasm_bindgen::exports(), &"memory".into()).unwrap());
}
