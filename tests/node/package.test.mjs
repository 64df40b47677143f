// The package as a user installs it: both module systems, the error class, the files it
// ships, and a built request sent as it is with fetch to a real server on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import * as esm from "oauth2-wasm";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";

const require = createRequire(import.meta.url);
const cjs = require("oauth2-wasm");
const pkgDir = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "node_modules/oauth2-wasm");

test("import and require give the same functions and one OAuthError class", () => {
  for (const name of ["buildTokenRequest", "parseTokenResponse", "requestToken", "TokenManager", "OAuthError"]) {
    assert.equal(typeof esm[name], "function", name);
    assert.equal(esm[name], cjs[name], name);
  }
  let err;
  try {
    cjs.parseTokenResponse(400, '{"error":"invalid_grant"}');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof esm.OAuthError && err instanceof Error);
  assert.equal(err.name, "OAuthError");
  assert.equal(err.kind, "oauth");
  assert.match(err.stack, /OAuthError: invalid_grant/);
});

test("OAuthError can be made and serialised by users too", () => {
  const e = new esm.OAuthError("network", "connection refused", { hint: "is the server up?", ignored: 1 });
  assert.equal(e.kind, "network");
  assert.equal(e.hint, "is the server up?");
  assert.equal(e.ignored, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), {
    name: "OAuthError", kind: "network", message: "connection refused", hint: "is the server up?",
  });
  assert.equal(String(e), "OAuthError: connection refused");
});

test("the tarball ships only what a user needs", () => {
  const files = [];
  const walk = (dir) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p.slice(pkgDir.length + 1));
    }
  };
  walk(pkgDir);
  // wasm-bindgen names the snippets' directory after the crate and a hash of it.
  const named = files.map((f) => f.replace(/\/snippets\/oauth2-wasm-[0-9a-f]{16}\//, "/snippets/oauth2-wasm-<hash>/"));
  assert.deepEqual(named.sort(), [
    "README.md", "bin/oauth2-wasm.mjs", "js/browser.mjs", "js/error.mjs", "js/file-store.d.ts", "js/file-store.mjs",
    "js/index.cjs", "js/index.d.ts", "js/index.mjs", "js/node-http.cjs", "js/node-http.d.ts", "js/node-http.mjs",
    "js/redis-store.d.ts", "js/redis-store.mjs",
    "package.json", "pkg/node/driver.cjs", "pkg/node/error.cjs", "pkg/node/oauth2_wasm.js", "pkg/node/oauth2_wasm_bg.wasm",
    "pkg/node/snippets/oauth2-wasm-<hash>/src/web/exchange.js",
    "pkg/node/snippets/oauth2-wasm-<hash>/src/web/keys.js",
    "pkg/web/oauth2_wasm_bg.wasm",
  ]);
  const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  assert.match(manifest.version, /^\d+\.\d+\.\d+/);
  assert.equal(manifest.exports["."].types, "./js/index.d.ts");
});

test("fetch(req.url, req) sends a built request as it is", async (t) => {
  const server = await startTokenServer();
  t.after(() => server.close());
  const { autograb, teenquotes, olx } = PROVIDERS;
  const cases = [
    [{ tokenEndpoint: server.url + autograb.path, clientId: autograb.clientId, clientSecret: autograb.clientSecret },
      { grantType: "client_credentials" }, 3599],
    [{ tokenEndpoint: server.url + teenquotes.path, clientId: 42, clientSecret: teenquotes.clientSecret,
      clientAuth: "body", bodyEncoding: "json" }, { grantType: "client_credentials" }, 604800],
    [{ tokenEndpoint: server.url + olx.path, clientId: 123, clientSecret: olx.clientSecret },
      { grantType: "password", username: olx.username, password: olx.password }, 43200],
  ];
  for (const [client, grant, lifetime] of cases) {
    const req = esm.buildTokenRequest(client, grant);
    const sentAt = Date.now();
    const res = await fetch(req.url, req);
    const tokens = esm.parseTokenResponse(res.status, await res.text(), { now: sentAt, headers: res.headers });
    assert.equal(tokens.expiresIn, lifetime);
    assert.equal(tokens.expiresAt, sentAt + lifetime * 1000);
    assert.match(tokens.accessToken, /^[0-9a-f]{40}$/);
    assert.deepEqual(tokens.quirks, []);
    const seen = server.requests.at(-1);
    assert.equal(seen.body, req.body, "the server got the body byte for byte");
    assert.equal(seen.headers["content-type"], req.headers["Content-Type"]);
    assert.equal(seen.headers.authorization, req.headers.Authorization);
  }
});

test("a non-Latin-1 secret travels in Basic credentials that the server decodes exactly", async (t) => {
  const server = await startTokenServer();
  t.after(() => server.close());
  const req = esm.buildTokenRequest(
    { tokenEndpoint: server.url + "/request-token", clientId: "zoë client", clientSecret: "pässwörd€ :+/%🔑" },
    { grantType: "client_credentials" },
  );
  const res = await fetch(req.url, req);
  assert.equal(res.status, 401, "the demo server knows other credentials");
  const plain = Buffer.from(server.requests.at(-1).headers.authorization.slice(6), "base64").toString("utf8");
  const [id, secret] = plain.split(":").map((s) => decodeURIComponent(s.replace(/\+/g, " ")));
  assert.deepEqual([id, secret], ["zoë client", "pässwörd€ :+/%🔑"]);
  const err = (() => {
    try {
      esm.parseTokenResponse(res.status, "", { headers: res.headers });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(!inspect(err).includes("pässwörd"));
});

test("a Headers object or a plain record both reach the parser", () => {
  const body = '{"access_token":"a","token_type":"bearer"}';
  const viaHeaders = esm.parseTokenResponse(200, body, { headers: new Headers({ "content-type": "text/plain" }) });
  const viaRecord = esm.parseTokenResponse(200, body, { headers: { "Content-Type": "text/plain" } });
  assert.deepEqual(viaHeaders.quirks, ["content_type_not_json"]);
  assert.deepEqual(viaRecord.quirks, ["content_type_not_json"]);
  const rateLimited = (() => {
    try {
      esm.parseTokenResponse(429, "slow down", { headers: new Headers({ "retry-after": "7" }) });
    } catch (e) {
      return e;
    }
  })();
  assert.equal(rateLimited.kind, "http");
  assert.equal(rateLimited.retryAfter, 7);
});
