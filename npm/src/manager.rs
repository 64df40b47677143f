//! `TokenManager` for JavaScript: the Rust manager behind a class whose async methods
//! return Promises. Each method clones the manager handle before awaiting, so overlapping
//! calls never hold a borrow of the JavaScript object.

use super::{arg, to_js};
use crate::prelude::*;
use js_sys::{Function, Promise};
use oauth2_wasm::web::convert;
use oauth2_wasm::web::manager::{ManagerOptions, TokenManager};
use oauth2_wasm::web::storage::StorageChoice;
use oauth2_wasm::web::{get, promise};
use oauth2_wasm_core::config::{whole_number, ClientConfig};
use oauth2_wasm_core::error::OAuthError;
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
    to_js(OAuthError::config(field, problem))
}

#[wasm_bindgen(js_class = TokenManager)]
impl JsTokenManager {
    /// `new TokenManager({ client, grant?, storage?, storageKey?, refreshSkewSeconds?, now?, fetch?, resourceOrigins? })`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsTokenManager, JsValue> {
        if !options.is_object() {
            return Err(config_error("options", "must be an object with at least client"));
        }
        let client = ClientConfig::from_value(&arg(&get(&options, "client"), "client")?).map_err(to_js)?;
        let mut opts = ManagerOptions::new(client);
        let grant = get(&options, "grant");
        if !grant.is_undefined() && !grant.is_null() {
            opts.grant = Some(Grant::from_value(&arg(&grant, "grant")?).map_err(to_js)?);
        }
        let storage = get(&options, "storage");
        opts.storage = match storage.as_string().as_deref() {
            _ if storage.is_undefined() || storage.is_null() => None,
            Some("local") => Some(StorageChoice::Local),
            Some("session") => Some(StorageChoice::Session),
            Some("memory") => Some(StorageChoice::Memory),
            Some(_) => return Err(config_error("storage", "must be \"local\", \"session\", \"memory\" or an adapter")),
            None if storage.is_object() => Some(StorageChoice::Adapter(storage)),
            None => return Err(config_error("storage", "must be \"local\", \"session\", \"memory\" or an adapter")),
        };
        let key = get(&options, "storageKey");
        if !key.is_undefined() {
            opts.storage_key = Some(
                key.as_string()
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| config_error("storageKey", "must be a non-empty string"))?,
            );
        }
        let skew = get(&options, "refreshSkewSeconds");
        if !skew.is_undefined() {
            opts.refresh_skew_seconds = Some(
                skew.as_f64()
                    .and_then(whole_number)
                    .ok_or_else(|| config_error("refreshSkewSeconds", "must be a whole number of seconds"))?,
            );
        }
        for (name, slot) in [("now", &mut opts.now), ("fetch", &mut opts.fetch)] {
            let f = get(&options, name);
            if !f.is_undefined() {
                *slot = Some(f.dyn_into::<Function>().map_err(|_| config_error(name, "must be a function"))?);
            }
        }
        let origins = get(&options, "resourceOrigins");
        if !origins.is_undefined() && !origins.is_null() {
            let bad = || config_error("resourceOrigins", "must be an array of URLs such as https://api.example.com");
            if !js_sys::Array::is_array(&origins) {
                return Err(bad());
            }
            // Read element by element with Reflect: an accessor that throws is a bad option,
            // not an exception through the wasm.
            let length = get(&origins, "length").as_f64().unwrap_or(0.0).min(1_000.0) as u32;
            let list: Option<Vec<String>> =
                (0..length).map(|i| js_sys::Reflect::get_u32(&origins, i).ok().and_then(|o| o.as_string())).collect();
            opts.resource_origins = Some(list.ok_or_else(bad)?);
        }
        let manager = TokenManager::new(opts).map_err(to_js)?;
        Ok(JsTokenManager { manager })
    }

    /// Requests tokens with `grant`, stores them, resolves to the `TokenSet`.
    pub fn login(&self, grant: JsValue) -> Promise {
        let manager = self.manager.clone();
        promise(async move {
            let grant = Grant::from_value(&arg(&grant, "grant")?).map_err(to_js)?;
            let tokens = manager.login(&grant).await.map_err(to_js)?;
            Ok(convert::token_set(&tokens))
        })
    }

    /// Resolves to a valid access token: cached, refreshed or re-acquired.
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self) -> Promise {
        if let Some(token) = self.manager.fresh_token() {
            return Promise::resolve(&JsValue::from_str(&token));
        }
        let manager = self.manager.clone();
        promise(async move {
            let token = manager.get_access_token().await.map_err(to_js)?;
            Ok(JsValue::from_str(&token))
        })
    }

    /// The stored `TokenSet`, or `null`; no network, no storage.
    #[wasm_bindgen(js_name = getTokens)]
    pub fn get_tokens(&self) -> JsValue {
        self.manager.get_tokens().map(|t| convert::token_set(&t)).unwrap_or(JsValue::NULL)
    }

    /// Renews now; resolves to the new `TokenSet`.
    pub fn refresh(&self) -> Promise {
        let manager = self.manager.clone();
        promise(async move {
            let tokens = manager.refresh().await.map_err(to_js)?;
            Ok(convert::token_set(&tokens))
        })
    }

    /// Forgets the tokens, in storage too.
    pub fn logout(&self) -> Promise {
        let manager = self.manager.clone();
        promise(async move {
            manager.logout().await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `fetch` with `Authorization: Bearer …`; on a 401, renews once and retries.
    pub fn fetch(&self, input: JsValue, init: JsValue) -> Promise {
        let manager = self.manager.clone();
        promise(async move { manager.fetch(&input, &init).await.map_err(to_js) })
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
