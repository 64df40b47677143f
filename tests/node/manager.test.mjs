// TokenManager from the packed package in Node: storage (memory, sync and async adapters,
// a file shared by several processes), refresh, rotation, faults, single-flight, 401 retry.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { TokenManager, OAuthError, requestToken } from "oauth2-wasm";
import { fileStorage } from "oauth2-wasm/file-store";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";
import { clock, recorder, rejection, tick } from "./helpers.mjs";

let server;
before(async () => (server = await startTokenServer()));
after(() => server.close());

const { olx, teenquotes, autograb } = PROVIDERS;
const olxClient = () => ({ tokenEndpoint: server.url + olx.path, clientId: 123, clientSecret: olx.clientSecret });
const olxLogin = { grantType: "password", username: olx.username, password: olx.password };
const grantsSent = (type) => server.requests.filter((r) => new URLSearchParams(r.body).get("grant_type") === type
  || (r.body.startsWith("{") && JSON.parse(r.body).grant_type === type)).length;

/** A clock the test moves. */
test("login, then the cached token without requests, then one refresh for 100 concurrent callers", async () => {
  const c = clock();
  const manager = new TokenManager({ client: olxClient(), now: c.now });
  const events = recorder(manager);
  const first = await manager.login(olxLogin);
  assert.equal(first.expiresIn, 43200);
  const before = server.requests.length;
  assert.equal(await manager.getAccessToken(), first.accessToken);
  assert.equal(server.requests.length, before, "no request for a fresh token");
  c.advance(43200 - 59);
  const tokens = await Promise.all(Array.from({ length: 100 }, () => manager.getAccessToken()));
  assert.equal(server.requests.length, before + 1, "one refresh for everyone");
  assert.equal(new Set(tokens).size, 1);
  assert.notEqual(tokens[0], first.accessToken);
  const now = manager.getTokens();
  assert.notEqual(now.refreshToken, first.refreshToken, "the rotated refresh token replaced the old one");
  assert.deepEqual(events.map((e) => e.reason), ["login", "refresh"]);
});

test("the default skew: refreshed 60 s before expiry, not before", async () => {
  const c = clock();
  const manager = new TokenManager({ client: olxClient(), now: c.now });
  const first = await manager.login(olxLogin);
  c.advance(43200 - 61);
  assert.equal(await manager.getAccessToken(), first.accessToken);
  c.advance(2);
  assert.notEqual(await manager.getAccessToken(), first.accessToken);
});

test("a network error, a timeout or a 5xx during refresh keeps the tokens and surfaces the error", async () => {
  const c = clock();
  let fault = null;
  const flaky = (url, init) => {
    if (fault === "network") return Promise.reject(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } }));
    if (fault === "503") return Promise.resolve(new Response("<html>down</html>", { status: 503, headers: { "content-type": "text/html" } }));
    if (fault === "hang") return new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
    return fetch(url, init);
  };
  const manager = new TokenManager({ client: { ...olxClient(), timeoutMs: 200 }, now: c.now, fetch: flaky });
  const events = recorder(manager);
  const first = await manager.login(olxLogin);
  c.advance(43200);
  for (const [f, kind] of [["network", "network"], ["503", "http"], ["hang", "timeout"]]) {
    fault = f;
    const err = await rejection(manager.getAccessToken());
    assert.equal(err.kind, kind, f);
    assert.equal(manager.getTokens().refreshToken, first.refreshToken, `${f}: the refresh token is kept`);
  }
  fault = null;
  const token = await manager.getAccessToken();
  assert.notEqual(token, first.accessToken, "the kept refresh token still works");
  assert.deepEqual(events.map((e) => e.reason), ["login", "refresh"]);
});

test("a logout while a refresh is under way is not undone by the refresh's answer", async () => {
  const c = clock();
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  let holdRefresh = false;
  const slow = async (url, init) => {
    if (holdRefresh) await gate;
    return fetch(url, init);
  };
  const map = new Map();
  const adapter = { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v), remove: (k) => void map.delete(k) };
  const manager = new TokenManager({ client: olxClient(), now: c.now, fetch: slow, storage: adapter });
  await manager.login(olxLogin);
  c.advance(43200);
  holdRefresh = true;
  const pending = manager.getAccessToken().then((v) => ({ v }), (e) => ({ e }));
  await tick();
  await manager.logout();
  release();
  const outcome = await pending;
  assert.equal(outcome.e?.kind, "login_required", "the refresh's answer is dropped");
  assert.equal(manager.getTokens(), null);
  assert.equal(map.size, 0, "storage stays empty");
});

test("invalid_grant ends the session as login_required, with the server's words", async () => {
  const c = clock();
  const manager = new TokenManager({ client: olxClient(), now: c.now });
  const events = recorder(manager);
  const first = await manager.login(olxLogin);
  // The refresh token is used elsewhere, so the server rotates it out.
  await requestToken(olxClient(), { grantType: "refresh_token", refreshToken: first.refreshToken });
  c.advance(43200);
  const err = await rejection(manager.getAccessToken());
  assert.equal(err.kind, "login_required");
  assert.equal(err.error, "invalid_grant");
  assert.equal(err.humanTitle, "Niepoprawna wartość");
  assert.equal(manager.getTokens(), null);
  assert.deepEqual(events.map((e) => e.reason), ["login", "login_required"]);
  assert.equal(events[1].tokens, null);
  assert.equal(events[1].error.kind, "login_required");
});

test("Teen Quotes' invalid_refresh ends the session too", async () => {
  const c = clock();
  const client = { tokenEndpoint: server.url + teenquotes.path, clientId: "42", clientSecret: teenquotes.clientSecret,
    clientAuth: "body", bodyEncoding: "json" };
  const manager = new TokenManager({ client, now: c.now });
  const first = await manager.login({ grantType: "client_credentials" });
  await requestToken(client, { grantType: "refresh_token", refreshToken: first.refreshToken });
  c.advance(604800);
  const err = await rejection(manager.getAccessToken());
  assert.deepEqual([err.kind, err.error], ["login_required", "invalid_refresh"]);
});

test("client_credentials without a refresh token is re-acquired before expiry (AutoGrab)", async () => {
  const c = clock();
  const manager = new TokenManager({
    client: { tokenEndpoint: server.url + autograb.path, clientId: autograb.clientId, clientSecret: autograb.clientSecret },
    grant: { grantType: "client_credentials" },
    now: c.now,
  });
  const before = grantsSent("client_credentials");
  const first = await manager.getAccessToken();
  assert.equal(grantsSent("client_credentials"), before + 1, "acquired on first use");
  c.advance(3599 - 61);
  assert.equal(await manager.getAccessToken(), first);
  c.advance(2);
  const second = await manager.getAccessToken();
  assert.notEqual(second, first);
  assert.equal(grantsSent("client_credentials"), before + 2);
});

test("without tokens or a grant of its own, the manager says login_required and sends nothing", async () => {
  const manager = new TokenManager({ client: olxClient() });
  const before = server.requests.length;
  const err = await rejection(manager.getAccessToken());
  assert.equal(err.kind, "login_required");
  assert.equal(server.requests.length, before);
  assert.equal(manager.getTokens(), null, "Node's default storage is memory");
});

for (const flavour of ["sync", "async"]) {
  test(`a ${flavour} storage adapter keeps only token data, shared by a second manager`, async () => {
    const map = new Map();
    const wrap = (v) => (flavour === "async" ? Promise.resolve(v) : v);
    const adapter = {
      get: (k) => wrap(map.get(k) ?? null),
      set: (k, v) => wrap(void map.set(k, v)),
      remove: (k) => wrap(void map.delete(k)),
    };
    const c = clock();
    const a = new TokenManager({ client: olxClient(), storage: adapter, now: c.now });
    const tokens = await a.login(olxLogin);
    const [[key, stored]] = [...map];
    assert.equal(key, `oauth2-wasm:${server.url}${olx.path}#123`);
    for (const secret of [olx.clientSecret, olx.password]) assert.ok(!stored.includes(secret), "no secret stored");
    assert.ok(stored.includes(tokens.refreshToken));
    const b = new TokenManager({ client: olxClient(), storage: adapter, now: c.now });
    assert.equal(await b.getAccessToken(), tokens.accessToken, "the second manager reads the stored session");
    await b.logout();
    assert.equal(map.size, 0, "logout removes the record");
  });
}

test("storage that throws falls back to memory with an event; getAccessToken keeps working", async () => {
  const adapter = { get: () => null, set: () => { throw new Error("QuotaExceededError"); }, remove: () => {} };
  const manager = new TokenManager({ client: olxClient(), storage: adapter });
  const events = recorder(manager);
  const tokens = await manager.login(olxLogin);
  await tick();
  assert.equal(await manager.getAccessToken(), tokens.accessToken);
  const failure = events.find((e) => e.reason === "storage_error");
  assert.ok(failure, "a storage_error event");
  assert.equal(failure.error.kind, "storage");
  assert.match(failure.error.message, /QuotaExceededError/);
});

test("an adapter without its methods is refused for memory, with an event", async () => {
  const manager = new TokenManager({ client: olxClient(), storage: { get: () => null } });
  const events = recorder(manager);
  await tick();
  assert.deepEqual(events.map((e) => e.reason), ["storage_error"]);
  assert.ok((await manager.login(olxLogin)).accessToken);
});

test("a corrupt or foreign record is discarded with an event; a newer version's is left untouched", async () => {
  for (const [value, untouched] of [["{not json", false], [JSON.stringify({ theme: "dark" }), false],
    [JSON.stringify({ v: 9, kind: "oauth2-wasm/token", future: true }), true]]) {
    const map = new Map([[`oauth2-wasm:${server.url}${olx.path}#123`, value]]);
    const adapter = { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v), remove: (k) => void map.delete(k) };
    const manager = new TokenManager({ client: olxClient(), storage: adapter });
    const events = recorder(manager);
    const err = await rejection(manager.getAccessToken());
    assert.equal(err.kind, "login_required", "treated as absent");
    assert.deepEqual(events.map((e) => e.reason), ["discarded"]);
    const tokens = await manager.login(olxLogin);
    assert.equal(await manager.getAccessToken(), tokens.accessToken, "works on in memory");
    const stored = [...map.values()][0];
    assert.equal(stored === value, untouched, untouched ? "a newer record is never overwritten" : "replaced");
  }
});

test("manager.fetch adds the Bearer token, and on a 401 refreshes once and replays the request", async (t) => {
  let rejected = null;
  const seen = [];
  const api = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ auth: req.headers.authorization, body, custom: req.headers["x-custom"] });
      const ok = req.headers.authorization && req.headers.authorization !== `Bearer ${rejected}`;
      res.writeHead(ok ? 200 : 401).end(ok ? "ok" : "no");
    });
  });
  await new Promise((resolve) => api.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => api.close(resolve)));
  const url = `http://127.0.0.1:${api.address().port}/adverts`;
  const manager = new TokenManager({ client: olxClient() });
  const first = await manager.login(olxLogin);
  const ok = await manager.fetch(url, { method: "POST", body: "a=1", headers: { "X-Custom": "kept" } });
  assert.equal(ok.status, 200);
  assert.deepEqual(seen.at(-1), { auth: `Bearer ${first.accessToken}`, body: "a=1", custom: "kept" });
  rejected = first.accessToken;
  const retried = await manager.fetch(url, { method: "POST", body: "a=2", headers: { "X-Custom": "kept" } });
  assert.equal(retried.status, 200, "replayed with the new token");
  const [denied, replay] = seen.slice(-2);
  assert.equal(denied.auth, `Bearer ${first.accessToken}`);
  assert.notEqual(replay.auth, denied.auth);
  assert.equal(replay.body, "a=2");
  assert.equal(replay.custom, "kept");
  // A one-shot stream body cannot be replayed: the 401 comes back as it is.
  rejected = (await manager.getTokens()).accessToken;
  const stream = new ReadableStream({ start: (c) => { c.enqueue(new TextEncoder().encode("s")); c.close(); } });
  const streamed = await manager.fetch(url, { method: "POST", body: stream, duplex: "half" });
  assert.equal(streamed.status, 401);
});

test("bad manager options are config errors", () => {
  const throws = (options, field) => assert.throws(() => new TokenManager(options), (e) => e instanceof OAuthError && e.field === field);
  throws({ client: olxClient(), grant: olxLogin }, "grant");
  throws({ client: olxClient(), storage: "disk" }, "storage");
  throws({ client: olxClient(), now: 5 }, "now");
  throws({ client: { tokenEndpoint: "http://example.com/token" } }, "tokenEndpoint");
  throws(undefined, "options");
});

test("a file store loses no write when writers of different keys overlap", async () => {
  const store = fileStorage(join(mkdtempSync(join(tmpdir(), "oauth2-wasm-writes-")), "tokens.json"));
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, `v${i}`)));
  for (let i = 0; i < 20; i++) assert.equal(await store.get(`k${i}`), `v${i}`);
  await Promise.all(Array.from({ length: 10 }, (_, i) => store.remove(`k${i}`)));
  assert.equal(await store.get("k3"), null);
  assert.equal(await store.get("k13"), "v13");
});

test("a file lock left by a crashed process is taken over; a live one is waited for", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "oauth2-wasm-lock-")), "tokens.json");
  writeFileSync(`${file}.lock`, "crashed-holder");
  const { utimesSync } = await import("node:fs");
  utimesSync(`${file}.lock`, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
  const store = fileStorage(file, { staleLockMs: 60_000 });
  assert.equal(await store.lock("x", async () => "ran"), "ran");
  const order = [];
  const slow = fileStorage(file);
  await Promise.all([
    slow.lock("x", async () => { order.push("a+"); await new Promise((r) => setTimeout(r, 100)); order.push("a-"); }),
    new Promise((r) => setTimeout(r, 10)).then(() => slow.lock("x", async () => order.push("b"))),
  ]);
  assert.deepEqual(order, ["a+", "a-", "b"], "the second holder waited for the first");
});

test("several Node processes sharing a file store refresh an expired token once between them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "oauth2-wasm-race-"));
  const file = join(dir, "tokens.json");
  const seed = new TokenManager({ client: olxClient(), storage: fileStorage(file) });
  const first = await seed.login(olxLogin);
  assert.ok(readFileSync(file, "utf8").includes(first.refreshToken));
  const before = grantsSent("refresh_token");
  const startAt = Date.now() + 1500;
  const child = new URL("./fixtures/race-child.mjs", import.meta.url).pathname;
  const runs = Array.from({ length: 4 }, () =>
    promisify(execFile)(process.execPath, [child, server.url + olx.path, file, String(startAt), String(43200 * 1000)],
      { cwd: new URL(".", import.meta.url).pathname, timeout: 30_000 }));
  const results = (await Promise.all(runs)).map((r) => JSON.parse(r.stdout));
  assert.deepEqual(results.filter((r) => r.error), [], "no process was logged out");
  assert.equal(new Set(results.map((r) => r.token)).size, 1, "all processes got the same token");
  assert.notEqual(results[0].token, first.accessToken);
  assert.equal(grantsSent("refresh_token") - before, 1, "one refresh request in all");
  writeFileSync(join(dir, "done"), "");
});

for (const timeoutMs of [undefined, 3_000_000_000]) {
  test(`logout is the last word: a sibling's refresh that was under way when it happened is cleared from the shared store (timeoutMs ${timeoutMs})`, async () => {
    // 3e9 ms is beyond setTimeout's range: the logout's wait for the lock must still wait.
    const client = () => ({ ...olxClient(), timeoutMs });
    const c = clock();
    const map = new Map();
    let queue = Promise.resolve();
    const adapter = {
      get: (k) => map.get(k) ?? null,
      set: (k, v) => void map.set(k, v),
      remove: (k) => void map.delete(k),
      lock: (name, fn) => (queue = queue.then(fn, fn)),
    };
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    let held = 0;
    // B's refresh answer is held back until A has logged out.
    const slowFetch = async (url, init) => {
      if (String(init?.body ?? "").includes("grant_type=refresh_token")) {
        held++;
        await gate;
      }
      return fetch(url, init);
    };
    const a = new TokenManager({ client: client(), storage: adapter, now: c.now });
    const b = new TokenManager({ client: client(), storage: adapter, now: c.now, fetch: slowFetch });
    await a.login(olxLogin);
    assert.ok(await b.getAccessToken(), "b shares the session");
    c.advance(43200);
    const renewing = b.getAccessToken();
    for (let i = 0; i < 100 && held === 0; i++) await tick();
    assert.equal(held, 1, "b's refresh is on the wire, holding the lock");
    c.advance(1);
    const loggingOut = a.logout();
    await tick();
    assert.equal(map.size, 0, "the logout clears the store at once");
    release();
    assert.ok(await renewing, "b's refresh completes");
    await loggingOut;
    assert.equal(map.size, 0, "b's answer, which began before the logout, did not bring the session back");
    assert.equal(a.getTokens(), null);
    // A login after the logout is not undone.
    const again = await a.login(olxLogin);
    await a.logout();
    await a.login(olxLogin);
    assert.equal(map.size, 1);
    assert.notEqual(JSON.parse([...map.values()][0]).accessToken, again.accessToken);
  });
}
