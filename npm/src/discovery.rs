//! Server metadata discovery for JavaScript (DESIGN §2c): `discovery(issuer, options)` for
//! the driver's `discover`, and `clientFromMetadata`. The checks are the core's
//! ([`oauth2_wasm_core::discovery`]).

use crate::{arg, request_options, to_js};
use oauth2_wasm::web::fetch::{runtime, OptionValues};
use oauth2_wasm::web::{get, json};
use oauth2_wasm_core::config::{ClientAuth, ClientConfig};
use oauth2_wasm_core::discovery::{Discovery, ServerMetadata};
use oauth2_wasm_core::encode::JsonObject;
use oauth2_wasm_core::error::OAuthError;
use oauth2_wasm_core::transport;
use wasm_bindgen::prelude::*;

/// One discovery under way: the driver sends `request`, hands back each outcome.
#[derive(Debug)]
#[wasm_bindgen(js_name = Discovery, skip_typescript)]
pub struct JsDiscovery {
    discovery: Discovery,
    timeout_ms: u32,
}

/// `discovery(issuer, { allowInsecureHttp?, timeoutMs?, signal?, fetch? })`: checks the
/// issuer and the options.
#[wasm_bindgen(js_name = discovery, skip_typescript)]
pub fn discovery(issuer: &JsValue, options: &JsValue) -> Result<JsDiscovery, JsValue> {
    let issuer = issuer
        .as_string()
        .ok_or_else(|| to_js(OAuthError::config("issuer", "must be a string: the server's issuer URL")))?;
    let insecure = get(options, "allowInsecureHttp").as_bool() == Some(true);
    let values = OptionValues::of(options);
    let request = request_options(&values)?;
    crate::machine::fetch_ready(request.fetch.is_some(), Some(&values.runtime_fetch)).map_err(to_js)?;
    let discovery = Discovery::new(&issuer, insecure, &oauth2_wasm::web::url::RuntimeUrl).map_err(to_js)?;
    let timeout_ms = transport::timer_ms(request.timeout_ms.unwrap_or(transport::DEFAULT_TIMEOUT_MS));
    Ok(JsDiscovery { discovery, timeout_ms })
}

#[wasm_bindgen(js_class = Discovery)]
impl JsDiscovery {
    /// `{ url, method, headers, body, timeoutMs }` of the next request.
    #[wasm_bindgen(getter)]
    pub fn request(&self) -> crate::Returned {
        Ok(crate::machine::request_object(&self.discovery.request(), self.timeout_ms))
    }

    /// The metadata, or `null` when the next request is to be sent; throws the `OAuthError`.
    pub fn finish(&mut self, outcome: JsValue) -> Result<JsValue, JsValue> {
        let outcome = oauth2_wasm::web::fetch::read_outcome(&outcome);
        let response = transport::read_outcome(&outcome, self.timeout_ms, runtime()).map_err(to_js)?;
        match self.discovery.finish(response.status, &response.body).map_err(to_js)? {
            None => Ok(JsValue::NULL),
            Some(metadata) => Ok(json::from_text(&metadata.to_json())),
        }
    }
}

/// `clientFromMetadata(metadata, options)`: what the metadata decides of the client — the
/// endpoints and issuer it lacks, the `clientAuth` the server lists when none was chosen.
/// The driver spreads it over `options`.
#[wasm_bindgen(js_name = clientFromMetadata, skip_typescript)]
pub fn client_from_metadata(metadata: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
    let metadata = ServerMetadata::from_value(&arg(metadata, "metadata")?).map_err(to_js)?;
    let options =
        if options.is_undefined() || options.is_null() { js_sys::Object::new().into() } else { options.clone() };
    let base = ClientConfig::from_value(&arg(&options, "options")?).map_err(to_js)?;
    let client = metadata.client(base);
    let mut out = JsonObject::new();
    out.string("tokenEndpoint", &client.token_endpoint)
        .maybe_string("authorizationEndpoint", client.authorization_endpoint.as_deref())
        .maybe_string("revocationEndpoint", client.revocation_endpoint.as_deref())
        .maybe_string("introspectionEndpoint", client.introspection_endpoint.as_deref())
        .maybe_string("issuer", client.issuer.as_deref())
        .maybe_string("clientAuth", client.client_auth.map(ClientAuth::as_str));
    if client.require_iss {
        out.json("requireIss", "true");
    }
    Ok(json::from_text(&out.finish()))
}
