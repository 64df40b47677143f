// Load: 10,000 concurrent getAccessToken() calls on one TokenManager (the packed package)
// across several expiry boundaries make exactly ONE token request per expiry, against the
// real loopback token server (www/token-server.mjs), with a clock the test moves. Both a
// refresh-token session (OLX password login, then refresh with rotation: a used refresh
// token is rejected) and a client_credentials manager (AutoGrab, re-acquired by its grant).
// Then the same with the 10,000 calls spread over several event-loop turns while the one
// request is in flight.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as turn } from "node:timers/promises";
import { TokenManager, OAuthError } from "oauth2-wasm";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";

const CALLERS = 10_000;
const BOUNDARIES = 5;
const TURNS = 10; // the spread variant: CALLERS / TURNS callers per event-loop turn

let server;
before(async () => (server = await startTokenServer()));
after(() => server?.close());

const { olx, autograb } = PROVIDERS;

/** The token requests the server received with this grant_type. */
const sent = (grantType) =>
  server.requests.filter((r) => new URLSearchParams(r.body).get("grant_type") === grantType).length;

/** A clock the test moves. */
function clock(start = Date.now()) {
  const c = { t: start, now: () => c.t };
  return c;
}

// The two sessions under load: how each is set up, and which grant renews it.
const SESSIONS = {
  "refresh-token session (OLX password login, rotating refresh token)": {
    renewal: "refresh_token",
    reason: "refresh",
    async create(c, fetch) {
      const manager = new TokenManager({
        client: { tokenEndpoint: server.url + olx.path, clientId: 123, clientSecret: olx.clientSecret },
        now: c.now,
        fetch,
      });
      const events = recorder(manager);
      await manager.login({ grantType: "password", username: olx.username, password: olx.password });
      return { manager, events };
    },
  },
  "client_credentials manager (AutoGrab, re-acquired by its grant)": {
    renewal: "client_credentials",
    reason: "reacquire",
    async create(c, fetch) {
      const manager = new TokenManager({
        client: { tokenEndpoint: server.url + autograb.path, clientId: autograb.clientId, clientSecret: autograb.clientSecret },
        grant: { grantType: "client_credentials" },
        now: c.now,
        fetch,
      });
      const events = recorder(manager);
      await manager.getAccessToken(); // the first token
      return { manager, events };
    },
  },
};

/** `promise`, or a failure after `ms`: no wait in this file is unbounded. */
function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function recorder(manager) {
  const events = [];
  manager.onChange((tokens, event) => events.push({ reason: event.reason, token: tokens?.accessToken ?? null }));
  return events;
}

/** Settles `n` getAccessToken() calls; returns the tokens and the failures. */
function callers(manager, n) {
  return Array.from({ length: n }, () =>
    manager.getAccessToken().then((token) => ({ token }), (error) => ({ error })));
}

function summarise(outcomes) {
  const errors = outcomes.filter((o) => o.error);
  return {
    errors: errors.map((o) => (o.error instanceof OAuthError ? `${o.error.kind}: ${o.error.message}` : String(o.error))),
    tokens: new Set(outcomes.filter((o) => !o.error).map((o) => o.token)),
  };
}

/** The manager's current expiry (ms, on the test clock). */
function expiry(manager) {
  const tokens = manager.getTokens();
  assert.ok(tokens?.expiresAt, "the session has a token with a known expiry");
  return tokens.expiresAt;
}

for (const [name, session] of Object.entries(SESSIONS)) {
  test(`${name}: ${CALLERS} concurrent callers at each of ${BOUNDARIES} expiry boundaries make one request each`, async (t) => {
    const c = clock();
    const { manager, events } = await session.create(c);
    const started = Date.now();
    let previous = manager.getTokens();
    const requestsAtStart = server.requests.length;
    for (let boundary = 1; boundary <= BOUNDARIES; boundary++) {
      const at = `boundary ${boundary}`;
      // Shortly before the renewal point (60 s before expiry): the cached token, no request.
      c.t = expiry(manager) - 61_000;
      let count = server.requests.length;
      const early = summarise(await Promise.all(callers(manager, CALLERS)));
      assert.deepEqual(early.errors, [], `${at}: no caller failed before expiry`);
      assert.deepEqual([...early.tokens], [previous.accessToken], `${at}: the cached token before expiry`);
      assert.equal(server.requests.length, count, `${at}: no request before expiry`);

      // Everyone at once: inside the renewal window (30 s before expiry) on odd boundaries,
      // past expiry on even ones.
      c.t = boundary % 2 ? expiry(manager) - 30_000 : expiry(manager) + 1;
      count = sent(session.renewal);
      const total = server.requests.length;
      const late = summarise(await Promise.all(callers(manager, CALLERS)));
      assert.deepEqual(late.errors, [], `${at}: no caller failed`);
      assert.equal(sent(session.renewal) - count, 1, `${at}: exactly one ${session.renewal} request`);
      assert.equal(server.requests.length - total, 1, `${at}: no other request`);
      assert.equal(late.tokens.size, 1, `${at}: every caller got the same token`);
      const [token] = late.tokens;
      assert.notEqual(token, previous.accessToken, `${at}: a new token`);
      const now = manager.getTokens();
      assert.equal(now.accessToken, token, `${at}: the manager holds the token the callers got`);
      if (session.renewal === "refresh_token") {
        assert.ok(now.refreshToken && now.refreshToken !== previous.refreshToken, `${at}: the refresh token was rotated`);
      }
      previous = now;
    }
    assert.deepEqual(events.map((e) => e.reason), [
      ...(session.reason === "refresh" ? ["login"] : ["reacquire"]),
      ...Array(BOUNDARIES).fill(session.reason),
    ], "one change per boundary, never login_required");
    const requests = server.requests.length - requestsAtStart;
    assert.equal(requests, BOUNDARIES);
    t.diagnostic(`${BOUNDARIES} boundaries × ${CALLERS} callers (+${CALLERS} before each expiry): ${requests} token requests, ` +
      `${Date.now() - started} ms`);
  });

  test(`${name}: ${CALLERS} callers spread over ${TURNS} event-loop turns while the request is in flight`, async (t) => {
    // The manager's fetch lets the token request reach the server, then holds its answer
    // until the test has issued every call: the request is in flight throughout.
    let hold = null;
    let sentNow = null;
    const held = async (url, init) => {
      const response = await fetch(url, init);
      sentNow?.();
      if (hold) await hold;
      return response;
    };
    const c = clock();
    const { manager, events } = await session.create(c, held);
    let previous = manager.getTokens();
    for (let boundary = 1; boundary <= BOUNDARIES; boundary++) {
      const at = `boundary ${boundary}`;
      c.t = expiry(manager) + 1;
      let release;
      hold = new Promise((resolve) => (release = resolve));
      const answered = new Promise((resolve) => (sentNow = resolve));
      const count = sent(session.renewal);
      const total = server.requests.length;
      const outcomes = [];
      let settled = 0;
      for (let i = 0; i < TURNS; i++) {
        outcomes.push(...callers(manager, CALLERS / TURNS).map((p) => p.then((o) => (settled++, o))));
        // The request is out and answered by the server; the answer is held.
        if (i === 0) await within(answered, 10_000, `${at}: the token request`);
        // A macrotask turn (alternately setImmediate and a timer), so every pending
        // microtask and I/O callback runs before the next batch.
        await (i % 2 ? turn() : new Promise((resolve) => setTimeout(resolve, 1)));
        assert.equal(settled, 0, `${at}, turn ${i}: nobody is answered while the request is in flight`);
        assert.equal(server.requests.length - total, 1, `${at}, turn ${i}: one request so far`);
      }
      release();
      hold = null;
      const result = summarise(await Promise.all(outcomes));
      assert.deepEqual(result.errors, [], `${at}: no caller failed`);
      assert.equal(sent(session.renewal) - count, 1, `${at}: exactly one ${session.renewal} request`);
      assert.equal(server.requests.length - total, 1, `${at}: no other request`);
      assert.equal(result.tokens.size, 1, `${at}: callers of every turn got the same token`);
      const [token] = result.tokens;
      assert.notEqual(token, previous.accessToken, `${at}: a new token`);
      assert.equal(manager.getTokens().accessToken, token);
      // Right after: served from the cache.
      const after = summarise(await Promise.all(callers(manager, 100)));
      assert.deepEqual([...after.tokens], [token], `${at}: later callers get it from the cache`);
      assert.equal(server.requests.length - total, 1, `${at}: still one request`);
      previous = manager.getTokens();
    }
    assert.equal(events.filter((e) => e.reason === session.reason).length,
      session.reason === "refresh" ? BOUNDARIES : BOUNDARIES + 1);
    assert.ok(!events.some((e) => e.reason === "login_required"));
    t.diagnostic(`${BOUNDARIES} boundaries × ${CALLERS} callers over ${TURNS} turns: one request each`);
  });
}
