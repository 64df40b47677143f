// The package entry for browsers, workers and other ES module runtimes without `require`:
// the wasm is fetched next to this module and instantiated once, before any export is used.
import init, * as wasm from "../pkg/web/oauth2_wasm.js";
import { makeApi } from "../pkg/web/driver.js";
import { OAuthError } from "./error.mjs";

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
