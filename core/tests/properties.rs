//! Property tests of the core: encodings round-trip for any Unicode, Basic credentials
//! decode back exactly, expiry arithmetic never overflows, and any response — any JSON,
//! any bytes, any status — yields a `TokenSet` or an `OAuthError`, never a panic.
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::encode;
use oauth2_wasm_core::json::Value;
use oauth2_wasm_core::request::basic_credentials;
use oauth2_wasm_core::{
    build_token_request, parse_token_response, BasicEncoding, ClientAuth, ClientConfig, ErrorKind, Grant,
    ResourceOwner, ResponseContext,
};
use proptest::prelude::*;
use serde_json::Value as Json;

fn form_decode(s: &str) -> String {
    form_urlencoded::parse(["k=", s].concat().as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|&c| c != b'=').map(val).collect();
        let n = data.iter().fold(0u32, |acc, &d| (acc << 6) | d as u32) << (6 * (4 - data.len()));
        out.extend_from_slice(&n.to_be_bytes()[1..data.len()]);
    }
    out
}

/// Whether a serde_json value and the core's are the same JSON (numbers equal as f64, to
/// the last bit for integers and within 2 ulp otherwise).
fn same(a: &Json, b: &Value) -> bool {
    match (a, b) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(x), Value::Bool(y)) => x == y,
        (Json::Number(x), Value::Number(y)) => {
            let x = x.as_f64().unwrap();
            // Subnormal numbers keep fewer bits: compare those absolutely.
            x == *y || (x - y).abs() <= (x.abs().max(y.abs()) * 4.0 * f64::EPSILON).max(1e-320)
        }
        (Json::String(x), Value::String(y)) => x == y,
        (Json::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Json::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => false,
    }
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| serde_json::json!(f)),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        ".{0,12}".prop_map(Json::String),
        prop_oneof![Just("access_token"), Just("token_type"), Just("expires_in"), Just("Bearer"), Just("3600")]
            .prop_map(|s| Json::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("access_token".to_owned()),
                        Just("token_type".to_owned()),
                        Just("expires_in".to_owned()),
                        Just("refresh_token".to_owned()),
                        Just("scope".to_owned()),
                        Just("error".to_owned()),
                        Just("expires".to_owned()),
                        ".{0,8}"
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|members| Json::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn form_encoding_round_trips_any_unicode(s in ".*") {
        let mut encoded = String::new();
        encode::push_form(&mut encoded, &s);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"*-._+%".contains(&b)));
        prop_assert_eq!(form_decode(&encoded), s);
    }

    #[test]
    fn basic_credentials_decode_to_the_exact_id_and_secret(id in ".*", secret in ".*") {
        let header = basic_credentials(&id, &secret, BasicEncoding::Form).unwrap();
        let plain = String::from_utf8(base64_decode(header.strip_prefix("Basic ").unwrap())).unwrap();
        let (i, s) = plain.split_once(':').unwrap();
        prop_assert_eq!(form_decode(i), id);
        prop_assert_eq!(form_decode(s), secret);
    }

    #[test]
    fn raw_basic_credentials_are_the_utf8_bytes(id in "[^:]*", secret in ".*") {
        let header = basic_credentials(&id, &secret, BasicEncoding::Raw).unwrap();
        prop_assert_eq!(base64_decode(header.strip_prefix("Basic ").unwrap()), [id.as_str(), ":", &secret].concat().into_bytes());
    }

    #[test]
    fn json_strings_round_trip(s in ".*") {
        let mut out = String::new();
        encode::push_json_string(&mut out, &s);
        prop_assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
    }

    /// The no-std build's whole-number test agrees with std's `fract` for every float.
    #[test]
    fn is_whole_is_fract_equals_zero(bits in any::<u64>(), small in -1e17f64..1e17) {
        for n in [f64::from_bits(bits), small, small.trunc(), -0.0, 4_503_599_627_370_495.5, 9.007_199_254_740_993e15] {
            prop_assert_eq!(oauth2_wasm_core::json::is_whole(n), n.fract() == 0.0, "{:e}", n);
        }
    }

    #[test]
    fn expiry_arithmetic_never_overflows(now in any::<u64>(), secs in any::<u64>(), float in any::<f64>()) {
        for expires_in in [secs.to_string(), format!("\"{secs}\""), format!("{float:e}")] {
            let body = format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":{expires_in}}}"#);
            match parse_token_response(200, &body, &ResponseContext::at(now)) {
                Ok(t) => prop_assert!(t.expires_at.is_some_and(|at| at >= now)),
                Err(e) => prop_assert_eq!(e.kind, ErrorKind::InvalidResponse),
            }
        }
    }

    #[test]
    fn json_round_trips_through_the_core_value(value in json(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { value.to_string() };
        let ours = oauth2_wasm_core::json::parse(&text).expect("valid JSON parses");
        prop_assert!(same(&value, &ours), "{text}");
        // Written back, it is the same JSON (members in order, numbers as JSON.parse reads them).
        let mut out = String::new();
        oauth2_wasm_core::json::write(&mut out, &ours);
        let back: Json = serde_json::from_str(&out).unwrap();
        prop_assert!(same(&back, &ours), "{out}");
    }

    #[test]
    fn any_json_response_is_a_token_set_or_an_oauth_error(status in 100u16..600, value in json(), now in any::<u64>()) {
        let body = value.to_string();
        match parse_token_response(status, &body, &ResponseContext::at(now)) {
            Ok(t) => {
                prop_assert!((200..300).contains(&status));
                prop_assert!(!t.access_token.expose().is_empty());
            }
            Err(e) => {
                prop_assert!(matches!(e.kind, ErrorKind::OAuth | ErrorKind::Http | ErrorKind::InvalidResponse));
                prop_assert_eq!(e.status, Some(status));
                // The token must not show — unless the server also put the same text in a
                // field that is shown (the error code, its description).
                let shown_elsewhere = |token: &str| {
                    value.as_object().is_some_and(|o| {
                        o.iter().any(|(k, v)| k != "access_token" && v.as_str().is_some_and(|s| s.contains(token)))
                    })
                };
                if let Some(Json::String(token)) = value.get("access_token") {
                    if token.len() >= 16 && !shown_elsewhere(token) {
                        prop_assert!(!e.message.contains(token.as_str()), "the message shows the token");
                        prop_assert!(!e.body.clone().unwrap_or_default().contains(token.as_str()), "the body shows the token");
                    }
                }
            }
        }
    }

    #[test]
    fn tokens_in_any_failed_response_never_reach_the_error(
        status in 100u16..600,
        value in json(),
        access in "[A-Za-z0-9._~-]{16,40}",
        refresh in "[A-Za-z0-9._~-]{16,40}",
        cut in 0usize..400,
    ) {
        let mut obj = match value { Json::Object(o) => o, _ => serde_json::Map::new() };
        obj.insert("access_token".into(), Json::String(access.clone()));
        obj.insert("refresh_token".into(), Json::String(refresh.clone()));
        let body = Json::Object(obj).to_string();
        // Whole, and cut short (a truncated body is not JSON any more).
        for text in [body.as_str(), &body[..body.char_indices().map(|(i, _)| i).find(|&i| i >= cut).unwrap_or(body.len())]] {
            if let Err(e) = parse_token_response(status, text, &ResponseContext::at(0)) {
                let shown = format!("{e} {e:?} {:?} {:?}", e.body, e.hint);
                prop_assert!(!shown.contains(&access) && !shown.contains(&refresh), "a token shows in {shown}");
            }
        }
    }

    #[test]
    fn any_bytes_as_a_body_never_panic(status in 0u16..1000, body in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&body);
        let _ = parse_token_response(status, &text, &ResponseContext::at(0));
    }

    #[test]
    fn any_password_grant_builds_or_names_the_bad_field(
        user in ".{0,16}", password in ".{0,16}", id in ".{0,8}", secret in ".{0,8}", scope in "[ -~]{0,12}",
    ) {
        let mut client = ClientConfig::new("https://as.example/token");
        client.client_id = Some(id.as_str().into());
        client.client_secret = Some(secret.as_str().into());
        client.client_auth = Some(ClientAuth::Body);
        let grant = Grant::Password {
            owner: ResourceOwner::Username(user.clone()),
            password: password.as_str().into(),
            scope: Some(scope),
        };
        match build_token_request(&client, &grant) {
            Ok(req) => {
                let params: Vec<(String, String)> =
                    form_urlencoded::parse(req.body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
                let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                prop_assert_eq!(get("username"), Some(user));
                prop_assert_eq!(get("password"), Some(password));
                prop_assert!(!format!("{req:?}").contains("password="), "Debug hides the body");
            }
            Err(e) => {
                prop_assert_eq!(e.kind, ErrorKind::Config);
                prop_assert!(e.field.is_some());
                if password.len() > 3 {
                    prop_assert!(!e.message.contains(password.as_str()));
                }
            }
        }
    }
}

fn num(text: &str) -> f64 {
    match oauth2_wasm_core::json::parse(text) {
        Some(Value::Number(n)) => n,
        other => panic!("{text}: {other:?}"),
    }
}

/// JSON.parse("0e400") === 0: zero times a power of ten past f64's range is still zero
/// (found in review: `0 * inf` was NaN).
#[test]
fn json_zero_with_a_huge_exponent_is_zero_not_nan() {
    let bad: Vec<String> = ["0e400", "0E309", "-0e309", "0.0e1000", "0e99999999999"]
        .iter()
        .map(|t| (t, num(t)))
        .filter(|(_, n)| *n != 0.0)
        .map(|(t, n)| format!("{t} parsed as {n}, JSON.parse gives 0"))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The visible effect through the public API: token responses JSON.parse reads fine are
/// refused as invalid_response.
#[test]
fn token_responses_with_numbers_json_parse_reads_are_accepted() {
    use oauth2_wasm_core::{parse_token_response, ResponseContext};
    let refused: Vec<String> = ["0e400", "1.7976931348623157e308"]
        .iter()
        .filter_map(|expires_in| {
            let body = format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":{expires_in}}}"#);
            let r = parse_token_response(200, &body, &ResponseContext::at(1_700_000_000_000));
            r.err().map(|e| format!("expires_in {expires_in}: {}", e.message))
        })
        .collect();
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}

proptest! {
    /// The parser's contract (no float-parsing machinery in the wasm): `JSON.parse`'s
    /// answer — serde_json's, both correctly rounded — for every u64 and for every number
    /// of at most 15 digits scaled by at most 10^±22.
    #[test]
    fn json_numbers_on_the_fast_path_read_as_json_parse_reads_them(
        whole in any::<u64>(),
        digits in 0u64..1_000_000_000_000_000,
        exp in -22i32..=22,
        point in 0usize..16,
    ) {
        let text = whole.to_string();
        prop_assert_eq!(num(&text), serde_json::from_str::<f64>(&text).unwrap(), "{}", text);
        let mut d = digits.to_string();
        let mut scale = exp;
        if point > 0 && point < d.len() {
            d.insert(d.len() - point, '.');
            scale -= point as i32;
        }
        prop_assume!(scale.abs() <= 22, "past the fast path");
        let text = format!("{d}e{exp}");
        prop_assert_eq!(num(&text), serde_json::from_str::<f64>(&text).unwrap(), "{}", text);
    }
}
