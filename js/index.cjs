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
    guardDeopt();
    const exports = require("../pkg/node/oauth2_wasm.js");
    exports.__registerErrorClass(OAuthError);
    glue = exports;
  }
  return glue;
}
const wasm = new Proxy({}, { get: (_, name) => load()[name] });

// V8 up to 11 (Node 18 and 20) aborts the process ("Fatal error … unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation) when optimized code that inlined a call into
// wasm is deoptimized during that call and the wasm function returns a reference (its
// TranslatedValueForWasmReturnKind reads i32, i64, f32 and f64 only). wasm-bindgen's exports
// return externrefs; the crash came in tests/node/load.test.mjs, 3 runs in 13 of the file.
// Such calls are not inlined there: 0 crashes in 9 runs since (2026-12-03), the calls cost a
// little more. Later V8s read reference results, and are left alone.
function guardDeopt() {
  if (Number(process.versions.v8?.split(".")[0]) <= 11) {
    try {
      require("node:v8").setFlagsFromString("--no-turbo-inline-js-wasm-calls");
    } catch {
      // a runtime that refuses flags: nothing to guard
    }
  }
}

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
