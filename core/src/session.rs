//! The token session, without I/O: the stored record and its codec, the refresh decision,
//! and what a failed refresh means for the session. The wasm side stores, locks and sends;
//! everything it decides comes from here.

use super::config::{ClientConfig, ClientId, Secret};
use super::encode::JsonObject;
use super::error::{ErrorKind, OAuthError};
use super::json::{self, Value};
use super::response::TokenSet;
use super::text::cat;
use crate::prelude::*;

/// The record format this library writes. Records with a higher `v` (another tab running a
/// newer version) are left untouched.
pub const RECORD_VERSION: u64 = 1;
/// `kind` of every record, so foreign values under the same key are recognised.
pub const RECORD_KIND: &str = "oauth2-wasm/token";
/// Refresh this long before expiry by default (seconds)…
pub const DEFAULT_SKEW_SECS: u64 = 60;
/// …but never more than this fraction of the token's lifetime (1/10), so short-lived tokens
/// are not refreshed on every call.
const SKEW_LIFETIME_DIVISOR: u64 = 10;
/// A token younger than this is used, not renewed again, whatever its lifetime: a server
/// that hands out tokens already expired (`expires_in: 0`, an `expires` in the past) gets
/// at most one renewal per second per session, not one per call.
pub const MIN_RENEW_INTERVAL_MS: u64 = 1_000;

/// The token data that is stored: never a client secret, password or partner secret.
#[derive(Clone, PartialEq)]
pub struct TokenRecord {
    /// `access_token`.
    pub access_token: Secret,
    /// `token_type`.
    pub token_type: String,
    /// When the token was obtained (ms since the epoch): the request's send time.
    pub obtained_at: u64,
    /// When it expires (ms since the epoch), if known.
    pub expires_at: Option<u64>,
    /// `refresh_token`.
    pub refresh_token: Option<Secret>,
    /// `scope` as granted.
    pub scope: Option<String>,
}

impl core::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .finish()
    }
}

impl TokenRecord {
    /// The record for a fresh token response obtained at `obtained_at`. When the response
    /// has no `refresh_token` or `scope`, those of `previous` are kept (RFC 6749 §6: the
    /// server may keep the refresh token unchanged).
    pub fn from_response(tokens: &TokenSet, obtained_at: u64, previous: Option<&TokenRecord>) -> Self {
        TokenRecord {
            access_token: tokens.access_token.clone(),
            token_type: tokens.token_type.clone(),
            obtained_at,
            expires_at: tokens.expires_at,
            refresh_token: tokens.refresh_token.clone().or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            scope: tokens.scope.clone().or_else(|| previous.and_then(|p| p.scope.clone())),
        }
    }

    /// The record as a [`TokenSet`] (its `raw` is empty: raw responses are not stored).
    pub fn to_token_set(&self) -> TokenSet {
        TokenSet {
            access_token: self.access_token.clone(),
            token_type: self.token_type.clone(),
            expires_in: self.expires_at.map(|at| at.saturating_sub(self.obtained_at) / 1000),
            expires_at: self.expires_at,
            refresh_token: self.refresh_token.clone(),
            scope: self.scope.clone(),
            raw: Value::Object(Vec::new()),
            quirks: Vec::new(),
        }
    }
}

/// The default storage key: namespaced by token endpoint and client id, so several
/// clients coexist in one storage.
pub fn storage_key(client: &ClientConfig) -> String {
    cat(&["oauth2-wasm:", &client.token_endpoint, "#", &client_id_text(client)])
}

/// The client id as stored in the record (a number as its digits).
fn client_id_text(client: &ClientConfig) -> String {
    client.client_id.as_ref().map(ClientId::text).unwrap_or_default()
}

/// Encodes a record for storage.
pub fn encode_record(record: &TokenRecord, client: &ClientConfig) -> String {
    let mut out = JsonObject::new();
    out.number("v", RECORD_VERSION)
        .string("kind", RECORD_KIND)
        .string("endpoint", &client.token_endpoint)
        .string("clientId", &client_id_text(client))
        .string("accessToken", record.access_token.expose())
        .string("tokenType", &record.token_type)
        .number("obtainedAt", record.obtained_at)
        .maybe_number("expiresAt", record.expires_at)
        .maybe_string("refreshToken", record.refresh_token.as_ref().map(|r| r.expose()))
        .maybe_string("scope", record.scope.as_deref());
    out.finish()
}

/// What was found under the storage key.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// Nothing.
    Absent,
    /// A usable record of this client.
    Record(TokenRecord),
    /// Not a record: not JSON, or a record missing its fields. Discarded.
    Corrupt,
    /// A record of another client or endpoint, or another application's value. Discarded.
    Foreign,
    /// A record of a newer format: left untouched, never overwritten.
    Future,
}

/// Reads what storage held under the key (`None`: nothing).
pub fn decode_record(text: Option<&str>, client: &ClientConfig) -> Stored {
    let Some(text) = text else {
        return Stored::Absent;
    };
    let Some(v @ Value::Object(_)) = super::json::parse(text) else {
        return Stored::Corrupt;
    };
    let v = &v;
    if v.field("kind").and_then(Value::as_str) != Some(RECORD_KIND) {
        return Stored::Foreign;
    }
    let version = match v.field("v") {
        Some(Value::Number(n)) if *n >= 1.0 && json::is_whole(*n) => *n as u64,
        _ => return Stored::Corrupt,
    };
    if version > RECORD_VERSION {
        return Stored::Future;
    }
    let (Some(endpoint), Some(client_id)) =
        (v.field("endpoint").and_then(Value::as_str), v.field("clientId").and_then(Value::as_str))
    else {
        return Stored::Corrupt;
    };
    if endpoint != client.token_endpoint || client_id != client_id_text(client) {
        return Stored::Foreign;
    }
    let text_field = |k: &str| v.field(k).and_then(Value::as_str).map(str::to_owned);
    let number = |k: &str| match v.field(k) {
        Some(Value::Number(n)) if *n >= 0.0 && json::is_whole(*n) => Some(*n as u64),
        _ => None,
    };
    let (Some(access_token), Some(token_type), Some(obtained_at)) =
        (text_field("accessToken").filter(|t| header_safe(t)), text_field("tokenType"), number("obtainedAt"))
    else {
        return Stored::Corrupt;
    };
    if v.field("expiresAt").is_some() && number("expiresAt").is_none() {
        return Stored::Corrupt;
    }
    Stored::Record(TokenRecord {
        access_token: Secret::new(access_token),
        token_type,
        obtained_at,
        expires_at: number("expiresAt"),
        refresh_token: text_field("refreshToken").filter(|t| !t.is_empty()).map(Secret::new),
        scope: text_field("scope"),
    })
}

/// Whether a stored token could have come from a server: printable ASCII (RFC 6749 A.12),
/// as the parser requires, so a tampered record cannot inject into `Authorization`.
fn header_safe(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// What the manager must do to hand out an access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The stored access token is good.
    Use,
    /// Send the `refresh_token` grant.
    Refresh,
    /// Get a new token with the manager's own grant (client_credentials).
    Reacquire,
    /// Nothing left to try without the user.
    LoginRequired,
}

/// How long before expiry a token is renewed: `skew_secs` when the caller set it, else
/// [`DEFAULT_SKEW_SECS`]; never more than a tenth of the token's lifetime (half of it
/// when set explicitly), so a short-lived token is not renewed on every call.
pub fn effective_skew_ms(record: &TokenRecord, skew_secs: Option<u64>) -> u64 {
    let lifetime = record.expires_at.map_or(0, |at| at.saturating_sub(record.obtained_at));
    match skew_secs {
        Some(s) => s.saturating_mul(1000).min(lifetime / 2),
        None => (DEFAULT_SKEW_SECS * 1000).min(lifetime / SKEW_LIFETIME_DIVISOR),
    }
}

/// The refresh decision, from the clock alone: no timers. A token with no known lifetime
/// is used until a 401 says otherwise; a token obtained less than
/// [`MIN_RENEW_INTERVAL_MS`] ago is used too.
pub fn next(record: Option<&TokenRecord>, now: u64, skew_secs: Option<u64>, can_reacquire: bool) -> Next {
    match record {
        None => renewal(None, can_reacquire),
        Some(r) => match fresh_until(r, skew_secs) {
            Some(until) if now >= until => renewal(Some(r), can_reacquire),
            _ => Next::Use,
        },
    }
}

/// Until when (ms, exclusive) the record's access token is handed out as it is — the
/// refresh skew before expiry, but at least [`MIN_RENEW_INTERVAL_MS`] after it was
/// obtained; `None`: no known lifetime, handed out until a 401 says otherwise. A driver may
/// keep the token and this instant, and hand the token out while its clock is before it.
pub fn fresh_until(record: &TokenRecord, skew_secs: Option<u64>) -> Option<u64> {
    let at = record.expires_at?;
    Some(
        at.saturating_sub(effective_skew_ms(record, skew_secs))
            .max(record.obtained_at.saturating_add(MIN_RENEW_INTERVAL_MS)),
    )
}

/// Whether a record another tab or process wrote should replace `current`. Storage events
/// and broadcasts are not ordered with each other, so a late message must not bring back a
/// record older than the one held — nor one older than this tab's last clear
/// (`cleared_at`, ms; 0 if never), which would bring back a logged-out session.
pub fn supersedes(current: Option<&TokenRecord>, cleared_at: u64, incoming: &TokenRecord) -> bool {
    incoming.obtained_at >= cleared_at && current.is_none_or(|c| incoming.obtained_at >= c.obtained_at)
}

/// Whether a record left unsaved by a failed write may be written over what the store
/// holds now: only when the store still holds what it held before (`known`, the text of
/// the last successful read or write; `None` when not known, then only over nothing), or a
/// record older than `mine` (a sibling that did not see the rotation). Anything else — a
/// newer rotation, a logout, a newer version's record — is a sibling's change to adopt.
pub fn may_rewrite(
    known: Option<Option<&str>>,
    now: Option<&str>,
    mine: Option<&TokenRecord>,
    client: &ClientConfig,
) -> bool {
    let untouched = known.map_or(now.is_none(), |k| k == now);
    let older = match decode_record(now, client) {
        Stored::Record(r) => mine.is_some_and(|m| m.obtained_at > r.obtained_at),
        _ => false,
    };
    untouched || older
}

/// Whether a logged-out manager (`cleared_at`) should remove what the store holds now: a
/// record a sibling's renewal, begun before the logout, stored after it. A newer one — a
/// login — stays.
pub fn stale_after_logout(now: Option<&str>, cleared_at: u64, client: &ClientConfig) -> bool {
    matches!(decode_record(now, client), Stored::Record(r) if !supersedes(None, cleared_at, &r))
}

/// Refuses a token of a type other than Bearer where a Bearer token is sent (RFC 6749
/// §7.1; RFC 9700 §4.10: a DPoP token must never be downgraded).
pub fn bearer_only(record: &TokenRecord) -> Result<(), OAuthError> {
    scheme(record, false).map(|_| ())
}

/// The scheme `record`'s access token is sent to a resource with (`dpop`: the manager
/// holds a DPoP key): `Bearer`, or `DPoP` with a proof (RFC 9449 §7.1). A DPoP token is
/// never downgraded to Bearer (RFC 9700 §4.10); a Bearer token the server issued although
/// proofs were sent is not bound, and goes as Bearer. Any other type is refused.
pub fn scheme(record: &TokenRecord, dpop: bool) -> Result<&'static str, OAuthError> {
    let kind = record.token_type.trim();
    if kind.eq_ignore_ascii_case("bearer") {
        return Ok("Bearer");
    }
    if dpop && kind.eq_ignore_ascii_case("dpop") {
        return Ok("DPoP");
    }
    let message = cat(&[
        "the server issued a token of type \"",
        &super::response::excerpt(&record.token_type),
        if dpop {
            "\"; manager.fetch sends Bearer and DPoP tokens only: use getAccessToken() and build the request yourself"
        } else {
            "\"; without a DPoP key manager.fetch only sends Bearer tokens: use dpop: true for DPoP tokens, or \
             getAccessToken() and build the request yourself"
        },
    ]);
    Err(OAuthError::new(ErrorKind::InvalidResponse, message))
}

/// What renewing means for `record`, fresh or not (an explicit refresh, or after a 401):
/// the refresh token if there is one, else the manager's own grant, else the user.
pub fn renewal(record: Option<&TokenRecord>, can_reacquire: bool) -> Next {
    if record.is_some_and(|r| r.refresh_token.is_some()) {
        Next::Refresh
    } else if can_reacquire {
        Next::Reacquire
    } else {
        Next::LoginRequired
    }
}

/// Whether a record is still good at `now` (same rule as [`next`] returning `Use`).
pub fn is_fresh(record: &TokenRecord, now: u64, skew_secs: Option<u64>) -> bool {
    next(Some(record), now, skew_secs, false) == Next::Use
}

/// Whether a failed refresh means the server refused the refresh token — the only
/// failure that ends a session (`invalid_grant`; Teen Quotes says `invalid_refresh`).
/// Network, CORS, timeout, 5xx and everything else keep the tokens.
pub fn refresh_refused(e: &OAuthError) -> bool {
    e.kind == ErrorKind::OAuth && matches!(e.error.as_deref(), Some("invalid_grant" | "invalid_refresh"))
}

/// The `login_required` error that replaces a refused refresh, keeping the server's words.
pub fn login_required(cause: Option<&OAuthError>) -> OAuthError {
    let mut e = OAuthError::new(
        ErrorKind::LoginRequired,
        match cause {
            Some(_) => "the server refused the refresh token: log in again",
            None => "no usable tokens and no grant to get new ones: log in first",
        },
    );
    if let Some(c) = cause {
        e.status = c.status;
        e.error = c.error.clone();
        e.error_description = c.error_description.clone();
        e.human_title = c.human_title.clone();
        e.human_message = c.human_message.clone();
    }
    e
}
