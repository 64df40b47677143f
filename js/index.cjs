"use strict";
// The package entry for Node (require and, through index.mjs, import).
const wasm = require("../pkg/node/oauth2_wasm.js");
const { OAuthError } = require("../pkg/node/error.cjs");
const { makeApi } = require("../pkg/node/driver.cjs");

wasm.__registerErrorClass(OAuthError);
const {
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

module.exports = {
  buildTokenRequest,
  parseTokenResponse: wasm.parseTokenResponse,
  requestToken,
  TokenManager,
  buildRevocationRequest,
  revokeToken,
  buildIntrospectionRequest,
  introspectToken,
  generateCodeVerifier: wasm.generateCodeVerifier,
  generateState: wasm.generateState,
  codeChallengeS256: wasm.codeChallengeS256,
  buildAuthorizationUrl,
  parseAuthorizationResponse: wasm.parseAuthorizationResponse,
  discover,
  clientFromMetadata,
  generateDPoPKey,
  OAuthError,
};
