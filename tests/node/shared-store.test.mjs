// Sessions shared with other processes and tabs, against the packed package: failed writes
// written again without overwriting a sibling's rotation, logout or newer-version record;
// a sibling's login adopted; logout bounded by the lock; no token downgraded to Bearer.
// (From a review of the renewal and storage code; each was a bug before.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { TokenManager } from "oauth2-wasm";
import { clock, recorder, rejection, tick } from "./helpers.mjs";

const client = { tokenEndpoint: "https://as.example/token", clientId: "review" };
const KEY = "oauth2-wasm:https://as.example/token#review";
const API = "https://api.example/data";

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A rotating authorization server: every token answer carries a new refresh token and only
 * the latest one is accepted. `tokenType(n)` picks the type of answer n; `hold(n)` may return
 * a promise the answer waits for. The API answers `api(call)`.
 */
function server({ tokenType = () => "Bearer", hold = () => null, api = () => new Response("ok") } = {}) {
  let serial = 0;
  let valid = null;
  const calls = [];
  const fetch = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    const params = Object.fromEntries(new URLSearchParams(typeof init.body === "string" ? init.body : ""));
    const call = { url: String(url), params, headers };
    calls.push(call);
    if (String(url).startsWith(API)) return api(call);
    const n = ++serial;
    if (params.grant_type === "refresh_token" && params.refresh_token !== valid) {
      return json(400, { error: "invalid_grant" });
    }
    const waitFor = hold(n, params);
    if (waitFor) await waitFor;
    valid = `RT-${n}`;
    return json(200, { access_token: `AT-${n}`, token_type: tokenType(n), expires_in: 3600, refresh_token: valid });
  };
  return { fetch, calls, refreshes: () => calls.filter((c) => c.params.grant_type === "refresh_token").length };
}

/** A storage adapter over a Map shared by managers ("processes"); `setHook` may fail or delay a write. */
function sharedStore() {
  const map = new Map();
  const store = {
    map,
    setHook: null,
    adapter: {
      get: (k) => map.get(k) ?? null,
      set: (k, v) => {
        const hook = store.setHook;
        if (hook) return hook(k, v, () => map.set(k, v));
        map.set(k, v);
      },
      remove: (k) => void map.delete(k),
    },
  };
  return store;
}

const password = { grantType: "password", username: "u", password: "p" };

// ---------------------------------------------------------------------------------------

test("manager.fetch never sends a non-Bearer token as Bearer, also on the retry after a 401", async () => {
  let apiCalls = 0;
  const as = server({
    // The login answer is a Bearer token; the refresh after the 401 answers a DPoP token.
    tokenType: (n) => (n === 1 ? "Bearer" : "DPoP"),
    api: () => (++apiCalls === 1 ? new Response("expired", { status: 401 }) : new Response("ok")),
  });
  const manager = new TokenManager({ client, storage: "memory", fetch: as.fetch });
  await manager.login(password);
  let outcome;
  try {
    const res = await manager.fetch(API);
    outcome = `resolved with status ${res.status}`;
  } catch (err) {
    outcome = `rejected: ${err.kind}`;
  }
  const sentAsBearer = as.calls.filter((c) => c.url.startsWith(API)).map((c) => c.headers.get("authorization"));
  assert.equal(manager.getTokens().tokenType, "DPoP");
  assert.ok(
    !sentAsBearer.includes("Bearer AT-2"),
    `the DPoP token AT-2 went out as "Bearer AT-2" (API saw ${JSON.stringify(sentAsBearer)}; fetch ${outcome})`,
  );
});

test("a failed write written again later never overwrites a newer-version record (left untouched)", async () => {
  const c = clock();
  const store = sharedStore();
  const as = server();
  const manager = new TokenManager({ client, storage: store.adapter, now: c.now, fetch: as.fetch });
  await manager.login(password);
  // One write fails: the refreshed record stays in memory, marked to be written again.
  store.setHook = () => {
    store.setHook = null;
    throw new Error("disk full");
  };
  await manager.refresh();
  // Another process, on a newer library version, now writes its format under the key.
  const future = JSON.stringify({ v: 99, kind: "oauth2-wasm/token", somethingNew: true });
  store.map.set(KEY, future);
  await manager.getAccessToken();
  await tick();
  assert.equal(store.map.get(KEY), future, "the newer version's record was overwritten");
});

test("a session another process logged out does not come back from this process's failed write", async () => {
  const c = clock();
  const store = sharedStore();
  const as = server();
  const a = new TokenManager({ client, storage: store.adapter, now: c.now, fetch: as.fetch });
  const b = new TokenManager({ client, storage: store.adapter, now: c.now, fetch: as.fetch });
  await a.login(password);
  await b.getAccessToken(); // b loads the shared session
  // a refreshes; its write fails (kept in memory, to be written again on its next call).
  store.setHook = () => {
    store.setHook = null;
    throw new Error("EIO");
  };
  c.advance(10);
  await a.refresh();
  // Later, the user logs out in process b.
  c.advance(10);
  await b.logout();
  assert.equal(store.map.get(KEY), undefined);
  // a's next call (any call) writes its record again: the logged-out session is back.
  c.advance(10);
  await a.getAccessToken().catch(() => {});
  assert.equal(store.map.get(KEY), undefined, "after b's logout, a wrote the session back into the shared store");
});

test("a login stored by a sibling is adopted even if its request was sent before this manager saw the previous logout", async () => {
  const c = clock();
  const store = sharedStore();
  const gate = deferred();
  let holdLogin = false;
  const as = server({ hold: (n, params) => (holdLogin && params.grant_type === "password" ? gate.promise : null) });
  const a = new TokenManager({ client, storage: store.adapter, now: c.now, fetch: as.fetch });
  const b = new TokenManager({ client, storage: store.adapter, now: c.now, fetch: as.fetch });
  await a.login(password);
  await b.getAccessToken();
  // b: logout, then at once a new login (switch account); its request is in flight.
  c.advance(1);
  await b.logout();
  c.advance(1);
  holdLogin = true;
  const relogin = b.login(password);
  await tick();
  // a looks at the store meanwhile (a forced refresh re-reads it) and sees the logout.
  c.advance(1);
  const err = await rejection(a.refresh());
  assert.equal(err.kind, "login_required");
  // b's login completes and is stored: a fresh, valid session in the shared store.
  c.advance(1);
  gate.resolve();
  const session = await relogin;
  assert.equal(JSON.parse(store.map.get(KEY)).accessToken, session.accessToken);
  // a never adopts it: every call says login_required while the store holds a valid session.
  c.advance(60);
  let got;
  try {
    got = await a.getAccessToken();
  } catch (e) {
    got = `rejected ${e.kind}`;
  }
  assert.equal(got, session.accessToken, `a's getAccessToken() → ${got}; store holds ${session.accessToken}`);
});

test("a write written again after a failure never lands after (and over) a newer rotation", async () => {
  const c = clock();
  const store = sharedStore();
  const as = server();
  const a = new TokenManager({ client, storage: store.adapter, now: c.now, fetch: as.fetch });
  await a.login(password); // RT-1 stored
  // a refreshes (RT-2); the write fails: RT-2 lives in a's memory, RT-1 in the store.
  store.setHook = () => {
    store.setHook = null;
    throw new Error("ETIMEDOUT");
  };
  c.advance(10);
  await a.refresh();
  // A call writes RT-2 again; this write is slow (a remote store).
  const slow = deferred();
  store.setHook = (k, v, apply) => {
    store.setHook = null;
    return slow.promise.then(apply);
  };
  const pending = a.getAccessToken();
  await tick();
  // Meanwhile an explicit refresh is asked for: it is serialised behind the write (one
  // renewal at a time, under the lock), so the slow write cannot land over a newer record.
  c.advance(10);
  const third = a.refresh();
  slow.resolve();
  await pending;
  await third;
  await tick();
  const stored = JSON.parse(store.map.get(KEY)).refreshToken;
  assert.equal(stored, a.getTokens().refreshToken, "the store holds the manager's newest refresh token");
  // Consequence: another process sharing the store sends the rotated-out RT-2, is refused,
  // re-reads the same record and ends the session for everyone.
  const b = new TokenManager({ client, storage: store.adapter, now: c.now, fetch: as.fetch });
  c.advance(3600);
  let outcome;
  try {
    await b.getAccessToken();
    outcome = "ok";
  } catch (e) {
    outcome = e.kind;
  }
  assert.equal(outcome, "ok", `another process sharing the store: ${outcome}, store now ${store.map.get(KEY) ?? "empty"}`);
});

test("logout() waits for an adapter lock at most timeoutMs + 5 s (a hung sibling holds it)", async () => {
  const store = sharedStore();
  const as = server();
  // The lock is held by a sibling process that hung: asking for it never settles.
  store.adapter.lock = () => new Promise(() => {});
  const manager = new TokenManager({ client: { ...client, timeoutMs: 200 }, storage: store.adapter, fetch: as.fetch });
  await manager.login(password);
  const started = Date.now();
  const settled = await Promise.race([
    manager.logout().then(() => "resolved"),
    new Promise((r) => setTimeout(() => r("still waiting"), 8000)),
  ]);
  assert.equal(settled, "resolved", `logout() ${settled} after ${Date.now() - started} ms (documented bound: 5.2 s)`);
});
