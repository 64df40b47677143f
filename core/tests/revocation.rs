//! Host tests of token revocation (RFC 7009) and introspection (RFC 7662), issue 16: the
//! requests, authenticated as token requests are, and how the endpoints' answers are read.
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::{
    build_introspection_request, build_revocation_request, parse_introspection_response, parse_revocation_response,
    BodyEncoding, ClientAuth, ClientConfig, ErrorKind, ResponseContext,
};

const NOW: u64 = 1_700_000_000_000;

fn client() -> ClientConfig {
    ClientConfig::builder("https://as.example/token")
        .revocation_endpoint("https://as.example/revoke")
        .client_id("app")
        .client_secret("s3cr+t")
        .build()
}

fn form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn header<'a>(r: &'a oauth2_wasm_core::TokenRequest, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[test]
fn the_request_goes_to_the_revocation_endpoint_authenticated_as_token_requests_are() {
    let r = build_revocation_request(&client(), "rt-1", Some("refresh_token")).expect("a request");
    assert_eq!((r.url.as_str(), r.method), ("https://as.example/revoke", "POST"));
    assert_eq!(form(&r.body), [("token".into(), "rt-1".into()), ("token_type_hint".into(), "refresh_token".into())]);
    // Basic, form-encoded halves (RFC 6749 §2.3.1): "s3cr+t" → "s3cr%2Bt".
    assert_eq!(header(&r, "authorization"), Some("Basic YXBwOnMzY3IlMkJ0"));
    assert_eq!(header(&r, "content-type"), Some("application/x-www-form-urlencoded"));

    let mut body = client();
    body.client_auth = Some(ClientAuth::Body);
    let r = build_revocation_request(&body, "at-1", None).expect("a request");
    assert_eq!(
        form(&r.body),
        [
            ("token".into(), "at-1".into()),
            ("client_id".into(), "app".into()),
            ("client_secret".into(), "s3cr+t".into())
        ]
    );
    assert_eq!(header(&r, "authorization"), None);

    let mut json = client();
    json.body_encoding = BodyEncoding::Json;
    let r = build_revocation_request(&json, "at-1", None).expect("a request");
    assert_eq!(r.body, r#"{"token":"at-1"}"#);

    let mut public = ClientConfig::builder("https://as.example/token").revocation_endpoint("https://as.example/revoke");
    public = public.client_id("spa");
    let r = build_revocation_request(&public.build(), "at-1", Some("access_token")).expect("a request");
    assert_eq!(form(&r.body).len(), 3, "token, hint and client_id: {}", r.body);
}

#[test]
fn bad_input_is_a_config_error_naming_the_field() {
    let field = |c: &ClientConfig, token: &str, hint: Option<&str>| {
        let e = build_revocation_request(c, token, hint).expect_err("refused");
        assert_eq!(e.kind, ErrorKind::Config);
        e.field.unwrap_or_default()
    };
    let mut none = client();
    none.revocation_endpoint = None;
    assert_eq!(field(&none, "t", None), "revocationEndpoint");
    let mut http = client();
    http.revocation_endpoint = Some("http://as.example/revoke".into());
    let e = build_revocation_request(&http, "t", None).expect_err("plain http to a remote host");
    assert_eq!(e.field.as_deref(), Some("revocationEndpoint"));
    assert_eq!(e.suggestions.first().map(|s| s.setting.as_str()), Some("allowInsecureHttp"));
    let mut loopback = client();
    loopback.revocation_endpoint = Some("http://127.0.0.1:8080/revoke".into());
    assert!(build_revocation_request(&loopback, "t", None).is_ok(), "loopback over http is fine");
    assert_eq!(field(&client(), "", None), "token");
    assert_eq!(field(&client(), "a\r\nb", None), "token");
    assert_eq!(field(&client(), "t", Some("")), "tokenTypeHint");
    let mut extra = client();
    extra.extra_params = vec![("token".into(), "x".into())];
    assert_eq!(field(&extra, "t", None), "extraParams.token");
}

#[test]
fn a_token_is_never_shown_by_debug_nor_in_an_error() {
    let r = build_revocation_request(&client(), "rt-secret-value", None).expect("a request");
    let shown = format!("{r:?}");
    assert!(!shown.contains("rt-secret-value") && !shown.contains("s3cr"), "{shown}");
    let e = build_revocation_request(&client(), "rt-secret\nvalue", None).expect_err("refused");
    assert!(!format!("{e:?}{e}").contains("rt-secret"), "{e:?}");
}

#[test]
fn any_2xx_is_success_and_everything_else_an_error_as_for_token_responses() {
    let cx = ResponseContext::at(NOW);
    for (status, body) in [(200, ""), (200, "{}"), (204, ""), (200, "ok"), (200, "\u{feff}")] {
        assert_eq!(parse_revocation_response(status, body, &cx), Ok(()), "{status} {body:?}");
    }
    let e = parse_revocation_response(400, r#"{"error":"unsupported_token_type"}"#, &cx).expect_err("refused");
    assert_eq!((e.kind, e.error.as_deref(), e.status), (ErrorKind::OAuth, Some("unsupported_token_type"), Some(400)));
    let headers = [("retry-after".to_string(), "30".to_string())];
    let busy = ResponseContext { now_ms: NOW, headers: &headers, strict: false, human_fields: None };
    let e = parse_revocation_response(503, "", &busy).expect_err("unavailable");
    assert_eq!((e.kind, e.retry_after), (ErrorKind::Http, Some(30)));
    let e = parse_revocation_response(200, r#"{"error":"invalid_client"}"#, &cx).expect_err("an error at 200");
    assert_eq!(e.error.as_deref(), Some("invalid_client"));
    let e = parse_revocation_response(401, r#"{"error":"invalid_client"}"#, &cx).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::OAuth);
}

#[test]
fn introspection_asks_the_introspection_endpoint_and_reads_rfc_7662_members() {
    let mut c = client();
    assert_eq!(
        build_introspection_request(&c, "at-1", None).expect_err("no endpoint").field.as_deref(),
        Some("introspectionEndpoint")
    );
    c.introspection_endpoint = Some("https://as.example/introspect".into());
    let r = build_introspection_request(&c, "at-1", Some("access_token")).expect("a request");
    assert_eq!(r.url, "https://as.example/introspect");
    assert_eq!(form(&r.body), [("token".into(), "at-1".into()), ("token_type_hint".into(), "access_token".into())]);
    assert!(header(&r, "authorization").is_some_and(|h| h.starts_with("Basic ")));

    let cx = ResponseContext::at(NOW);
    let body = r#"{"active":true,"scope":"read write","client_id":"app","username":"jdoe","token_type":"Bearer",
        "exp":1700003600,"iat":1700000000,"nbf":1700000000,"sub":"Z5O3","aud":"https://api.example","iss":"https://as.example",
        "jti":"abc","vendor":{"x":1},"exp_str":"x"}"#;
    let i = parse_introspection_response(200, body, &cx).expect("an answer");
    assert!(i.active);
    assert_eq!(
        (i.scope.as_deref(), i.client_id.as_deref(), i.username.as_deref()),
        (Some("read write"), Some("app"), Some("jdoe"))
    );
    assert_eq!((i.exp, i.iat, i.nbf), (Some(1_700_003_600), Some(1_700_000_000), Some(1_700_000_000)));
    assert_eq!(i.aud, ["https://api.example"]);
    assert!(i.raw.get("vendor").is_some(), "every member stays in raw");
    let i = parse_introspection_response(200, r#"{"active":false}"#, &cx).expect("an inactive token");
    assert!(!i.active && i.scope.is_none());
    let i =
        parse_introspection_response(200, r#"{"active":true,"aud":["a","b",3],"exp":1.5}"#, &cx).expect("an answer");
    assert_eq!((i.aud.len(), i.exp), (2, None), "members of another type are left out");

    for (status, body, kind) in [
        (200, r#"{"active":"yes"}"#, ErrorKind::InvalidResponse),
        (200, r#"{"scope":"x"}"#, ErrorKind::InvalidResponse),
        (200, "<html>", ErrorKind::InvalidResponse),
        (200, r#"[true]"#, ErrorKind::InvalidResponse),
        (401, r#"{"error":"invalid_client"}"#, ErrorKind::OAuth),
        (200, r#"{"error":"invalid_request"}"#, ErrorKind::OAuth),
        (503, "", ErrorKind::Http),
    ] {
        let e = parse_introspection_response(status, body, &cx).expect_err(body);
        assert_eq!(e.kind, kind, "{status} {body}");
    }
    let e = parse_introspection_response(200, r#"{"active":1}"#, &cx).expect_err("not a boolean");
    assert_eq!((e.field.as_deref(), e.status), (Some("active"), Some(200)));
}
