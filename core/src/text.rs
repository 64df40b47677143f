//! String helpers used across the core and its drivers, written byte-wise on purpose:
//! `format!`, `str::join` and std's pattern searcher each keep `core::fmt` or the two-way
//! searcher in the npm wasm (measured: −11 KB when they went). Nothing here parses.

use crate::prelude::*;

/// Joins pieces into one string (the wasm build avoids `format!`).
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// Joins pieces with `separator` (std's `join` keeps panic formatting in the wasm).
pub fn join<'a>(parts: impl IntoIterator<Item = &'a str>, separator: &str) -> String {
    let mut s = String::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            s.push_str(separator);
        }
        s.push_str(p);
    }
    s
}

/// Where `needle` (not empty) first occurs in `hay`, compared as bytes: the wasm build then
/// carries no `str` pattern searcher. A match always starts on a character boundary.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes().windows(needle.len().max(1)).position(|w| w == needle.as_bytes())
}

/// Decimal digits of `n` (the wasm build avoids `core::fmt`).
pub fn digits(mut n: u64) -> String {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).map(|d| d.iter().map(|&b| b as char).collect()).unwrap_or_default()
}
