//! Host tests of the session core: the stored record, the refresh decision, and which
//! failures end a session.
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::session::{
    decode_record, encode_record, is_fresh, login_required, next, refresh_refused, storage_key, Next, Stored,
    TokenRecord,
};
use oauth2_wasm_core::{parse_token_response, ClientConfig, ErrorKind, OAuthError, ResponseContext, Secret};

fn client() -> ClientConfig {
    let mut c = ClientConfig::new("https://www.autovit.ro/api/open/oauth/token");
    c.client_id = Some(123u64.into());
    c.client_secret = Some("client-secret-never-stored".into());
    c
}

fn record(obtained_at: u64, lifetime_secs: Option<u64>, refresh: Option<&str>) -> TokenRecord {
    TokenRecord {
        access_token: Secret::new("at-1"),
        token_type: "bearer".into(),
        obtained_at,
        expires_at: lifetime_secs.map(|s| obtained_at + s * 1000),
        refresh_token: refresh.map(Secret::new),
        scope: Some("adverts-write read".into()),
    }
}

fn decode(text: &str, c: &ClientConfig) -> Stored {
    decode_record(Some(text), c)
}

#[test]
fn a_record_round_trips_and_holds_no_client_secret() {
    let c = client();
    let r = record(1_700_000_000_000, Some(43_200), Some("rt-1"));
    let text = encode_record(&r, &c);
    assert!(!text.contains("client-secret-never-stored"));
    assert_eq!(decode(&text, &c), Stored::Record(r));
    let no_expiry = record(5, None, None);
    assert_eq!(decode(&encode_record(&no_expiry, &c), &c), Stored::Record(no_expiry));
}

#[test]
fn corrupt_foreign_and_future_records_are_told_apart() {
    let c = client();
    assert_eq!(decode_record(None, &c), Stored::Absent);
    for corrupt in
        ["{", "null", "[1]", r#"{"v":1,"kind":"oauth2-wasm/token"}"#, r#"{"v":"1","kind":"oauth2-wasm/token"}"#]
    {
        assert_eq!(decode(corrupt, &c), Stored::Corrupt, "{corrupt}");
    }
    assert_eq!(decode(r#"{"theme":"dark"}"#, &c), Stored::Foreign);
    let text = encode_record(&record(1, Some(60), None), &c);
    let mut other = client();
    other.client_id = Some("124".into());
    assert_eq!(decode(&text, &other), Stored::Foreign, "another client's record");
    assert_eq!(decode(&text.replace("\"v\":1", "\"v\":2"), &c), Stored::Future);
    assert_eq!(decode(&text.replace("\"obtainedAt\":1", "\"obtainedAt\":-1"), &c), Stored::Corrupt);
}

#[test]
fn storage_keys_are_namespaced_by_endpoint_and_client() {
    let a = client();
    let mut b = client();
    b.client_id = Some("other".into());
    assert_ne!(storage_key(&a), storage_key(&b));
    assert_eq!(storage_key(&a), "oauth2-wasm:https://www.autovit.ro/api/open/oauth/token#123");
}

#[test]
fn the_default_skew_suits_olx_and_autograb_lifetimes() {
    let t0 = 1_000_000;
    // OLX: 43200 s. Used until 60 s before expiry, refreshed after.
    let olx = record(t0, Some(43_200), Some("rt"));
    assert_eq!(next(Some(&olx), t0 + (43_200 - 61) * 1000, None, false), Next::Use);
    assert_eq!(next(Some(&olx), t0 + (43_200 - 60) * 1000, None, false), Next::Refresh);
    // AutoGrab: 3599 s, no refresh token, client_credentials: re-acquired 60 s early.
    let autograb = record(t0, Some(3_599), None);
    assert_eq!(next(Some(&autograb), t0 + 3_538_000, None, true), Next::Use);
    assert_eq!(next(Some(&autograb), t0 + 3_539_000, None, true), Next::Reacquire);
    // A 30 s token is renewed 3 s early, not on every call.
    let short = record(t0, Some(30), None);
    assert_eq!(next(Some(&short), t0 + 26_000, None, true), Next::Use);
    assert_eq!(next(Some(&short), t0 + 27_000, None, true), Next::Reacquire);
    // An explicit skew is honoured, up to half the lifetime.
    assert_eq!(next(Some(&olx), t0 + (43_200 - 500) * 1000, Some(600), false), Next::Refresh);
    assert!(is_fresh(&short, t0, Some(3600)), "an oversized skew does not make a fresh token stale");
}

#[test]
fn without_a_refresh_token_or_a_grant_the_user_must_log_in() {
    let t0 = 0;
    assert_eq!(next(None, t0, None, false), Next::LoginRequired);
    assert_eq!(next(None, t0, None, true), Next::Reacquire);
    let expired = record(t0, Some(60), None);
    assert_eq!(next(Some(&expired), t0 + 61_000, None, false), Next::LoginRequired);
    let unknown_lifetime = record(t0, None, None);
    assert_eq!(next(Some(&unknown_lifetime), u64::MAX, None, false), Next::Use);
}

#[test]
fn only_a_refused_refresh_token_ends_a_session() {
    let cx = ResponseContext::at(0);
    let invalid_grant = parse_token_response(400, r#"{"error":"invalid_grant"}"#, &cx).unwrap_err();
    let invalid_refresh = parse_token_response(400, r#"{"error":"invalid_refresh"}"#, &cx).unwrap_err();
    assert!(refresh_refused(&invalid_grant) && refresh_refused(&invalid_refresh));
    for e in [
        parse_token_response(500, "", &cx).unwrap_err(),
        parse_token_response(502, "<html>", &cx).unwrap_err(),
        parse_token_response(401, r#"{"error":"invalid_client"}"#, &cx).unwrap_err(),
        parse_token_response(200, "{", &cx).unwrap_err(),
        OAuthError::new(ErrorKind::Network, "reset"),
        OAuthError::new(ErrorKind::Timeout, "slow"),
    ] {
        assert!(!refresh_refused(&e), "{e}");
    }
    let e = login_required(Some(&invalid_grant));
    assert_eq!((e.kind, e.error.as_deref()), (ErrorKind::LoginRequired, Some("invalid_grant")));
}

#[test]
fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let old = record(0, Some(60), Some("rt-old"));
    let cx = ResponseContext::at(1_000);
    let rotated = parse_token_response(
        200,
        r#"{"access_token":"b","token_type":"Bearer","expires_in":60,"refresh_token":"rt-new"}"#,
        &cx,
    )
    .unwrap();
    let kept = parse_token_response(200, r#"{"access_token":"c","token_type":"Bearer","expires_in":60}"#, &cx).unwrap();
    assert_eq!(TokenRecord::from_response(&rotated, 1_000, Some(&old)).refresh_token.unwrap().expose(), "rt-new");
    let r = TokenRecord::from_response(&kept, 1_000, Some(&old));
    assert_eq!((r.refresh_token.unwrap().expose(), r.scope.as_deref()), ("rt-old", Some("adverts-write read")));
}

#[test]
fn a_late_sibling_message_never_brings_back_an_older_record() {
    use oauth2_wasm_core::session::supersedes;
    let (old, new) = (record(1_000, Some(60), Some("rt-1")), record(2_000, Some(60), Some("rt-2")));
    assert!(supersedes(None, 0, &old));
    assert!(!supersedes(None, old.obtained_at + 1, &old), "not older than the last clear");
    assert!(supersedes(Some(&old), 0, &new));
    assert!(!supersedes(Some(&new), 0, &old));
}

#[test]
fn a_decoded_record_round_trips_even_with_numbers_past_2_pow_53() {
    // Found by the decode_record fuzzer: 19-digit numbers must read the same every time.
    let c = client();
    let text = encode_record(&record(1_700_000_000_000, Some(60), None), &c)
        .replace("\"obtainedAt\":1700000000000", "\"obtainedAt\":1123700012299999999");
    let Stored::Record(r) = decode(&text, &c) else { panic!("a record") };
    assert_eq!(decode(&encode_record(&r, &c), &c), Stored::Record(r));
}

#[test]
fn an_unsaved_record_is_written_again_only_over_what_the_store_held_or_an_older_record() {
    use oauth2_wasm_core::session::{may_rewrite, stale_after_logout};
    let c = client();
    let (old, mine, newer) = (
        record(1_000, Some(60), Some("rt-1")),
        record(2_000, Some(60), Some("rt-2")),
        record(3_000, Some(60), Some("rt-3")),
    );
    let (old_text, newer_text) = (encode_record(&old, &c), encode_record(&newer, &c));
    assert!(may_rewrite(Some(Some(&old_text)), Some(&old_text), Some(&mine), &c), "unchanged since the failure");
    assert!(may_rewrite(Some(None), None, Some(&mine), &c), "empty then, empty now");
    assert!(may_rewrite(Some(Some(&newer_text)), Some(&old_text), Some(&mine), &c), "a sibling's older record");
    assert!(!may_rewrite(Some(Some(&old_text)), Some(&newer_text), Some(&mine), &c), "a newer rotation");
    assert!(!may_rewrite(Some(Some(&old_text)), None, Some(&mine), &c), "a sibling's logout");
    let future = old_text.replace("\"v\":1", "\"v\":2");
    assert!(!may_rewrite(Some(Some(&old_text)), Some(&future), Some(&mine), &c), "a newer version's record");
    assert!(stale_after_logout(Some(&encode_record(&mine, &c)), 2_500, &c), "obtained before the logout");
    assert!(!stale_after_logout(Some(&newer_text), 2_500, &c), "a login after it");
    assert!(!stale_after_logout(None, 2_500, &c));
}

#[test]
fn only_bearer_tokens_are_sent_as_bearer() {
    use oauth2_wasm_core::session::bearer_only;
    let mut r = record(1_000, Some(60), None);
    for t in ["Bearer", "bearer", " BEARER "] {
        r.token_type = t.into();
        assert!(bearer_only(&r).is_ok(), "{t}");
    }
    for t in ["DPoP", "mac", ""] {
        r.token_type = t.into();
        assert_eq!(bearer_only(&r).unwrap_err().kind, ErrorKind::InvalidResponse, "{t}");
    }
}
