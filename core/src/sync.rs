//! The session as one manager holds it, kept in step with a store that siblings (tabs,
//! processes) share — without I/O. The driver reads and writes the store and hears
//! siblings; every decision about what that means is made here: which record to adopt,
//! when a sibling's clear ends the session, what to write and when not to, what a failed
//! write leaves to do, when a logged-out manager removes a sibling's late write.
//!
//! Events come in as method calls (`loaded`, `adopt`, `commit`, `written`, …); what the
//! driver must do comes back as values ([`Adopted`], [`Rewrite`], the text to write). The
//! renewal itself is [`crate::renewal`], which reads [`Session::record`] and
//! [`Session::generation`].

use super::config::ClientConfig;
use super::error::{ErrorKind, OAuthError};
use super::session::{self, decode_record, encode_record, is_fresh, Stored, TokenRecord, MIN_RENEW_INTERVAL_MS};
use crate::prelude::*;
use alloc::boxed::Box;

/// What adopting a stored value changed, for the driver to tell its listeners.
#[derive(Debug, PartialEq)]
pub enum Adopted {
    /// Nothing a listener needs to hear.
    Unchanged,
    /// A sibling's change was taken: a new record, or the session cleared elsewhere.
    Changed,
    /// The stored value is unusable (corrupt, another client's, a newer version's) and was
    /// not reported before: report this error (reason "discarded").
    Discarded(Box<OAuthError>),
}

/// What to do with a record a failed write left unsaved, given what the store holds now.
#[derive(Debug, PartialEq)]
pub enum Rewrite {
    /// Write this text (the record, or `None` to remove the key).
    Write(Option<String>),
    /// A sibling changed the store meanwhile: its change was adopted instead.
    Adopted(Adopted),
}

/// What to do after a resource refused the access token with 401.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterRejection {
    /// The session holds another token already (a sibling renewed): retry with it.
    Retry(TokenRecord),
    /// Renew, then retry.
    Renew,
    /// Hand the 401 to the caller: a renewal caused by a 401 ran less than
    /// [`MIN_RENEW_INTERVAL_MS`] ago. A resource that refuses every token must not make the
    /// session renew on every call: such renewals are spaced like those of tokens that
    /// arrive expired, at most one a second.
    Answer,
}

/// One manager's session and what it knows of the shared store.
#[derive(Debug, Default)]
pub struct Session {
    record: Option<TokenRecord>,
    /// The store has been read (or written) once: its record, if any, is known.
    loaded: bool,
    /// A newer library version's record sits under the key: never write it.
    frozen: bool,
    /// The unusable stored value last reported, so it is reported once.
    discarded: Option<String>,
    /// When the record was last cleared here (ms): a sibling's older record arriving late
    /// must not bring the session back.
    cleared_at: u64,
    /// A write to a shared adapter failed: the record is written again by the next renewal.
    unsaved: bool,
    /// What the store held after the last successful read on load or write (`None`: not
    /// known). A record left unsaved is written again only over this, so a sibling's
    /// change made meanwhile — a rotation, a logout — is never overwritten.
    known: Option<Option<String>>,
    /// Counts logins, logouts, sessions ended and clears seen from siblings: a renewal
    /// begun in one generation does not carry its answer into the next.
    generation: u64,
    /// Counts changes adopted from siblings: a renewal waiting for a sibling's write ends
    /// its wait when this moves.
    changes: u64,
    /// When a resource's 401 last caused a renewal (ms).
    renewed_after_rejection: Option<u64>,
}

impl Session {
    /// A session whose store has not been read yet.
    pub fn new() -> Self {
        Session::default()
    }

    /// The current record.
    pub fn record(&self) -> Option<&TokenRecord> {
        self.record.as_ref()
    }

    /// Whether the store's content is known (read once, or written).
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// See the field: logins, logouts, ends and siblings' clears.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// How many sibling changes were adopted.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Whether a record waits to be written again after a failed write.
    pub fn is_unsaved(&self) -> bool {
        self.unsaved
    }

    /// The access token when it can be handed out with no I/O at all: the store is known,
    /// nothing waits to be written again, and the record is fresh at `now`.
    pub fn fresh_token(&self, now: u64, skew_secs: Option<u64>) -> Option<&TokenRecord> {
        if !self.loaded || self.unsaved {
            return None;
        }
        self.record.as_ref().filter(|r| is_fresh(r, now, skew_secs))
    }

    /// The first read of the store (`text`: what it held). A second first read — one that
    /// finished after a write made it stale — is ignored.
    pub fn loaded(&mut self, text: Option<&str>, client: &ClientConfig) -> Adopted {
        if self.loaded {
            return Adopted::Unchanged;
        }
        self.loaded = true;
        let adopted = self.adopt(text, false, client);
        self.known = Some(text.map(str::to_owned));
        adopted
    }

    /// The store could not be used at all and is replaced by memory: its content is what
    /// this session holds.
    pub fn store_replaced(&mut self) {
        self.loaded = true;
    }

    /// Takes what the store (or a sibling's message) holds as the current record.
    /// `external` marks a change made elsewhere, which listeners hear about.
    pub fn adopt(&mut self, text: Option<&str>, external: bool, client: &ClientConfig) -> Adopted {
        match decode_record(text, client) {
            Stored::Record(r) => {
                self.frozen = false;
                let stale = external && !session::supersedes(self.record.as_ref(), self.cleared_at, &r);
                if stale || self.record.as_ref() == Some(&r) {
                    return Adopted::Unchanged;
                }
                self.record = Some(r);
                if external {
                    self.changes += 1;
                    return Adopted::Changed;
                }
                Adopted::Unchanged
            }
            // The store was empty when a write failed: its emptiness is not a sibling's logout.
            Stored::Absent if external && self.unsaved && self.known == Some(None) => Adopted::Unchanged,
            Stored::Absent => {
                self.frozen = false;
                let Some(had) = self.record.take() else { return Adopted::Unchanged };
                // Records not newer than the one cleared elsewhere are stale from now on
                // (the sibling's clock and when it logged out are unknown here).
                self.cleared_at = self.cleared_at.max(had.obtained_at.saturating_add(1));
                if !external {
                    return Adopted::Unchanged;
                }
                self.changes += 1;
                self.generation += 1;
                Adopted::Changed
            }
            Stored::Corrupt | Stored::Foreign | Stored::Future if self.already_reported(text) => Adopted::Unchanged,
            Stored::Corrupt | Stored::Foreign => Adopted::Discarded(Box::new(OAuthError::new(
                ErrorKind::Storage,
                "the stored token record is corrupt or belongs to another client; it is ignored",
            ))),
            Stored::Future => {
                self.frozen = true;
                Adopted::Discarded(Box::new(OAuthError::new(
                    ErrorKind::Storage,
                    "the stored token record was written by a newer version of oauth2-wasm; it is left untouched and \
                     tokens are kept in memory",
                )))
            }
        }
    }

    /// Whether this unusable stored value was reported already (and remembers it if not).
    fn already_reported(&mut self, text: Option<&str>) -> bool {
        let seen = self.discarded.as_deref() == text;
        self.discarded = text.map(str::to_owned);
        seen
    }

    /// Makes `record` current at `now` (`None`: the session is cleared). `new_generation`
    /// marks a login, a logout or a session that ended. Returns the text to write — the
    /// record's, or `None` to remove the key — or `None` when nothing may be written (a
    /// newer version's record sits in the store).
    pub fn commit(
        &mut self,
        record: Option<TokenRecord>,
        new_generation: bool,
        now: u64,
        client: &ClientConfig,
    ) -> Option<Option<String>> {
        if new_generation {
            self.generation += 1;
        }
        // What this manager commits is newer than a first read still under way.
        self.loaded = true;
        if record.is_none() {
            self.cleared_at = now;
        }
        let text = record.as_ref().map(|r| encode_record(r, client));
        self.record = record;
        (!self.frozen).then_some(text)
    }

    /// The store now holds `text`, written by this manager.
    pub fn written(&mut self, text: Option<String>) {
        self.unsaved = false;
        self.known = Some(text);
    }

    /// A write to a shared store failed: the record stays in memory and is written again
    /// by the next renewal ([`Session::rewrite`]).
    pub fn write_failed(&mut self) {
        self.unsaved = true;
    }

    /// What to do with the record a failed write left unsaved, now that the store holds
    /// `now_text`: write it again only over what the store held before, or over an older
    /// record; any other change — a newer rotation, a logout, a newer version's record — is
    /// a sibling's, and is adopted instead.
    pub fn rewrite(&mut self, now_text: Option<&str>, client: &ClientConfig) -> Rewrite {
        let known = self.known.as_ref().map(Option::as_deref);
        if session::may_rewrite(known, now_text, self.record.as_ref(), client) {
            return Rewrite::Write(self.record.as_ref().map(|r| encode_record(r, client)));
        }
        self.unsaved = false;
        Rewrite::Adopted(self.adopt(now_text, true, client))
    }

    /// What a resource's 401 for the access token `rejected`, at `now`, means.
    pub fn after_rejection(&mut self, rejected: &str, now: u64) -> AfterRejection {
        match &self.record {
            Some(r) if r.access_token.expose() != rejected => AfterRejection::Retry(r.clone()),
            _ if self.renewed_after_rejection.is_some_and(|at| now.saturating_sub(at) < MIN_RENEW_INTERVAL_MS) => {
                AfterRejection::Answer
            }
            _ => {
                self.renewed_after_rejection = Some(now);
                AfterRejection::Renew
            }
        }
    }

    /// Whether a logged-out session should remove what the store holds now (`now_text`): a
    /// record a sibling's renewal, begun before the logout, stored after it. A newer one —
    /// a login — stays.
    pub fn stale_after_logout(&self, now_text: Option<&str>, client: &ClientConfig) -> bool {
        self.record.is_none() && session::stale_after_logout(now_text, self.cleared_at, client)
    }
}
