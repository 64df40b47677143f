//! One renewal of a session's tokens as a state machine without I/O: every decision the
//! token manager makes between taking the cross-tab lock and answering its callers.
//!
//! The driver (the wasm token manager, or a test or fuzzer simulating tabs, storage and a
//! server) starts a [`Renewal`], performs each [`Step`] it returns — re-read storage, wait
//! for a sibling tab, send a grant, store or clear the record — and resumes the machine
//! with the [`Event`] that followed and a [`View`] of its state at that moment.
//!
//! What the machine guarantees, whatever the events (fuzzed in `fuzz/`):
//! - at most one request per renewal is in flight: it only asks to send again after the
//!   previous answer arrived, and it asks at most twice (a refused refresh, then the
//!   manager's own grant);
//! - the session is cleared ([`Step::End`]) only right after the server refused the
//!   refresh token, and only when storage still holds that very token after a re-read
//!   (and, where siblings can be late, after waiting for them) — never after a network,
//!   timeout, 5xx or any other fault;
//! - the refresh token sent is the one the view holds at that moment, so a token rotated
//!   out by a sibling whose write is visible is never reused;
//! - no refresh token is sent without the lock ([`Setup::unlocked`]);
//! - an answer that arrives after a login, a logout or a sibling's clear (the view's
//!   generation moved since the request was sent) is dropped rather than stored;
//! - it finishes within [`MAX_STEPS`] steps.

use super::config::Secret;
use super::error::{ErrorKind, OAuthError};
use super::response::TokenSet;
use super::session::{self, Next, TokenRecord};

/// How long [`Step::WaitForSibling`] waits at most for a sibling's new record to become
/// visible (Chromium can grant the lock before the sibling's `localStorage` write shows),
/// re-reading storage every [`SIBLING_POLL_MS`] meanwhile.
pub const SIBLING_WAIT_MS: u32 = 1_000;

/// How often storage is re-read while waiting for a sibling.
pub const SIBLING_POLL_MS: u32 = 25;

/// More steps than any renewal takes (the longest: re-read, wait, refresh, re-read, wait,
/// re-acquire, commit); a driver may stop after this many.
pub const MAX_STEPS: usize = 8;

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Re-read shared storage (a sibling may have written), then resume with [`Event::Read`].
    Reread,
    /// Wait at most [`SIBLING_WAIT_MS`] for a sibling's write to become visible (until the
    /// session changes), re-reading every [`SIBLING_POLL_MS`], then resume with
    /// [`Event::Waited`].
    WaitForSibling,
    /// Send this request to the token endpoint, then resume with [`Event::Answered`].
    Send(Request),
    /// Store this record (it is the answer), telling listeners why.
    Commit(TokenRecord, Cause),
    /// Clear the record: the server refused the refresh token and the session is over.
    /// The error (`login_required`) is the answer.
    End(OAuthError),
    /// Answer with this, changing nothing.
    Finish(Result<TokenRecord, OAuthError>),
}

/// A request the machine asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// The `refresh_token` grant with this token.
    Refresh(Secret),
    /// The manager's own grant (client_credentials, partner …).
    Reacquire,
}

/// Why a record is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A refresh token was used.
    Refresh,
    /// The manager's own grant got new tokens.
    Reacquire,
}

/// What happened since the last step.
// One event at a time, moved once: boxing the answer would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Event {
    /// The renewal starts.
    Begin,
    /// Storage was re-read; the view shows what it held.
    Read,
    /// The wait for a sibling ended; the view shows what arrived.
    Waited,
    /// The token endpoint answered the request sent at `sent_at` (ms since the epoch).
    Answered {
        /// When the request was sent: expiry counts from here.
        sent_at: u64,
        /// The parsed answer, or why there was none.
        result: Result<TokenSet, OAuthError>,
    },
}

/// The driver's state when it resumes the machine.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The current record, as the driver holds it after re-reads and siblings' messages.
    pub record: Option<&'a TokenRecord>,
    /// Moves on every login, logout and sibling's clear.
    pub generation: u64,
    /// The clock (ms since the epoch).
    pub now: u64,
}

/// How the renewal was asked for and where it runs.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Renew even a fresh token (an explicit refresh, or after a 401) — unless a sibling
    /// renewed meanwhile.
    pub force: bool,
    /// The access token the caller held when it asked (a different one means a sibling
    /// renewed meanwhile).
    pub before: Option<Secret>,
    /// The lock was held by a sibling when asked for.
    pub contended: bool,
    /// Siblings' writes can become visible late here (browser tabs sharing storage).
    pub waits_for_siblings: bool,
    /// The manager has a grant of its own to start over with.
    pub can_reacquire: bool,
    /// The caller's refresh skew (seconds), if set.
    pub skew_secs: Option<u64>,
    /// The lock that guards the store siblings share could not be had (an adapter's
    /// `lock()` failed): no refresh token is sent — a sibling holding it may be sending the
    /// same one, and a rotating server would then end the session for everyone. The held
    /// access token is handed out while it is valid (unless the renewal is forced), else the
    /// renewal fails with kind `storage`, the tokens kept; the manager's own grant, which
    /// rotates nothing, may still be used.
    pub unlocked: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Start,
    Reading,
    Waiting,
    /// The refresh grant is in flight with `sent`, renewing `previous`.
    Refreshing {
        previous: TokenRecord,
        sent: Secret,
    },
    /// The server refused `sent`; looking for a sibling's rotation before giving up.
    RefusedReading {
        sent: Secret,
        refusal: OAuthError,
    },
    RefusedWaiting {
        sent: Secret,
        refusal: OAuthError,
    },
    Reacquiring,
    Done,
}

/// One renewal. See the module documentation.
#[derive(Debug, Clone)]
pub struct Renewal {
    setup: Setup,
    generation: u64,
    phase: Phase,
}

impl Renewal {
    /// A renewal about to begin: resume it with [`Event::Begin`].
    pub fn new(setup: Setup) -> Self {
        Renewal { setup, generation: 0, phase: Phase::Start }
    }

    /// Whether the machine has given its answer.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The next step, given what happened and the driver's state now.
    pub fn resume(&mut self, view: View<'_>, event: Event) -> Step {
        let phase = ::core::mem::replace(&mut self.phase, Phase::Done);
        match (phase, event) {
            (Phase::Start, Event::Begin) => self.then(Phase::Reading, Step::Reread),
            (Phase::Reading, Event::Read) => match self.settled(view) {
                Some(r) => Step::Finish(Ok(r)),
                None if self.setup.contended && self.setup.waits_for_siblings => {
                    // The sibling that held the lock may have renewed without its write
                    // showing yet (Chromium grants the lock first).
                    self.then(Phase::Waiting, Step::WaitForSibling)
                }
                None => self.decide(view),
            },
            (Phase::Waiting, Event::Waited) => match self.settled(view) {
                Some(r) => Step::Finish(Ok(r)),
                None => self.decide(view),
            },
            (Phase::Refreshing { previous, sent }, Event::Answered { sent_at, result }) => match result {
                Ok(tokens) => {
                    self.commit(view, TokenRecord::from_response(&tokens, sent_at, Some(&previous)), Cause::Refresh)
                }
                Err(e) if session::refresh_refused(&e) => {
                    // A sibling may have rotated the token meanwhile, its write not yet
                    // visible here: look again before ending the session.
                    self.then(Phase::RefusedReading { sent, refusal: e }, Step::Reread)
                }
                Err(e) => self.failed(view, e),
            },
            (Phase::RefusedReading { sent, refusal }, Event::Read) => match rotated(view, &sent) {
                Some(r) => Step::Finish(Ok(r)),
                None if self.setup.waits_for_siblings => {
                    self.then(Phase::RefusedWaiting { sent, refusal }, Step::WaitForSibling)
                }
                None => self.refused(view, refusal),
            },
            (Phase::RefusedWaiting { sent, refusal }, Event::Waited) => match rotated(view, &sent) {
                Some(r) => Step::Finish(Ok(r)),
                None => self.refused(view, refusal),
            },
            (Phase::Reacquiring, Event::Answered { sent_at, result }) => match result {
                Ok(tokens) => self.commit(view, TokenRecord::from_response(&tokens, sent_at, None), Cause::Reacquire),
                Err(e) => self.failed(view, e),
            },
            // An event the step did not ask for: a driver bug. Answer with what is held.
            (_, _) => Step::Finish(current(view)),
        }
    }

    fn then(&mut self, phase: Phase, step: Step) -> Step {
        self.phase = phase;
        step
    }

    /// Asks for `request`, remembering the generation it was decided in: an answer that
    /// comes back after a login, logout or sibling's clear belongs to a session gone by.
    /// (Not the generation the renewal began in — a login while it waited for the lock is
    /// the session this request renews, and dropping its answer would lose a rotation.)
    fn send(&mut self, view: View<'_>, phase: Phase, request: Request) -> Step {
        self.generation = view.generation;
        self.then(phase, Step::Send(request))
    }

    /// The held record, when it makes renewing unnecessary: fresh, and — for a forced
    /// renewal — renewed by a sibling since the caller asked.
    fn settled(&self, view: View<'_>) -> Option<TokenRecord> {
        let r = view.record?;
        let sibling_renewed = self.setup.before.as_ref() != Some(&r.access_token);
        let fresh = session::is_fresh(r, view.now, self.setup.skew_secs);
        (fresh && (!self.setup.force || sibling_renewed)).then(|| r.clone())
    }

    /// Refresh with the held refresh token, else start over with the manager's grant, else
    /// the user must log in.
    fn decide(&mut self, view: View<'_>) -> Step {
        match (session::renewal(view.record, self.setup.can_reacquire), view.record) {
            (Next::Refresh, Some(r)) => match &r.refresh_token {
                Some(_) if self.setup.unlocked => {
                    if !self.setup.force && r.expires_at.is_none_or(|at| view.now < at) {
                        Step::Finish(Ok(r.clone()))
                    } else if self.setup.can_reacquire {
                        self.send(view, Phase::Reacquiring, Request::Reacquire)
                    } else {
                        Step::Finish(Err(unlocked_error()))
                    }
                }
                Some(sent) => {
                    let phase = Phase::Refreshing { previous: r.clone(), sent: sent.clone() };
                    self.send(view, phase, Request::Refresh(sent.clone()))
                }
                None => Step::Finish(Err(session::login_required(None))),
            },
            (Next::Reacquire, _) => self.send(view, Phase::Reacquiring, Request::Reacquire),
            _ => Step::Finish(Err(session::login_required(None))),
        }
    }

    /// Stores `record`, unless a login, logout or sibling's clear happened while the
    /// request was out: then that newer state stands and the answer is dropped.
    fn commit(&mut self, view: View<'_>, record: TokenRecord, cause: Cause) -> Step {
        if view.generation != self.generation {
            return Step::Finish(current(view));
        }
        Step::Commit(record, cause)
    }

    /// The refresh token is refused and no sibling rotated it: start over with the
    /// manager's grant, or end the session.
    fn refused(&mut self, view: View<'_>, refusal: OAuthError) -> Step {
        if view.generation != self.generation {
            return Step::Finish(current(view));
        }
        if self.setup.can_reacquire {
            // A client_credentials session (Teen Quotes sends refresh tokens for it)
            // simply starts over.
            return self.send(view, Phase::Reacquiring, Request::Reacquire);
        }
        Step::End(session::login_required(Some(&refusal)))
    }

    /// A request failed without the server refusing the refresh token: the tokens stay.
    /// A caller that did not force the renewal still gets the held access token while it
    /// has not expired — early renewal is an optimisation, a passing fault no reason to fail.
    fn failed(&mut self, view: View<'_>, e: OAuthError) -> Step {
        let transient = match e.kind {
            ErrorKind::Network | ErrorKind::Timeout => true,
            ErrorKind::Http => e.status.is_some_and(|s| s >= 500 || s == 429),
            _ => false,
        };
        match view.record {
            Some(r) if transient && !self.setup.force && r.expires_at.is_none_or(|at| view.now < at) => {
                Step::Finish(Ok(r.clone()))
            }
            _ => Step::Finish(Err(e)),
        }
    }
}

/// Why a renewal without the store's lock did not refresh.
fn unlocked_error() -> OAuthError {
    OAuthError::new(
        ErrorKind::Storage,
        "the tokens were not renewed: the refresh token is not sent without the storage's lock, which could not \
         be had (a sibling may be using it); try again",
    )
}

/// The held record, when its refresh token is no longer `sent`: a sibling rotated it.
fn rotated(view: View<'_>, sent: &Secret) -> Option<TokenRecord> {
    view.record.filter(|r| r.refresh_token.as_ref() != Some(sent)).cloned()
}

fn current(view: View<'_>) -> Result<TokenRecord, OAuthError> {
    view.record.cloned().ok_or_else(|| session::login_required(None))
}
