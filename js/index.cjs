"use strict";
// The package entry for Node (require and, through index.mjs, import).
const wasm = require("../pkg/node/oauth2_wasm.js");
const { OAuthError } = require("../pkg/node/error.cjs");

wasm.__registerErrorClass(OAuthError);

module.exports = {
  buildTokenRequest: wasm.buildTokenRequest,
  parseTokenResponse: wasm.parseTokenResponse,
  requestToken: wasm.requestToken,
  TokenManager: wasm.TokenManager,
  OAuthError,
};
