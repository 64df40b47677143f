//! With feature `rust-driver` (tests only, never shipped): `TokenManager` and `requestToken`
//! from the Rust API's own driver of the session machine (`oauth2_wasm::TokenManager`,
//! async Rust) instead of the package's JavaScript driver, so that the Node behaviour tests
//! run against both drivers (scripts/test.sh). Each method clones the manager handle
//! before awaiting, so overlapping calls never hold a borrow of the JavaScript object.

use super::{arg, parse_to_js, request_options, to_js};
use crate::prelude::*;
use js_sys::{Function, Promise};
use oauth2_wasm::web::convert;
use oauth2_wasm::web::fetch::{self, OptionValues};
use oauth2_wasm::web::manager::TokenManager;
use oauth2_wasm::web::{get, promise};
use oauth2_wasm_core::authorization::AuthorizeOptions;
use oauth2_wasm_core::config::ClientConfig;
use oauth2_wasm_core::grant::Grant;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Keeps a session's tokens in storage and hands out a valid access token.
#[derive(Debug)]
#[wasm_bindgen(js_name = TokenManager, skip_typescript)]
pub struct JsTokenManager {
    manager: TokenManager,
}

fn config_error(field: &str, problem: &str) -> JsValue {
    to_js(oauth2_wasm_core::error::OAuthError::config(field, problem))
}

#[wasm_bindgen(js_class = TokenManager)]
impl JsTokenManager {
    /// `new TokenManager({ client, grant?, storage?, storageKey?, refreshSkewSeconds?, now?, fetch?, resourceOrigins? })`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsTokenManager, JsValue> {
        let mut opts = crate::machine::manager_options(&options)?;
        for (name, slot) in [("now", &mut opts.now), ("fetch", &mut opts.fetch)] {
            let f = get(&options, name);
            if f.is_function() {
                *slot = Some(f.unchecked_into());
            }
        }
        let manager = TokenManager::new(opts).map_err(to_js)?;
        Ok(JsTokenManager { manager })
    }

    // Every export that hands back a value returns `crate::Returned`: see there why.

    /// Requests tokens with `grant`, stores them, resolves to the `TokenSet`.
    pub fn login(&self, grant: JsValue) -> crate::Returned<Promise> {
        let manager = self.manager.clone();
        Ok(promise(async move {
            let grant = Grant::from_value(&arg(&grant, "grant")?).map_err(to_js)?;
            let tokens = manager.login(&grant).await.map_err(to_js)?;
            Ok(convert::token_set(&tokens))
        }))
    }

    /// Resolves to a valid access token: cached, refreshed or re-acquired.
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self) -> crate::Returned<Promise> {
        if let Some(token) = self.manager.fresh_token() {
            return Ok(Promise::resolve(&JsValue::from_str(&token)));
        }
        let manager = self.manager.clone();
        Ok(promise(async move {
            let token = manager.get_access_token().await.map_err(to_js)?;
            Ok(JsValue::from_str(&token))
        }))
    }

    /// The stored `TokenSet`, or `null`; no network, no storage.
    #[wasm_bindgen(js_name = getTokens)]
    pub fn get_tokens(&self) -> crate::Returned<JsValue> {
        Ok(self.manager.get_tokens().map(|t| convert::token_set(&t)).unwrap_or(JsValue::NULL))
    }

    /// Renews now; resolves to the new `TokenSet`.
    pub fn refresh(&self) -> crate::Returned<Promise> {
        let manager = self.manager.clone();
        Ok(promise(async move {
            let tokens = manager.refresh().await.map_err(to_js)?;
            Ok(convert::token_set(&tokens))
        }))
    }

    /// Forgets the tokens, in storage too; `{ revoke: true }`: then revokes them.
    pub fn logout(&self, options: JsValue) -> crate::Returned<Promise> {
        let manager = self.manager.clone();
        let revoke = get(&options, "revoke").as_bool() == Some(true);
        Ok(promise(async move {
            if revoke {
                manager.logout_and_revoke().await.map_err(to_js)?;
            } else {
                manager.logout().await;
            }
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// `fetch` with `Authorization: Bearer …`; on a 401, renews once and retries.
    pub fn fetch(&self, input: JsValue, init: JsValue) -> crate::Returned<Promise> {
        let manager = self.manager.clone();
        Ok(promise(async move { manager.fetch(&input, &init).await.map_err(to_js) }))
    }

    /// `authorize(options)`: the authorization URL; the transaction kept in the tab.
    pub fn authorize(&self, options: JsValue) -> crate::Returned<Promise> {
        let manager = self.manager.clone();
        Ok(promise(async move {
            let options = AuthorizeOptions::from_value(&arg(&options, "options")?).map_err(to_js)?;
            Ok(JsValue::from_str(&manager.authorize(&options).map_err(to_js)?))
        }))
    }

    /// `handleCallback(url = location.href)`: the new session's `TokenSet`.
    #[wasm_bindgen(js_name = handleCallback)]
    pub fn handle_callback(&self, url: JsValue) -> crate::Returned<Promise> {
        let manager = self.manager.clone();
        Ok(promise(async move {
            let given = if url.is_undefined() { get(&get(&js_sys::global(), "location"), "href") } else { url };
            let url = crate::callback_url(&given)?;
            let tokens = manager.handle_callback(&url).await.map_err(to_js)?;
            Ok(convert::token_set(&tokens))
        }))
    }

    /// Calls `listener(tokens | null, { reason, error? })` on every change; returns a
    /// function that removes it.
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(&self, listener: JsValue) -> Result<JsValue, JsValue> {
        let listener: Function = listener.dyn_into().map_err(|_| config_error("listener", "must be a function"))?;
        let id = self.manager.on_change_js(listener);
        let off: Box<dyn Fn()> = Box::new(self.manager.unsubscriber(id));
        Ok(Closure::wrap(off).into_js_value())
    }
}

/// Requests a token: builds the request, sends it with `fetch`, parses the answer.
/// Options: `signal` (an `AbortSignal`), `timeoutMs`, `fetch`.
#[wasm_bindgen(js_name = requestToken, skip_typescript)]
pub fn request_token_js(client: JsValue, grant: JsValue, options: JsValue) -> crate::Returned<Promise> {
    Ok(promise(async move {
        let client = ClientConfig::from_value(&arg(&client, "client")?).map_err(to_js)?;
        let grant = Grant::from_value(&arg(&grant, "grant")?).map_err(to_js)?;
        let options = request_options(&OptionValues::of(&options))?;
        let response = fetch::exchange(&client, &grant, &options).await.map_err(to_js)?;
        parse_to_js(response.status, &response.body, &response.context(&client))
            .map_err(|e| to_js(fetch::refine(&client, e)))
    }))
}
