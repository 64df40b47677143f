//! The whole session machine (`core::machine`): three managers — tabs sharing
//! `localStorage`, or processes sharing an adapter — each a `Machine` whose calls are
//! `Task`s, in a simulated world: one store whose writes reach the other managers late, one
//! lock, and a token server that rotates refresh tokens and refuses a rotated-out one. The
//! input bytes are the schedule: which manager calls what (a token, a forced refresh, a
//! login, a logout), which task performs its next action, whose late writes arrive, how far
//! the clock moves, what each request meets (success, a fault before or after the server
//! acted, a 5xx, a refusal, a revocation), which writes fail, and whether the adapter's lock
//! fails (adapter mode) or a held Web Lock is not let go within the bound (tabs). The world only performs the actions; the managers decide.
//!
//! The world's assumptions are the ones the manager is built on: a manager granted the lock
//! uncontended sees every earlier write; one that waits for a sibling sees it within the
//! wait. In adapter mode (a store read inside its own lock) every read is current.
//!
//! Invariants checked after every step:
//! - only the lock holder sends a refresh token (a renewal whose lock failed sends none);
//! - every task ends within `MAX_TASK_STEPS` steps, lets go of a lock it holds before it
//!   answers, and at most one renewal runs per manager;
//! - a session ends (`login_required`) only right after the server refused the refresh
//!   token just sent;
//! - the server never sees a rotated-out refresh token, and no manager's session ends —
//!   unless an answer carrying a rotation was lost in transit, the server revoked the
//!   family, or a write failed (the inherent cases, reliability.md T11 and T10).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth2_wasm_core::lock::LockStep;
use oauth2_wasm_core::machine::{
    Action, Call, ChangeReason, Effect, Input, LockOutcome, Machine, Reply, Settings, StoreKind, Task, MAX_TASK_STEPS,
};
use oauth2_wasm_core::{
    parse_token_response, ClientConfig, ErrorKind, Grant, OAuthError, ResourceOwner, ResponseContext, Secret, TokenSet,
};
use std::collections::VecDeque;

const MANAGERS: usize = 3;
const LIFETIME_SECS: u64 = 60;

/// The token server: one family of rotating refresh tokens per login.
#[derive(Default)]
struct Server {
    /// Per family: its current refresh token number, and whether it was revoked.
    families: Vec<(u32, bool)>,
    issued: u32,
    /// Rotated-out refresh tokens presented again …
    reuses: u32,
    /// … of which the family had been logged out or replaced by a login (in some manager)
    /// before: a renewal's answer dropped because a logout or login came first leaves the
    /// store holding a rotated-out token until that call's own write lands; a sibling
    /// refreshing with it meanwhile ends a session the user ended or replaced anyway.
    excused: u32,
    /// Families before this one were logged out.
    logged_out_upto: usize,
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

fn body(status: u16, text: &str, now: u64) -> Result<TokenSet, OAuthError> {
    parse_token_response(status, text, &ResponseContext::at(now))
}

impl Server {
    /// Answers `grant`; `fate` picks what it meets on the way.
    fn answer(&mut self, grant: &Grant, fate: u8, now: u64) -> Result<TokenSet, OAuthError> {
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
        let sent = match grant {
            Grant::RefreshToken { refresh_token, .. } => refresh_token.expose().to_owned(),
            Grant::Password { .. } => {
                // A login: a new family.
                self.issued += 1;
                self.families.push((self.issued, false));
                let rt = refresh_token(self.families.len() - 1, self.issued);
                let text = format!(
                    r#"{{"access_token":"a{}","expires_in":{LIFETIME_SECS},"refresh_token":"{rt}"}}"#,
                    self.issued
                );
                return body(200, &text, now);
            }
            _ => {
                self.issued += 1;
                return body(
                    200,
                    &format!(r#"{{"access_token":"a{}","expires_in":{LIFETIME_SECS}}}"#, self.issued),
                    now,
                );
            }
        };
        let Some((family, n)) = parse_refresh_token(&sent) else {
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
            if family < self.logged_out_upto {
                self.excused += 1;
            } else {
                self.reuses += 1;
            }
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

fn client() -> ClientConfig {
    let mut c = ClientConfig::new("https://as.example/token");
    c.client_id = Some("fuzz".into());
    c
}

fn login_grant() -> Grant {
    Grant::Password { owner: ResourceOwner::Username("u".into()), password: Secret::new("p"), scope: None }
}

/// A write to the store: its order, and the text stored (`None`: the key removed).
type Write = (u64, Option<String>);

struct Manager {
    machine: Machine,
    /// The store as this manager can read it now (the newest write it has seen), and the
    /// writes whose storage events and broadcasts have not reached it yet.
    visible: Write,
    late: VecDeque<Write>,
    /// The agent running this manager's one renewal.
    flight: Option<usize>,
    ended: u32,
}

impl Manager {
    /// One late write arrives: the store shows it if it is newer than what was shown, and
    /// its notice carries its own value, however old.
    fn deliver(&mut self) -> bool {
        let Some(w) = self.late.pop_front() else { return false };
        if w.0 > self.visible.0 {
            self.visible = w.clone();
        }
        let stored = self.visible.1.clone();
        self.machine.sibling(w.1.as_deref(), stored.as_deref());
        // What a sibling's change tells the listeners is no session's end.
        self.machine.take_effects();
        true
    }

    fn deliver_all(&mut self) {
        while self.deliver() {}
    }
}

#[derive(PartialEq)]
enum Wait {
    Ready,
    Lock,
    Flight(usize),
    Finished,
}

struct Agent {
    manager: usize,
    task: Task,
    action: Option<Action>,
    /// The input its next turn feeds (a request's answer, a lock granted, a renewal's answer).
    pending: Option<Input>,
    wait: Wait,
    steps: usize,
    /// The last answer was a refusal of the refresh token it sent (`Some(excused)`: of a
    /// family logged out before).
    refused: Option<bool>,
}

struct World {
    managers: Vec<Manager>,
    agents: Vec<Agent>,
    server: Server,
    holder: Option<usize>,
    queue: VecDeque<usize>,
    now: u64,
    adapter: bool,
    writes: u64,
    fail_next_write: bool,
    failed_writes: u32,
    lock_fails: bool,
}

impl World {
    fn spawn(&mut self, manager: usize, task: Task) -> usize {
        self.agents.push(Agent {
            manager,
            task,
            action: None,
            pending: Some(Input::Go),
            wait: Wait::Ready,
            steps: 0,
            refused: None,
        });
        self.agents.len() - 1
    }

    fn call(&mut self, manager: usize, call: Call) {
        // A call answered with no I/O (the hot path) starts no task.
        if matches!(call, Call::GetAccessToken) && self.managers[manager].machine.fresh_token(self.now).is_some() {
            return;
        }
        let a = self.spawn(manager, Task::new(call));
        self.advance(a, 0);
    }

    /// Resumes agent `a` with `input`.
    fn step(&mut self, a: usize, input: Input) {
        let m = self.agents[a].manager;
        let now = self.now;
        self.agents[a].steps += 1;
        assert!(self.agents[a].steps <= MAX_TASK_STEPS + 1, "a task took more than MAX_TASK_STEPS steps");
        let trace = std::env::var_os("SESSION_TRACE").is_some();
        if trace {
            eprintln!("+{} ms  manager {m} task {a} <- {input:?}", now - 1_700_000_000_000);
        }
        let action = self.agents[a].task.step(&mut self.managers[m].machine, input, now);
        if trace {
            eprintln!("        -> {action:?}");
        }
        for effect in self.managers[m].machine.take_effects() {
            if let Effect::Notify { reason: ChangeReason::LoginRequired, .. } = effect {
                let refused = self.agents[a].refused;
                assert!(refused.is_some(), "a session may end only right after a refused refresh");
                if refused == Some(false) {
                    self.managers[m].ended += 1;
                }
            }
        }
        match action {
            Action::Done(reply) => {
                assert_ne!(self.holder, Some(a), "a task answered holding the lock");
                self.agents[a].wait = Wait::Finished;
                if self.managers[m].flight == Some(a) {
                    self.managers[m].flight = None;
                    assert!(!self.managers[m].machine.is_renewing());
                    let renewed = match reply {
                        Ok(Reply::Record(r)) => Ok(r),
                        Ok(_) => Err(OAuthError::new(ErrorKind::Storage, "not a record")),
                        Err(e) => Err(e),
                    };
                    for w in 0..self.agents.len() {
                        if self.agents[w].wait == Wait::Flight(a) {
                            self.agents[w].wait = Wait::Ready;
                            self.agents[w].pending = Some(Input::Renewed(renewed.clone()));
                        }
                    }
                }
            }
            Action::Renew(start) => {
                let flight = match start {
                    Some(task) => {
                        assert!(self.managers[m].flight.is_none(), "two renewals in one manager");
                        let f = self.spawn(m, *task);
                        self.managers[m].flight = Some(f);
                        f
                    }
                    None => self.managers[m].flight.expect("joined a renewal that does not run"),
                };
                self.agents[a].wait = Wait::Flight(flight);
            }
            other => self.agents[a].action = Some(other),
        }
    }

    /// Performs agent `a`'s action, or feeds it the input waiting for it.
    fn advance(&mut self, a: usize, fate: u8) {
        if self.agents[a].wait != Wait::Ready {
            return;
        }
        if let Some(input) = self.agents[a].pending.take() {
            return self.step(a, input);
        }
        let Some(action) = self.agents[a].action.take() else { return };
        let m = self.agents[a].manager;
        let input = match action {
            Action::Read => {
                if self.adapter {
                    self.managers[m].deliver_all();
                }
                Input::Read(Ok(self.managers[m].visible.1.clone()))
            }
            Action::Write(_) if std::mem::take(&mut self.fail_next_write) => {
                self.failed_writes += 1;
                Input::Written(Err(OAuthError::new(ErrorKind::Storage, "the write failed")))
            }
            Action::Write(text) => {
                self.writes += 1;
                let write = (self.writes, text);
                for (i, manager) in self.managers.iter_mut().enumerate() {
                    if i == m {
                        manager.visible = write.clone();
                    } else {
                        manager.late.push_back(write.clone());
                    }
                }
                Input::Written(Ok(()))
            }
            Action::Lock { .. } if self.adapter && self.lock_fails => Input::Locked(LockOutcome::Failed("down".into())),
            Action::Lock { step, bound_ms } => match self.holder {
                None => {
                    self.holder = Some(a);
                    // Uncontended, every earlier write is visible.
                    self.managers[m].deliver_all();
                    Input::Locked(LockOutcome::Granted)
                }
                Some(_) if step == LockStep::TryWebLock => Input::Locked(LockOutcome::NotGranted),
                // Tabs: the holder does not let go within the bound (a throttled background tab).
                Some(_) if self.lock_fails => Input::Locked(LockOutcome::TimedOut),
                Some(_) => {
                    self.agents[a].action = Some(Action::Lock { step, bound_ms });
                    self.agents[a].wait = Wait::Lock;
                    self.queue.push_back(a);
                    return;
                }
            },
            Action::Unlock => {
                assert_eq!(self.holder, Some(a), "let go of a lock it does not hold");
                self.holder = None;
                if let Some(next) = self.queue.pop_front() {
                    self.holder = Some(next);
                    let nm = self.agents[next].manager;
                    if self.adapter {
                        self.managers[nm].deliver_all();
                    }
                    self.agents[next].action = None;
                    self.agents[next].wait = Wait::Ready;
                    self.agents[next].pending = Some(Input::Locked(LockOutcome::Granted));
                }
                Input::Go
            }
            Action::Sleep(ms) => {
                // A sibling's write becomes visible within the wait.
                self.now += u64::from(ms);
                self.managers[m].deliver_all();
                Input::Woke
            }
            Action::Send(grant) => {
                let refresh = matches!(grant, Grant::RefreshToken { .. });
                // (A manager whose store failed keeps its tokens in memory, alone: no lock.)
                let alone = self.managers[m].machine.settings().store == StoreKind::Private;
                assert!(!refresh || alone || self.holder == Some(a), "a refresh token sent without the lock");
                let excused_before = self.server.excused;
                let result = self.server.answer(&grant, fate, self.now);
                let refusal = matches!(&result, Err(e) if e.error.as_deref() == Some("invalid_grant"));
                self.agents[a].refused = (refresh && refusal).then_some(self.server.excused > excused_before);
                // The answer arrives on the agent's next turn.
                self.agents[a].pending = Some(Input::Answered { sent_at: self.now, result });
                return;
            }
            // A revocation is answered at once; what it does at the server is not modelled.
            Action::Revoke(..) => Input::Revoked(Ok(())),
            Action::Done(_) | Action::Renew(_) => return,
        };
        self.step(a, input);
    }

    fn check(&self) {
        // A failed write leaves the store holding a rotated-out refresh token until it is
        // written again: a sibling refreshing from the store meanwhile is the inherent case
        // that the adapter's lock and `Session::rewrite` narrow but cannot close.
        let inherent = self.server.lost > 0 || self.server.revoked > 0 || self.failed_writes > 0;
        if !inherent {
            assert_eq!(self.server.reuses, 0, "a rotated-out refresh token was sent");
            assert!(self.managers.iter().all(|m| m.ended == 0), "a session ended without a lost answer or revocation");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, schedule)) = data.split_first() else { return };
    let adapter = mode & 1 == 1;
    let grant = (mode & 2 == 2).then_some(Grant::ClientCredentials { scope: None });
    let store = if adapter { StoreKind::Adapter { lock: true } } else { StoreKind::Shared };
    let settings = Settings { client: client(), grant, skew_secs: None, store, web_locks: !adapter, channel: !adapter };
    let mut world = World {
        managers: (0..MANAGERS)
            .map(|_| Manager {
                machine: Machine::new(settings.clone()),
                visible: (0, None),
                late: VecDeque::new(),
                flight: None,
                ended: 0,
            })
            .collect(),
        agents: Vec::new(),
        server: Server::default(),
        holder: None,
        queue: VecDeque::new(),
        now: 1_700_000_000_000,
        adapter,
        writes: 0,
        fail_next_write: false,
        failed_writes: 0,
        lock_fails: false,
    };
    for manager in &mut world.managers {
        manager.machine.opened(Ok(None));
    }
    // Manager 0 logs in.
    world.call(0, Call::Login(login_grant()));
    for _ in 0..8 {
        world.advance(0, 0);
    }
    for op in schedule.chunks(2).take(400) {
        let (a, b) = (op.first().copied().unwrap_or(0), op.get(1).copied().unwrap_or(0));
        let i = usize::from(b) % MANAGERS;
        world.now += 1; // time moves between any two things that happen
        match a % 8 {
            0 => world.call(i, if a & 8 == 8 { Call::Refresh } else { Call::GetAccessToken }),
            1 if a & 8 == 8 => {
                // A login abandons the session before it, as a logout does: a renewal's
                // answer that arrives after it is dropped, and until the login's write lands
                // the store still holds that family's rotated-out token.
                world.server.logged_out_upto = world.server.families.len();
                world.call(i, Call::Login(login_grant()));
            }
            1 => {
                world.server.logged_out_upto = world.server.families.len();
                world.call(i, if a & 16 == 16 { Call::LogoutAndRevoke } else { Call::Logout });
            }
            2..=4 => {
                let ready: Vec<usize> =
                    (0..world.agents.len()).filter(|&x| world.agents[x].wait == Wait::Ready).collect();
                if let Some(&x) = ready.get(usize::from(b) % ready.len().max(1)) {
                    world.advance(x, a / 8);
                }
            }
            5 => world.now += u64::from(b) * 1000,
            6 if a & 8 == 8 => world.fail_next_write = true,
            6 => {
                world.managers[i].deliver();
            }
            _ => world.lock_fails = a & 8 == 8,
        }
        world.check();
    }
    // Let every task finish without faults: none may hang or break an invariant.
    world.lock_fails = false;
    world.fail_next_write = false;
    for _ in 0..MAX_TASK_STEPS * 8 {
        let ready: Vec<usize> = (0..world.agents.len()).filter(|&x| world.agents[x].wait == Wait::Ready).collect();
        let Some(&x) = ready.first() else { break };
        world.advance(x, 0);
    }
    assert!(world.agents.iter().all(|a| a.wait == Wait::Finished), "a task never finished");
    assert!(world.holder.is_none(), "the lock is held with every task done");
    world.check();
});
