//! The https-or-loopback rule is decided on a WHATWG parse, the one the transport connects
//! with (issue 13, finding 1): a URL whose host a string split reads one way and WHATWG
//! another can no longer send credentials in clear text.
#![cfg(not(target_arch = "wasm32"))]

use oauth2_wasm_core::endpoint::{check, is_loopback, UrlParts, WhatwgUrl};
use oauth2_wasm_core::{build_token_request, ClientConfig, Grant, OAuthError, ResourceOwner};
use proptest::prelude::*;

fn password_grant() -> Grant {
    Grant::Password { owner: ResourceOwner::Username("alice".into()), password: "pw".into(), scope: None }
}

fn build(url: &str) -> Result<(), OAuthError> {
    let mut client = ClientConfig::new(url);
    client.client_id = Some("c".into());
    client.client_secret = Some("s".into());
    build_token_request(&client, &password_grant()).map(|_| ())
}

#[test]
fn issue13_the_https_rule_cannot_be_bypassed_with_a_backslash() {
    // WHATWG ends the host at "\" in http(s) URLs: fetch connects to evil.example:80.
    for url in [
        "http://evil.example\\.localhost/token",
        "http://\\evil.example\\.localhost",
        "http://evil.example\\\\.localhost",
        "http://evil%2eexample.localhost",
        "http://evil.example\\.127.0.0.1/token",
        "http://evil.example\\@localhost/token",
    ] {
        let e = build(url).expect_err(url);
        assert_eq!(e.field.as_deref(), Some("tokenEndpoint"), "{url}");
        assert!(e.message.contains("https") || e.message.contains("user information"), "{url}: {}", e.message);
    }
}

#[test]
fn issue13_only_localhost_127_0_0_0_8_and_ipv6_loopback_are_loopback() {
    for url in ["http://api.localhost/token", "http://localhost.evil.example/t", "http://[::2]/t", "http://128.0.0.1/t"]
    {
        assert!(build(url).is_err(), "{url}");
    }
    // WHATWG's IPv4 forms are the addresses fetch connects to.
    for url in
        ["http://localhost/t", "http://LOCALHOST:9/t", "http://127.1/t", "http://0x7f.0.0.1/t", "http://[0::1]/t"]
    {
        build(url).unwrap_or_else(|e| panic!("{url}: {e:?}"));
    }
    assert!(is_loopback("127.255.0.1") && !is_loopback("127.0.0.1.nip.io") && !is_loopback("x.localhost"));
}

#[test]
fn the_decision_reads_the_parse_not_the_text() {
    // A parser that says the host is elsewhere wins over what the text looks like.
    let elsewhere = |_: &str| {
        Some(UrlParts {
            scheme: "http".into(),
            host: "evil.example".into(),
            has_credentials: false,
            has_fragment: false,
            origin: "http://evil.example".into(),
            path: "/token".into(),
            query: None,
        })
    };
    assert!(check("tokenEndpoint", "http://localhost/token", &elsewhere, false).is_err());
    let nothing = |_: &str| None;
    let e = check("tokenEndpoint", "https://as.example/token", &nothing, false).unwrap_err();
    assert!(e.message.contains("absolute URL"), "{}", e.message);
}

proptest! {
    /// Whatever the URL — backslashes, userinfo, percent-encoding, IPv4 forms, IDN —
    /// an accepted http URL is one whose WHATWG host is loopback.
    #[test]
    fn accepted_http_urls_have_a_loopback_whatwg_host(
        host in prop::sample::select(vec![
            "localhost", "127.0.0.1", "127.1", "0x7f.1", "[::1]", "evil.example", "xn--nxasmq6b.example",
            "ex%61mple.com", "localhost.", "a.localhost", "LocalHost", "2130706433", "0177.0.0.1", "ß.localhost",
        ]),
        sep in prop::sample::select(vec!["", "\\", "\\\\", "@", "%2e", ".", ":80", ":0", "\\@", "%5c"]),
        tail in prop::sample::select(vec!["", "localhost", "127.0.0.1", "evil.example", "/token", "?a=b"]),
        scheme in prop::sample::select(vec!["http", "HTTP", "https", "hTTps"]),
    ) {
        let url = format!("{scheme}://{host}{sep}{tail}/token");
        if build(&url).is_ok() {
            let parsed = url::Url::parse(&url).expect("accepted URLs parse");
            prop_assert!(parsed.username().is_empty() && parsed.password().is_none(), "{url}");
            let host = parsed.host_str().unwrap_or_default();
            prop_assert!(parsed.scheme() == "https" || is_loopback(host), "{url} → {host}");
        }
    }
}

#[test]
fn the_host_parser_is_whatwg() {
    use oauth2_wasm_core::endpoint::UrlParser;
    let parts = WhatwgUrl.parse_url("HTTP://User@EVIL.example\\x.localhost/#").unwrap();
    assert_eq!(
        parts,
        UrlParts {
            scheme: "http".into(),
            host: "evil.example".into(),
            has_credentials: true,
            has_fragment: true,
            origin: "http://evil.example".into(),
            path: "/x.localhost/".into(),
            query: None,
        }
    );
}

#[test]
fn issue13_4_a_resource_gets_the_token_only_over_https_or_loopback_and_only_at_its_origins() {
    use oauth2_wasm_core::endpoint::{check_resource, resource_origins, UrlParser};
    let parse = |u: &str| WhatwgUrl.parse_url(u);
    for url in [
        "http://evil.example/data",
        "ftp://api.example/x",
        "http://api.localhost/x",
        "http://evil.example\\.localhost/x",
    ] {
        let e = check_resource(parse(url).as_ref(), None, false).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("fetch"), "{url}");
    }
    for url in ["https://api.example/data", "http://localhost:8080/x", "http://127.0.0.1/x"] {
        check_resource(parse(url).as_ref(), None, false).expect(url);
    }
    check_resource(parse("http://dev.example/x").as_ref(), None, true).expect("allowInsecureHttp opts in");
    assert!(check_resource(None, None, false).is_err(), "a URL that does not resolve");
    let origins =
        resource_origins(&["https://api.example/v1".into(), "http://localhost:9000".into()], &WhatwgUrl).unwrap();
    assert_eq!(origins, ["https://api.example", "http://localhost:9000"]);
    let allowed = Some(origins.as_slice());
    check_resource(parse("https://api.example/v2/adverts?x=1").as_ref(), allowed, false).unwrap();
    check_resource(parse("http://localhost:9000/x").as_ref(), allowed, false).unwrap();
    for url in [
        "https://other.example/x",
        "https://api.example:8443/x",
        "http://localhost:9001/x",
        "https://api.example.evil/x",
    ] {
        let e = check_resource(parse(url).as_ref(), allowed, false).unwrap_err();
        assert!(e.message.contains("resourceOrigins"), "{url}: {}", e.message);
    }
    assert!(resource_origins(&["api.example".into()], &WhatwgUrl).is_err());
}
