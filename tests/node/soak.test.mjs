// Soak: one hour of simulated time (the manager's `now` option, a clock the test moves in
// 7–20 s steps) with short-lived, rotating tokens and faults injected at seeded-random
// points, against the real provider handlers of www/token-server.mjs (demo mode:
// `X-Demo-Lifetime` shortens the tokens) behind a loopback front server that injects the
// faults and serves a resource that checks the Bearer tokens.
//
// Faults: token-endpoint 5xx (HTML 502/503, empty 500, JSON 503 temporarily_unavailable),
// connection resets, hanging responses (the client's timeoutMs fires), a storage adapter
// whose get / set / lock throw or reject, and the resource revoking a token (401).
// Token-endpoint faults happen before the provider sees the request, as at a proxy, so the
// server never rotates a refresh token whose answer the client did not get.
//
// Failures from injected faults may surface (network, timeout, http, storage, or oauth
// with a 5xx error code), but the session never ends, the client never presents a
// rotated-out refresh token (the server never answers invalid_grant), and after the hour a
// getAccessToken() gives a token the resource accepts.
//
//   SOAK_SEED=1234 node --test tests/node/soak.test.mjs    replays one seed
//   SOAK_DEBUG=1 …                                         prints every step to stderr
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { randomInt } from "node:crypto";
import { TokenManager, OAuthError } from "oauth2-wasm";
import { createTokenHandler, PROVIDERS } from "../../www/token-server.mjs";

const HOUR_MS = 3600_000;
const MIN_STEP_MS = 7_000;
const MAX_STEP_MS = 20_000;
const MAX_STEPS = Math.ceil(HOUR_MS / MIN_STEP_MS) + 1; // the loop is bounded
const TIMEOUT_MS = 400; // the clients' timeoutMs: a hanging answer costs this much real time
const SEED = process.env.SOAK_SEED !== undefined ? Number(process.env.SOAK_SEED) >>> 0 : randomInt(2 ** 31);

// Per step and session, the chance of arming each fault. An armed fault stays armed until
// it fires, at the next matching call (a token request, a storage call, a resource call).
const TOKEN_FAULTS = [["5xx", 0.06], ["reset", 0.04], ["hang", 0.03]];
const STORAGE_FAULTS = [["get-throws", 0.03], ["get-rejects", 0.03], ["lock-throws", 0.02], ["lock-rejects", 0.02],
  ["set-throws", 0.02], ["set-rejects", 0.02]];
const REVOKE = 0.04;
// A failed write leaves the tokens in the manager's memory until its next call writes them
// again (README). While the store holds them, a session may be restarted (a new manager on
// the same adapter, as after a process restart): it must carry on from what was stored. (A
// process that dies between a failed write and the next call loses its rotation: inherent.)
const RESTART = 0.015;

// How each fault may surface from getAccessToken() / fetch(): as one of these OAuthError kinds.
const SURFACES_AS = {
  "5xx": ["http", "oauth"], // "oauth": the JSON 503 temporarily_unavailable
  reset: ["network"],
  hang: ["timeout"],
  get: ["storage"],
  set: ["storage"],
  lock: ["storage"], // a storage_error event; without the lock no refresh token is sent: an expired token fails (README)
  revoked: [], // manager.fetch renews and replays: not a failure by itself
};

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One of `choices` ([name, probability]…) or null. */
function pick(random, choices) {
  let r = random();
  for (const [name, p] of choices) {
    if (r < p) return name;
    r -= p;
  }
  return null;
}

const count = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

/**
 * The provider handlers (demo mode) behind a front that injects the armed token fault of
 * each provider path, watches every answer (tokens issued, refresh tokens presented), and a
 * `/resource` that accepts an unexpired, unrevoked access token on the test clock.
 */
async function startFront(clock) {
  const providers = createTokenHandler({ demo: true });
  const armed = new Map(); // provider path -> fault
  const fired = new Map(); // fault kind -> count
  const hanging = new Set();
  const accessTokens = new Map(); // access token -> { expiresAt, revoked }
  const refresh = { current: new Map(), answered: new Map(), rejected: [], stale: [] }; // per path
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/resource") return resource(req, res);
    const fault = armed.get(path);
    if (fault) {
      armed.delete(path);
      count(fired, fault);
      if (fault === "reset") return req.socket.destroy();
      if (fault === "hang") {
        hanging.add(res);
        return res.on("close", () => hanging.delete(res));
      }
      return serverError(res);
    }
    // Watch the provider's answer (it answers synchronously once the body is read).
    const end = res.end.bind(res);
    res.end = (chunk, ...rest) => {
      watch(path, providers.requests.at(-1), res.statusCode, chunk);
      return end(chunk, ...rest);
    };
    providers(req, res);
  });
  let serverErrors = 0;
  function serverError(res) {
    const variant = serverErrors++ % 4;
    if (variant === 0) res.writeHead(502, { "Content-Type": "text/html" }).end("<html><h1>502 Bad Gateway</h1></html>");
    else if (variant === 1) res.writeHead(503, { "Content-Type": "text/html", "Retry-After": "5" }).end("<html>busy</html>");
    else if (variant === 2) res.writeHead(500).end();
    else {
      res.writeHead(503, { "Content-Type": "application/json" })
        .end(JSON.stringify({ error: "temporarily_unavailable", error_description: "try again" }));
    }
  }
  function watch(path, request, status, chunk) {
    const params = new URLSearchParams(request.body);
    let body = null;
    try {
      body = JSON.parse(String(chunk));
    } catch {}
    if (params.get("grant_type") === "refresh_token") {
      const presented = params.get("refresh_token");
      if (presented !== refresh.current.get(path)) refresh.stale.push({ path, at: clock.t });
      if (status !== 200) refresh.rejected.push({ path, status, error: body?.error, at: clock.t });
      else count(refresh.answered, path);
    }
    if (status === 200 && body?.access_token) {
      accessTokens.set(body.access_token, { expiresAt: clock.t + body.expires_in * 1000, revoked: false });
      if (body.refresh_token) refresh.current.set(path, body.refresh_token);
    }
  }
  // The resource: 200 for a known, unexpired, unrevoked token; a revocation armed for the
  // next call revokes the presented token first.
  let revokeNext = false;
  function resource(req, res) {
    req.resume();
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    const known = accessTokens.get(token);
    if (known && revokeNext) {
      revokeNext = false;
      known.revoked = true;
      count(fired, "revoked");
    }
    const ok = known && !known.revoked && clock.t < known.expiresAt;
    res.writeHead(ok ? 200 : 401, { "Content-Type": "text/plain" }).end(ok ? "ok" : "no");
  }
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests: providers.requests,
    fired,
    refresh,
    arm: (path, fault) => armed.has(path) || armed.set(path, fault),
    revokeNext: () => (revokeNext = true),
    disarm: () => {
      armed.clear();
      revokeNext = false;
    },
    accepts: (token) => {
      const known = accessTokens.get(token);
      return Boolean(known && !known.revoked && clock.t < known.expiresAt);
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A storage adapter (with a lock) whose armed fault fires at the next matching call; fired
 * faults are counted in `fired` (all sessions) and in `.fired` (this one).
 */
function faultyStorage(firedAll) {
  const fired = new Map();
  const map = new Map();
  let armed = null;
  const calls = new Map();
  const maybeFail = (method) => {
    count(calls, method);
    if (!armed || !armed.startsWith(`${method}-`)) return null;
    const fault = armed;
    armed = null;
    count(fired, fault);
    count(firedAll, fault);
    const error = new Error(`injected storage fault: ${fault}`);
    if (fault.endsWith("-throws")) throw error;
    // "-rejects"
    return Promise.reject(error);
  };
  // A write or remove that fails leaves the store behind the manager (`unsaved`) until
  // one succeeds.
  const writing = (method, write) => {
    let failed;
    try {
      failed = maybeFail(method);
    } catch (e) {
      store.unsaved = true;
      throw e;
    }
    if (failed) {
      store.unsaved = true;
      return failed;
    }
    write();
    store.unsaved = false;
  };
  const store = {
    map,
    calls,
    fired,
    unsaved: false,
    arm: (fault) => (armed = fault),
    armed: () => armed,
    adapter: {
      get: (key) => maybeFail("get") ?? Promise.resolve(map.get(key) ?? null),
      set: (key, value) => writing("set", () => map.set(key, value)),
      remove: (key) => writing("remove", () => map.delete(key)),
      lock: (name, fn) => maybeFail("lock") ?? fn(),
    },
  };
  return store;
}

let front;
after(() => front?.close());

test(`one simulated hour of rotating 30 s tokens with seeded faults (SOAK_SEED=${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED} (replay: SOAK_SEED=${SEED} node --test tests/node/soak.test.mjs)`);
  const started = Date.now();
  const random = prng(SEED);
  const clock = { t: Date.now() };
  const now = () => clock.t;
  front = await startFront(clock);
  const storageFaults = new Map();
  const { olx, autograb } = PROVIDERS;

  // Two sessions side by side: OLX (password login, then a rotating refresh token, 30 s
  // tokens) and AutoGrab (client_credentials re-acquired by the manager, 45 s tokens).
  const sessions = [
    {
      name: "olx",
      path: olx.path,
      rotates: true,
      client: { tokenEndpoint: front.url + olx.path, clientId: 123, clientSecret: olx.clientSecret,
        timeoutMs: TIMEOUT_MS, headers: { "X-Demo-Lifetime": "30" } },
      login: { grantType: "password", username: olx.username, password: olx.password },
    },
    {
      name: "autograb",
      path: autograb.path,
      rotates: false,
      client: { tokenEndpoint: front.url + autograb.path, clientId: autograb.clientId,
        clientSecret: autograb.clientSecret, timeoutMs: TIMEOUT_MS, headers: { "X-Demo-Lifetime": "45" } },
      grant: { grantType: "client_credentials" },
    },
  ];
  const open = (s) => {
    s.manager = new TokenManager({ client: s.client, grant: s.grant, storage: s.storage.adapter, now });
    s.manager.onChange((tokens, event) => s.events.push({ reason: event.reason, error: event.error?.kind,
      at: clock.t, token: tokens?.accessToken ?? null }));
  };
  for (const s of sessions) {
    s.storage = faultyStorage(storageFaults);
    s.events = [];
    s.errors = new Map(); // kind -> count of failed calls
    s.failedSteps = 0;
    s.ok = 0;
    s.restarts = 0;
    open(s);
    if (s.login) await s.manager.login(s.login);
    else await s.manager.getAccessToken();
  }

  const start = clock.t;
  let steps = 0;
  while (clock.t - start < HOUR_MS) {
    assert.ok(++steps <= MAX_STEPS, "the hour ends");
    clock.t += MIN_STEP_MS + Math.floor(random() * (MAX_STEP_MS - MIN_STEP_MS + 1));
    for (const s of sessions) {
      const where = `seed ${SEED}, step ${steps}, ${s.name}, t+${((clock.t - start) / 1000).toFixed(0)} s`;
      const restarted = s.restarts;
      if (!s.storage.unsaved && random() < RESTART) {
        // A process restart: a new manager on the same store carries the session on.
        s.manager.free();
        open(s);
        s.restarts++;
      }
      // Arm faults; an armed fault stays armed until it fires.
      const tokenFault = pick(random, TOKEN_FAULTS);
      const storageFault = pick(random, STORAGE_FAULTS);
      if (tokenFault) front.arm(s.path, tokenFault);
      if (storageFault && !s.storage.armed()) {
        s.storage.arm(storageFault);
      }
      if (random() < REVOKE) front.revokeNext();
      const firedBefore = new Map([...front.fired, ...storageFaults]);

      // Two plain callers and a resource call at once.
      const outcomes = await Promise.all([
        s.manager.getAccessToken(),
        s.manager.getAccessToken(),
        s.manager.fetch(`${front.url}/resource`).then((res) => {
          if (res.status !== 200) throw new Error(`the resource answered ${res.status}`);
          return "resource ok";
        }),
      ].map((p) => p.then((value) => ({ value }), (error) => ({ error }))));
      const firedKinds = [...front.fired, ...storageFaults].filter(([k, n]) => n > (firedBefore.get(k) ?? 0)).map(([k]) => k);
      const firedNow = firedKinds.length;
      const context = `faults this step: ${firedKinds.join(", ") || "none"}${s.restarts > restarted ? "; restarted" : ""}`;

      const failures = outcomes.filter((o) => o.error).map((o) => o.error);
      for (const error of failures) {
        assert.ok(error instanceof OAuthError, `${where}: an OAuthError, got ${error?.stack ?? error}`);
        assert.notEqual(error.kind, "login_required", `${where}: the session never ends (${error.message}; ${context})`);
        assert.ok(firedNow > 0, `${where}: a failure only when a fault was injected (${error.kind}: ${error.message})`);
        const expected = new Set(firedKinds.flatMap((k) => SURFACES_AS[k.replace(/-.*/, "")] ?? []));
        assert.ok(expected.has(error.kind), `${where}: the kind of a fault of this step, got ${error.kind}: ${error.message} (${context})`);
        if (error.kind === "oauth") {
          assert.ok(["temporarily_unavailable", "server_error"].includes(error.error), `${where}: ${error.error}`);
        }
        count(s.errors, error.kind);
      }
      if (failures.length) s.failedSteps++;
      s.ok += outcomes.length - failures.length;

      // The session is intact. The manager holds the tokens — for OLX the refresh token the
      // server considers current, never a rotated-out one — or, only in a step that failed
      // by a fault (a restarted manager whose first read failed), holds none yet. While its
      // storage works, the store holds the current record too: a restart carries on from it.
      const held = s.manager.getTokens();
      const current = front.refresh.current.get(s.path);
      if (process.env.SOAK_DEBUG) console.error(where, context, JSON.stringify(failures.map((e) => e.kind)), held?.accessToken?.slice(0, 6), storedRecord(s.storage.map)?.accessToken.slice(0, 6), JSON.stringify(s.events.slice(-3).map((e) => [e.reason, e.token?.slice(0, 6), e.at])));
      if (held) {
        if (s.rotates) assert.equal(held.refreshToken, current, `${where}: the client holds the server's current refresh token`);
      } else {
        assert.ok(failures.length > 0 && firedNow > 0, `${where}: the manager holds no tokens only after a failure by a fault`);
      }
      if (!s.storage.unsaved) {
        const stored = storedRecord(s.storage.map);
        assert.ok(stored, `${where}: the store holds the session`);
        if (held) assert.equal(stored.accessToken, held.accessToken, `${where}: the store holds the manager's tokens (${context})`);
        if (s.rotates) assert.equal(stored.refreshToken, current, `${where}: the store holds the current refresh token (${context})`);
      }
      assert.deepEqual(front.refresh.rejected, [], `${where}: the server never refused a refresh token`);
      assert.deepEqual(front.refresh.stale, [], `${where}: the client never presented a rotated-out refresh token`);
      assert.deepEqual(s.events.filter((e) => e.reason === "login_required" || e.reason === "logout"), [],
        `${where}: no login_required or logout event`);
    }
  }

  // The hour is over: no more faults. The next resource call succeeds (renewing once if the
  // last step's revocation is still unanswered), and the token it used is the manager's.
  front.disarm();
  clock.t += MIN_STEP_MS;
  for (const s of sessions) {
    s.storage.arm(null);
    const res = await s.manager.fetch(`${front.url}/resource`);
    assert.equal(res.status, 200, `seed ${SEED}, ${s.name}: the resource accepts the final token`);
    const token = await s.manager.getAccessToken();
    assert.ok(front.accepts(token), `seed ${SEED}, ${s.name}: the final token is accepted`);
    if (s.rotates) assert.equal(s.manager.getTokens().refreshToken, front.refresh.current.get(s.path));
  }

  const report = {
    seed: SEED,
    simulatedSeconds: (clock.t - start) / 1000,
    steps,
    tokenRequests: front.requests.length,
    olxRefreshesAnswered: front.refresh.answered.get(olx.path) ?? 0,
    renewals: Object.fromEntries(sessions.map((s) => [s.name,
      s.events.filter((e) => e.reason === "refresh" || e.reason === "reacquire").length])),
    faults: Object.fromEntries([...front.fired, ...storageFaults].sort()),
    failedCalls: Object.fromEntries(sessions.map((s) => [s.name, Object.fromEntries(s.errors)])),
    failedSteps: Object.fromEntries(sessions.map((s) => [s.name, s.failedSteps])),
    restarts: Object.fromEntries(sessions.map((s) => [s.name, s.restarts])),
    storageErrorEvents: Object.fromEntries(sessions.map((s) => [s.name,
      s.events.filter((e) => e.reason === "storage_error").length])),
    storageCalls: Object.fromEntries(sessions.map((s) => [s.name, Object.fromEntries(s.storage.calls)])),
    realMs: Date.now() - started,
  };
  t.diagnostic(JSON.stringify(report));

  // Figures a user would check: an hour passed, the tokens kept rotating, every kind of
  // fault happened, each failing step had a fault behind it, and most calls succeeded.
  assert.ok(clock.t - start >= HOUR_MS, "a whole simulated hour");
  assert.ok(report.olxRefreshesAnswered >= HOUR_MS / 60_000, `OLX refreshed at least once a minute`);
  assert.ok(report.renewals.autograb >= HOUR_MS / 90_000, `AutoGrab re-acquired at least every 90 s`);
  for (const kind of ["5xx", "reset", "hang", "revoked"]) assert.ok(report.faults[kind] > 0, `${kind} faults injected`);
  for (const kind of ["get", "lock", "set"]) {
    assert.ok(Object.keys(report.faults).some((k) => k.startsWith(`${kind}-`)), `storage ${kind} faults injected`);
  }
  for (const s of sessions) {
    assert.ok(report.storageErrorEvents[s.name] >= 1, `${s.name}: storage faults were reported`);
    assert.ok(report.storageErrorEvents[s.name] <= total(s.storage.fired), `${s.name}: storage_error events only for storage faults`);
    assert.ok(s.failedSteps <= total(front.fired) + total(storageFaults), `${s.name}: no more failing steps than faults`);
    assert.ok(s.ok > steps * 2, `${s.name}: most calls succeeded (${s.ok} of ${steps * 3})`);
  }
  assert.deepEqual(front.refresh.rejected, []);
  assert.deepEqual(front.refresh.stale, []);
});

// Two ways one transient storage fault loses a session, each on its own and deterministic.
// A store shared by processes (the file store, Redis …) can fail once — EMFILE, EBUSY, a
// dropped connection — and work again on the next call. The first is what the soak's
// restarts run into (a restarted manager whose first read fails); the second is why the
// soak stops restarting a session once a write to its store has failed.

/** A map-backed adapter with a lock; `failNext.get` / `failNext.set` fail that many calls. */
function flakyAdapter() {
  const map = new Map();
  const failNext = { get: 0, set: 0 };
  const fail = (method) => failNext[method] > 0 && failNext[method]-- > 0;
  let queue = Promise.resolve();
  return {
    map,
    failNext,
    adapter: {
      get: async (k) => {
        if (fail("get")) throw new Error("EMFILE: too many open files (injected)");
        return map.get(k) ?? null;
      },
      set: async (k, v) => {
        if (fail("set")) throw new Error("EBUSY: resource busy (injected)");
        map.set(k, v);
      },
      remove: async (k) => void map.delete(k),
      lock: (name, fn) => (queue = queue.then(fn, fn)),
    },
  };
}

test("one failed read when a manager starts does not lose the session stored in the adapter", async (t) => {
  const server = await startOlxFront(t);
  const store = flakyAdapter();
  const c = { t: Date.now() };
  const first = new TokenManager({ client: server.client, storage: store.adapter, now: () => c.t });
  const tokens = await first.login(server.login);
  first.free();
  // The next process starts; its first read of the store fails once, then the store works.
  store.failNext.get = 1;
  const second = new TokenManager({ client: server.client, storage: store.adapter, now: () => c.t });
  const events = [];
  second.onChange((_, e) => events.push(e.reason));
  const outcomes = [];
  for (let i = 0; i < 3; i++) {
    outcomes.push(await second.getAccessToken().then((token) => ({ token }), (e) => ({ kind: e.kind, message: e.message })));
  }
  assert.ok(store.map.size === 1, "the session is still in the store");
  assert.deepEqual(outcomes.filter((o) => o.kind === "login_required"), [],
    `a failed read is a storage fault, not the end of the session: ${JSON.stringify(outcomes)}, events ${events}`);
  assert.equal(outcomes.at(-1).token, tokens.accessToken, "the stored session is used once the store answers");
});

test("one failed write does not leave a rotated-out refresh token in a store other managers share",
  async (t) => {
    const server = await startOlxFront(t);
    const store = flakyAdapter();
    const c = { t: Date.now() };
    const a = new TokenManager({ client: server.client, storage: store.adapter, now: () => c.t });
    const b = new TokenManager({ client: server.client, storage: store.adapter, now: () => c.t });
    await a.login(server.login);
    assert.equal(await b.getAccessToken(), a.getTokens().accessToken, "b shares a's session");
    c.t += 43200_000;
    store.failNext.set = 1; // a's refresh is answered, but writing it fails once
    await a.getAccessToken();
    c.t += 43200_000;
    await a.getAccessToken(); // the store works again
    const outcome = await b.getAccessToken().then((token) => ({ token }), (e) => ({ kind: e.kind, error: e.error }));
    assert.equal(outcome.kind, undefined, `b is not logged out: ${JSON.stringify(outcome)}`);
    const restarted = new TokenManager({ client: server.client, storage: store.adapter, now: () => c.t });
    c.t += 43200_000;
    assert.ok(await restarted.getAccessToken(), "a restart carries the session on");
  });

/** The OLX provider (rotating refresh tokens) on a loopback port for one test. */
async function startOlxFront(t) {
  const providers = createTokenHandler();
  const server = createServer(providers);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { olx } = PROVIDERS;
  return {
    client: { tokenEndpoint: `http://127.0.0.1:${server.address().port}${olx.path}`, clientId: 123,
      clientSecret: olx.clientSecret },
    login: { grantType: "password", username: olx.username, password: olx.password },
  };
}

/** The one record in an adapter's map (the documented stored-record JSON), or null. */
function storedRecord(map) {
  assert.ok(map.size <= 1, "one record in the store");
  const [text] = map.values();
  return text === undefined ? null : JSON.parse(text);
}

function total(map) {
  let n = 0;
  for (const v of map.values()) n += v;
  return n;
}
