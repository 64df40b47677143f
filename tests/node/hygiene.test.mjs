// Secret hygiene: every public operation — successes and every error kind — runs with
// recognisable secret values, and everything a user, a log or storage can see is scanned
// for them: error messages and fields, String(err), JSON.stringify, util.inspect, the
// console, and the stored record (which may hold tokens, never credentials).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { buildTokenRequest, parseTokenResponse, requestToken, revokeToken, buildRevocationRequest, introspectToken, TokenManager, OAuthError } from "oauth2-wasm";
import { startServers } from "../support/servers.mjs";

const CLIENT_SECRET = "CLIENT-SECRET-7f3a9c";
const PASSWORD = "PASSWORD-9b2e41";
const PARTNER_SECRET = "PARTNER-SECRET-c81d07";
const CREDENTIALS = [CLIENT_SECRET, PASSWORD, PARTNER_SECRET];
const REVOKED = "REVOKED-TOKEN-5e6f70";

let servers;
const consoleSeen = [];
const originals = {};
before(async () => {
  servers = await startServers();
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    originals[level] = console[level];
    console[level] = (...args) => consoleSeen.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 6 }))).join(" "));
  }
});
after(async () => {
  Object.assign(console, originals);
  await servers.close();
});

/** Everything observable about an error. */
function observable(err) {
  return [
    err.message, String(err), JSON.stringify(err), inspect(err, { depth: 6, showHidden: true }), err.stack,
    ...Object.values(err).map((v) => (typeof v === "string" ? v : JSON.stringify(v))),
  ].join("\n");
}

function assertClean(text, secrets, where) {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} shows ${s}`);
}

async function failure(fn) {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof OAuthError, `not an OAuthError: ${err}`);
    return err;
  }
  assert.fail("expected a failure");
}

test("every error kind keeps client secrets, passwords and partner secrets out", async () => {
  const p = servers.urls.providers;
  const olx = { tokenEndpoint: `${p}/api/open/oauth/token`, clientId: 123, clientSecret: CLIENT_SECRET };
  const password = { grantType: "password", username: "someone@example.com", password: PASSWORD };
  const partner = { grantType: "partner", partnerCode: "partner-name", partnerSecret: PARTNER_SECRET };
  const f = (path, extra = {}) => ({ tokenEndpoint: servers.urls.faults + path, clientId: "c", clientSecret: CLIENT_SECRET, ...extra });
  const cases = {
    config: () => buildTokenRequest({ ...olx, clientAuth: "none" }, password),
    "config (bad password line)": () => buildTokenRequest(olx, { ...password, password: `${PASSWORD}\n` }),
    oauth: () => requestToken(olx, password),
    "oauth (partner)": () => requestToken({ ...olx, clientAuth: "body" }, partner),
    network: () => requestToken({ tokenEndpoint: servers.urls.refused, clientSecret: CLIENT_SECRET, clientId: "c" }, password),
    timeout: () => requestToken(f("/hang", { timeoutMs: 150 }), password),
    aborted: () => requestToken(f("/hang"), password, { signal: AbortSignal.abort() }),
    http: () => requestToken(f("/html502"), partner),
    invalid_response: () => requestToken(f("/reset"), password),
    "invalid_response (parse)": () => parseTokenResponse(200, "<html>", {}),
    login_required: () => new TokenManager({ client: olx }).getAccessToken(),
    // Revocation (issue 16): the token revoked is a secret too.
    "config (revocation)": () => buildRevocationRequest({ ...olx, revocationEndpoint: "http://as.example/r" }, REVOKED),
    "config (revocation token line)": () => buildRevocationRequest({ ...olx, revocationEndpoint: f("/r").tokenEndpoint }, `${REVOKED}\r\n`),
    "network (revocation)": () => revokeToken({ ...olx, revocationEndpoint: servers.urls.refused }, REVOKED),
    "timeout (revocation)": () => revokeToken({ ...f("/hang", { timeoutMs: 150 }), revocationEndpoint: servers.urls.faults + "/hang" }, REVOKED),
    "http (revocation)": () => revokeToken({ ...f("/html502"), revocationEndpoint: servers.urls.faults + "/html502" }, REVOKED),
    "oauth (revocation)": () => revokeToken({ ...olx, revocationEndpoint: olx.tokenEndpoint }, REVOKED),
    "oauth (introspection)": () => introspectToken({ ...olx, introspectionEndpoint: olx.tokenEndpoint }, REVOKED),
    "network (introspection)": () => introspectToken({ ...olx, introspectionEndpoint: servers.urls.refused }, REVOKED),
  };
  const kinds = new Set();
  for (const [name, run] of Object.entries(cases)) {
    const err = await failure(run);
    kinds.add(err.kind);
    assertClean(observable(err), [...CREDENTIALS, REVOKED], name);
  }
  assert.deepEqual([...kinds].sort(), ["aborted", "config", "http", "invalid_response", "login_required", "network", "oauth", "timeout"]);
  assertClean(consoleSeen.join("\n"), CREDENTIALS, "the console");
});

test("the stored record holds tokens only; tokens stay out of errors and events", async () => {
  const p = servers.urls.providers;
  const map = new Map();
  const adapter = { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v), remove: (k) => void map.delete(k) };
  const client = { tokenEndpoint: `${p}/api/open/oauth/token`, clientId: 123, clientSecret: "02468abcdef" };
  let now = Date.now();
  const manager = new TokenManager({ client, storage: adapter, now: () => now });
  const events = [];
  manager.onChange((tokens, event) => events.push(event));
  const tokens = await manager.login({ grantType: "password", username: "user@sneaky.domain", password: "gimmeaccess" });
  const stored = [...map.values()].join("\n");
  assertClean(stored, ["02468abcdef", "gimmeaccess"], "storage");
  assert.ok(stored.includes(tokens.refreshToken), "the record holds the refresh token");
  // The refresh token is rotated out elsewhere, so the next refresh is refused.
  await requestToken(client, { grantType: "refresh_token", refreshToken: tokens.refreshToken });
  now += 43200 * 1000;
  const ended = await failure(() => manager.getAccessToken());
  assert.equal(ended.kind, "login_required");
  assertClean(observable(ended), [tokens.accessToken, tokens.refreshToken, "02468abcdef"], "login_required");
  assertClean(events.map((e) => inspect(e, { depth: 6 })).join("\n"), [tokens.accessToken, tokens.refreshToken, "02468abcdef"], "events");
  assertClean(consoleSeen.join("\n"), [tokens.accessToken, tokens.refreshToken, "02468abcdef", "gimmeaccess"], "the console");
});

test("a built request is the only thing that carries the credentials", () => {
  const req = buildTokenRequest(
    { tokenEndpoint: "https://as.example/token", clientId: "c", clientSecret: CLIENT_SECRET, clientAuth: "body" },
    { grantType: "password", username: "u", password: PASSWORD },
  );
  assert.ok(req.body.includes(CLIENT_SECRET) && req.body.includes(PASSWORD), "the request carries them");
  const parsed = parseTokenResponse(200, JSON.stringify({ access_token: "tok-0123456789abcdef", token_type: "Bearer" }));
  assertClean(JSON.stringify(parsed.quirks), ["tok-0123456789abcdef"], "quirks");
});

test("tokens of a 2xx answer in every encoding stay out of errors (issue 13.2): escaped, camelCase, wrapped, double-encoded, upper-case, XML, %5F", async () => {
  const AT = "LIVE-ACCESS-TOKEN-5d1e";
  const RT = "LIVE-REFRESH-TOKEN-0a7c";
  const bodies = [
    `{"access\\u005ftoken":"${AT}","refresh\\u005ftoken":"${RT}","expires_in":"3600s"}`,
    JSON.stringify({ accessToken: AT, refreshToken: RT }),
    JSON.stringify({ data: { access_token: AT, refresh_token: RT } }),
    JSON.stringify(JSON.stringify({ access_token: AT, refresh_token: RT })),
    JSON.stringify({ ACCESS_TOKEN: AT, REFRESH_TOKEN: RT }),
    `{'access_token':'${AT}','refresh_token':'${RT}'}`,
    `<token><access_token>${AT}</access_token><refresh_token>${RT}</refresh_token></token>`,
    `access%5Ftoken=${AT}&refresh%5Ftoken=${RT}`,
  ];
  for (const body of bodies) {
    for (const status of [200, 201]) {
      const err = (() => { try { parseTokenResponse(status, body); } catch (e) { return e; } })();
      assert.ok(err instanceof OAuthError, body);
      assertClean(observable(err), [AT, RT], `${status} ${body}`);
      const fetch = async () => new Response(body, { status, headers: { "content-type": "text/plain" } });
      const viaFetch = await requestToken({ tokenEndpoint: "https://as.example/token", clientId: "c" }, { grantType: "client_credentials" }, { fetch }).catch((e) => e);
      assertClean(observable(viaFetch), [AT, RT], `requestToken ${status} ${body}`);
    }
  }
  assertClean(consoleSeen.join("\n"), [AT, RT], "the console");
});
