//! The Rust `TokenManager` in wasm — Node, headless Chromium (page and worker) and
//! Firefox — against the OLX-like provider of the test servers: storage per runtime,
//! single-flight refresh, persistence, sessionStorage, corrupt records, failing storage.
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Promise, Reflect, JSON};
use oauth2_wasm::web::manager::{ChangeReason, ManagerOptions, TokenManager};
use oauth2_wasm::web::storage::StorageChoice;
use oauth2_wasm::{ClientConfig, ErrorKind, Grant, ResourceOwner, TokenStorage};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use wasm_bindgen_test::wasm_bindgen_test;

fn provider() -> String {
    let Some(json) = option_env!("OAUTH2_WASM_TEST_SERVERS") else {
        panic!("run through `npm test`, which starts the test servers and sets OAUTH2_WASM_TEST_SERVERS")
    };
    let servers = JSON::parse(json).unwrap();
    Reflect::get(&servers, &"providers".into()).unwrap().as_string().unwrap()
}

fn in_window() -> bool {
    Reflect::has(&js_sys::global(), &"document".into()).unwrap()
}

fn olx() -> ClientConfig {
    let mut c = ClientConfig::new(provider() + "/api/open/oauth/token");
    c.client_id = Some(123u64.into());
    c.client_secret = Some("02468abcdef".into());
    c.acknowledge_browser_secrets = true;
    c
}

fn login() -> Grant {
    Grant::Password {
        owner: ResourceOwner::Username("user@sneaky.domain".into()),
        password: "gimmeaccess".into(),
        scope: None,
    }
}

/// A clock the test moves (a Rust `Clock`), and a fetch that counts token requests.
struct Harness {
    offset: Rc<Cell<f64>>,
    requests: Rc<Cell<u32>>,
    fetch: Closure<dyn Fn(JsValue, JsValue) -> JsValue>,
}

impl Harness {
    fn new() -> Harness {
        let offset = Rc::new(Cell::new(0.0));
        let requests = Rc::new(Cell::new(0));
        let r = requests.clone();
        let fetch = Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(move |url: JsValue, init: JsValue| {
            r.set(r.get() + 1);
            let global_fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into()).unwrap().unchecked_into();
            global_fetch.call2(&JsValue::UNDEFINED, &url, &init).unwrap()
        });
        Harness { offset, requests, fetch }
    }

    fn options(&self, storage: Option<StorageChoice>, key: &str) -> ManagerOptions {
        let mut o = ManagerOptions::new(olx());
        o.storage = storage;
        o.storage_key = Some(key.to_owned());
        let offset = self.offset.clone();
        o.clock = Some(Rc::new(move || (js_sys::Date::now() + offset.get()) as u64));
        o.fetch = Some(self.fetch.as_ref().unchecked_ref::<Function>().clone());
        o
    }

    fn advance(&self, secs: f64) {
        self.offset.set(self.offset.get() + secs * 1000.0);
    }
}

fn key(name: &str) -> String {
    format!("oauth2-wasm-test:{name}:{}", js_sys::Math::random())
}

fn reasons(manager: &TokenManager) -> Rc<RefCell<Vec<ChangeReason>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    manager.on_change(Rc::new(move |_, event| s.borrow_mut().push(event.reason)));
    seen
}

async fn tick() {
    let _ = JsFuture::from(Promise::resolve(&JsValue::UNDEFINED)).await;
    let _ = JsFuture::from(Promise::resolve(&JsValue::UNDEFINED)).await;
}

#[wasm_bindgen_test]
async fn fifty_concurrent_callers_after_expiry_make_one_refresh() {
    let h = Harness::new();
    let m = TokenManager::new(h.options(Some(StorageChoice::Memory), &key("flight"))).unwrap();
    let first = m.login(&login()).await.unwrap();
    assert_eq!(h.requests.get(), 1);
    assert_eq!(m.get_access_token().await.unwrap(), first.access_token.expose());
    h.advance(43_200.0);
    let calls: js_sys::Array = (0..50)
        .map(|_| {
            let m = m.clone();
            JsValue::from(future_to_promise(async move {
                m.get_access_token().await.map(|t| JsValue::from_str(&t)).map_err(|e| JsValue::from_str(&e.message))
            }))
        })
        .collect();
    let tokens = JsFuture::from(Promise::all(&calls)).await.unwrap();
    let tokens: Vec<String> = js_sys::Array::from(&tokens).iter().map(|t| t.as_string().unwrap()).collect();
    assert_eq!(h.requests.get(), 2, "one refresh for fifty callers");
    assert!(tokens.iter().all(|t| t == &tokens[0]) && tokens[0] != first.access_token.expose());
}

#[wasm_bindgen_test]
async fn storage_defaults_to_local_in_a_window_and_memory_elsewhere() {
    let h = Harness::new();
    let k = key("default");
    let a = TokenManager::new(h.options(None, &k)).unwrap();
    let tokens = a.login(&login()).await.unwrap();
    let b = TokenManager::new(h.options(None, &k)).unwrap();
    if in_window() {
        let stored = web_sys::window().unwrap().local_storage().unwrap().unwrap().get_item(&k).unwrap().unwrap();
        assert!(stored.contains(tokens.access_token.expose()) && !stored.contains("02468abcdef"));
        assert_eq!(b.get_tokens().unwrap().access_token, tokens.access_token, "a reload finds the session");
        a.logout().await;
        assert!(web_sys::window().unwrap().local_storage().unwrap().unwrap().get_item(&k).unwrap().is_none());
    } else {
        assert!(b.get_tokens().is_none(), "workers and Node keep tokens in memory");
    }
}

#[wasm_bindgen_test]
async fn session_storage_survives_a_new_manager_in_the_same_tab() {
    if !in_window() {
        let h = Harness::new();
        let m = TokenManager::new(h.options(Some(StorageChoice::Session), &key("nosession"))).unwrap();
        let seen = reasons(&m);
        tick().await;
        assert_eq!(*seen.borrow(), vec![ChangeReason::StorageError], "no sessionStorage here: memory, with an event");
        return;
    }
    let h = Harness::new();
    let k = key("session");
    let a = TokenManager::new(h.options(Some(StorageChoice::Session), &k)).unwrap();
    let tokens = a.login(&login()).await.unwrap();
    let b = TokenManager::new(h.options(Some(StorageChoice::Session), &k)).unwrap();
    assert_eq!(b.get_tokens().unwrap().access_token, tokens.access_token);
    let local = TokenManager::new(h.options(Some(StorageChoice::Local), &k)).unwrap();
    assert!(local.get_tokens().is_none(), "sessionStorage is not localStorage");
}

#[wasm_bindgen_test]
async fn a_corrupt_record_is_discarded_with_an_event() {
    if !in_window() {
        return;
    }
    let h = Harness::new();
    let k = key("corrupt");
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.set_item(&k, "{not a record").unwrap();
    let m = TokenManager::new(h.options(Some(StorageChoice::Local), &k)).unwrap();
    let seen = reasons(&m);
    tick().await;
    assert_eq!(*seen.borrow(), vec![ChangeReason::Discarded]);
    assert!(m.get_tokens().is_none());
    assert_eq!(m.get_access_token().await.unwrap_err().kind, ErrorKind::LoginRequired);
}

#[wasm_bindgen_test]
async fn storage_that_throws_on_get_item_or_set_item_falls_back_to_memory() {
    if !in_window() {
        return;
    }
    let proto =
        Reflect::get(&Reflect::get(&js_sys::global(), &"Storage".into()).unwrap(), &"prototype".into()).unwrap();
    let original = Reflect::get(&proto, &"setItem".into()).unwrap();
    let h = Harness::new();
    let m = TokenManager::new(h.options(Some(StorageChoice::Local), &key("quota"))).unwrap();
    let seen = reasons(&m);
    let thrower = Function::new_no_args("throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')");
    Reflect::set(&proto, &"setItem".into(), &thrower).unwrap();
    let result = m.login(&login()).await;
    Reflect::set(&proto, &"setItem".into(), &original).unwrap();
    let tokens = result.unwrap();
    tick().await;
    assert_eq!(m.get_access_token().await.unwrap(), tokens.access_token.expose());
    assert!(seen.borrow().contains(&ChangeReason::StorageError), "{:?}", seen.borrow());
    // getItem throwing when the manager reads the store (gloo-storage would unwind here).
    let original_get = Reflect::get(&proto, &"getItem".into()).unwrap();
    let thrower = Function::new_no_args("throw new DOMException('The operation is insecure.', 'SecurityError')");
    Reflect::set(&proto, &"getItem".into(), &thrower).unwrap();
    let m = TokenManager::new(h.options(Some(StorageChoice::Local), &key("insecure")));
    Reflect::set(&proto, &"getItem".into(), &original_get).unwrap();
    let m = m.unwrap();
    let seen = reasons(&m);
    let tokens = m.login(&login()).await.unwrap();
    tick().await;
    assert_eq!(m.get_access_token().await.unwrap(), tokens.access_token.expose());
    assert!(seen.borrow().contains(&ChangeReason::StorageError), "{:?}", seen.borrow());
}

/// A Rust store: a map, and whether its calls fail.
#[derive(Default)]
struct MapStore {
    map: RefCell<HashMap<String, String>>,
    broken: Cell<bool>,
}

impl TokenStorage for MapStore {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        match self.broken.get() {
            true => Err("the map is closed".into()),
            false => Ok(self.map.borrow().get(key).cloned()),
        }
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        if self.broken.get() {
            return Err("the map is full".into());
        }
        self.map.borrow_mut().insert(key.to_owned(), value.to_owned());
        Ok(())
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        self.map.borrow_mut().remove(key);
        Ok(())
    }
}

#[wasm_bindgen_test]
async fn a_rust_token_storage_keeps_the_session_for_the_next_manager_and_a_failing_one_falls_back_to_memory() {
    let h = Harness::new();
    let k = key("custom");
    let store = Rc::new(MapStore::default());
    let a = TokenManager::new(h.options(Some(StorageChoice::Custom(store.clone())), &k)).unwrap();
    let tokens = a.login(&login()).await.unwrap();
    let stored = store.map.borrow().get(&k).cloned().expect("the record is in the Rust store");
    assert!(stored.contains(tokens.access_token.expose()) && !stored.contains("02468abcdef"));
    let b = TokenManager::new(h.options(Some(StorageChoice::Custom(store.clone())), &k)).unwrap();
    assert_eq!(b.get_tokens().unwrap().access_token, tokens.access_token, "read at once, synchronously");
    b.logout().await;
    assert!(store.map.borrow().get(&k).is_none(), "logout removes the record");

    store.broken.set(true);
    let c = TokenManager::new(h.options(Some(StorageChoice::Custom(store.clone())), &k)).unwrap();
    let seen = reasons(&c);
    let again = c.login(&login()).await.unwrap();
    tick().await;
    assert!(seen.borrow().contains(&ChangeReason::StorageError), "{:?}", seen.borrow());
    assert_eq!(c.get_access_token().await.unwrap(), again.access_token.expose(), "kept in memory");
}

#[wasm_bindgen_test]
async fn the_javascript_clock_is_the_escape_hatch_and_the_rust_clock_wins() {
    let h = Harness::new();
    let ahead = Closure::<dyn Fn() -> f64>::new(|| js_sys::Date::now() + 86_400_000.0);
    let mut with_js = h.options(Some(StorageChoice::Memory), &key("jsclock"));
    with_js.clock = None;
    with_js.now = Some(ahead.as_ref().unchecked_ref::<Function>().clone());
    let m = TokenManager::new(with_js).unwrap();
    let t = m.login(&login()).await.unwrap();
    let now = js_sys::Date::now() as u64;
    assert!(t.expires_at.unwrap() > now + 86_000_000, "expiry reckoned on the JavaScript clock, a day ahead");

    let mut both = h.options(Some(StorageChoice::Memory), &key("bothclocks"));
    both.now = Some(ahead.as_ref().unchecked_ref::<Function>().clone());
    let m = TokenManager::new(both).unwrap();
    let t = m.login(&login()).await.unwrap();
    assert!(t.expires_at.unwrap() < now + 86_000_000, "the Rust clock wins over `now`");
}

/// An authorization server in a `fetch`: the code it handed out is exchanged only with the
/// verifier whose S256 challenge the authorization URL carried.
fn code_exchanging_fetch(challenge: Rc<RefCell<String>>) -> Closure<dyn Fn(JsValue, JsValue) -> JsValue> {
    Closure::new(move |_url: JsValue, init: JsValue| {
        let body = Reflect::get(&init, &"body".into()).unwrap().as_string().unwrap_or_default();
        let params = web_sys::UrlSearchParams::new_with_str(&body).unwrap();
        let verifier = params.get("code_verifier").unwrap_or_default();
        let good = params.get("grant_type").as_deref() == Some("authorization_code")
            && params.get("code").as_deref() == Some("the-code")
            && params.get("redirect_uri").as_deref() == Some("https://app.example/callback")
            && oauth2_wasm::code_challenge_s256(&verifier).ok().as_deref() == Some(challenge.borrow().as_str());
        let (status, json) = if good {
            (200, r#"{"access_token":"AT-code","token_type":"Bearer","expires_in":3600,"refresh_token":"RT-code"}"#)
        } else {
            (400, r#"{"error":"invalid_grant"}"#)
        };
        let init = web_sys::ResponseInit::new();
        init.set_status(status);
        let headers = web_sys::Headers::new().unwrap();
        headers.set("content-type", "application/json").unwrap();
        init.set_headers(&headers);
        let response = web_sys::Response::new_with_opt_str_and_init(Some(json), &init).unwrap();
        Promise::resolve(&response).into()
    })
}

#[wasm_bindgen_test]
async fn authorize_then_handle_callback_exchanges_the_code_once_with_the_verifier() {
    let challenge = Rc::new(RefCell::new(String::new()));
    let fetch = code_exchanging_fetch(challenge.clone());
    let client = ClientConfig::builder("https://as.example/token")
        .client_id("spa")
        .authorization_endpoint("https://as.example/authorize")
        .issuer("https://as.example")
        .build();
    let mut options = ManagerOptions::new(client);
    options.storage = Some(StorageChoice::Memory);
    let storage_key = key("authorize");
    options.storage_key = Some(storage_key.clone());
    options.fetch = Some(fetch.as_ref().unchecked_ref::<Function>().clone());
    let m = TokenManager::new(options).unwrap();
    let mut ask = oauth2_wasm::AuthorizeOptions::new("https://app.example/callback");
    ask.scope = Some("openid".into());
    let url = web_sys::Url::new(&m.authorize(&ask).unwrap()).unwrap();
    let query = url.search_params();
    *challenge.borrow_mut() = query.get("code_challenge").unwrap();
    let state = query.get("state").unwrap();
    assert_eq!(query.get("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(query.get("client_id").as_deref(), Some("spa"));
    if in_window() {
        let session = web_sys::window().unwrap().session_storage().unwrap().unwrap();
        let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
        let transaction = format!("{storage_key}#authorization");
        assert!(session.get_item(&transaction).unwrap().is_some(), "kept in sessionStorage");
        assert!(local.get_item(&transaction).unwrap().is_none(), "never in localStorage");
    }
    let callback = format!("https://app.example/callback?code=the-code&state={state}&iss=https%3A%2F%2Fas.example");
    let tokens = m.handle_callback(&callback).await.unwrap();
    assert_eq!(tokens.access_token.expose(), "AT-code");
    assert_eq!(m.get_access_token().await.unwrap(), "AT-code", "stored as a login is");
    let again = m.handle_callback(&callback).await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::InvalidResponse, "{}", again.message);
    // A forged state is refused before anything is sent.
    m.authorize(&ask).unwrap();
    let forged = m.handle_callback("https://app.example/callback?code=the-code&state=forged").await.unwrap_err();
    assert!(forged.kind == ErrorKind::InvalidResponse && forged.message.contains("state"), "{}", forged.message);
}

/// `servers.oidc[key]` of the test servers.
fn oidc(key: &str) -> String {
    let Some(json) = option_env!("OAUTH2_WASM_TEST_SERVERS") else {
        panic!("run through `npm test`, which starts the test servers and sets OAUTH2_WASM_TEST_SERVERS")
    };
    let servers = JSON::parse(json).unwrap();
    let oidc = Reflect::get(&servers, &"oidc".into()).unwrap();
    Reflect::get(&oidc, &key.into()).unwrap().as_string().unwrap()
}

/// The thumbprint of the key `token` is bound to (RFC 9449 `cnf.jkt`), by introspection.
async fn jkt(client: &ClientConfig, token: &str) -> Option<String> {
    let info =
        oauth2_wasm::introspect_token(client, token, None, &oauth2_wasm::RequestOptions::default()).await.unwrap();
    info.raw.get("cnf").and_then(|c| c.get("jkt")).and_then(|j| j.as_str()).map(str::to_owned)
}

/// Issue 17: the Rust manager with `dpop: true` against oidc-provider — its tokens bound to
/// its key (kept in IndexedDB in pages, in memory in Node and workers), the same key after a
/// refresh, a new key after logout.
#[wasm_bindgen_test]
async fn the_manager_binds_its_session_to_a_dpop_key() {
    let mut client = ClientConfig::new(oidc("tokenEndpoint"));
    client.client_id = Some(oidc("clientId").into());
    client.client_secret = Some(oidc("clientSecret").into());
    client.introspection_endpoint = Some(oidc("introspectionEndpoint"));
    client.acknowledge_browser_secrets = true;
    let mut options = ManagerOptions::new(client.clone());
    options.grant = Some(Grant::ClientCredentials { scope: None });
    options.storage = Some(StorageChoice::Memory);
    options.storage_key = Some(format!("dpop-test-{}", js_sys::Math::random()));
    options.dpop = true;
    let manager = TokenManager::new(options).unwrap();
    let token = manager.get_access_token().await.unwrap();
    assert_eq!(manager.get_tokens().unwrap().token_type, "DPoP");
    let first = jkt(&client, &token).await.expect("bound to a key");
    let renewed = manager.refresh().await.unwrap();
    assert_eq!(jkt(&client, renewed.access_token.expose()).await.as_deref(), Some(first.as_str()));
    manager.logout().await;
    let next = manager.get_access_token().await.unwrap();
    let second = jkt(&client, &next).await.expect("bound to a key");
    assert_ne!(second, first, "logout forgot the key");
}
