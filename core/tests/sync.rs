//! Host tests of `sync::Session`: one manager's session kept in step with a store that
//! siblings share — what it adopts, what it writes and when not, what a failed write
//! leaves to do — driven with a fake clock and simulated siblings' writes.
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::session::{encode_record, TokenRecord};
use oauth2_wasm_core::sync::{Adopted, AfterRejection, Rewrite, Session};
use oauth2_wasm_core::{ClientConfig, ErrorKind, Secret};

fn client() -> ClientConfig {
    let mut c = ClientConfig::new("https://as.example/token");
    c.client_id = Some("c".into());
    c
}

fn record(access: &str, obtained_at: u64) -> TokenRecord {
    TokenRecord {
        access_token: Secret::new(access),
        token_type: "Bearer".into(),
        obtained_at,
        expires_at: Some(obtained_at + 3_600_000),
        refresh_token: Some(Secret::new(format!("rt-{access}"))),
        scope: None,
    }
}

fn text(r: &TokenRecord) -> String {
    encode_record(r, &client())
}

/// A session loaded from a store holding `r`.
fn loaded_with(r: &TokenRecord) -> Session {
    let mut s = Session::new();
    assert_eq!(s.loaded(Some(&text(r)), &client()), Adopted::Unchanged);
    s
}

fn access(s: &Session) -> Option<&str> {
    s.record().map(|r| r.access_token.expose())
}

#[test]
fn the_first_read_is_taken_once_and_a_late_second_one_is_ignored() {
    let c = client();
    let mut s = Session::new();
    assert!(!s.is_loaded());
    assert_eq!(s.fresh_token(1_000, None), None, "nothing is handed out before the store is known");
    s.loaded(Some(&text(&record("a", 1_000))), &c);
    assert_eq!(access(&s), Some("a"));
    assert_eq!(s.fresh_token(2_000, None).map(|r| r.access_token.expose()), Some("a"));
    s.loaded(Some(&text(&record("late", 5_000))), &c);
    assert_eq!(access(&s), Some("a"), "a first read that finished late is not adopted");
    assert_eq!((s.changes(), s.generation()), (0, 0));
}

#[test]
fn a_siblings_newer_record_is_adopted_and_an_older_one_is_not() {
    let c = client();
    let mut s = loaded_with(&record("a", 1_000));
    assert_eq!(s.adopt(Some(&text(&record("b", 2_000))), true, &c), Adopted::Changed);
    assert_eq!((access(&s), s.changes()), (Some("b"), 1));
    assert_eq!(s.adopt(Some(&text(&record("old", 1_500))), true, &c), Adopted::Unchanged, "a late, older write");
    assert_eq!(s.adopt(Some(&text(&record("b", 2_000))), true, &c), Adopted::Unchanged, "the same record again");
    assert_eq!((access(&s), s.changes()), (Some("b"), 1));
}

#[test]
fn a_siblings_clear_ends_the_session_and_no_late_record_of_before_brings_it_back() {
    let c = client();
    let mut s = loaded_with(&record("a", 1_000));
    assert_eq!(s.adopt(None, true, &c), Adopted::Changed);
    assert_eq!((access(&s), s.generation(), s.changes()), (None, 1, 1));
    // A renewal's write that began before the clear arrives late: not adopted.
    assert_eq!(s.adopt(Some(&text(&record("a", 1_000))), true, &c), Adopted::Unchanged);
    assert_eq!(access(&s), None);
    // A login after the clear is.
    assert_eq!(s.adopt(Some(&text(&record("login", 1_001))), true, &c), Adopted::Changed);
    assert_eq!(access(&s), Some("login"));
}

#[test]
fn an_unusable_stored_value_is_reported_once_and_a_newer_versions_record_is_never_written() {
    let c = client();
    let mut s = Session::new();
    let Adopted::Discarded(e) = s.loaded(Some("{not json"), &c) else { panic!("corrupt is reported") };
    assert_eq!(e.kind, ErrorKind::Storage);
    assert_eq!(s.adopt(Some("{not json"), true, &c), Adopted::Unchanged, "the same value once");
    assert!(matches!(s.adopt(Some("[]"), true, &c), Adopted::Discarded(_)), "another value again");
    let future = text(&record("x", 1)).replace("\"v\":1", "\"v\":99");
    assert!(matches!(s.adopt(Some(&future), true, &c), Adopted::Discarded(_)));
    // Frozen: the session lives in memory, the newer version's record stays as it is.
    assert_eq!(s.commit(Some(record("mine", 5)), true, 5, &c), None, "nothing is written over it");
    assert_eq!(access(&s), Some("mine"));
    // Once a usable record replaces it, writing resumes.
    s.adopt(Some(&text(&record("b", 10))), true, &c);
    assert_eq!(s.commit(Some(record("c", 11)), false, 11, &c), Some(Some(text(&record("c", 11)))));
}

#[test]
fn commits_write_the_record_count_generations_and_mark_the_clear() {
    let c = client();
    let mut s = Session::new();
    assert_eq!(s.commit(Some(record("a", 1)), true, 1, &c), Some(Some(text(&record("a", 1)))));
    assert!(s.is_loaded(), "a commit makes the store's content known");
    assert_eq!(s.generation(), 1);
    assert_eq!(s.commit(Some(record("b", 2)), false, 2, &c), Some(Some(text(&record("b", 2)))), "a refresh");
    assert_eq!(s.generation(), 1);
    assert_eq!(s.commit(None, true, 3_000, &c), Some(None), "a logout removes the key");
    assert_eq!((access(&s), s.generation()), (None, 2));
    // After the logout, a sibling's record obtained before it is stale and removed …
    assert!(s.stale_after_logout(Some(&text(&record("sibling", 2_999))), &c));
    // … one obtained after it (a login elsewhere) stays, and so does nothing.
    assert!(!s.stale_after_logout(Some(&text(&record("login", 3_000))), &c));
    assert!(!s.stale_after_logout(None, &c));
}

#[test]
fn a_failed_write_is_written_again_over_what_the_store_held_but_never_over_a_siblings_change() {
    let c = client();
    let old = record("a", 1_000);
    let mine = record("b", 2_000);
    // The write of a rotation fails: the record waits, and is not handed out on the hot path.
    let mut s = loaded_with(&old);
    s.commit(Some(mine.clone()), false, 2_000, &c);
    s.write_failed();
    assert!(s.is_unsaved());
    assert_eq!(s.fresh_token(2_500, None), None, "the slow way: written again first");
    // The store still holds what it held: written again.
    assert_eq!(s.rewrite(Some(&text(&old)), &c), Rewrite::Write(Some(text(&mine))));
    s.written(Some(text(&mine)));
    assert!(!s.is_unsaved());

    // A sibling rotated meanwhile (a newer record): adopted, not overwritten.
    let mut s = loaded_with(&old);
    s.commit(Some(mine.clone()), false, 2_000, &c);
    s.write_failed();
    let newer = record("sibling", 3_000);
    assert_eq!(s.rewrite(Some(&text(&newer)), &c), Rewrite::Adopted(Adopted::Changed));
    assert_eq!((access(&s), s.is_unsaved()), (Some("sibling"), false));

    // A sibling logged out meanwhile: the logout stands.
    let mut s = loaded_with(&old);
    s.commit(Some(mine.clone()), false, 2_000, &c);
    s.write_failed();
    assert_eq!(s.rewrite(None, &c), Rewrite::Adopted(Adopted::Changed));
    assert_eq!(access(&s), None);

    // A sibling that did not see the rotation wrote an older record: written over.
    let mut s = loaded_with(&old);
    s.commit(Some(mine.clone()), false, 2_000, &c);
    s.write_failed();
    assert_eq!(s.rewrite(Some(&text(&record("older", 1_500))), &c), Rewrite::Write(Some(text(&mine))));
}

#[test]
fn an_empty_store_after_a_failed_first_write_is_not_a_siblings_logout() {
    let c = client();
    let mut s = Session::new();
    s.loaded(None, &c);
    s.commit(Some(record("a", 1)), true, 1, &c);
    s.write_failed();
    // A sibling's notice that the key is empty: it always was; the session stays.
    assert_eq!(s.adopt(None, true, &c), Adopted::Unchanged);
    assert_eq!(access(&s), Some("a"));
    assert_eq!(s.rewrite(None, &c), Rewrite::Write(Some(text(&record("a", 1)))));
}

#[test]
fn a_store_replaced_by_memory_is_known() {
    let mut s = Session::new();
    s.store_replaced();
    assert!(s.is_loaded());
    assert_eq!(s.fresh_token(0, None), None);
}

#[test]
fn issue13_4_renewals_caused_by_401s_are_spaced_out() {
    let c = client();
    let mut s = loaded_with(&record("a", 1_000));
    // The first 401 renews (the token may have been revoked) …
    assert_eq!(s.after_rejection("a", 1_100), AfterRejection::Renew);
    s.commit(Some(record("b", 1_200)), false, 1_200, &c);
    // … an API that refuses every token does not make every call renew: within a second
    // of the last such renewal, the 401 goes to the caller.
    for now in [1_300, 1_500, 2_099] {
        assert_eq!(s.after_rejection("b", now), AfterRejection::Answer, "{now}");
    }
    assert_eq!(s.after_rejection("b", 2_100), AfterRejection::Renew, "a second later");
    // A token a sibling renewed meanwhile is retried, whatever the spacing.
    s.adopt(Some(&text(&record("c", 2_200))), true, &c);
    assert_eq!(s.after_rejection("b", 2_300), AfterRejection::Retry(record("c", 2_200)));
}
