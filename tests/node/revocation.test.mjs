// Token revocation (RFC 7009) and introspection (RFC 7662), issue 16, through the packed package: buildRevocationRequest
// and revokeToken, against oidc-provider (a real, independent server: a revoked refresh token
// is refused afterwards) and a scripted server for the answers it does not give (503 with
// Retry-After, unsupported_token_type), with every client authentication and both encodings.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileStorage } from "oauth2-wasm/file-store";
import { nodeHttpFetch } from "oauth2-wasm/node-http";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";
import { buildIntrospectionRequest, buildRevocationRequest, introspectToken, requestToken, revokeToken, OAuthError, TokenManager } from "oauth2-wasm";
import { startServers } from "../support/servers.mjs";
import { rejection } from "./helpers.mjs";

let servers;
before(async () => {
  servers = await startServers();
});
after(() => servers?.close());

test("issue 16: buildRevocationRequest — the revocation endpoint, the token and hint, the token endpoint's client authentication", () => {
  const client = { tokenEndpoint: "https://as.example/token", revocationEndpoint: "https://as.example/revoke", clientId: "app", clientSecret: "s3cr+t" };
  const basic = buildRevocationRequest(client, "rt-1", { tokenTypeHint: "refresh_token" });
  assert.equal(basic.url, "https://as.example/revoke");
  assert.equal(basic.method, "POST");
  assert.equal(basic.body, "token=rt-1&token_type_hint=refresh_token");
  assert.equal(basic.headers.Authorization, `Basic ${btoa("app:s3cr%2Bt")}`);
  const body = buildRevocationRequest({ ...client, clientAuth: "body" }, "at-1");
  assert.equal(body.body, "token=at-1&client_id=app&client_secret=s3cr%2Bt");
  assert.equal(body.headers.Authorization, undefined);
  const json = buildRevocationRequest({ ...client, bodyEncoding: "json" }, "at-1");
  assert.equal(json.body, '{"token":"at-1"}');
  assert.equal(json.headers["Content-Type"], "application/json");
  for (const [args, field] of [
    [[{ tokenEndpoint: "https://as.example/token", clientId: "app" }, "t"], "revocationEndpoint"],
    [[{ ...client, revocationEndpoint: "http://as.example/revoke" }, "t"], "revocationEndpoint"],
    [[client, ""], "token"],
    [[client, 42], "token"],
    [[client, "t", { tokenTypeHint: 1 }], "tokenTypeHint"],
  ]) {
    let err;
    try {
      buildRevocationRequest(...args);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof OAuthError, String(err));
    assert.deepEqual([err.kind, err.field], ["config", field]);
  }
});

test("issue 16: revokeToken against oidc-provider — the revoked refresh token is refused afterwards; an unknown token revokes fine", async () => {
  const { tokenEndpoint, revocationEndpoint, clientId, clientSecret } = servers.urls.oidc;
  const client = { tokenEndpoint, revocationEndpoint, clientId, clientSecret };
  const minted = await servers.oidc.mintRefreshToken();
  const refreshed = await requestToken(client, { grantType: "refresh_token", refreshToken: minted });
  assert.equal(await revokeToken(client, refreshed.refreshToken, { tokenTypeHint: "refresh_token" }), undefined);
  const err = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken: refreshed.refreshToken }));
  assert.deepEqual([err.kind, err.error], ["oauth", "invalid_grant"]);
  // RFC 7009 §2.2: an invalid token is no error; and client_secret_post works too.
  await revokeToken({ ...client, clientAuth: "body" }, "not-a-token-it-issued");
  const refused = await rejection(revokeToken({ ...client, clientSecret: "wrong" }, "x"));
  assert.deepEqual([refused.kind, refused.error], ["oauth", "invalid_client"]);
  assert.ok(!JSON.stringify(refused).includes("wrong"), "no secret in the error");
});

test("issue 16: revokeToken reads 503 with Retry-After, unsupported_token_type, time limits and aborts like token requests", async (t) => {
  const answers = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      answers.push(body);
      const script = [
        [503, { "retry-after": "30" }, ""],
        [400, { "content-type": "application/json" }, JSON.stringify({ error: "unsupported_token_type" })],
        [200, {}, ""],
      ];
      const answer = script[answers.length - 1];
      if (!answer) return; // from the fourth on: never answers
      const [status, headers, text] = answer;
      res.writeHead(status, headers).end(text);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  const client = { tokenEndpoint: "https://as.example/token", revocationEndpoint: `http://127.0.0.1:${server.address().port}/revoke`, clientId: "public" };
  const busy = await rejection(revokeToken(client, "at-1"));
  assert.deepEqual([busy.kind, busy.status, busy.retryAfter], ["http", 503, 30]);
  const unsupported = await rejection(revokeToken(client, "at-1", { tokenTypeHint: "access_token" }));
  assert.deepEqual([unsupported.kind, unsupported.error], ["oauth", "unsupported_token_type"]);
  await revokeToken(client, "rt-1");
  assert.equal(answers[2], "token=rt-1&client_id=public");
  const late = await rejection(revokeToken(client, "at-2", { timeoutMs: 200 }));
  assert.equal(late.kind, "timeout");
  const controller = new AbortController();
  const aborted = rejection(revokeToken(client, "at-3", { signal: controller.signal }));
  setTimeout(() => controller.abort(), 50);
  assert.equal((await aborted).kind, "aborted");
});

test("issue 16: manager.logout({ revoke: true }) clears first, then revokes at oidc-provider; the revoked refresh token is refused", async () => {
  const { tokenEndpoint, revocationEndpoint, clientId, clientSecret } = servers.urls.oidc;
  const client = { tokenEndpoint, revocationEndpoint, clientId, clientSecret };
  const manager = new TokenManager({ client, storage: "memory" });
  const events = [];
  manager.onChange((tokens, e) => events.push([e.reason, tokens === null]));
  const minted = await servers.oidc.mintRefreshToken();
  const tokens = await manager.login({ grantType: "refresh_token", refreshToken: minted });
  assert.ok(tokens.refreshToken);
  assert.equal(await manager.logout({ revoke: true }), undefined);
  assert.equal(manager.getTokens(), null);
  assert.deepEqual(events, [["login", false], ["logout", true]]);
  const err = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken: tokens.refreshToken }));
  assert.deepEqual([err.kind, err.error], ["oauth", "invalid_grant"]);
  // Nothing held: nothing to revoke, and a plain logout still never rejects.
  await manager.logout({ revoke: true });
  await manager.logout();
});

test("issue 16: with the revocation endpoint down the logout stands, and the failure is reported once", async () => {
  let sent = 0;
  const fetch = async (url) => {
    sent++;
    if (String(url).endsWith("/revoke")) throw new TypeError("fetch failed");
    return new Response(JSON.stringify({ access_token: "at", token_type: "Bearer", expires_in: 600, refresh_token: "rt" }), { headers: { "content-type": "application/json" } });
  };
  const client = { tokenEndpoint: "https://as.example/token", revocationEndpoint: "https://as.example/revoke", clientId: "spa" };
  const storage = new Map();
  const adapter = { get: (k) => storage.get(k), set: (k, v) => void storage.set(k, v), remove: (k) => void storage.delete(k) };
  const manager = new TokenManager({ client, storage: adapter, fetch });
  await manager.login({ grantType: "client_credentials" });
  assert.equal(storage.size, 1);
  const err = await rejection(manager.logout({ revoke: true }));
  assert.equal(err.kind, "network");
  assert.equal(manager.getTokens(), null, "logged out locally");
  assert.equal(storage.size, 0, "and in the store");
  assert.equal(sent, 3, "one token request, then each revocation once: nothing retried");
  // No revocationEndpoint: the logout stands, the call says what is missing.
  const bare = new TokenManager({ client: { tokenEndpoint: client.tokenEndpoint, clientId: "spa" }, storage: "memory", fetch });
  await bare.login({ grantType: "client_credentials" });
  const missing = await rejection(bare.logout({ revoke: true }));
  assert.deepEqual([missing.kind, missing.field], ["config", "revocationEndpoint"]);
  assert.equal(bare.getTokens(), null);
});

test("issue 16: introspectToken against oidc-provider — active with its members, inactive once revoked", async () => {
  const { tokenEndpoint, revocationEndpoint, introspectionEndpoint, clientId, clientSecret } = servers.urls.oidc;
  const client = { tokenEndpoint, revocationEndpoint, introspectionEndpoint, clientId, clientSecret };
  const req = buildIntrospectionRequest(client, "at-1", { tokenTypeHint: "access_token" });
  assert.deepEqual([req.url, req.body], [introspectionEndpoint, "token=at-1&token_type_hint=access_token"]);
  const { accessToken } = await requestToken(client, { grantType: "client_credentials" });
  const info = await introspectToken(client, accessToken, { tokenTypeHint: "access_token" });
  assert.equal(info.active, true);
  assert.equal(info.clientId, clientId);
  assert.equal(typeof info.exp, "number");
  assert.equal(info.raw.active, true);
  await revokeToken(client, accessToken, { tokenTypeHint: "access_token" });
  const after = await introspectToken(client, accessToken);
  assert.equal(after.active, false);
  const unknown = await introspectToken(client, "not-a-token");
  assert.equal(unknown.active, false);
  const missing = await rejection(introspectToken({ tokenEndpoint, clientId, clientSecret }, accessToken));
  assert.deepEqual([missing.kind, missing.field], ["config", "introspectionEndpoint"]);
  const bad = await rejection(introspectToken(client, "x", { fetch: async () => new Response('{"active":"yes"}', { headers: { "content-type": "application/json" } }) }));
  assert.deepEqual([bad.kind, bad.field], ["invalid_response", "active"]);
});

test("issue 16: with a shared file store, one manager's revoking logout revokes once and ends the session for the other", async () => {
  const revoked = [];
  let issued = 0;
  const fetch = async (url, init) => {
    if (String(url).endsWith("/revoke")) {
      revoked.push(new URLSearchParams(init.body).get("token_type_hint"));
      return new Response(null, { status: 200 });
    }
    issued++;
    return new Response(JSON.stringify({ access_token: `at${issued}`, token_type: "Bearer", expires_in: 600, refresh_token: `rt${issued}` }), { headers: { "content-type": "application/json" } });
  };
  const client = { tokenEndpoint: "https://as.example/token", revocationEndpoint: "https://as.example/revoke", clientId: "spa" };
  const file = join(mkdtempSync(join(tmpdir(), "oauth2-wasm-revoke-")), "tokens.json");
  const a = new TokenManager({ client, storage: fileStorage(file), fetch });
  const b = new TokenManager({ client, storage: fileStorage(file), fetch });
  await a.login({ grantType: "client_credentials" });
  assert.equal(await b.getAccessToken(), "at1", "b reads a's session from the file");
  await a.logout({ revoke: true });
  assert.deepEqual(revoked, ["refresh_token", "access_token"], "revoked once, refresh token first");
  const err = await rejection(new TokenManager({ client, storage: fileStorage(file), fetch }).getAccessToken());
  assert.equal(err.kind, "login_required", "the file holds no session");
  assert.equal(issued, 1);
});

test("issue 16: the demo server's /revoke and /introspect, through nodeHttpFetch too", async (t) => {
  const demo = await startTokenServer();
  t.after(() => demo.close());
  const { olx } = PROVIDERS;
  const client = {
    tokenEndpoint: demo.url + olx.path, revocationEndpoint: `${demo.url}/revoke`, introspectionEndpoint: `${demo.url}/introspect`,
    clientId: olx.clientId, clientSecret: olx.clientSecret,
  };
  const grant = { grantType: "password", username: olx.username, password: olx.password };
  for (const fetch of [undefined, nodeHttpFetch]) {
    const { refreshToken } = await requestToken(client, grant, { fetch });
    assert.equal((await introspectToken(client, refreshToken, { fetch })).active, true);
    await revokeToken(client, refreshToken, { tokenTypeHint: "refresh_token", fetch });
    assert.equal((await introspectToken(client, refreshToken, { fetch })).active, false);
    const err = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken }, { fetch }));
    assert.equal(err.error, "invalid_grant");
    const bad = await rejection(revokeToken({ ...client, clientSecret: "wrong" }, refreshToken, { fetch }));
    assert.deepEqual([bad.kind, bad.error], ["oauth", "invalid_client"]);
  }
});
