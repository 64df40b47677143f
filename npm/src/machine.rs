//! The wasm side of the package's JavaScript driver (`js/driver.mjs`): the core's session
//! machine (`oauth2_wasm_core::machine`) behind a `Machine` class, and one token request
//! behind `Exchange`. JavaScript performs (storage, locks, timers, fetch, listeners);
//! everything it feeds back is read and judged here, and every error it reports is made
//! here, so a message is written once, for the Rust API and the package alike.
//!
//! The crossing is small on purpose: an action is an array `[code, a, b, effects?]`, an
//! input a code with up to two values (the codes are the `ACTION_*` / `INPUT_*` constants of
//! `js/driver.mjs`).

use crate::prelude::*;
use crate::{arg, to_js, Returned};
use js_sys::{Array, Reflect};
use oauth2_wasm::web::fetch::{read_outcome, runtime};
use oauth2_wasm::web::manager::{open, ManagerOptions};
use oauth2_wasm::web::storage::{self, StorageChoice, Store};
use oauth2_wasm::web::url::RuntimeUrl;
use oauth2_wasm::web::{convert, get, js_error_message};
use oauth2_wasm_core::authorization::{transaction_key, AuthorizeOptions};
use oauth2_wasm_core::config::ClientConfig;
use oauth2_wasm_core::error::OAuthError;
use oauth2_wasm_core::exchange::{Answer, Exchange, Purpose};
use oauth2_wasm_core::grant::Grant;
use oauth2_wasm_core::jose::PublicJwk;
use oauth2_wasm_core::lock::LockStep;
use oauth2_wasm_core::machine::{unsettled, Action, Call, Effect, Input, LockOutcome, Machine, Reply, Task};
use oauth2_wasm_core::session::{self, TokenRecord};
use oauth2_wasm_core::sync::AfterRejection;
use oauth2_wasm_core::transport::{self, TransportFault};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A session machine for the JavaScript `TokenManager`.
#[derive(Debug)]
#[wasm_bindgen(js_name = Machine, skip_typescript)]
pub struct JsMachine {
    m: Machine,
    /// The tasks under way, by id.
    tasks: Vec<(u32, Task)>,
    next: u32,
    /// The renewal under way (its task id), and the answers of the last ones, for those
    /// who waited for them.
    flight: Option<u32>,
    renewed: Vec<(u32, Result<TokenRecord, OAuthError>)>,
    client: ClientConfig,
    key: String,
    resource_origins: Option<Vec<String>>,
    /// 0 memory, 1 `localStorage`, 2 `sessionStorage`, 3 an adapter.
    store: u8,
    channel: JsValue,
    /// The bound on a request, and on an adapter's calls.
    timeout_ms: u32,
    has_fetch: bool,
    /// Whether requests carry DPoP proofs (`dpop: true`), and the key's public half, which
    /// the driver sets before a task runs ([`JsMachine::set_dpop_key`]).
    dpop: bool,
    dpop_key: Option<PublicJwk>,
    /// The token request or revocation each task has under way (signed, sent, answered).
    exchanges: Vec<(u32, Exchange)>,
}

/// Where an exchange goes after an input.
enum Next {
    /// The driver's next action (send, or sign again).
    Action(Array),
    /// Over: the answer.
    Over(Option<Answer>),
}

/// What an input about an exchange leads to.
enum Fed {
    /// The machine's input: the exchange is over.
    Machine(Input),
    /// The driver's next action for the exchange.
    Driver(Array),
}

/// The error for a signature WebCrypto refused (`slot` 0 the client's key, 1 the DPoP key).
fn sign_error(x: &Exchange, slot: &JsValue, e: &JsValue) -> OAuthError {
    let key = slot.as_f64().unwrap_or(0.0) as u8;
    oauth2_wasm::web::jose::sign_error(x, key, e)
}

fn config_error(field: &str, problem: &str) -> JsValue {
    to_js(OAuthError::config(field, problem))
}

/// `options` as the Rust manager's options (every check of the JavaScript options is here).
pub(crate) fn manager_options(options: &JsValue) -> Result<ManagerOptions, JsValue> {
    if !options.is_object() {
        return Err(config_error("options", "must be an object with at least client"));
    }
    let client = ClientConfig::from_value(&arg(&get(options, "client"), "client")?).map_err(to_js)?;
    let mut opts = ManagerOptions::new(client);
    opts.dpop = match get(options, "dpop") {
        v if v.is_undefined() || v.is_null() => false,
        v => v.as_bool().ok_or_else(|| config_error("dpop", "must be true or false"))?,
    };
    let grant = get(options, "grant");
    if !grant.is_undefined() && !grant.is_null() {
        opts.grant = Some(Grant::from_value(&arg(&grant, "grant")?).map_err(to_js)?);
    }
    let storage = get(options, "storage");
    opts.storage = match storage.as_string().as_deref() {
        _ if storage.is_undefined() || storage.is_null() => None,
        Some("local") => Some(StorageChoice::Local),
        Some("session") => Some(StorageChoice::Session),
        Some("memory") => Some(StorageChoice::Memory),
        Some(_) => return Err(config_error("storage", "must be \"local\", \"session\", \"memory\" or an adapter")),
        None if storage.is_object() => Some(StorageChoice::Adapter(storage)),
        None => return Err(config_error("storage", "must be \"local\", \"session\", \"memory\" or an adapter")),
    };
    let key = get(options, "storageKey");
    if !key.is_undefined() {
        opts.storage_key = Some(
            key.as_string()
                .filter(|k| !k.is_empty())
                .ok_or_else(|| config_error("storageKey", "must be a non-empty string"))?,
        );
    }
    let skew = get(options, "refreshSkewSeconds");
    if !skew.is_undefined() {
        opts.refresh_skew_seconds = Some(
            skew.as_f64()
                .and_then(oauth2_wasm_core::config::whole_number)
                .ok_or_else(|| config_error("refreshSkewSeconds", "must be a whole number of seconds"))?,
        );
    }
    for name in ["now", "fetch"] {
        let f = get(options, name);
        if !f.is_undefined() && !f.is_function() {
            return Err(config_error(name, "must be a function"));
        }
    }
    let origins = get(options, "resourceOrigins");
    if !origins.is_undefined() && !origins.is_null() {
        let bad = || config_error("resourceOrigins", "must be an array of URLs such as https://api.example.com");
        if !Array::is_array(&origins) {
            return Err(bad());
        }
        // Read element by element with Reflect: an accessor that throws is a bad option,
        // not an exception through the wasm.
        let length = get(&origins, "length").as_f64().unwrap_or(0.0).min(1_000.0) as u32;
        let list: Option<Vec<String>> =
            (0..length).map(|i| Reflect::get_u32(&origins, i).ok().and_then(|o| o.as_string())).collect();
        opts.resource_origins = Some(list.ok_or_else(bad)?);
    }
    Ok(opts)
}

fn array(items: &[JsValue]) -> Array {
    items.iter().collect()
}

#[wasm_bindgen(js_class = Machine)]
impl JsMachine {
    /// `new Machine(options)`: the options of `new TokenManager(options)`, checked; the
    /// store opened (browser storage probed, an adapter's methods checked) and, when it is
    /// synchronous, read.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsMachine, JsValue> {
        let has_fetch = get(&options, "fetch").is_function();
        let opts = manager_options(&options)?;
        let dpop = opts.dpop;
        let opened = open(opts).map_err(to_js)?;
        let store = match &opened.store {
            Store::Adapter(..) => 3,
            Store::Web { shared: true, .. } => 1,
            Store::Web { .. } => 2,
            _ => 0,
        };
        Ok(JsMachine {
            client: opened.client,
            m: opened.machine,
            tasks: Vec::new(),
            next: 1,
            flight: None,
            renewed: Vec::new(),
            key: opened.key,
            resource_origins: opened.resource_origins,
            store,
            channel: opened.channel.unwrap_or(JsValue::UNDEFINED),
            timeout_ms: opened.timeout_ms,
            has_fetch,
            dpop,
            dpop_key: None,
            exchanges: Vec::new(),
        })
    }

    /// The DPoP key's public JWK (`{ kty, crv, x, y }`), before tasks run (`dpop: true`).
    #[wasm_bindgen(js_name = setDpopKey)]
    pub fn set_dpop_key(&mut self, jwk: JsValue) -> Result<(), JsValue> {
        self.dpop_key = Some(PublicJwk::from_value(&arg(&jwk, "dpop")?).map_err(to_js)?);
        Ok(())
    }

    /// Whether requests carry DPoP proofs.
    #[wasm_bindgen(getter)]
    pub fn dpop(&self) -> bool {
        self.dpop
    }

    /// `[storage key, store (0 memory, 1 localStorage, 2 sessionStorage, 3 adapter),
    /// BroadcastChannel or undefined, an adapter call's time limit in ms]`.
    pub fn info(&self) -> Returned<Array> {
        let store = JsValue::from(self.store);
        Ok(array(&[JsValue::from_str(&self.key), store, self.channel.clone(), JsValue::from(self.timeout_ms)]))
    }

    /// What the driver must do at once, in order: `[0, reason, error?, later]` (tell the
    /// listeners), `[1, text | null]` (tell sibling tabs), `[2, text | null]` (memory holding
    /// this replaces the store).
    pub fn effects(&mut self) -> Returned<Array> {
        Ok(self.take_effects())
    }

    fn take_effects(&mut self) -> Array {
        let effects = self.m.take_effects();
        self.effects_js(effects)
    }

    fn effects_js(&mut self, effects: Vec<Effect>) -> Array {
        let out = Array::new();
        for effect in effects {
            let item: Array = match effect {
                Effect::Notify { reason, error, later } => array(&[
                    JsValue::from(0),
                    JsValue::from_str(reason.as_str()),
                    error.as_ref().map(convert::error).unwrap_or(JsValue::UNDEFINED),
                    JsValue::from(later),
                ]),
                Effect::Broadcast(text) => array(&[JsValue::from(1), text_js(text)]),
                Effect::UseMemory(text) => {
                    self.store = 0;
                    array(&[JsValue::from(2), text_js(text)])
                }
            };
            out.push(&item);
        }
        out
    }

    /// `manager.authorize(options)`: `[url, transaction key, transaction text]` — the driver
    /// keeps the text in `sessionStorage` (memory where there is none) under the key.
    pub fn authorize(&self, options: JsValue, now: f64) -> Result<Array, JsValue> {
        let mut options = AuthorizeOptions::from_value(&arg(&options, "options")?).map_err(to_js)?;
        if let Some(key) = &self.dpop_key {
            options.bind_to(key);
        }
        let (transaction, url) =
            oauth2_wasm::web::authorization::authorize(&self.client, &options, now as u64).map_err(to_js)?;
        Ok(array(&[
            JsValue::from_str(&url),
            JsValue::from_str(&transaction_key(&self.key)),
            JsValue::from_str(&transaction.encode()),
        ]))
    }

    /// Where this manager's transaction is kept.
    #[wasm_bindgen(js_name = transactionKey)]
    pub fn transaction_key_js(&self) -> String {
        transaction_key(&self.key)
    }

    /// `manager.handleCallback(url)`: checks `url` against the transaction taken from storage
    /// (`stored`, a string or null) and starts the login with its code; the task's id.
    #[wasm_bindgen(js_name = startCallback)]
    pub fn start_callback(&mut self, stored: JsValue, url: JsValue, now: f64) -> Result<u32, JsValue> {
        let url = crate::callback_url(&url)?;
        let grant = oauth2_wasm::web::authorization::callback_grant(
            &self.client,
            stored.as_string().as_deref(),
            &url,
            now as u64,
        )
        .map_err(to_js)?;
        Ok(self.add(Task::new(Call::Login(grant))))
    }

    /// Starts a call (0 a token, 1 a refresh, 2 a login with `grant`, 3 a logout, 4 a logout
    /// that revokes); its id.
    pub fn start(&mut self, call: u8, grant: JsValue) -> Result<u32, JsValue> {
        let call = match call {
            0 => Call::GetAccessToken,
            1 => Call::Refresh,
            2 => Call::Login(Grant::from_value(&arg(&grant, "grant")?).map_err(to_js)?),
            4 => Call::LogoutAndRevoke,
            _ => Call::Logout,
        };
        Ok(self.add(Task::new(call)))
    }

    fn add(&mut self, task: Task) -> u32 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.tasks.push((id, task));
        id
    }

    /// Resumes task `id` with what followed its last action (`input`, with `value` and
    /// `extra`), at `now`: the next action, as `[code, a, b, effects?]`.
    pub fn step(&mut self, id: u32, input: u8, value: JsValue, extra: JsValue, now: f64) -> Returned<Array> {
        Ok(self.advance(id, input, value, extra, now))
    }

    fn advance(&mut self, id: u32, input: u8, value: JsValue, extra: JsValue, now: f64) -> Array {
        let now = now.max(0.0) as u64;
        let mut input = match self.exchange_input(id, input, &value, &extra) {
            Some(Fed::Driver(action)) => return action,
            Some(Fed::Machine(input)) => input,
            None => self.input(input, &value, &extra),
        };
        let Some(at) = self.tasks.iter().position(|(i, _)| *i == id) else {
            return self.done(id, Err(unsettled()));
        };
        loop {
            let action = {
                let (_, task) = &mut self.tasks[at];
                task.step(&mut self.m, input, now)
            };
            let out = match action {
                Action::Read => array(&[JsValue::from(0)]),
                Action::Write(text) => array(&[JsValue::from(1), text_js(text)]),
                Action::Lock { step, bound_ms } => {
                    let kind = match step {
                        LockStep::Adapter { .. } => 0,
                        LockStep::TryWebLock => 1,
                        _ => 2,
                    };
                    array(&[JsValue::from(2), JsValue::from(kind), JsValue::from(bound_ms)])
                }
                Action::Unlock => array(&[JsValue::from(3)]),
                Action::Sleep(ms) => array(&[JsValue::from(4), JsValue::from(ms)]),
                Action::Send(grant) => match self.begin(id, Purpose::Token(grant)) {
                    Ok(action) => action,
                    // Not sent: the task hears why at once.
                    Err(e) => {
                        input = Input::Answered { sent_at: now, result: Err(e) };
                        continue;
                    }
                },
                Action::Revoke(token, hint) => match self.begin(id, Purpose::Revoke(token, Some(hint.to_owned()))) {
                    Ok(action) => action,
                    Err(e) => {
                        input = Input::Revoked(Err(e));
                        continue;
                    }
                },
                Action::Renew(start) => {
                    let (flight, started) = match start {
                        Some(task) => {
                            let f = self.add(*task);
                            self.flight = Some(f);
                            (f, true)
                        }
                        None => match self.flight {
                            Some(f) => (f, false),
                            None => {
                                input = Input::Renewed(Err(unsettled()));
                                continue;
                            }
                        },
                    };
                    array(&[JsValue::from(6), JsValue::from(flight), JsValue::from(started)])
                }
                Action::Done(reply) => {
                    self.tasks.remove(at);
                    return self.done(id, reply);
                }
            };
            self.with_effects(&out);
            return out;
        }
    }

    /// Adds the effects the step left to its answer, as `[3]` (no array at all when there
    /// are none: most steps).
    fn with_effects(&mut self, out: &Array) {
        let effects = self.m.take_effects();
        if !effects.is_empty() {
            out.set(3, self.effects_js(effects).into());
        }
    }

    /// A task's answer: `[7, value, failed, effects?]` — the access token, the tokens, or
    /// nothing; or the error.
    fn done(&mut self, id: u32, reply: Result<Reply, OAuthError>) -> Array {
        if self.flight == Some(id) {
            self.flight = None;
            let result = match &reply {
                Ok(Reply::Record(r)) => Ok(r.clone()),
                Ok(_) => Err(unsettled()),
                Err(e) => Err(e.clone()),
            };
            self.renewed.push((id, result));
            if self.renewed.len() > 4 {
                drop(self.renewed.remove(0));
            }
        }
        let (value, failed) = match reply {
            Ok(Reply::Record(r)) => (JsValue::from_str(r.access_token.expose()), false),
            Ok(Reply::Tokens(t)) => (convert::token_set(&t), false),
            Ok(Reply::Nothing) => (JsValue::UNDEFINED, false),
            Err(e) => (convert::error(&e), true),
        };
        let out = array(&[JsValue::from(7), value, JsValue::from(failed)]);
        self.with_effects(&out);
        out
    }

    /// What the driver fed back, as the machine's input.
    fn input(&mut self, code: u8, value: &JsValue, extra: &JsValue) -> Input {
        let method = extra.as_string().unwrap_or_default();
        match code {
            1 => Input::Read(Ok(if self.store == 3 { storage::adapter_value(value) } else { value.as_string() })),
            2 => Input::Read(Err(storage::failure(&method, value))),
            3 => Input::Read(Err(storage::not_settled(&method, self.timeout_ms))),
            4 => Input::Written(Ok(())),
            5 => Input::Written(Err(storage::failure(&method, value))),
            6 => Input::Written(Err(storage::not_settled(&method, self.timeout_ms))),
            7 => Input::Locked(match value.as_f64() {
                Some(0.0) => LockOutcome::Granted,
                Some(1.0) => LockOutcome::NotGranted,
                Some(2.0) => LockOutcome::Failed(js_error_message(extra)),
                _ => LockOutcome::TimedOut,
            }),
            8 => Input::Woke,
            10 => {
                let id = value.as_f64().unwrap_or(0.0) as u32;
                let found = self.renewed.iter().find(|(i, _)| *i == id).map(|(_, r)| r.clone());
                Input::Renewed(found.unwrap_or_else(|| Err(unsettled())))
            }
            _ => Input::Go,
        }
    }

    /// Starts task `id`'s exchange for `purpose`: the request to send (`[5, request]` for a
    /// token, `[8, request]` for a revocation), or first what to sign (`[9, texts]`).
    fn begin(&mut self, id: u32, purpose: Purpose) -> Result<Array, OAuthError> {
        fetch_ready(self.has_fetch, None)?;
        if let Purpose::Token(grant) = &purpose {
            oauth2_wasm::web::fetch::warn_about_secrets(&self.client, grant);
        }
        let dpop = match self.dpop {
            true => Some(self.dpop_key.clone().ok_or_else(|| {
                OAuthError::config("dpop", "no DPoP key could be had (IndexedDB, memory or the adapter's dpopKey())")
            })?),
            false => None,
        };
        let x = Exchange::new(self.client.clone(), purpose, dpop, &RuntimeUrl)?;
        self.exchanges.retain(|(i, _)| *i != id);
        self.exchanges.push((id, x));
        self.next_for(id)
    }

    /// What task `id`'s exchange needs next: signatures, or sending.
    fn next_for(&mut self, id: u32) -> Result<Array, OAuthError> {
        let timeout_ms = self.timeout_ms;
        let x = self.exchange(id)?;
        if let Some(request) = x.request() {
            let code = if matches!(x.purpose(), Purpose::Revoke(..)) { 8 } else { 5 };
            return Ok(array(&[JsValue::from(code), request_object(request, timeout_ms)]));
        }
        oauth2_wasm::web::jose::prepare(x)?;
        Ok(array(&[JsValue::from(9), oauth2_wasm::web::jose::to_sign_js(x).into()]))
    }

    fn exchange(&mut self, id: u32) -> Result<&mut Exchange, OAuthError> {
        self.exchanges.iter_mut().find(|(i, _)| *i == id).map(|(_, x)| x).ok_or_else(unsettled)
    }

    /// What the driver fed back about task `id`'s exchange (signatures, a signature refused,
    /// the answer): the machine's input once the exchange is over, else the driver's next
    /// action. `None` for every other input.
    fn exchange_input(&mut self, id: u32, code: u8, value: &JsValue, extra: &JsValue) -> Option<Fed> {
        if !matches!(code, 9 | 11 | 12 | 13) {
            return None;
        }
        let revoking = self.exchange(id).is_ok_and(|x| matches!(x.purpose(), Purpose::Revoke(..)));
        let sent_at = extra.as_f64().unwrap_or(0.0).max(0.0) as u64;
        let over = |result: Result<Option<Answer>, OAuthError>| match (revoking, result) {
            (true, r) => Input::Revoked(r.map(|_| ())),
            (false, Ok(Some(Answer::Tokens(t)))) => Input::Answered { sent_at, result: Ok(t) },
            (false, Ok(_)) => Input::Answered { sent_at, result: Err(unsettled()) },
            (false, Err(e)) => Input::Answered { sent_at, result: Err(e) },
        };
        let next = match code {
            12 => self.signed(id, value).map(Next::Action),
            13 => Err(self.exchange(id).map_or_else(|e| e, |x| sign_error(x, extra, value))),
            _ => self.answered(id, value, sent_at),
        };
        match next {
            Ok(Next::Action(action)) => {
                self.with_effects(&action);
                Some(Fed::Driver(action))
            }
            Ok(Next::Over(result)) => {
                self.exchanges.retain(|(i, _)| *i != id);
                Some(Fed::Machine(over(Ok(result))))
            }
            Err(e) => {
                self.exchanges.retain(|(i, _)| *i != id);
                Some(Fed::Machine(over(Err(e))))
            }
        }
    }

    /// The signatures came: the request to send.
    fn signed(&mut self, id: u32, signatures: &JsValue) -> Result<Array, OAuthError> {
        let signatures = oauth2_wasm::web::jose::signatures_of(signatures.unchecked_ref());
        self.exchange(id)?.signed(&signatures, &RuntimeUrl)?;
        self.next_for(id)
    }

    /// The answer came (`exchange.js`'s outcome): the answer, or what to sign again (with
    /// the nonce the server asked for).
    fn answered(&mut self, id: u32, outcome: &JsValue, sent_at: u64) -> Result<Next, OAuthError> {
        let timeout_ms = self.timeout_ms;
        let response = transport::read_outcome(&read_outcome(outcome), timeout_ms, runtime())?;
        let x = self.exchange(id)?;
        oauth2_wasm::web::jose::keep_answer_nonce(x, &response);
        let answered_at = if matches!(x.purpose(), Purpose::Revoke(..)) { response.sent_at_ms } else { sent_at };
        match x.answer(&response, answered_at)? {
            None => self.next_for(id).map(Next::Action),
            Some(answer) => Ok(Next::Over(Some(answer))),
        }
    }

    /// The access token when it can be handed out with no I/O at `now`, and until when
    /// (`[token, until]`, `until` in ms, `Infinity` when the token has no known lifetime),
    /// else `undefined`. The driver may hand the token out without asking again while its
    /// clock is before `until` and nothing changed the session (no step, sibling, 401).
    #[wasm_bindgen(js_name = freshToken)]
    pub fn fresh_token(&self, now: f64) -> Returned {
        Ok(match self.m.fresh_token_until(now.max(0.0) as u64) {
            None => JsValue::UNDEFINED,
            Some((r, until)) => array(&[
                JsValue::from_str(r.access_token.expose()),
                JsValue::from(until.map_or(f64::INFINITY, |u| u as f64)),
            ])
            .into(),
        })
    }

    /// The tokens held, or `null`.
    pub fn tokens(&self) -> Returned {
        Ok(self.m.tokens().map(|t| convert::token_set(&t)).unwrap_or(JsValue::NULL))
    }

    /// A sibling's change (`value`: a storage event's new value or a broadcast; `stored`:
    /// what `localStorage` holds now); the effects.
    pub fn sibling(&mut self, value: JsValue, stored: JsValue) -> Returned<Array> {
        self.m.sibling(value.as_string().as_deref(), stored.as_string().as_deref());
        Ok(self.take_effects())
    }

    /// A resource refused `token` with 401 at `now`: a token to retry with, `true` (renew,
    /// then retry) or `false` (hand the 401 to the caller).
    #[wasm_bindgen(js_name = afterRejection)]
    pub fn after_rejection(&mut self, token: &str, now: f64) -> Result<JsValue, JsValue> {
        Ok(match self.m.after_rejection(token, now.max(0.0) as u64) {
            AfterRejection::Retry(r) => {
                session::scheme(&r, self.dpop).map_err(to_js)?;
                JsValue::from_str(r.access_token.expose())
            }
            AfterRejection::Renew => JsValue::TRUE,
            AfterRejection::Answer => JsValue::FALSE,
        })
    }

    /// The scheme `token` is sent with (`"Bearer"`, or `"DPoP"` with a proof), or throws
    /// when it may not be sent.
    pub fn scheme(&self, token: &str) -> Result<String, JsValue> {
        self.m.scheme(token, self.dpop).map(str::to_owned).map_err(to_js)
    }

    /// The text of a DPoP proof for `method` `url` (resolved against the page) carrying
    /// `token` (`ath`) and the nonce kept for the resource's origin; the driver signs it with
    /// the DPoP key and hands it to [`Self::compact_proof`].
    #[wasm_bindgen(js_name = resourceProof)]
    pub fn resource_proof(&self, method: &str, url: &str, token: &str) -> Result<String, JsValue> {
        let jwk = self.dpop_key.as_ref().ok_or_else(|| to_js(unsettled()))?;
        let parsed = RuntimeUrl::parse_against_page(url)
            .ok_or_else(|| config_error("url", "must be a URL the runtime can parse"))?;
        let htm = oauth2_wasm_core::jose::htm(method);
        let proof = oauth2_wasm::web::jose::dpop_proof(jwk, &htm, &parsed, Some(token)).map_err(to_js)?;
        Ok(proof.input)
    }

    /// The error when the DPoP key could not be had or could not sign (`e`: why).
    #[wasm_bindgen(js_name = signFailed)]
    pub fn sign_failed(&self, e: JsValue) -> Returned {
        let reason = js_error_message(&e);
        Ok(to_js(OAuthError::config("dpop", &oauth2_wasm_core::text::cat(&["could not sign a DPoP proof: ", &reason]))))
    }

    /// The proof: `text` and its signature (the bytes WebCrypto gave).
    #[wasm_bindgen(js_name = compactProof)]
    pub fn compact_proof(&self, text: &str, signature: &[u8]) -> String {
        oauth2_wasm_core::jose::compact(text, signature)
    }

    /// A resource at `url` answered `status` with these `WWW-Authenticate` and `DPoP-Nonce`
    /// headers: keeps a new nonce for its origin; whether to send the request once more, with
    /// a proof carrying it (RFC 9449 §9).
    #[wasm_bindgen(js_name = resourceNonce)]
    pub fn resource_nonce(
        &self,
        url: &str,
        status: u16,
        www_authenticate: Option<String>,
        nonce: Option<String>,
    ) -> bool {
        RuntimeUrl::parse_against_page(url).is_some_and(|parsed| {
            oauth2_wasm::web::jose::resource_answer(&parsed, status, www_authenticate.as_deref(), nonce.as_deref())
        })
    }

    /// Throws unless the access token may go to `url` (resolved against the page).
    #[wasm_bindgen(js_name = checkResource)]
    pub fn check_resource(&self, url: &str) -> Result<(), JsValue> {
        let parsed = RuntimeUrl::parse_against_page(url);
        oauth2_wasm_core::endpoint::check_resource(
            parsed.as_ref(),
            self.resource_origins.as_deref(),
            self.client.allow_insecure_http,
        )
        .map_err(to_js)
    }

    /// The error of a failure in the driver: 0 its `fetch` with the token failed (`e`:
    /// why), 1 `init` could not be read, 2 a listener that is not a function, 3 a task
    /// that did not settle.
    pub fn fault(&self, code: u8, e: JsValue) -> Returned {
        let error = match code {
            0 => {
                let fault = TransportFault::Network { code: None, during_body: false };
                let mut err = transport::fault_error(&fault, runtime());
                err.message = oauth2_wasm_core::text::cat(&["the request failed: ", &js_error_message(&e)]);
                err
            }
            1 => OAuthError::config(
                "init",
                &oauth2_wasm_core::text::cat(&["could not be read: ", &js_error_message(&e)]),
            ),
            2 => OAuthError::config("listener", "must be a function"),
            _ => unsettled(),
        };
        Ok(convert::error(&error))
    }
}

/// The JavaScript form of a stored text (`null` for none).
fn text_js(text: Option<String>) -> JsValue {
    text.map(|t| JsValue::from_str(&t)).unwrap_or(JsValue::NULL)
}

/// A request as the driver sends it: `{ url, method, headers, body, timeoutMs }`.
pub(crate) fn request_object(request: &oauth2_wasm_core::request::TokenRequest, timeout_ms: u32) -> JsValue {
    oauth2_wasm::web::json::from_text(&convert::request_json(request, Some(timeout_ms)))
}

/// Whether a request can be sent: a `fetch` was given (`given`) or the runtime has one
/// (`runtime`: `globalThis.fetch` as already read, or `None` to read it here).
pub(crate) fn fetch_ready(given: bool, runtime: Option<&JsValue>) -> Result<(), OAuthError> {
    let runtime_has = || match runtime {
        Some(f) => f.is_function(),
        None => get(&js_sys::global(), "fetch").is_function(),
    };
    match given || runtime_has() {
        true => Ok(()),
        false => Err(oauth2_wasm::web::fetch::fetch_missing()),
    }
}
