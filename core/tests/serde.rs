//! The public types' serde shapes (feature `serde`) are the JavaScript API's: the same JSON
//! configures a client, and describes a token set or an error, in Rust and in JavaScript.
#![cfg(all(not(target_arch = "wasm32"), feature = "serde"))]

use oauth2_wasm_core::json::MAX_DEPTH;
use oauth2_wasm_core::{
    build_token_request, parse_token_response, BasicEncoding, BodyEncoding, ClientAuth, ClientConfig, ClientId,
    ErrorCode, ErrorKind, Grant, OAuthError, Quirk, ResponseContext, TokenSet, Value,
};
use serde_json::{json, Value as Json};

fn vectors() -> Json {
    serde_json::from_str(include_str!("../../tests/vectors/conformance.json")).unwrap()
}

#[test]
fn a_client_config_reads_the_javascript_shape() {
    // Text, not serde_json::Value (whose objects are sorted): members keep their order.
    let client: ClientConfig = serde_json::from_str(
        r#"{
        "tokenEndpoint": "https://api.teen-quotes.com/oauth",
        "clientId": 42,
        "clientSecret": "s3cret",
        "clientAuth": "body",
        "basicEncoding": "raw",
        "bodyEncoding": "json",
        "headers": { "X-B": "2", "X-A": "1" },
        "extraParams": { "app": "quotes" },
        "timeoutMs": 5000,
        "allowInsecureHttp": true,
        "humanFields": { "title": "t", "message": "m" },
        "acknowledgeBrowserSecrets": true
    }"#,
    )
    .unwrap();
    assert_eq!(client.client_id, Some(ClientId::Number(42)));
    assert_eq!(client.secret(), Some("s3cret"));
    assert_eq!(
        (client.client_auth, client.basic_encoding, client.body_encoding),
        (Some(ClientAuth::Body), BasicEncoding::Raw, BodyEncoding::Json)
    );
    assert_eq!(client.headers, [("X-B".into(), "2".into()), ("X-A".into(), "1".into())], "members in order");
    assert_eq!(client.extra_params, [("app".into(), "quotes".into())]);
    assert_eq!(
        (client.timeout_ms, client.allow_insecure_http, client.acknowledge_browser_secrets),
        (Some(5000), true, true)
    );
    assert_eq!(client.human_fields, Some(("t".into(), "m".into())));
    // Written back, it is the same JSON; only the endpoint is required.
    let text = serde_json::to_string(&client).unwrap();
    assert_eq!(serde_json::from_str::<ClientConfig>(&text).unwrap().headers, client.headers);
    let back: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(back["clientSecret"], "s3cret", "serializing a config writes its secret (the app's choice)");
    let minimal: ClientConfig = serde_json::from_value(json!({ "tokenEndpoint": "https://as.example/t" })).unwrap();
    assert_eq!(serde_json::to_value(&minimal).unwrap()["tokenEndpoint"], "https://as.example/t");
    assert!(serde_json::to_value(&minimal).unwrap().get("clientSecret").is_none());
    // Secrets still never show in Debug.
    assert!(!format!("{client:?}").contains("s3cret"));
}

#[test]
fn every_conformance_client_reads_the_same_through_serde_as_through_the_javascript_conversion() {
    let mut compared = 0;
    for v in vectors()["requests"].as_array().unwrap() {
        let js = oauth2_wasm_core::json::parse(&v["client"].to_string()).unwrap();
        let (Ok(ours), Ok(grant)) = (
            ClientConfig::from_value(&js),
            Grant::from_value(&oauth2_wasm_core::json::parse(&v["grant"].to_string()).unwrap()),
        ) else {
            continue;
        };
        let Ok(serde) = serde_json::from_value::<ClientConfig>(v["client"].clone()) else {
            panic!("{}: serde refuses a client the JavaScript API takes", v["name"])
        };
        assert_eq!(build_token_request(&serde, &grant), build_token_request(&ours, &grant), "{}", v["name"]);
        compared += 1;
    }
    assert!(compared > 40, "{compared}");
}

#[test]
fn a_token_set_round_trips_in_the_javascript_shape() {
    let body = r#"{"access_token":"at","token_type":"bearer","expires_in":"3600","refresh_token":"rt","scope":"read","x":[1,2.5,{"y":null}]}"#;
    let tokens = parse_token_response(200, body, &ResponseContext::at(1_000)).unwrap();
    let json = serde_json::to_value(&tokens).unwrap();
    assert_eq!(json["accessToken"], "at");
    assert_eq!(json["expiresIn"], 3600);
    assert_eq!(json["expiresAt"], 3_601_000);
    assert_eq!(json["refreshToken"], "rt");
    assert_eq!(json["quirks"], json!(["expires_in_string"]));
    assert_eq!(json["raw"]["x"], json!([1, 2.5, { "y": null }]), "raw is the JSON the server sent");
    let text = serde_json::to_string(&tokens).unwrap();
    assert_eq!(serde_json::from_str::<TokenSet>(&text).unwrap(), tokens);
}

#[test]
fn an_error_serializes_as_javascript_stringifies_it() {
    let e = parse_token_response(
        400,
        r#"{"error":"invalid_grant","error_description":"expired"}"#,
        &ResponseContext::at(0),
    )
    .unwrap_err();
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        (json["kind"].as_str(), json["status"].as_u64(), json["error"].as_str()),
        (Some("oauth"), Some(400), Some("invalid_grant"))
    );
    assert_eq!(json["errorDescription"], "expired");
    assert!(json.get("hint").is_none() && json.get("body").is_none(), "absent fields are left out: {json}");
    assert_eq!(serde_json::from_value::<OAuthError>(json).unwrap(), e);
    for kind in ErrorKind::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
    for quirk in [
        Quirk::ExpiresInString,
        Quirk::ExpiresInFraction,
        Quirk::TokenTypeMissing,
        Quirk::ErrorWithSuccessStatus,
        Quirk::SuccessStatusNot200,
        Quirk::ContentTypeNotJson,
        Quirk::WwwAuthenticateOnSuccess,
        Quirk::ExpiresUnixTime,
        Quirk::RefreshTokenEmpty,
        Quirk::ScopeArray,
        Quirk::ByteOrderMark,
    ] {
        assert_eq!(serde_json::to_value(quirk).unwrap(), quirk.as_str());
    }
}

#[test]
fn error_codes_are_typed_with_an_extension_fallback() {
    let e = parse_token_response(401, r#"{"error":"invalid_client"}"#, &ResponseContext::at(0)).unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::InvalidClient));
    let teen = parse_token_response(400, r#"{"error":"invalid_refresh"}"#, &ResponseContext::at(0)).unwrap_err();
    assert_eq!(teen.code(), Some(ErrorCode::Extension("invalid_refresh".into())));
    assert_eq!(parse_token_response(502, "", &ResponseContext::at(0)).unwrap_err().code(), None);
    for name in [
        "invalid_request",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "unsupported_token_type",
        "invalid_dpop_proof",
        "use_dpop_nonce",
        "authorization_pending",
        "slow_down",
        "expired_token",
        "Invalid_Grant",
        "vendor_thing",
    ] {
        let code = ErrorCode::parse(name);
        assert_eq!(code.as_str(), name);
        assert_eq!(serde_json::to_value(&code).unwrap(), name);
    }
    assert_eq!(
        ErrorCode::parse("Invalid_Grant"),
        ErrorCode::Extension("Invalid_Grant".into()),
        "codes are case-sensitive"
    );
}

#[test]
fn a_value_reads_any_json_but_not_past_the_depth_bound() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(serde_json::from_str::<Value>(&deep(MAX_DEPTH as usize)).is_ok());
    assert!(serde_json::from_str::<Value>(&deep(MAX_DEPTH as usize + 1)).is_err());
    let v: Value = serde_json::from_str(r#"{"b":1,"a":[true,null,"x"],"b":2}"#).unwrap();
    assert_eq!(v.get("b"), Some(&Value::Number(2.0)), "the last duplicate, as JSON.parse");
    assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"b":1,"a":[true,null,"x"],"b":2}"#);
}

#[test]
fn the_core_parse_refuses_text_nested_past_the_depth_bound() {
    use oauth2_wasm_core::json::parse;
    let arrays = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let objects = |n: usize| format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    for deep in [arrays, objects] {
        assert!(parse(&deep(MAX_DEPTH as usize)).is_some());
        assert_eq!(parse(&deep(MAX_DEPTH as usize + 1)), None);
        assert_eq!(parse(&deep(100_000)), None, "serde_json's own limit bounds the stack");
    }
    assert_eq!(parse(r#"{"a":1} x"#), None, "trailing text");
    assert_eq!(parse(r#"{"access_token":"\ud800"}"#), None, "a lone surrogate is not a Rust string");
}
