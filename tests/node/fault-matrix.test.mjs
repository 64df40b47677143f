// The fault matrix of shared/research/reliability.md §4 for the rows that need the packed
// package at run time: transport (N), storage (S, through a storage adapter), the token
// manager's time, refresh and concurrency (T, with the `now` clock and an injected `fetch`
// or the loopback servers), hygiene (H) and the error shape JavaScript sees (E). Each test
// is named after its row; tests/FAULT-MATRIX.md lists every row and where it is covered.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { requestToken, parseTokenResponse, buildTokenRequest, TokenManager, OAuthError } from "oauth2-wasm";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";
import { startFaultServer, refusedUrl } from "../support/faults.mjs";
import { clock, recorder, rejection, tick } from "./helpers.mjs";

let providers;
let faults;
let refused;
before(async () => {
  providers = await startTokenServer();
  faults = await startFaultServer({ redirectTo: `${providers.url}/redirected-here` });
  refused = await refusedUrl();
});
after(async () => {
  await faults?.close();
  await providers?.close();
});

// ---------------------------------------------------------------------------------------
// Helpers

const { olx } = PROVIDERS;
const olxClient = (extra = {}) => ({ tokenEndpoint: providers.url + olx.path, clientId: 123, clientSecret: olx.clientSecret, ...extra });
const olxLogin = { grantType: "password", username: olx.username, password: olx.password };
const olxKey = () => `oauth2-wasm:${providers.url}${olx.path}#123`;
const cc = { grantType: "client_credentials" };
const fault = (path, extra = {}) => ({ tokenEndpoint: faults.url + path, ...extra });
/** A client for the scripted endpoints below (no network). */
const scriptedClient = { tokenEndpoint: "https://as.example/token", clientId: "fm-client" };
const API = "https://api.example/adverts";

const refreshesSent = () => providers.requests.filter((r) => new URLSearchParams(r.body).get("grant_type") === "refresh_token").length;

/** A clock the test moves (ms). */
/** A storage adapter over a Map; with `lock`, a mutex like the file store's. */
function memoryStore({ lock = false } = {}) {
  const map = new Map();
  const adapter = { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v), remove: (k) => void map.delete(k) };
  if (lock) {
    let chain = Promise.resolve();
    adapter.lock = (name, fn) => {
      const run = chain.then(() => fn());
      chain = run.catch(() => {});
      return run;
    };
  }
  return { adapter, map, value: () => [...map.values()][0] };
}

function thrown(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail("expected a throw");
}

/** Waits until `fn()` is true, polling; bounded. */
async function until(fn, what, ms = 3000) {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
let serial = 0;
/** A fresh token response (a new access and refresh token each time). */
const issued = (extra = {}) => {
  serial++;
  return json(200, { access_token: `AT-${serial}-fm`, token_type: "Bearer", expires_in: 3600, refresh_token: `RT-${serial}-fm`, ...extra });
};

/** A token endpoint (and API) in a function: `answer(params, call)` returns a Response. Every call is recorded. */
function endpoint(answer) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const params = Object.fromEntries(new URLSearchParams(typeof init.body === "string" ? init.body : ""));
    const call = { url: String(url), init, params, headers: new Headers(init.headers) };
    calls.push(call);
    return answer(params, call);
  };
  const count = (type) => calls.filter((c) => c.params.grant_type === type).length;
  return { fetch, calls, count };
}

/** Everything a user or a log can see of an error. */
const shown = (err) => [err.message, String(err), JSON.stringify(err), inspect(err, { depth: 6, showHidden: true }), err.stack].join("\n");

// ---------------------------------------------------------------------------------------
// 4.5 Transport

test("N1: connection refused → kind network with ECONNREFUSED; a refresh that cannot connect keeps the tokens", async () => {
  const direct = await rejection(requestToken({ tokenEndpoint: refused }, cc));
  assert.equal(direct.kind, "network");
  assert.match(direct.message, /ECONNREFUSED/);
  assert.match(direct.hint, /nothing accepts connections/);

  const c = clock();
  const store = memoryStore();
  let up = true;
  const manager = new TokenManager({ client: { tokenEndpoint: refused }, storage: store.adapter, now: c.now,
    fetch: (url, init) => (up ? issued() : fetch(url, init)) });
  const events = recorder(manager);
  const first = await manager.login(cc);
  const stored = store.value();
  up = false;
  c.advance(3600);
  const err = await rejection(manager.getAccessToken());
  assert.equal(err.kind, "network");
  assert.match(err.message, /ECONNREFUSED/);
  assert.equal(manager.getTokens().refreshToken, first.refreshToken, "the refresh token is kept");
  assert.equal(store.value(), stored, "the stored record is untouched");
  assert.deepEqual(events.map((e) => e.reason), ["login"]);
});

test("N2: a CORS-style failure (a TypeError without a code) → kind network with a hint; the session is kept", async () => {
  // What browsers report for a CORS refusal; the browser runs (tests/browser/scenarios.mjs) check the CORS hint.
  const cors = () => Promise.reject(new TypeError("Failed to fetch"));
  const direct = await rejection(requestToken(scriptedClient, cc, { fetch: cors }));
  assert.equal(direct.kind, "network");
  assert.ok(direct.hint, "a hint says what to check");
  const c = clock();
  let blocked = false;
  const manager = new TokenManager({ client: scriptedClient, now: c.now, fetch: (u, i) => (blocked ? cors() : issued()) });
  const events = recorder(manager);
  const first = await manager.login(cc);
  blocked = true;
  c.advance(3600);
  assert.equal((await rejection(manager.getAccessToken())).kind, "network");
  assert.equal((await rejection(manager.refresh())).kind, "network");
  assert.equal(manager.getTokens().refreshToken, first.refreshToken);
  assert.ok(!events.some((e) => e.reason === "login_required"), "never read as bad credentials");
});

test("N3: no answer within timeoutMs → kind timeout (not aborted), the body included; the session is kept", async () => {
  for (const path of ["/hang", "/slow-body"]) {
    const start = performance.now();
    const err = await rejection(requestToken(fault(path, { timeoutMs: 200 }), cc));
    const took = performance.now() - start;
    assert.equal(err.kind, "timeout", path);
    assert.match(err.message, /within 200 ms/);
    assert.ok(took >= 190 && took < 2000, `${path}: ${took} ms`);
  }
  const c = clock();
  let up = true;
  const manager = new TokenManager({ client: fault("/hang", { timeoutMs: 200 }), now: c.now,
    fetch: (url, init) => (up ? issued() : fetch(url, init)) });
  const first = await manager.login(cc);
  up = false;
  c.advance(3600);
  assert.equal((await rejection(manager.getAccessToken())).kind, "timeout");
  assert.equal(manager.getTokens().refreshToken, first.refreshToken);
});

test("N4: the caller's AbortSignal → kind aborted, distinct from timeout; an aborted signal sends nothing; a late answer is dropped", async () => {
  const ep = endpoint(() => issued());
  const early = await rejection(requestToken(scriptedClient, cc, { signal: AbortSignal.abort(), fetch: ep.fetch }));
  assert.equal(early.kind, "aborted");
  assert.equal(ep.calls.length, 0, "nothing was sent");
  for (const path of ["/hang", "/slow-body"]) {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const start = performance.now();
    const err = await rejection(requestToken(fault(path), cc, { signal: controller.signal, timeoutMs: 5000 }));
    assert.equal(err.kind, "aborted", path);
    assert.ok(performance.now() - start < 2000);
  }
  // A fetch that ignores the signal and answers later: the answer is not used.
  const controller = new AbortController();
  const late = () => new Promise((resolve) => setTimeout(() => resolve(issued()), 150));
  setTimeout(() => controller.abort(), 20);
  assert.equal((await rejection(requestToken(scriptedClient, cc, { signal: controller.signal, fetch: late }))).kind, "aborted");
});

test("N5: abort reasons and fetch rejections that are not Errors map to OAuthErrors, and the instance keeps working", async () => {
  const hang = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
  for (const reason of ["bye", 42, undefined, null, { x: 1 }]) {
    const controller = new AbortController();
    const pending = requestToken(scriptedClient, cc, { signal: controller.signal, fetch: hang });
    setTimeout(() => controller.abort(reason), 5);
    assert.equal((await rejection(pending)).kind, "aborted", `abort(${inspect(reason)})`);
  }
  for (const value of ["str", 42, undefined, null, { code: 5 }]) {
    const rejects = () => Promise.reject(value);
    const throws = () => {
      throw value;
    };
    assert.equal((await rejection(requestToken(scriptedClient, cc, { fetch: rejects }))).kind, "network", inspect(value));
    assert.equal((await rejection(requestToken(scriptedClient, cc, { fetch: throws }))).kind, "network", inspect(value));
  }
  assert.match((await requestToken(scriptedClient, cc, { fetch: () => issued() })).accessToken, /^AT-/);
});

test("N6: a body that breaks after the headers → kind network, never parsed; a stalled body → timeout; the session is kept", async () => {
  const reset = await rejection(requestToken(fault("/reset"), cc));
  assert.equal(reset.kind, "network");
  assert.match(reset.message, /while reading the response/);
  assert.ok(!shown(reset).includes("reset-token-secret"), "the partial body is not shown");
  assert.equal((await rejection(requestToken(fault("/slow-body", { timeoutMs: 200 }), cc))).kind, "timeout");
  const c = clock();
  let up = true;
  const store = memoryStore();
  const manager = new TokenManager({ client: fault("/reset"), storage: store.adapter, now: c.now,
    fetch: (url, init) => (up ? issued() : fetch(url, init)) });
  const first = await manager.login(cc);
  const stored = store.value();
  up = false;
  c.advance(3600);
  assert.equal((await rejection(manager.getAccessToken())).kind, "network");
  assert.equal(manager.getTokens().accessToken, first.accessToken, "the tokens are kept");
  assert.equal(store.value(), stored);
});

test("N7: without a global fetch → kind config naming fetch; an injected fetch works; a fetch that is not a function is refused", async () => {
  const original = globalThis.fetch;
  delete globalThis.fetch;
  try {
    assert.equal(typeof globalThis.fetch, "undefined");
    const err = await rejection(requestToken(scriptedClient, cc));
    assert.deepEqual([err.kind, err.field], ["config", "fetch"]);
    assert.match((await requestToken(scriptedClient, cc, { fetch: () => issued() })).accessToken, /^AT-/);
    const injected = new TokenManager({ client: scriptedClient, grant: cc, fetch: () => issued() });
    assert.match(await injected.getAccessToken(), /^AT-/);
    const bare = new TokenManager({ client: scriptedClient, grant: cc });
    assert.equal((await rejection(bare.getAccessToken())).kind, "config");
  } finally {
    globalThis.fetch = original;
  }
  const odd = await rejection(requestToken(scriptedClient, cc, { fetch: 42 }));
  assert.deepEqual([odd.kind, odd.field], ["config", "fetch"]);
  const e = thrown(() => new TokenManager({ client: scriptedClient, fetch: "fetch" }));
  assert.ok(e instanceof OAuthError && e.field === "fetch");
});

test("N8: in Node (no window) the global fetch is called, never a window.fetch", async () => {
  const original = globalThis.fetch;
  const used = [];
  globalThis.window = { fetch: () => used.push("window.fetch") && Promise.reject(new Error("window.fetch")) };
  globalThis.fetch = async () => {
    used.push("globalThis.fetch");
    return issued();
  };
  try {
    const tokens = await requestToken(scriptedClient, cc);
    assert.match(tokens.accessToken, /^AT-/);
    const manager = new TokenManager({ client: scriptedClient, grant: cc });
    assert.match(await manager.getAccessToken(), /^AT-/);
    assert.deepEqual(used, ["globalThis.fetch", "globalThis.fetch"]);
  } finally {
    globalThis.fetch = original;
    delete globalThis.window;
  }
});

test("N9: an opaque or error Response (status 0) is a network error, an opaque redirect an http error; neither is parsed", async () => {
  const opaque = (type) => ({ type, status: 0, ok: false, headers: new Headers(), body: null, text: async () => "" });
  for (const fetch of [async () => Response.error(), async () => opaque("opaque")]) {
    const err = await rejection(requestToken(scriptedClient, cc, { fetch }));
    assert.equal(err.kind, "network");
    assert.equal(err.status, undefined);
    assert.match(err.message, /no readable response/);
    assert.ok(err.hint);
  }
  // What a browser gives for redirect: "manual".
  const err = await rejection(requestToken(scriptedClient, cc, { fetch: async () => opaque("opaqueredirect") }));
  assert.equal(err.kind, "http");
  assert.match(err.message, /redirect/);
});

test("N10: token requests omit cookies and never follow redirects", async () => {
  const ep = endpoint(() => issued());
  await requestToken({ ...scriptedClient, clientSecret: "s" }, cc, { fetch: ep.fetch });
  const [{ init, headers }] = ep.calls;
  assert.equal(init.method, "POST");
  assert.equal(init.credentials, "omit");
  assert.equal(init.redirect, "manual");
  assert.ok(init.signal instanceof AbortSignal, "the time limit can cut it");
  assert.equal(headers.get("cookie"), null);
});

test("N12: overlapping calls into one TokenManager never throw 'recursive use of an object'", async () => {
  const c = clock();
  const gate = deferred();
  const ep = endpoint(async () => {
    await gate.promise;
    return issued();
  });
  const manager = new TokenManager({ client: scriptedClient, grant: cc, now: c.now, fetch: ep.fetch });
  const pending = [
    ...Array.from({ length: 10 }, () => manager.getAccessToken()),
    manager.refresh(),
    manager.login(cc),
    manager.getAccessToken(),
  ];
  assert.equal(manager.getTokens(), null, "sync calls while async ones are pending");
  manager.onChange(() => {})();
  gate.resolve();
  const settled = await Promise.allSettled(pending);
  assert.deepEqual(settled.filter((s) => s.status === "rejected").map((s) => String(s.reason?.stack ?? s.reason)), []);
  const parallel = await Promise.allSettled(Array.from({ length: 10 }, () => requestToken(scriptedClient, cc, { fetch: ep.fetch })));
  assert.ok(parallel.every((s) => s.status === "fulfilled"));
});

test("N13: freeing a TokenManager while its refresh is in flight drops the late answer safely", async () => {
  const gate = deferred();
  const manager = new TokenManager({ client: scriptedClient, grant: cc, fetch: async () => {
    await gate.promise;
    return issued();
  } });
  const pending = manager.getAccessToken().then((v) => ({ v }), (e) => ({ e }));
  await tick();
  manager.free();
  gate.resolve();
  const outcome = await pending;
  assert.ok(typeof outcome.v === "string" || outcome.e instanceof OAuthError, inspect(outcome));
  // The instance is fine afterwards.
  const other = new TokenManager({ client: scriptedClient, grant: cc, fetch: () => issued() });
  assert.match(await other.getAccessToken(), /^AT-/);
});

test("N14: hostile arguments never trap or poison the wasm instance", async () => {
  const endpointUrl = "https://as.example/t";
  const selfRef = {};
  selfRef.self = selfRef;
  let deep = {};
  const root = deep;
  for (let i = 0; i < 10_000; i++) deep = deep.x = {};
  const cases = [
    () => buildTokenRequest(new Proxy({}, { get() { throw new Error("trap"); }, ownKeys() { throw new Error("trap"); } }), cc),
    () => buildTokenRequest({ get tokenEndpoint() { throw new Error("getter"); } }, cc),
    () => buildTokenRequest({ tokenEndpoint: endpointUrl, clientId: 10n }, cc),
    () => buildTokenRequest({ tokenEndpoint: endpointUrl, clientId: Symbol("x") }, cc),
    () => buildTokenRequest({ tokenEndpoint: endpointUrl, headers: selfRef }, cc),
    () => buildTokenRequest({ tokenEndpoint: endpointUrl, extraParams: root }, cc),
    () => buildTokenRequest({ tokenEndpoint: endpointUrl }, { grantType: "x", params: { a: () => 1 } }),
    () => parseTokenResponse(NaN, "{}"),
    () => parseTokenResponse(200, { toString: () => "{}" }),
    () => parseTokenResponse(200, "[".repeat(100_000)),
    () => parseTokenResponse(200, "\ud800\udfff\ud800"),
    () => parseTokenResponse(200, "{}", { headers: new Proxy({}, { get() { throw new Error("headers"); } }) }),
    () => parseTokenResponse(200, "{}", { now: -1 }),
  ];
  for (const [i, run] of cases.entries()) {
    let err;
    try {
      run();
    } catch (e) {
      err = e;
    }
    assert.ok(!(err instanceof WebAssembly.RuntimeError), `case ${i}: a wasm trap: ${err?.stack}`);
    assert.ok(err === undefined || err instanceof Error, `case ${i}: ${inspect(err)}`);
  }
  const t = parseTokenResponse(200, '{"access_token":"still-works","token_type":"Bearer"}');
  assert.equal(t.accessToken, "still-works");
  assert.equal(buildTokenRequest({ tokenEndpoint: endpointUrl }, cc).body, "grant_type=client_credentials");
});

// ---------------------------------------------------------------------------------------
// 4.6 Storage

test("S1: storage that is missing or throws on access → memory with a storage_error event; getAccessToken works", async () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "localStorage");
  const cases = [
    ["local", undefined, /localStorage is not available/],
    ["session", undefined, /sessionStorage is not available/],
    ["local", { configurable: true, get() { throw new DOMException("The operation is insecure.", "SecurityError"); } }, /SecurityError/],
    ["local", { configurable: true, value: null }, /localStorage is not available/],
  ];
  try {
    for (const [storage, descriptor, message] of cases) {
      if (descriptor) Object.defineProperty(globalThis, "localStorage", descriptor);
      const manager = new TokenManager({ client: scriptedClient, grant: cc, storage, fetch: () => issued() });
      const events = recorder(manager);
      await tick();
      assert.deepEqual(events.map((e) => e.reason), ["storage_error"], `${storage} ${message}`);
      assert.equal(events[0].error.kind, "storage");
      assert.match(events[0].error.message, message);
      const token = await manager.getAccessToken();
      assert.equal(await manager.getAccessToken(), token, "kept in memory");
      if (saved) Object.defineProperty(globalThis, "localStorage", saved);
      else delete globalThis.localStorage;
    }
  } finally {
    if (saved) Object.defineProperty(globalThis, "localStorage", saved);
    else delete globalThis.localStorage;
  }
});

test("S2: a set() that fails (quota) keeps the new tokens in memory and leaves the old record whole", async () => {
  const c = clock();
  const map = new Map();
  let full = false;
  const adapter = {
    get: (k) => map.get(k) ?? null,
    set: (k, v) => {
      if (full) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      map.set(k, v);
    },
    remove: (k) => void map.delete(k),
  };
  const manager = new TokenManager({ client: olxClient(), storage: adapter, now: c.now });
  const events = recorder(manager);
  const first = await manager.login(olxLogin);
  const old = map.get(olxKey());
  full = true;
  c.advance(43200);
  const second = await manager.getAccessToken();
  assert.notEqual(second, first.accessToken);
  await tick();
  const failure = events.find((e) => e.reason === "storage_error");
  assert.ok(failure, inspect(events.map((e) => e.reason)));
  assert.match(failure.error.message, /QuotaExceededError/);
  assert.equal(map.get(olxKey()), old, "the old record is neither changed nor half-written");
  assert.equal(JSON.parse(old).refreshToken, first.refreshToken);
  // The rotated refresh token lives on in memory: the server refuses the old one now.
  c.advance(43200);
  const third = await manager.getAccessToken();
  assert.ok(third !== second && third !== first.accessToken);
  assert.ok(!events.some((e) => e.reason === "login_required"));
});

test("S3: client secrets and passwords never reach the store, getTokens(), events or inspect(manager)", async () => {
  // Every error kind is scanned the same way in tests/node/hygiene.test.mjs.
  const store = memoryStore();
  const manager = new TokenManager({ client: olxClient(), storage: store.adapter });
  const events = recorder(manager);
  const tokens = await manager.login(olxLogin);
  await manager.refresh();
  const bad = await rejection(manager.login({ ...olxLogin, password: "wrong-password-123" }));
  const visible = [store.value(), JSON.stringify(manager.getTokens()), inspect(manager, { depth: 6, showHidden: true }),
    inspect(events, { depth: 6 }), JSON.stringify(tokens), shown(bad)].join("\n");
  for (const secret of [olx.clientSecret, olx.password, "wrong-password-123"]) {
    assert.ok(!visible.includes(secret), `${secret} is visible`);
  }
});

test("S4: differs by design — a corrupt record is ignored with a discarded event (not removed, not quoted)", async () => {
  // README: "A corrupt or foreign value is ignored (discarded event)"; it stays until this manager writes.
  const seed = memoryStore();
  await new TokenManager({ client: olxClient(), storage: seed.adapter }).login(olxLogin);
  const real = seed.value();
  const parsed = JSON.parse(real);
  for (const value of ["{not json", real.slice(0, Math.floor(real.length / 2)), JSON.stringify({ ...parsed, accessToken: 5 }),
    JSON.stringify({ ...parsed, expiresAt: "tomorrow" }), JSON.stringify({ ...parsed, obtainedAt: -1 })]) {
    const store = memoryStore();
    store.map.set(olxKey(), value);
    const manager = new TokenManager({ client: olxClient(), storage: store.adapter });
    const events = recorder(manager);
    const before = providers.requests.length;
    const err = await rejection(manager.getAccessToken());
    assert.equal(err.kind, "login_required", "treated as absent");
    assert.equal(providers.requests.length, before, "its refresh token is not sent");
    assert.deepEqual(events.map((e) => e.reason), ["discarded"]);
    assert.equal(events[0].error.kind, "storage");
    for (const secret of [parsed.accessToken, parsed.refreshToken]) {
      assert.ok(!shown(events[0].error).includes(secret), "the content is not quoted");
    }
    assert.equal(store.map.get(olxKey()), value, "left in place until the next write");
    await manager.login(olxLogin);
    assert.notEqual(store.map.get(olxKey()), value, "replaced by the next login");
  }
});

test("S5: a record of a newer format is left untouched; this manager works from memory", async () => {
  const future = JSON.stringify({ v: 2, kind: "oauth2-wasm/token", endpoint: providers.url + olx.path, clientId: "123",
    tokens: { access: "from-the-future" } });
  const store = memoryStore();
  store.map.set(olxKey(), future);
  const manager = new TokenManager({ client: olxClient(), storage: store.adapter });
  const events = recorder(manager);
  assert.equal((await rejection(manager.getAccessToken())).kind, "login_required");
  assert.deepEqual(events.map((e) => e.reason), ["discarded"]);
  const tokens = await manager.login(olxLogin);
  assert.equal(await manager.getAccessToken(), tokens.accessToken);
  await manager.logout();
  assert.equal(store.map.get(olxKey()), future, "never overwritten or removed, not even by logout");
});

test("S8: a record of another client under the same key is ignored and its refresh token is never sent", async () => {
  const c = clock();
  const store = memoryStore();
  const a = new TokenManager({ client: olxClient(), storage: store.adapter, storageKey: "fm-shared", now: c.now });
  const tokens = await a.login(olxLogin);
  c.advance(43200 * 2);
  const b = new TokenManager({ client: olxClient({ clientId: 124 }), storage: store.adapter, storageKey: "fm-shared", now: c.now });
  const events = recorder(b);
  const before = providers.requests.length;
  assert.equal((await rejection(b.getAccessToken())).kind, "login_required");
  assert.equal(providers.requests.length, before, "no request at all");
  assert.deepEqual(events.map((e) => e.reason), ["discarded"]);
  assert.ok(store.map.get("fm-shared").includes(tokens.refreshToken), "the other client's record is left alone");
});

test("S9: another application's value under the key is ignored, not deleted", async () => {
  const store = memoryStore();
  store.map.set(olxKey(), JSON.stringify({ theme: "dark" }));
  const manager = new TokenManager({ client: olxClient(), storage: store.adapter });
  const events = recorder(manager);
  assert.equal((await rejection(manager.getAccessToken())).kind, "login_required");
  assert.equal((await rejection(manager.refresh())).kind, "login_required");
  assert.deepEqual(events.map((e) => e.reason), ["discarded"], "reported once");
  assert.equal(store.map.get(olxKey()), '{"theme":"dark"}');
});

test("S12: differs by design — in Node the default storage is memory: nothing outlives the manager", async () => {
  // README: "local" is the default in a window (persisting is the documented trade-off), "memory" in workers and Node.
  const a = new TokenManager({ client: olxClient() });
  const tokens = await a.login(olxLogin);
  assert.equal(await a.getAccessToken(), tokens.accessToken);
  const b = new TokenManager({ client: olxClient() });
  assert.equal(b.getTokens(), null);
  assert.equal((await rejection(b.getAccessToken())).kind, "login_required");
});

test("S13: an adapter that throws, rejects or returns non-strings never breaks getAccessToken", async () => {
  const broken = {
    "get throws": { get: () => { throw new Error("get broke"); } },
    "get rejects": { get: async () => { throw new Error("get broke"); } },
    "set rejects": { set: async () => { throw new Error("set broke"); } },
    "remove throws": { remove: () => { throw new Error("remove broke"); } },
  };
  for (const [name, override] of Object.entries(broken)) {
    const store = memoryStore();
    const manager = new TokenManager({ client: scriptedClient, storage: { ...store.adapter, ...override }, fetch: () => issued() });
    const events = recorder(manager);
    await manager.getAccessToken().catch(() => {});
    const tokens = await manager.login(cc);
    assert.equal(await manager.getAccessToken(), tokens.accessToken, name);
    await manager.logout();
    await tick();
    assert.ok(events.some((e) => e.reason === "storage_error" && e.error.kind === "storage"), `${name}: ${inspect(events.map((e) => e.reason))}`);
  }
  for (const value of [42, { accessToken: "x" }, true]) {
    const manager = new TokenManager({ client: scriptedClient, storage: { get: () => value, set() {}, remove() {} }, fetch: () => issued() });
    assert.equal((await rejection(manager.getAccessToken())).kind, "login_required", `${inspect(value)} is not a record`);
    const tokens = await manager.login(cc);
    assert.equal(await manager.getAccessToken(), tokens.accessToken);
  }
});

test("S13: an adapter whose lock() throws does not break getAccessToken, and no refresh token is sent without it (issue 19)", async () => {
  const c = clock();
  for (const lock of [() => { throw new Error("lock broke"); }, async () => { throw new Error("lock broke"); }]) {
    const store = memoryStore();
    let broken = true;
    const working = memoryStore({ lock: true }).adapter.lock;
    const sent = [];
    const fetch = async (url, init) => {
      sent.push(new URLSearchParams(init.body).get("grant_type"));
      return issued();
    };
    const adapter = { ...store.adapter, lock: (name, fn) => (broken ? lock(name, fn) : working(name, fn)) };
    const manager = new TokenManager({ client: scriptedClient, storage: adapter, now: c.now, fetch });
    const events = recorder(manager);
    const first = await manager.login(cc);
    // Renewing early (inside the 60 s skew), the held token is handed out: it is still valid.
    c.advance(3600 - 30);
    assert.equal(await manager.getAccessToken(), first.accessToken);
    assert.ok(events.some((e) => e.reason === "storage_error" && /lock\(\) failed/.test(e.error.message)));
    // Expired: a storage error, the refresh token not sent, the tokens kept.
    c.advance(60);
    const err = await rejection(manager.getAccessToken());
    assert.equal(err.kind, "storage", err.message);
    assert.deepEqual(sent, ["client_credentials"], "only the login was sent");
    assert.equal(manager.getTokens().refreshToken, first.refreshToken, "nothing lost");
    assert.equal(JSON.parse(store.value()).refreshToken, first.refreshToken, "the shared record stands");
    // The lock works again: the refresh goes ahead.
    broken = false;
    const token = await manager.getAccessToken();
    assert.notEqual(token, first.accessToken);
    assert.deepEqual(sent, ["client_credentials", "refresh_token"]);
  }
  // A manager with a grant of its own re-acquires without the lock (it rotates nothing).
  const store = memoryStore();
  const sent = [];
  const fetch = async (url, init) => {
    sent.push(new URLSearchParams(init.body).get("grant_type"));
    return issued();
  };
  const lock = () => { throw new Error("lock broke"); };
  const manager = new TokenManager({ client: scriptedClient, grant: cc, storage: { ...store.adapter, lock }, now: c.now, fetch });
  const first = await manager.getAccessToken();
  c.advance(3700);
  assert.notEqual(await manager.getAccessToken(), first);
  assert.deepEqual(sent, ["client_credentials", "client_credentials"], "no refresh token without the lock");
});

test("S14: differs by design — the stored record holds absolute times counted from the send time", async () => {
  // The checklist counts from receipt; DESIGN.md counts from sending (earlier, so never late).
  const c = clock(1_800_000_000_000);
  const slow = async () => {
    c.advance(5); // the answer takes 5 s
    return issued({ expires_in: 3600 });
  };
  const store = memoryStore();
  const manager = new TokenManager({ client: scriptedClient, storage: store.adapter, now: c.now, fetch: slow });
  const tokens = await manager.login(cc);
  const record = JSON.parse(store.value());
  assert.equal(record.obtainedAt, 1_800_000_000_000, "when the request was sent");
  assert.equal(record.expiresAt, 1_800_000_000_000 + 3600_000);
  assert.equal(tokens.expiresAt, record.expiresAt);
  assert.ok(!("expiresIn" in record) && !("expires_in" in record), "nothing relative is stored");
});

// ---------------------------------------------------------------------------------------
// 4.7 Time, refresh and concurrency (T12 and T13 are the lead's: tests/session_machine.rs)

test("T1: expiry counts from the local send time plus expires_in, whatever the server's clock; renewal 60 s early", async () => {
  const t0 = 1_800_000_000_000;
  const c = clock(t0);
  const serverDate = new Date(t0 + 10 * 3600_000).toUTCString(); // ten hours ahead
  const ep = endpoint(() => issued({ expires_in: 3600 }));
  const skewed = async (url, init) => {
    const res = await ep.fetch(url, init);
    return new Response(await res.text(), { status: 200, headers: { "content-type": "application/json", date: serverDate } });
  };
  const manager = new TokenManager({ client: scriptedClient, now: c.now, fetch: skewed });
  const tokens = await manager.login(cc);
  assert.equal(tokens.expiresAt, t0 + 3600_000);
  // Teen Quotes' absolute `expires`, read against the server's own Date.
  const tq = parseTokenResponse(200, JSON.stringify({ access_token: "a", token_type: "bearer", expires: (t0 + 10 * 3600_000) / 1000 + 3600 }),
    { now: t0, headers: { date: serverDate } });
  assert.equal(tq.expiresAt, t0 + 3600_000);
  c.advance(3600 - 61);
  assert.equal(await manager.getAccessToken(), tokens.accessToken);
  assert.equal(ep.count("refresh_token"), 0);
  c.advance(1);
  assert.notEqual(await manager.getAccessToken(), tokens.accessToken);
  assert.equal(ep.count("refresh_token"), 1);
});

test("T2: a clock jump forward renews on the next call, a jump back keeps the token; an API 401 renews once, then gives up", async () => {
  const c = clock();
  const ep = endpoint((params, call) => (call.url.startsWith(API) ? new Response("no", { status: 401 }) : issued()));
  const manager = new TokenManager({ client: scriptedClient, now: c.now, fetch: ep.fetch });
  const first = await manager.login(cc);
  c.advance(-86400); // the clock was set back a day
  assert.equal(await manager.getAccessToken(), first.accessToken);
  assert.equal(ep.calls.length, 1);
  c.advance(86400 + 2 * 86400); // a laptop that slept two days
  const second = await manager.getAccessToken();
  assert.notEqual(second, first.accessToken);
  assert.equal(ep.count("refresh_token"), 1);
  const res = await manager.fetch(API);
  assert.equal(res.status, 401, "the second 401 is returned as it is");
  assert.equal(ep.calls.filter((call) => call.url === API).length, 2, "one retry");
  assert.equal(ep.count("refresh_token"), 2, "one renewal for the 401");
});

test("T3: renewal is decided from the clock on each call; no timer is left behind", async () => {
  const c = clock();
  const ep = endpoint(() => issued());
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  const manager = new TokenManager({ client: scriptedClient, grant: cc, now: c.now, fetch: ep.fetch });
  const first = await manager.getAccessToken();
  await tick();
  assert.ok(timers() <= before, "no refresh timer was scheduled");
  c.advance(3600); // no real time passes
  assert.notEqual(await manager.getAccessToken(), first);
  assert.equal(ep.calls.length, 2);
});

test("T4: concurrent callers of a stale token share one request, and one failure", async () => {
  const c = clock();
  let failing = false;
  const ep = endpoint((params) => (params.grant_type === "refresh_token" && failing ? json(503, { message: "down" }) : issued()));
  const manager = new TokenManager({ client: scriptedClient, now: c.now, fetch: ep.fetch });
  await manager.login(cc);
  c.advance(3600);
  failing = true;
  const failures = await Promise.allSettled(Array.from({ length: 25 }, () => manager.getAccessToken()));
  assert.equal(ep.count("refresh_token"), 1, "one request for 25 callers");
  assert.ok(failures.every((f) => f.status === "rejected" && f.reason.kind === "http" && f.reason.status === 503));
  failing = false;
  const tokens = await Promise.all(Array.from({ length: 25 }, () => manager.getAccessToken()));
  assert.equal(ep.count("refresh_token"), 2);
  assert.equal(new Set(tokens).size, 1);
});

test("T5: two managers sharing a store with a lock refresh a rotating token once between them", async () => {
  // Tabs: tests/node/tabs.test.mjs; processes: manager.test.mjs (file store).
  const c = clock();
  const store = memoryStore({ lock: true });
  const a = new TokenManager({ client: olxClient(), storage: store.adapter, now: c.now });
  const b = new TokenManager({ client: olxClient(), storage: store.adapter, now: c.now });
  const events = [...[a, b].map(recorder)];
  const first = await a.login(olxLogin);
  assert.equal(await b.getAccessToken(), first.accessToken);
  c.advance(43200);
  const before = refreshesSent();
  const [ta, tb] = await Promise.all([a.getAccessToken(), b.getAccessToken()]);
  assert.equal(refreshesSent() - before, 1, "one refresh request");
  assert.equal(ta, tb);
  assert.notEqual(ta, first.accessToken);
  assert.ok(!events.flat().some((e) => e.reason === "login_required"));
});

test("T6: the race loser's invalid_grant adopts the winner's stored tokens instead of logging out", async () => {
  const c = clock();
  const store = memoryStore(); // no lock: both managers refresh
  const gates = { a: null, b: null };
  let waiting = 0;
  const gated = (name) => async (url, init) => {
    if (gates[name]) {
      waiting++;
      await gates[name].promise;
    }
    return fetch(url, init);
  };
  const a = new TokenManager({ client: olxClient(), storage: store.adapter, now: c.now, fetch: gated("a") });
  const b = new TokenManager({ client: olxClient(), storage: store.adapter, now: c.now, fetch: gated("b") });
  const eventsB = recorder(b);
  const first = await a.login(olxLogin);
  assert.equal(await b.getAccessToken(), first.accessToken);
  c.advance(43200);
  gates.a = deferred();
  gates.b = deferred();
  const before = refreshesSent();
  const pa = a.getAccessToken();
  const pb = b.getAccessToken();
  await until(() => waiting === 2, "both refreshes in flight");
  gates.a.resolve();
  const winner = await pa;
  gates.b.resolve();
  const loser = await pb;
  assert.equal(refreshesSent() - before, 2, "both sent the same refresh token; the second was refused");
  assert.equal(loser, winner, "the loser adopted the winner's token");
  assert.equal(b.getTokens().refreshToken, JSON.parse(store.value()).refreshToken);
  assert.ok(!eventsB.some((e) => e.reason === "login_required"), "nobody was logged out");
});

test("T7: a rotated refresh token is stored before callers resolve, and the old one is never used again", async () => {
  const c = clock();
  const store = memoryStore();
  const manager = new TokenManager({ client: olxClient(), storage: store.adapter, now: c.now });
  const first = await manager.login(olxLogin);
  c.advance(43200);
  const seen = await manager.getAccessToken().then((token) => ({ token, stored: JSON.parse(store.value()) }));
  assert.equal(seen.stored.accessToken, seen.token, "persisted before the caller resolved");
  assert.notEqual(seen.stored.refreshToken, first.refreshToken);
  assert.equal(manager.getTokens().refreshToken, seen.stored.refreshToken, "memory holds the new one too");
  c.advance(43200);
  assert.ok(await manager.getAccessToken(), "the next refresh uses the new token (the server refuses the old)");
});

test("T8: a refresh answer without refresh_token keeps the old one; the refresh asks for no scope", async () => {
  const c = clock();
  const ep = endpoint((params) => params.grant_type === "refresh_token"
    ? json(200, { access_token: `AT-refreshed-${ep.calls.length}`, token_type: "Bearer", expires_in: 3600 })
    : issued({ scope: "read write" }));
  const store = memoryStore();
  const manager = new TokenManager({ client: scriptedClient, storage: store.adapter, now: c.now, fetch: ep.fetch });
  const first = await manager.login({ grantType: "client_credentials", scope: "read write" });
  for (let round = 0; round < 2; round++) {
    c.advance(3600);
    const token = await manager.getAccessToken();
    assert.match(token, /^AT-refreshed-/);
    const refreshCall = ep.calls.at(-1);
    assert.deepEqual(refreshCall.params, { grant_type: "refresh_token", refresh_token: first.refreshToken, client_id: "fm-client" },
      "the kept refresh token is sent again, and no scope");
    const record = JSON.parse(store.value());
    assert.deepEqual([record.accessToken, record.refreshToken, record.scope], [token, first.refreshToken, "read write"]);
  }
});

test("T8: after a refresh without refresh_token, getTokens() still shows the kept refresh token and scope", async () => {
  const c = clock();
  const ep = endpoint((params) => params.grant_type === "refresh_token"
    ? json(200, { access_token: "AT-refreshed", token_type: "Bearer", expires_in: 3600 })
    : issued({ scope: "read write" }));
  const manager = new TokenManager({ client: scriptedClient, now: c.now, fetch: ep.fetch });
  const first = await manager.login({ grantType: "client_credentials", scope: "read write" });
  c.advance(3600);
  assert.equal(await manager.getAccessToken(), "AT-refreshed");
  const tokens = manager.getTokens();
  assert.deepEqual([tokens.refreshToken, tokens.scope], [first.refreshToken, "read write"]);
});

test("T10: invalid_grant ends the session once: no retry, no request afterwards", async () => {
  const c = clock();
  const store = memoryStore();
  const manager = new TokenManager({ client: olxClient(), storage: store.adapter, now: c.now });
  const events = recorder(manager);
  const first = await manager.login(olxLogin);
  await requestToken(olxClient(), { grantType: "refresh_token", refreshToken: first.refreshToken }); // rotated elsewhere
  c.advance(43200);
  const before = providers.requests.length;
  const ended = await rejection(manager.getAccessToken());
  assert.deepEqual([ended.kind, ended.error], ["login_required", "invalid_grant"]);
  assert.equal(providers.requests.length - before, 1, "one refresh, no retry");
  assert.equal((await rejection(manager.getAccessToken())).kind, "login_required");
  assert.equal(providers.requests.length - before, 1, "nothing sent afterwards");
  assert.equal(store.map.size, 0, "cleared");
  assert.deepEqual(events.map((e) => e.reason), ["login", "login_required"]);
});

test("T11: a refresh whose answer is lost is not retried; the next call finds the token rotated and ends the session", async () => {
  const c = clock();
  let lose = false;
  const losing = async (url, init) => {
    const res = await fetch(url, init); // the server rotates the refresh token …
    if (!lose) return res;
    await res.text();
    return new Promise(() => {}); // … and the answer never arrives
  };
  const manager = new TokenManager({ client: olxClient({ timeoutMs: 200 }), now: c.now, fetch: losing });
  const first = await manager.login(olxLogin);
  c.advance(43200);
  lose = true;
  const before = refreshesSent();
  const lost = await rejection(manager.getAccessToken());
  assert.equal(lost.kind, "timeout");
  assert.equal(refreshesSent() - before, 1, "not retried blindly");
  assert.equal(manager.getTokens().refreshToken, first.refreshToken, "kept: the client cannot know it was rotated");
  lose = false;
  const ended = await rejection(manager.getAccessToken());
  assert.deepEqual([ended.kind, ended.error], ["login_required", "invalid_grant"]);
  assert.equal(refreshesSent() - before, 2);
});

test("T14: invalid_client or unauthorized_client during refresh is surfaced and keeps the tokens", async () => {
  for (const [status, code] of [[401, "invalid_client"], [400, "unauthorized_client"]]) {
    const c = clock();
    let refuse = false;
    const ep = endpoint((params) => (params.grant_type === "refresh_token" && refuse ? json(status, { error: code }) : issued()));
    const store = memoryStore();
    const manager = new TokenManager({ client: scriptedClient, storage: store.adapter, now: c.now, fetch: ep.fetch });
    const events = recorder(manager);
    const first = await manager.login(cc);
    const stored = store.value();
    refuse = true;
    c.advance(3600);
    const err = await rejection(manager.getAccessToken());
    assert.deepEqual([err.kind, err.status, err.error], ["oauth", status, code]);
    assert.equal(manager.getTokens().refreshToken, first.refreshToken);
    assert.equal(store.value(), stored);
    refuse = false;
    assert.notEqual(await manager.getAccessToken(), first.accessToken, "the kept refresh token is tried again");
    assert.ok(!events.some((e) => e.reason === "login_required"));
  }
});

test("T15: a login during an in-flight refresh wins over the refresh's late answer", async () => {
  const c = clock();
  let gate = null;
  const ep = endpoint(async (params) => {
    if (params.grant_type === "refresh_token" && gate) {
      await gate.promise;
      return json(200, { access_token: "AT-late-refresh", token_type: "Bearer", expires_in: 3600, refresh_token: "RT-late" });
    }
    return issued();
  });
  const store = memoryStore();
  const manager = new TokenManager({ client: scriptedClient, storage: store.adapter, now: c.now, fetch: ep.fetch });
  await manager.login(cc);
  c.advance(3600);
  gate = deferred();
  const refreshing = manager.getAccessToken().then((v) => ({ v }), (e) => ({ e }));
  await until(() => ep.count("refresh_token") === 1, "the refresh in flight");
  const fresh = await manager.login(cc);
  gate.resolve();
  const outcome = await refreshing;
  assert.notEqual(outcome.v, "AT-late-refresh", "the late answer is not handed out");
  assert.equal(manager.getTokens().accessToken, fresh.accessToken);
  assert.equal(JSON.parse(store.value()).accessToken, fresh.accessToken, "nor stored");
});

// ---------------------------------------------------------------------------------------
// 4.8 Hygiene

test("H1: tokens never travel in URLs: the API URL is sent as given, the token only in Authorization", async () => {
  const c = clock();
  const ep = endpoint((params, call) => (call.url.startsWith(API) ? new Response("ok") : issued()));
  const manager = new TokenManager({ client: { ...scriptedClient, tokenEndpoint: "https://as.example/token?tenant=a" }, now: c.now, fetch: ep.fetch });
  const first = await manager.login(cc);
  await manager.fetch(`${API}?page=2`);
  c.advance(3600);
  const second = await manager.getAccessToken();
  const apiCall = ep.calls.find((call) => call.url.startsWith(API));
  assert.equal(apiCall.url, `${API}?page=2`);
  assert.equal(apiCall.headers.get("authorization"), `Bearer ${first.accessToken}`);
  for (const call of ep.calls) {
    for (const secret of [first.accessToken, first.refreshToken, second]) assert.ok(!call.url.includes(secret), call.url);
  }
  assert.equal(ep.calls.filter((call) => call.params.grant_type === "refresh_token")[0].url, "https://as.example/token?tenant=a");
  const req = buildTokenRequest(scriptedClient, { grantType: "refresh_token", refreshToken: "RT-url-check" });
  assert.ok(!req.url.includes("RT-url-check") && req.body.includes("RT-url-check"));
});

test("H2: password grant credentials are used for one request and kept nowhere", async () => {
  const e = thrown(() => new TokenManager({ client: olxClient(), grant: olxLogin }));
  assert.deepEqual([e.kind, e.field], ["config", "grant"], "a password grant is never kept to be repeated");
  const store = memoryStore();
  const manager = new TokenManager({ client: olxClient(), storage: store.adapter });
  const events = recorder(manager);
  await manager.login(olxLogin);
  const visible = [store.value(), JSON.stringify(manager.getTokens()), inspect(manager, { depth: 6, showHidden: true }),
    inspect(events, { depth: 6 })].join("\n");
  assert.ok(!visible.includes(olx.password) && !visible.includes(olx.username), "neither the password nor the username");
});

test("H4: a refresh token is never sent to another token endpoint, even under a shared storage key", async () => {
  const c = clock();
  const store = memoryStore();
  const a = new TokenManager({ client: olxClient(), storage: store.adapter, storageKey: "fm-h4", now: c.now });
  const tokens = await a.login(olxLogin);
  c.advance(43200 * 2); // expired: a naive manager would refresh now
  const other = { tokenEndpoint: providers.url + PROVIDERS.teenquotes.path, clientId: "123", clientSecret: olx.clientSecret };
  const b = new TokenManager({ client: other, storage: store.adapter, storageKey: "fm-h4", now: c.now });
  const events = recorder(b);
  const before = providers.requests.length;
  assert.equal((await rejection(b.getAccessToken())).kind, "login_required");
  assert.equal((await rejection(b.refresh())).kind, "login_required");
  assert.equal(providers.requests.length, before, "nothing was sent to the other endpoint");
  assert.deepEqual(events.map((e) => e.reason), ["discarded"]);
  assert.equal(JSON.parse(store.map.get("fm-h4")).refreshToken, tokens.refreshToken, "the record stays its issuer's");
});

test("H6: every failure is an OAuthError with one of the documented kinds", async () => {
  const storageEvents = [];
  const failing = new TokenManager({ client: scriptedClient, fetch: () => issued(),
    storage: { get: () => null, set: () => { throw new Error("full"); }, remove() {} } });
  failing.onChange((t, e) => e.error && storageEvents.push(e.error));
  await failing.login(cc);
  await tick();
  const errors = [
    thrown(() => buildTokenRequest({ tokenEndpoint: "ftp://as.example/t" }, cc)),
    await rejection(requestToken({ tokenEndpoint: refused }, cc)),
    await rejection(requestToken(scriptedClient, cc, { fetch: () => new Promise(() => {}), timeoutMs: 50 })),
    await rejection(requestToken(scriptedClient, cc, { signal: AbortSignal.abort() })),
    thrown(() => parseTokenResponse(502, "")),
    thrown(() => parseTokenResponse(400, '{"error":"invalid_grant"}')),
    thrown(() => parseTokenResponse(200, "{")),
    await rejection(new TokenManager({ client: scriptedClient }).getAccessToken()),
    ...storageEvents,
  ];
  for (const err of errors) {
    assert.ok(err instanceof OAuthError && err instanceof Error, inspect(err));
    assert.equal(err.name, "OAuthError");
    assert.ok(err.message.length > 0);
    assert.equal(err.toJSON().kind, err.kind);
  }
  assert.deepEqual(errors.map((e) => e.kind).sort(),
    ["aborted", "config", "http", "invalid_response", "login_required", "network", "oauth", "storage", "timeout"]);
});

// ---------------------------------------------------------------------------------------
// 4.4 Errors as JavaScript sees them

test("E1: an RFC 6749 error is a real Error with error, errorDescription, errorUri, status and raw", () => {
  const err = thrown(() => parseTokenResponse(400, JSON.stringify({ error: "invalid_grant", error_description: "Expired code.",
    error_uri: "https://as.example/errors/1", vendor_id: 7 })));
  assert.ok(err instanceof OAuthError && err instanceof Error);
  assert.equal(err.name, "OAuthError");
  assert.equal(err.kind, "oauth");
  assert.deepEqual([err.status, err.error, err.errorDescription, err.errorUri], [400, "invalid_grant", "Expired code.", "https://as.example/errors/1"]);
  assert.equal(err.raw.vendor_id, 7);
  assert.equal(String(err), "OAuthError: invalid_grant (HTTP 400): Expired code.");
  const plain = JSON.parse(JSON.stringify(err));
  assert.deepEqual([plain.kind, plain.status, plain.error, plain.errorUri], ["oauth", 400, "invalid_grant", "https://as.example/errors/1"]);
});

test("E4: invalid_client under Basic with characters form-encoding changes gets the raw/body hint", async () => {
  const challenge = () => json(401, { error: "invalid_client" }, { "www-authenticate": 'Basic realm="token"' });
  const special = await rejection(requestToken({ ...scriptedClient, clientSecret: "s3cr+t/=" }, cc, { fetch: challenge }));
  assert.deepEqual([special.kind, special.status, special.error], ["oauth", 401, "invalid_client"]);
  assert.match(special.hint, /form-encoding changes/);
  assert.match(special.hint, /basicEncoding "raw"/);
  const plain = await rejection(requestToken({ ...scriptedClient, clientSecret: "plainsecret" }, cc, { fetch: challenge }));
  assert.doesNotMatch(plain.hint, /form-encoding changes/, "the sharper hint only when encoding changed something");
  assert.match(plain.hint, /clientSecret/);
});

test("E6: an error body with HTTP 200 is an oauth error, strict or not", () => {
  const body = JSON.stringify({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
  for (const strict of [false, true]) {
    const err = thrown(() => parseTokenResponse(200, body, { strict }));
    assert.deepEqual([err.kind, err.status, err.error, err.quirks], ["oauth", 200, "bad_verification_code", ["error_with_success_status"]]);
  }
});

test("E8: a hostile error_description is kept verbatim but quoted on one bounded line", () => {
  const description = `<script>alert(1)</script>\u0007\r\nline two ${"x".repeat(10_000)}`;
  const err = thrown(() => parseTokenResponse(400, JSON.stringify({ error: "invalid_request", error_description: description })));
  assert.equal(err.errorDescription, description);
  assert.ok(!/[\u0000-\u001f]/.test(err.message), JSON.stringify(err.message));
  assert.ok([...err.message].length <= 250, `${err.message.length} characters`);
});

test("E9: vendor human-readable fields, by default and by configured names; other vendor members stay in raw", async () => {
  const olxErr = await rejection(requestToken(olxClient(), { ...olxLogin, password: "nope" }));
  assert.deepEqual([olxErr.humanTitle, olxErr.humanMessage, olxErr.errorDescription], ["Niepoprawna wartość", "", "Invalid user credentials"]);
  const body = JSON.stringify({ error: "account_locked", error_message: "Konto gesperrt", detail: "Zu viele Versuche", trace_id: "t-1" });
  const err = thrown(() => parseTokenResponse(423, body, { humanFields: { title: "error_message", message: "detail" } }));
  assert.deepEqual([err.humanTitle, err.humanMessage, err.raw.trace_id], ["Konto gesperrt", "Zu viele Versuche", "t-1"]);
});

test("E11: Retry-After from a Headers object or a record, in seconds or as an HTTP date; garbage is ignored", () => {
  const now = Date.UTC(2030, 0, 1);
  const retry = (value, headers = (v) => new Headers({ "retry-after": v })) =>
    thrown(() => parseTokenResponse(429, "", { now, headers: headers(value) })).retryAfter;
  assert.equal(retry("120"), 120);
  assert.equal(retry(new Date(now + 90_000).toUTCString()), 90);
  assert.equal(retry("120", (v) => ({ "Retry-After": v })), 120);
  assert.equal(retry("soon"), undefined);
  assert.equal(retry("-1"), undefined);
});

test("E12: a 5xx during refresh leaves the stored record untouched", async () => {
  const c = clock();
  let answer = null;
  const ep = endpoint((params) => (params.grant_type === "refresh_token" && answer ? answer() : issued()));
  const store = memoryStore();
  const manager = new TokenManager({ client: scriptedClient, storage: store.adapter, now: c.now, fetch: ep.fetch });
  const events = recorder(manager);
  const first = await manager.login(cc);
  const stored = store.value();
  c.advance(3600);
  for (const status of [500, 502, 503, 504]) {
    for (const make of [() => json(status, { message: "internal" }), () => new Response("<html>down</html>", { status, headers: { "content-type": "text/html" } })]) {
      answer = make;
      const err = await rejection(manager.getAccessToken());
      assert.deepEqual([err.kind, err.status], ["http", status]);
      assert.equal(store.value(), stored);
      assert.equal(manager.getTokens().refreshToken, first.refreshToken);
    }
  }
  assert.deepEqual(events.map((e) => e.reason), ["login"]);
});

test("E13: tokens in an unusable body are redacted in err.body, JSON.stringify(err) and inspect(err)", () => {
  const at = "AT-0123456789abcdef";
  const rt = "RT-0123456789abcdef";
  for (const [status, body] of [
    [200, JSON.stringify({ access_token: at, refresh_token: rt, token_type: "Bearer", expires_in: "soon" })],
    [200, `{"access_token":"${at}","refresh_token":"${rt}`],
    [400, `access_token=${at}&refresh_token=${rt}`],
  ]) {
    const err = thrown(() => parseTokenResponse(status, body));
    assert.match(err.body, /\[redacted\]/);
    assert.ok(!shown(err).includes(at) && !shown(err).includes(rt), `${status} ${body}`);
  }
});

test("E13: a JSON error object echoing tokens keeps them out of err.raw and JSON.stringify(err)", () => {
  const at = "AT-0123456789abcdef";
  const rt = "RT-0123456789abcdef";
  for (const [status, body] of [
    [400, { error: "invalid_grant", access_token: at, refresh_token: rt }],
    [200, { error: "bad_verification_code", access_token: at }],
    [500, { message: "internal", refresh_token: rt }],
  ]) {
    const err = thrown(() => parseTokenResponse(status, JSON.stringify(body)));
    assert.ok(!shown(err).includes(at) && !shown(err).includes(rt), `${status}: ${JSON.stringify(err)}`);
  }
});

test("P14: differs by design — duplicate members: the last one wins in the wasm build (JSON.parse) as on the host", () => {
  const t = parseTokenResponse(200, '{"access_token":"first","token_type":"Bearer","access_token":"second"}');
  assert.equal(t.accessToken, "second");
  assert.equal(t.raw.access_token, "second");
});

test("F6: TokenManager does not send a token of an unknown type as Bearer", async () => {
  for (const tokenType of ["DPoP", "mac"]) {
    const ep = endpoint((params, call) => (call.url.startsWith(API) ? new Response("ok")
      : json(200, { access_token: `AT-${tokenType}`, token_type: tokenType, expires_in: 3600 })));
    const manager = new TokenManager({ client: scriptedClient, fetch: ep.fetch });
    await manager.login(cc).catch(() => {});
    const err = await manager.fetch(API).then(() => null, (e) => e);
    assert.ok(err instanceof OAuthError && err.kind === "invalid_response", `manager.fetch refuses a ${tokenType} token`);
    assert.match(err.message, /only sends Bearer/);
    const bearer = ep.calls.filter((call) => call.url.startsWith(API) && call.headers.get("authorization") === `Bearer AT-${tokenType}`);
    assert.equal(bearer.length, 0, `a ${tokenType} token was sent as Bearer`);
  }
});
