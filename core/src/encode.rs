//! Byte-level encodings: form-urlencoding (the `form_urlencoded` crate), Basic credentials,
//! JSON objects written member by member (strings and numbers encoded by serde_json).

use crate::prelude::*;

/// Appends `s` form-urlencoded (WHATWG `application/x-www-form-urlencoded`, UTF-8):
/// the encoding RFC 6749 Appendix B asks for, space as `+`.
pub fn push_form(out: &mut String, s: &str) {
    out.extend(form_urlencoded::byte_serialize(s.as_bytes()));
}

/// A form-urlencoded body from name/value pairs, in order.
pub fn form_body<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        push_form(&mut out, name);
        out.push('=');
        push_form(&mut out, value);
    }
    out
}

/// A JSON object body from name/value pairs, in order. A value flagged `true` is written
/// as a bare JSON number (a numeric `client_id`); the caller guarantees it is digits.
pub fn json_body<'a>(pairs: impl Iterator<Item = (&'a str, &'a str, bool)>) -> String {
    let mut out = JsonObject::new();
    for (name, value, number) in pairs {
        if number {
            out.json(name, value);
        } else {
            out.string(name, value);
        }
    }
    out.finish()
}

/// A JSON object written member by member, in order: the request body, the stored record,
/// and what crosses to JavaScript as one piece. `Debug` shows nothing of the values (they
/// may be tokens).
#[derive(Default)]
pub struct JsonObject(String);

impl core::fmt::Debug for JsonObject {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("JsonObject [redacted]")
    }
}

impl JsonObject {
    /// An empty object.
    pub fn new() -> Self {
        JsonObject(String::with_capacity(256))
    }

    fn key(&mut self, key: &str) -> &mut String {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        push_json_string(&mut self.0, key);
        self.0.push(':');
        &mut self.0
    }

    /// Adds a string member.
    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        push_json_string(self.key(key), value);
        self
    }

    /// Adds a whole-number member.
    pub fn number(&mut self, key: &str, value: u64) -> &mut Self {
        if let Ok(text) = serde_json::to_string(&value) {
            self.key(key).push_str(&text);
        }
        self
    }

    /// Adds a string member when there is a value.
    pub fn maybe_string(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.string(key, v),
            None => self,
        }
    }

    /// Adds a whole-number member when there is a value.
    pub fn maybe_number(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(v) => self.number(key, v),
            None => self,
        }
    }

    /// Adds a member whose value is JSON text already (the caller guarantees it).
    pub fn json(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key).push_str(json);
        self
    }

    /// The object's text.
    pub fn finish(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        self.0
    }
}

/// Appends `s` as a JSON string literal (serde_json's escaping).
pub fn push_json_string(out: &mut String, s: &str) {
    // Most strings written (member names, URLs, tokens) need no escaping: those are copied
    // between quotes, which is what serde_json writes for them, without its writer and a
    // temporary string (measured 2026-12-03: a third of building a request's JSON).
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    // Serializing a `str` into a `String` cannot fail.
    if let Ok(text) = serde_json::to_string(s) {
        out.push_str(&text);
    }
}

/// Standard base64 with padding (RFC 4648 §4), over bytes: never over a JS string, so
/// non-Latin-1 credentials cannot break it the way `btoa` does.
pub fn base64(bytes: &[u8]) -> String {
    encode64(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", Some('='))
}

/// base64url without padding (RFC 4648 §5, as RFC 7636 and JOSE use it).
pub fn base64url(bytes: &[u8]) -> String {
    encode64(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", None)
}

// Hand-written rather than the `base64` crate: measured on 2026-12-03, the crate's engines
// added 5,404 B to the npm wasm (2,229 B gzip) for these two encodings; this is 359 B.
fn encode64(bytes: &[u8], alphabet: &[u8; 64], pad: Option<char>) -> String {
    let sym = |i: u32| alphabet.get((i & 63) as usize).copied().unwrap_or(b'=') as char;
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| chunk.get(i).copied().unwrap_or(0) as u32;
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        for (needed, shift) in [(2, 6), (3, 0)] {
            if chunk.len() >= needed {
                out.push(sym(n >> shift));
            } else if let Some(p) = pad {
                out.push(p);
            }
        }
    }
    out
}
