//! The session machine — each tab's `core::sync::Session` and the `core::renewal` machine it
//! runs — in a simulated world: three tabs sharing storage whose writes reach the other
//! tabs late, one lock, and a token server that rotates refresh tokens and refuses a
//! rotated-out one. The input bytes are the schedule: which tab asks for a token, steps,
//! logs in or out, whose late writes arrive, how far the clock moves, what each request
//! meets (success, a fault before or after the server acted, a 5xx, a refusal, a
//! revocation) and, in adapter mode, which writes fail (a record left unsaved is written
//! again, under the lock, only where `Session::rewrite` allows). Storage holds the
//! record's text, as the store does; the tabs decide nothing themselves.
//!
//! The world's assumptions are the ones the manager is built on: a tab that takes the lock
//! uncontended sees every earlier write; a tab that waits for a sibling sees it within the
//! wait. In "adapter" mode (a store read inside its own lock) every read is current.
//!
//! In adapter mode a renewal's lock may also fail (the adapter's `lock()` throws): it runs
//! at once, beside the holder, with `Setup::unlocked`.
//!
//! Invariants checked after every step:
//! - only the lock holder sends a refresh token (a renewal whose lock failed may only
//!   re-acquire with the manager's grant), and a renewal has one request out at a time;
//! - every renewal finishes within `MAX_STEPS` steps;
//! - a session is ended only right after the server refused the refresh token just sent;
//! - the server never sees a rotated-out refresh token, and no tab's session ends —
//!   unless an answer carrying a rotation was lost in transit or the server revoked the
//!   family (the inherent cases, reliability.md T11 and T10).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth2_wasm_core::renewal::{Event, Renewal, Request, Setup, Step, View, MAX_STEPS};
use oauth2_wasm_core::session::TokenRecord;
use oauth2_wasm_core::sync::{Rewrite, Session};
use oauth2_wasm_core::{parse_token_response, ClientConfig, ErrorKind, OAuthError, ResponseContext, Secret};
use std::collections::VecDeque;

const TABS: usize = 3;
const LIFETIME_SECS: u64 = 60;

/// The token server: one family of rotating refresh tokens per login.
#[derive(Default)]
struct Server {
    /// Per family: its current refresh token number, and whether it was revoked.
    families: Vec<(u32, bool)>,
    issued: u32,
    /// Rotated-out refresh tokens presented again.
    reuses: u32,
    /// Answers carrying a rotation that never reached the client.
    lost: u32,
    revoked: u32,
}

fn refresh_token(family: usize, n: u32) -> String {
    format!("f{family}-r{n}")
}

fn parse_refresh_token(t: &str) -> Option<(usize, u32)> {
    let (f, r) = t.strip_prefix('f')?.split_once("-r")?;
    Some((f.parse().ok()?, r.parse().ok()?))
}

impl Server {
    fn login(&mut self, now: u64) -> TokenRecord {
        self.issued += 1;
        self.families.push((self.issued, false));
        let family = self.families.len() - 1;
        record(self.issued, now, Some(refresh_token(family, self.issued)))
    }

    /// Answers a request; `fate` picks what it meets on the way.
    fn answer(&mut self, request: &Request, fate: u8, now: u64) -> Result<oauth2_wasm_core::TokenSet, OAuthError> {
        let fault = |kind: ErrorKind, status: Option<u16>| {
            let mut e = OAuthError::new(kind, "simulated");
            e.status = status;
            Err(e)
        };
        match fate % 8 {
            1 => return fault(ErrorKind::Network, None),
            2 => return fault(ErrorKind::Timeout, None),
            3 => return fault(ErrorKind::Http, Some(503)),
            4 => return body(400, r#"{"error":"invalid_client"}"#, now),
            _ => {}
        }
        let Request::Refresh(sent) = request else {
            self.issued += 1;
            return body(200, &format!(r#"{{"access_token":"a{}","expires_in":{LIFETIME_SECS}}}"#, self.issued), now);
        };
        let Some((family, n)) = parse_refresh_token(sent.expose()) else {
            return body(400, r#"{"error":"invalid_grant"}"#, now);
        };
        let Some(state) = self.families.get_mut(family) else {
            return body(400, r#"{"error":"invalid_grant"}"#, now);
        };
        if fate % 8 == 5 {
            state.1 = true;
            self.revoked += 1;
        }
        if state.1 {
            return body(400, r#"{"error":"invalid_grant"}"#, now);
        }
        if state.0 != n {
            self.reuses += 1;
            return body(400, r#"{"error":"invalid_grant"}"#, now);
        }
        self.issued += 1;
        let keep = fate % 8 == 6; // "MAY issue a new refresh token": this time it does not
        if !keep {
            state.0 = self.issued;
        }
        if fate % 8 == 7 && !keep {
            self.lost += 1;
            return fault(ErrorKind::Network, None);
        }
        let rt =
            if keep { String::new() } else { format!(r#","refresh_token":"{}""#, refresh_token(family, self.issued)) };
        body(200, &format!(r#"{{"access_token":"a{}","expires_in":{LIFETIME_SECS}{rt}}}"#, self.issued), now)
    }
}

fn body(status: u16, text: &str, now: u64) -> Result<oauth2_wasm_core::TokenSet, OAuthError> {
    parse_token_response(status, text, &ResponseContext::at(now))
}

fn record(n: u32, now: u64, refresh: Option<String>) -> TokenRecord {
    TokenRecord {
        access_token: Secret::new(format!("a{n}")),
        token_type: "Bearer".into(),
        obtained_at: now,
        expires_at: Some(now + LIFETIME_SECS * 1000),
        refresh_token: refresh.map(Secret::new),
        scope: None,
    }
}

enum Flight {
    /// Queued for the lock.
    Queued(Setup),
    /// Running: the machine, its next step, steps taken, whether the last answer was a
    /// refusal of the refresh token sent (re-reads and waits since then included), and
    /// whether it runs without the lock (the adapter's `lock()` failed).
    Running { machine: Renewal, step: Step, steps: usize, refused: bool, unlocked: bool },
}

/// A write to storage: its order, and the text stored (`None`: the key removed).
type Write = (u64, Option<String>);

fn client() -> ClientConfig {
    let mut c = ClientConfig::new("https://as.example/token");
    c.client_id = Some("fuzz".into());
    c
}

#[derive(Default)]
struct Tab {
    /// The tab's session: every decision about the store and its siblings.
    session: Session,
    /// Storage as this tab can read it now (the newest write it has seen), and the
    /// writes whose storage events and broadcasts have not reached it yet.
    visible: Write,
    late: VecDeque<Write>,
    flight: Option<Flight>,
    ended: u32,
}

impl Tab {
    /// Takes a value storage held or a sibling sent, as the manager adopts it.
    fn adopt(&mut self, text: Option<&str>) {
        self.session.adopt(text, true, &client());
    }

    /// One late write arrives: storage shows it if it is newer than what was shown, and
    /// its event or broadcast carries its own value, however old (a record; a clear is
    /// checked against storage).
    fn deliver(&mut self) -> bool {
        let Some(w) = self.late.pop_front() else { return false };
        if w.0 > self.visible.0 {
            self.visible = w.clone();
        }
        // A clear is checked against storage first, as the manager does: a late notice of
        // a clear older than this tab's own write finds that write there.
        let value = w.1.or_else(|| self.visible.1.clone());
        self.adopt(value.as_deref());
        true
    }

    fn deliver_all(&mut self) {
        while self.deliver() {}
    }

    fn record(&self) -> Option<&TokenRecord> {
        self.session.record()
    }
}

struct World {
    tabs: Vec<Tab>,
    server: Server,
    holder: Option<usize>,
    queue: VecDeque<usize>,
    now: u64,
    /// Adapter mode: reads inside the lock are always current, nobody waits for siblings.
    adapter: bool,
    writes: u64,
    can_reacquire: bool,
    /// Adapter mode: the next write fails (a full disk, Redis down) …
    fail_next_write: bool,
    /// … and how many did.
    failed_writes: u32,
}

impl World {
    /// Tab `from` commits `record` (`None`: a clear) at `now`: its session says what to
    /// write, and the store takes it — or, in adapter mode, the write may fail.
    fn commit(&mut self, from: usize, record: Option<TokenRecord>, new_generation: bool) {
        let now = self.now;
        let Some(text) = self.tabs[from].session.commit(record, new_generation, now, &client()) else { return };
        if self.adapter && std::mem::take(&mut self.fail_next_write) {
            self.failed_writes += 1;
            return self.tabs[from].session.write_failed();
        }
        self.tabs[from].session.written(text.clone());
        self.write(from, text);
    }

    fn write(&mut self, from: usize, value: Option<String>) {
        self.writes += 1;
        let write = (self.writes, value);
        for (i, tab) in self.tabs.iter_mut().enumerate() {
            if i == from {
                tab.visible = write.clone();
            } else {
                tab.late.push_back(write.clone());
            }
        }
    }

    /// Tab `i` asks for a token (`force`: a refresh). `lock_fails`: in adapter mode, the
    /// adapter's `lock()` fails for this renewal, which then runs at once without it.
    fn call(&mut self, i: usize, force: bool, lock_fails: bool) {
        let (adapter, can_reacquire, now) = (self.adapter, self.can_reacquire, self.now);
        let tab = &mut self.tabs[i];
        if tab.flight.is_some() {
            return; // single-flight: this caller joins the renewal under way
        }
        if tab.session.fresh_token(now, None).is_some() && !force {
            return;
        }
        let setup = Setup {
            force,
            before: tab.record().map(|r| r.access_token.clone()),
            contended: false,
            waits_for_siblings: !adapter,
            can_reacquire,
            skew_secs: None,
            unlocked: false,
        };
        if lock_fails && adapter {
            // As the manager: no lock, so no rewrite of an unsaved record either; the
            // adapter's store is read current.
            tab.deliver_all();
            let mut machine = Renewal::new(Setup { unlocked: true, ..setup });
            let view = View { record: tab.record(), generation: tab.session.generation(), now };
            let step = machine.resume(view, Event::Begin);
            tab.flight = Some(Flight::Running { machine, step, steps: 1, refused: false, unlocked: true });
            return;
        }
        tab.flight = Some(Flight::Queued(setup));
        if self.holder.is_none() {
            self.grant(i, false);
        } else {
            self.queue.push_back(i);
        }
    }

    fn grant(&mut self, i: usize, contended: bool) {
        self.holder = Some(i);
        let now = self.now;
        // Uncontended, every earlier write is visible; inside an adapter's lock always.
        if !contended || self.adapter {
            self.tabs[i].deliver_all();
        }
        // A record a failed write left unsaved is written again first, where the session
        // allows (as the manager's `save_again`).
        if self.tabs[i].session.is_unsaved() {
            let now_text = self.tabs[i].visible.1.clone();
            if let Rewrite::Write(text) = self.tabs[i].session.rewrite(now_text.as_deref(), &client()) {
                self.tabs[i].session.written(text.clone());
                self.write(i, text);
            }
        }
        let tab = &mut self.tabs[i];
        let generation = tab.session.generation();
        if let Some(Flight::Queued(mut setup)) = tab.flight.take() {
            setup.contended = contended;
            let mut machine = Renewal::new(setup);
            let view = View { record: tab.record(), generation, now };
            let step = machine.resume(view, Event::Begin);
            tab.flight = Some(Flight::Running { machine, step, steps: 1, refused: false, unlocked: false });
        }
    }

    /// Lets go of the lock, unless the renewal ran without it.
    fn release_unless(&mut self, i: usize, unlocked: bool) {
        if !unlocked {
            self.release(i);
        }
    }

    fn release(&mut self, i: usize) {
        assert_eq!(self.holder, Some(i));
        self.holder = None;
        if let Some(next) = self.queue.pop_front() {
            self.grant(next, true);
        }
    }

    /// Performs tab `i`'s pending step.
    fn step(&mut self, i: usize, fate: u8) {
        if !matches!(self.tabs[i].flight, Some(Flight::Running { .. })) {
            return; // idle, or queued for the lock
        }
        let Some(Flight::Running { mut machine, step, steps, refused, unlocked }) = self.tabs[i].flight.take() else {
            return;
        };
        assert!(unlocked || self.holder == Some(i), "only the lock holder renews, or a renewal whose lock failed");
        assert!(steps <= MAX_STEPS, "a renewal took more than {MAX_STEPS} steps");
        let now = self.now;
        // `RENEWAL_TRACE=1 cargo +nightly fuzz run renewal <input>` prints the steps of a
        // failing schedule.
        if std::env::var_os("RENEWAL_TRACE").is_some() {
            eprintln!("tab {i} at +{} s: {step:?} (fate {fate})", (now - 1_700_000_000_000) / 1000);
        }
        let (event, refused_now) = match step {
            Step::Reread => {
                let tab = &mut self.tabs[i];
                if self.adapter {
                    tab.deliver_all();
                }
                let v = tab.visible.1.clone();
                tab.adopt(v.as_deref());
                (Event::Read, refused)
            }
            Step::WaitForSibling => {
                self.tabs[i].deliver_all();
                (Event::Waited, refused)
            }
            Step::Send(request) => {
                assert!(!(unlocked && matches!(request, Request::Refresh(_))), "a refresh token sent without the lock");
                let result = self.server.answer(&request, fate, now);
                let refusal = matches!(&result, Err(e) if e.error.as_deref() == Some("invalid_grant"));
                (Event::Answered { sent_at: now, result }, refusal && matches!(request, Request::Refresh(_)))
            }
            Step::Commit(record, _) => {
                self.commit(i, Some(record), false);
                return self.release_unless(i, unlocked);
            }
            Step::End(_) => {
                assert!(refused, "a session may end only right after a refused refresh");
                self.tabs[i].ended += 1;
                self.commit(i, None, true);
                return self.release_unless(i, unlocked);
            }
            Step::Finish(_) => return self.release_unless(i, unlocked),
        };
        let tab = &mut self.tabs[i];
        let view = View { record: tab.record(), generation: tab.session.generation(), now };
        let step = machine.resume(view, event);
        tab.flight = Some(Flight::Running { machine, step, steps: steps + 1, refused: refused_now, unlocked });
    }

    fn check(&self) {
        // A failed write leaves the store holding a rotated-out refresh token until it is
        // written again: a sibling refreshing from the store meanwhile is the inherent case
        // that the adapter's lock and `Session::rewrite` narrow but cannot close.
        let inherent = self.server.lost > 0 || self.server.revoked > 0 || self.failed_writes > 0;
        if !inherent {
            assert_eq!(self.server.reuses, 0, "a rotated-out refresh token was sent");
            assert!(self.tabs.iter().all(|t| t.ended == 0), "a session ended without a lost answer or revocation");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, schedule)) = data.split_first() else { return };
    let mut world = World {
        tabs: (0..TABS).map(|_| Tab::default()).collect(),
        server: Server::default(),
        holder: None,
        queue: VecDeque::new(),
        now: 1_700_000_000_000,
        adapter: mode & 1 == 1,
        writes: 0,
        can_reacquire: mode & 2 == 2,
        fail_next_write: false,
        failed_writes: 0,
    };
    for tab in &mut world.tabs {
        tab.session.loaded(None, &client());
    }
    let first = world.server.login(world.now);
    world.commit(0, Some(first), true);
    for op in schedule.chunks(2).take(400) {
        let (a, b) = (op.first().copied().unwrap_or(0), op.get(1).copied().unwrap_or(0));
        let i = usize::from(b) % TABS;
        world.now += 1; // time moves between any two things that happen
        match a % 8 {
            0 | 1 => world.call(i, a & 8 == 8, a & 16 == 16),
            2..=4 => world.step(i, b / 4),
            5 => world.now += u64::from(b) * 1000,
            6 if a & 8 == 8 => world.fail_next_write = true,
            6 => {
                world.tabs[i].deliver();
            }
            _ => {
                // Login (a new family) or logout in tab i, outside the lock as the manager does.
                let value = if a & 8 == 8 { Some(world.server.login(world.now)) } else { None };
                world.commit(i, value, true);
            }
        }
        world.check();
    }
    // Let every renewal finish without faults: none may hang or break an invariant.
    for _ in 0..TABS * (MAX_STEPS + 2) * 2 {
        for i in 0..TABS {
            world.step(i, 0);
        }
    }
    assert!(world.tabs.iter().all(|t| t.flight.is_none()), "a renewal never finished");
    world.check();
});
