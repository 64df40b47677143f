//! The session's locking decisions (`core::lock`): which lock a renewal runs under, what
//! follows when it is not granted, what a logout waits for.

use oauth2_wasm_core::lock::{lock_wait_ms, LockPlan, LockResult, LockStep, Locks, LOCK_GRACE_MS};
use oauth2_wasm_core::transport::{DEFAULT_TIMEOUT_MS, MAX_TIMER_MS};

const ADAPTER: Locks = Locks { adapter: true, web_locks: true, shared: true };
const TABS: Locks = Locks { adapter: false, web_locks: true, shared: true };
const ALONE: Locks = Locks { adapter: false, web_locks: true, shared: false };
const NO_LOCKS: Locks = Locks { adapter: false, web_locks: false, shared: true };

#[test]
fn a_held_lock_is_waited_for_the_request_limit_and_a_grace_within_the_longest_timer() {
    assert_eq!(lock_wait_ms(None), DEFAULT_TIMEOUT_MS + LOCK_GRACE_MS);
    assert_eq!(lock_wait_ms(Some(1_000)), 1_000 + LOCK_GRACE_MS);
    assert_eq!(lock_wait_ms(Some(u32::MAX)), MAX_TIMER_MS);
}

#[test]
fn an_adapter_lock_comes_first_and_a_failing_one_is_reported_then_skipped() {
    for result in [LockResult::NotGranted, LockResult::TimedOut, LockResult::Failed] {
        let mut plan = LockPlan::new(ADAPTER, Some(2_000));
        assert_eq!(plan.step(), LockStep::Adapter { ms: 2_000 + LOCK_GRACE_MS });
        assert_eq!(plan.next(result), LockStep::Without { contended: false, unlocked: true, lock_failed: true });
    }
}

#[test]
fn tabs_try_the_web_lock_without_waiting_then_wait_boundedly_then_renew_without_it_rechecking() {
    let mut plan = LockPlan::new(TABS, None);
    assert_eq!(plan.step(), LockStep::TryWebLock);
    assert_eq!(plan.next(LockResult::NotGranted), LockStep::WaitWebLock { ms: lock_wait_ms(None) });
    let without = LockStep::Without { contended: true, unlocked: false, lock_failed: false };
    assert_eq!(plan.next(LockResult::NotGranted), without);
    assert_eq!(plan.next(LockResult::Failed), without, "it stays");
    // A Web Lock a sibling still holds when the wait runs out (a throttled background tab
    // refreshing): renew without it, but send no refresh token — the sibling may be sending
    // the same one.
    let mut plan = LockPlan::new(TABS, None);
    plan.next(LockResult::NotGranted);
    assert_eq!(
        plan.next(LockResult::TimedOut),
        LockStep::Without { contended: true, unlocked: true, lock_failed: false }
    );
    // A quick ask that throws still waits: a sibling may be renewing.
    let mut plan = LockPlan::new(TABS, None);
    assert!(matches!(plan.next(LockResult::Failed), LockStep::WaitWebLock { .. }));
}

#[test]
fn a_store_no_sibling_shares_or_a_runtime_without_locks_renews_without_one() {
    for locks in [ALONE, NO_LOCKS, Locks::default()] {
        let without = LockStep::Without { contended: false, unlocked: false, lock_failed: false };
        assert_eq!(LockPlan::new(locks, None).step(), without);
    }
}

#[test]
fn a_logout_waits_for_the_siblings_lock_only_where_a_sibling_can_hold_one() {
    let ms = lock_wait_ms(Some(500));
    assert_eq!(LockPlan::after_logout(ADAPTER, Some(500)), Some(LockStep::Adapter { ms }));
    assert_eq!(LockPlan::after_logout(TABS, Some(500)), Some(LockStep::WaitWebLock { ms }));
    assert_eq!(LockPlan::after_logout(ALONE, Some(500)), None);
    assert_eq!(LockPlan::after_logout(NO_LOCKS, Some(500)), None);
}

#[test]
fn the_adapter_lock_report_names_the_cause_and_the_way_on() {
    let e = oauth2_wasm_core::lock::adapter_lock_failed("it did not call its function");
    assert_eq!(e.kind, oauth2_wasm_core::ErrorKind::Storage);
    assert_eq!(
        e.message,
        "the storage adapter's lock() failed (it did not call its function); no refresh token is sent without it"
    );
}
