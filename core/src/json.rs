//! A small JSON value: what the core reads from token responses and from configuration
//! objects handed over by JavaScript.
//!
//! The core parses JSON text itself (a small parser, no serde), the same on every target.
//! Numbers are kept as `f64`, as JavaScript has them.

use crate::prelude::*;

/// Deeper nesting than this is refused: no token response or configuration needs it,
/// and a recursion bound keeps hostile input from exhausting the wasm stack.
pub const MAX_DEPTH: u32 = 64;

/// A JSON value. Objects keep their members in order, duplicates included.
#[derive(Clone, PartialEq, Default)]
pub enum Value {
    /// `null` (and JavaScript's `undefined`).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in the order received.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object (the last one, as `JSON.parse` keeps), or `None`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The member `key`, treating `null` as absent.
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.get(key).filter(|v| !matches!(v, Value::Null))
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// What kind of JSON value this is, for messages ("a number", "an object" …).
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The number of members of an object, elements of an array, or 0.
    fn len(&self) -> usize {
        match self {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        }
    }
}

/// Values may hold tokens (a token response's `raw`), so `Debug` shows only the shape.
impl core::fmt::Debug for Value {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.describe())?;
        match self {
            Value::Object(_) | Value::Array(_) => write!(f, " of {} [redacted]", self.len()),
            _ => Ok(()),
        }
    }
}

/// Whether `n` is a whole number (std's `f64::fract` is not in `core`): every float from
/// 2^52 up is whole, and below that truncating through `i64` is exact.
pub fn is_whole(n: f64) -> bool {
    n.is_finite() && (magnitude(n) >= 4_503_599_627_370_496.0 || n == (n as i64) as f64)
}

/// `|n|` (`f64::abs` is in `core` only since Rust 1.85; the crate supports 1.82).
fn magnitude(n: f64) -> f64 {
    if n < 0.0 {
        -n
    } else {
        n
    }
}

/// Parses JSON text (RFC 8259) into a [`Value`], or `None` when it is not JSON or nests
/// deeper than [`MAX_DEPTH`]. One parser for every target: the wasm build reads JavaScript
/// arguments as `JSON.stringify` text through it too, one crossing instead of one per
/// property. Duplicate members are kept (and [`Value::get`] takes the last, as `JSON.parse`
/// does); a lone UTF-16 surrogate escape becomes U+FFFD.
pub fn parse(text: &str) -> Option<Value> {
    let mut p = Parser { text, at: 0 };
    let v = p.value(0)?;
    p.space();
    (p.at == p.text.len()).then_some(v)
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Option<Value> {
        let end = self.at.checked_add(word.len())?;
        (self.text.as_bytes().get(self.at..end)? == word).then(|| {
            self.at = end;
            v
        })
    }

    fn value(&mut self, depth: u32) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.space();
        match self.peek()? {
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                self.space();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Some(Value::Object(members));
                }
                loop {
                    self.space();
                    if self.next()? != b'"' {
                        return None;
                    }
                    let key = self.string()?;
                    self.space();
                    if self.next()? != b':' {
                        return None;
                    }
                    members.push((key, self.value(depth + 1)?));
                    self.space();
                    match self.next()? {
                        b',' => continue,
                        b'}' => return Some(Value::Object(members)),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.space();
                    match self.next()? {
                        b',' => continue,
                        b']' => return Some(Value::Array(items)),
                        _ => return None,
                    }
                }
            }
            b'"' => {
                self.at += 1;
                self.string().map(Value::String)
            }
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            _ => self.number().map(Value::Number),
        }
    }

    /// The rest of a string whose opening quote was read.
    fn string(&mut self) -> Option<String> {
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character at once.
            let start = self.at;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.at += 1;
            }
            out.push_str(self.text.get(start..self.at)?);
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => match self.next()? {
                    b'"' => out.push('"'),
                    b'\\' => out.push('\\'),
                    b'/' => out.push('/'),
                    b'b' => out.push('\u{8}'),
                    b'f' => out.push('\u{c}'),
                    b'n' => out.push('\n'),
                    b'r' => out.push('\r'),
                    b't' => out.push('\t'),
                    b'u' => {
                        let unit = self.hex4()?;
                        let c = match unit {
                            0xd800..=0xdbff if self.text.as_bytes().get(self.at..self.at + 2) == Some(b"\\u") => {
                                let back = self.at;
                                self.at += 2;
                                match self.hex4()? {
                                    low @ 0xdc00..=0xdfff => {
                                        char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))
                                    }
                                    _ => {
                                        self.at = back;
                                        None
                                    }
                                }
                            }
                            _ => char::from_u32(unit),
                        };
                        out.push(c.unwrap_or('\u{fffd}'));
                    }
                    _ => return None,
                },
                _ => return None, // a raw control character
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let d = char::from(self.next()?).to_digit(16)?;
            n = n * 16 + d;
        }
        Some(n)
    }

    /// A number, by the JSON grammar. No float-parsing machinery (core's would add 20 KB to
    /// the wasm): up to 19–20 significant digits are read exactly as an integer and scaled
    /// once by a power of ten. That is `JSON.parse`'s answer for every integer up to `u64`
    /// and every number of at most 15 digits with an exponent of at most 22 (the fast path
    /// of correct rounding) — all a token response or a configuration holds; beyond, it may
    /// differ in the last bits. A finite number never reads as infinite.
    fn number(&mut self) -> Option<f64> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let (mut mantissa, mut scale, mut significant) = (0u64, 0i32, 0i32);
        let int_start = self.at;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            push_digit(&mut mantissa, &mut scale, &mut significant, d, false);
            self.at += 1;
        }
        let int_len = self.at - int_start;
        if int_len == 0 || (int_len > 1 && self.text.as_bytes().get(int_start) == Some(&b'0')) {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            let start = self.at;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                push_digit(&mut mantissa, &mut scale, &mut significant, d, true);
                self.at += 1;
            }
            if self.at == start {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            let sign = match self.peek() {
                Some(b'-') => {
                    self.at += 1;
                    -1
                }
                Some(b'+') => {
                    self.at += 1;
                    1
                }
                _ => 1,
            };
            let mut exp = 0i32;
            let start = self.at;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                exp = exp.saturating_mul(10).saturating_add(i32::from(d - b'0'));
                self.at += 1;
            }
            if self.at == start {
                return None;
            }
            scale = scale.saturating_add(sign * exp);
        }
        let m = mantissa as f64;
        let magnitude = match scale {
            _ if mantissa == 0 => 0.0,
            0 => m,
            s if s > 0 => m * pow10(s),
            // Past 10^-300 in two steps, so subnormal numbers do not become 0.
            s if s < -300 => m / pow10(300) / pow10(s.saturating_neg() - 300),
            s => m / pow10(s.saturating_neg()),
        };
        // Rounding error must not turn a number below f64::MAX (say, f64::MAX itself) into
        // infinity; one whose decimal exponent passes 308 is infinite for JSON.parse too.
        let decimal_exponent = significant.saturating_add(scale).saturating_sub(1);
        let magnitude = if magnitude.is_infinite() && decimal_exponent <= 308 { f64::MAX } else { magnitude };
        Some(if negative { -magnitude } else { magnitude })
    }
}

/// Adds a digit to the mantissa while it fits a `u64`; past that, a digit of the integer
/// part only scales it up and one of the fraction is dropped. `significant` counts the
/// digits from the first non-zero one that went into the mantissa or the scale.
fn push_digit(mantissa: &mut u64, scale: &mut i32, significant: &mut i32, d: u8, fraction: bool) {
    match mantissa.checked_mul(10).and_then(|m| m.checked_add(u64::from(d - b'0'))) {
        Some(m) => {
            if m > 0 {
                *significant += 1;
            }
            *mantissa = m;
            if fraction {
                *scale -= 1;
            }
        }
        None if !fraction => {
            *significant += 1;
            *scale += 1;
        }
        None => {}
    }
}

/// 10^n for n ≥ 0: exact up to 10^22, then by squaring (infinite past f64's range).
fn pow10(n: i32) -> f64 {
    let mut exact = 1f64;
    let mut rest = n;
    while rest > 0 && n - rest < 22 {
        exact *= 10.0;
        rest -= 1;
    }
    let (mut result, mut base) = (exact, 10f64);
    while rest > 0 {
        if rest & 1 == 1 {
            result *= base;
        }
        base *= base;
        rest >>= 1;
    }
    result
}

/// Appends `v` as JSON text. Numbers are written only when whole (all the library writes);
/// others as `null` — there is no float formatting in the wasm build.
pub fn write(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if is_whole(*n) && magnitude(*n) < 1.844_674_407_370_955_2e19 => {
            if *n < 0.0 {
                out.push('-');
            }
            out.push_str(&super::text::digits(magnitude(*n) as u64));
        }
        Value::Number(_) => out.push_str("null"),
        Value::String(s) => super::encode::push_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                super::encode::push_json_string(out, k);
                out.push(':');
                write(out, item);
            }
            out.push('}');
        }
    }
}
