//! Host tests of the sans-IO exchange (issue 17): a request ready at once, or signed first
//! (a client assertion, a DPoP proof); the answer read; a `use_dpop_nonce` answer made again
//! once with the server's nonce, never twice.
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::endpoint::WhatwgUrl;
use oauth2_wasm_core::exchange::{Answer, Exchange, Purpose, Signer};
use oauth2_wasm_core::jose::{KeyFacts, PublicJwk};
use oauth2_wasm_core::transport::HttpResponse;
use oauth2_wasm_core::{ClientAuth, ClientConfig, ErrorKind, Grant};

const NOW: u64 = 1_700_000_000_000;
const RANDOM: [[u8; 16]; 2] = [[1; 16], [2; 16]];

fn jwk() -> PublicJwk {
    PublicJwk {
        x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU".into(),
        y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0".into(),
    }
}

fn grant() -> Purpose {
    Purpose::Token(Grant::ClientCredentials { scope: None })
}

fn response(status: u16, body: &str, nonce: Option<&str>) -> HttpResponse {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(n) = nonce {
        headers.push(("dpop-nonce".to_owned(), n.to_owned()));
    }
    HttpResponse { sent_at_ms: NOW, status, headers, body: body.to_owned() }
}

const TOKENS: &str = r#"{"access_token":"at","token_type":"DPoP","expires_in":60}"#;
const NONCE_PLEASE: &str = r#"{"error":"use_dpop_nonce","error_description":"nonce required"}"#;

#[test]
fn without_signatures_the_request_is_ready_at_once() {
    let client = ClientConfig::builder("https://as.example/token").client_id("app").client_secret("s").build();
    let mut x = Exchange::new(client, grant(), None, &WhatwgUrl).expect("an exchange");
    assert!(!x.signs() && x.request().is_some() && x.to_sign().is_empty());
    assert_eq!(x.nonce_origin(), None);
    let answer = x.answer(&response(200, TOKENS, Some("n1")), NOW).expect("ok").expect("an answer");
    assert!(matches!(answer, Answer::Tokens(t) if t.access_token.expose() == "at"));
    assert_eq!(x.nonce_to_keep(&response(200, TOKENS, Some("n1"))), None, "no proofs: no nonce kept");
}

#[test]
fn a_client_assertion_is_signed_before_the_request_is_built() {
    let mut client = ClientConfig::builder("https://as.example/token")
        .client_id("app")
        .client_auth(ClientAuth::PrivateKeyJwt)
        .build();
    client.private_key =
        Some(KeyFacts { kty: Some("EC".into()), crv: Some("P-256".into()), private: true, ..KeyFacts::default() });
    let mut x = Exchange::new(client.clone(), grant(), None, &WhatwgUrl).expect("an exchange");
    assert!(x.signs() && x.request().is_none());
    x.prepare(NOW, &RANDOM, None).expect("prepared");
    let to_sign: Vec<_> = x.to_sign().into_iter().map(|(s, u)| (s, u.input.clone())).collect();
    assert_eq!(to_sign.len(), 1);
    assert_eq!(to_sign[0].0, Signer::Client);
    let request = x.signed(&[vec![0xfb, 0xff]], &WhatwgUrl).expect("built").clone();
    assert!(request.body.contains(&format!("client_assertion={}.-_8", to_sign[0].1)));
    assert!(x.to_sign().is_empty());
    // A missing signature is named, not sent unsigned.
    let mut y = Exchange::new(client.clone(), grant(), None, &WhatwgUrl).expect("an exchange");
    y.prepare(NOW, &RANDOM, None).expect("prepared");
    assert_eq!(y.signed(&[], &WhatwgUrl).expect_err("no signature").field.as_deref(), Some("privateKey"));
    // What is wrong is said before anything is signed.
    client.private_key = None;
    let mut z = Exchange::new(client, grant(), None, &WhatwgUrl).expect("checked when prepared");
    assert_eq!(z.prepare(NOW, &RANDOM, None).expect_err("no key").field.as_deref(), Some("privateKey"));
    let bad = ClientConfig::builder("http://as.example/token")
        .client_id("app")
        .client_auth(ClientAuth::ClientSecretJwt)
        .build();
    assert_eq!(Exchange::new(bad, grant(), None, &WhatwgUrl).expect_err("http").kind, ErrorKind::Config);
}

#[test]
fn use_dpop_nonce_is_answered_once_with_the_servers_nonce() {
    let client = ClientConfig::builder("https://as.example/token?tenant=1").client_id("app").build();
    let mut x = Exchange::new(client, grant(), Some(jwk()), &WhatwgUrl).expect("an exchange");
    assert_eq!(x.nonce_origin(), Some("https://as.example"));
    x.prepare(NOW, &RANDOM, None).expect("prepared");
    assert_eq!(x.to_sign().into_iter().map(|(s, _)| s).collect::<Vec<_>>(), [Signer::Dpop]);
    let r = x.signed(&[vec![1; 64]], &WhatwgUrl).expect("built");
    assert!(r.headers.iter().any(|(n, v)| n == "DPoP" && v.split('.').count() == 3));
    let asked = response(400, NONCE_PLEASE, Some("n-1"));
    assert_eq!(x.nonce_to_keep(&asked), Some("n-1"));
    assert_eq!(x.answer(&asked, NOW).expect("again"), None, "once more, with the nonce");
    assert!(x.request().is_none());
    x.prepare(NOW, &RANDOM, Some("n-1")).expect("prepared");
    let text = x.to_sign()[0].1.input.clone();
    x.signed(&[vec![1; 64]], &WhatwgUrl).expect("built");
    assert!(text.contains('.'));
    // A second demand is the error: never a loop.
    let e = x.answer(&response(400, NONCE_PLEASE, Some("n-2")), NOW).expect_err("the error");
    assert_eq!(e.error.as_deref(), Some("use_dpop_nonce"));
    // Without a usable nonce there is nothing to retry with.
    let client = ClientConfig::builder("https://as.example/token").client_id("app").build();
    let mut y = Exchange::new(client, grant(), Some(jwk()), &WhatwgUrl).expect("an exchange");
    y.prepare(NOW, &RANDOM, None).expect("prepared");
    y.signed(&[vec![1; 64]], &WhatwgUrl).expect("built");
    assert!(y.answer(&response(400, NONCE_PLEASE, Some("bad nonce")), NOW).is_err());
}

#[test]
fn revocation_and_introspection_are_exchanges_too() {
    let client = ClientConfig::builder("https://as.example/token")
        .revocation_endpoint("https://as.example/revoke")
        .introspection_endpoint("https://as.example/introspect")
        .client_id("app")
        .build();
    let mut r = Exchange::new(client.clone(), Purpose::Revoke("rt".into(), None), None, &WhatwgUrl).expect("revoke");
    assert_eq!(r.request().map(|q| q.url.as_str()), Some("https://as.example/revoke"));
    assert_eq!(r.answer(&response(200, "", None), NOW).expect("ok"), Some(Answer::Revoked));
    let mut i = Exchange::new(client, Purpose::Introspect("at".into(), None), None, &WhatwgUrl).expect("introspect");
    let a = i.answer(&response(200, r#"{"active":false}"#, None), NOW).expect("ok");
    assert!(matches!(a, Some(Answer::Introspection(x)) if !x.active));
}

#[test]
fn a_ready_assertion_is_used_only_when_there_is_nothing_to_sign_with() {
    let mut client =
        ClientConfig::builder("https://as.example/token").client_id("app").client_assertion("h.c.s").build();
    client.client_auth = Some(ClientAuth::PrivateKeyJwt);
    let x = Exchange::new(client.clone(), grant(), None, &WhatwgUrl).expect("an exchange");
    assert!(!x.signs(), "no key: the ready assertion goes");
    assert!(x.request().is_some_and(|r| r.body.contains("client_assertion=h.c.s")));
    client.private_key =
        Some(KeyFacts { kty: Some("EC".into()), crv: Some("P-256".into()), private: true, ..KeyFacts::default() });
    let x = Exchange::new(client.clone(), grant(), None, &WhatwgUrl).expect("an exchange");
    assert!(x.signs(), "a key: a fresh assertion each time");
    // A private key alone means private_key_jwt.
    client.client_auth = None;
    client.client_assertion = None;
    assert_eq!(client.effective_auth(), ClientAuth::PrivateKeyJwt);
}

#[test]
fn an_authorization_request_can_bind_the_code_to_the_dpop_key() {
    use oauth2_wasm_core::authorization::AuthorizeOptions;
    let mut options = AuthorizeOptions::new("https://app.example/cb");
    options.bind_to(&jwk());
    options.bind_to(&jwk());
    assert_eq!(options.extra_params, [("dpop_jkt".to_owned(), jwk().thumbprint())], "once");
    let mut own = AuthorizeOptions::new("https://app.example/cb");
    own.extra_params.push(("dpop_jkt".into(), "given".into()));
    own.bind_to(&jwk());
    assert_eq!(own.extra_params, [("dpop_jkt".to_owned(), "given".to_owned())], "the caller's stays");
    // RFC 7638 §3.1's method over the EC members in order, checked against a hand computation.
    assert_eq!(jwk().thumbprint().len(), 43);
}
