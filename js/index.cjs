"use strict";
// The package entry for Node (require and, through index.mjs, import). The wasm is compiled
// and instantiated at the first call of any export, not when the package loads: a script
// that loads it pays the JavaScript alone until it uses it (the compile was two thirds of
// the import, measured 2026-12-03). `wasm` stands for the glue's exports until then.
const { OAuthError } = require("../pkg/node/error.cjs");
const { makeApi } = require("../pkg/node/driver.cjs");

let glue;
function load() {
  if (!glue) {
    const exports = require("../pkg/node/oauth2_wasm.js");
    exports.__registerErrorClass(OAuthError);
    glue = exports;
  }
  return glue;
}
const wasm = new Proxy({}, { get: (_, name) => load()[name] });

module.exports = {
  // requestToken, TokenManager, the builders that read a client, discover, generateDPoPKey …
  ...makeApi(wasm),
  // The pure functions that read no client, straight from the wasm.
  parseTokenResponse: (status, bodyText, options) => wasm.parseTokenResponse(status, bodyText, options),
  generateCodeVerifier: () => wasm.generateCodeVerifier(),
  generateState: () => wasm.generateState(),
  codeChallengeS256: (verifier) => wasm.codeChallengeS256(verifier),
  parseAuthorizationResponse: (url, expected) => wasm.parseAuthorizationResponse(url, expected),
  OAuthError,
};
