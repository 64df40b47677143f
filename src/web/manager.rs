//! The token manager: keeps a session's tokens in storage and hands out a valid access
//! token — cached, refreshed or re-acquired — with one request however many callers ask at
//! once, in one page or process (single-flight) and across tabs (Web Locks, storage events,
//! a BroadcastChannel) or processes (a storage adapter's `lock`).
//!
//! Every decision is the core's: `machine::Machine` holds the manager's state, and each call
//! is a `machine::Task` this module drives — it reads and writes the store, takes and lets
//! go of locks, sends, sleeps and tells listeners and sibling tabs, as the task says, and
//! feeds back what happened (`TokenManager::run`).

use super::authorization;
use super::fetch::{runtime, RequestOptions};
use super::jose::DpopKey;
use super::storage::{self, StorageChoice, Store};
use super::url::RuntimeUrl;
use super::{get, js_error_message, set_timeout};
use crate::prelude::*;
use ::core::cell::{Cell, RefCell};
use ::core::future::Future;
use ::core::pin::Pin;
use ::core::task::{Context, Poll, Waker};
use alloc::rc::{Rc, Weak};
use js_sys::{Function, Object, Promise, Reflect};
use oauth2_wasm_core::authorization::{transaction_key, AuthorizeOptions};
use oauth2_wasm_core::config::ClientConfig;
use oauth2_wasm_core::error::OAuthError;
use oauth2_wasm_core::exchange::{Answer, Purpose};
use oauth2_wasm_core::grant::Grant;
use oauth2_wasm_core::lock::LockStep;
use oauth2_wasm_core::machine::{
    unsettled, Action, Call, Effect, Input, LockOutcome, Machine, Reply, Settings, StoreKind, Task, MAX_TASK_STEPS,
};
use oauth2_wasm_core::response::TokenSet;
use oauth2_wasm_core::session::{self, TokenRecord};
use oauth2_wasm_core::sync::AfterRejection;
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
    /// Bind the sessions to a DPoP key (RFC 9449): kept in IndexedDB per storage key in
    /// browsers (tabs share it), in memory elsewhere, or by a storage adapter with a
    /// `dpopKey(storageKey)` method; forgotten at logout.
    pub dpop: bool,
    /// The client's private key for `private_key_jwt` (a WebCrypto key).
    pub private_key: Option<web_sys::CryptoKey>,
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
            .field("dpop", &self.dpop)
            .field("private_key", &self.private_key.is_some())
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
            dpop: false,
            private_key: None,
        }
    }
}

/// A clock: ms since the epoch, now.
pub type Clock = Rc<dyn Fn() -> u64>;

/// A manager's parts, its options checked and its store opened: what this module's
/// [`TokenManager`] and the npm package's JavaScript driver (its `Machine`) are made of.
#[derive(Debug)]
pub struct Opened {
    /// The client (the machine holds a copy of its own).
    pub client: ClientConfig,
    /// The session machine, its store's failure and first read (a synchronous store's) already
    /// fed in: its effects wait to be taken.
    pub machine: Machine,
    /// The store (memory where the one asked for failed).
    pub store: Store,
    /// The storage key.
    pub key: String,
    /// `resource_origins`, as origins.
    pub resource_origins: Option<Vec<String>>,
    /// The BroadcastChannel sibling tabs hear each other on, where they share the store.
    pub channel: Option<JsValue>,
    /// The time limit of a request and of an adapter's calls (ms).
    pub timeout_ms: u32,
}

/// Checks `options` (a repeatable grant, the endpoints, the resource origins) and opens
/// the store (browser storage probed, an adapter's methods checked; a synchronous store read).
pub fn open(options: ManagerOptions) -> Result<Opened, OAuthError> {
    let ManagerOptions { client, grant, storage, storage_key, refresh_skew_seconds, resource_origins, dpop, .. } =
        options;
    if let (true, Some(StorageChoice::Adapter(adapter))) = (dpop, &storage) {
        if runtime() != Runtime::Browser && !get(adapter, "dpopKey").is_function() {
            return Err(OAuthError::config(
                "dpop",
                "needs the storage adapter to keep the key (a dpopKey(storageKey) method): processes sharing the \
                 store would each bind the tokens to a key of their own",
            ));
        }
    }
    if grant.as_ref().is_some_and(|g| !g.is_repeatable()) {
        return Err(OAuthError::config(
            "grant",
            "must be a grant the manager can repeat by itself (client_credentials, partner or an extension \
             grant); pass password and authorization_code grants to login()",
        ));
    }
    let can_sign = match client.effective_auth() {
        oauth2_wasm_core::ClientAuth::PrivateKeyJwt => client.private_key.is_some(),
        oauth2_wasm_core::ClientAuth::ClientSecretJwt => client.secret().is_some(),
        _ => true,
    };
    if client.client_assertion.is_some() && !can_sign {
        return Err(OAuthError::config(
            "clientAssertion",
            "would be sent again with each request, and servers refuse a repeated one: give the manager the key \
             to sign a fresh one with (privateKey; clientSecret for client_secret_jwt)",
        ));
    }
    oauth2_wasm_core::endpoint::check(
        "tokenEndpoint",
        &client.token_endpoint,
        &RuntimeUrl,
        client.allow_insecure_http,
    )?;
    let resource_origins = match &resource_origins {
        Some(list) => Some(oauth2_wasm_core::endpoint::resource_origins(list, &RuntimeUrl)?),
        None => None,
    };
    let key = storage_key.unwrap_or_else(|| session::storage_key(&client));
    let in_window = Reflect::has(&js_sys::global(), &"document".into()).unwrap_or(false);
    let choice = storage.unwrap_or(if in_window { StorageChoice::Local } else { StorageChoice::Memory });
    let timeout_ms = transport::timer_ms(client.timeout_ms.unwrap_or(transport::DEFAULT_TIMEOUT_MS));
    let (store, store_error) = Store::open(&choice, timeout_ms);
    let kind = match &store {
        Store::Adapter(..) => StoreKind::Adapter { lock: store.adapter_lock().is_some() },
        s if s.shared() => StoreKind::Shared,
        _ => StoreKind::Private,
    };
    // Tabs tell each other through a BroadcastChannel; in Node one would only keep the
    // process alive (processes share through the store and its lock instead).
    let channel = if store.shared() && runtime() == Runtime::Browser { broadcast_channel(&key) } else { None };
    let mut machine = Machine::new(Settings {
        client: client.clone(),
        grant,
        skew_secs: refresh_skew_seconds,
        store: kind,
        web_locks: web_locks().is_some(),
        channel: channel.is_some(),
    });
    if let Some(e) = store_error {
        machine.storage_error(e);
    }
    // Synchronous stores are read now, so getTokens() works at once; adapters on first use.
    match storage::read_now(&store, &key) {
        Some(Ok(text)) => machine.opened(Ok(text.as_deref())),
        Some(Err(why)) => machine.opened(Err(&why)),
        None => {}
    }
    Ok(Opened { client, machine, store, key, resource_origins, channel, timeout_ms })
}

/// A JavaScript clock function as a [`Clock`]: a call that throws or returns no number
/// reads `Date.now()`.
fn js_clock(f: Function) -> Clock {
    Rc::new(move || {
        let ms = f.call0(&JsValue::UNDEFINED).ok().and_then(|v| v.as_f64());
        ms.unwrap_or_else(js_sys::Date::now).max(0.0) as u64
    })
}

pub use oauth2_wasm_core::machine::ChangeReason;

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
    /// The client, for the requests this manager sends (the machine has its own copy).
    client: ClientConfig,
    key: String,
    clock: Option<Clock>,
    fetch: Option<Function>,
    /// `resource_origins`, as origins.
    resource_origins: Option<Vec<String>>,
    store: RefCell<Store>,
    /// The session and every decision about it (the core's).
    machine: RefCell<Machine>,
    /// The one renewal under way, whose answer everyone waiting for it gets.
    flight: RefCell<Option<Rc<Flight>>>,
    listeners: RefCell<Vec<(u32, Subscriber)>>,
    next_listener: Cell<u32>,
    channel: Option<JsValue>,
    /// Event listeners registered on `window` and the channel, removed on drop.
    hooks: RefCell<Vec<Hook>>,
    /// The authorization under way ([`TokenManager::authorize`]), also kept here for a tab
    /// without `sessionStorage`.
    transaction: RefCell<Option<String>>,
    /// Whether the session is bound to a DPoP key, and the key once loaded (forgotten at
    /// logout and when a sibling logs out).
    dpop: bool,
    dpop_key: RefCell<Option<DpopKey>>,
    /// The client's key for `private_key_jwt`.
    private_key: Option<web_sys::CryptoKey>,
    /// The adapter, which may keep the DPoP key; the bound on its calls.
    adapter: JsValue,
    timeout_ms: u32,
}

/// An event listener: its target, event name and callback.
type Hook = (JsValue, &'static str, Closure<dyn FnMut(JsValue)>);

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
    pub fn new(mut options: ManagerOptions) -> Result<TokenManager, OAuthError> {
        if let Some(key) = &options.private_key {
            options.client.private_key = Some(super::jose::key_facts(key)?);
        }
        let clock = options.clock.clone().or_else(|| options.now.clone().map(js_clock));
        let fetch = options.fetch.clone();
        let (dpop, private_key) = (options.dpop, options.private_key.clone());
        let adapter = match &options.storage {
            Some(StorageChoice::Adapter(a)) => a.clone(),
            _ => JsValue::UNDEFINED,
        };
        let Opened { client, machine, store, key, resource_origins, channel, timeout_ms } = open(options)?;
        let inner = Rc::new(Inner {
            client,
            key,
            clock,
            fetch,
            resource_origins,
            store: RefCell::new(store),
            machine: RefCell::new(machine),
            flight: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(1),
            channel,
            hooks: RefCell::new(Vec::new()),
            transaction: RefCell::new(None),
            dpop,
            dpop_key: RefCell::new(None),
            private_key,
            adapter,
            timeout_ms,
        });
        let manager = TokenManager { inner };
        // What opening the store found (its failure, its first read) is told now.
        manager.with_machine(|_| ());
        manager.subscribe_to_siblings();
        Ok(manager)
    }

    /// Requests tokens with `grant` (password, code, partner …), stores and returns them.
    pub async fn login(&self, grant: &Grant) -> Result<TokenSet, OAuthError> {
        match self.run(Task::new(Call::Login(grant.clone()))).await? {
            Reply::Tokens(tokens) => Ok(tokens),
            _ => Err(unsettled()),
        }
    }

    /// Starts the authorization-code flow with PKCE (DESIGN §2b): keeps the transaction
    /// (state, verifier, redirect URI, time) in this tab's `sessionStorage` — memory where
    /// there is none, never `localStorage` — for at most 10 minutes, and returns the URL to
    /// send the browser to.
    pub fn authorize(&self, options: &AuthorizeOptions) -> Result<String, OAuthError> {
        // With DPoP the code is bound to the key (dpop_jkt) when it is loaded already (this
        // call is synchronous): the exchange's proof binds the tokens either way.
        let mut options = options.clone();
        if let Some(key) = self.inner.dpop_key.borrow().as_ref() {
            options.bind_to(key.public_jwk());
        }
        let (transaction, url) = authorization::authorize(&self.inner.client, &options, self.now())?;
        let text = transaction.encode();
        if let Some(session) = authorization::session_storage() {
            // Kept in memory only when the tab refuses it: a callback handled by this page works.
            let _ = session.set_item(&transaction_key(&self.inner.key), &text);
        }
        *self.inner.transaction.borrow_mut() = Some(text);
        Ok(url)
    }

    /// Finishes the flow [`TokenManager::authorize`] started: takes the transaction out (a
    /// callback is handled once), checks `callback_url` against it (state, the client's
    /// `issuer`, the redirect URI), exchanges the code with the verifier and stores the new
    /// session as [`TokenManager::login`] does.
    pub async fn handle_callback(&self, callback_url: &str) -> Result<TokenSet, OAuthError> {
        let key = transaction_key(&self.inner.key);
        let mut stored = self.inner.transaction.borrow_mut().take();
        if let Some(session) = authorization::session_storage() {
            if let Ok(Some(text)) = session.get_item(&key) {
                stored = Some(text);
            }
            let _ = session.remove_item(&key);
        }
        let grant = authorization::callback_grant(&self.inner.client, stored.as_deref(), callback_url, self.now())?;
        self.login(&grant).await
    }

    /// A valid access token: the stored one while fresh, else refreshed (refresh token) or
    /// re-acquired (the manager's grant), with one request for all concurrent callers.
    pub async fn get_access_token(&self) -> Result<String, OAuthError> {
        if let Some(token) = self.fresh_token() {
            return Ok(token);
        }
        match self.run(Task::new(Call::GetAccessToken)).await? {
            Reply::Record(r) => Ok(r.access_token.expose().to_owned()),
            _ => Err(unsettled()),
        }
    }

    /// The access token when it can be handed out at once — loaded, fresh — else `None`
    /// (then [`TokenManager::get_access_token`] decides). The hot path: no storage, no future.
    pub fn fresh_token(&self) -> Option<String> {
        let now = self.now();
        self.inner.machine.borrow().fresh_token(now).map(|r| r.access_token.expose().to_owned())
    }

    /// The stored tokens, without any network or storage access.
    pub fn get_tokens(&self) -> Option<TokenSet> {
        self.inner.machine.borrow().tokens()
    }

    /// Renews now, even if the token is fresh (unless another tab just did).
    pub async fn refresh(&self) -> Result<TokenSet, OAuthError> {
        match self.run(Task::new(Call::Refresh)).await? {
            Reply::Tokens(tokens) => Ok(tokens),
            _ => Err(unsettled()),
        }
    }

    /// Forgets the tokens, in storage too (other tabs see it).
    pub async fn logout(&self) {
        self.forget_dpop_key().await;
        let _ = self.run(Task::new(Call::Logout)).await;
        self.inner.dpop_key.borrow_mut().take();
    }

    /// The session's DPoP key goes with it, out of the store first: the next session is
    /// bound to a new one. This manager keeps it for the logout's own revocations.
    async fn forget_dpop_key(&self) {
        if self.inner.dpop {
            let _ = self.dpop_key().await;
            super::jose::forget_dpop_key(
                &self.inner.key,
                &self.inner.adapter,
                self.inner.timeout_ms,
                self.store_code(),
            )
            .await;
        }
    }

    /// The store as `keys.js` names it: 0 memory, 1 `localStorage`, 2 `sessionStorage`, 3 an adapter.
    fn store_code(&self) -> u8 {
        match &*self.inner.store.borrow() {
            Store::Adapter(..) => 3,
            Store::Web { shared: true, .. } => 1,
            Store::Web { .. } => 2,
            _ => 0,
        }
    }

    /// The DPoP key (with `dpop`): loaded once for resource proofs; read again from its store
    /// for token requests (`fresh`), which must be signed with the key the stored session is
    /// bound to (a sibling's logout may have replaced it unheard).
    async fn dpop_key_as(&self, fresh: bool) -> Result<Option<DpopKey>, OAuthError> {
        if !self.inner.dpop {
            return Ok(None);
        }
        if fresh {
            self.inner.dpop_key.borrow_mut().take();
        }
        if let Some(k) = self.inner.dpop_key.borrow().clone() {
            return Ok(Some(k));
        }
        let k =
            super::jose::keep_dpop_key(&self.inner.key, &self.inner.adapter, self.inner.timeout_ms, self.store_code())
                .await?;
        *self.inner.dpop_key.borrow_mut() = Some(k.clone());
        Ok(Some(k))
    }

    /// The DPoP key for resource proofs.
    async fn dpop_key(&self) -> Result<Option<DpopKey>, OAuthError> {
        self.dpop_key_as(false).await
    }

    /// How token requests (`fresh`: the DPoP key read again from its store) and revocations
    /// (a logout's: the key it began with) are sent: the manager's fetch, key and DPoP key.
    async fn request_options(&self, fresh: bool) -> Result<RequestOptions, OAuthError> {
        Ok(RequestOptions {
            fetch: self.inner.fetch.clone(),
            dpop: self.dpop_key_as(fresh).await?,
            private_key: self.inner.private_key.clone(),
            ..RequestOptions::default()
        })
    }

    /// Forgets the tokens as [`TokenManager::logout`] does — locally first, so the logout
    /// stands whatever follows — then revokes the refresh token and the access token at the
    /// client's `revocation_endpoint` (RFC 7009). `Err`: the first revocation that failed
    /// (each is tried once).
    pub async fn logout_and_revoke(&self) -> Result<(), OAuthError> {
        self.forget_dpop_key().await;
        let revoked = self.run(Task::new(Call::LogoutAndRevoke)).await.map(|_| ());
        self.inner.dpop_key.borrow_mut().take();
        revoked
    }

    /// Drives `task` to its answer: performs each action it asks for and feeds back what
    /// happened, and the effects of every step (`core::machine`).
    async fn run(&self, mut task: Task) -> Result<Reply, OAuthError> {
        let mut input = Input::Go;
        // The lock granted to the task, let go when it says (or when the task ends).
        let mut held: Option<Held> = None;
        for _ in 0..=MAX_TASK_STEPS {
            let now = self.now();
            let action = self.with_machine(|m| task.step(m, input, now));
            let store = self.inner.store.borrow().clone();
            input = match action {
                Action::Done(reply) => return reply,
                Action::Read => Input::Read(storage::read(&store, &self.inner.key).await),
                Action::Write(text) => Input::Written(storage::write(&store, &self.inner.key, text.as_deref()).await),
                Action::Lock { step, bound_ms } => {
                    let (outcome, lock) = self.take_lock(&store, step, bound_ms).await;
                    held = lock;
                    Input::Locked(outcome)
                }
                Action::Unlock => {
                    held = None;
                    Input::Go
                }
                Action::Sleep(ms) => {
                    sleep(ms).await;
                    Input::Woke
                }
                Action::Send(grant) => {
                    let sent_at = self.now();
                    Input::Answered { sent_at, result: self.obtain(&grant, sent_at).await }
                }
                Action::Renew(start) => Input::Renewed(self.renewal(start).await),
                Action::Revoke(token, hint) => Input::Revoked(match self.request_options(false).await {
                    Ok(options) => {
                        super::fetch::revoke_token(&self.inner.client, token.expose(), Some(hint), &options).await
                    }
                    Err(e) => Err(e),
                }),
            };
        }
        drop(held);
        Err(unsettled())
    }

    /// Calls into the machine, then performs the effects it left.
    fn with_machine<R>(&self, f: impl FnOnce(&mut Machine) -> R) -> R {
        let (result, effects) = {
            let mut m = self.inner.machine.borrow_mut();
            let result = f(&mut m);
            (result, m.take_effects())
        };
        for effect in effects {
            match effect {
                Effect::Notify { reason, error, later: false } => self.notify(reason, error),
                Effect::Notify { reason, error, later: true } => self.later(reason, error),
                Effect::Broadcast(text) => self.broadcast(text.as_deref()),
                Effect::UseMemory(text) => *self.inner.store.borrow_mut() = Store::Memory(Rc::new(RefCell::new(text))),
            }
        }
        result
    }

    /// The one renewal's answer: starts it (`start`) in the background, so that a caller
    /// that goes away does not stop it, or joins the one under way.
    async fn renewal(&self, start: Option<Box<Task>>) -> Result<TokenRecord, OAuthError> {
        let flight = match start {
            Some(task) => {
                let flight = Rc::new(Flight::default());
                *self.inner.flight.borrow_mut() = Some(flight.clone());
                let (me, f) = (self.clone(), flight.clone());
                super::spawn(async move {
                    let result = me.run(*task).await;
                    me.inner.flight.borrow_mut().take();
                    f.finish(match result {
                        Ok(Reply::Record(r)) => Ok(r),
                        Ok(_) => Err(unsettled()),
                        Err(e) => Err(e),
                    });
                });
                flight
            }
            None => self.inner.flight.borrow().clone().ok_or_else(unsettled)?,
        };
        Wait(flight).await
    }

    /// Asks for the lock `step` names — the adapter's `lock(name, fn)` or a Web Lock — and
    /// waits at most `bound_ms` for it to call back or settle. A lock granted is held until
    /// the returned [`Held`] is dropped.
    async fn take_lock(&self, store: &Store, step: LockStep, bound_ms: u32) -> (LockOutcome, Option<Held>) {
        let key = JsValue::from_str(&self.inner.key);
        let state = Rc::new(LockState::default());
        let called = {
            let state = state.clone();
            Promise::new(&mut |resolve, _| *state.called.borrow_mut() = Some(resolve))
        };
        let callback = {
            let state = state.clone();
            Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |lock: JsValue| -> JsValue {
                // `null`: a Web Lock asked for `ifAvailable` is held by a sibling. Called
                // after this manager gave up waiting: let go at once.
                if lock.is_null() || state.gave_up.get() || state.granted.get().is_some() {
                    state.granted.set(state.granted.get().or(Some(false)));
                } else {
                    state.granted.set(Some(true));
                }
                if let Some(resolve) = state.called.borrow_mut().take() {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
                if state.granted.get() != Some(true) || state.gave_up.get() {
                    return Promise::resolve(&JsValue::UNDEFINED).into();
                }
                let state = state.clone();
                Promise::new(&mut |release, _| *state.release.borrow_mut() = Some(release)).into()
            })
        }
        // Owned by JavaScript from here: a lock may call it whenever it likes.
        .into_js_value();
        let asked = match step {
            LockStep::Adapter { .. } => match store.adapter_lock() {
                Some((adapter, lock)) => lock.call2(&adapter, &key, &callback),
                None => Err(JsValue::from_str("the adapter has no lock()")),
            },
            LockStep::TryWebLock | LockStep::WaitWebLock { .. } => match web_locks() {
                Some((locks, request)) => {
                    // Waited for without an abort signal: when the bound runs out first, a
                    // grant that comes later finds the callback given up, and lets go at once.
                    let options = Object::new();
                    if step == LockStep::TryWebLock {
                        super::set(&options, "ifAvailable", &JsValue::TRUE);
                    }
                    request.call3(&locks, &key, &options, &callback)
                }
                None => Err(JsValue::from_str("no Web Locks")),
            },
            LockStep::Without { .. } => return (LockOutcome::NotGranted, None),
        };
        let settled = match asked {
            Ok(p) => {
                let race = Promise::race(&js_sys::Array::of2(&called, &Promise::resolve(&p)));
                super::within(&race, bound_ms).await
            }
            Err(e) => Some(Err(e)),
        };
        let outcome = match (state.granted.get(), settled) {
            (Some(true), _) => LockOutcome::Granted,
            (Some(false), _) | (None, Some(Ok(_))) => LockOutcome::NotGranted,
            (None, Some(Err(e))) => LockOutcome::Failed(js_error_message(&e)),
            (None, None) => LockOutcome::TimedOut,
        };
        if outcome != LockOutcome::Granted {
            state.gave_up.set(true);
            return (outcome, None);
        }
        (outcome, Some(Held(state)))
    }

    /// Sends `grant` now (`sent_at`, from which expiry counts) and parses the answer.
    async fn obtain(&self, grant: &Grant, sent_at: u64) -> Result<TokenSet, OAuthError> {
        let options = self.request_options(true).await?;
        super::fetch::warn_about_secrets(&self.inner.client, grant);
        let purpose = Purpose::Token(grant.clone());
        match super::fetch::exchange_with(&self.inner.client, purpose, &options, Some(sent_at)).await? {
            Answer::Tokens(tokens) => Ok(tokens),
            _ => Err(unsettled()),
        }
    }

    /// `fetch` with `Authorization: Bearer <token>` — only over https (or to a loopback
    /// host), and only to `resource_origins` when given; on a 401, renews once and retries
    /// when the request can be sent again (no one-shot stream body), unless the token is
    /// too new for a renewal to help (`core::sync::Session::after_rejection`).
    pub async fn fetch(&self, input: &JsValue, init: &JsValue) -> Result<JsValue, OAuthError> {
        let url = self.check_resource(input)?;
        let token = self.get_access_token().await?;
        self.scheme(&token)?;
        // A Request's body can be read once: copies for the sends that may follow (a DPoP
        // nonce, a renewed token).
        let mut spares: Vec<JsValue> = match get(input, "clone").is_function() {
            true => (0..2).filter_map(|_| super::call0(input, "clone").ok()).collect(),
            false => Vec::new(),
        };
        let mut again = move || if spares.is_empty() { input.clone() } else { spares.remove(0) };
        let mut response = self.authorized_fetch(input, init, &token, url.as_ref()).await?;
        // Any answer may carry the resource's next nonce; a 401 may ask for it.
        let asked = self.resource_nonce(url.as_ref(), &response);
        if get(&response, "status").as_f64() != Some(401.0) || !replayable(init) {
            return Ok(response);
        }
        if asked {
            // The resource wants a DPoP nonce: once more, with it.
            response = self.authorized_fetch(&again(), init, &token, url.as_ref()).await?;
            self.resource_nonce(url.as_ref(), &response);
            if get(&response, "status").as_f64() != Some(401.0) {
                return Ok(response);
            }
        }
        let now = self.now();
        let decision = self.inner.machine.borrow_mut().after_rejection(&token, now);
        let renewed = match decision {
            AfterRejection::Retry(record) => {
                session::scheme(&record, self.inner.dpop)?;
                record.access_token.expose().to_owned()
            }
            AfterRejection::Renew => {
                let tokens = self.refresh().await?;
                self.scheme(tokens.access_token.expose())?;
                tokens.access_token.expose().to_owned()
            }
            AfterRejection::Answer => return Ok(response),
        };
        self.authorized_fetch(&again(), init, &renewed, url.as_ref()).await
    }

    /// The scheme `token` is sent with: `Bearer`, or `DPoP` with a proof.
    fn scheme(&self, token: &str) -> Result<&'static str, OAuthError> {
        self.inner.machine.borrow().scheme(token, self.inner.dpop)
    }

    /// Keeps the DPoP nonce a resource's answer gave; whether it is a 401 asking for it.
    fn resource_nonce(&self, url: Option<&oauth2_wasm_core::UrlParts>, response: &JsValue) -> bool {
        let status = get(response, "status").as_f64().unwrap_or(0.0) as u16;
        let (true, Some(url)) = (self.inner.dpop, url) else { return false };
        let headers = get(response, "headers");
        let get_header = get(&headers, "get").dyn_into::<Function>().ok();
        let header = |name: &str| -> Option<String> {
            get_header.as_ref()?.call1(&headers, &JsValue::from_str(name)).ok()?.as_string()
        };
        super::jose::resource_answer(
            url,
            status,
            header("www-authenticate").as_deref(),
            header("dpop-nonce").as_deref(),
        )
    }

    /// Refuses a request whose URL (resolved as `fetch` resolves it) is not one the token
    /// may go to (`core::endpoint::check_resource`).
    /// Checks that the access token may go to `input`'s URL; the URL's parse.
    fn check_resource(&self, input: &JsValue) -> Result<Option<oauth2_wasm_core::UrlParts>, OAuthError> {
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
        )?;
        Ok(url)
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

    /// Takes a sibling's write (a storage event's value or a broadcast); a clear is checked
    /// against what `localStorage` holds now (`Machine::sibling`).
    fn adopt_sibling(&self, text: Option<String>) {
        if text.is_none() {
            // A sibling's logout may have replaced the session's key: read it again when needed.
            self.inner.dpop_key.borrow_mut().take();
        }
        let stored = match text {
            Some(_) => None,
            None => {
                let store = self.inner.store.borrow();
                store.storage_object().and_then(|s| s.get_item(&self.inner.key).ok().flatten())
            }
        };
        self.with_machine(|m| m.sibling(text.as_deref(), stored.as_deref()));
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

    async fn authorized_fetch(
        &self,
        input: &JsValue,
        init: &JsValue,
        token: &str,
        url: Option<&oauth2_wasm_core::UrlParts>,
    ) -> Result<JsValue, OAuthError> {
        let scheme = self.scheme(token)?;
        let proof = match (scheme, url) {
            ("DPoP", Some(url)) => {
                let key = self.dpop_key().await?.ok_or_else(unsettled)?;
                let method = get(init, "method").as_string().or_else(|| get(input, "method").as_string());
                Some(super::jose::resource_proof(&key, method.as_deref().unwrap_or("GET"), url, token).await?)
            }
            _ => None,
        };
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
        let authorization = oauth2_wasm_core::text::cat(&[scheme, " ", token]);
        set.call2(&headers, &"Authorization".into(), &JsValue::from_str(&authorization)).map_err(network)?;
        if let Some(proof) = proof {
            set.call2(&headers, &"DPoP".into(), &JsValue::from_str(&proof)).map_err(network)?;
        }
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

/// `navigator.locks` and its `request`, where the runtime has Web Locks.
fn web_locks() -> Option<(JsValue, Function)> {
    let locks = get(&get(&js_sys::global(), "navigator"), "locks");
    get(&locks, "request").dyn_into::<Function>().ok().map(|request| (locks, request))
}

/// A lock asked for: whether its callback ran (`granted`: with a lock, or `null`), the
/// function that lets go of it, and whether this manager stopped waiting for it.
#[derive(Default)]
struct LockState {
    called: RefCell<Option<Function>>,
    granted: Cell<Option<bool>>,
    release: RefCell<Option<Function>>,
    gave_up: Cell<bool>,
}

/// A lock granted: let go when dropped.
struct Held(Rc<LockState>);

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(release) = self.0.release.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
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
