//! A small JSON value: what the core reads from token responses and from configuration
//! objects handed over by JavaScript.
//!
//! JSON text is read and written by serde_json (no_std + alloc), the same on every target:
//! the core has no JSON parser of its own. Numbers are kept as `f64`, as JavaScript has them.
//!
//! Why serde_json in the wasm too, rather than the runtime's `JSON.parse` and a walk of its
//! result through serde-wasm-bindgen: both are well-kept parsers, but the walk costs a
//! crossing per property (what most of a call cost before text crossed in one piece), and
//! serde-wasm-bindgen needs `std` (its errors format through `Display`, linking std's panic
//! machinery and float formatting): measured on the npm build, JSON.parse + serde-wasm-
//! bindgen added 19.6 KB gzip to the browser download, serde_json adds 6.7 KB (75.6 → 82.3
//! KB, replacing the core's own parser and string escaper). One parser on every target also
//! means the host tests and the fuzzers read exactly what the wasm reads.

use crate::prelude::*;
use core::fmt;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// Parses JSON text (RFC 8259) into a [`Value`] with serde_json, or `None` when it is not
/// JSON or nests deeper than [`MAX_DEPTH`]. Duplicate members are kept (and [`Value::get`]
/// takes the last, as `JSON.parse` does). serde_json refuses a lone UTF-16 surrogate escape
/// (`"\ud800"`), which `JSON.parse` would keep: such text is not JSON a Rust string holds.
pub fn parse(text: &str) -> Option<Value> {
    let too_deep = core::cell::Cell::new(false);
    let mut d = serde_json::Deserializer::from_str(text);
    let v = Nested(0, Flag(&too_deep)).deserialize(&mut d).ok()?;
    d.end().ok()?;
    (!too_deep.get()).then_some(v)
}

/// Appends `v` as JSON text (serde_json): whole numbers within ±2^53 as integers, other
/// numbers as serde_json writes an `f64`, non-finite ones as `null`.
pub fn write(out: &mut String, v: &Value) {
    // Writing into a `String` cannot fail: every `Value` is serializable.
    if let Ok(text) = serde_json::to_string(v) {
        out.push_str(&text);
    }
}

/// A [`Value`] as the JSON it stands for: whole numbers as integers, objects in order.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) if is_whole(*n) && *n >= -9.007_199_254_740_992e15 && *n <= 9.007_199_254_740_992e15 => {
                s.serialize_i64(*n as i64)
            }
            Value::Number(n) => s.serialize_f64(*n),
            Value::String(v) => s.serialize_str(v),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Any self-describing input as a [`Value`], nesting bounded by [`MAX_DEPTH`] before it
/// recurses further.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Nested(0, Refuse).deserialize(d)
    }
}

/// A [`Value`] at nesting depth `.0`.
struct Nested<T>(u32, T);

/// What a [`Nested`] does past [`MAX_DEPTH`].
trait TooDeep: Copy {
    /// `Ok(())` to go on (the caller's own bound ends the parse), or the error that ends it.
    fn too_deep<E: de::Error>(self) -> Result<(), E>;
}

/// Ends the parse with an error (any deserializer).
#[derive(Clone, Copy)]
struct Refuse;

impl TooDeep for Refuse {
    fn too_deep<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom("nested too deeply"))
    }
}

/// Notes it and goes on, for [`parse`]: serde_json's own recursion limit (128) ends the
/// parse further down, and the result is dropped. serde_json's `Error::custom` would
/// reparse its message for a position, which links core's string slicing panics and their
/// `char` escaping tables into the wasm (7 KB) for an error nobody reads.
#[derive(Clone, Copy)]
struct Flag<'a>(&'a core::cell::Cell<bool>);

impl TooDeep for Flag<'_> {
    fn too_deep<E: de::Error>(self) -> Result<(), E> {
        self.0.set(true);
        Ok(())
    }
}

impl<T: TooDeep> Nested<T> {
    /// The depth inside this array or object.
    fn deeper<E: de::Error>(&self) -> Result<u32, E> {
        if self.0 >= MAX_DEPTH {
            self.1.too_deep()?;
        }
        Ok(self.0.saturating_add(1))
    }
}

impl<'de, T: TooDeep> DeserializeSeed<'de> for Nested<T> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: TooDeep> Visitor<'de> for Nested<T> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Nested(inner, self.1))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, map.next_value_seed(Nested(inner, self.1))?));
        }
        Ok(Value::Object(members))
    }
}
