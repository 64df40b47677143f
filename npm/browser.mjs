// The package entry for browsers, workers and other ES module runtimes without `require`:
// the wasm is fetched from the package's pkg/web/ and instantiated once, before any export
// is used. scripts/build.sh bundles this file with the glue, its snippets, the driver and
// the error class into js/browser.mjs: one module for a page to load before the wasm, not
// three levels of imports (each level a round trip; bench/'s Chromium cold start). The
// glue's wasm URL is rewritten there to point from js/ to pkg/web/, where a bundler finds
// the asset as before.
import init, * as wasm from "../pkg/web/oauth2_wasm.js";
import { makeApi } from "./driver.mjs";
import { OAuthError } from "../js/error.mjs";

await init();
wasm.__registerErrorClass(OAuthError);

export const parseTokenResponse = wasm.parseTokenResponse;
export const generateCodeVerifier = wasm.generateCodeVerifier;
export const generateState = wasm.generateState;
export const codeChallengeS256 = wasm.codeChallengeS256;
export const parseAuthorizationResponse = wasm.parseAuthorizationResponse;
export const {
  buildTokenRequest,
  buildRevocationRequest,
  buildIntrospectionRequest,
  buildAuthorizationUrl,
  requestToken,
  revokeToken,
  introspectToken,
  discover,
  clientFromMetadata,
  generateDPoPKey,
  TokenManager,
} = makeApi(wasm);
export { OAuthError };
