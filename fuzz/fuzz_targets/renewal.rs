//! The renewal state machine (`core::renewal`) in a simulated world: three tabs sharing
//! storage whose writes reach the other tabs late, one lock, and a token server that
//! rotates refresh tokens and refuses a rotated-out one. The input bytes are the schedule:
//! which tab asks for a token, steps, logs in or out, whose late writes arrive, how far
//! the clock moves, and what each request meets (success, a fault before or after the
//! server acted, a 5xx, a refusal, a revocation).
//!
//! The world's assumptions are the ones the manager is built on: a tab that takes the lock
//! uncontended sees every earlier write; a tab that waits for a sibling sees it within the
//! wait. In "adapter" mode (a store read inside its own lock) every read is current.
//!
//! Invariants checked after every step:
//! - only the lock holder sends, and a renewal has one request out at a time;
//! - every renewal finishes within `MAX_STEPS` steps;
//! - a session is ended only right after the server refused the refresh token just sent;
//! - the server never sees a rotated-out refresh token, and no tab's session ends —
//!   unless an answer carrying a rotation was lost in transit or the server revoked the
//!   family (the inherent cases, reliability.md T11 and T10).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth2_wasm_core::renewal::{Event, Renewal, Request, Setup, Step, View, MAX_STEPS};
use oauth2_wasm_core::session::{supersedes, TokenRecord};
use oauth2_wasm_core::{parse_token_response, ErrorKind, OAuthError, ResponseContext, Secret};
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
    /// refusal of the refresh token sent (re-reads and waits since then included).
    Running { machine: Renewal, step: Step, steps: usize, refused: bool },
}

/// A write to storage: its order, and the value.
type Write = (u64, Option<TokenRecord>);

#[derive(Default)]
struct Tab {
    record: Option<TokenRecord>,
    generation: u64,
    /// When this tab last cleared its record (the manager's `cleared_at`).
    cleared_at: u64,
    /// Storage as this tab can read it now (the newest write it has seen), and the
    /// writes whose storage events and broadcasts have not reached it yet.
    visible: Write,
    late: VecDeque<Write>,
    flight: Option<Flight>,
    ended: u32,
}

impl Tab {
    /// Takes a value storage held or a sibling sent, as the manager adopts it.
    fn adopt(&mut self, incoming: Option<TokenRecord>) {
        match incoming {
            Some(r) => {
                if supersedes(self.record.as_ref(), self.cleared_at, &r) {
                    self.record = Some(r);
                }
            }
            None => {
                // A sibling's clear: records not newer than the one cleared are stale (as
                // the manager does; when the sibling logged out is not known here).
                if let Some(old) = self.record.take() {
                    self.generation += 1;
                    self.cleared_at = self.cleared_at.max(old.obtained_at + 1);
                }
            }
        }
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
        self.adopt(value);
        true
    }

    fn deliver_all(&mut self) {
        while self.deliver() {}
    }

    fn clear(&mut self, now: u64) {
        self.record = None;
        self.generation += 1;
        self.cleared_at = now;
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
}

impl World {
    fn write(&mut self, from: usize, value: Option<TokenRecord>) {
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

    fn call(&mut self, i: usize, force: bool) {
        let (adapter, can_reacquire, now) = (self.adapter, self.can_reacquire, self.now);
        let tab = &mut self.tabs[i];
        if tab.flight.is_some() {
            return; // single-flight: this caller joins the renewal under way
        }
        let stale = tab.record.as_ref().is_none_or(|r| !oauth2_wasm_core::session::is_fresh(r, now, None));
        if !stale && !force {
            return;
        }
        let setup = Setup {
            force,
            before: tab.record.as_ref().map(|r| r.access_token.clone()),
            contended: false,
            waits_for_siblings: !adapter,
            can_reacquire,
            skew_secs: None,
        };
        tab.flight = Some(Flight::Queued(setup));
        if self.holder.is_none() {
            self.grant(i, false);
        } else {
            self.queue.push_back(i);
        }
    }

    fn grant(&mut self, i: usize, contended: bool) {
        self.holder = Some(i);
        let generation = self.tabs[i].generation;
        let now = self.now;
        let tab = &mut self.tabs[i];
        // Uncontended, every earlier write is visible; inside an adapter's lock always.
        if !contended || self.adapter {
            tab.deliver_all();
        }
        if let Some(Flight::Queued(mut setup)) = tab.flight.take() {
            setup.contended = contended;
            let mut machine = Renewal::new(setup);
            let view = View { record: tab.record.as_ref(), generation, now };
            let step = machine.resume(view, Event::Begin);
            tab.flight = Some(Flight::Running { machine, step, steps: 1, refused: false });
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
        let Some(Flight::Running { mut machine, step, steps, refused }) = self.tabs[i].flight.take() else {
            return;
        };
        assert_eq!(self.holder, Some(i), "only the lock holder renews");
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
                tab.adopt(v);
                (Event::Read, refused)
            }
            Step::WaitForSibling => {
                self.tabs[i].deliver_all();
                (Event::Waited, refused)
            }
            Step::Send(request) => {
                let result = self.server.answer(&request, fate, now);
                let refusal = matches!(&result, Err(e) if e.error.as_deref() == Some("invalid_grant"));
                (Event::Answered { sent_at: now, result }, refusal && matches!(request, Request::Refresh(_)))
            }
            Step::Commit(record, _) => {
                self.tabs[i].record = Some(record.clone());
                self.write(i, Some(record));
                return self.release(i);
            }
            Step::End(_) => {
                assert!(refused, "a session may end only right after a refused refresh");
                let tab = &mut self.tabs[i];
                tab.clear(now);
                tab.ended += 1;
                self.write(i, None);
                return self.release(i);
            }
            Step::Finish(_) => return self.release(i),
        };
        let tab = &mut self.tabs[i];
        let view = View { record: tab.record.as_ref(), generation: tab.generation, now };
        let step = machine.resume(view, event);
        tab.flight = Some(Flight::Running { machine, step, steps: steps + 1, refused: refused_now });
    }

    fn check(&self) {
        let inherent = self.server.lost > 0 || self.server.revoked > 0;
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
    };
    let first = world.server.login(world.now);
    world.tabs[0].record = Some(first.clone());
    world.write(0, Some(first));
    for op in schedule.chunks(2).take(400) {
        let (a, b) = (op.first().copied().unwrap_or(0), op.get(1).copied().unwrap_or(0));
        let i = usize::from(b) % TABS;
        world.now += 1; // time moves between any two things that happen
        match a % 8 {
            0 | 1 => world.call(i, a & 8 == 8),
            2..=4 => world.step(i, b / 4),
            5 => world.now += u64::from(b) * 1000,
            6 => {
                world.tabs[i].deliver();
            }
            _ => {
                // Login (a new family) or logout in tab i, outside the lock as the manager does.
                let now = world.now;
                let value = if a & 8 == 8 { Some(world.server.login(now)) } else { None };
                let tab = &mut world.tabs[i];
                match &value {
                    Some(r) => {
                        tab.record = Some(r.clone());
                        tab.generation += 1;
                    }
                    None => tab.clear(now),
                }
                world.write(i, value);
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
