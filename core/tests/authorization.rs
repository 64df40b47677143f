//! The authorization-code flow's pure helpers: PKCE (RFC 7636), the authorization URL, and
//! the callback's checks (RFC 6749 §4.1.2, RFC 9207).

use oauth2_wasm_core::authorization::{code_challenge_s256, random_text};
use oauth2_wasm_core::{
    build_authorization_url, parse_authorization_response, AuthorizationRequest, CallbackCheck, ClientConfig, ErrorKind,
};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn client() -> ClientConfig {
    ClientConfig::builder("https://as.example/token")
        .client_id("app")
        .authorization_endpoint("https://as.example/authorize")
        .build()
}

fn request() -> AuthorizationRequest {
    AuthorizationRequest::new("https://app.example/callback", "st-1", CHALLENGE)
}

#[test]
fn rfc7636_appendix_b() {
    assert_eq!(code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap(), CHALLENGE);
}

#[test]
fn a_verifier_outside_rfc7636_is_refused() {
    for bad in ["short", &"a".repeat(129), &"a b".repeat(20), &"é".repeat(43)] {
        let e = code_challenge_s256(bad).unwrap_err();
        assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Config, Some("codeVerifier")), "{bad}");
    }
    assert!(code_challenge_s256(&"~._-".repeat(32)).is_ok(), "128 characters of the unreserved set");
}

#[test]
fn random_text_is_43_base64url_characters() {
    let text = random_text(&[0xfb; 32]);
    assert_eq!(text.len(), 43);
    assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
    assert!(code_challenge_s256(&text).is_ok(), "a random text is a valid verifier");
    assert_ne!(random_text(&[0; 32]), random_text(&[1; 32]));
}

#[test]
fn the_authorization_url_carries_every_parameter_once_after_the_endpoints_own_query() {
    let mut r = request();
    r.scope = Some("openid offline_access".into());
    r.nonce = Some("n 1".into());
    r.extra_params = vec![("prompt".into(), "consent".into()), ("ui_locales".into(), "pl en".into())];
    let mut c = client();
    c.authorization_endpoint = Some("https://as.example/authorize?tenant=a%20b".into());
    let url = build_authorization_url(&c, &r).unwrap();
    assert_eq!(
        url,
        "https://as.example/authorize?tenant=a%20b&response_type=code&client_id=app\
         &redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&scope=openid+offline_access&state=st-1\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&nonce=n+1\
         &prompt=consent&ui_locales=pl+en"
    );
    let plain = build_authorization_url(&client(), &request()).unwrap();
    assert!(plain.starts_with("https://as.example/authorize?response_type=code&client_id=app&"), "{plain}");
    assert!(!plain.contains("scope=") && !plain.contains("nonce="));
}

#[test]
fn bad_authorization_requests_are_config_errors_naming_the_field() {
    let field = |c: &ClientConfig, r: &AuthorizationRequest| build_authorization_url(c, r).unwrap_err().field;
    let mut c = client();
    c.authorization_endpoint = None;
    assert_eq!(field(&c, &request()).as_deref(), Some("authorizationEndpoint"));
    c.authorization_endpoint = Some("http://as.example/authorize".into());
    assert_eq!(field(&c, &request()).as_deref(), Some("authorizationEndpoint"), "plain http to a remote host");
    c.authorization_endpoint = Some("https://as.example/authorize#x".into());
    assert_eq!(field(&c, &request()).as_deref(), Some("authorizationEndpoint"));
    let mut c = client();
    c.client_id = None;
    assert_eq!(field(&c, &request()).as_deref(), Some("clientId"));
    type Change = fn(&mut AuthorizationRequest);
    let cases: [(Change, &str); 6] = [
        (|r| r.redirect_uri = "/callback".into(), "redirectUri"),
        (|r| r.redirect_uri = "https://app.example/cb#frag".into(), "redirectUri"),
        (|r| r.code_challenge = "plain-verifier".into(), "codeChallenge"),
        (|r| r.code_challenge_method = Some("plain".into()), "codeChallengeMethod"),
        (|r| r.state = String::new(), "state"),
        (|r| r.extra_params = vec![("state".into(), "x".into())], "extraParams"),
    ];
    for (change, name) in cases {
        let mut r = request();
        change(&mut r);
        assert_eq!(field(&client(), &r).as_deref(), Some(name));
    }
    // A loopback redirect over http and a custom scheme are fine (RFC 8252).
    for uri in ["http://127.0.0.1:8080/cb", "com.example.app:/oauth2redirect"] {
        let mut r = request();
        r.redirect_uri = uri.into();
        assert!(build_authorization_url(&client(), &r).is_ok(), "{uri}");
    }
}

fn check() -> CallbackCheck {
    let mut c = CallbackCheck::new("st-1");
    c.issuer = Some("https://as.example".into());
    c.redirect_uri = Some("https://app.example/callback".into());
    c
}

#[test]
fn a_good_callback_gives_the_code() {
    let r = parse_authorization_response(
        "https://app.example/callback?code=a%2Bb+c&state=st-1&iss=https%3A%2F%2Fas.example&other=1",
        &check(),
    )
    .unwrap();
    assert_eq!((r.code.expose(), r.state.as_str(), r.iss.as_deref()), ("a+b c", "st-1", Some("https://as.example")));
    // No iss: accepted (the server may not support RFC 9207)…
    let r = parse_authorization_response("https://app.example/callback?state=st-1&code=c", &check()).unwrap();
    assert_eq!(r.iss, None);
    // …unless the server says it always sends one (RFC 9207 §2.4).
    let mut strict = check();
    strict.require_iss = true;
    let e = parse_authorization_response("https://app.example/callback?state=st-1&code=c", &strict).unwrap_err();
    assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains("no iss"), "{}", e.message);
    assert!(parse_authorization_response(
        "https://app.example/callback?state=st-1&code=c&iss=https%3A%2F%2Fas.example",
        &strict
    )
    .is_ok());
    assert!(!format!("{r:?}").contains("code: \"c\""), "the code is not printed: {r:?}");
}

#[test]
fn forged_and_failed_callbacks_are_refused_with_the_parameter_named() {
    let err = |url: &str| parse_authorization_response(url, &check()).unwrap_err();
    let e = err("https://app.example/callback?code=c");
    assert_eq!(e.kind, ErrorKind::InvalidResponse);
    assert!(e.message.contains("state"), "{}", e.message);
    let e = err("https://app.example/callback?code=c&state=other");
    assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains("state"), "{}", e.message);
    let e = err("https://app.example/callback?code=c&state=st-1&iss=https%3A%2F%2Fevil.example");
    assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains("iss"), "{}", e.message);
    let e = err("https://app.example/callback?state=st-1");
    assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains("code"), "{}", e.message);
    let e = err("https://app.example/callback?code=c&code=d&state=st-1");
    assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains("repeats"), "{}", e.message);
    let e = err("https://app.example/other?code=c&state=st-1");
    assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains("redirect URI"), "{}", e.message);
    let e = err("https://app.example/callback?error=access_denied&error_description=The+user+said+no&error_uri=https%3A%2F%2Fas.example%2Fe&state=st-1");
    assert_eq!(e.kind, ErrorKind::OAuth);
    assert_eq!(
        (e.error.as_deref(), e.error_description.as_deref(), e.error_uri.as_deref(), e.status),
        (Some("access_denied"), Some("The user said no"), Some("https://as.example/e"), None)
    );
    // An error callback with another state is a forgery first.
    let e = err("https://app.example/callback?error=access_denied&state=zzz");
    assert_eq!(e.kind, ErrorKind::InvalidResponse);
    assert_eq!(err("not a url").kind, ErrorKind::Config);
}

mod transaction {
    use super::*;
    use oauth2_wasm_core::authorization::{
        authorize_with, callback_grant_with, AuthorizeOptions, Transaction, TRANSACTION_MS,
    };
    use oauth2_wasm_core::endpoint::WhatwgUrl;
    use oauth2_wasm_core::Grant;

    const NOW: u64 = 1_700_000_000_000;

    fn start() -> (Transaction, String) {
        let mut options = AuthorizeOptions::new("https://app.example/callback");
        options.scope = Some("openid".into());
        let mut c = client();
        c.issuer = Some("https://as.example".into());
        authorize_with(&c, &options, (&[7; 32], &[9; 32]), NOW, &WhatwgUrl).unwrap()
    }

    #[test]
    fn authorize_keeps_what_the_callback_needs_and_sends_only_the_challenge() {
        let (t, url) = start();
        assert_eq!(t.state, random_text(&[9; 32]));
        assert_eq!(t.verifier.expose(), random_text(&[7; 32]));
        assert_eq!(t.started_at, NOW);
        assert!(url.contains(&format!("state={}", t.state)), "{url}");
        assert!(url.contains(&format!("code_challenge={}", code_challenge_s256(t.verifier.expose()).unwrap())));
        assert!(!url.contains(t.verifier.expose()), "the verifier stays in the tab");
        assert!(!format!("{t:?}").contains(t.verifier.expose()), "the verifier is not printed");
        assert_eq!(Transaction::decode(Some(&t.encode()), NOW + TRANSACTION_MS).unwrap(), t);
    }

    #[test]
    fn the_callback_becomes_the_code_grant_with_the_verifier_and_redirect_uri() {
        let (t, _) = start();
        let mut c = client();
        c.issuer = Some("https://as.example".into());
        let url = format!("https://app.example/callback?code=the-code&state={}&iss=https%3A%2F%2Fas.example", t.state);
        let grant = callback_grant_with(&c, Some(&t.encode()), &url, NOW + 1, &WhatwgUrl).unwrap();
        let Grant::AuthorizationCode { code, redirect_uri, code_verifier } = grant else { panic!("{grant:?}") };
        assert_eq!(code.expose(), "the-code");
        assert_eq!(redirect_uri.as_deref(), Some("https://app.example/callback"));
        assert_eq!(code_verifier.map(|v| v.expose().to_owned()), Some(t.verifier.expose().to_owned()));
        // The client's issuer is checked against iss.
        let evil = url.replace("as.example", "evil.example");
        let e = callback_grant_with(&c, Some(&t.encode()), &evil, NOW + 1, &WhatwgUrl).unwrap_err();
        assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains("iss"), "{}", e.message);
    }

    #[test]
    fn no_transaction_an_expired_one_or_a_foreign_value_is_refused() {
        let (t, _) = start();
        let url = format!("https://app.example/callback?code=c&state={}", t.state);
        for (stored, now, word) in [
            (None, NOW, "no authorization"),
            (Some("junk".to_owned()), NOW, "no authorization"),
            (Some(r#"{"kind":"other","state":"s"}"#.to_owned()), NOW, "no authorization"),
            (Some(t.encode()), NOW + TRANSACTION_MS + 1, "expired"),
        ] {
            let e = callback_grant_with(&client(), stored.as_deref(), &url, now, &WhatwgUrl).unwrap_err();
            assert!(e.kind == ErrorKind::InvalidResponse && e.message.contains(word), "{}", e.message);
        }
    }
}
