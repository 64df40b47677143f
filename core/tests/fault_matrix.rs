//! The fault matrix of `shared/research/reliability.md` §4, for the rows that belong to the pure
//! core: request building (R), response shape (P), success fields (F), error bodies (E), the
//! stored-record codec and session decisions (S, T, H). Each test is named after its row;
//! `tests/FAULT-MATRIX.md` lists every row and where it is covered.
//!
//! Rows where the project decided otherwise than the checklist (README, DESIGN.md) assert the
//! documented behaviour; the test names say "differs" there. Tests marked `#[ignore]` state
//! the expected behaviour of a row the library gets wrong today (see FAULT-MATRIX.md).
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::json::parse;
use oauth2_wasm_core::response::{MAX_BODY_EXCERPT, MAX_LIFETIME_SECS};
use oauth2_wasm_core::session::{
    self, decode_record, encode_record, next, refresh_refused, renewal, Next, Stored, TokenRecord,
};
use oauth2_wasm_core::transport;
use oauth2_wasm_core::{
    build_token_request, parse_token_response, BasicEncoding, BodyEncoding, ClientAuth, ClientConfig, ErrorKind, Grant,
    OAuthError, Quirk, ResourceOwner, ResponseContext, Secret, TokenRequest, TokenSet, Value, MAX_RESPONSE_BYTES,
};

/// When the request was sent, in every parse below.
const NOW: u64 = 1_700_000_000_000;

// ------------------------------------------------------------------------------------------
// Helpers

fn client(endpoint: &str) -> ClientConfig {
    ClientConfig::new(endpoint)
}

fn confidential(id: &str, secret: &str) -> ClientConfig {
    let mut c = client("https://as.example/token");
    c.client_id = Some(id.into());
    c.client_secret = Some(secret.into());
    c
}

fn cc() -> Grant {
    Grant::ClientCredentials { scope: None }
}

fn password(user: &str, pw: &str) -> Grant {
    Grant::Password { owner: ResourceOwner::Username(user.into()), password: pw.into(), scope: None }
}

fn refresh(rt: &str, scope: Option<&str>) -> Grant {
    Grant::RefreshToken { refresh_token: rt.into(), scope: scope.map(str::to_owned) }
}

fn build(c: &ClientConfig, g: &Grant) -> TokenRequest {
    build_token_request(c, g).unwrap_or_else(|e| panic!("expected a request, got {e}"))
}

fn refused(c: &ClientConfig, g: &Grant) -> OAuthError {
    let e = build_token_request(c, g).expect_err("expected a config error");
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    let field = e.field.clone().expect("a config error names its field");
    assert!(e.message.starts_with(&field), "the message starts with the field: {}", e.message);
    e
}

fn header<'a>(req: &'a TokenRequest, name: &str) -> Option<&'a str> {
    req.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn param(body: &str, name: &str) -> Option<String> {
    form(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn form_decode(s: &str) -> String {
    param(&["x=", s].concat(), "x").unwrap_or_default()
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let data: Vec<u32> = chunk.iter().copied().filter(|&c| c != b'=').map(val).collect();
        let n = data.iter().fold(0u32, |acc, &d| (acc << 6) | d) << (6 * (4 - data.len()));
        out.extend_from_slice(&n.to_be_bytes()[1..data.len()]);
    }
    out
}

/// The two halves of `Authorization: Basic …`, as sent (still form-encoded when they were).
fn basic_halves(req: &TokenRequest) -> (String, String) {
    let value = header(req, "authorization").expect("an Authorization header");
    let b64 = value.strip_prefix("Basic ").expect("Basic credentials");
    let plain = String::from_utf8(base64_decode(b64)).expect("UTF-8 credentials");
    let (id, secret) = plain.split_once(':').expect("id:secret");
    (id.to_owned(), secret.to_owned())
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn parse_with(status: u16, body: &str, hs: &[(String, String)], strict: bool) -> Result<TokenSet, OAuthError> {
    let cx = ResponseContext { now_ms: NOW, headers: hs, strict, human_fields: None };
    parse_token_response(status, body, &cx)
}

fn ok(status: u16, body: &str) -> TokenSet {
    parse_token_response(status, body, &ResponseContext::at(NOW)).unwrap_or_else(|e| panic!("{body}: {e}"))
}

fn fail(status: u16, body: &str) -> OAuthError {
    match parse_token_response(status, body, &ResponseContext::at(NOW)) {
        Ok(t) => panic!("{body}: expected an error, got {t:?}"),
        Err(e) => e,
    }
}

fn strict_fail(status: u16, body: &str) -> OAuthError {
    parse_with(status, body, &[], true).expect_err("strict refuses it")
}

fn quirks(q: &[Quirk]) -> Vec<&'static str> {
    q.iter().map(|q| q.as_str()).collect()
}

/// A success body with `extra` members after `access_token`.
fn success(extra: &str) -> String {
    if extra.is_empty() {
        r#"{"access_token":"at-1","token_type":"Bearer"}"#.to_owned()
    } else {
        format!(r#"{{"access_token":"at-1","token_type":"Bearer",{extra}}}"#)
    }
}

fn invalid_field(status: u16, body: &str, field: &str) {
    let e = fail(status, body);
    assert_eq!(e.kind, ErrorKind::InvalidResponse, "{body}: {e}");
    assert_eq!(e.field.as_deref(), Some(field), "{body}: {e}");
    assert_eq!(e.status, Some(status));
}

fn value(json: &str) -> Value {
    parse(json).expect("test JSON")
}

fn record(obtained_at: u64, lifetime_secs: Option<u64>, rt: Option<&str>) -> TokenRecord {
    TokenRecord {
        access_token: Secret::new("at-1"),
        token_type: "bearer".into(),
        obtained_at,
        expires_at: lifetime_secs.map(|s| obtained_at + s * 1000),
        refresh_token: rt.map(Secret::new),
        scope: Some("read".into()),
    }
}

fn olx() -> ClientConfig {
    let mut c = client("https://www.autovit.ro/api/open/oauth/token");
    c.client_id = Some(123u64.into());
    c.client_secret = Some("client-secret-never-stored".into());
    c
}

fn decode(text: &str, c: &ClientConfig) -> Stored {
    decode_record(Some(text), c)
}

// ------------------------------------------------------------------------------------------
// 4.1 Building the request

#[test]
fn r01_reserved_characters_in_basic_credentials() {
    // RFC 6749 Appendix B: " %&+£€" becomes "+%25%26%2B%C2%A3%E2%82%AC", in each half.
    let req = build(&confidential(" %&+£€", " %&+£€"), &cc());
    assert_eq!(basic_halves(&req), ("+%25%26%2B%C2%A3%E2%82%AC".into(), "+%25%26%2B%C2%A3%E2%82%AC".into()));
    // AppAuth-Android#337: '/', '+', ':', '=' in the secret; ':' never splits the pair early.
    let (id, secret) = ("1PpG/Q 1", "a/b+c:d=e%f&g!~*'()");
    let (eid, esecret) = basic_halves(&build(&confidential(id, secret), &cc()));
    assert_eq!(eid, "1PpG%2FQ+1");
    assert_eq!(esecret, "a%2Fb%2Bc%3Ad%3De%25f%26g%21%7E*%27%28%29");
    assert_eq!((form_decode(&eid), form_decode(&esecret)), (id.to_owned(), secret.to_owned()));
    // The choice is WHATWG form-encoding: only alphanumerics and `*-._` stay as they are.
    let (eid, _) = basic_halves(&build(&confidential("client %&+-_.!~*'()", "s"), &cc()));
    assert_eq!(eid, "client+%25%26%2B-_.%21%7E*%27%28%29");
    assert!(eid.bytes().all(|b| b.is_ascii_alphanumeric() || b"%+*-._".contains(&b)));
}

#[test]
fn r02_server_that_does_not_decode_basic_gets_an_explicit_option() {
    let (id, secret) = ("my+client", "s3cr=t/+");
    // The default stays RFC 6749 §2.3.1: form-encoded halves, never raw behind the caller's back.
    let default = build(&confidential(id, secret), &cc());
    assert_eq!(basic_halves(&default), ("my%2Bclient".into(), "s3cr%3Dt%2F%2B".into()));
    // Opt-in 1: credentials in the body, no Authorization header.
    let mut body = confidential(id, secret);
    body.client_auth = Some(ClientAuth::Body);
    let req = build(&body, &cc());
    assert_eq!(header(&req, "authorization"), None);
    assert_eq!(
        (param(&req.body, "client_id"), param(&req.body, "client_secret")),
        (Some(id.into()), Some(secret.into()))
    );
    // Opt-in 2: raw Basic, the UTF-8 bytes as they are (what `curl --user` sends).
    let mut raw = confidential(id, secret);
    raw.basic_encoding = BasicEncoding::Raw;
    assert_eq!(basic_halves(&build(&raw, &cc())), (id.into(), secret.into()));
    let mut colon = confidential("a:b", secret);
    colon.basic_encoding = BasicEncoding::Raw;
    assert_eq!(refused(&colon, &cc()).field.as_deref(), Some("clientId"), "raw Basic cannot carry ':' in the id");
    // After invalid_client, the hint names both options — only when encoding changed something.
    let invalid_client = fail(401, r#"{"error":"invalid_client"}"#);
    let hint = transport::invalid_client_hint(&confidential(id, secret), &invalid_client).expect("a hint");
    assert!(hint.contains("basicEncoding \"raw\"") && hint.contains("clientAuth \"body\""), "{hint}");
    let plain = transport::invalid_client_hint(&confidential("plain", "alnum123"), &invalid_client).expect("a hint");
    assert!(!plain.contains("basicEncoding") && plain.contains("clientAuth \"body\""), "{plain}");
}

#[test]
fn issue18_the_invalid_client_hint_follows_how_the_request_authenticated() {
    let invalid_client = fail(401, r#"{"error":"invalid_client"}"#);
    let hint = |client: &ClientConfig| transport::invalid_client_hint(client, &invalid_client).expect("a hint");
    // The parser alone does not know the client: it suggests no option.
    let bare = invalid_client.hint.as_deref().unwrap_or_default();
    assert!(!bare.contains("basicEncoding") && !bare.contains("clientAuth"), "{bare}");
    // Body auth sent no Basic header: never "try clientAuth body" nor "basicEncoding".
    for (id, secret) in [("c", "plain"), ("c", "s3cr+t/=")] {
        let mut body = confidential(id, secret);
        body.client_auth = Some(ClientAuth::Body);
        let h = hint(&body);
        assert!(!h.contains("clientAuth \"body\"") && !h.contains("basicEncoding"), "{h}");
        assert!(h.contains("clientAuth \"basic\""), "{h}");
    }
    // Raw Basic: never "try basicEncoding raw".
    for secret in ["plain", "s3cr+t/="] {
        let mut raw = confidential("c", secret);
        raw.basic_encoding = BasicEncoding::Raw;
        let h = hint(&raw);
        assert!(!h.contains("basicEncoding \"raw\"") && h.contains("clientAuth \"body\""), "{h}");
        assert_eq!(h.contains("basicEncoding \"form\""), secret != "plain", "{h}");
    }
    // A public client: told to authenticate, not to change an encoding it never used.
    let mut public = ClientConfig::new("https://as.example/token");
    public.client_id = Some("c".into());
    let h = hint(&public);
    assert!(h.contains("clientSecret") && !h.contains("basicEncoding"), "{h}");
    // Other errors get no hint from here.
    assert_eq!(transport::invalid_client_hint(&public, &fail(400, r#"{"error":"invalid_grant"}"#)), None);
    // The settings each hint suggests, as values (what the CLI shows as its options).
    let mut body = confidential("c", "plain");
    body.client_auth = Some(ClientAuth::Body);
    assert_eq!(hint(&body).about, &[("clientId", None), ("clientSecret", None), ("clientAuth", Some("basic"))]);
    let encoded = hint(&confidential("c", "s3cr+t/="));
    assert_eq!(encoded.about, &[("basicEncoding", Some("raw")), ("clientAuth", Some("body"))]);
    let mut refined = invalid_client.clone();
    refined.set_hint(encoded.text, encoded.about);
    let names: Vec<(&str, Option<&str>)> =
        refined.suggestions.iter().map(|s| (s.setting.as_str(), s.value.as_deref())).collect();
    assert_eq!(names, [("basicEncoding", Some("raw")), ("clientAuth", Some("body"))]);
    // The parser's own hints say which settings they are about, too.
    let about = |e: &OAuthError| e.suggestions.iter().map(|s| s.setting.clone()).collect::<Vec<_>>();
    assert_eq!(about(&invalid_client), ["clientId", "clientSecret"]);
    assert_eq!(about(&fail(404, "")), ["tokenEndpoint"]);
    let timeout = transport::fault_error(&transport::TransportFault::Timeout(5), transport::Runtime::Server);
    assert_eq!(about(&timeout), ["timeoutMs", "tokenEndpoint"]);
}

#[test]
fn r03_non_ascii_credentials_are_utf8_then_percent_encoded() {
    let (user, pw, secret) = ("zażółć@例え.jp", "pässwörd 密码 🔑", "sécret🔑");
    let mut c = confidential("id-é", secret);
    let req = build(&c, &password(user, pw));
    assert!(req.body.is_ascii() && header(&req, "authorization").is_some_and(str::is_ascii));
    assert!(req.body.contains("%F0%9F%94%91"), "the key emoji as its four UTF-8 bytes: {}", req.body);
    assert_eq!((param(&req.body, "username"), param(&req.body, "password")), (Some(user.into()), Some(pw.into())));
    let (eid, esecret) = basic_halves(&req);
    assert_eq!((form_decode(&eid), form_decode(&esecret)), ("id-é".to_owned(), secret.to_owned()));
    // Raw Basic: base64 over the UTF-8 bytes (never btoa over a JS string).
    c.basic_encoding = BasicEncoding::Raw;
    assert_eq!(basic_halves(&build(&c, &cc())), ("id-é".into(), secret.into()));
    // JSON bodies carry the text as JSON strings.
    c.client_auth = Some(ClientAuth::Body);
    c.body_encoding = BodyEncoding::Json;
    let json: serde_json::Value = serde_json::from_str(&build(&c, &password(user, pw)).body).unwrap();
    assert_eq!((json["password"].as_str(), json["client_secret"].as_str()), (Some(pw), Some(secret)));
}

#[test]
fn r04_line_breaks_in_username_or_password_are_refused() {
    let c = confidential("c", "s");
    for (grant, field) in [
        (password("alice\n", "pw-1234567"), "username"),
        (password("alice", "pw-1234567\r"), "password"),
        (password("alice", "pw-12\r\n34567"), "password"),
        (password("alice", "pw-1234567\0"), "password"),
        (
            Grant::Password {
                owner: ResourceOwner::EmailAddress("a@b.c\r\nBcc: x".into()),
                password: "pw-1234567".into(),
                scope: None,
            },
            "emailAddress",
        ),
    ] {
        let e = refused(&c, &grant);
        assert_eq!(e.field.as_deref(), Some(field));
        assert!(!e.message.contains("pw-12"), "the password is not quoted: {}", e.message);
    }
    // Never trimmed or normalised: spaces and tabs are sent as they are.
    let req = build(&c, &password(" alice ", "\tpw "));
    assert_eq!(
        (param(&req.body, "username"), param(&req.body, "password")),
        (Some(" alice ".into()), Some("\tpw ".into()))
    );
}

#[test]
fn r05_empty_client_secret_is_a_public_client() {
    let mut c = confidential("public-app", "");
    let req = build(&c, &cc());
    assert_eq!(header(&req, "authorization"), None, "no Basic");
    assert_eq!(param(&req.body, "client_id").as_deref(), Some("public-app"));
    assert_eq!(param(&req.body, "client_secret"), None, "no client_secret=");
    c.client_secret = Some("   ".into());
    assert_eq!(refused(&c, &cc()).field.as_deref(), Some("clientSecret"), "whitespace only is an error");
}

#[test]
fn r06_empty_grant_values_are_refused_before_sending() {
    let c = confidential("c", "s");
    let grants = [
        (password("", "pw"), "username"),
        (password("alice", ""), "password"),
        (refresh("", None), "refreshToken"),
        (Grant::Partner { partner_code: "".into(), partner_secret: "ps".into(), scope: None }, "partnerCode"),
        (Grant::Partner { partner_code: "pc".into(), partner_secret: "".into(), scope: None }, "partnerSecret"),
        (Grant::AuthorizationCode { code: "".into(), redirect_uri: None, code_verifier: None }, "code"),
    ];
    for (grant, field) in grants {
        assert_eq!(refused(&c, &grant).field.as_deref(), Some(field));
    }
    // Missing members of a grant given as an object (the JS shape).
    for (json, field) in [
        (r#"{"grantType":"refresh_token"}"#, "refreshToken"),
        (r#"{"grantType":"password","username":"a"}"#, "password"),
        (r#"{"grantType":"partner","partnerCode":"pc"}"#, "partnerSecret"),
        (r#"{"grantType":"refresh_token","refreshToken":5}"#, "refreshToken"),
    ] {
        let e = Grant::from_value(&value(json)).expect_err(json);
        assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Config, Some(field)), "{json}");
    }
}

#[test]
fn r07_extra_params_may_not_override_managed_ones() {
    let with_extra = |name: &str, auth: Option<ClientAuth>| {
        let mut c = confidential("c", "s");
        c.client_auth = auth;
        c.extra_params = vec![(name.to_owned(), "attacker".to_owned())];
        c
    };
    // What the library always sets, whatever the client authentication.
    for name in ["grant_type", "client_id", "client_secret"] {
        for auth in [None, Some(ClientAuth::Body)] {
            let e = refused(&with_extra(name, auth), &cc());
            assert_eq!(e.field, Some(format!("extraParams.{name}")));
        }
    }
    // What the grant sets.
    let scoped = |g: Grant| match g {
        Grant::Password { owner, password, .. } => Grant::Password { owner, password, scope: Some("read".into()) },
        other => other,
    };
    for name in ["username", "password", "scope"] {
        refused(&with_extra(name, None), &scoped(password("alice", "pw")));
    }
    refused(&with_extra("refresh_token", None), &refresh("rt", None));
    let ext = Grant::Extension { grant_type: "partner".into(), params: vec![("grant_type".into(), "password".into())] };
    assert_eq!(refused(&confidential("c", "s"), &ext).field.as_deref(), Some("params.grant_type"));
    // A parameter the library does not set on this request is sent, once.
    let req = build(&with_extra("scope", None), &cc());
    assert_eq!(form(&req.body).iter().filter(|(k, _)| k == "scope").count(), 1);
}

#[test]
fn r08_the_same_extra_parameter_twice_is_refused() {
    let mut c = confidential("c", "s");
    c.extra_params = vec![("audience".into(), "a".into()), ("audience".into(), "b".into())];
    assert_eq!(refused(&c, &cc()).field.as_deref(), Some("extraParams.audience"));
    let ext = Grant::Extension {
        grant_type: "urn:vendor:grant".into(),
        params: vec![("code".into(), "1".into()), ("code".into(), "2".into())],
    };
    assert_eq!(refused(&confidential("c", "s"), &ext).field.as_deref(), Some("params.code"));
}

#[test]
fn r09_basic_and_body_credentials_are_never_both_sent() {
    for encoding in [BodyEncoding::Form, BodyEncoding::Json] {
        let mut c = confidential("cid", "secret-value");
        c.body_encoding = encoding;
        let basic = build(&c, &password("alice", "pw"));
        assert!(header(&basic, "authorization").is_some());
        assert!(!basic.body.contains("client_secret") && !basic.body.contains("client_id"), "{}", basic.body);
        assert!(!basic.body.contains("secret-value"));
        c.client_auth = Some(ClientAuth::Body);
        let body = build(&c, &password("alice", "pw"));
        assert_eq!(header(&body, "authorization"), None);
        assert!(body.body.contains("secret-value"));
    }
    let mut none = confidential("cid", "secret-value");
    none.client_auth = Some(ClientAuth::None);
    assert_eq!(refused(&none, &cc()).field.as_deref(), Some("clientSecret"), "a secret with no way to send it");
}

#[test]
fn r10_scope_tokens_outside_nqchar_are_refused() {
    let c = client("https://as.example/token");
    let with = |s: &str| Grant::ClientCredentials { scope: Some(s.into()) };
    for bad in ["read \"write\"", "a\\b", "read\twrite", "r\u{e9}ad", "read\u{1}"] {
        assert_eq!(refused(&c, &with(bad)).field.as_deref(), Some("scope"), "{bad:?}");
    }
    for empty in ["", "   "] {
        assert_eq!(param(&build(&c, &with(empty)).body, "scope"), None, "{empty:?} leaves scope out");
    }
    assert_eq!(param(&build(&c, &with("read write")).body, "scope").as_deref(), Some("read write"));
    let arr = Grant::from_value(&value(r#"{"grantType":"client_credentials","scope":["read","write"]}"#)).unwrap();
    assert_eq!(param(&build(&c, &arr).body, "scope").as_deref(), Some("read write"));
    let quote = Grant::from_value(&value(r#"{"grantType":"client_credentials","scope":["read","wr\"ite"]}"#)).unwrap();
    assert_eq!(refused(&c, &quote).field.as_deref(), Some("scope"));
}

#[test]

fn r10_scope_array_element_with_a_space_is_refused() {
    // README: "scope is a space-separated string or an array of tokens" and "a scope token
    // with a space … throws config". `["read write"]` is one token with a space; today it is
    // joined and sent as two tokens (`scope=read+write`).
    let c = client("https://as.example/token");
    let result = Grant::from_value(&value(r#"{"grantType":"client_credentials","scope":["read write","x"]}"#))
        .and_then(|g| build_token_request(&c, &g));
    let e = result.expect_err("an array element with a space is refused");
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Config, Some("scope")));
}

#[test]
fn r11_refresh_with_a_wider_scope_is_sent_and_invalid_scope_is_an_oauth_error() {
    // The pure builder does not know the granted scope: it sends what it is given …
    let req = build(&confidential("c", "s"), &refresh("rt-1", Some("read admin")));
    assert_eq!(param(&req.body, "scope").as_deref(), Some("read admin"));
    // … and the server's refusal is an OAuth error that does not end the session.
    let e = fail(400, r#"{"error":"invalid_scope","error_description":"admin was not granted"}"#);
    assert_eq!((e.kind, e.error.as_deref()), (ErrorKind::OAuth, Some("invalid_scope")));
    assert!(!refresh_refused(&e));
    // The manager refreshes without scope (= the original grant) and keeps the granted scope.
    let granted = record(0, Some(60), Some("rt-1"));
    let answer = ok(200, r#"{"access_token":"b","token_type":"Bearer","expires_in":60}"#);
    assert_eq!(TokenRecord::from_response(&answer, 1_000, Some(&granted)).scope.as_deref(), Some("read"));
}

#[test]
fn r12_http_endpoints_are_refused_except_loopback() {
    for url in [
        "http://as.example/token",
        "http://127.0.0.1.evil.example/t",
        "http://localhost.evil.example/t",
        "http://0.0.0.0/t",
        // *.localhost names go to the system resolver in Node: not loopback (issue 13).
        "http://api.localhost/token",
    ] {
        let e = refused(&client(url), &cc());
        assert_eq!(e.field.as_deref(), Some("tokenEndpoint"), "{url}");
        assert!(e.message.contains("https"), "{url}: {}", e.message);
    }
    for url in [
        "http://localhost:8080/token",
        "http://127.0.0.1/token",
        "http://127.45.6.7:9/token",
        "http://[::1]:9000/token",
        "HTTPS://AS.EXAMPLE/token",
    ] {
        build(&client(url), &cc());
    }
    let mut opt_in = client("http://as.example/token");
    opt_in.allow_insecure_http = true;
    build(&opt_in, &cc());
}

#[test]
fn r13_endpoints_with_fragment_userinfo_or_other_schemes_are_refused() {
    for url in [
        "https://as.example/token#frag",
        "https://user:pass@as.example/token",
        "https://user@as.example/token",
        "javascript:alert(1)",
        "data:application/json,{}",
        "file:///etc/passwd",
        "ftp://as.example/token",
        "//as.example/token",
        "/token",
        "https://as.example:99999/token",
        "https://as.example/to ken",
    ] {
        assert_eq!(refused(&client(url), &cc()).field.as_deref(), Some("tokenEndpoint"), "{url}");
    }
}

#[test]
fn r14_a_query_in_the_endpoint_is_kept_and_secrets_stay_out_of_the_url() {
    let mut c = confidential("cid", "secret-value");
    c.token_endpoint = "https://as.example/token?tenant=x&v=2".into();
    c.client_auth = Some(ClientAuth::Body);
    let req = build(&c, &password("alice", "pw-value"));
    assert_eq!(req.url, "https://as.example/token?tenant=x&v=2");
    assert_eq!(header(&req, "content-type"), Some("application/x-www-form-urlencoded"));
    for s in ["secret-value", "pw-value", "alice", "cid"] {
        assert!(!req.url.contains(s), "{s} in the URL");
    }
}

#[test]
fn r15_library_headers_cannot_be_overridden_and_values_are_one_line() {
    for name in ["Authorization", "authorization", "Content-Type", "Accept", "Content-Length", "HOST"] {
        let mut c = confidential("c", "s");
        c.headers = vec![(name.into(), "x".into())];
        assert_eq!(refused(&c, &cc()).field, Some(format!("headers.{name}")));
    }
    for (name, value) in [("X-Api-Key", "k\r\nX-Evil: 1"), ("X-Api-Key", "k\n"), ("X Bad", "v"), ("", "v")] {
        let mut c = confidential("c", "s");
        c.headers = vec![(name.into(), value.into())];
        refused(&c, &cc());
    }
    // Characters fetch (a byte string) or node:http would refuse at send time.
    for value in ["caf\u{e9}\u{20ac}", "a\u{1}b", "del\u{7f}"] {
        let mut c = confidential("c", "s");
        c.headers = vec![("X-Tenant".into(), value.into())];
        let e = refused(&c, &cc());
        assert_eq!(e.field.as_deref(), Some("headers.X-Tenant"));
        assert!(e.message.contains("cannot carry"), "{}", e.message);
    }
    let mut c = confidential("c", "s");
    c.headers = vec![("X-Tenant".into(), "caf\u{e9}\tok".into())];
    assert_eq!(header(&build(&c, &cc()), "x-tenant"), Some("caf\u{e9}\tok"), "Latin-1 and tab pass");
    let mut c = confidential("c", "s");
    c.headers = vec![("User-Agent".into(), "app/1".into())];
    let req = build(&c, &cc());
    let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Accept", "Content-Type", "Authorization", "User-Agent"], "the library's come first");
    assert_eq!(header(&req, "accept"), Some("application/json"));
}

#[test]
fn r16_differs_a_browser_secret_draws_a_warning_never_a_refusal() {
    // DESIGN.md §2: warned once per page, never refused (the vendors need it).
    let c = confidential("autograb-client", "autograb-secret");
    let warning = transport::browser_secret_warning(&c, &cc()).expect("a warning for a secret in browser code");
    assert!(warning.contains("clientSecret") && !warning.contains("autograb-secret"), "{warning}");
    build(&c, &cc());
    let mut ack = c.clone();
    ack.acknowledge_browser_secrets = true;
    assert_eq!(transport::browser_secret_warning(&ack, &cc()), None);
    assert_eq!(transport::browser_secret_warning(&client("https://as.example/t"), &cc()), None, "a public client");
}

#[test]
fn r17_password_grant_credentials_are_not_kept() {
    let c = client("https://as.example/token");
    let g = password("user@example.com", "password-value-1");
    let warning = transport::browser_secret_warning(&c, &g).expect("the password grant is warned about");
    assert!(warning.contains("RFC 9700") && !warning.contains("password-value-1"));
    assert!(!format!("{g:?}").contains("password-value-1"), "Debug hides it");
    // What a manager keeps after the login: the record, without the password.
    let tokens = ok(200, r#"{"access_token":"at","token_type":"Bearer","refresh_token":"rt"}"#);
    let text = encode_record(&TokenRecord::from_response(&tokens, NOW, None), &c);
    assert!(!text.contains("password-value-1") && !text.contains("user@example.com"), "{text}");
    // A failed login does not echo the credentials in the error.
    let e = fail(400, r#"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#);
    assert!(!format!("{e} {e:?}").contains("password-value-1"));
}

#[test]
fn r18_extension_grant_type_must_be_a_name_or_absolute_uri() {
    let c = confidential("c", "s");
    let ext = |t: &str| Grant::Extension { grant_type: t.into(), params: vec![("partner_code".into(), "p".into())] };
    for good in ["partner", "vendor.grant-v1_2", "urn:ietf:params:oauth:grant-type:jwt-bearer", "https://v.example/g"] {
        let req = build(&c, &ext(good));
        assert_eq!(param(&req.body, "grant_type").as_deref(), Some(good));
    }
    for bad in ["", "bad grant", "grant/type", "a\nb", "pärtner", "urn:with space"] {
        assert_eq!(refused(&c, &ext(bad)).field.as_deref(), Some("grantType"), "{bad:?}");
    }
    let e = Grant::from_value(&value(r#"{"grantType":"partner_v2"}"#)).expect_err("an unknown grant needs params");
    assert_eq!(e.field.as_deref(), Some("grantType"));
}

// ------------------------------------------------------------------------------------------
// 4.2 Status, headers and body shape

#[test]
fn p01_minimal_success_has_unknown_expiry_and_no_refresh_token() {
    let t = ok(200, r#"{"access_token":"a","token_type":"Bearer"}"#);
    assert_eq!((t.access_token.expose(), t.token_type.as_str()), ("a", "Bearer"));
    assert_eq!((t.expires_in, t.expires_at, t.refresh_token.is_none(), t.scope.as_deref()), (None, None, true, None));
    assert!(t.quirks.is_empty());
    // Unknown expiry is "use until a 401", not "expired".
    let r = TokenRecord::from_response(&t, NOW, None);
    assert_eq!(next(Some(&r), u64::MAX, None, false), Next::Use);
}

#[test]
fn p02_malformed_json_is_invalid_response_with_status_and_type() {
    let hs = headers(&[("Content-Type", "application/json")]);
    for body in [
        r#"{""#,
        r#"{"access_token":"secret-token-value"#,
        r#"{"access_token":"secret-token-value","token_type":"Bearer"} trailing"#,
        r#"{"access_token":"secret-token-value","token_type":"Bearer",}"#,
    ] {
        let e = parse_with(200, body, &hs, false).expect_err(body);
        assert_eq!(e.kind, ErrorKind::InvalidResponse, "{body}");
        assert_eq!((e.status, e.content_type.as_deref()), (Some(200), Some("application/json")));
        assert!(e.message.contains("not JSON"), "{}", e.message);
        let shown = format!("{e} {e:?} {:?}", e.body);
        assert!(!shown.contains("secret-token-value"), "the excerpt is redacted: {shown}");
    }
    let comma = fail(200, "{\"access_token\":\"a\",\n}");
    assert!(comma.hint.is_some_and(|h| h.contains("trailing comma")));
}

#[test]
fn p03_json_that_is_not_an_object() {
    for body in ["null", "[]", r#"["access_token"]"#, r#""x""#, "42", "true"] {
        let e = fail(200, body);
        assert_eq!(e.kind, ErrorKind::InvalidResponse, "{body}");
        assert!(e.message.contains("not an object"), "{body}: {}", e.message);
    }
}

#[test]
fn p04_html_error_pages_are_http_errors_by_status() {
    let html = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>";
    for status in [502, 503, 504, 403] {
        let e = parse_with(status, html, &headers(&[("Content-Type", "text/html; charset=utf-8")]), false).unwrap_err();
        assert_eq!((e.kind, e.status), (ErrorKind::Http, Some(status)));
        assert_eq!(e.content_type.as_deref(), Some("text/html; charset=utf-8"));
        assert!(!e.message.contains('<'), "the message does not show the HTML: {}", e.message);
        assert!(e.body.is_some_and(|b| b.len() <= MAX_BODY_EXCERPT + 3), "a bounded excerpt for debugging");
    }
    let e = parse_with(502, html, &headers(&[("Content-Type", "text/html")]), false).unwrap_err();
    assert!(e.hint.is_some_and(|h| h.contains("HTML")));
    let success = parse_with(200, html, &headers(&[("Content-Type", "text/html")]), false).unwrap_err();
    assert_eq!((success.kind, success.status), (ErrorKind::InvalidResponse, Some(200)));
    assert!(success.hint.is_some_and(|h| h.contains("HTML")));
}

#[test]
fn p05_json_media_type_is_case_insensitive_with_parameters() {
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json  ",
        "APPLICATION/JSON;charset=UTF-8",
        "application/vnd.api+json",
    ] {
        let t = parse_with(200, &success(""), &headers(&[("Content-Type", ct)]), true)
            .unwrap_or_else(|e| panic!("{ct}: {e}"));
        assert!(t.quirks.is_empty(), "{ct}: {:?}", t.quirks);
    }
}

#[test]
fn p06_json_without_a_json_content_type_is_parsed_and_reported() {
    for hs in [headers(&[("Content-Type", "text/plain")]), headers(&[("Date", "Sun, 06 Nov 1994 08:49:37 GMT")])] {
        let t = parse_with(200, &success(""), &hs, false).unwrap();
        assert_eq!(quirks(&t.quirks), ["content_type_not_json"]);
        assert_eq!(parse_with(200, &success(""), &hs, true).unwrap_err().kind, ErrorKind::InvalidResponse, "strict");
    }
    assert!(ok(200, &success("")).quirks.is_empty(), "without headers nothing is said of the type");
    // The type matters only when the body is not JSON.
    let e = parse_with(200, "access_token=a&token_type=bearer", &headers(&[("Content-Type", "text/plain")]), false);
    let e = e.unwrap_err();
    assert_eq!((e.kind, e.content_type.as_deref()), (ErrorKind::InvalidResponse, Some("text/plain")));
    assert!(!e.body.unwrap_or_default().contains("access_token=a"), "redacted even in a form body");
}

#[test]
fn p07_empty_success_body() {
    for body in ["", "   \r\n"] {
        let e = fail(200, body);
        assert_eq!((e.kind, e.status), (ErrorKind::InvalidResponse, Some(200)));
        assert!(e.message.contains("empty body"), "{}", e.message);
    }
}

#[test]
fn p08_empty_error_body_is_an_http_error_without_oauth_fields() {
    for status in [400, 401, 404, 500, 503] {
        let e = fail(status, "");
        assert_eq!((e.kind, e.status), (ErrorKind::Http, Some(status)));
        assert!(e.message.contains("empty body"), "{}", e.message);
        assert!(e.error.is_none() && e.error_description.is_none() && e.raw.is_none() && e.body.is_none());
    }
    assert!(fail(404, "").hint.is_some_and(|h| h.contains("tokenEndpoint")));
}

#[test]
fn p09_differs_other_2xx_statuses_are_accepted_with_a_quirk() {
    // README quirks: `success_status_not_200`; `strict` refuses it.
    for status in [201, 202, 203] {
        let t = ok(status, &success(""));
        assert_eq!(quirks(&t.quirks), ["success_status_not_200"], "{status}");
        assert_eq!(strict_fail(status, &success("")).kind, ErrorKind::InvalidResponse);
    }
    let no_content = fail(204, "");
    assert_eq!((no_content.kind, no_content.status), (ErrorKind::InvalidResponse, Some(204)));
}

#[test]
fn p10_redirects_are_errors_never_followed() {
    for status in [0, 301, 302, 303, 307, 308] {
        assert!(transport::is_redirect(status), "{status}");
    }
    assert!(!transport::is_redirect(200) && !transport::is_redirect(400));
    let e = transport::redirect_error(307, Some("https://login.example/sso"));
    assert_eq!((e.kind, e.status), (ErrorKind::Http, Some(307)));
    assert!(e.message.contains("not followed") && e.hint.is_some_and(|h| h.contains("https://login.example/sso")));
    let opaque = transport::redirect_error(0, None);
    assert_eq!((opaque.kind, opaque.status), (ErrorKind::Http, None), "a browser's opaque redirect has no status");
    // Should a 3xx body ever reach the parser, it is still not a token.
    assert_eq!(fail(302, "<html>Moved</html>").kind, ErrorKind::Http);
}

/// The outcome `src/web/exchange.js` reports for one request, as the core reads it: every
/// transport row above reaches the wasm this way.
#[test]
fn transport_outcomes_read_as_exchange_js_reports_them() {
    use transport::{read_outcome, Outcome, Runtime};
    let read = |o: Outcome| read_outcome(&o, 300, Runtime::Server);
    let err = |o: Outcome| read(o).expect_err("an error");
    let response = |status: f64| Outcome { status: Some(status), sent_at: Some(1.0), ..Outcome::default() };
    let fault = |f: &str| Outcome { fault: Some(f.into()), ..Outcome::default() };

    let ok = read(Outcome {
        sent_at: Some(1_700_000_000_000.0),
        kind: Some("basic".into()),
        content_type: Some("application/json".into()),
        date: Some("Mon".into()),
        body: Some("{\"a\":\n1}".into()),
        ..response(200.0)
    })
    .expect("a response");
    assert_eq!((ok.status, ok.sent_at_ms, ok.body.as_str()), (200, 1_700_000_000_000, "{\"a\":\n1}"), "the body whole");
    let headers = [("content-type".to_owned(), "application/json".to_owned()), ("date".to_owned(), "Mon".to_owned())];
    assert_eq!(ok.headers, headers);
    let empty = read(Outcome { body: Some(String::new()), ..response(204.0) }).expect("an empty body");
    assert_eq!((empty.status, empty.body.as_str(), empty.headers.len()), (204, "", 0));

    let timeout = err(fault("timeout"));
    assert_eq!(timeout.kind, ErrorKind::Timeout);
    assert!(timeout.message.contains("300 ms"), "{}", timeout.message);
    assert_eq!(err(fault("aborted")).kind, ErrorKind::Aborted);
    let reset = err(Outcome { code: Some("ECONNRESET".into()), during_body: true, ..fault("network") });
    assert_eq!(reset.kind, ErrorKind::Network);
    assert!(reset.message.contains("while reading") && reset.message.contains("(ECONNRESET)"), "{}", reset.message);
    let odd = err(Outcome { code: Some("not a code!".into()), ..fault("network") });
    assert!(!odd.message.contains("not a code") && !odd.message.contains("while reading"), "{}", odd.message);
    assert_eq!(err(fault("notresponse")).kind, ErrorKind::Network);
    // No status, or one that is not a status: unreadable, a network error.
    for garbage in [Outcome::default(), response(-1.0), response(200.5), response(1000.0), response(f64::NAN)] {
        assert_eq!(err(garbage.clone()).kind, ErrorKind::Network, "{garbage:?}");
    }

    assert_eq!(err(Outcome { kind: Some("cors".into()), ..response(0.0) }), transport::unreadable_error("cors"));
    assert_eq!(err(response(0.0)), transport::unreadable_error("unknown"));
    let opaque = Outcome { kind: Some("opaqueredirect".into()), ..response(0.0) };
    assert_eq!(err(opaque), transport::redirect_error(0, None));
    let moved = Outcome { location: Some("https://login.example/sso".into()), ..response(302.0) };
    assert_eq!(err(moved), transport::redirect_error(302, Some("https://login.example/sso")));
    let big = Outcome { content_type: Some("application/json".into()), oversized: true, ..response(200.0) };
    assert_eq!(err(big), transport::oversized_error(200, Some("application/json")));
    // The body may hold tokens: Debug shows its length.
    let secret = Outcome { body: Some("{\"access_token\":\"live\"}".into()), ..response(200.0) };
    assert!(!format!("{secret:?}").contains("live"));
}

#[test]
fn p11_differs_the_response_cap_is_256_kib() {
    // README: bodies are read up to 256 KiB (`MAX_RESPONSE_BYTES`), not 64 KiB.
    assert_eq!(MAX_RESPONSE_BYTES, 256 * 1024);
    let big = transport::oversized_error(200, Some("application/json"));
    assert_eq!((big.kind, big.status), (ErrorKind::InvalidResponse, Some(200)));
    assert!(big.message.contains("over 256 KiB"), "{}", big.message);
    assert_eq!(transport::oversized_error(500, None).kind, ErrorKind::Http);
    // Under the cap no size is assumed: a 200 KiB token is a token.
    let token = "t".repeat(200 * 1024);
    let t = ok(200, &format!(r#"{{"access_token":"{token}","token_type":"Bearer"}}"#));
    assert_eq!(t.access_token.expose().len(), 200 * 1024);
}

#[test]
fn p12_deep_nesting_is_a_parse_error_not_a_crash() {
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    for status in [200, 400] {
        let e = fail(status, &deep(10_000));
        assert!(matches!(e.kind, ErrorKind::InvalidResponse | ErrorKind::Http), "{status}: {e}");
    }
    let shallow = ok(200, &success(&format!(r#""x":{}"#, deep(60))));
    assert_eq!(shallow.access_token.expose(), "at-1", "ordinary nesting is fine");
    assert_eq!(fail(200, &success(&format!(r#""x":{}"#, deep(100)))).kind, ErrorKind::InvalidResponse);
}

#[test]
fn p13_byte_order_mark_and_invalid_utf8() {
    let bom = format!("\u{feff}{}", success(""));
    assert_eq!(quirks(&ok(200, &bom).quirks), ["byte_order_mark"]);
    assert_eq!(strict_fail(200, &bom).kind, ErrorKind::InvalidResponse);
    assert_eq!(fail(200, &format!("\u{feff}{bom}")).kind, ErrorKind::InvalidResponse, "one BOM only");
    // Invalid UTF-8 is decoded lossily by the transport; it can never become a token.
    let in_token = String::from_utf8_lossy(b"{\"access_token\":\"a\xff\",\"token_type\":\"Bearer\"}");
    invalid_field(200, &in_token, "access_token");
    let outside = String::from_utf8_lossy(b"\xff\xfe{\"access_token\":\"a\",\"token_type\":\"Bearer\"}");
    assert_eq!(fail(200, &outside).kind, ErrorKind::InvalidResponse);
}

#[test]
fn p14_differs_duplicate_keys_last_one_wins_as_json_parse_does() {
    // `Value::get` keeps the last member, as `JSON.parse` does in the wasm build, so host and
    // wasm agree (JSON.parse cannot report duplicates, so they cannot be refused there).
    let t = ok(200, r#"{"access_token":"first","token_type":"Bearer","access_token":"second"}"#);
    assert_eq!(t.access_token.expose(), "second");
    assert_eq!(t.raw.get("access_token"), Some(&Value::String("second".into())));
    let e = fail(400, r#"{"error":"invalid_request","error":"invalid_grant"}"#);
    assert_eq!(e.error.as_deref(), Some("invalid_grant"));
}

#[test]
fn p15_unknown_members_are_kept_in_raw() {
    let body = success(r#""user_id":42,"id_token":"eyJ.x.y","vendor":{"plan":"gold","limits":[1,2]},"expires_in":60"#);
    let t = ok(200, &body);
    assert!(t.quirks.is_empty());
    assert_eq!(t.raw.get("user_id"), Some(&Value::Number(42.0)));
    assert_eq!(t.raw.get("id_token").and_then(Value::as_str), Some("eyJ.x.y"));
    assert_eq!(t.raw.get("vendor").and_then(|v| v.get("plan")).and_then(Value::as_str), Some("gold"));
}

// ------------------------------------------------------------------------------------------
// 4.3 Success-body fields

#[test]
fn f01_access_token_missing_null_empty_or_not_a_string() {
    for member in [
        "",
        r#","access_token":null"#,
        r#","access_token":"""#,
        r#","access_token":5"#,
        r#","access_token":{}"#,
        r#","access_token":["a"]"#,
    ] {
        invalid_field(200, &format!(r#"{{"token_type":"Bearer"{member}}}"#), "access_token");
    }
}

#[test]
fn f02_access_token_with_controls_or_non_ascii_is_refused() {
    for token in ["a\\r\\nb", "a\\u0001", "t\u{f6}k", "a\\u007f", "\u{1f511}"] {
        invalid_field(200, &format!(r#"{{"access_token":"{token}","token_type":"Bearer"}}"#), "access_token");
    }
    assert_eq!(
        ok(200, r#"{"access_token":"a.b-c_d~e+f/g=","token_type":"Bearer"}"#).access_token.expose(),
        "a.b-c_d~e+f/g="
    );
}

#[test]
fn f03_differs_token_type_casing_is_kept_as_sent() {
    // DESIGN.md: `tokenType` "as sent; compare case-insensitively" — no normalising, no quirk.
    for tt in ["Bearer", "BEARER", "bearer", " bearer"] {
        let t = ok(200, &format!(r#"{{"access_token":"a","token_type":"{tt}"}}"#));
        assert_eq!(t.token_type, tt);
        assert!(t.quirks.is_empty(), "{tt}");
        assert!(t.token_type.trim().eq_ignore_ascii_case("bearer"));
    }
}

#[test]
fn f04_differs_missing_token_type_is_bearer_with_a_quirk() {
    // README quirks: `token_type_missing` — taken as Bearer (LinkedIn, VK, Slack); strict refuses.
    let t = ok(200, r#"{"access_token":"a"}"#);
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(quirks(&t.quirks), ["token_type_missing"]);
    assert_eq!(ok(200, r#"{"access_token":"a","token_type":null}"#).token_type, "Bearer", "null is absent");
    let e = strict_fail(200, r#"{"access_token":"a"}"#);
    assert!(e.message.contains("token_type_missing"), "{}", e.message);
}

#[test]
fn f05_token_type_not_a_string() {
    for tt in ["123", "true", "{}", "[]", r#""""#, r#""   ""#] {
        invalid_field(200, &format!(r#"{{"access_token":"a","token_type":{tt}}}"#), "token_type");
    }
}

#[test]
fn f06_differs_unknown_token_type_is_kept_as_sent() {
    // The parser reports the type as sent (README: `tokenType` "as sent"); the caller decides.
    // The manager sending such a token as Bearer is a separate finding (Node test F6).
    for tt in ["mac", "N_A", "DPoP"] {
        let t = ok(200, &format!(r#"{{"access_token":"a","token_type":"{tt}"}}"#));
        assert_eq!(t.token_type, tt);
        assert!(t.quirks.is_empty());
    }
}

#[test]
fn f07_expires_in_as_a_digits_string_is_accepted() {
    let t = ok(200, &success(r#""expires_in":"3600""#));
    assert_eq!((t.expires_in, t.expires_at), (Some(3600), Some(NOW + 3_600_000)));
    assert_eq!(quirks(&t.quirks), ["expires_in_string"]);
    assert_eq!(strict_fail(200, &success(r#""expires_in":"3600""#)).kind, ErrorKind::InvalidResponse);
}

#[test]
fn f08_expires_in_not_a_number_of_seconds() {
    for v in [
        r#""3600s""#,
        r#""1h""#,
        r#""60abc""#,
        r#""2024-01-01T00:00:00Z""#,
        r#"" 3600""#,
        r#""""#,
        r#""+5""#,
        r#""3.5""#,
        "true",
        "{}",
        "[60]",
    ] {
        invalid_field(200, &success(&format!(r#""expires_in":{v}"#)), "expires_in");
    }
}

#[test]
fn f09_negative_expires_in() {
    for v in ["-1", "-0.5", "-1e9", r#""-5""#] {
        invalid_field(200, &success(&format!(r#""expires_in":{v}"#)), "expires_in");
    }
}

#[test]
fn f10_expires_in_zero_is_expired_on_receipt() {
    let t = ok(200, &success(r#""expires_in":0"#));
    assert_eq!((t.expires_in, t.expires_at), (Some(0), Some(NOW)));
    // Expired as data; how soon it is renewed again is the refresh-loop guard (T12, lead).
    let r = TokenRecord::from_response(&t, NOW, None);
    assert_eq!(r.expires_at, Some(r.obtained_at));
    assert_eq!(next(Some(&r), NOW + 3_600_000, None, true), Next::Reacquire, "not used forever");
}

#[test]
fn f11_fractional_expires_in_is_rounded_down() {
    let t = ok(200, &success(r#""expires_in":3599.7"#));
    assert_eq!((t.expires_in, t.expires_at), (Some(3599), Some(NOW + 3_599_000)));
    assert_eq!(quirks(&t.quirks), ["expires_in_fraction"]);
}

#[test]
fn f12_huge_expires_in_is_clamped_without_overflow() {
    let max_at = NOW + MAX_LIFETIME_SECS * 1000;
    for v in ["1e308", "18446744073709551616", r#""99999999999999999999999999""#, "315619200000"] {
        let t = ok(200, &success(&format!(r#""expires_in":{v}"#)));
        assert_eq!(t.expires_at, Some(max_at), "{v}: clamped to ten years (README)");
    }
    let ten_years = ok(200, &success(r#""expires_in":315360000"#));
    assert_eq!(ten_years.expires_at, Some(NOW + 315_360_000_000), "inside the clamp: as sent");
    // A clock at the end of time saturates instead of wrapping.
    let cx = ResponseContext::at(u64::MAX - 5);
    let t = parse_token_response(200, &success(r#""expires_in":1e308"#), &cx).unwrap();
    assert_eq!(t.expires_at, Some(u64::MAX));
    // Teen Quotes' absolute `expires` is clamped the same way.
    let far = ok(200, &success(r#""expires":1e300"#));
    assert!(far.expires_at.is_some_and(|at| at <= (NOW / 1000 + MAX_LIFETIME_SECS) * 1000));
}

#[test]
fn f13_expires_in_null_is_absent() {
    let t = parse_with(200, &success(r#""expires_in":null"#), &[], true).unwrap();
    assert_eq!((t.expires_in, t.expires_at), (None, None));
}

#[test]
fn f14_differs_refresh_token_null_or_empty_is_absent_other_types_are_refused() {
    // README: members sent as null are absent; `refresh_token_empty` — "" taken as absent.
    let null = ok(200, &success(r#""refresh_token":null"#));
    assert!(null.refresh_token.is_none() && null.quirks.is_empty());
    let empty = ok(200, &success(r#""refresh_token":"""#));
    assert!(empty.refresh_token.is_none());
    assert_eq!(quirks(&empty.quirks), ["refresh_token_empty"]);
    assert_eq!(strict_fail(200, &success(r#""refresh_token":"""#)).kind, ErrorKind::InvalidResponse);
    for v in ["5", "{}", "[]", "true", r#""rt\nX""#] {
        invalid_field(200, &success(&format!(r#""refresh_token":{v}"#)), "refresh_token");
    }
}

#[test]
fn f15_empty_scope_is_an_empty_grant() {
    let t = ok(200, &success(r#""scope":"""#));
    assert_eq!(t.scope.as_deref(), Some(""));
    assert!(t.quirks.is_empty());
}

#[test]
fn f16_scope_null_is_absent_other_types_are_refused() {
    assert_eq!(ok(200, &success(r#""scope":null"#)).scope, None);
    for v in ["5", "{}", "true", "[1]", r#"["a",null]"#] {
        invalid_field(200, &success(&format!(r#""scope":{v}"#)), "scope");
    }
    let arr = ok(200, &success(r#""scope":["read","write"]"#));
    assert_eq!((arr.scope.as_deref(), quirks(&arr.quirks)), (Some("read write"), vec!["scope_array"]));
}

#[test]
fn f17_absent_or_different_scope_is_reported_as_granted() {
    assert_eq!(ok(200, &success("")).scope, None, "never assumed to be the requested scope");
    let narrower = ok(200, &success(r#""scope":"read""#));
    assert_eq!(narrower.scope.as_deref(), Some("read"), "what was granted, not what was asked");
    // A refresh answer without scope keeps the scope granted before (RFC 6749 §6).
    let before = record(0, Some(60), Some("rt"));
    assert_eq!(TokenRecord::from_response(&ok(200, &success("")), 1, Some(&before)).scope.as_deref(), Some("read"));
    let changed = TokenRecord::from_response(&ok(200, &success(r#""scope":"write""#)), 1, Some(&before));
    assert_eq!(changed.scope.as_deref(), Some("write"));
}

#[test]
fn f18_client_credentials_response_with_a_refresh_token() {
    // Teen Quotes sends one for client_credentials; it is kept and used.
    let t = ok(200, &success(r#""expires_in":604800,"refresh_token":"rt-cc""#));
    let r = TokenRecord::from_response(&t, NOW, None);
    assert_eq!(r.refresh_token.as_ref().map(Secret::expose), Some("rt-cc"));
    assert_eq!(renewal(Some(&r), true), Next::Refresh, "the refresh token is tried before re-acquiring");
}

// ------------------------------------------------------------------------------------------
// 4.4 Error responses and vendor fields

#[test]
fn e01_rfc6749_error_body() {
    let e = fail(
        400,
        r#"{"error":"invalid_grant","error_description":"Expired code.","error_uri":"https://as.example/errors/1"}"#,
    );
    assert_eq!((e.kind, e.status, e.error.as_deref()), (ErrorKind::OAuth, Some(400), Some("invalid_grant")));
    assert_eq!(e.error_description.as_deref(), Some("Expired code."));
    assert_eq!(e.error_uri.as_deref(), Some("https://as.example/errors/1"));
    assert_eq!(e.to_string(), "invalid_grant (HTTP 400): Expired code.");
    assert_eq!(
        e.raw.as_ref().and_then(|r| r.get("error_uri")).and_then(Value::as_str),
        Some("https://as.example/errors/1")
    );
}

#[test]
fn e02_unknown_error_codes_are_oauth_errors() {
    for code in ["account_locked", "mfa_required", "invalid_refresh", "urn:vendor:error"] {
        let e = fail(400, &format!(r#"{{"error":"{code}"}}"#));
        assert_eq!((e.kind, e.error.as_deref()), (ErrorKind::OAuth, Some(code)));
    }
}

#[test]
fn e03_error_member_that_is_not_a_non_empty_string() {
    for v in ["5", r#""""#, "null", r#"["x"]"#, "{}"] {
        let body = format!(r#"{{"error":{v},"error_human_title":"Tytuł","message":"m"}}"#);
        let e = fail(400, &body);
        assert_eq!((e.kind, e.status, e.error.as_deref()), (ErrorKind::Http, Some(400), None), "{body}");
        assert_eq!(e.human_title.as_deref(), Some("Tytuł"), "vendor fields are still read");
        assert!(e.raw.is_some(), "the object is kept");
    }
    // At 200 without a token it is simply not a token response.
    invalid_field(200, r#"{"error":5}"#, "access_token");
}

#[test]
fn e04_invalid_client_with_a_basic_challenge() {
    let hs = headers(&[("Content-Type", "application/json"), ("WWW-Authenticate", "Basic realm=\"token\"")]);
    let e = parse_with(401, r#"{"error":"invalid_client","error_description":"bad secret"}"#, &hs, false).unwrap_err();
    assert_eq!((e.kind, e.status, e.error.as_deref()), (ErrorKind::OAuth, Some(401), Some("invalid_client")));
    assert!(e.hint.as_deref().is_some_and(|h| h.contains("clientSecret")));
    assert!(!refresh_refused(&e), "a configuration fault never ends the session");
    let bare = parse_with(401, "", &hs, false).unwrap_err();
    assert_eq!((bare.kind, bare.status), (ErrorKind::Http, Some(401)));
    assert!(bare.hint.is_some_and(|h| h.contains("clientId")));
}

#[test]
fn e05_differs_www_authenticate_on_a_success_is_a_quirk() {
    // README quirks: `www_authenticate_on_success` — tolerated and reported; strict refuses.
    let hs = headers(&[("Content-Type", "application/json"), ("WWW-Authenticate", "Bearer realm=\"x\"")]);
    let t = parse_with(200, &success(""), &hs, false).unwrap();
    assert_eq!(t.access_token.expose(), "at-1");
    assert_eq!(quirks(&t.quirks), ["www_authenticate_on_success"]);
    assert_eq!(parse_with(200, &success(""), &hs, true).unwrap_err().kind, ErrorKind::InvalidResponse);
}

#[test]
fn e06_error_body_with_http_200() {
    let body = r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#;
    for strict in [false, true] {
        let e = parse_with(200, body, &[], strict).unwrap_err();
        assert_eq!((e.kind, e.status), (ErrorKind::OAuth, Some(200)), "strict={strict}");
        assert_eq!(e.error.as_deref(), Some("bad_verification_code"));
        assert_eq!(quirks(&e.quirks), ["error_with_success_status"]);
        assert!(!e.message.contains("access_token"), "never 'missing access_token': {}", e.message);
    }
}

#[test]
fn e07_vendor_json_without_error() {
    let body = r#"{"message":"Forbidden for this client","code":123}"#;
    let e = fail(403, body);
    assert_eq!((e.kind, e.status, e.error.as_deref()), (ErrorKind::Http, Some(403), None));
    let raw = e.raw.as_ref().expect("the vendor object");
    assert_eq!(raw.get("code"), Some(&Value::Number(123.0)));
    // The vendor's human message through the human-fields mapping.
    let cx = ResponseContext { now_ms: NOW, headers: &[], strict: false, human_fields: Some(("title", "message")) };
    let e = parse_token_response(403, body, &cx).unwrap_err();
    assert_eq!(e.human_message.as_deref(), Some("Forbidden for this client"));
}

#[test]
fn e08_hostile_error_description_is_kept_raw_and_quoted_on_one_bounded_line() {
    let long = "x".repeat(10_000);
    for desc in ["Niepoprawna wartość", "<script>alert(1)</script>", "line1\r\nline2\u{7}\u{1b}[31m", long.as_str()] {
        let body = serde_json::json!({ "error": "invalid_request", "error_description": desc }).to_string();
        let e = fail(400, &body);
        assert_eq!(e.error_description.as_deref(), Some(desc), "verbatim in the field");
        assert!(!e.message.chars().any(char::is_control), "one line: {:?}", e.message);
        assert!(e.message.chars().count() <= "invalid_request (HTTP 400): ".len() + 201, "bounded");
    }
}

#[test]
fn e09_vendor_human_fields_and_extra_members() {
    let body = r#"{"error":"invalid_grant","error_description":"Invalid user credentials","error_human_title":"Niepoprawna wartość","error_human_message":"","trace_id":"t-1","error_codes":[70002]}"#;
    let e = fail(400, body);
    assert_eq!((e.human_title.as_deref(), e.human_message.as_deref()), (Some("Niepoprawna wartość"), Some("")));
    let raw = e.raw.as_ref().unwrap();
    assert_eq!(raw.get("trace_id").and_then(Value::as_str), Some("t-1"), "tracing ids are kept");
    assert!(matches!(raw.get("error_codes"), Some(Value::Array(_))));
    let cx =
        ResponseContext { now_ms: NOW, headers: &[], strict: false, human_fields: Some(("error_message", "detail")) };
    let other = r#"{"error":"x","error_message":"Konto gesperrt","detail":"Zu viele Versuche"}"#;
    let e = parse_token_response(423, other, &cx).unwrap_err();
    assert_eq!(
        (e.human_title.as_deref(), e.human_message.as_deref()),
        (Some("Konto gesperrt"), Some("Zu viele Versuche"))
    );
}

#[test]
fn e10_error_uri_is_kept_as_an_opaque_string() {
    for uri in ["javascript:alert(1)", "not a uri", "https://as.example/e?x=<b>"] {
        let e = fail(400, &serde_json::json!({ "error": "invalid_request", "error_uri": uri }).to_string());
        assert_eq!(e.error_uri.as_deref(), Some(uri));
        assert!(e.hint.is_none() || !e.hint.as_deref().unwrap_or_default().contains(uri), "never offered as a link");
    }
}

#[test]
fn e11_retry_after_in_seconds_or_as_a_date() {
    let with = |status: u16, v: &str| parse_with(status, "", &headers(&[("Retry-After", v)]), false).unwrap_err();
    let e = with(429, "30");
    assert_eq!((e.kind, e.status, e.retry_after), (ErrorKind::Http, Some(429), Some(30)));
    assert!(e.message.contains("retry after 30 s"), "{}", e.message);
    let in_two_minutes = "Tue, 14 Nov 2023 22:15:20 GMT"; // NOW is 22:13:20
    assert_eq!(with(503, in_two_minutes).retry_after, Some(120));
    for garbage in ["soon", "-5", "1e3", "Tue, 14 Nov 2023 25:00:00 GMT", "99999999999"] {
        assert_eq!(with(503, garbage).retry_after, None, "{garbage}");
    }
    let oauth = parse_with(429, r#"{"error":"slow_down"}"#, &headers(&[("Retry-After", "5")]), false).unwrap_err();
    assert_eq!((oauth.kind, oauth.retry_after), (ErrorKind::OAuth, Some(5)));
}

#[test]
fn e12_server_errors_never_end_a_session() {
    for status in [500, 502, 503, 504] {
        for body in [r#"{"message":"internal"}"#, "<html>down</html>", ""] {
            let e = fail(status, body);
            assert_eq!((e.kind, e.status), (ErrorKind::Http, Some(status)), "{status} {body}");
            assert!(!refresh_refused(&e));
        }
        let oauth = fail(status, r#"{"error":"server_error"}"#);
        assert_eq!(oauth.kind, ErrorKind::OAuth);
        assert!(!refresh_refused(&oauth));
    }
}

#[test]
fn e13_tokens_in_error_bodies_are_redacted_in_the_excerpt() {
    let (at, rt, id) = ("AT-0123456789abcdef", "RT-0123456789abcdef", "ID-0123456789abcdef");
    let bodies = [
        format!(r#"{{"access_token":"{at}","refresh_token":"{rt}","id_token":"{id}","expires_in":"soon"}}"#),
        format!(r#"{{"access_token" : "{at}","refresh_token":"{rt}"#),
        format!("access_token={at}&refresh_token={rt}&id_token={id}"),
    ];
    for body in &bodies {
        for status in [200, 400, 502] {
            if let Err(e) = parse_token_response(status, body, &ResponseContext::at(NOW)) {
                let shown = format!("{e} {e:?} {:?} {:?}", e.body, e.hint);
                for t in [at, rt, id] {
                    assert!(!shown.contains(t), "{status} {body}: {shown}");
                }
            }
        }
    }
    let long = format!(r#"{{"access_token":"{at}","x":"{}""#, "y".repeat(10_000));
    assert!(fail(200, &long).body.is_some_and(|b| b.len() <= MAX_BODY_EXCERPT + 3));
}

#[test]

fn e13_tokens_in_an_error_objects_raw_are_redacted() {
    // README/SECURITY.md: tokens never appear in an error's fields or JSON.stringify(err);
    // `raw` is "the parsed error object" and is part of both.
    let (at, rt) = ("AT-0123456789abcdef", "RT-0123456789abcdef");
    for (status, body) in [
        (400, format!(r#"{{"error":"invalid_grant","access_token":"{at}","refresh_token":"{rt}"}}"#)),
        (200, format!(r#"{{"error":"bad_verification_code","access_token":"{at}"}}"#)),
        (500, format!(r#"{{"message":"x","refresh_token":"{rt}"}}"#)),
    ] {
        let e = fail(status, &body);
        let raw = e.raw.as_ref().expect("the error object is kept");
        for key in ["access_token", "refresh_token"] {
            let v = raw.get(key).and_then(Value::as_str);
            assert!(v.is_none_or(|v| v != at && v != rt), "{status}: raw.{key} holds the token");
        }
    }
}

// ------------------------------------------------------------------------------------------
// 4.6 Storage: the record codec

#[test]
fn s04_corrupt_records_are_told_apart_not_crashed_on() {
    let c = olx();
    let good = encode_record(&record(NOW, Some(60), Some("rt")), &c);
    for text in ["", "{not json", "null", "[1]", "\"str\"", &good[..good.len() / 2]] {
        assert_eq!(decode(text, &c), Stored::Corrupt, "{text:?}");
    }
    // Wrong types inside a record of ours.
    for (from, to) in [
        ("\"v\":1", "\"v\":\"1\""),
        ("\"obtainedAt\":", "\"obtainedAt\":\"x\",\"o\":"),
        ("\"accessToken\":\"at-1\"", "\"accessToken\":5"),
        ("\"tokenType\":\"bearer\"", "\"tokenType\":null"),
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good);
        assert_eq!(decode(&bad, &c), Stored::Corrupt, "{bad}");
    }
}

#[test]
fn s05_a_newer_record_format_is_recognised() {
    let c = olx();
    let good = encode_record(&record(NOW, Some(60), Some("rt")), &c);
    assert_eq!(decode(&good.replacen("\"v\":1", "\"v\":2", 1), &c), Stored::Future);
    assert_eq!(decode(r#"{"v":9,"kind":"oauth2-wasm/token","shape":"unknown"}"#, &c), Stored::Future);
}

#[test]
fn s07_stored_records_with_impossible_values_are_discarded() {
    let c = olx();
    let good = encode_record(&record(NOW, Some(60), Some("rt")), &c);
    for (from, to) in [
        ("\"accessToken\":\"at-1\"", "\"accessToken\":\"\""),
        ("\"obtainedAt\":", "\"obtainedAt\":-"),
        ("\"obtainedAt\":", "\"obtainedAt\":0.5,\"x\":"),
        ("\"expiresAt\":", "\"expiresAt\":-"),
        ("\"expiresAt\":", "\"expiresAt\":\"soon\",\"x\":"),
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from}");
        assert_eq!(decode(&bad, &c), Stored::Corrupt, "{bad}");
    }
    assert!(matches!(decode(&good, &c), Stored::Record(_)));
}

#[test]
fn s07_a_stored_access_token_that_no_server_answer_could_hold_is_discarded() {
    // F2 refuses control characters and non-ASCII in access_token; a record holding one
    // (edited storage) is used as is, and later breaks `Authorization` in manager.fetch.
    let c = olx();
    let good = encode_record(&record(NOW, Some(60), Some("rt")), &c);
    for token in ["at\\r\\nX-Injected: 1", "at\\u0000", "t\u{f6}k"] {
        let bad = good.replacen("\"accessToken\":\"at-1\"", &format!("\"accessToken\":\"{token}\""), 1);
        assert_eq!(decode(&bad, &c), Stored::Corrupt, "{bad}");
    }
}

#[test]
fn s08_a_record_of_another_client_or_endpoint_is_foreign() {
    let c = olx();
    let text = encode_record(&record(NOW, Some(60), Some("rt-of-123")), &c);
    let mut other_id = olx();
    other_id.client_id = Some("124".into());
    let mut other_endpoint = olx();
    other_endpoint.token_endpoint = "https://staging.autovit.ro/api/open/oauth/token".into();
    for other in [other_id, other_endpoint] {
        assert_eq!(decode(&text, &other), Stored::Foreign);
    }
    let envelope = value(&text);
    assert_eq!(envelope.get("endpoint").and_then(Value::as_str), Some(c.token_endpoint.as_str()));
    assert_eq!(envelope.get("clientId").and_then(Value::as_str), Some("123"));
}

#[test]
fn s09_another_applications_value_is_foreign() {
    let c = olx();
    for text in [r#"{"theme":"dark"}"#, r#"{"v":1,"kind":"other-lib/token","accessToken":"x"}"#] {
        assert_eq!(decode(text, &c), Stored::Foreign, "{text}");
    }
}

#[test]
fn s14_the_record_holds_absolute_times_from_the_send_time() {
    let c = olx();
    let sent = NOW;
    let t = parse_token_response(200, &success(r#""expires_in":43200"#), &ResponseContext::at(sent)).unwrap();
    let text = encode_record(&TokenRecord::from_response(&t, sent, None), &c);
    let v = value(&text);
    assert_eq!(v.get("obtainedAt"), Some(&Value::Number(sent as f64)));
    assert_eq!(v.get("expiresAt"), Some(&Value::Number((sent + 43_200_000) as f64)));
    assert!(v.get("expiresIn").is_none() && v.get("expires_in").is_none(), "nothing relative: {text}");
}

// ------------------------------------------------------------------------------------------
// 4.7 Time (the decisions; the manager's behaviour is in tests/node/fault-matrix.test.mjs)

#[test]
fn t01_expiry_ignores_the_server_clock_and_renews_a_little_early() {
    // Teen Quotes' absolute `expires` is read against the server's own Date header, so a
    // server clock ten hours ahead does not shorten or lengthen the token.
    let server_now = NOW / 1000 + 36_000;
    let hs = vec![("Date".to_owned(), http_date(server_now))];
    let body = success(&format!(r#""expires":{}"#, server_now + 3600));
    let t = parse_with(200, &body, &hs, false).unwrap();
    assert_eq!(t.expires_at, Some(NOW + 3_600_000));
    assert_eq!(quirks(&t.quirks), ["content_type_not_json", "expires_unix_time"]);
    // Leeway: 60 s, at most a tenth of the lifetime.
    for (lifetime, skew_ms) in [(3600, 60_000), (43_200, 60_000), (30, 3_000), (0, 0)] {
        assert_eq!(session::effective_skew_ms(&record(0, Some(lifetime), None), None), skew_ms, "{lifetime}");
    }
}

/// `secs` as an IMF-fixdate.
fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since the epoch (Howard Hinnant).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn t10_only_a_refused_refresh_token_ends_the_session() {
    for code in ["invalid_grant", "invalid_refresh"] {
        let e = fail(400, &format!(r#"{{"error":"{code}","error_description":"revoked"}}"#));
        assert!(refresh_refused(&e), "{code}");
        let ended = session::login_required(Some(&e));
        assert_eq!((ended.kind, ended.error.as_deref()), (ErrorKind::LoginRequired, Some(code)));
    }
    for code in ["invalid_client", "unauthorized_client", "invalid_scope", "invalid_request", "temporarily_unavailable"]
    {
        assert!(!refresh_refused(&fail(400, &format!(r#"{{"error":"{code}"}}"#))), "{code} keeps the session");
    }
}

// ------------------------------------------------------------------------------------------
// 4.8 Hygiene

#[test]
fn h01_tokens_never_travel_in_the_url() {
    let mut c = confidential("cid", "secret-value");
    c.token_endpoint = "https://as.example/token?tenant=a".into();
    let req = build(&c, &refresh("RT-in-body-only", None));
    assert_eq!(req.url, "https://as.example/token?tenant=a");
    assert!(req.body.contains("RT-in-body-only") && !req.url.contains("RT-in-body-only"));
}

#[test]
fn h02_password_and_partner_secrets_are_hidden_everywhere_but_the_request() {
    let grants = [
        password("alice", "PASSWORD-9b2e41"),
        Grant::Partner { partner_code: "pc".into(), partner_secret: "PARTNER-SECRET-c81d".into(), scope: None },
        Grant::Extension { grant_type: "urn:x".into(), params: vec![("assertion".into(), "ASSERTION-77aa".into())] },
        Grant::AuthorizationCode { code: "CODE-5f5f5f".into(), redirect_uri: None, code_verifier: None },
    ];
    for g in &grants {
        let req = build(&confidential("cid", "CLIENT-SECRET-7f3a"), g);
        let shown = format!("{g:?} {req:?}");
        for s in ["PASSWORD-9b2e41", "PARTNER-SECRET-c81d", "ASSERTION-77aa", "CODE-5f5f5f", "CLIENT-SECRET-7f3a"] {
            assert!(!shown.contains(s), "{s} in {shown}");
        }
    }
}

#[test]
fn h04_a_refresh_token_is_only_read_back_for_its_own_endpoint() {
    let c = olx();
    let text = encode_record(&record(NOW, Some(60), Some("rt-of-olx")), &c);
    let mut counterfeit = olx();
    counterfeit.token_endpoint = "https://evil.example/api/open/oauth/token".into();
    assert_eq!(decode(&text, &counterfeit), Stored::Foreign);
    // The default keys differ too, so the record is not even looked up there.
    assert_ne!(session::storage_key(&c), session::storage_key(&counterfeit));
    match decode(&text, &c) {
        Stored::Record(r) => assert_eq!(r.refresh_token.as_ref().map(Secret::expose), Some("rt-of-olx")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn h05_debug_and_display_of_every_public_type_hide_secrets_and_tokens() {
    let mut c = confidential("cid", "CLIENT-SECRET-7f3a");
    c.headers = vec![("X-Api-Key".into(), "API-KEY-1b1b".into())];
    let g = password("alice", "PASSWORD-9b2e41");
    let req = build(&c, &g);
    let tokens = ok(
        200,
        r#"{"access_token":"ACCESS-0a0a0a","token_type":"Bearer","refresh_token":"REFRESH-0b0b0b","id_token":"IDTOKEN-0c0c"}"#,
    );
    let rec = TokenRecord::from_response(&tokens, NOW, None);
    let err = fail(400, r#"{"error":"invalid_grant","access_token":"ACCESS-0a0a0a"}"#);
    let stored = decode(&encode_record(&rec, &c), &c);
    let shown = format!(
        "{c:?} {g:?} {req:?} {tokens:?} {rec:?} {err:?} {err} {stored:?} {:?} {:?}",
        Secret::new("SECRET-WRAPPED-1"),
        tokens.raw
    );
    for s in [
        "CLIENT-SECRET-7f3a",
        "API-KEY-1b1b",
        "PASSWORD-9b2e41",
        "ACCESS-0a0a0a",
        "REFRESH-0b0b0b",
        "IDTOKEN-0c0c",
        "SECRET-WRAPPED-1",
    ] {
        assert!(!shown.contains(s), "Debug shows {s}: {shown}");
    }
}

#[test]
fn h06_every_failure_has_one_of_the_documented_kinds() {
    // ErrorKind is #[non_exhaustive] (the contract grows): a new kind joins ErrorKind::ALL
    // (its `as_str` match is exhaustive inside the core) and then fails here until the
    // README table is updated.
    let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        ["config", "network", "timeout", "aborted", "http", "oauth", "invalid_response", "storage", "login_required"]
    );
    // One of each the core can produce, each with a message.
    use oauth2_wasm_core::transport::{fault_error, Runtime, TransportFault};
    let produced = [
        refused(&client("ftp://x"), &cc()),
        fault_error(
            &TransportFault::Network { code: Some("ECONNREFUSED".into()), during_body: false },
            Runtime::Server,
        ),
        fault_error(&TransportFault::Timeout(200), Runtime::Server),
        fault_error(&TransportFault::Aborted, Runtime::Browser),
        fail(502, ""),
        fail(400, r#"{"error":"invalid_grant"}"#),
        fail(200, "{"),
        session::login_required(None),
    ];
    for e in &produced {
        assert!(!e.message.is_empty() && names.contains(&e.kind.as_str()), "{e:?}");
    }
    let network = &produced[1];
    assert!(network.message.contains("ECONNREFUSED") && network.hint.is_some());
}

#[test]
fn issue13_5_the_parser_holds_the_response_bound_for_every_entry_point() {
    // The transports stop reading at the bound; a body handed to the parser directly is
    // held to it too, counted in UTF-8 bytes.
    let at_bound = format!(r#"{{"access_token":"a","token_type":"Bearer","pad":"{}"}}"#, "x".repeat(200_000));
    assert!(at_bound.len() <= MAX_RESPONSE_BYTES);
    ok(200, &at_bound);
    let over = "é".repeat(MAX_RESPONSE_BYTES / 2 + 1);
    assert!(over.chars().count() < MAX_RESPONSE_BYTES && over.len() > MAX_RESPONSE_BYTES);
    let cx = ResponseContext::at(0);
    let e = parse_token_response(200, &over, &cx).unwrap_err();
    assert_eq!(e, transport::oversized_error(200, None));
    assert_eq!(parse_token_response(500, &over, &cx).unwrap_err().kind, ErrorKind::Http);
}

/// Issue 13, finding 2: a 2xx is where tokens live, in any encoding; no value of it
/// reaches an error, whatever the encoding, and a credential member of an error object is
/// redacted however its name is spelled.
#[test]
fn issue13_2_no_token_shaped_value_of_a_2xx_reaches_an_error() {
    let bodies = [
        r#"{"access\u005ftoken":"LIVE-AT","refresh\u005ftoken":"LIVE-RT","expires_in":"3600s"}"#,
        r#"{"accessToken":"LIVE-AT","refreshToken":"LIVE-RT","expiresIn":3600}"#,
        r#"{"data":{"access_token":"LIVE-AT","refresh_token":"LIVE-RT"}}"#,
        r#""{\"access_token\":\"LIVE-AT\",\"refresh_token\":\"LIVE-RT\"}""#,
        r#"{"ACCESS_TOKEN":"LIVE-AT","REFRESH_TOKEN":"LIVE-RT"}"#,
        r#"{'access_token':'LIVE-AT','refresh_token':'LIVE-RT'}"#,
        "<token><access_token>LIVE-AT</access_token><refresh_token>LIVE-RT</refresh_token></token>",
        "access%5Ftoken=LIVE-AT&refresh%5Ftoken=LIVE-RT",
        r#"[{"token":"LIVE-AT"},"LIVE-RT"]"#,
        r#"{"error":"temporarily_unavailable","access_token":"LIVE-AT","session":{"rt":"LIVE-RT"}}"#,
    ];
    for body in bodies {
        for status in [200, 201] {
            let e = fail(status, body);
            let raw = e.raw.as_ref().map(|r| {
                let mut out = String::new();
                oauth2_wasm_core::json::write(&mut out, r);
                out
            });
            let shown = format!("{e} {e:?} {:?} {:?} {:?} {:?}", e.body, e.hint, e.message, raw);
            assert!(!shown.contains("LIVE-"), "{body} (HTTP {status}) shows a token: {shown}");
            assert!(e.body.is_some() || e.raw.is_some(), "{body}: the shape is still there to debug with");
        }
    }
    // The shape keeps what helps: the members' names and the structure.
    let e = fail(200, bodies[1]);
    assert_eq!(
        e.body.as_deref(),
        Some(r#"{"accessToken":"[redacted]","refreshToken":"[redacted]","expiresIn":"[redacted]"}"#)
    );
    // An error object with a 2xx keeps its error members.
    let e = fail(200, bodies[9]);
    assert_eq!((e.kind, e.error.as_deref()), (ErrorKind::OAuth, Some("temporarily_unavailable")));
    assert_eq!(e.raw.as_ref().and_then(|r| r.get("error")).and_then(Value::as_str), Some("temporarily_unavailable"));
    // A non-2xx error object: credential members are redacted however they are spelled.
    let e = fail(
        400,
        r#"{"error":"invalid_grant","refreshToken":"LIVE-RT","clientSecret":"LIVE-CS","data":{"Access-Token":"LIVE-AT"},"token_type":"Bearer"}"#,
    );
    let mut raw = String::new();
    oauth2_wasm_core::json::write(&mut raw, e.raw.as_ref().unwrap());
    assert!(!raw.contains("LIVE-"), "{raw}");
    assert!(raw.contains(r#""token_type":"Bearer""#), "a token's type is not a credential: {raw}");
}

#[test]
fn issue13_9_line_breaks_in_parameters_and_token_type_a_bounded_redirect_hint_no_repeatable_password() {
    for (name, value) in [("a\r\nb", "1"), ("a", "1\n2"), ("a", "x\0"), ("a\0", "1")] {
        let mut c = client("https://as.example/token");
        c.extra_params = vec![(name.into(), value.into())];
        let e = refused(&c, &cc());
        assert!(e.field.as_deref().is_some_and(|f| f.starts_with("extraParams")), "{name:?}={value:?}: {e:?}");
    }
    let e = fail(200, r#"{"access_token":"a","token_type":"Bearer\r\nX-Injected: 1"}"#);
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidResponse, Some("token_type")));
    let long = format!("https://elsewhere.example/{}\u{1b}[2J", "x".repeat(15_000));
    let hint = transport::redirect_error(302, Some(&long)).hint.unwrap_or_default();
    assert!(hint.chars().count() < 400 && !hint.contains('\u{1b}'), "{} chars", hint.chars().count());
    let password_as_extension =
        Grant::Extension { grant_type: "password".into(), params: vec![("username".into(), "u".into())] };
    assert!(!password_as_extension.is_repeatable());
    assert!(cc().is_repeatable());
    assert!(Grant::Extension { grant_type: "partner".into(), params: vec![] }.is_repeatable());
}
