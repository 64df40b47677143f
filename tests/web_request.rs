//! `request_token` (the Rust API for wasm apps) against real servers on loopback, in Node,
//! headless Chromium and Firefox, and a dedicated worker in Chromium. The servers are
//! started by `scripts/test.sh` (tests/support/servers.mjs), which passes their URLs in
//! `OAUTH2_WASM_TEST_SERVERS` at build time.
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Promise, Reflect, JSON};
use oauth2_wasm::pure::transport::Runtime;
use oauth2_wasm::web::fetch::runtime;
use oauth2_wasm::{
    introspect_token, request_token, revoke_token, ClientAuth, ClientConfig, ErrorKind, Grant, OAuthError,
    RequestOptions, ResourceOwner,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn servers() -> JsValue {
    let Some(json) = option_env!("OAUTH2_WASM_TEST_SERVERS") else {
        panic!("run through `npm test`, which starts the test servers and sets OAUTH2_WASM_TEST_SERVERS")
    };
    JSON::parse(json).expect("OAUTH2_WASM_TEST_SERVERS is JSON")
}

fn url(path: &[&str]) -> String {
    let mut v = servers();
    for key in path {
        v = Reflect::get(&v, &(*key).into()).unwrap();
    }
    v.as_string().unwrap()
}

fn client(endpoint: String, id: &str, secret: &str) -> ClientConfig {
    let mut c = ClientConfig::new(endpoint);
    if !id.is_empty() {
        c.client_id = Some(id.into());
    }
    if !secret.is_empty() {
        c.client_secret = Some(secret.into());
    }
    c
}

const CC: Grant = Grant::ClientCredentials { scope: None };

async fn fails(client: &ClientConfig, grant: &Grant, options: &RequestOptions) -> OAuthError {
    match request_token(client, grant, options).await {
        Ok(_) => panic!("expected an error from {}", client.token_endpoint),
        Err(e) => e,
    }
}

fn fault(path: &str) -> ClientConfig {
    client(url(&["faults"]) + path, "", "")
}

#[wasm_bindgen_test]
async fn autograb_client_credentials() {
    let c = client(url(&["providers"]) + "/request-token", "autograb-client", "autograb-secret");
    let t = request_token(&c, &CC, &RequestOptions::default()).await.unwrap();
    assert_eq!(t.expires_in, Some(3599));
    assert_eq!(t.scope.as_deref(), Some(""));
    assert!(t.refresh_token.is_none());
}

#[wasm_bindgen_test]
async fn olx_partner_grant_and_its_polish_error() {
    let mut c = client(url(&["providers"]) + "/api/open/oauth/token", "", "02468abcdef");
    c.client_id = Some(123u64.into());
    c.client_auth = Some(ClientAuth::Body);
    let grant = |secret: &str| Grant::Partner {
        partner_code: "partner-name".into(),
        partner_secret: secret.into(),
        scope: None,
    };
    let t = request_token(&c, &grant("secret-code"), &RequestOptions::default()).await.unwrap();
    assert_eq!(t.scope.as_deref(), Some("adverts-write read"));
    let e = fails(&c, &grant("wrong"), &RequestOptions::default()).await;
    assert_eq!((e.kind, e.status, e.error.as_deref()), (ErrorKind::OAuth, Some(400), Some("invalid_grant")));
    assert_eq!(e.human_title.as_deref(), Some("Niepoprawna wartość"));
}

#[wasm_bindgen_test]
async fn socialid_password_by_email_address() {
    let mut c = client(url(&["providers"]) + "/v2/marketing/oauth/token", "138", "");
    c.client_secret = Some("e8b9ca24f1b590af67e6271297d6e1f7226625d61c5b5daa1b2f215464e292cf".into());
    let grant = Grant::Password {
        owner: ResourceOwner::EmailAddress("john_doe@domain.com".into()),
        password: "john_doe_secret".into(),
        scope: None,
    };
    let t = request_token(&c, &grant, &RequestOptions::default()).await.unwrap();
    assert_eq!(t.expires_in, Some(604_800));
}

#[wasm_bindgen_test]
async fn oidc_provider_client_credentials_and_refresh_rotation() {
    let c = client(url(&["oidc", "tokenEndpoint"]), &url(&["oidc", "clientId"]), &url(&["oidc", "clientSecret"]));
    let t = request_token(&c, &CC, &RequestOptions::default()).await.unwrap();
    assert_eq!((t.token_type.as_str(), t.expires_in), ("Bearer", Some(600)));

    let minted = fetch_json(&(url(&["control"]) + "/oidc/refresh-token")).await;
    let minted = Reflect::get(&minted, &"refreshToken".into()).unwrap().as_string().unwrap();
    let refresh = |token: &str| Grant::RefreshToken { refresh_token: token.into(), scope: None };
    let t = request_token(&c, &refresh(&minted), &RequestOptions::default()).await.unwrap();
    let rotated = t.refresh_token.expect("a rotated refresh token");
    assert_ne!(rotated.expose(), minted);
    let e = fails(&c, &refresh(&minted), &RequestOptions::default()).await;
    assert_eq!((e.kind, e.error.as_deref()), (ErrorKind::OAuth, Some("invalid_grant")));
}

#[wasm_bindgen_test]
async fn oidc_provider_revokes_a_refresh_token_which_is_refused_afterwards() {
    let mut c = client(url(&["oidc", "tokenEndpoint"]), &url(&["oidc", "clientId"]), &url(&["oidc", "clientSecret"]));
    c.revocation_endpoint = Some(url(&["oidc", "revocationEndpoint"]));
    let minted = fetch_json(&(url(&["control"]) + "/oidc/refresh-token")).await;
    let minted = Reflect::get(&minted, &"refreshToken".into()).unwrap().as_string().unwrap();
    let refresh = |token: &str| Grant::RefreshToken { refresh_token: token.into(), scope: None };
    let t = request_token(&c, &refresh(&minted), &RequestOptions::default()).await.unwrap();
    let rotated = t.refresh_token.expect("a rotated refresh token");
    revoke_token(&c, rotated.expose(), Some("refresh_token"), &RequestOptions::default()).await.unwrap();
    let e = fails(&c, &refresh(rotated.expose()), &RequestOptions::default()).await;
    assert_eq!((e.kind, e.error.as_deref()), (ErrorKind::OAuth, Some("invalid_grant")));
    // An unknown token revokes fine (RFC 7009 §2.2); a wrong secret is invalid_client.
    revoke_token(&c, "not-a-token-it-issued", None, &RequestOptions::default()).await.unwrap();
    c.client_secret = Some("wrong".into());
    let e = revoke_token(&c, "x", None, &RequestOptions::default()).await.unwrap_err();
    assert_eq!((e.kind, e.error.as_deref()), (ErrorKind::OAuth, Some("invalid_client")));
}

#[wasm_bindgen_test]
async fn oidc_provider_introspects_a_token_active_then_inactive_once_revoked() {
    let mut c = client(url(&["oidc", "tokenEndpoint"]), &url(&["oidc", "clientId"]), &url(&["oidc", "clientSecret"]));
    c.revocation_endpoint = Some(url(&["oidc", "revocationEndpoint"]));
    c.introspection_endpoint = Some(url(&["oidc", "introspectionEndpoint"]));
    let t = request_token(&c, &CC, &RequestOptions::default()).await.unwrap();
    let at = t.access_token.expose();
    let info = introspect_token(&c, at, Some("access_token"), &RequestOptions::default()).await.unwrap();
    assert!(info.active);
    assert_eq!(info.client_id.as_deref(), Some(url(&["oidc", "clientId"]).as_str()));
    revoke_token(&c, at, Some("access_token"), &RequestOptions::default()).await.unwrap();
    let info = introspect_token(&c, at, None, &RequestOptions::default()).await.unwrap();
    assert!(!info.active);
}

#[wasm_bindgen_test]
async fn oauth2_mock_server_password_grant() {
    let c = client(url(&["mock", "tokenEndpoint"]), "mock-client", "mock-secret");
    let grant =
        Grant::Password { owner: ResourceOwner::Username("alice".into()), password: "wonderland".into(), scope: None };
    let t = request_token(&c, &grant, &RequestOptions::default()).await.unwrap();
    assert_eq!(t.expires_in, Some(3600));
    assert_eq!(t.access_token.expose().split('.').count(), 3);
}

#[wasm_bindgen_test]
async fn refused_connection_is_a_network_error() {
    let e = fails(&client(url(&["refused"]), "", ""), &CC, &RequestOptions::default()).await;
    assert_eq!(e.kind, ErrorKind::Network);
    if runtime() == Runtime::Browser {
        assert!(e.hint.unwrap_or_default().contains("CORS"));
    }
}

#[wasm_bindgen_test]
async fn reset_mid_body_is_a_network_error() {
    let e = fails(&fault("/reset"), &CC, &RequestOptions::default()).await;
    assert_eq!(e.kind, ErrorKind::Network, "{e}");
    assert!(!format!("{e:?}").contains("reset-token-secret"));
}

#[wasm_bindgen_test]
async fn hanging_server_times_out_within_the_bound() {
    let options = RequestOptions { timeout_ms: Some(300), ..RequestOptions::default() };
    let start = js_sys::Date::now();
    let e = fails(&fault("/hang"), &CC, &options).await;
    let took = js_sys::Date::now() - start;
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert!((290.0..2000.0).contains(&took), "took {took} ms");
}

#[wasm_bindgen_test]
async fn abort_before_and_during_the_request() {
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let options = RequestOptions { signal: Some(controller.signal()), ..RequestOptions::default() };
    assert_eq!(fails(&fault("/token"), &CC, &options).await.kind, ErrorKind::Aborted);

    let controller = web_sys::AbortController::new().unwrap();
    let options = RequestOptions { signal: Some(controller.signal()), ..RequestOptions::default() };
    let abort = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
    let set_timeout: Function = Reflect::get(&js_sys::global(), &"setTimeout".into()).unwrap().unchecked_into();
    set_timeout.call2(&JsValue::UNDEFINED, &abort, &50.into()).unwrap();
    assert_eq!(fails(&fault("/slow-body"), &CC, &options).await.kind, ErrorKind::Aborted);
}

#[wasm_bindgen_test]
async fn error_statuses_are_http_errors() {
    let e = fails(&fault("/html502"), &CC, &RequestOptions::default()).await;
    assert_eq!((e.kind, e.status), (ErrorKind::Http, Some(502)));
    let e = fails(&fault("/empty500"), &CC, &RequestOptions::default()).await;
    assert_eq!((e.kind, e.status), (ErrorKind::Http, Some(500)));
    let e = fails(&fault("/ratelimit"), &CC, &RequestOptions::default()).await;
    assert_eq!((e.kind, e.status, e.retry_after), (ErrorKind::Http, Some(429), Some(30)));
}

#[wasm_bindgen_test]
async fn oversized_bodies_are_refused() {
    for path in ["/huge", "/huge-length"] {
        let e = fails(&fault(path), &CC, &RequestOptions::default()).await;
        assert_eq!(e.kind, ErrorKind::InvalidResponse, "{path}: {e}");
    }
}

#[wasm_bindgen_test]
async fn redirects_are_not_followed() {
    let e = fails(&fault("/redirect"), &CC, &RequestOptions::default()).await;
    assert_eq!(e.kind, ErrorKind::Http);
    // Node sees the 307; a browser sees only an opaque redirect.
    assert!(e.status == Some(307) || (runtime() == Runtime::Browser && e.status.is_none()), "{e:?}");
}

#[wasm_bindgen_test]
async fn an_endpoint_without_cors_fails_in_browsers_with_a_cors_hint() {
    let result = request_token(&fault("/nocors"), &CC, &RequestOptions::default()).await;
    match runtime() {
        Runtime::Browser => {
            let e = result.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Network);
            assert!(e.hint.unwrap_or_default().contains("CORS"));
        }
        Runtime::Server => assert_eq!(result.unwrap().access_token.expose(), "nocors-token"),
    }
}

async fn fetch_json(url: &str) -> JsValue {
    let fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into()).unwrap().unchecked_into();
    let response = JsFuture::from(fetch.call1(&JsValue::UNDEFINED, &url.into()).unwrap().unchecked_into::<Promise>())
        .await
        .unwrap();
    let json: Function = Reflect::get(&response, &"json".into()).unwrap().unchecked_into();
    JsFuture::from(json.call0(&response).unwrap().unchecked_into::<Promise>()).await.unwrap()
}

/// Proof that the run meant for a dedicated worker ran in one (`scripts/test.sh` sets
/// `OAUTH2_WASM_EXPECT=worker` for it, `browser` for page runs, `node` for Node).
#[wasm_bindgen_test]
fn runs_where_it_should() {
    let global = js_sys::global();
    let has = |name: &str| Reflect::has(&global, &name.into()).unwrap();
    match option_env!("OAUTH2_WASM_EXPECT") {
        Some("worker") => assert!(has("WorkerGlobalScope") && !has("document"), "not in a worker"),
        Some("browser") => assert!(has("document"), "not in a page"),
        Some("node") => assert!(has("process") && runtime() == Runtime::Server, "not in Node"),
        _ => panic!("set OAUTH2_WASM_EXPECT: run through `npm test`"),
    }
}

/// Issue 13, finding 1, in each runtime: the endpoint check is the runtime's own `URL`
/// parse, so a backslash cannot make `evil.example` look like loopback; nothing is fetched.
#[wasm_bindgen_test]
async fn issue13_the_https_rule_cannot_be_bypassed_with_a_backslash() {
    let called = Function::new_with_args("", "globalThis.__issue13_fetched = true; return fetch('about:blank')");
    let options = RequestOptions { fetch: Some(called), ..RequestOptions::default() };
    for endpoint in
        ["http://evil.example\\.localhost/token", "http://\\evil.example\\.localhost", "http://api.localhost/t"]
    {
        let e = fails(&client(endpoint.into(), "c", "s"), &CC, &options).await;
        assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Config, Some("tokenEndpoint")), "{endpoint}");
        let e = oauth2_wasm::build_token_request(&client(endpoint.into(), "c", "s"), &CC).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tokenEndpoint"), "{endpoint}");
    }
    let fetched = Reflect::get(&js_sys::global(), &"__issue13_fetched".into()).unwrap();
    assert!(fetched.is_undefined(), "nothing was sent");
    for endpoint in ["http://127.1/token", "http://[::1]:9/t", "http://localhost/t"] {
        oauth2_wasm::build_token_request(&client(endpoint.into(), "c", "s"), &CC).expect(endpoint);
    }
}

#[wasm_bindgen_test]
async fn oidc_provider_discovery_falls_back_to_openid_configuration_and_gives_a_working_client() {
    let issuer = url(&["oidc", "issuer"]);
    let m = oauth2_wasm::discover(&issuer, false, &RequestOptions::default()).await.unwrap();
    assert_eq!(m.token_endpoint, url(&["oidc", "tokenEndpoint"]));
    assert_eq!(m.revocation_endpoint.as_deref(), Some(url(&["oidc", "revocationEndpoint"]).as_str()));
    assert_eq!(m.authorization_response_iss_parameter_supported, Some(true));
    let c = m.client(client(String::new(), &url(&["oidc", "clientId"]), &url(&["oidc", "clientSecret"])));
    assert_eq!((c.client_auth, c.require_iss), (Some(ClientAuth::Basic), true));
    let t = request_token(&c, &CC, &RequestOptions::default()).await.unwrap();
    assert_eq!(t.token_type, "Bearer");
    // Neither document under another path: kind http, 404.
    let e = oauth2_wasm::discover(&(issuer + "/nowhere"), false, &RequestOptions::default()).await.unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::Http, Some(404)));
}

/// A private JWK of oidc-provider's private_key_jwt client (`rsa`, `ec`, `ed`), imported as
/// a non-extractable WebCrypto key for `params`.
async fn client_key(name: &str, params: &str) -> web_sys::CryptoKey {
    let jwk = ["oidc", "jwtClient", "keys", name, "private"]
        .iter()
        .fold(servers(), |v, k| Reflect::get(&v, &(*k).into()).unwrap());
    let import = Function::new_with_args(
        "jwk, params",
        "return crypto.subtle.importKey('jwk', jwk, JSON.parse(params), false, ['sign'])",
    );
    let promise: Promise = import.call2(&JsValue::UNDEFINED, &jwk, &params.into()).unwrap().unchecked_into();
    JsFuture::from(promise).await.unwrap().unchecked_into()
}

/// Issue 17: private_key_jwt (RSA and P-256 CryptoKeys) and client_secret_jwt, signed by
/// the platform's WebCrypto, accepted by oidc-provider.
#[wasm_bindgen_test]
async fn oidc_provider_accepts_jwt_client_authentication() {
    let endpoint = url(&["oidc", "tokenEndpoint"]);
    let mut c = client(endpoint.clone(), &url(&["oidc", "jwtClient", "clientId"]), "");
    c.client_auth = Some(ClientAuth::PrivateKeyJwt);
    for (name, params) in [
        ("rsa", r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-256"}"#),
        ("ec", r#"{"name":"ECDSA","namedCurve":"P-256"}"#),
    ] {
        let options = RequestOptions { private_key: Some(client_key(name, params).await), ..RequestOptions::default() };
        let t = request_token(&c, &CC, &options).await.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(!t.access_token.expose().is_empty());
    }
    // Without the key: the core says what is missing, nothing is sent.
    let e = fails(&c, &CC, &RequestOptions::default()).await;
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Config, Some("privateKey")));
    let mut hs = client(endpoint, &url(&["oidc", "hsClient", "clientId"]), &url(&["oidc", "hsClient", "clientSecret"]));
    hs.client_auth = Some(ClientAuth::ClientSecretJwt);
    request_token(&hs, &CC, &RequestOptions::default()).await.unwrap();
}

/// Issue 17: DPoP — the nonce oidc-provider asks for, the token bound to the key (cnf.jkt
/// by introspection, itself sent with a proof).
#[wasm_bindgen_test]
async fn oidc_provider_binds_tokens_to_a_dpop_key() {
    let mut c = client(url(&["oidc", "tokenEndpoint"]), &url(&["oidc", "clientId"]), &url(&["oidc", "clientSecret"]));
    c.introspection_endpoint = Some(url(&["oidc", "introspectionEndpoint"]));
    let key = oauth2_wasm::DpopKey::generate().await.unwrap();
    assert!(!key.private_key().extractable(), "the private key cannot be exported");
    let options = RequestOptions { dpop: Some(key.clone()), ..RequestOptions::default() };
    let t = request_token(&c, &CC, &options).await.unwrap();
    assert_eq!(t.token_type, "DPoP");
    let info = introspect_token(&c, t.access_token.expose(), None, &options).await.unwrap();
    let jkt = info.raw.get("cnf").and_then(|cnf| cnf.get("jkt")).and_then(|j| j.as_str()).map(str::to_owned);
    assert_eq!(jkt, Some(key.public_jwk().thumbprint()));
}
