//! Server metadata discovery (RFC 8414, OpenID Connect Discovery as the fallback).

use oauth2_wasm_core::discovery::Discovery;
use oauth2_wasm_core::endpoint::WhatwgUrl;
use oauth2_wasm_core::{ClientAuth, ClientConfig, ErrorKind};

fn doc(issuer: &str, extra: &str) -> String {
    format!(r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token"{extra}}}"#)
}

#[test]
fn the_well_known_urls_insert_the_segment_before_the_path_then_append_openid_configuration() {
    let d = Discovery::new("https://as.example/tenant/one/", false, &WhatwgUrl).unwrap();
    assert_eq!(d.request().url, "https://as.example/.well-known/oauth-authorization-server/tenant/one");
    assert_eq!((d.request().method, d.request().body.as_str()), ("GET", ""));
    let mut d = Discovery::new("https://as.example", false, &WhatwgUrl).unwrap();
    assert_eq!(d.request().url, "https://as.example/.well-known/oauth-authorization-server");
    assert_eq!(d.finish(404, "").unwrap(), None);
    assert_eq!(d.request().url, "https://as.example/.well-known/openid-configuration");
    let e = d.finish(404, "").unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::Http, Some(404)));
    for (issuer, field) in
        [("http://as.example", "issuer"), ("https://as.example/?x=1", "issuer"), ("as.example", "issuer")]
    {
        assert_eq!(Discovery::new(issuer, false, &WhatwgUrl).unwrap_err().field.as_deref(), Some(field), "{issuer}");
    }
    assert!(Discovery::new("http://127.0.0.1:8080", false, &WhatwgUrl).is_ok());
}

#[test]
fn the_document_must_name_the_issuer_exactly_and_a_token_endpoint() {
    let issuer = "https://as.example";
    let finish = |body: &str, status| Discovery::new(issuer, false, &WhatwgUrl).unwrap().finish(status, body);
    let m = finish(
        &doc(
            issuer,
            r#","authorization_endpoint":"https://as.example/auth","code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true,"x":1"#,
        ),
        200,
    )
    .unwrap()
    .unwrap();
    assert_eq!(m.token_endpoint, "https://as.example/token");
    assert_eq!(m.authorization_endpoint.as_deref(), Some("https://as.example/auth"));
    assert_eq!(m.code_challenge_methods_supported, Some(vec!["S256".to_owned()]));
    assert_eq!(m.authorization_response_iss_parameter_supported, Some(true));
    assert!(m.to_json().contains(r#""raw":{"#) && m.to_json().contains(r#""x":1"#), "{}", m.to_json());
    for (body, word) in [
        (doc("https://as.example/", ""), "issuer"),
        (doc("https://evil.example", ""), "issuer"),
        (r#"{"token_endpoint":"https://as.example/token"}"#.to_owned(), "issuer"),
        (r#"{"issuer":"https://as.example"}"#.to_owned(), "token_endpoint"),
        ("<html>".to_owned(), "JSON"),
    ] {
        let e = finish(&body, 200).unwrap_err();
        assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains(word), "{body}: {}", e.message);
    }
    assert_eq!(finish("oops", 500).unwrap_err().status, Some(500));
}

#[test]
fn the_client_gets_the_endpoints_and_the_client_auth_the_server_lists() {
    let issuer = "https://as.example";
    let meta = |methods: &str| {
        let extra = format!(r#","revocation_endpoint":"https://as.example/revoke"{methods}"#);
        Discovery::new(issuer, false, &WhatwgUrl).unwrap().finish(200, &doc(issuer, &extra)).unwrap().unwrap()
    };
    let mut base = ClientConfig::new("");
    base.client_id = Some("app".into());
    base.client_secret = Some("s".into());
    let c = meta("").client(base.clone());
    assert_eq!(c.token_endpoint, "https://as.example/token");
    assert_eq!(c.revocation_endpoint.as_deref(), Some("https://as.example/revoke"));
    assert_eq!(c.issuer.as_deref(), Some(issuer));
    assert_eq!(c.client_auth, Some(ClientAuth::Basic), "no list: client_secret_basic");
    assert!(!c.require_iss, "the server does not say it sends iss");
    assert!(meta(r#","authorization_response_iss_parameter_supported":true"#).client(base.clone()).require_iss);
    let post = meta(r#","token_endpoint_auth_methods_supported":["client_secret_post","private_key_jwt"]"#);
    assert_eq!(post.client(base.clone()).client_auth, Some(ClientAuth::Body));
    let mut public = base.clone();
    public.client_secret = None;
    let none = meta(r#","token_endpoint_auth_methods_supported":["none","client_secret_basic"]"#);
    assert_eq!(none.client(public).client_auth, Some(ClientAuth::None));
    // What the caller set stays.
    let mut chosen = base;
    chosen.client_auth = Some(ClientAuth::Body);
    chosen.token_endpoint = "https://proxy.example/token".into();
    let c = meta("").client(chosen);
    assert_eq!((c.client_auth, c.token_endpoint.as_str()), (Some(ClientAuth::Body), "https://proxy.example/token"));
}
