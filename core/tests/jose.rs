//! Host tests of the JWTs the client signs (issue 17): DPoP proofs (RFC 9449) and client
//! assertions (RFC 7523), their headers and claims, the algorithm a key signs with, the
//! nonces kept per server, and the requests that carry them. The signatures are checked by
//! an independent JOSE library in the Node tests (tests/node/dpop.test.mjs).
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::jose::{self, Alg, KeyFacts, PublicJwk};
use oauth2_wasm_core::{build_token_request, ClientAuth, ClientConfig, ErrorKind, Grant, OAuthError, UrlParser};

const NOW: u64 = 1_700_000_000_123;
const RANDOM: [u8; 16] = [7; 16];

fn decode(part: &str) -> serde_json::Value {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in part.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        } as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    serde_json::from_slice(&out).expect("JSON")
}

fn parts(input: &str) -> (serde_json::Value, serde_json::Value) {
    let (h, c) = input.split_once('.').expect("two parts");
    (decode(h), decode(c))
}

fn jwk() -> PublicJwk {
    PublicJwk {
        x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU".into(),
        y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0".into(),
    }
}

fn facts(kty: Option<&str>, crv: Option<&str>, alg: Option<&str>, name: Option<&str>, hash: Option<&str>) -> KeyFacts {
    let s = |v: Option<&str>| v.map(str::to_owned);
    KeyFacts { kty: s(kty), crv: s(crv), alg: s(alg), name: s(name), hash: s(hash), private: true }
}

fn form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[test]
fn a_dpop_proof_has_the_header_and_claims_of_rfc_9449() {
    let url = oauth2_wasm_core::endpoint::WhatwgUrl.parse_url("https://AS.example:443/token?x=1#f").expect("a URL");
    let htu = jose::htu(&url);
    assert_eq!(htu, "https://as.example/token");
    let proof = jose::dpop_proof(&jwk(), "POST", &htu, NOW, &RANDOM, None, None);
    assert_eq!(proof.alg, Alg::Es256);
    let (header, claims) = parts(&proof.input);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["jwk"], serde_json::json!({"crv": "P-256", "kty": "EC", "x": jwk().x, "y": jwk().y}));
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], "https://as.example/token");
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["jti"].as_str().map(str::len), Some(22));
    assert!(claims.get("nonce").is_none() && claims.get("ath").is_none());

    let proof = jose::dpop_proof(&jwk(), "GET", &htu, NOW, &RANDOM, Some("n-1"), Some("at-1"));
    let (_, claims) = parts(&proof.input);
    assert_eq!(claims["nonce"], "n-1");
    // base64url(SHA-256("at-1")), as `printf at-1 | openssl dgst -sha256 -binary | base64url`.
    assert_eq!(claims["ath"], jose::ath("at-1"));
    assert_eq!(jose::ath("at-1").len(), 43);
    // RFC 7638 §3.1's example thumbprint is over an RSA key; ours is the EC member order.
    assert_eq!(jwk().thumbprint().len(), 43);
    // The compact form appends the signature.
    assert_eq!(proof.compact(&[0xff, 0xfe]), format!("{}.__4", proof.input));
}

#[test]
fn only_an_es256_public_jwk_is_a_dpop_key() {
    let good = serde_json::json!({"kty": "EC", "crv": "P-256", "x": jwk().x, "y": jwk().y});
    let read =
        |v: serde_json::Value| PublicJwk::from_value(&oauth2_wasm_core::json::parse(&v.to_string()).expect("JSON"));
    assert_eq!(read(good.clone()).expect("a key"), jwk());
    for bad in [
        serde_json::json!({"kty": "EC", "crv": "P-384", "x": jwk().x, "y": jwk().y}),
        serde_json::json!({"kty": "RSA", "n": "x", "e": "AQAB"}),
        serde_json::json!({"kty": "EC", "crv": "P-256", "x": jwk().x, "y": "short"}),
        serde_json::json!({"kty": "EC", "crv": "P-256", "x": jwk().x, "y": jwk().y, "d": "private"}),
    ] {
        let e = read(bad).expect_err("refused");
        assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Config, Some("dpop")));
    }
}

#[test]
fn the_signing_algorithm_follows_the_key_unless_named() {
    let cases: &[(KeyFacts, Option<&str>, Result<Alg, &str>)] = &[
        (facts(Some("RSA"), None, None, None, None), None, Ok(Alg::Rs256)),
        (facts(Some("RSA"), None, Some("PS256"), None, None), None, Ok(Alg::Ps256)),
        (facts(Some("RSA"), None, None, None, None), Some("PS256"), Ok(Alg::Ps256)),
        (facts(Some("EC"), Some("P-256"), None, None, None), None, Ok(Alg::Es256)),
        (facts(Some("OKP"), Some("Ed25519"), None, None, None), None, Ok(Alg::EdDsa)),
        (facts(None, None, None, Some("RSASSA-PKCS1-v1_5"), Some("SHA-256")), None, Ok(Alg::Rs256)),
        (facts(None, None, None, Some("RSA-PSS"), Some("SHA-256")), None, Ok(Alg::Ps256)),
        (facts(None, Some("P-256"), None, Some("ECDSA"), None), None, Ok(Alg::Es256)),
        (facts(None, None, None, Some("Ed25519"), None), None, Ok(Alg::EdDsa)),
        // What does not fit is named.
        (facts(Some("EC"), Some("P-384"), None, None, None), None, Err("privateKey")),
        (facts(Some("EC"), Some("P-256"), None, None, None), Some("RS256"), Err("signingAlg")),
        (facts(Some("RSA"), None, None, None, None), Some("HS256"), Err("signingAlg")),
        (facts(Some("RSA"), None, Some("RS512"), None, None), None, Err("privateKey")),
        // A CryptoKey signs with the algorithm it was made for, and SHA-256 only.
        (facts(None, None, None, Some("RSASSA-PKCS1-v1_5"), Some("SHA-256")), Some("PS256"), Err("signingAlg")),
        (facts(None, None, None, Some("RSASSA-PKCS1-v1_5"), Some("SHA-512")), None, Err("privateKey")),
        (facts(None, None, None, Some("HMAC"), Some("SHA-256")), None, Err("privateKey")),
    ];
    let public = KeyFacts { private: false, ..facts(Some("EC"), Some("P-256"), None, None, None) };
    assert_eq!(jose::signing_alg(None, &public).expect_err("public").field.as_deref(), Some("privateKey"));
    for (key, requested, expected) in cases {
        let got = jose::signing_alg(*requested, key).map_err(|e: OAuthError| {
            assert_eq!(e.kind, ErrorKind::Config);
            e.field.unwrap_or_default()
        });
        assert_eq!(got.as_ref().map_err(String::as_str), expected.as_ref().map_err(|s| *s), "{key:?} {requested:?}");
    }
}

fn jwt_client(auth: ClientAuth) -> ClientConfig {
    let mut c = ClientConfig::builder("https://as.example/token").client_id("app").client_auth(auth).build();
    match auth {
        ClientAuth::PrivateKeyJwt => c.private_key = Some(facts(Some("EC"), Some("P-256"), None, None, None)),
        _ => c.client_secret = Some("s3cret".into()),
    }
    c
}

#[test]
fn a_client_assertion_has_the_claims_of_rfc_7523() {
    let mut client = jwt_client(ClientAuth::PrivateKeyJwt);
    client.key_id = Some("k1".into());
    let a = jose::client_assertion(&client, "https://as.example/token", NOW, &RANDOM).expect("ok").expect("one");
    assert_eq!(a.alg, Alg::Es256);
    let (header, claims) = parts(&a.input);
    assert_eq!(header, serde_json::json!({"alg": "ES256", "kid": "k1"}));
    assert_eq!(claims["iss"], "app");
    assert_eq!(claims["sub"], "app");
    assert_eq!(claims["aud"], "https://as.example/token");
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["exp"], 1_700_000_060);
    assert_eq!(claims["jti"].as_str().map(str::len), Some(22));

    client.assertion_audience = Some("https://as.example".into());
    let a = jose::client_assertion(&client, "https://as.example/revoke", NOW, &RANDOM).expect("ok").expect("one");
    assert_eq!(parts(&a.input).1["aud"], "https://as.example");

    let secret = jwt_client(ClientAuth::ClientSecretJwt);
    let a = jose::client_assertion(&secret, "https://as.example/token", NOW, &RANDOM).expect("ok").expect("one");
    assert_eq!((a.alg, parts(&a.input).0), (Alg::Hs256, serde_json::json!({"alg": "HS256"})));

    // Other client authentication signs nothing.
    let basic = ClientConfig::builder("https://as.example/token").client_id("app").client_secret("s").build();
    assert_eq!(jose::client_assertion(&basic, "https://as.example/token", NOW, &RANDOM).expect("ok"), None);
}

#[test]
fn what_an_assertion_needs_is_named() {
    let field = |c: &ClientConfig| {
        jose::client_assertion(c, "https://as.example/token", NOW, &RANDOM)
            .expect_err("refused")
            .field
            .unwrap_or_default()
    };
    let mut c = jwt_client(ClientAuth::PrivateKeyJwt);
    c.private_key = None;
    assert_eq!(field(&c), "privateKey");
    let mut c = jwt_client(ClientAuth::PrivateKeyJwt);
    c.client_id = None;
    assert_eq!(field(&c), "clientId");
    let mut c = jwt_client(ClientAuth::ClientSecretJwt);
    c.client_secret = None;
    assert_eq!(field(&c), "clientSecret");
    let mut c = jwt_client(ClientAuth::ClientSecretJwt);
    c.signing_alg = Some("RS256".into());
    assert_eq!(field(&c), "signingAlg");
}

#[test]
fn the_request_carries_the_assertion_and_the_proof() {
    let grant = Grant::ClientCredentials { scope: None };
    let mut client = jwt_client(ClientAuth::PrivateKeyJwt);
    let e = build_token_request(&client, &grant).expect_err("no assertion yet");
    assert_eq!(e.field.as_deref(), Some("clientAssertion"));
    client.client_assertion = Some("h.c.s".into());
    let mut r = build_token_request(&client, &grant).expect("a request");
    assert_eq!(
        form(&r.body),
        [
            ("grant_type".into(), "client_credentials".into()),
            ("client_id".into(), "app".into()),
            ("client_assertion_type".into(), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()),
            ("client_assertion".into(), "h.c.s".into()),
        ]
    );
    assert!(r.headers.iter().all(|(n, _)| n != "Authorization"));
    r.add_dpop("p.r.f".into());
    assert_eq!(r.headers.last(), Some(&("DPoP".to_owned(), "p.r.f".to_owned())));
    // The secret of client_secret_jwt is never sent.
    let mut secret = jwt_client(ClientAuth::ClientSecretJwt);
    secret.client_assertion = Some("h.c.s".into());
    let r = build_token_request(&secret, &grant).expect("a request");
    assert!(!r.body.contains("s3cret") && r.headers.iter().all(|(_, v)| !v.contains("s3cret")));
    // Neither header nor parameter can be set by hand.
    let mut c = secret.clone();
    c.headers = vec![("dpop".into(), "x".into())];
    assert_eq!(build_token_request(&c, &grant).expect_err("managed").field.as_deref(), Some("headers.dpop"));
    let mut c = secret;
    c.extra_params = vec![("client_assertion".into(), "x".into())];
    assert_eq!(
        build_token_request(&c, &grant).expect_err("managed").field.as_deref(),
        Some("extraParams.client_assertion")
    );
}

#[test]
fn nonces_are_checked_and_asked_for_by_use_dpop_nonce() {
    assert!(jose::valid_nonce("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
    for bad in ["", "has space", "quote\"", "back\\slash", "tab\t", "é"] {
        assert!(!jose::valid_nonce(bad), "{bad:?}");
    }
    assert!(!jose::valid_nonce(&"n".repeat(1025)));
    let mut e = OAuthError::new(ErrorKind::OAuth, "x");
    e.error = Some("use_dpop_nonce".into());
    assert_eq!(jose::nonce_asked(&e, Some("n9")), Some("n9"));
    assert_eq!(jose::nonce_asked(&e, None), None);
    assert_eq!(jose::nonce_asked(&e, Some("bad nonce")), None);
    e.error = Some("invalid_grant".into());
    assert_eq!(jose::nonce_asked(&e, Some("n9")), None);
    // At a resource: a 401 with a DPoP challenge asking for it.
    let asked = |status, header: &str| jose::resource_nonce_asked(status, Some(header), Some("n1"));
    assert_eq!(asked(401, r#"DPoP error="use_dpop_nonce", error_description="x""#), Some("n1"));
    assert_eq!(asked(401, r#"Bearer realm="x", DPoP error="use_dpop_nonce""#), Some("n1"));
    assert_eq!(asked(200, r#"DPoP error="use_dpop_nonce""#), None);
    assert_eq!(asked(401, r#"DPoPx error="use_dpop_nonce""#), None);
    assert_eq!(asked(401, r#"Bearer error="invalid_token""#), None);
    assert_eq!(jose::resource_nonce_asked(401, Some(r#"DPoP error="use_dpop_nonce""#), Some("bad nonce")), None);
}
