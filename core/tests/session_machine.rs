//! Host tests of the renewal state machine (`core::renewal`) and the refresh decision: the
//! time, refresh and concurrency rows of the fault matrix (reliability.md §4.7) that are
//! decisions rather than I/O. A scripted driver plays storage, siblings and the server.
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::renewal::{Cause, Event, Renewal, Request, Setup, Step, View, MAX_STEPS};
use oauth2_wasm_core::session::{is_fresh, TokenRecord, MIN_RENEW_INTERVAL_MS};
use oauth2_wasm_core::{parse_token_response, ErrorKind, OAuthError, ResponseContext, Secret};

const T0: u64 = 1_700_000_000_000;

fn record(access: &str, obtained_at: u64, lifetime_secs: u64, refresh: Option<&str>) -> TokenRecord {
    TokenRecord {
        access_token: Secret::new(access),
        token_type: "Bearer".into(),
        obtained_at,
        expires_at: Some(obtained_at + lifetime_secs * 1000),
        refresh_token: refresh.map(Secret::new),
        scope: None,
    }
}

/// A token endpoint answer.
fn answer(status: u16, body: &str) -> Result<oauth2_wasm_core::TokenSet, OAuthError> {
    parse_token_response(status, body, &ResponseContext::at(T0))
}

fn tokens(access: &str, refresh: Option<&str>, expires_in: u64) -> Result<oauth2_wasm_core::TokenSet, OAuthError> {
    let refresh = refresh.map(|r| format!(r#","refresh_token":"{r}""#)).unwrap_or_default();
    answer(200, &format!(r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":{expires_in}{refresh}}}"#))
}

fn refused() -> Result<oauth2_wasm_core::TokenSet, OAuthError> {
    answer(400, r#"{"error":"invalid_grant"}"#)
}

fn fault(kind: ErrorKind, status: Option<u16>) -> Result<oauth2_wasm_core::TokenSet, OAuthError> {
    let mut e = OAuthError::new(kind, "the request failed");
    e.status = status;
    Err(e)
}

/// Something that happens while a request is out (a login or logout).
type Meanwhile = Box<dyn FnMut(&mut World)>;

/// A scripted world around one renewal: the held record, the generation, the clock, what
/// a re-read or a wait reveals (a sibling's write), and the server's answers in order.
struct World {
    record: Option<TokenRecord>,
    generation: u64,
    now: u64,
    on_reread: Vec<Option<Option<TokenRecord>>>,
    on_wait: Vec<Option<Option<TokenRecord>>>,
    answers: Vec<Result<oauth2_wasm_core::TokenSet, OAuthError>>,
    /// Runs when a request is sent (a login or logout while it is out).
    while_sending: Option<Meanwhile>,
    sent: Vec<Request>,
    steps: Vec<Step>,
}

impl World {
    fn new(record: Option<TokenRecord>, now: u64) -> Self {
        World {
            record,
            generation: 7,
            now,
            on_reread: Vec::new(),
            on_wait: Vec::new(),
            answers: Vec::new(),
            while_sending: None,
            sent: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Drives `setup`'s renewal to its last step.
    fn run(&mut self, setup: Setup) -> Step {
        let mut machine = Renewal::new(setup);
        let mut event = Event::Begin;
        for _ in 0..MAX_STEPS {
            let view = View { record: self.record.as_ref(), generation: self.generation, now: self.now };
            let step = machine.resume(view, event);
            self.steps.push(step.clone());
            event = match step {
                Step::Reread => {
                    if let Some(Some(write)) = pop(&mut self.on_reread) {
                        self.record = write;
                    }
                    Event::Read
                }
                Step::WaitForSibling => {
                    if let Some(Some(write)) = pop(&mut self.on_wait) {
                        self.record = write;
                    }
                    Event::Waited
                }
                Step::Send(request) => {
                    self.sent.push(request);
                    if let Some(mut f) = self.while_sending.take() {
                        f(self);
                    }
                    let result =
                        if self.answers.is_empty() { fault(ErrorKind::Network, None) } else { self.answers.remove(0) };
                    Event::Answered { sent_at: self.now, result }
                }
                last => {
                    assert!(machine.is_done() || matches!(last, Step::Commit(..)));
                    return last;
                }
            };
        }
        panic!("the renewal did not finish within {MAX_STEPS} steps: {:?}", self.steps);
    }
}

fn pop<T>(v: &mut Vec<T>) -> Option<T> {
    (!v.is_empty()).then(|| v.remove(0))
}

fn setup(contended: bool, waits: bool) -> Setup {
    Setup { contended, waits_for_siblings: waits, ..Setup::default() }
}

fn committed(step: &Step) -> &TokenRecord {
    match step {
        Step::Commit(r, _) => r,
        other => panic!("expected a commit, got {other:?}"),
    }
}

#[test]
fn t01_expiry_counts_from_the_send_time_with_a_capped_skew() {
    // Sent at T0 with expires_in 3600: fresh until 60 s before T0 + 1 h, whatever the
    // server's clock said.
    let mut w = World::new(Some(record("a1", T0 - 10_000_000, 3600, Some("r1"))), T0);
    w.answers.push(tokens("a2", Some("r2"), 3600));
    let r = committed(&w.run(setup(false, false))).clone();
    assert_eq!(r.expires_at, Some(T0 + 3_600_000));
    assert!(is_fresh(&r, T0 + 3_600_000 - 60_001, None));
    assert!(!is_fresh(&r, T0 + 3_600_000 - 60_000, None));
    // A 30 s token is renewed 3 s early (a tenth of its life), not 60 s early.
    let short = record("s", T0, 30, None);
    assert!(is_fresh(&short, T0 + 26_999, None) && !is_fresh(&short, T0 + 27_000, None));
}

#[test]
fn t02_a_clock_jump_is_judged_on_the_next_call() {
    let r = record("a1", T0, 3600, Some("r1"));
    assert!(is_fresh(&r, T0 + 1000, None));
    // The laptop slept for a day: the next call sees the token stale and renews.
    let mut w = World::new(Some(r.clone()), T0 + 86_400_000);
    w.answers.push(tokens("a2", Some("r2"), 3600));
    assert_eq!(committed(&w.run(setup(false, false))).access_token.expose(), "a2");
    // The clock went back a day: the token is still fresh, no request.
    let mut w = World::new(Some(r), T0 - 86_400_000);
    assert!(matches!(w.run(setup(false, false)), Step::Finish(Ok(_))));
    assert!(w.sent.is_empty());
}

#[test]
fn t05_a_sibling_that_renewed_is_adopted_after_the_re_read() {
    let stale = record("a1", T0 - 4_000_000, 3600, Some("r1"));
    let mut w = World::new(Some(stale), T0);
    w.on_reread.push(Some(Some(record("a2", T0 - 1000, 3600, Some("r2")))));
    let last = w.run(setup(false, true));
    assert!(matches!(&last, Step::Finish(Ok(r)) if r.access_token.expose() == "a2"), "{last:?}");
    assert!(w.sent.is_empty(), "no request when a sibling already renewed");
}

#[test]
fn t05_a_contended_lock_waits_for_the_siblings_late_write() {
    let stale = record("a1", T0 - 4_000_000, 3600, Some("r1"));
    let mut w = World::new(Some(stale.clone()), T0);
    // The lock was granted before the sibling's write showed (Chromium): the re-read
    // still sees the old record, the wait brings the new one.
    w.on_reread.push(None);
    w.on_wait.push(Some(Some(record("a2", T0 - 500, 3600, Some("r2")))));
    let last = w.run(setup(true, true));
    assert!(matches!(&last, Step::Finish(Ok(r)) if r.access_token.expose() == "a2"), "{last:?}");
    assert!(w.sent.is_empty());
    assert_eq!(w.steps.first(), Some(&Step::Reread));
    assert!(w.steps.contains(&Step::WaitForSibling));
    // Uncontended, or where writes cannot be late (a store read inside its own lock),
    // nothing is awaited.
    for (contended, waits) in [(false, true), (true, false)] {
        let mut w = World::new(Some(stale.clone()), T0);
        w.answers.push(tokens("a3", Some("r3"), 3600));
        committed(&w.run(setup(contended, waits)));
        assert!(!w.steps.contains(&Step::WaitForSibling), "contended {contended}, waits {waits}");
    }
}

#[test]
fn t06_the_race_loser_adopts_the_rotated_token_instead_of_ending_the_session() {
    let stale = record("a1", T0 - 4_000_000, 3600, Some("r1"));
    // Seen at once on the re-read after invalid_grant…
    let mut w = World::new(Some(stale.clone()), T0);
    w.answers.push(refused());
    w.on_reread.push(None);
    w.on_reread.push(Some(Some(record("a2", T0 - 10, 3600, Some("r2")))));
    let last = w.run(setup(false, true));
    assert!(matches!(&last, Step::Finish(Ok(r)) if r.refresh_token.as_ref().map(Secret::expose) == Some("r2")));
    // …or only after waiting for the sibling.
    let mut w = World::new(Some(stale), T0);
    w.answers.push(refused());
    w.on_wait.push(Some(Some(record("a2", T0 - 10, 3600, Some("r2")))));
    let last = w.run(setup(false, true));
    assert!(matches!(&last, Step::Finish(Ok(r)) if r.access_token.expose() == "a2"), "{last:?}");
    assert!(!w.steps.iter().any(|s| matches!(s, Step::End(_))));
}

#[test]
fn t07_a_rotated_refresh_token_replaces_the_old_one() {
    let mut w = World::new(Some(record("a1", T0 - 4_000_000, 3600, Some("r1"))), T0);
    w.answers.push(tokens("a2", Some("r2"), 3600));
    let last = w.run(setup(false, false));
    assert_eq!(w.sent, vec![Request::Refresh(Secret::new("r1"))]);
    assert_eq!(last, Step::Commit(record("a2", T0, 3600, Some("r2")), Cause::Refresh));
}

#[test]
fn t08_a_refresh_answer_without_a_refresh_token_keeps_the_old_one() {
    let mut w = World::new(Some(record("a1", T0 - 4_000_000, 3600, Some("r1"))), T0);
    w.answers.push(tokens("a2", None, 3600));
    let r = committed(&w.run(setup(false, false))).clone();
    assert_eq!(r.refresh_token, Some(Secret::new("r1")));
    assert_eq!(r.access_token.expose(), "a2");
}

#[test]
fn t09_a_logout_while_the_refresh_is_out_drops_the_answer() {
    let mut w = World::new(Some(record("a1", T0 - 4_000_000, 3600, Some("r1"))), T0);
    w.answers.push(tokens("a2", Some("r2"), 3600));
    w.while_sending = Some(Box::new(|w: &mut World| {
        w.record = None;
        w.generation += 1;
    }));
    let last = w.run(setup(false, false));
    assert!(matches!(&last, Step::Finish(Err(e)) if e.kind == ErrorKind::LoginRequired), "{last:?}");
    assert!(!w.steps.iter().any(|s| matches!(s, Step::Commit(..))), "a logged-out session is not resurrected");
}

#[test]
fn t10_a_refused_refresh_token_ends_the_session_once_without_retrying() {
    let mut w = World::new(Some(record("a1", T0 - 4_000_000, 3600, Some("r1"))), T0);
    w.answers.push(refused());
    let last = w.run(setup(false, true));
    match &last {
        Step::End(e) => {
            assert_eq!(e.kind, ErrorKind::LoginRequired);
            assert_eq!(e.error.as_deref(), Some("invalid_grant"));
        }
        other => panic!("expected the session to end, got {other:?}"),
    }
    assert_eq!(w.sent.len(), 1, "no retry loop");
    // Teen Quotes says invalid_refresh; a manager with its own grant starts over instead.
    let mut w = World::new(Some(record("a1", T0 - 4_000_000, 3600, Some("r1"))), T0);
    w.answers.push(answer(401, r#"{"error":"invalid_refresh"}"#));
    w.answers.push(tokens("a9", None, 3600));
    let last = w.run(Setup { can_reacquire: true, ..setup(false, false) });
    assert_eq!(w.sent, vec![Request::Refresh(Secret::new("r1")), Request::Reacquire]);
    assert_eq!(committed(&last).access_token.expose(), "a9");
    assert_eq!(committed(&last).refresh_token, None, "a re-acquired session does not keep the refused token");
}

#[test]
fn t11_a_lost_answer_keeps_the_tokens_and_is_not_retried() {
    for (kind, status) in [(ErrorKind::Timeout, None), (ErrorKind::Network, None), (ErrorKind::Http, Some(502))] {
        let held = record("a1", T0 - 4_000_000, 3600, Some("r1"));
        let mut w = World::new(Some(held.clone()), T0 + 1_000_000); // expired
        w.answers.push(fault(kind, status));
        let last = w.run(setup(false, true));
        assert!(matches!(&last, Step::Finish(Err(e)) if e.kind == kind), "{kind:?}: {last:?}");
        assert_eq!(w.sent.len(), 1, "{kind:?}: never retried blindly");
        assert_eq!(w.record, Some(held), "{kind:?}: the tokens stay");
    }
}

#[test]
fn t12_tokens_that_arrive_expired_are_not_renewed_on_every_call() {
    // The server answers expires_in 0: the token is handed out, and renewed again only
    // after MIN_RENEW_INTERVAL_MS, not on each call.
    let mut w = World::new(Some(record("a1", T0 - 4_000_000, 3600, Some("r1"))), T0);
    w.answers.push(tokens("a2", Some("r2"), 0));
    let got = committed(&w.run(setup(false, false))).clone();
    for later in [0, 1, MIN_RENEW_INTERVAL_MS - 1] {
        let mut w = World::new(Some(got.clone()), T0 + later);
        assert!(matches!(w.run(setup(false, false)), Step::Finish(Ok(_))), "+{later} ms");
        assert!(w.sent.is_empty(), "+{later} ms: no request");
    }
    let mut w = World::new(Some(got), T0 + MIN_RENEW_INTERVAL_MS);
    w.answers.push(tokens("a3", Some("r3"), 0));
    committed(&w.run(setup(false, false)));
    assert_eq!(w.sent.len(), 1, "renewed once the interval passed");
    // A forced renewal (refresh(), a 401) is not held back.
    let mut w = World::new(Some(record("a1", T0, 0, Some("r1"))), T0);
    w.answers.push(tokens("a2", Some("r2"), 0));
    committed(&w.run(Setup { force: true, before: Some(Secret::new("a1")), ..setup(false, false) }));
}

#[test]
fn t13_a_passing_fault_before_expiry_still_hands_out_the_held_token() {
    // 30 s before expiry (inside the 60 s skew): the renewal fails transiently.
    let held = record("a1", T0 - 3_570_000, 3600, Some("r1"));
    for (kind, status) in [(ErrorKind::Network, None), (ErrorKind::Timeout, None), (ErrorKind::Http, Some(503))] {
        let mut w = World::new(Some(held.clone()), T0);
        w.answers.push(fault(kind, status));
        let last = w.run(setup(false, false));
        assert_eq!(last, Step::Finish(Ok(held.clone())), "{kind:?}");
    }
    // Not for an error that needs attention, not after expiry, not when forced.
    let mut w = World::new(Some(held.clone()), T0);
    w.answers.push(answer(401, r#"{"error":"invalid_client"}"#));
    assert!(matches!(w.run(setup(false, false)), Step::Finish(Err(e)) if e.kind == ErrorKind::OAuth));
    let mut w = World::new(Some(held.clone()), T0 + 31_000);
    w.answers.push(fault(ErrorKind::Network, None));
    assert!(matches!(w.run(setup(false, false)), Step::Finish(Err(e)) if e.kind == ErrorKind::Network));
    let mut w = World::new(Some(held), T0);
    w.answers.push(fault(ErrorKind::Network, None));
    let forced = Setup { force: true, before: Some(Secret::new("a1")), ..setup(false, false) };
    assert!(matches!(w.run(forced), Step::Finish(Err(e)) if e.kind == ErrorKind::Network));
}

#[test]
fn t14_invalid_client_during_refresh_is_reported_and_keeps_the_tokens() {
    let held = record("a1", T0 - 4_000_000, 3600, Some("r1"));
    let mut w = World::new(Some(held.clone()), T0);
    w.answers.push(answer(401, r#"{"error":"invalid_client","error_description":"bad secret"}"#));
    let last = w.run(setup(false, true));
    assert!(matches!(&last, Step::Finish(Err(e)) if e.error.as_deref() == Some("invalid_client")), "{last:?}");
    assert_eq!(w.record, Some(held));
}

#[test]
fn t15_a_login_while_a_refresh_is_out_supersedes_it() {
    let mut w = World::new(Some(record("a1", T0 - 4_000_000, 3600, Some("r1"))), T0);
    w.answers.push(tokens("stale", Some("stale-r"), 3600));
    w.while_sending = Some(Box::new(|w: &mut World| {
        w.record = Some(record("login", T0, 3600, Some("login-r")));
        w.generation += 1;
    }));
    let last = w.run(setup(false, false));
    assert!(matches!(&last, Step::Finish(Ok(r)) if r.access_token.expose() == "login"), "{last:?}");
}

#[test]
fn a_forced_renewal_is_skipped_when_a_sibling_renewed_meanwhile() {
    let mut w = World::new(Some(record("a2", T0 - 1000, 3600, Some("r2"))), T0);
    let last = w.run(Setup { force: true, before: Some(Secret::new("a1")), ..setup(false, false) });
    assert!(matches!(&last, Step::Finish(Ok(r)) if r.access_token.expose() == "a2"));
    assert!(w.sent.is_empty());
}

#[test]
fn without_tokens_or_a_grant_the_user_must_log_in() {
    let mut w = World::new(None, T0);
    assert!(matches!(w.run(setup(false, false)), Step::Finish(Err(e)) if e.kind == ErrorKind::LoginRequired));
    let mut w = World::new(Some(record("a1", T0 - 4_000_000, 3600, None)), T0);
    assert!(matches!(w.run(setup(false, false)), Step::Finish(Err(e)) if e.kind == ErrorKind::LoginRequired));
    assert!(w.sent.is_empty());
    // With a grant, a session without a refresh token is re-acquired.
    let mut w = World::new(None, T0);
    w.answers.push(tokens("cc", None, 3599));
    let last = w.run(Setup { can_reacquire: true, ..setup(false, false) });
    assert_eq!(last, Step::Commit(record("cc", T0, 3599, None), Cause::Reacquire));
}

#[test]
fn an_event_out_of_order_answers_with_what_is_held_instead_of_panicking() {
    let held = record("a1", T0, 3600, Some("r1"));
    let mut m = Renewal::new(Setup::default());
    let view = View { record: Some(&held), generation: 0, now: T0 };
    assert_eq!(m.resume(view, Event::Waited), Step::Finish(Ok(held.clone())));
    assert!(m.is_done());
    assert_eq!(m.resume(view, Event::Begin), Step::Finish(Ok(held)));
}

#[test]
fn t15_a_login_while_the_renewal_waited_for_the_lock_is_the_session_it_renews() {
    // Found by the renewal fuzzer: the generation must be the one the request was sent
    // in. A login between the renewal's start and its request, then a successful
    // rotation: dropping that answer would leave the rotated-out token in storage.
    let old = record("a1", T0 - 4_000_000, 3600, Some("r1"));
    let login = record("login", T0 - 3_900_000, 3600, Some("login-r"));
    let mut m = Renewal::new(Setup::default());
    assert_eq!(m.resume(View { record: Some(&old), generation: 7, now: T0 }, Event::Begin), Step::Reread);
    let view = View { record: Some(&login), generation: 8, now: T0 };
    assert_eq!(m.resume(view, Event::Read), Step::Send(Request::Refresh(Secret::new("login-r"))));
    let last = m.resume(view, Event::Answered { sent_at: T0, result: tokens("a2", Some("r2"), 3600) });
    assert_eq!(last, Step::Commit(record("a2", T0, 3600, Some("r2")), Cause::Refresh));
}

/// Issue 19's prerequisite: without the store's lock (an adapter's `lock()` failed) no
/// refresh token is sent — a sibling holding the lock may be sending the same one.
#[test]
fn t19_without_the_lock_no_refresh_token_is_sent() {
    let unlocked = Setup { unlocked: true, ..setup(false, false) };
    // Valid, renewing early: the held token is handed out.
    let held = record("a1", T0 - 3_550_000, 3600, Some("r1"));
    let mut w = World::new(Some(held.clone()), T0);
    assert_eq!(w.run(unlocked.clone()), Step::Finish(Ok(held.clone())));
    assert!(w.sent.is_empty());
    // Expired: a storage error, the tokens kept (no End, no commit).
    let mut w = World::new(Some(held.clone()), T0 + 100_000);
    match w.run(unlocked.clone()) {
        Step::Finish(Err(e)) => assert_eq!(e.kind, ErrorKind::Storage, "{e:?}"),
        other => panic!("expected a storage error, got {other:?}"),
    }
    assert!(w.sent.is_empty() && w.record == Some(held.clone()));
    // Forced (refresh(), a 401): not the held token, not the refresh token.
    let mut w = World::new(Some(held.clone()), T0);
    let forced = Setup { force: true, before: Some(Secret::new("a1")), ..unlocked.clone() };
    assert!(matches!(w.run(forced), Step::Finish(Err(ref e)) if e.kind == ErrorKind::Storage));
    assert!(w.sent.is_empty());
    // The manager's own grant rotates nothing: it may go ahead.
    let mut w = World::new(Some(held.clone()), T0 + 100_000);
    w.answers.push(tokens("a2", None, 3600));
    let last = w.run(Setup { can_reacquire: true, ..unlocked });
    assert_eq!(w.sent, vec![Request::Reacquire]);
    assert_eq!(committed(&last).access_token.expose(), "a2");
}
