//! The token manager: keeps a session's tokens in storage and hands out a valid access
//! token — cached, refreshed or re-acquired — with one request however many callers ask at
//! once, in one page or process (single-flight) and across tabs (Web Locks, storage events,
//! a BroadcastChannel) or processes (a storage adapter's `lock`).
//!
//! The decisions (is the token fresh, refresh or re-acquire, does a failure end the
//! session, what a stored value or a sibling's change means, what to write and when) come
//! from the core: `sync::Session` holds the session's state, `renewal::Renewal` runs one
//! renewal; this module stores, locks, sends and tells.

use super::fetch::{exchange, refine, runtime, RequestOptions};
use super::storage::{self, StorageChoice, Store};
use super::{clear_timeout, get, js_error_message, set_timeout};
use crate::prelude::*;
use ::core::cell::{Cell, RefCell};
use ::core::future::Future;
use ::core::pin::Pin;
use ::core::task::{Context, Poll, Waker};
use alloc::rc::{Rc, Weak};
use js_sys::{Function, Object, Promise, Reflect};
use oauth2_wasm_core::config::{ClientConfig, Secret};
use oauth2_wasm_core::error::{ErrorKind, OAuthError};
use oauth2_wasm_core::grant::Grant;
use oauth2_wasm_core::lock::{LockPlan, LockResult, LockStep, Locks};
use oauth2_wasm_core::renewal::{self, Cause, Event, Renewal, Request, Setup, Step, View};
use oauth2_wasm_core::response::{ResponseContext, TokenSet};
use oauth2_wasm_core::session::{self, TokenRecord};
use oauth2_wasm_core::sync::{Adopted, AfterRejection, Rewrite, Session};
use oauth2_wasm_core::transport::{self, Runtime, TransportFault};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Options of [`TokenManager::new`].
#[derive(Clone)]
pub struct ManagerOptions {
    /// The client.
    pub client: ClientConfig,
    /// A grant the manager may use by itself to get new tokens: `client_credentials`,
    /// `partner` or an extension grant. (Password and code grants go to `login`.)
    pub grant: Option<Grant>,
    /// Where tokens live; default `Local` in a window, `Memory` elsewhere.
    pub storage: Option<StorageChoice>,
    /// The storage key; default namespaced by token endpoint and client id.
    pub storage_key: Option<String>,
    /// Renew this long before expiry; default 60 s, at most a tenth of the lifetime.
    pub refresh_skew_seconds: Option<u64>,
    /// A clock returning ms since the epoch (JavaScript function), for tests: the escape
    /// hatch of [`ManagerOptions::clock`], which wins when both are set.
    pub now: Option<Function>,
    /// A clock returning ms since the epoch, for tests and simulations; default `Date.now()`.
    pub clock: Option<Clock>,
    /// A `fetch` for token requests and [`TokenManager::fetch`] instead of `globalThis.fetch`.
    pub fetch: Option<Function>,
    /// The origins [`TokenManager::fetch`] may send the access token to (URLs; their paths
    /// are ignored). Default: any https origin, and loopback over http.
    pub resource_origins: Option<Vec<String>>,
}

impl core::fmt::Debug for ManagerOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ManagerOptions")
            .field("client", &self.client)
            .field("grant", &self.grant)
            .field("storage", &self.storage)
            .field("storage_key", &self.storage_key)
            .field("refresh_skew_seconds", &self.refresh_skew_seconds)
            .field("now", &self.now.is_some())
            .field("clock", &self.clock.is_some())
            .field("fetch", &self.fetch.is_some())
            .field("resource_origins", &self.resource_origins)
            .finish()
    }
}

impl ManagerOptions {
    /// Options for `client` with everything else at its default.
    pub fn new(client: ClientConfig) -> Self {
        ManagerOptions {
            client,
            grant: None,
            storage: None,
            storage_key: None,
            refresh_skew_seconds: None,
            now: None,
            clock: None,
            fetch: None,
            resource_origins: None,
        }
    }
}

/// A clock: ms since the epoch, now.
pub type Clock = Rc<dyn Fn() -> u64>;

/// A JavaScript clock function as a [`Clock`]: a call that throws or returns no number
/// reads `Date.now()`.
fn js_clock(f: Function) -> Clock {
    Rc::new(move || {
        let ms = f.call0(&JsValue::UNDEFINED).ok().and_then(|v| v.as_f64());
        ms.unwrap_or_else(js_sys::Date::now).max(0.0) as u64
    })
}

/// Why the tokens changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeReason {
    /// `login` stored new tokens.
    Login,
    /// A refresh token was used.
    Refresh,
    /// The manager's own grant got new tokens.
    Reacquire,
    /// `logout` cleared them.
    Logout,
    /// Another tab or process changed or cleared them.
    External,
    /// The server refused the refresh token: the session ended.
    LoginRequired,
    /// Storage failed; the manager now keeps tokens in memory.
    StorageError,
    /// A stored value was unusable (corrupt, foreign, or written by a newer version).
    Discarded,
}

impl ChangeReason {
    /// The name JavaScript sees in `event.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeReason::Login => "login",
            ChangeReason::Refresh => "refresh",
            ChangeReason::Reacquire => "reacquire",
            ChangeReason::Logout => "logout",
            ChangeReason::External => "external",
            ChangeReason::LoginRequired => "login_required",
            ChangeReason::StorageError => "storage_error",
            ChangeReason::Discarded => "discarded",
        }
    }
}

/// What `on_change` listeners receive besides the tokens.
#[derive(Debug, Clone)]
pub struct ChangeEvent {
    /// Why.
    pub reason: ChangeReason,
    /// The error behind a `LoginRequired`, `StorageError` or `Discarded` event.
    pub error: Option<OAuthError>,
}

/// A Rust listener.
pub type Listener = Rc<dyn Fn(Option<&TokenSet>, &ChangeEvent)>;

enum Subscriber {
    Js(Function),
    Rust(Listener),
}

/// A session's tokens, kept valid. Cloning gives another handle to the same manager.
#[derive(Clone)]
pub struct TokenManager {
    inner: Rc<Inner>,
}

impl core::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenManager").field("key", &self.inner.key).finish_non_exhaustive()
    }
}

struct Inner {
    client: ClientConfig,
    grant: Option<Grant>,
    key: String,
    skew: Option<u64>,
    clock: Option<Clock>,
    fetch: Option<Function>,
    /// `resource_origins`, as origins.
    resource_origins: Option<Vec<String>>,
    store: RefCell<Store>,
    state: RefCell<State>,
    listeners: RefCell<Vec<(u32, Subscriber)>>,
    next_listener: Cell<u32>,
    channel: Option<JsValue>,
    /// Event listeners registered on `window` and the channel, removed on drop.
    hooks: RefCell<Vec<Hook>>,
}

/// An event listener: its target, event name and callback.
type Hook = (JsValue, &'static str, Closure<dyn FnMut(JsValue)>);

/// A renewal's result, handed out of a JavaScript lock callback.
type Slot = Rc<RefCell<Option<Result<TokenRecord, OAuthError>>>>;

#[derive(Default)]
struct State {
    /// The session and every decision about it (the core's).
    session: Session,
    /// The raw response of the last token this manager obtained itself.
    last: Option<TokenSet>,
    flight: Option<Rc<Flight>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for (target, event, callback) in self.hooks.borrow().iter() {
            if let Ok(remove) = get(target, "removeEventListener").dyn_into::<Function>() {
                let _ = remove.call2(target, &JsValue::from_str(event), callback.as_ref());
            }
        }
        if let Some(c) = &self.channel {
            let _ = super::call0(c, "close");
        }
    }
}

impl TokenManager {
    /// A manager for `options.client`. Browser storage that is missing or refuses writes
    /// is replaced by memory, reported to listeners as a `StorageError` event.
    pub fn new(options: ManagerOptions) -> Result<TokenManager, OAuthError> {
        if let Some(g) = &options.grant {
            if !g.is_repeatable() {
                return Err(OAuthError::config(
                    "grant",
                    "must be a grant the manager can repeat by itself (client_credentials, partner or an extension \
                     grant); pass password and authorization_code grants to login()",
                ));
            }
        }
        oauth2_wasm_core::endpoint::check(
            "tokenEndpoint",
            &options.client.token_endpoint,
            &super::url::RuntimeUrl,
            options.client.allow_insecure_http,
        )?;
        let resource_origins = match &options.resource_origins {
            Some(list) => Some(oauth2_wasm_core::endpoint::resource_origins(list, &super::url::RuntimeUrl)?),
            None => None,
        };
        let key = options.storage_key.clone().unwrap_or_else(|| session::storage_key(&options.client));
        let global = js_sys::global();
        let in_window = Reflect::has(&global, &"document".into()).unwrap_or(false);
        let choice =
            options.storage.clone().unwrap_or(if in_window { StorageChoice::Local } else { StorageChoice::Memory });
        let adapter_timeout = transport::timer_ms(options.client.timeout_ms.unwrap_or(transport::DEFAULT_TIMEOUT_MS));
        let (store, store_error) = Store::open(&choice, adapter_timeout);
        let shared = store.shared();
        // Tabs tell each other through a BroadcastChannel; in Node one would only keep the
        // process alive (processes share through the store and its lock instead).
        let channel = if shared && runtime() == Runtime::Browser { broadcast_channel(&key) } else { None };
        let inner = Rc::new(Inner {
            client: options.client,
            grant: options.grant,
            key,
            skew: options.refresh_skew_seconds,
            clock: options.clock.or_else(|| options.now.map(js_clock)),
            fetch: options.fetch,
            resource_origins,
            store: RefCell::new(store),
            state: RefCell::new(State::default()),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(1),
            channel,
            hooks: RefCell::new(Vec::new()),
        });
        let manager = TokenManager { inner };
        if let Some(e) = store_error {
            manager.later(ChangeReason::StorageError, Some(e));
        }
        // Synchronous stores are read now, so getTokens() works at once; adapters on first use.
        let sync_text = storage::read_now(&manager.inner.store.borrow(), &manager.inner.key);
        match sync_text {
            Some(Ok(text)) => manager.loaded(text.as_deref()),
            Some(Err(why)) => {
                manager.inner.state.borrow_mut().session.store_replaced();
                manager.fall_back_to_memory(&why);
            }
            None => {}
        }
        manager.subscribe_to_siblings();
        Ok(manager)
    }

    /// Requests tokens with `grant` (password, code, partner …), stores and returns them.
    pub async fn login(&self, grant: &Grant) -> Result<TokenSet, OAuthError> {
        // A store that cannot be read now is overwritten by the new session anyway.
        let _ = self.ensure_loaded().await;
        let sent_at = self.now();
        let tokens = self.obtain(grant, sent_at).await?;
        self.commit(Some(TokenRecord::from_response(&tokens, sent_at, None)), ChangeReason::Login).await;
        Ok(tokens)
    }

    /// A valid access token: the stored one while fresh, else refreshed (refresh token) or
    /// re-acquired (the manager's grant), with one request for all concurrent callers.
    pub async fn get_access_token(&self) -> Result<String, OAuthError> {
        self.ensure_loaded().await?;
        if let Some(token) = self.fresh_token() {
            return Ok(token);
        }
        // Everything else, LoginRequired too, goes through renew(): it re-reads shared
        // storage first, where another tab may have logged in meanwhile (and writes again,
        // under the lock, what a failed write left unsaved).
        self.renew(false).await.map(|r| r.access_token.expose().to_owned())
    }

    /// The access token when it can be handed out at once — loaded, fresh — else `None`
    /// (then [`TokenManager::get_access_token`] decides). The hot path: no storage, no future.
    pub fn fresh_token(&self) -> Option<String> {
        let now = self.now();
        let state = self.inner.state.borrow();
        state.session.fresh_token(now, self.inner.skew).map(|r| r.access_token.expose().to_owned())
    }

    /// The stored tokens, without any network or storage access.
    pub fn get_tokens(&self) -> Option<TokenSet> {
        let state = self.inner.state.borrow();
        let record = state.session.record()?;
        match &state.last {
            // The last answer, with what the session kept from before (a refresh answer
            // without refresh_token or scope keeps the old ones).
            Some(last) if last.access_token == record.access_token => {
                let mut tokens = last.clone();
                tokens.refresh_token = record.refresh_token.clone();
                tokens.scope = record.scope.clone();
                Some(tokens)
            }
            _ => Some(record.to_token_set()),
        }
    }

    /// Renews now, even if the token is fresh (unless another tab just did).
    pub async fn refresh(&self) -> Result<TokenSet, OAuthError> {
        self.ensure_loaded().await?;
        self.renew(true).await?;
        self.get_tokens().ok_or_else(|| session::login_required(None))
    }

    /// Forgets the tokens, in storage too (other tabs see it).
    pub async fn logout(&self) {
        let _ = self.ensure_loaded().await;
        self.commit(None, ChangeReason::Logout).await;
        // A sibling tab's or process's renewal already under way holds the lock and may
        // store its answer after this clear. Once it lets go, clear again what it stored —
        // a record obtained before this logout — so the logout is the last word.
        if self.lock_released().await {
            self.clear_stale_sibling_write().await;
        }
    }

    /// Waits until no sibling holds the cross-tab (or adapter) lock, as `core::lock` says
    /// (`LockPlan::after_logout`); `false` when there is no such lock or it was not let go.
    async fn lock_released(&self) -> bool {
        let key = JsValue::from_str(&self.inner.key);
        let (locks, adapter_lock, web_locks) = self.locks();
        // A native no-op as the lock's callback: taken and let go at once.
        let noop = get(&get(&js_sys::global(), "Function"), "prototype");
        let asked = match (LockPlan::after_logout(locks, self.inner.client.timeout_ms), adapter_lock, web_locks) {
            (Some(LockStep::Adapter { ms }), Some((adapter, lock)), _) => match lock.call2(&adapter, &key, &noop) {
                Ok(p) => return super::within(&p, ms).await.is_some_and(|r| r.is_ok()),
                Err(_) => return false,
            },
            (Some(LockStep::WaitWebLock { ms }), _, Some((locks, request))) => {
                let Ok(timeout) = get(&get(&js_sys::global(), "AbortSignal"), "timeout").dyn_into::<Function>() else {
                    return false;
                };
                let Ok(signal) = timeout.call1(&get(&js_sys::global(), "AbortSignal"), &JsValue::from(ms)) else {
                    return false;
                };
                let options = Object::new();
                super::set(&options, "signal", &signal);
                request.call3(&locks, &key, &options, &noop)
            }
            _ => return false,
        };
        match asked {
            Ok(p) => JsFuture::from(Promise::resolve(&p)).await.is_ok(),
            Err(_) => false,
        }
    }

    /// Removes a record a sibling stored after this manager's last clear but obtained
    /// before it (its renewal began before the logout); a newer one — a login — stays.
    async fn clear_stale_sibling_write(&self) {
        let store = self.inner.store.borrow().clone();
        let Ok(text) = storage::read(&store, &self.inner.key).await else { return };
        let stale = self.inner.state.borrow().session.stale_after_logout(text.as_deref(), &self.inner.client);
        if stale && storage::write(&store, &self.inner.key, None).await.is_ok() {
            self.broadcast(None);
        }
    }

    /// `fetch` with `Authorization: Bearer <token>` — only over https (or to a loopback
    /// host), and only to `resource_origins` when given; on a 401, renews once and retries
    /// when the request can be sent again (no one-shot stream body), unless the token is
    /// too new for a renewal to help.
    pub async fn fetch(&self, input: &JsValue, init: &JsValue) -> Result<JsValue, OAuthError> {
        self.check_resource(input)?;
        let token = self.get_access_token().await?;
        self.check_bearer(&token)?;
        let spare = if get(input, "clone").is_function() { super::call0(input, "clone").ok() } else { None };
        let response = self.authorized_fetch(input, init, &token).await?;
        if get(&response, "status").as_f64() != Some(401.0) || !replayable(init) {
            return Ok(response);
        }
        let now = self.now();
        let decision = self.inner.state.borrow_mut().session.after_rejection(&token, now);
        let renewed = match decision {
            AfterRejection::Retry(record) => record,
            AfterRejection::Renew => self.renew(true).await?,
            AfterRejection::Answer => return Ok(response),
        };
        session::bearer_only(&renewed)?;
        let retry_input = spare.unwrap_or_else(|| input.clone());
        self.authorized_fetch(&retry_input, init, renewed.access_token.expose()).await
    }

    /// Refuses a request whose URL (resolved as `fetch` resolves it) is not one the token
    /// may go to (`core::endpoint::check_resource`).
    fn check_resource(&self, input: &JsValue) -> Result<(), OAuthError> {
        let text = input
            .as_string()
            .or_else(|| get(input, "url").as_string())
            .or_else(|| get(input, "href").as_string())
            .unwrap_or_default();
        let url = super::url::RuntimeUrl::parse_against_page(&text);
        oauth2_wasm_core::endpoint::check_resource(
            url.as_ref(),
            self.inner.resource_origins.as_deref(),
            self.inner.client.allow_insecure_http,
        )
    }

    /// Refuses to send the held token as a Bearer token unless it is one.
    fn check_bearer(&self, token: &str) -> Result<(), OAuthError> {
        let state = self.inner.state.borrow();
        match state.session.record().filter(|r| r.access_token.expose() == token) {
            Some(r) => session::bearer_only(r),
            None => Ok(()),
        }
    }

    /// Adds a listener for token changes; returns its id for [`TokenManager::off`].
    pub fn on_change(&self, listener: Listener) -> u32 {
        self.add_listener(Subscriber::Rust(listener))
    }

    /// Adds a JavaScript listener `(tokens | null, { reason, error? }) => void`.
    pub fn on_change_js(&self, listener: Function) -> u32 {
        self.add_listener(Subscriber::Js(listener))
    }

    /// Removes a listener.
    pub fn off(&self, id: u32) {
        self.inner.listeners.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// A function that removes listener `id`; it does not keep the manager alive, and
    /// calling it twice is harmless.
    pub fn unsubscriber(&self, id: u32) -> impl Fn() + 'static {
        let weak = Rc::downgrade(&self.inner);
        move || {
            if let Some(me) = upgrade(&weak) {
                me.off(id);
            }
        }
    }

    fn add_listener(&self, s: Subscriber) -> u32 {
        let id = self.inner.next_listener.get();
        self.inner.next_listener.set(id.wrapping_add(1));
        self.inner.listeners.borrow_mut().push((id, s));
        id
    }

    fn now(&self) -> u64 {
        match &self.inner.clock {
            Some(clock) => clock(),
            None => js_sys::Date::now().max(0.0) as u64,
        }
    }

    /// Reads an adapter's record on first use. A failed first read is
    /// reported (`storage_error`) and read again on the next call, so one fault does not
    /// lose the session in the store: this call fails with it — unless the manager can get
    /// tokens by itself (its grant), then it goes on as if the store were empty.
    async fn ensure_loaded(&self) -> Result<(), OAuthError> {
        if !self.inner.state.borrow().session.is_loaded() {
            let store = self.inner.store.borrow().clone();
            match storage::read(&store, &self.inner.key).await {
                Ok(text) => self.loaded(text.as_deref()),
                Err(e) => {
                    self.later(ChangeReason::StorageError, Some(e.clone()));
                    if self.inner.grant.is_none() {
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }

    /// The store's first read: what it held (`core::sync` decides what it means).
    fn loaded(&self, text: Option<&str>) {
        let adopted = self.inner.state.borrow_mut().session.loaded(text, &self.inner.client);
        self.tell(adopted);
    }

    /// Writes again, holding the renewal's lock, the record a failed write left unsaved —
    /// unless the core finds that a sibling changed the store meanwhile, then that change
    /// is adopted instead.
    async fn save_again(&self) {
        let store = self.inner.store.borrow().clone();
        let Ok(text) = storage::read(&store, &self.inner.key).await else { return };
        let plan = self.inner.state.borrow_mut().session.rewrite(text.as_deref(), &self.inner.client);
        match plan {
            Rewrite::Adopted(adopted) => self.tell(adopted),
            Rewrite::Write(mine) => {
                if storage::write(&store, &self.inner.key, mine.as_deref()).await.is_ok() {
                    self.inner.state.borrow_mut().session.written(mine.clone());
                    self.broadcast(mine.as_deref());
                }
            }
        }
    }

    /// Takes what storage (or a sibling) holds as the current record. `external` marks a
    /// change made elsewhere, reported to listeners.
    fn adopt(&self, text: Option<&str>, external: bool) {
        let adopted = self.inner.state.borrow_mut().session.adopt(text, external, &self.inner.client);
        self.tell(adopted);
    }

    /// Tells the listeners what adopting a stored value changed.
    fn tell(&self, adopted: Adopted) {
        match adopted {
            Adopted::Unchanged => {}
            Adopted::Changed => self.notify(ChangeReason::External, None),
            Adopted::Discarded(e) => self.later(ChangeReason::Discarded, Some(*e)),
        }
    }

    /// Renews the tokens once for every concurrent caller.
    async fn renew(&self, force: bool) -> Result<TokenRecord, OAuthError> {
        let before = self.inner.state.borrow().session.record().map(|r| r.access_token.clone());
        let flight = {
            let mut state = self.inner.state.borrow_mut();
            match &state.flight {
                Some(f) => f.clone(),
                None => {
                    let f = Rc::new(Flight::default());
                    state.flight = Some(f.clone());
                    let (me, f2) = (self.clone(), f.clone());
                    super::spawn(async move {
                        let result = me.locked(force, before).await;
                        me.inner.state.borrow_mut().flight = None;
                        f2.finish(result);
                    });
                    f
                }
            }
        };
        Wait(flight).await
    }

    /// Runs the renewal under the cross-tab or cross-process lock, where there is one:
    /// `core::lock` decides which, and what follows when it is not granted.
    async fn locked(&self, force: bool, before: Option<Secret>) -> Result<TokenRecord, OAuthError> {
        let key = JsValue::from_str(&self.inner.key);
        let (locks, adapter_lock, web_locks) = self.locks();
        let mut plan = LockPlan::new(locks, self.inner.client.timeout_ms);
        // Why the last lock asked for did not run the renewal, for the report.
        let mut why = String::new();
        loop {
            let (result, outcome) = match plan.step() {
                LockStep::Adapter { ms } => {
                    let Some((adapter, lock)) = &adapter_lock else { break };
                    self.run_in_js_lock(force, before.clone(), false, ms, |cb| lock.call2(adapter, &key, cb)).await
                }
                LockStep::TryWebLock => {
                    let Some((locks, request)) = &web_locks else { break };
                    let options = Object::new();
                    super::set(&options, "ifAvailable", &JsValue::TRUE);
                    let ms = plan.wait_ms();
                    self.run_in_js_lock(force, before.clone(), false, ms, |cb| request.call3(locks, &key, &options, cb))
                        .await
                }
                LockStep::WaitWebLock { ms } => {
                    let Some((locks, request)) = &web_locks else { break };
                    let options = Object::new();
                    let controller = web_sys::AbortController::new().ok();
                    let abort = controller.clone().map(|c| Closure::once(move || c.abort()));
                    let timer = abort.as_ref().map(|a| set_timeout(a.as_ref(), ms));
                    if let Some(c) = &controller {
                        super::set(&options, "signal", &c.signal());
                    }
                    let ran = self
                        .run_in_js_lock(force, before.clone(), true, ms, |cb| request.call3(locks, &key, &options, cb))
                        .await;
                    if let Some(t) = timer {
                        clear_timeout(&t);
                    }
                    drop(abort);
                    ran
                }
                LockStep::Without { contended, lock_failed } => {
                    if lock_failed {
                        self.notify(
                            ChangeReason::StorageError,
                            Some(oauth2_wasm_core::lock::adapter_lock_failed(&why)),
                        );
                    }
                    return self.renew_inside(force, before, contended, lock_failed).await;
                }
            };
            if let Some(r) = result {
                return r;
            }
            why = match &outcome {
                Ok(()) => String::from("it did not call its function"),
                Err(e) => js_error_message(e),
            };
            plan.next(if outcome.is_ok() { LockResult::NotGranted } else { LockResult::Failed });
        }
        // The plan named a lock this runtime does not have (it cannot): renew without.
        self.renew_inside(force, before, false, false).await
    }

    /// The locks this manager can take: what the core plans with, the adapter's
    /// `lock(name, fn)` and the runtime's Web Locks `request`.
    #[allow(clippy::type_complexity)]
    fn locks(&self) -> (Locks, Option<(JsValue, Function)>, Option<(JsValue, Function)>) {
        let store = self.inner.store.borrow().clone();
        let adapter_lock = store.adapter_lock();
        let locks = get(&get(&js_sys::global(), "navigator"), "locks");
        let web_locks = get(&locks, "request").dyn_into::<Function>().ok().map(|request| (locks, request));
        let plan = Locks { adapter: adapter_lock.is_some(), web_locks: web_locks.is_some(), shared: store.shared() };
        (plan, adapter_lock, web_locks)
    }

    /// Calls `request(callback)`. `callback(lock)` runs the renewal and returns its promise,
    /// unless `lock` is `null` (a lock that was not available). Returns the renewal's result
    /// if it ran, and how the request itself ended. The callback lives until then.
    async fn run_in_js_lock(
        &self,
        force: bool,
        before: Option<Secret>,
        contended: bool,
        bound_ms: u32,
        request: impl FnOnce(&JsValue) -> Result<JsValue, JsValue>,
    ) -> (Option<Result<TokenRecord, OAuthError>>, Result<(), JsValue>) {
        let slot: Slot = Rc::new(RefCell::new(None));
        // The renewal's own promise once the lock ran the callback.
        let running: Rc<RefCell<Option<Promise>>> = Rc::new(RefCell::new(None));
        let callback = {
            let (me, slot, running) = (self.clone(), slot.clone(), running.clone());
            Closure::once(move |lock: JsValue| -> JsValue {
                if lock.is_null() {
                    return Promise::resolve(&JsValue::UNDEFINED).into();
                }
                let renewal = super::promise(async move {
                    let r = me.renew_inside(force, before, contended, false).await;
                    *slot.borrow_mut() = Some(r);
                    Ok(JsValue::UNDEFINED)
                });
                *running.borrow_mut() = Some(renewal.clone());
                renewal.into()
            })
        };
        // A lock whose promise never settles must not leave the caller pending: waited for
        // as long as a held lock is, then — unless the renewal is under way inside it, which
        // its own time limits bound — it counts as a lock that failed.
        let outcome = match request(callback.as_ref()) {
            Ok(p) => match super::within(&p, bound_ms).await {
                Some(settled) => settled.map(|_| ()),
                None => {
                    let inside = running.borrow().clone();
                    match inside {
                        Some(renewal) => JsFuture::from(renewal).await.map(|_| ()),
                        None => Err(JsValue::from_str("it did not settle in time")),
                    }
                }
            },
            Err(e) => Err(e),
        };
        let result = slot.borrow_mut().take();
        (result, outcome)
    }
    /// The renewal itself, holding the lock: `core::renewal` decides; this re-reads,
    /// waits, sends and stores as it says.
    async fn renew_inside(
        &self,
        force: bool,
        before: Option<Secret>,
        contended: bool,
        unlocked: bool,
    ) -> Result<TokenRecord, OAuthError> {
        // A record a failed write left unsaved is written again only under the lock.
        if self.inner.state.borrow().session.is_unsaved() && !unlocked {
            self.save_again().await;
        }
        let mut renewal = Renewal::new(Setup {
            force,
            before,
            contended,
            waits_for_siblings: self.waits_for_siblings(),
            can_reacquire: self.inner.grant.is_some(),
            skew_secs: self.inner.skew,
            unlocked,
        });
        let mut event = Event::Begin;
        for _ in 0..renewal::MAX_STEPS {
            let now = self.now();
            let step = {
                let state = self.inner.state.borrow();
                let view = View { record: state.session.record(), generation: state.session.generation(), now };
                renewal.resume(view, event)
            };
            event = match step {
                Step::Reread => {
                    self.reread().await;
                    Event::Read
                }
                Step::WaitForSibling => {
                    self.wait_for_sibling().await;
                    Event::Waited
                }
                Step::Send(request) => {
                    let grant = match request {
                        Request::Refresh(refresh_token) => Some(Grant::RefreshToken { refresh_token, scope: None }),
                        Request::Reacquire => self.inner.grant.clone(),
                    };
                    let sent_at = self.now();
                    let result = match grant {
                        Some(g) => self.obtain(&g, sent_at).await,
                        None => Err(session::login_required(None)),
                    };
                    Event::Answered { sent_at, result }
                }
                Step::Commit(record, cause) => {
                    let reason = match cause {
                        Cause::Refresh => ChangeReason::Refresh,
                        Cause::Reacquire => ChangeReason::Reacquire,
                    };
                    self.commit(Some(record.clone()), reason).await;
                    return Ok(record);
                }
                Step::End(ended) => {
                    self.commit_with(None, ChangeReason::LoginRequired, Some(ended.clone())).await;
                    return Err(ended);
                }
                Step::Finish(result) => return result,
            };
        }
        Err(OAuthError::new(ErrorKind::Storage, "the token renewal did not settle"))
    }

    /// Whether siblings' writes can arrive late here: browser tabs sharing localStorage
    /// (or an adapter) do; a file or other store read inside its own lock does not.
    fn waits_for_siblings(&self) -> bool {
        self.inner.store.borrow().shared() && self.inner.channel.is_some()
    }

    /// Waits as `Step::WaitForSibling` says for a sibling's storage event or broadcast,
    /// re-reading storage meanwhile.
    async fn wait_for_sibling(&self) {
        let changes = || self.inner.state.borrow().session.changes();
        let seen = changes();
        let mut waited = 0;
        while waited < renewal::SIBLING_WAIT_MS && changes() == seen {
            sleep(renewal::SIBLING_POLL_MS).await;
            waited += renewal::SIBLING_POLL_MS;
            self.reread().await;
        }
    }

    /// Re-reads a shared store (another tab or process may have written).
    async fn reread(&self) {
        let store = self.inner.store.borrow().clone();
        if !store.shared() {
            return;
        }
        if let Ok(text) = storage::read(&store, &self.inner.key).await {
            self.adopt(text.as_deref(), true);
        }
    }

    /// Sends `grant` now (`sent_at`, from which expiry counts) and parses the answer.
    async fn obtain(&self, grant: &Grant, sent_at: u64) -> Result<TokenSet, OAuthError> {
        let options = RequestOptions { fetch: self.inner.fetch.clone(), ..RequestOptions::default() };
        let response = exchange(&self.inner.client, grant, &options).await?;
        let mut cx: ResponseContext = response.context(&self.inner.client);
        cx.now_ms = sent_at;
        let tokens = crate::parse_token_response(response.status, &response.body, &cx)
            .map_err(|e| refine(&self.inner.client, e))?;
        self.inner.state.borrow_mut().last = Some(tokens.clone());
        Ok(tokens)
    }

    async fn commit(&self, record: Option<TokenRecord>, reason: ChangeReason) {
        self.commit_with(record, reason, None).await
    }

    /// Makes `record` current, stores it (unless the core says not to: a newer version's
    /// record is left alone), tells sibling tabs, then listeners. Storage failure falls
    /// back to memory.
    async fn commit_with(&self, record: Option<TokenRecord>, reason: ChangeReason, error: Option<OAuthError>) {
        let new_generation = matches!(reason, ChangeReason::Login | ChangeReason::Logout | ChangeReason::LoginRequired);
        let now = self.now();
        let write = {
            let mut state = self.inner.state.borrow_mut();
            if record.is_none() {
                state.last = None;
            }
            state.session.commit(record, new_generation, now, &self.inner.client)
        };
        if let Some(text) = write {
            let store = self.inner.store.borrow().clone();
            match storage::write(&store, &self.inner.key, text.as_deref()).await {
                Ok(()) => {
                    self.inner.state.borrow_mut().session.written(text.clone());
                    self.broadcast(text.as_deref());
                }
                // An adapter (a file, Redis …) is shared with other processes: keep it, and
                // write again on the next call rather than leave it holding a rotated-out
                // refresh token for good.
                Err(e) if matches!(store, Store::Adapter(..)) => {
                    self.inner.state.borrow_mut().session.write_failed();
                    let message = oauth2_wasm_core::text::cat(&[
                        "token storage failed (",
                        &e.message,
                        "); the tokens are kept in memory and written again on the next call that renews",
                    ]);
                    self.later(ChangeReason::StorageError, Some(OAuthError::new(ErrorKind::Storage, message)));
                }
                Err(e) => self.fall_back_to_memory(&e.message),
            }
        }
        self.notify(reason, error);
    }

    /// Replaces a failing store with memory, keeping the current record, and says so.
    fn fall_back_to_memory(&self, why: &str) {
        let text = self.inner.state.borrow().session.record().map(|r| session::encode_record(r, &self.inner.client));
        *self.inner.store.borrow_mut() = Store::Memory(Rc::new(RefCell::new(text)));
        let message = oauth2_wasm_core::text::cat(&["token storage failed (", why, "); tokens are kept in memory"]);
        self.later(ChangeReason::StorageError, Some(OAuthError::new(ErrorKind::Storage, message)));
    }

    fn broadcast(&self, text: Option<&str>) {
        if let Some(channel) = &self.inner.channel {
            if let Ok(post) = get(channel, "postMessage").dyn_into::<Function>() {
                let value = text.map(JsValue::from_str).unwrap_or(JsValue::NULL);
                let _ = post.call1(channel, &value);
            }
        }
    }

    /// Tells the listeners now.
    fn notify(&self, reason: ChangeReason, error: Option<OAuthError>) {
        let tokens = self.get_tokens();
        let event = ChangeEvent { reason, error };
        let ids: Vec<u32> = self.inner.listeners.borrow().iter().map(|(i, _)| *i).collect();
        let mut js_args: Option<(JsValue, JsValue)> = None;
        for id in ids {
            let rust = {
                let listeners = self.inner.listeners.borrow();
                match listeners.iter().find(|(i, _)| *i == id) {
                    Some((_, Subscriber::Rust(l))) => Some(l.clone()),
                    Some((_, Subscriber::Js(f))) => {
                        let f = f.clone();
                        drop(listeners);
                        let (t, e) = js_args.get_or_insert_with(|| {
                            (tokens.as_ref().map(token_set_js).unwrap_or(JsValue::NULL), event_js(&event))
                        });
                        if let Err(err) = f.call2(&JsValue::UNDEFINED, t, e) {
                            super::error("oauth2-wasm: an onChange listener threw", &err);
                        }
                        None
                    }
                    None => None,
                }
            };
            if let Some(l) = rust {
                l(tokens.as_ref(), &event);
            }
        }
    }

    /// Tells the listeners on a later microtask, so ones added right after construction
    /// hear about what construction found.
    fn later(&self, reason: ChangeReason, error: Option<OAuthError>) {
        let me = self.clone();
        super::spawn(async move { me.notify(reason, error) });
    }

    /// Listens to `storage` events (localStorage) and the BroadcastChannel, adopting what
    /// siblings write.
    fn subscribe_to_siblings(&self) {
        let weak = Rc::downgrade(&self.inner);
        let global = js_sys::global();
        let storage_object = self.inner.store.borrow().storage_object().cloned();
        if let Some(storage_object) = storage_object {
            let key = self.inner.key.clone();
            let weak = weak.clone();
            self.listen(&global, "storage", move |event: JsValue| {
                if !Object::is(&get(&event, "storageArea"), &storage_object) {
                    return;
                }
                let Some(me) = upgrade(&weak) else { return };
                match get(&event, "key").as_string() {
                    Some(k) if k != key => {}
                    // The key's new value; or `localStorage.clear()` in another tab (no key).
                    _ => me.adopt_sibling(get(&event, "newValue").as_string()),
                }
            });
        }
        if let Some(channel) = self.inner.channel.clone() {
            self.listen(&channel, "message", move |event: JsValue| {
                // A record's text, or null for a clear; anything else is not ours.
                let data = get(&event, "data");
                if !(data.is_string() || data.is_null()) {
                    return;
                }
                if let Some(me) = upgrade(&weak) {
                    me.adopt_sibling(data.as_string());
                }
            });
        }
    }

    /// Takes a sibling's write (a storage event's value or a broadcast). A clear (`null`)
    /// is checked against storage first: a late notice of a clear older than this tab's own
    /// newer write (a login) must not end the session, and storage still holds that write.
    fn adopt_sibling(&self, text: Option<String>) {
        let text = text.or_else(|| {
            let store = self.inner.store.borrow();
            store.storage_object().and_then(|s| s.get_item(&self.inner.key).ok().flatten())
        });
        self.adopt(text.as_deref(), true);
    }

    fn listen(&self, target: &JsValue, event: &'static str, f: impl FnMut(JsValue) + 'static) {
        let Ok(add) = get(target, "addEventListener").dyn_into::<Function>() else {
            return;
        };
        let callback = Closure::<dyn FnMut(JsValue)>::new(f);
        if add.call2(target, &JsValue::from_str(event), callback.as_ref()).is_ok() {
            self.inner.hooks.borrow_mut().push((target.clone(), event, callback));
        }
    }

    async fn authorized_fetch(&self, input: &JsValue, init: &JsValue, token: &str) -> Result<JsValue, OAuthError> {
        let global = js_sys::global();
        let network = |e: JsValue| {
            let mut err =
                transport::fault_error(&TransportFault::Network { code: None, during_body: false }, runtime());
            err.message = oauth2_wasm_core::text::cat(&["the request failed: ", &js_error_message(&e)]);
            err
        };
        let base_headers = match get(init, "headers") {
            h if !h.is_undefined() => h,
            _ => get(input, "headers"),
        };
        let headers_class: Function = get(&global, "Headers").dyn_into().map_err(network)?;
        let args: js_sys::Array = if base_headers.is_undefined() || base_headers.is_null() {
            js_sys::Array::new()
        } else {
            ::core::iter::once(base_headers).collect()
        };
        let headers = Reflect::construct(&headers_class, &args).map_err(network)?;
        let set: Function = get(&headers, "set").dyn_into().map_err(network)?;
        let bearer = oauth2_wasm_core::text::cat(&["Bearer ", token]);
        set.call2(&headers, &"Authorization".into(), &JsValue::from_str(&bearer)).map_err(network)?;
        let init2 = match init.is_object() {
            true => super::copy_object(init).map_err(|e| {
                OAuthError::config(
                    "init",
                    &oauth2_wasm_core::text::cat(&["could not be read: ", &js_error_message(&e)]),
                )
            })?,
            false => Object::new(),
        };
        super::set(&init2, "headers", &headers);
        let fetch = match &self.inner.fetch {
            Some(f) => f.clone(),
            None => get(&global, "fetch").dyn_into().map_err(network)?,
        };
        let promise = fetch.call2(&JsValue::UNDEFINED, input, &init2).map_err(network)?;
        JsFuture::from(Promise::resolve(&promise)).await.map_err(network)
    }
}

/// Whether a request can be sent a second time: no body, or a body that is not a one-shot
/// stream.
fn replayable(init: &JsValue) -> bool {
    let body = get(init, "body");
    let body = if body.is_undefined() { JsValue::NULL } else { body };
    if body.is_null() {
        // A Request's own body is a stream; it was cloned before sending when it had one.
        return true;
    }
    if body.is_string() {
        return true;
    }
    ["URLSearchParams", "Blob", "FormData", "ArrayBuffer"].iter().any(|c| instance_of(&body, c))
        || js_sys::ArrayBuffer::is_view(&body)
}

/// `value instanceof globalThis[class]`, false when there is no such class.
fn instance_of(value: &JsValue, class: &str) -> bool {
    get(&get(&js_sys::global(), class), "prototype")
        .dyn_into::<Object>()
        .is_ok_and(|proto| proto.is_prototype_of(value))
}

fn upgrade(weak: &Weak<Inner>) -> Option<TokenManager> {
    weak.upgrade().map(|inner| TokenManager { inner })
}

fn token_set_js(t: &TokenSet) -> JsValue {
    super::convert::token_set(t)
}

fn event_js(event: &ChangeEvent) -> JsValue {
    let out = Object::new();
    super::set(&out, "reason", &JsValue::from_str(event.reason.as_str()));
    if let Some(e) = &event.error {
        super::set(&out, "error", &super::convert::error(e));
    }
    out.into()
}

fn broadcast_channel(key: &str) -> Option<JsValue> {
    let class: Function = get(&js_sys::global(), "BroadcastChannel").dyn_into().ok()?;
    let args: js_sys::Array = ::core::iter::once(JsValue::from_str(key)).collect();
    Reflect::construct(&class, &args).ok()
}

async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// One renewal's outcome, shared by everyone who asked while it ran.
#[derive(Default)]
struct Flight {
    result: RefCell<Option<Result<TokenRecord, OAuthError>>>,
    wakers: RefCell<Vec<Waker>>,
}

impl Flight {
    fn finish(&self, result: Result<TokenRecord, OAuthError>) {
        *self.result.borrow_mut() = Some(result);
        for w in self.wakers.borrow_mut().drain(..) {
            w.wake();
        }
    }
}

struct Wait(Rc<Flight>);

impl Future for Wait {
    type Output = Result<TokenRecord, OAuthError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(r) = self.0.result.borrow().as_ref() {
            return Poll::Ready(r.clone());
        }
        self.0.wakers.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }
}
