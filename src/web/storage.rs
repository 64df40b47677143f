//! Where the token record lives: `localStorage` / `sessionStorage` (the global's, after
//! probing that they work), memory, a Rust [`TokenStorage`], or a JavaScript adapter —
//! `{ get, set, remove, lock? }`, each sync or returning a Promise. A store that fails is
//! replaced by memory; the caller is told through the returned error, never by a panic.
//!
//! Not through gloo-storage, though the design names it for the Rust API: gloo 0.4 calls
//! `getItem`/`removeItem` with `expect_throw` ("does not throw") while they can throw (a
//! patched `Storage.prototype`, as test set-ups and extensions do), which unwinds through
//! the wasm and leaves the manager's futures pending; its error conversion panics
//! (`unreachable!`) on a thrown value that is not an `Error`, and `LocalStorage::raw()`
//! throws where the global is not a `Window`. Every storage call here returns its failure
//! instead, as a `storage` error with memory as the fallback (tested:
//! `storage_that_throws_on_get_item_or_set_item_falls_back_to_memory`). A Rust app that
//! wants gloo can wrap it in a [`TokenStorage`].

use super::{get, js_error_message};
use crate::prelude::*;
use ::core::cell::RefCell;
use alloc::rc::Rc;
use js_sys::{Function, Reflect};
use oauth2_wasm_core::error::{ErrorKind, OAuthError};
use oauth2_wasm_core::response::MAX_RESPONSE_BYTES;
use oauth2_wasm_core::text::cat;
use wasm_bindgen::{JsCast, JsValue};

/// A token store of the application's own, in Rust: where the manager keeps its one record
/// (a few hundred bytes of JSON text) under one key. Calls are synchronous; an `Err` says
/// why in words (never the value) and makes the manager keep the tokens in memory.
/// Records in it are this manager's alone: it is not watched for other tabs' changes.
///
/// ```
/// use oauth2_wasm::TokenStorage;
/// use std::{cell::RefCell, collections::HashMap};
///
/// #[derive(Default)]
/// struct Map(RefCell<HashMap<String, String>>);
///
/// impl TokenStorage for Map {
///     fn get(&self, key: &str) -> Result<Option<String>, String> {
///         Ok(self.0.borrow().get(key).cloned())
///     }
///     fn set(&self, key: &str, value: &str) -> Result<(), String> {
///         self.0.borrow_mut().insert(key.to_owned(), value.to_owned());
///         Ok(())
///     }
///     fn remove(&self, key: &str) -> Result<(), String> {
///         self.0.borrow_mut().remove(key);
///         Ok(())
///     }
/// }
/// ```
pub trait TokenStorage {
    /// The value under `key`, or `None`.
    fn get(&self, key: &str) -> Result<Option<String>, String>;
    /// Stores `value` under `key`.
    fn set(&self, key: &str, value: &str) -> Result<(), String>;
    /// Removes `key`.
    fn remove(&self, key: &str) -> Result<(), String>;
}

/// Which storage a manager should use.
#[derive(Clone)]
pub enum StorageChoice {
    /// `localStorage`: shared by the tabs of an origin, survives restarts.
    Local,
    /// `sessionStorage`: this tab only, survives reloads.
    Session,
    /// Memory: this page or process only.
    Memory,
    /// A JavaScript object with `get(key)`, `set(key, value)`, `remove(key)` and optionally
    /// `lock(name, fn)`, each sync or returning a Promise (the escape hatch of
    /// [`StorageChoice::Custom`]; shared with other processes through its `lock`).
    Adapter(JsValue),
    /// A Rust store of the application's own.
    Custom(Rc<dyn TokenStorage>),
}

impl core::fmt::Debug for StorageChoice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            StorageChoice::Local => "Local",
            StorageChoice::Session => "Session",
            StorageChoice::Memory => "Memory",
            StorageChoice::Adapter(_) => "Adapter",
            StorageChoice::Custom(_) => "Custom",
        })
    }
}

/// An open store. Cloning gives another handle to the same store.
#[derive(Clone)]
pub enum Store {
    /// `localStorage` or `sessionStorage`.
    Web {
        /// The storage object.
        storage: web_sys::Storage,
        /// `true` for `localStorage`.
        shared: bool,
    },
    /// In memory.
    Memory(Rc<RefCell<Option<String>>>),
    /// The caller's adapter, and how long any of its calls may take (ms) before it counts
    /// as failed: a promise that never settles must not leave `getAccessToken()` pending.
    Adapter(JsValue, u32),
    /// The application's Rust store.
    Custom(Rc<dyn TokenStorage>),
}

impl core::fmt::Debug for Store {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Store::Web { shared: true, .. } => "Store::Web(localStorage)",
            Store::Web { .. } => "Store::Web(sessionStorage)",
            Store::Memory(_) => "Store::Memory",
            Store::Adapter(..) => "Store::Adapter",
            Store::Custom(_) => "Store::Custom",
        })
    }
}

impl Store {
    /// Opens `choice`. Browser storage is probed first (it can be missing, disabled,
    /// throw on access, or refuse writes); when it fails, memory is used and the error says
    /// why.
    pub fn open(choice: &StorageChoice, adapter_timeout_ms: u32) -> (Store, Option<OAuthError>) {
        match choice {
            StorageChoice::Memory => (Store::memory(), None),
            StorageChoice::Custom(c) => (Store::Custom(c.clone()), None),
            StorageChoice::Adapter(a) => {
                let missing = ["get", "set", "remove"].into_iter().find(|m| !get(a, m).is_function());
                match missing {
                    None => (Store::Adapter(a.clone(), adapter_timeout_ms), None),
                    Some(m) => (
                        Store::memory(),
                        Some(storage_error(&cat(&["the storage adapter has no ", m, "() method; using memory"]))),
                    ),
                }
            }
            StorageChoice::Local | StorageChoice::Session => {
                let shared = matches!(choice, StorageChoice::Local);
                match probe(if shared { "localStorage" } else { "sessionStorage" }) {
                    Ok(storage) => (Store::Web { storage, shared }, None),
                    Err(why) => (Store::memory(), Some(storage_error(&why))),
                }
            }
        }
    }

    /// An empty memory store.
    pub fn memory() -> Store {
        Store::Memory(Rc::new(RefCell::new(None)))
    }

    /// Whether other tabs see this store (so their storage events and broadcasts matter).
    pub fn shared(&self) -> bool {
        matches!(self, Store::Web { shared: true, .. } | Store::Adapter(..))
    }

    /// Whether this is `localStorage` (its changes arrive as `storage` events).
    pub fn storage_object(&self) -> Option<&web_sys::Storage> {
        match self {
            Store::Web { storage, shared: true } => Some(storage),
            _ => None,
        }
    }

    /// The adapter's `lock(name, fn)`, if it has one.
    pub fn adapter_lock(&self) -> Option<(JsValue, Function)> {
        match self {
            Store::Adapter(a, _) => get(a, "lock").dyn_into::<Function>().ok().map(|f| (a.clone(), f)),
            _ => None,
        }
    }
}

/// Reads `key`. An adapter may answer through a Promise.
pub async fn read(store: &Store, key: &str) -> Result<Option<String>, OAuthError> {
    if let Some(now) = read_now(store, key) {
        return now.map_err(|why| custom_failure("read", &why));
    }
    match store {
        Store::Adapter(a, ms) => {
            let v = call_adapter(a, "get", &[JsValue::from_str(key)], *ms).await?;
            Ok(adapter_value(&v))
        }
        _ => Ok(None),
    }
}

/// Reads `key` of a synchronous store at once (`None` for an adapter, which may answer
/// through a Promise); a failure says why.
pub fn read_now(store: &Store, key: &str) -> Option<Result<Option<String>, String>> {
    match store {
        Store::Memory(v) => Some(Ok(v.borrow().clone())),
        Store::Web { storage, .. } => Some(storage.get_item(key).map_err(|e| js_error_message(&e))),
        Store::Custom(c) => Some(c.get(key)),
        Store::Adapter(..) => None,
    }
}

/// Writes (`Some`) or removes (`None`) `key`.
pub async fn write(store: &Store, key: &str, value: Option<&str>) -> Result<(), OAuthError> {
    match store {
        Store::Memory(v) => {
            *v.borrow_mut() = value.map(str::to_owned);
            Ok(())
        }
        Store::Web { storage, .. } => match value {
            Some(v) => storage.set_item(key, v).map_err(|e| failure("write", &e)),
            None => storage.remove_item(key).map_err(|e| failure("remove", &e)),
        },
        Store::Custom(c) => match value {
            Some(v) => c.set(key, v).map_err(|why| custom_failure("write", &why)),
            None => c.remove(key).map_err(|why| custom_failure("remove", &why)),
        },
        Store::Adapter(a, ms) => match value {
            Some(v) => call_adapter(a, "set", &[JsValue::from_str(key), JsValue::from_str(v)], *ms).await,
            None => call_adapter(a, "remove", &[JsValue::from_str(key)], *ms).await,
        }
        .map(|_| ()),
    }
}

/// Calls `adapter[method](...args)`, awaiting a returned Promise.
async fn call_adapter(
    adapter: &JsValue,
    method: &str,
    args: &[JsValue],
    timeout_ms: u32,
) -> Result<JsValue, OAuthError> {
    let f: Function = get(adapter, method)
        .dyn_into()
        .map_err(|_| storage_error(&cat(&["the storage adapter has no ", method, "() method"])))?;
    let array: js_sys::Array = args.iter().collect();
    let value = f.apply(adapter, &array).map_err(|e| failure(method, &e))?;
    if get(&value, "then").is_function() {
        match super::within(&value, timeout_ms).await {
            Some(settled) => settled.map_err(|e| failure(method, &e)),
            None => Err(not_settled(method, timeout_ms)),
        }
    } else {
        Ok(value)
    }
}

/// An adapter's `method` that did not settle within `timeout_ms`.
pub fn not_settled(method: &str, timeout_ms: u32) -> OAuthError {
    storage_error(&cat(&[
        "the storage adapter's ",
        method,
        "() did not settle within ",
        &oauth2_wasm_core::text::digits(timeout_ms as u64),
        " ms",
    ]))
}

/// A value an adapter's `get` answered, as a record's text: a value past the response
/// bound is not one, and is not copied into the wasm (it reads as corrupt, like any
/// non-record).
pub fn adapter_value(v: &JsValue) -> Option<String> {
    let oversized = v.dyn_ref::<js_sys::JsString>().is_some_and(|s| s.length() as usize > MAX_RESPONSE_BYTES);
    if oversized {
        Some(String::new())
    } else {
        v.as_string()
    }
}

/// The global's `localStorage` or `sessionStorage` (`name`), if it is there and takes a
/// write; else why not.
pub fn probe(name: &str) -> Result<web_sys::Storage, String> {
    let global = js_sys::global();
    let storage = Reflect::get(&global, &JsValue::from_str(name))
        .map_err(|e| cat(&[name, " is not accessible (", &js_error_message(&e), "); using memory"]))?;
    if storage.is_undefined() || storage.is_null() {
        return Err(cat(&[name, " is not available here; using memory"]));
    }
    let storage: web_sys::Storage = storage.unchecked_into();
    const PROBE: &str = "oauth2-wasm:probe";
    storage
        .set_item(PROBE, "1")
        .and_then(|_| storage.remove_item(PROBE))
        .map_err(|e| cat(&[name, " refuses writes (", &js_error_message(&e), "); using memory"]))?;
    Ok(storage)
}

fn storage_error(message: &str) -> OAuthError {
    OAuthError::new(ErrorKind::Storage, message)
}

/// A storage call (`what`: read, write, remove, or an adapter's method) that threw or
/// rejected with `e`.
pub fn failure(what: &str, e: &JsValue) -> OAuthError {
    custom_failure(what, &js_error_message(e))
}

fn custom_failure(what: &str, why: &str) -> OAuthError {
    storage_error(&cat(&["token storage failed to ", what, " (", why, "); using memory"]))
}
