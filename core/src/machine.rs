//! The token manager as one machine without I/O: every decision a manager makes between a
//! caller's call and its answer — load the store, hand out the held token, join or start the
//! one renewal, which lock, what a sibling's record or clear means, what to write and what a
//! failed write leaves to do, when a session ends, what a logout clears — made here, where
//! host tests and fuzzers reach it. A driver (the Rust API's async manager, the npm
//! package's JavaScript, a test's simulated tabs) only performs.
//!
//! A [`Machine`] holds one manager's state: the session ([`Session`]), the store it works
//! with, whether a renewal is under way. A caller's call is a [`Task`]; the driver resumes it
//! with an [`Input`] — first [`Input::Go`], then the result of the action it performed — and
//! performs the [`Action`] that comes back, until [`Action::Done`] gives the answer. What a
//! driver does at once and needs no answer for (tell listeners, tell sibling tabs, replace
//! the store by memory) collects as [`Effect`]s; the driver takes them with
//! [`Machine::take_effects`] after every call into the machine, in order.
//!
//! ```text
//! driver                       machine
//!   task = Task::new(call)
//!   task.step(m, Go, now)    → Read                    (the store's first read)
//!   task.step(m, Read(..))   → Renew(Some(renewal))    (start the one renewal; or None: join it)
//!     renewal.step(m, Go)    → Lock { step, bound_ms } (core::lock decides which)
//!     renewal.step(Locked)   → Read → Send(grant) → Write(text) → Unlock → Done(record)
//!   task.step(m, Renewed(..)) → Done(token)
//! ```
//!
//! What the machine guarantees, whatever the inputs (host tests in `tests/machine.rs`, the
//! `session` fuzz target): every task ends in at most [`MAX_TASK_STEPS`] steps; at most one
//! renewal runs per machine; a task that took a lock asks to let it go before it answers;
//! the renewal's own guarantees ([`crate::renewal`]) hold.

// Actions, inputs and phases exist one at a time per task and are moved once: boxing the
// large variants would only add allocations.
#![allow(clippy::large_enum_variant)]

use crate::config::{ClientConfig, Secret};
use crate::error::{ErrorKind, OAuthError};
use crate::grant::Grant;
use crate::lock::{adapter_lock_failed, LockPlan, LockResult, LockStep, Locks};
use crate::prelude::*;
use crate::renewal::{self, Cause, Event, Renewal, Request, Setup, Step, View};
use crate::response::TokenSet;
use crate::session::{self, TokenRecord};
use crate::sync::{Adopted, AfterRejection, Rewrite, Session};
use crate::text::cat;
use alloc::boxed::Box;

/// More steps than any task takes: a renewal waits for a sibling at most twice, each wait
/// at most [`renewal::SIBLING_WAIT_MS`] / [`renewal::SIBLING_POLL_MS`] sleeps and re-reads.
pub const MAX_TASK_STEPS: usize = 4 * (renewal::SIBLING_WAIT_MS / renewal::SIBLING_POLL_MS) as usize + 32;

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
    /// Storage failed; the manager now keeps tokens in memory (or writes again later).
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

/// The store a manager works with, as far as decisions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// Seen by this manager alone (memory, `sessionStorage`, a Rust store): a store that
    /// fails is replaced by memory.
    Private,
    /// Shared with sibling tabs (`localStorage`), whose changes arrive as events.
    Shared,
    /// A storage adapter shared with other processes (a file, Redis …): a failed write
    /// keeps it, and the record is written again by the next renewal. `lock`: it has a
    /// `lock(name, fn)`.
    Adapter {
        /// The adapter guards renewals with its own lock.
        lock: bool,
    },
}

/// What a manager is made of, as far as decisions go.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The client.
    pub client: ClientConfig,
    /// The grant the manager may repeat by itself (client_credentials, partner …).
    pub grant: Option<Grant>,
    /// Renew this long before expiry (seconds); default in [`session::is_fresh`].
    pub skew_secs: Option<u64>,
    /// The store.
    pub store: StoreKind,
    /// The runtime has Web Locks.
    pub web_locks: bool,
    /// Sibling tabs hear this manager's writes on a channel (a `BroadcastChannel`), so their
    /// writes can also become visible here late.
    pub channel: bool,
}

/// What the driver does at once, without resuming a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Tell the listeners (`later`: on a later microtask, so listeners added right after
    /// the call that caused it hear it), with the tokens held at that moment.
    Notify {
        /// Why.
        reason: ChangeReason,
        /// The error behind a `LoginRequired`, `StorageError` or `Discarded` event.
        error: Option<OAuthError>,
        /// Tell on a later microtask rather than now.
        later: bool,
    },
    /// Tell sibling tabs what the store now holds (a record's text, or `None`: cleared).
    Broadcast(Option<String>),
    /// Replace the store by memory holding this text (the current record): the store failed.
    UseMemory(Option<String>),
}

/// A caller's call.
#[derive(Debug, Clone)]
pub enum Call {
    /// A valid access token (answers [`Reply::Record`]).
    GetAccessToken,
    /// Renew even a fresh token (answers [`Reply::Tokens`]).
    Refresh,
    /// Request tokens with this grant and store them (answers [`Reply::Tokens`]).
    Login(Grant),
    /// Forget the tokens, in the store too (answers [`Reply::Nothing`]).
    Logout,
    /// Forget the tokens as [`Call::Logout`] does, then revoke the refresh token and the
    /// access token at the revocation endpoint (RFC 7009): the logout stands whatever the
    /// revocation meets; its first failure is the answer.
    LogoutAndRevoke,
}

/// What a driver must do next for a task.
#[derive(Debug)]
pub enum Action {
    /// Read the store; resume with [`Input::Read`].
    Read,
    /// Write this text to the store (`None`: remove the key); resume with [`Input::Written`].
    Write(Option<String>),
    /// Ask for this lock, waiting at most `bound_ms` for it to call back or settle; resume
    /// with [`Input::Locked`]. A lock granted is held until [`Action::Unlock`].
    Lock {
        /// Which lock, and how ([`LockStep::Without`] is never asked for).
        step: LockStep,
        /// The bound on the wait.
        bound_ms: u32,
    },
    /// Let go of the lock granted; resume with [`Input::Go`].
    Unlock,
    /// Wait this many ms; resume with [`Input::Woke`].
    Sleep(u32),
    /// Send this grant to the token endpoint and parse the answer; resume with
    /// [`Input::Answered`].
    Send(Grant),
    /// Revoke this token (with this `token_type_hint`) at the revocation endpoint; resume with
    /// [`Input::Revoked`].
    Revoke(Secret, &'static str),
    /// Wait for the machine's one renewal and resume with [`Input::Renewed`]: `Some` — none
    /// runs; start this task as it (in the background, so a caller that goes away does not
    /// stop it) and hand its answer to everyone who waits; `None` — join the one that runs.
    Renew(Option<Box<Task>>),
    /// The task's answer.
    Done(Result<Reply, OAuthError>),
}

/// A task's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The current record (its access token is what [`Call::GetAccessToken`] hands out).
    Record(TokenRecord),
    /// The tokens (the token endpoint's answer to a login; after a refresh, the tokens held).
    Tokens(TokenSet),
    /// Done.
    Nothing,
}

/// What followed the last action.
#[derive(Debug)]
pub enum Input {
    /// Start the task, or the action needed no answer ([`Action::Unlock`]).
    Go,
    /// The store held this (`None`: nothing), or could not be read.
    Read(Result<Option<String>, OAuthError>),
    /// The write ended so.
    Written(Result<(), OAuthError>),
    /// How asking for the lock ended.
    Locked(LockOutcome),
    /// The sleep ended.
    Woke,
    /// The token endpoint answered the grant sent at `sent_at` (ms), or there was no answer.
    Answered {
        /// When the request was sent: expiry counts from here.
        sent_at: u64,
        /// The parsed answer, or why there was none.
        result: Result<TokenSet, OAuthError>,
    },
    /// The renewal ended so.
    Renewed(Result<TokenRecord, OAuthError>),
    /// The revocation asked for ended so.
    Revoked(Result<(), OAuthError>),
}

/// How asking for a lock ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    /// Granted: the task runs inside it until it asks to let go.
    Granted,
    /// Not granted: held by a sibling (`ifAvailable`), or the lock settled without calling
    /// back.
    NotGranted,
    /// Nothing happened within the bound (a sibling holds the lock, or the lock hangs).
    TimedOut,
    /// Asking threw or rejected; why (for the report).
    Failed(String),
}

/// One manager's state and the decisions on it. See the module documentation.
#[derive(Debug)]
pub struct Machine {
    settings: Settings,
    session: Session,
    /// The token endpoint's last answer to this manager (a login's or renewal's): what
    /// [`Machine::tokens`] shows while it is current, with what the record kept.
    last: Option<TokenSet>,
    /// A renewal is under way.
    renewing: bool,
    effects: Vec<Effect>,
}

impl Machine {
    /// A manager's machine; its store not read yet.
    pub fn new(settings: Settings) -> Machine {
        Machine { settings, session: Session::new(), last: None, renewing: false, effects: Vec::new() }
    }

    /// What the manager is made of.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The session (the record, and what is known of the store).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// What the driver must do at once, in order; taken.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        ::core::mem::take(&mut self.effects)
    }

    /// Whether a renewal is under way.
    pub fn is_renewing(&self) -> bool {
        self.renewing
    }

    /// The access token's record when it can be handed out with no I/O: loaded, nothing to
    /// write again, fresh at `now`.
    pub fn fresh_token(&self, now: u64) -> Option<&TokenRecord> {
        self.session.fresh_token(now, self.settings.skew_secs)
    }

    /// [`Machine::fresh_token`] with the instant it stops being handed out as it is
    /// ([`session::fresh_until`]): a driver may keep both and skip the machine until then,
    /// as long as it asks again after anything that changes the session (a step, a
    /// sibling's change, a 401).
    pub fn fresh_token_until(&self, now: u64) -> Option<(&TokenRecord, Option<u64>)> {
        let record = self.fresh_token(now)?;
        Some((record, session::fresh_until(record, self.settings.skew_secs)))
    }

    /// The tokens held: the last answer while its access token is current (with the
    /// refresh token and scope the record kept from before), else the record's.
    pub fn tokens(&self) -> Option<TokenSet> {
        let record = self.session.record()?;
        match &self.last {
            Some(last) if last.access_token == record.access_token => {
                let mut tokens = last.clone();
                tokens.refresh_token = record.refresh_token.clone();
                tokens.scope = record.scope.clone();
                Some(tokens)
            }
            _ => Some(record.to_token_set()),
        }
    }

    /// The locks a renewal may run under, given the store and the runtime.
    pub fn locks(&self) -> Locks {
        let store = self.settings.store;
        Locks {
            adapter: store == StoreKind::Adapter { lock: true },
            web_locks: self.settings.web_locks,
            shared: store != StoreKind::Private,
        }
    }

    /// A synchronous store's first read, made when the manager is built (`Err`: why it
    /// could not be read — then it is replaced by memory).
    pub fn opened(&mut self, read: Result<Option<&str>, &str>) {
        match read {
            Ok(text) => {
                let adopted = self.session.loaded(text, &self.settings.client);
                self.tell(adopted);
            }
            Err(why) => {
                self.session.store_replaced();
                self.use_memory(why);
            }
        }
    }

    /// A storage problem found by the driver (the store asked for is missing): told later.
    pub fn storage_error(&mut self, error: OAuthError) {
        self.notify(ChangeReason::StorageError, Some(error), true);
    }

    /// A sibling's change: a `storage` event's new value or a broadcast (`value`), with what
    /// the store holds now (`stored`, for a synchronous store). A clear is checked against
    /// the store: a late notice of a clear older than this manager's own newer write (a
    /// login) must not end the session, and the store still holds that write.
    pub fn sibling(&mut self, value: Option<&str>, stored: Option<&str>) {
        let adopted = self.session.adopt(value.or(stored), true, &self.settings.client);
        self.tell(adopted);
    }

    /// A resource refused `token` with 401 at `now`: retry with the newer token held, renew
    /// (then retry), or hand the 401 to the caller ([`Session::after_rejection`]).
    pub fn after_rejection(&mut self, token: &str, now: u64) -> AfterRejection {
        self.session.after_rejection(token, now)
    }

    /// Refuses to send `token` as a Bearer token when the record says it is not one.
    pub fn check_bearer(&self, token: &str) -> Result<(), OAuthError> {
        self.scheme(token, false).map(|_| ())
    }

    /// The scheme `token` is sent to a resource with ([`session::scheme`]; `dpop`: the
    /// manager holds a DPoP key). A token that is no longer the record's goes as the
    /// manager sends tokens: DPoP with a key, else Bearer.
    pub fn scheme(&self, token: &str, dpop: bool) -> Result<&'static str, OAuthError> {
        match self.session.record().filter(|r| r.access_token.expose() == token) {
            Some(r) => session::scheme(r, dpop),
            None => Ok(if dpop { "DPoP" } else { "Bearer" }),
        }
    }

    fn notify(&mut self, reason: ChangeReason, error: Option<OAuthError>, later: bool) {
        self.effects.push(Effect::Notify { reason, error, later });
    }

    /// Tells the listeners what adopting a stored value changed.
    fn tell(&mut self, adopted: Adopted) {
        match adopted {
            Adopted::Unchanged => {}
            Adopted::Changed => self.notify(ChangeReason::External, None, false),
            Adopted::Discarded(e) => self.notify(ChangeReason::Discarded, Some(*e), true),
        }
    }

    fn adopt(&mut self, text: Option<&str>) {
        let adopted = self.session.adopt(text, true, &self.settings.client);
        self.tell(adopted);
    }

    /// Replaces a failing store by memory holding the current record, and says so.
    fn use_memory(&mut self, why: &str) {
        let text = self.session.record().map(|r| session::encode_record(r, &self.settings.client));
        self.settings.store = StoreKind::Private;
        self.effects.push(Effect::UseMemory(text));
        let message = cat(&["token storage failed (", why, "); tokens are kept in memory"]);
        self.storage_error(OAuthError::new(ErrorKind::Storage, message));
    }

    fn shared(&self) -> bool {
        self.settings.store != StoreKind::Private
    }

    /// Siblings' writes can become visible late here: tabs sharing a store and a channel.
    fn waits_for_siblings(&self) -> bool {
        self.shared() && self.settings.channel
    }
}

/// What follows a commit.
#[derive(Debug)]
enum Then {
    Answer(Result<Reply, OAuthError>),
    AfterLogout,
}

#[derive(Debug)]
enum Phase {
    Start,
    /// The store's first read.
    Loading,
    /// Waiting for the one renewal.
    Renewing,
    /// A login's grant is out.
    LoggingIn,
    /// A commit's write is out.
    Committing {
        text: Option<String>,
        reason: ChangeReason,
        error: Option<OAuthError>,
        then: Then,
    },
    /// After a logout: the lock siblings renew under is asked for, then let go.
    LogoutLock,
    LogoutUnlocked,
    /// … then the store is read, and a sibling's late write cleared.
    LogoutRead,
    LogoutClear,
    /// A renewal asks for its lock.
    Locking {
        plan: LockPlan,
        contended: bool,
    },
    /// A renewal under the lock reads what a failed write left unsaved …
    Saving,
    /// … and writes it again.
    SavingWrite(Option<String>),
    /// The renewal re-reads the store.
    Rereading,
    /// The renewal waits for a sibling's write: sleeping, then re-reading.
    Sleeping {
        seen: u64,
        waited: u32,
    },
    Polling {
        seen: u64,
        waited: u32,
    },
    /// The renewal's grant is out.
    Sending,
    /// A logout's revocation is out.
    Revoking,
    /// The answer is ready; the lock is being let go.
    Unlocking(Result<Reply, OAuthError>),
    Done,
}

#[derive(Debug)]
enum Kind {
    Call(Call),
    /// The one renewal: forced or not; the access token the caller held when it asked.
    Renewal {
        force: bool,
        before: Option<Secret>,
    },
}

/// One call, from the call to its answer. See the module documentation.
#[derive(Debug)]
pub struct Task {
    kind: Kind,
    phase: Phase,
    /// The renewal machine, once the renewal runs (under its lock or without).
    renewal: Option<Renewal>,
    /// How many times the renewal machine was resumed.
    resumed: usize,
    /// A lock is held.
    locked: bool,
    steps: usize,
    /// A revoking logout's tokens still to revoke (refresh token first), and the first
    /// revocation that failed.
    to_revoke: Vec<(Secret, &'static str)>,
    revoke_failed: Option<OAuthError>,
}

impl Task {
    /// A task for `call`: resume it with [`Input::Go`].
    pub fn new(call: Call) -> Task {
        Task::of(Kind::Call(call))
    }

    fn of(kind: Kind) -> Task {
        Task {
            kind,
            phase: Phase::Start,
            renewal: None,
            resumed: 0,
            locked: false,
            steps: 0,
            to_revoke: Vec::new(),
            revoke_failed: None,
        }
    }

    /// Whether the task has answered.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The next action, given what followed the last one and the clock (`now`, ms).
    pub fn step(&mut self, m: &mut Machine, input: Input, now: u64) -> Action {
        self.steps += 1;
        if self.steps > MAX_TASK_STEPS {
            return self.finish(m, Err(unsettled()));
        }
        let phase = ::core::mem::replace(&mut self.phase, Phase::Done);
        match (phase, input) {
            (Phase::Start, Input::Go) => match self.kind {
                Kind::Renewal { .. } => {
                    let plan = LockPlan::new(m.locks(), m.settings.client.timeout_ms);
                    self.lock(m, plan, String::new(), now)
                }
                Kind::Call(_) if !m.session.is_loaded() => self.then(Phase::Loading, Action::Read),
                Kind::Call(_) => self.loaded(m, now),
            },
            (Phase::Loading, Input::Read(read)) => {
                match read {
                    Ok(text) => {
                        let adopted = m.session.loaded(text.as_deref(), &m.settings.client);
                        m.tell(adopted);
                    }
                    Err(e) => {
                        m.storage_error(e.clone());
                        // One fault must not lose the session in the store: this call fails
                        // (the next one reads again) — unless the manager can get tokens by
                        // itself; a login or logout overwrites the store anyway.
                        let strict = matches!(self.kind, Kind::Call(Call::GetAccessToken | Call::Refresh));
                        if strict && m.settings.grant.is_none() {
                            return self.finish(m, Err(e));
                        }
                    }
                }
                self.loaded(m, now)
            }
            (Phase::Renewing, Input::Renewed(result)) => {
                let reply = match (&self.kind, result) {
                    (_, Err(e)) => Err(e),
                    (Kind::Call(Call::Refresh), Ok(_)) => {
                        m.tokens().map(Reply::Tokens).ok_or_else(|| session::login_required(None))
                    }
                    (_, Ok(record)) => Ok(Reply::Record(record)),
                };
                self.finish(m, reply)
            }
            (Phase::LoggingIn, Input::Answered { sent_at, result }) => match result {
                Ok(tokens) => {
                    m.last = Some(tokens.clone());
                    let record = TokenRecord::from_response(&tokens, sent_at, None);
                    let then = Then::Answer(Ok(Reply::Tokens(tokens)));
                    self.commit(m, Some(record), ChangeReason::Login, None, then, now)
                }
                Err(e) => self.finish(m, Err(e)),
            },
            (Phase::Committing { text, reason, error, then }, Input::Written(result)) => {
                match result {
                    Ok(()) => {
                        m.session.written(text.clone());
                        m.effects.push(Effect::Broadcast(text));
                    }
                    // An adapter (a file, Redis …) is shared with other processes: keep it,
                    // and write again on the next renewal rather than leave it holding a
                    // rotated-out refresh token for good.
                    Err(e) if matches!(m.settings.store, StoreKind::Adapter { .. }) => {
                        m.session.write_failed();
                        let message = cat(&[
                            "token storage failed (",
                            &e.message,
                            "); the tokens are kept in memory and written again on the next call that renews",
                        ]);
                        m.storage_error(OAuthError::new(ErrorKind::Storage, message));
                    }
                    Err(e) => m.use_memory(&e.message),
                }
                m.notify(reason, error, false);
                self.after_commit(m, then)
            }
            (Phase::LogoutLock, Input::Locked(LockOutcome::Granted)) => {
                self.then(Phase::LogoutUnlocked, Action::Unlock)
            }
            (Phase::LogoutUnlocked, Input::Go) => self.then(Phase::LogoutRead, Action::Read),
            (Phase::LogoutRead, Input::Read(Ok(text))) => {
                // A record a sibling's renewal, begun before the logout, stored after it.
                if m.session.stale_after_logout(text.as_deref(), &m.settings.client) {
                    return self.then(Phase::LogoutClear, Action::Write(None));
                }
                self.logged_out(m)
            }
            (Phase::LogoutClear, Input::Written(result)) => {
                if result.is_ok() {
                    m.effects.push(Effect::Broadcast(None));
                }
                self.logged_out(m)
            }
            // The lock was not let go, or the store not read: the logout stands as it is.
            (Phase::LogoutLock | Phase::LogoutRead, _) => self.logged_out(m),
            (Phase::Revoking, Input::Revoked(result)) => {
                if let Err(e) = result {
                    self.revoke_failed.get_or_insert(e);
                }
                self.logged_out(m)
            }
            (Phase::Locking { plan, contended }, Input::Locked(outcome)) => match outcome {
                LockOutcome::Granted => {
                    self.locked = true;
                    self.inside(m, contended, false, now)
                }
                LockOutcome::NotGranted => {
                    self.retry_lock(m, plan, LockResult::NotGranted, "it did not call its function", now)
                }
                LockOutcome::TimedOut => {
                    self.retry_lock(m, plan, LockResult::TimedOut, "it did not settle in time", now)
                }
                LockOutcome::Failed(why) => self.retry_lock(m, plan, LockResult::Failed, &why, now),
            },
            (Phase::Saving, Input::Read(read)) => {
                if let Ok(text) = read {
                    match m.session.rewrite(text.as_deref(), &m.settings.client) {
                        Rewrite::Adopted(adopted) => m.tell(adopted),
                        Rewrite::Write(mine) => {
                            return self.then(Phase::SavingWrite(mine.clone()), Action::Write(mine))
                        }
                    }
                }
                self.resume(m, Event::Begin, now)
            }
            (Phase::SavingWrite(text), Input::Written(result)) => {
                if result.is_ok() {
                    m.session.written(text.clone());
                    m.effects.push(Effect::Broadcast(text));
                }
                self.resume(m, Event::Begin, now)
            }
            (Phase::Rereading, Input::Read(read)) => {
                if let Ok(text) = read {
                    m.adopt(text.as_deref());
                }
                self.resume(m, Event::Read, now)
            }
            (Phase::Sleeping { seen, waited }, Input::Woke) => {
                let waited = waited.saturating_add(renewal::SIBLING_POLL_MS);
                if m.shared() {
                    return self.then(Phase::Polling { seen, waited }, Action::Read);
                }
                self.wait_for_sibling(m, seen, waited, now)
            }
            (Phase::Polling { seen, waited }, Input::Read(read)) => {
                if let Ok(text) = read {
                    m.adopt(text.as_deref());
                }
                self.wait_for_sibling(m, seen, waited, now)
            }
            (Phase::Sending, Input::Answered { sent_at, result }) => {
                if let Ok(tokens) = &result {
                    m.last = Some(tokens.clone());
                }
                self.resume(m, Event::Answered { sent_at, result }, now)
            }
            // (Any input: the lock is let go either way.)
            (Phase::Unlocking(reply), _) => self.finish(m, reply),
            // An input the action did not ask for: a driver bug. Answer rather than hang.
            (_, _) => self.finish(m, Err(unsettled())),
        }
    }

    fn then(&mut self, phase: Phase, action: Action) -> Action {
        self.phase = phase;
        action
    }

    /// The store is known: what the call does.
    fn loaded(&mut self, m: &mut Machine, now: u64) -> Action {
        match &self.kind {
            Kind::Call(Call::GetAccessToken) => match m.fresh_token(now) {
                Some(r) => {
                    let r = r.clone();
                    self.finish(m, Ok(Reply::Record(r)))
                }
                // Everything else, a session that ended too, goes through the renewal: it
                // re-reads a shared store first, where a sibling may have logged in.
                None => self.renew(m, false),
            },
            Kind::Call(Call::Refresh) => self.renew(m, true),
            Kind::Call(Call::Login(grant)) => {
                let grant = grant.clone();
                self.then(Phase::LoggingIn, Action::Send(grant))
            }
            Kind::Call(Call::Logout) => self.commit(m, None, ChangeReason::Logout, None, Then::AfterLogout, now),
            Kind::Call(Call::LogoutAndRevoke) => {
                // Taken before the clear: the refresh token first (it outlives the access
                // token, and revoking it revokes the grant at many servers), then the access token.
                if let Some(r) = m.session.record() {
                    if let Some(rt) = &r.refresh_token {
                        self.to_revoke.push((rt.clone(), "refresh_token"));
                    }
                    self.to_revoke.push((r.access_token.clone(), "access_token"));
                }
                self.commit(m, None, ChangeReason::Logout, None, Then::AfterLogout, now)
            }
            Kind::Renewal { .. } => self.finish(m, Err(unsettled())),
        }
    }

    /// Joins the one renewal, or starts it.
    fn renew(&mut self, m: &mut Machine, force: bool) -> Action {
        if m.renewing {
            return self.then(Phase::Renewing, Action::Renew(None));
        }
        m.renewing = true;
        let before = m.session.record().map(|r| r.access_token.clone());
        let renewal = Task::of(Kind::Renewal { force, before });
        self.then(Phase::Renewing, Action::Renew(Some(Box::new(renewal))))
    }

    /// Asks for the lock the plan names, or runs the renewal without one.
    fn lock(&mut self, m: &mut Machine, plan: LockPlan, why: String, now: u64) -> Action {
        let step = plan.step();
        let (bound_ms, contended) = match step {
            LockStep::Adapter { ms } => (ms, false),
            LockStep::TryWebLock => (plan.wait_ms(), false),
            LockStep::WaitWebLock { ms } => (ms, true),
            LockStep::Without { contended, unlocked, lock_failed } => {
                if lock_failed {
                    m.notify(ChangeReason::StorageError, Some(adapter_lock_failed(&why)), false);
                }
                return self.inside(m, contended, unlocked, now);
            }
        };
        self.then(Phase::Locking { plan, contended }, Action::Lock { step, bound_ms })
    }

    fn retry_lock(&mut self, m: &mut Machine, mut plan: LockPlan, result: LockResult, why: &str, now: u64) -> Action {
        plan.next(result);
        self.lock(m, plan, why.to_owned(), now)
    }

    /// The renewal itself, under the lock (or without, as the plan said): a record a failed
    /// write left unsaved is written again first — only under the lock.
    fn inside(&mut self, m: &mut Machine, contended: bool, unlocked: bool, now: u64) -> Action {
        let (force, before) = match &self.kind {
            Kind::Renewal { force, before } => (*force, before.clone()),
            Kind::Call(_) => (false, None),
        };
        self.renewal = Some(Renewal::new(Setup {
            force,
            before,
            contended,
            waits_for_siblings: m.waits_for_siblings(),
            can_reacquire: m.settings.grant.is_some(),
            skew_secs: m.settings.skew_secs,
            unlocked,
        }));
        if m.session.is_unsaved() && !unlocked {
            return self.then(Phase::Saving, Action::Read);
        }
        self.resume(m, Event::Begin, now)
    }

    /// Resumes the renewal machine with `event` and performs what needs no I/O.
    fn resume(&mut self, m: &mut Machine, mut event: Event, now: u64) -> Action {
        loop {
            self.resumed += 1;
            let Some(renewal) = self.renewal.as_mut().filter(|_| self.resumed <= renewal::MAX_STEPS) else {
                return self.finish(m, Err(unsettled()));
            };
            let view = View { record: m.session.record(), generation: m.session.generation(), now };
            event = match renewal.resume(view, event) {
                Step::Reread if m.shared() => return self.then(Phase::Rereading, Action::Read),
                Step::Reread => Event::Read,
                Step::WaitForSibling => {
                    let seen = m.session.changes();
                    return self.then(Phase::Sleeping { seen, waited: 0 }, Action::Sleep(renewal::SIBLING_POLL_MS));
                }
                Step::Send(Request::Refresh(refresh_token)) => {
                    let grant = Grant::RefreshToken { refresh_token, scope: None };
                    return self.then(Phase::Sending, Action::Send(grant));
                }
                Step::Send(Request::Reacquire) => match m.settings.grant.clone() {
                    Some(grant) => return self.then(Phase::Sending, Action::Send(grant)),
                    None => Event::Answered { sent_at: now, result: Err(session::login_required(None)) },
                },
                Step::Commit(record, cause) => {
                    let reason = match cause {
                        Cause::Refresh => ChangeReason::Refresh,
                        Cause::Reacquire => ChangeReason::Reacquire,
                    };
                    let then = Then::Answer(Ok(Reply::Record(record.clone())));
                    return self.commit(m, Some(record), reason, None, then, now);
                }
                Step::End(ended) => {
                    let then = Then::Answer(Err(ended.clone()));
                    return self.commit(m, None, ChangeReason::LoginRequired, Some(ended), then, now);
                }
                Step::Finish(result) => return self.finish(m, result.map(Reply::Record)),
            };
        }
    }

    /// Waits for a sibling's write until the session changes or the wait runs out.
    fn wait_for_sibling(&mut self, m: &mut Machine, seen: u64, waited: u32, now: u64) -> Action {
        if m.session.changes() == seen && waited < renewal::SIBLING_WAIT_MS {
            return self.then(Phase::Sleeping { seen, waited }, Action::Sleep(renewal::SIBLING_POLL_MS));
        }
        self.resume(m, Event::Waited, now)
    }

    /// Makes `record` current (`None`: cleared) and stores it — unless the core says not to
    /// (a newer version's record is left alone) — then tells the listeners.
    fn commit(
        &mut self,
        m: &mut Machine,
        record: Option<TokenRecord>,
        reason: ChangeReason,
        error: Option<OAuthError>,
        then: Then,
        now: u64,
    ) -> Action {
        let new_generation = matches!(reason, ChangeReason::Login | ChangeReason::Logout | ChangeReason::LoginRequired);
        if record.is_none() {
            m.last = None;
        }
        match m.session.commit(record, new_generation, now, &m.settings.client) {
            Some(text) => self.then(Phase::Committing { text: text.clone(), reason, error, then }, Action::Write(text)),
            None => {
                m.notify(reason, error, false);
                self.after_commit(m, then)
            }
        }
    }

    fn after_commit(&mut self, m: &mut Machine, then: Then) -> Action {
        match then {
            Then::Answer(reply) => self.finish(m, reply),
            // A sibling's renewal already under way holds the lock and may store its answer
            // after this clear. Once it lets go, clear again what it stored — a record
            // obtained before this logout — so the logout is the last word.
            Then::AfterLogout => match LockPlan::after_logout(m.locks(), m.settings.client.timeout_ms) {
                Some(step @ (LockStep::Adapter { ms } | LockStep::WaitWebLock { ms })) => {
                    self.then(Phase::LogoutLock, Action::Lock { step, bound_ms: ms })
                }
                _ => self.logged_out(m),
            },
        }
    }

    /// The logout is done locally (and across siblings): revoke what was taken, one token
    /// at a time, then answer — with the first revocation that failed, if any.
    fn logged_out(&mut self, m: &mut Machine) -> Action {
        if !self.to_revoke.is_empty() {
            let (token, hint) = self.to_revoke.remove(0);
            return self.then(Phase::Revoking, Action::Revoke(token, hint));
        }
        match self.revoke_failed.take() {
            Some(e) => self.finish(m, Err(e)),
            None => self.finish(m, Ok(Reply::Nothing)),
        }
    }

    /// Answers — after letting go of a lock held.
    fn finish(&mut self, m: &mut Machine, reply: Result<Reply, OAuthError>) -> Action {
        if self.locked {
            self.locked = false;
            return self.then(Phase::Unlocking(reply), Action::Unlock);
        }
        if let Kind::Renewal { .. } = self.kind {
            m.renewing = false;
        }
        self.phase = Phase::Done;
        Action::Done(reply)
    }
}

/// A call that did not settle: a driver fed a task what it did not ask for, or the task ran
/// out of steps (the drivers report their own such faults with it too).
pub fn unsettled() -> OAuthError {
    OAuthError::new(ErrorKind::Storage, "the token manager's call did not settle")
}
