//! The runtime's WHATWG URL parser (`URL`), the one `fetch` connects with: endpoint
//! checks are made on its parse ([`oauth2_wasm_core::endpoint`]).

use crate::prelude::*;
use ::core::cell::RefCell;
use oauth2_wasm_core::endpoint::{UrlParser, UrlParts};
use oauth2_wasm_core::{build_token_request_with, ClientConfig, Grant, OAuthError, TokenRequest};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/exchange.js")]
extern "C" {
    /// `new URL(input)`'s parts joined by "\n" — against the page's address when `on_page`
    /// and there is a page —, or none: protocol, hostname, username, password, href, origin,
    /// pathname, search.
    #[wasm_bindgen(js_name = urlParts)]
    fn url_parts(input: &str, on_page: bool) -> Option<String>;
}

/// The JavaScript runtime's `URL` as the core's [`UrlParser`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RuntimeUrl;

impl UrlParser for RuntimeUrl {
    fn parse_url(&self, input: &str) -> Option<UrlParts> {
        parts(input, false)
    }
}

impl RuntimeUrl {
    /// `input` parsed against the page's address where there is a page (`location.href`,
    /// as `fetch` resolves a relative URL), else as an absolute URL.
    pub fn parse_against_page(input: &str) -> Option<UrlParts> {
        parts(input, true)
    }
}

/// [`RuntimeUrl`]'s parses of the last few inputs, kept: a client's endpoints cross to the
/// runtime's `URL` once, not on every request (the crossing and the copies cost about a
/// tenth of a token request's wasm work). A parse without a base depends on its text alone,
/// so every check still reads the parse `fetch` makes of that text.
#[derive(Debug, Default)]
pub struct KeptUrls(RefCell<Vec<(String, Option<UrlParts>)>>);

impl KeptUrls {
    /// How many parses are kept: a client has at most five endpoints.
    const KEPT: usize = 8;
}

impl UrlParser for KeptUrls {
    fn parse_url(&self, input: &str) -> Option<UrlParts> {
        if let Some((_, kept)) = self.0.borrow().iter().find(|(text, _)| text == input) {
            return kept.clone();
        }
        let parsed = parts(input, false);
        let mut kept = self.0.borrow_mut();
        if kept.len() == Self::KEPT {
            kept.remove(0);
        }
        kept.push((input.to_owned(), parsed.clone()));
        parsed
    }
}

/// The runtime's parse of `input` (against the page's address when `on_page`), read in one
/// crossing (`urlParts`).
fn parts(input: &str, on_page: bool) -> Option<UrlParts> {
    let joined = url_parts(input, on_page)?;
    let mut parts = joined.split('\n');
    let mut part = || parts.next().unwrap_or_default();
    let (scheme, host, username, password) = (part(), part(), part(), part());
    let (href, origin, path, search) = (part(), part(), part(), part());
    Some(UrlParts {
        scheme: scheme.strip_suffix(':').unwrap_or(scheme).to_owned(),
        host: host.to_owned(),
        has_credentials: !username.is_empty() || !password.is_empty(),
        // `hash` is "" for an empty fragment too; the serialization keeps its "#".
        has_fragment: href.contains('#'),
        origin: origin.to_owned(),
        path: path.to_owned(),
        query: search.strip_prefix('?').filter(|q| !q.is_empty()).map(str::to_owned),
    })
}

/// Builds the token request for `grant` (RFC 6749 §4, with client authentication per
/// §2.3.1), checking the endpoint on the runtime's URL parse. Bad input is a `config`
/// error naming the field.
pub fn build_token_request(client: &ClientConfig, grant: &Grant) -> Result<TokenRequest, OAuthError> {
    build_token_request_with(client, grant, &RuntimeUrl)
}

/// Builds the revocation request for `token` (RFC 7009 §2.1) at the client's
/// `revocation_endpoint`, checked on the runtime's URL parse, authenticated as token
/// requests are. Bad input is a `config` error naming the field.
pub fn build_revocation_request(
    client: &ClientConfig,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<TokenRequest, OAuthError> {
    oauth2_wasm_core::build_revocation_request_with(client, token, token_type_hint, &RuntimeUrl)
}

/// Builds the introspection request for `token` (RFC 7662 §2.1) at the client's
/// `introspection_endpoint`, checked on the runtime's URL parse.
pub fn build_introspection_request(
    client: &ClientConfig,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<TokenRequest, OAuthError> {
    oauth2_wasm_core::build_introspection_request_with(client, token, token_type_hint, &RuntimeUrl)
}
