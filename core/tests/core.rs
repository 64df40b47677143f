//! Host tests of the pure core: the conformance vectors replayed, and the invariants that
//! do not fit in a vector (redacted `Debug`, secrets kept out of errors).
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::encode;
use oauth2_wasm_core::{
    build_token_request, parse_token_response, ClientConfig, ErrorKind, Grant, OAuthError, ResponseContext, Secret,
    TokenSet, Value,
};
use serde_json::Value as Json;

fn vectors() -> Json {
    serde_json::from_str(include_str!("../../tests/vectors/conformance.json")).expect("conformance.json is JSON")
}

fn to_value(j: &Json) -> Value {
    oauth2_wasm_core::json::parse(&j.to_string()).expect("a JSON value converts")
}

fn str_of<'a>(j: &'a Json, key: &str) -> Option<&'a str> {
    j.get(key).and_then(Json::as_str)
}

fn build(v: &Json) -> Result<oauth2_wasm_core::TokenRequest, OAuthError> {
    let client = ClientConfig::from_value(&to_value(&v["client"]))?;
    let grant = Grant::from_value(&to_value(&v["grant"]))?;
    build_token_request(&client, &grant)
}

fn sorted_form(body: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    pairs.sort();
    pairs
}

#[test]
fn request_vectors() {
    let all = vectors();
    let list = all["requests"].as_array().expect("requests");
    assert!(list.len() >= 50);
    for v in list {
        let name = str_of(v, "name").unwrap_or("?");
        match (v.get("expect"), v.get("error")) {
            (Some(want), None) => {
                let req = build(v).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(req.url, want["url"].as_str().unwrap(), "{name}: url");
                assert_eq!(req.method, "POST", "{name}");
                assert_eq!(req.body, want["body"].as_str().unwrap(), "{name}: body");
                let mut got: Vec<(String, String)> = req.headers.clone();
                got.sort();
                let mut expected: Vec<(String, String)> = want["headers"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect();
                expected.sort();
                assert_eq!(got, expected, "{name}: headers");
                if let Some(doc) = str_of(want, "documentedBody") {
                    assert_eq!(sorted_form(&req.body), sorted_form(doc), "{name}: same parameters as the document");
                }
            }
            (None, Some(want)) => {
                let err = build(v).expect_err(name);
                assert_eq!(err.kind, ErrorKind::Config, "{name}");
                assert_eq!(err.field.as_deref(), str_of(want, "field"), "{name}: field ({})", err.message);
                assert!(err.message.starts_with(str_of(want, "field").unwrap()), "{name}: message names the field");
                if let Some(part) = str_of(want, "messageIncludes") {
                    assert!(err.message.contains(part), "{name}: {:?} lacks {part:?}", err.message);
                }
                assert_no_secrets(&err, &secrets_of(v), name);
            }
            _ => panic!("{name}: a vector has expect or error"),
        }
    }
}

/// The secret values a request vector carries.
fn secrets_of(v: &Json) -> Vec<String> {
    let mut out = Vec::new();
    for (obj, keys) in
        [(&v["client"], &["clientSecret"][..]), (&v["grant"], &["password", "partnerSecret", "refreshToken"][..])]
    {
        for k in keys {
            if let Some(s) = str_of(obj, k).filter(|s| s.trim().len() > 2) {
                out.push(s.to_owned());
            }
        }
    }
    out
}

fn assert_no_secrets(err: &OAuthError, secrets: &[String], name: &str) {
    let shown = format!("{err} {err:?} {:?} {:?}", err.body, err.hint);
    for s in secrets {
        assert!(!shown.contains(s.as_str()), "{name}: error shows a secret");
    }
}

fn parse(v: &Json) -> Result<TokenSet, OAuthError> {
    let headers: Vec<(String, String)> =
        v["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
    let human = v.get("humanFields");
    let title = human.and_then(|h| str_of(h, "title"));
    let message = human.and_then(|h| str_of(h, "message"));
    let cx = ResponseContext {
        now_ms: v["now"].as_u64().unwrap(),
        headers: &headers,
        strict: v.get("strict").and_then(Json::as_bool).unwrap_or(false),
        human_fields: human.map(|_| (title.unwrap(), message.unwrap())),
    };
    parse_token_response(v["status"].as_u64().unwrap() as u16, v["body"].as_str().unwrap(), &cx)
}

fn opt_u64(j: &Json, key: &str) -> Option<u64> {
    j.get(key).and_then(Json::as_u64)
}

#[test]
fn response_vectors() {
    let all = vectors();
    let list = all["responses"].as_array().expect("responses");
    assert!(list.len() >= 40);
    for v in list {
        let name = str_of(v, "name").unwrap_or("?");
        let tokens: Vec<&str> =
            v.get("tokens").and_then(Json::as_array).map_or(vec![], |t| t.iter().filter_map(Json::as_str).collect());
        match (v.get("expect"), v.get("error")) {
            (Some(want), None) => {
                let t = parse(v).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(t.access_token.expose(), want["accessToken"].as_str().unwrap(), "{name}");
                assert_eq!(t.expires_at, opt_u64(want, "expiresAt"), "{name}: expiresAt");
                if want.get("partial").is_some() {
                    continue;
                }
                assert_eq!(t.token_type, want["tokenType"].as_str().unwrap(), "{name}");
                assert_eq!(t.expires_in, opt_u64(want, "expiresIn"), "{name}: expiresIn");
                assert_eq!(t.refresh_token.as_ref().map(Secret::expose), str_of(want, "refreshToken"), "{name}");
                assert_eq!(t.scope.as_deref(), str_of(want, "scope"), "{name}: scope");
                let quirks: Vec<&str> = t.quirks.iter().map(|q| q.as_str()).collect();
                let want_quirks: Vec<&str> =
                    want["quirks"].as_array().unwrap().iter().filter_map(Json::as_str).collect();
                assert_eq!(quirks, want_quirks, "{name}: quirks");
                if let Some(raw) = want.get("raw").and_then(Json::as_object) {
                    for (k, val) in raw {
                        assert_eq!(t.raw.get(k), Some(&to_value(val)), "{name}: raw.{k}");
                    }
                }
                assert!(matches!(t.raw.get("access_token"), Some(Value::String(_))), "{name}: raw keeps every member");
            }
            (None, Some(want)) => {
                let e = parse(v).expect_err(name);
                assert_eq!(e.kind.as_str(), want["kind"].as_str().unwrap(), "{name}: {}", e.message);
                for (key, got) in [
                    ("error", e.error.as_deref()),
                    ("errorDescription", e.error_description.as_deref()),
                    ("errorUri", e.error_uri.as_deref()),
                    ("humanTitle", e.human_title.as_deref()),
                    ("humanMessage", e.human_message.as_deref()),
                    ("contentType", e.content_type.as_deref()),
                    ("field", e.field.as_deref()),
                ] {
                    if let Some(w) = want.get(key) {
                        assert_eq!(got, w.as_str(), "{name}: {key}");
                    }
                }
                if let Some(s) = opt_u64(want, "status") {
                    assert_eq!(e.status, Some(s as u16), "{name}: status");
                }
                if let Some(s) = opt_u64(want, "retryAfter") {
                    assert_eq!(e.retry_after, Some(s), "{name}: retryAfter");
                }
                if let Some(q) = want.get("quirks").and_then(Json::as_array) {
                    let got: Vec<&str> = e.quirks.iter().map(|q| q.as_str()).collect();
                    let q: Vec<&str> = q.iter().filter_map(Json::as_str).collect();
                    assert_eq!(got, q, "{name}: quirks");
                }
                let has = |hay: &Option<String>, key: &str| {
                    if let Some(part) = str_of(want, key) {
                        assert!(hay.as_deref().unwrap_or("").contains(part), "{name}: {key} {part:?} in {hay:?}");
                    }
                };
                has(&Some(e.message.clone()), "messageIncludes");
                has(&e.hint, "hintIncludes");
                has(&e.body, "bodyIncludes");
                if let Some(part) = str_of(want, "messageExcludes") {
                    assert!(!e.message.contains(part), "{name}: message has {part:?}");
                }
                if let Some(max) = opt_u64(want, "messageMaxLength") {
                    assert!(e.message.chars().count() as u64 <= max, "{name}: message too long");
                }
                let shown = format!("{e} {e:?} {:?}", e.body);
                for t in &tokens {
                    assert!(!shown.contains(t), "{name}: error shows a token");
                }
            }
            _ => panic!("{name}: a vector has expect or error"),
        }
    }
}

#[test]
fn debug_output_redacts_secrets_and_tokens() {
    let mut client = ClientConfig::new("https://as.example/token");
    client.client_id = Some("cid".into());
    client.client_secret = Some("client-secret-value".into());
    client.headers = vec![("X-Api-Key".into(), "api-key-value".into())];
    let grant = Grant::Password {
        owner: oauth2_wasm_core::ResourceOwner::Username("alice".into()),
        password: "password-value".into(),
        scope: None,
    };
    let request = build_token_request(&client, &grant).unwrap();
    let tokens = parse_token_response(
        200,
        r#"{"access_token":"access-value","token_type":"Bearer","refresh_token":"refresh-value"}"#,
        &ResponseContext::at(0),
    )
    .unwrap();
    let shown = format!("{client:?} {grant:?} {request:?} {tokens:?}");
    for secret in ["client-secret-value", "api-key-value", "password-value", "access-value", "refresh-value"] {
        assert!(!shown.contains(secret), "Debug shows {secret}: {shown}");
    }
    assert!(request.body.contains("password-value"), "the request itself carries the password");
}

#[test]
fn base64_matches_rfc4648_test_vectors() {
    for (plain, b64) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(encode::base64(plain.as_bytes()), b64);
    }
}

#[test]
fn json_strings_escape_quotes_backslashes_and_controls() {
    let mut out = String::new();
    encode::push_json_string(&mut out, "a\"b\\c\nd\u{1}é");
    assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    let back: String = serde_json::from_str(&out).unwrap();
    assert_eq!(back, "a\"b\\c\nd\u{1}é");
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing() {
    let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = parse_token_response(200, &body, &ResponseContext::at(0)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidResponse);
    let nested = format!(r#"{{"access_token":"a","token_type":"bearer","x":{}1{}}}"#, "[".repeat(100), "]".repeat(100));
    assert_eq!(
        parse_token_response(200, &nested, &ResponseContext::at(0)).unwrap_err().kind,
        ErrorKind::InvalidResponse
    );
}

#[test]
fn error_bodies_are_bounded_and_redacted() {
    let body = format!(r#"{{"access_token":"tok\"en-1","refresh_token": 77, "x":"{}"}}"#, "y".repeat(10_000));
    let err = parse_token_response(200, &body[..body.len() - 5], &ResponseContext::at(0)).unwrap_err();
    let shown = err.body.unwrap();
    assert!(shown.len() <= oauth2_wasm_core::response::MAX_BODY_EXCERPT + 3);
    assert!(!shown.contains("en-1") && !shown.contains("77"), "{shown}");
    let form = oauth2_wasm_core::response::redact_tokens("access_token=abc&token_type=bearer&refresh_token=def");
    assert_eq!(form, "access_token=[redacted]&token_type=bearer&refresh_token=[redacted]");
}

#[test]
fn http_dates_and_retry_after() {
    use oauth2_wasm_core::response::{http_date, retry_after};
    assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
    assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    assert_eq!(http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
    assert_eq!(retry_after("120", 0), Some(120));
    assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777_000 + 5_000), Some(0));
    assert_eq!(retry_after("soon", 0), None);
}

#[test]
fn display_is_the_message() {
    let e = OAuthError::config("clientId", "must not be empty");
    assert_eq!(e.to_string(), "clientId must not be empty");
    assert_eq!(e.field.as_deref(), Some("clientId"));
}

#[test]
fn time_limits_are_clamped_to_the_longest_javascript_timer() {
    use oauth2_wasm_core::transport::{timer_ms, MAX_TIMER_MS};
    assert_eq!(MAX_TIMER_MS, 2_147_483_647);
    assert_eq!(timer_ms(u32::MAX), MAX_TIMER_MS);
    assert_eq!(timer_ms(30_000), 30_000);
}
