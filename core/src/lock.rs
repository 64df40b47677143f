//! Which lock a renewal runs under, and what a driver does when it cannot get it: the
//! session's locking decisions, sans I/O. A driver says which locks exist; the plan names
//! the lock to ask for ([`LockStep`]); the driver asks, reports how that ended
//! ([`LockResult`]), and the plan names the next step, until the renewal has run inside a
//! lock or is to run without one.
//!
//! The order: a storage adapter's own `lock(name, fn)` when it has one (it guards the
//! store other processes share; it is waited for as long as it takes, within the bound
//! below); else, where siblings share the store and the runtime has Web Locks, the Web Lock
//! first without waiting (granted: no sibling is renewing), then waited for at most
//! [`lock_wait_ms`] (a sibling is renewing: re-check what it stored before renewing); a lock
//! that fails or is never let go does not break the call — the renewal runs without it,
//! and sends no refresh token without a lock a sibling may be holding: the adapter's (issue
//! 19: two processes refreshing at once with one rotating token log everyone out), or a Web
//! Lock a sibling tab did not let go within the bound (a background tab whose timers the
//! browser throttles can hold it that long while its own refresh is under way). Only a Web
//! Lock that fails outright (a broken implementation: no sibling holds it) is done without.

use crate::error::{ErrorKind, OAuthError};
use crate::text::cat;
use crate::transport::{timer_ms, DEFAULT_TIMEOUT_MS};

/// What a held lock is waited for beyond the request time limit: the holder's own
/// request takes up to that limit, then it stores its answer.
pub const LOCK_GRACE_MS: u32 = 5_000;

/// How long a held lock is waited for: the request time limit (`timeout_ms`, else the
/// default) and [`LOCK_GRACE_MS`], within the longest timer.
pub fn lock_wait_ms(timeout_ms: Option<u32>) -> u32 {
    timer_ms(timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).saturating_add(LOCK_GRACE_MS))
}

/// The locks a driver can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Locks {
    /// The storage adapter has a `lock(name, fn)`.
    pub adapter: bool,
    /// The runtime has Web Locks (`navigator.locks`).
    pub web_locks: bool,
    /// Siblings (tabs, processes) share the store.
    pub shared: bool,
}

/// The lock to ask for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStep {
    /// The adapter's `lock(name, fn)`, waited for at most `ms`.
    Adapter {
        /// The bound on the wait.
        ms: u32,
    },
    /// The Web Lock, only if it is free now (`ifAvailable`).
    TryWebLock,
    /// The Web Lock, waited for at most `ms`; the renewal inside re-checks what the sibling
    /// that held it stored.
    WaitWebLock {
        /// The bound on the wait.
        ms: u32,
    },
    /// No lock: renew without one.
    Without {
        /// A sibling held the lock until the wait ran out: re-check before renewing.
        contended: bool,
        /// A sibling may hold the lock: renew without sending a refresh token
        /// (`renewal::Setup::unlocked`).
        unlocked: bool,
        /// The adapter's lock failed: the driver reports it (a `storage` event).
        lock_failed: bool,
    },
}

/// How asking for a lock ended when the renewal did not run inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockResult {
    /// The lock was not granted (held by a sibling, when asked for only if free), or the
    /// request settled without calling back.
    NotGranted,
    /// Nothing happened within the bound: a sibling holds the lock, or the lock hangs.
    TimedOut,
    /// Asking threw or rejected.
    Failed,
}

/// One renewal's way to its lock.
#[derive(Debug, Clone)]
pub struct LockPlan {
    step: LockStep,
    wait_ms: u32,
}

impl LockPlan {
    /// The plan for the locks there are and the request time limit.
    pub fn new(locks: Locks, timeout_ms: Option<u32>) -> LockPlan {
        let wait_ms = lock_wait_ms(timeout_ms);
        let step = match locks {
            Locks { adapter: true, .. } => LockStep::Adapter { ms: wait_ms },
            Locks { web_locks: true, shared: true, .. } => LockStep::TryWebLock,
            _ => LockStep::Without { contended: false, unlocked: false, lock_failed: false },
        };
        LockPlan { step, wait_ms }
    }

    /// The lock to ask for now.
    pub fn step(&self) -> LockStep {
        self.step
    }

    /// How long any lock asked for may take to call back or settle ([`lock_wait_ms`]).
    pub fn wait_ms(&self) -> u32 {
        self.wait_ms
    }

    /// The renewal did not run inside the lock asked for: the next step.
    pub fn next(&mut self, result: LockResult) -> LockStep {
        self.step = match (self.step, result) {
            (LockStep::Adapter { .. }, _) => LockStep::Without { contended: false, unlocked: true, lock_failed: true },
            // Not free now, or the quick ask failed: a sibling may be renewing; wait for it.
            (LockStep::TryWebLock, _) => LockStep::WaitWebLock { ms: self.wait_ms },
            // Still held when the wait ran out: the sibling's refresh may be under way.
            (LockStep::WaitWebLock { .. }, LockResult::TimedOut) => {
                LockStep::Without { contended: true, unlocked: true, lock_failed: false }
            }
            (LockStep::WaitWebLock { .. }, _) => {
                LockStep::Without { contended: true, unlocked: false, lock_failed: false }
            }
            (done @ LockStep::Without { .. }, _) => done,
        };
        self.step
    }

    /// After a logout: the lock to wait for, taken and let go at once, before clearing
    /// again what a sibling's renewal under way stored — `None` when no sibling can be
    /// renewing under one (then there is nothing to wait for).
    pub fn after_logout(locks: Locks, timeout_ms: Option<u32>) -> Option<LockStep> {
        let ms = lock_wait_ms(timeout_ms);
        match locks {
            Locks { shared: false, .. } => None,
            Locks { adapter: true, .. } => Some(LockStep::Adapter { ms }),
            Locks { web_locks: true, .. } => Some(LockStep::WaitWebLock { ms }),
            _ => None,
        }
    }
}

/// The `storage` event's error when the adapter's lock failed (`why`: how): the renewal
/// goes on without it, but sends no refresh token (`renewal::Setup::unlocked`).
pub fn adapter_lock_failed(why: &str) -> OAuthError {
    OAuthError::new(
        ErrorKind::Storage,
        cat(&["the storage adapter's lock() failed (", why, "); no refresh token is sent without it"]),
    )
}
