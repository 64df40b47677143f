//! The conformance vectors replayed in wasm — in Node (`wasm-pack test --node`) and in
//! headless Chromium and Firefox (`wasm-pack test --headless --chrome/--firefox`) — through
//! the JavaScript exports and through the Rust API, with `JSON.parse` doing the parsing.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Reflect, JSON};
use oauth2_wasm::{parse_token_response, ErrorKind, ResponseContext};
use oauth2_wasm_npm::{build_token_request_js, parse_token_response_js};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn vectors() -> JsValue {
    JSON::parse(include_str!("../../tests/vectors/conformance.json")).expect("conformance.json is JSON")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn list(v: &JsValue, key: &str) -> Vec<JsValue> {
    let items = get(v, key);
    if items.is_undefined() {
        return Vec::new();
    }
    js_sys::Array::from(&items).iter().collect()
}

fn text(v: &JsValue) -> String {
    JSON::stringify(v).ok().and_then(|s| s.as_string()).unwrap_or_else(|| "undefined".into())
}

fn keys(v: &JsValue) -> Vec<String> {
    Object::keys(v.unchecked_ref::<Object>()).iter().filter_map(|k| k.as_string()).collect()
}

fn name(v: &JsValue) -> String {
    get(v, "name").as_string().unwrap_or_default()
}

fn includes(hay: &JsValue, needle: &JsValue) -> bool {
    match (hay.as_string(), needle.as_string()) {
        (Some(h), Some(n)) => h.contains(&n),
        _ => false,
    }
}

#[wasm_bindgen_test]
fn request_vectors_through_the_js_exports() {
    let all = vectors();
    let vectors = list(&all, "requests");
    assert!(vectors.len() >= 50);
    for v in vectors {
        let n = name(&v);
        let result = build_token_request_js(&get(&v, "client"), &get(&v, "grant"), &JsValue::UNDEFINED);
        let want = get(&v, "expect");
        if !want.is_undefined() {
            let req = result.unwrap_or_else(|e| panic!("{n}: {}", text(&get(&e, "message"))));
            for key in ["url", "method", "body"] {
                assert_eq!(get(&req, key), get(&want, key), "{n}: {key}");
            }
            let (got_h, want_h) = (get(&req, "headers"), get(&want, "headers"));
            let (mut a, mut b) = (keys(&got_h), keys(&want_h));
            a.sort();
            b.sort();
            assert_eq!(a, b, "{n}: header names");
            for k in b {
                assert_eq!(get(&got_h, &k), get(&want_h, &k), "{n}: header {k}");
            }
        } else {
            let err = result.expect_err(&n);
            let want = get(&v, "error");
            assert!(err.is_instance_of::<js_sys::Error>(), "{n}: an Error");
            assert_eq!(get(&err, "name").as_string().as_deref(), Some("OAuthError"), "{n}");
            assert_eq!(get(&err, "kind").as_string().as_deref(), Some("config"), "{n}");
            assert_eq!(get(&err, "field"), get(&want, "field"), "{n}: field");
            let part = get(&want, "messageIncludes");
            if !part.is_undefined() {
                assert!(includes(&get(&err, "message"), &part), "{n}: message");
            }
        }
    }
}

#[wasm_bindgen_test]
fn response_vectors_through_the_js_exports() {
    let all = vectors();
    let vectors = list(&all, "responses");
    assert!(vectors.len() >= 40);
    for v in vectors {
        let n = name(&v);
        let options = Object::new();
        for key in ["now", "headers", "strict", "humanFields"] {
            let _ = Reflect::set(&options, &key.into(), &get(&v, key));
        }
        let result = parse_token_response_js(&get(&v, "status"), &get(&v, "body"), &options);
        let want = get(&v, "expect");
        if !want.is_undefined() {
            let t = result.unwrap_or_else(|e| panic!("{n}: {}", text(&get(&e, "message"))));
            let partial = get(&want, "partial").is_truthy();
            for key in ["accessToken", "tokenType", "expiresIn", "expiresAt", "refreshToken", "scope", "quirks"] {
                if partial && get(&want, key).is_undefined() {
                    continue;
                }
                assert_eq!(text(&get(&t, key)), text(&get(&want, key)), "{n}: {key}");
            }
            let (raw, want_raw) = (get(&t, "raw"), get(&want, "raw"));
            assert!(get(&raw, "access_token").is_string(), "{n}: raw keeps every member");
            if !want_raw.is_undefined() {
                for k in keys(&want_raw) {
                    assert_eq!(get(&raw, &k), get(&want_raw, &k), "{n}: raw.{k}");
                }
            }
        } else {
            let e = result.expect_err(&n);
            let want = get(&v, "error");
            assert!(e.is_instance_of::<js_sys::Error>(), "{n}: an Error");
            for key in keys(&want) {
                let w = get(&want, &key);
                match key.as_str() {
                    "messageIncludes" => assert!(includes(&get(&e, "message"), &w), "{n}: message"),
                    "hintIncludes" => assert!(includes(&get(&e, "hint"), &w), "{n}: hint"),
                    "bodyIncludes" => assert!(includes(&get(&e, "body"), &w), "{n}: body"),
                    "messageExcludes" => {
                        assert!(!includes(&get(&e, "message"), &w), "{n}: message")
                    }
                    "messageMaxLength" => {
                        let len = get(&e, "message").as_string().unwrap_or_default().chars().count();
                        assert!(len as f64 <= w.as_f64().unwrap_or(0.0), "{n}: message length");
                    }
                    _ => assert_eq!(text(&get(&e, &key)), text(&w), "{n}: {key}"),
                }
            }
            let shown = format!("{} {}", text(&e), text(&get(&e, "message")));
            for token in list(&v, "tokens") {
                assert!(!shown.contains(&token.as_string().unwrap_or_default()), "{n}: error shows a token");
            }
        }
    }
}

#[wasm_bindgen_test]
fn rust_api_parses_with_json_parse() {
    let ok = parse_token_response(
        200,
        r#"{"access_token":"4df2","token_type":"bearer","expires_in":43200,"scope":"adverts-write read"}"#,
        &ResponseContext::at(1_000),
    )
    .unwrap();
    assert_eq!(ok.expires_at, Some(43_201_000));
    assert_eq!(ok.scope.as_deref(), Some("adverts-write read"));
    let err = parse_token_response(
        400,
        r#"{"error":"invalid_grant","error_human_title":"Niepoprawna wartość","error_human_message":""}"#,
        &ResponseContext::at(0),
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::OAuth);
    assert_eq!(err.human_title.as_deref(), Some("Niepoprawna wartość"));
    assert_eq!(err.human_message.as_deref(), Some(""));
}

#[wasm_bindgen_test]
fn bad_arguments_are_config_errors_not_panics() {
    let cases: [(JsValue, JsValue, &str); 4] = [
        (JsValue::from_str("200"), JsValue::from_str("{}"), "status"),
        (JsValue::from_f64(99.0), JsValue::from_str("{}"), "status"),
        (JsValue::from_f64(200.0), JsValue::from_f64(1.0), "bodyText"),
        (JsValue::from_f64(200.5), JsValue::from_str("{}"), "status"),
    ];
    for (status, body, field) in cases {
        let e = parse_token_response_js(&status, &body, &JsValue::UNDEFINED).expect_err(field);
        assert_eq!(get(&e, "kind").as_string().as_deref(), Some("config"));
        assert_eq!(get(&e, "field").as_string().as_deref(), Some(field));
    }
    let options = Object::new();
    let _ = Reflect::set(&options, &"now".into(), &JsValue::from_str("yesterday"));
    let e = parse_token_response_js(&JsValue::from_f64(200.0), &JsValue::from_str("{}"), &options).unwrap_err();
    assert_eq!(get(&e, "field").as_string().as_deref(), Some("now"));
    // A function where a string belongs.
    let client = Object::new();
    let _ = Reflect::set(&client, &"tokenEndpoint".into(), &js_sys::Function::new_no_args("return 1"));
    let e = build_token_request_js(&client, &JsValue::NULL, &JsValue::UNDEFINED).unwrap_err();
    assert_eq!(get(&e, "kind").as_string().as_deref(), Some("config"));
}
