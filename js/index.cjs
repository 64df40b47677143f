"use strict";
// The package entry for Node (require and, through index.mjs, import).
const wasm = require("../pkg/node/oauth2_wasm.js");
const { OAuthError } = require("../pkg/node/error.cjs");
const { makeApi } = require("../pkg/node/driver.cjs");

wasm.__registerErrorClass(OAuthError);

module.exports = {
  // requestToken, TokenManager, the builders that read a client, discover, generateDPoPKey …
  ...makeApi(wasm),
  // The pure functions that read no client, straight from the wasm.
  parseTokenResponse: wasm.parseTokenResponse,
  generateCodeVerifier: wasm.generateCodeVerifier,
  generateState: wasm.generateState,
  codeChallengeS256: wasm.codeChallengeS256,
  parseAuthorizationResponse: wasm.parseAuthorizationResponse,
  OAuthError,
};
