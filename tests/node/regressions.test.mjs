// Regressions named after the issue and finding that reported them, run on the packed
// package: each fails on the code before its fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { buildTokenRequest, requestToken, TokenManager } from "oauth2-wasm";
import { nodeHttpFetch } from "oauth2-wasm/node-http";
import { rejection } from "./helpers.mjs";

const password = { grantType: "password", username: "alice", password: "pw" };
const confidential = (tokenEndpoint, extra = {}) => ({ tokenEndpoint, clientId: "c", clientSecret: "s3cret", ...extra });

/** A fetch that records whether it was called and answers a token. */
function spyFetch() {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push(url);
    return new Response(JSON.stringify({ access_token: "a", token_type: "Bearer" }), { headers: { "content-type": "application/json" } });
  };
  return { fetch, calls };
}

function configError(fn) {
  try {
    fn();
  } catch (err) {
    assert.equal(err.kind, "config", String(err));
    return err;
  }
  assert.fail("expected a config error");
}

test("issue 13.1: the https rule cannot be bypassed with a backslash (fetch connects to evil.example)", async () => {
  for (const url of [
    "http://evil.example\\.localhost/token",
    "http://\\evil.example\\.localhost",
    "http://evil.example\\\\.localhost",
    "http://evil%2eexample.localhost",
    "http://evil.example\\.127.0.0.1/token",
  ]) {
    // What the transport connects to: WHATWG ends the host at the backslash.
    assert.notEqual(new URL(url).hostname, "localhost", url);
    const err = configError(() => buildTokenRequest(confidential(url), password));
    assert.equal(err.field, "tokenEndpoint", url);
    assert.match(err.message, /https/, url);
    const { fetch, calls } = spyFetch();
    const rejected = await rejection(requestToken(confidential(url), password, { fetch }));
    assert.equal(rejected.kind, "config", url);
    assert.deepEqual(calls, [], `${url}: nothing was sent`);
    assert.equal((await rejection(requestToken(confidential(url), password, { fetch: nodeHttpFetch }))).kind, "config");
    assert.throws(() => new TokenManager({ client: confidential(url), storage: "memory" }), { kind: "config" }, url);
  }
});

test("issue 13.1: only localhost, 127.0.0.0/8 and [::1] are loopback; *.localhost is not", () => {
  for (const url of ["http://api.localhost/token", "http://localhost.evil.example/t", "http://[::2]/t"]) {
    configError(() => buildTokenRequest(confidential(url), password));
  }
  for (const url of ["http://localhost:8080/token", "http://127.1/t", "http://0x7f.0.0.1/t", "http://[::1]:9/t", "HTTP://LOCALHOST/t"]) {
    assert.equal(buildTokenRequest(confidential(url), password).url, url);
  }
});

/** A small seeded generator (xorshift32): the same URLs on every run. */
function generator(seed) {
  let x = seed >>> 0 || 1;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
  return (items) => items[Math.floor(next() * items.length)];
}

/** The rule, stated on `new URL(u)` — the parse fetch connects with. */
function expected(u) {
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(u) || u.trim() === "") return false;
  let url;
  try {
    url = new URL(u);
  } catch {
    return false;
  }
  if (url.username !== "" || url.password !== "" || url.href.includes("#") || url.hostname === "") return false;
  if (url.protocol === "https:") return true;
  if (url.protocol !== "http:") return false;
  const h = url.hostname;
  return h === "localhost" || h === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

test("issue 13.1: property — the endpoint decision agrees with new URL()'s scheme and host", () => {
  const pick = generator(0x13a1);
  const schemes = ["http", "https", "HTTP", "hTTps", "ftp", "javascript", "http:", "https:/"];
  const slashes = ["://", ":/", ":\\\\", "://\\", ":///", "", ":\\/"];
  const userinfo = ["", "", "", "u@", "u:p@", ":@", "@", "localhost@", "evil.example\\@"];
  const hosts = [
    "localhost", "LocalHost", "localhost.", "a.localhost", "127.0.0.1", "127.1", "0x7f.1", "0177.0.0.1", "2130706433",
    "127.0.0.1.nip.io", "[::1]", "[0:0::1]", "[::ffff:127.0.0.1]", "evil.example", "evil%2eexample", "ex%61mple.com",
    "xn--nxasmq6b.example", "ß.example", "例え.jp", "evil.example\\.localhost", "evil.example\\\\.localhost", "\\evil.example",
    "0.0.0.0", "128.0.0.1", "",
  ];
  const ports = ["", "", ":80", ":8080", ":0", ":99999", ":", ":x"];
  const tails = ["", "/token", "/t?x=1", "/a#f", "#", "\\token", "?", "/%2e%2e/t", "\t/t", "\n", " /t", "/t "];
  let accepted = 0;
  for (let i = 0; i < 4000; i++) {
    const u = pick(schemes) + pick(slashes) + pick(userinfo) + pick(hosts) + pick(ports) + pick(tails);
    let ours;
    try {
      buildTokenRequest(confidential(u), password);
      ours = true;
    } catch (err) {
      assert.equal(err.kind, "config", `${JSON.stringify(u)}: ${err}`);
      ours = false;
    }
    assert.equal(ours, expected(u), `${JSON.stringify(u)} → ${(() => { try { return new URL(u).href; } catch { return "not a URL"; } })()}`);
    if (ours) accepted++;
  }
  assert.ok(accepted > 100, `the generator reaches accepted URLs too (${accepted})`);
});

test("issue 18.8: the invalid_client hint follows how the request actually authenticated", async () => {
  const refuse = async () => new Response(JSON.stringify({ error: "invalid_client" }), { status: 401, headers: { "content-type": "application/json" } });
  const hintFor = async (extra, secret = "plainsecret") =>
    (await rejection(requestToken(confidential("https://as.example/token", { clientSecret: secret, ...extra }), { grantType: "client_credentials" }, { fetch: refuse }))).hint;
  for (const secret of ["plainsecret", "s3cr+t/="]) {
    const body = await hintFor({ clientAuth: "body" }, secret);
    assert.doesNotMatch(body, /clientAuth "body"|basicEncoding/, `body auth sent no Basic header: ${body}`);
    assert.match(body, /clientAuth "basic"/);
    const raw = await hintFor({ basicEncoding: "raw" }, secret);
    assert.doesNotMatch(raw, /basicEncoding "raw"/, `already raw: ${raw}`);
  }
  assert.match(await hintFor({}, "s3cr+t/="), /basicEncoding "raw"/, "form-encoded Basic that changed the secret: try raw");
  assert.doesNotMatch(await hintFor({}), /basicEncoding/, "nothing changed under form-encoding: raw would send the same");
  const pub = (await rejection(requestToken({ tokenEndpoint: "https://as.example/token", clientId: "c" }, { grantType: "client_credentials" }, { fetch: refuse }))).hint;
  assert.match(pub, /clientSecret/);
  assert.doesNotMatch(pub, /basicEncoding/);
});

test("issue 18.7: a hint's settings are structured (err.suggestions), for tools that show them in their own terms", async () => {
  const refuse = async () => new Response(JSON.stringify({ error: "invalid_client" }), { status: 401, headers: { "content-type": "application/json" } });
  const err = await rejection(requestToken(confidential("https://as.example/token", { clientSecret: "s3cr+t/=" }), { grantType: "client_credentials" }, { fetch: refuse }));
  assert.deepEqual(err.suggestions, [{ setting: "basicEncoding", value: "raw" }, { setting: "clientAuth", value: "body" }]);
  assert.deepEqual(JSON.parse(JSON.stringify(err)).suggestions, err.suggestions, "toJSON keeps them");
  const body = await rejection(requestToken(confidential("https://as.example/token", { clientSecret: "x", clientAuth: "body" }), { grantType: "client_credentials" }, { fetch: refuse }));
  assert.deepEqual(body.suggestions.map((s) => [s.setting, s.value]), [["clientId", undefined], ["clientSecret", undefined], ["clientAuth", "basic"]]);
  const { parseTokenResponse } = await import("oauth2-wasm");
  const notFound = (() => { try { parseTokenResponse(404, ""); } catch (e) { return e; } })();
  assert.deepEqual(notFound.suggestions, [{ setting: "tokenEndpoint" }]);
  const trailing = (() => { try { parseTokenResponse(500, '{"a":1,}'); } catch (e) { return e; } })();
  assert.match(trailing.hint, /trailing comma/);
  assert.equal(trailing.suggestions, undefined, "a hint about no setting has none");
});

test("issue 13.5: a body over 256 KiB is refused before it crosses into the wasm, at every entry point", async () => {
  const { parseTokenResponse } = await import("oauth2-wasm");
  const huge = "x".repeat(134_000_000);
  const started = Date.now();
  const err = (() => { try { parseTokenResponse(200, huge, { headers: { "content-type": "text/plain" } }); } catch (e) { return e; } })();
  assert.equal(err?.kind, "invalid_response", String(err));
  assert.match(err.message, /over 256 KiB/);
  assert.equal(err.contentType, "text/plain");
  assert.ok(Date.now() - started < 2_000, "refused without reading it");
  // Fewer UTF-16 units than the bound but more UTF-8 bytes: refused by the core's own check.
  const wide = (() => { try { parseTokenResponse(503, "é".repeat(140_000)); } catch (e) { return e; } })();
  assert.deepEqual([wide?.kind, wide?.status], ["http", 503]);
  assert.match(wide.message, /over 256 KiB/);
  // The instance is not poisoned.
  assert.equal(parseTokenResponse(200, '{"access_token":"a","token_type":"Bearer"}').accessToken, "a");

  // A storage adapter that hands back a huge value: not a record, not copied, re-acquired.
  const key = "k";
  const adapter = { get: () => huge, set() {}, remove() {} };
  let sent = 0;
  const fetch = async () => (sent++, new Response(JSON.stringify({ access_token: "fresh", token_type: "Bearer", expires_in: 60 }), { headers: { "content-type": "application/json" } }));
  const manager = new TokenManager({ client: { tokenEndpoint: "https://as.example/token", clientId: "c" }, grant: { grantType: "client_credentials" }, storage: adapter, storageKey: key, fetch });
  assert.equal(await manager.getAccessToken(), "fresh");
  assert.equal(sent, 1);
});

test("issue 13.6: a server's __proto__ member stays an own property of raw, never its prototype", async () => {
  const { parseTokenResponse } = await import("oauth2-wasm");
  const body = '{"access_token":"a","token_type":"Bearer","expires_in":60,"__proto__":{"isAdmin":true}}';
  const errorBody = '{"error":"invalid_grant","__proto__":{"isAdmin":true}}';
  const plain = (raw, where) => {
    assert.equal(Object.getPrototypeOf(raw), Object.prototype, where);
    assert.equal(raw.isAdmin, undefined, where);
    assert.ok(Object.hasOwn(raw, "__proto__"), where);
    assert.deepEqual(Object.getOwnPropertyDescriptor(raw, "__proto__").value, { isAdmin: true }, where);
  };
  plain(parseTokenResponse(200, body).raw, "parseTokenResponse");
  const answer = (text, status = 200) => async () => new Response(text, { status, headers: { "content-type": "application/json" } });
  const client = { tokenEndpoint: "https://as.example/token", clientId: "c" };
  const events = [];
  const manager = new TokenManager({ client, storage: "memory", fetch: answer(body) });
  manager.onChange((tokens) => events.push(tokens));
  plain((await manager.login({ grantType: "client_credentials" })).raw, "login()");
  plain(manager.getTokens().raw, "getTokens()");
  assert.ok(events.length > 0);
  plain(events.at(-1).raw, "onChange");
  const err = await rejection(requestToken(client, { grantType: "client_credentials" }, { fetch: answer(errorBody, 400) }));
  plain(err.raw, "OAuthError.raw from requestToken");
  const failing = new TokenManager({ client, storage: "memory", fetch: answer(errorBody, 400) });
  plain((await rejection(failing.login({ grantType: "client_credentials" }))).raw, "OAuthError.raw from the manager");
});

test("issue 13.2: no token of a 2xx answer reaches an error, whatever its encoding; raw credentials are redacted however spelled", async () => {
  const { parseTokenResponse } = await import("oauth2-wasm");
  const bodies = [
    '{"access\\u005ftoken":"LIVE-AT","refresh\\u005ftoken":"LIVE-RT","expires_in":"3600s"}',
    '{"accessToken":"LIVE-AT","refreshToken":"LIVE-RT","expiresIn":3600}',
    '{"data":{"access_token":"LIVE-AT","refresh_token":"LIVE-RT"}}',
    JSON.stringify(JSON.stringify({ access_token: "LIVE-AT", refresh_token: "LIVE-RT" })),
    '{"ACCESS_TOKEN":"LIVE-AT","REFRESH_TOKEN":"LIVE-RT"}',
    "{'access_token':'LIVE-AT','refresh_token':'LIVE-RT'}",
    "<token><access_token>LIVE-AT</access_token><refresh_token>LIVE-RT</refresh_token></token>",
    "access%5Ftoken=LIVE-AT&refresh%5Ftoken=LIVE-RT",
    '{"error":"temporarily_unavailable","access_token":"LIVE-AT","session":{"rt":"LIVE-RT"}}',
  ];
  const shown = (err) => [String(err), JSON.stringify(err), inspect(err, { depth: 10 }), JSON.stringify(err.raw), err.body].join(" ");
  for (const body of bodies) {
    for (const contentType of ["application/json", "text/xml", "application/x-www-form-urlencoded"]) {
      let err;
      try { parseTokenResponse(200, body, { headers: { "content-type": contentType } }); } catch (e) { err = e; }
      assert.ok(err, `${body}: an error`);
      assert.doesNotMatch(shown(err), /LIVE-/, `${body} (${contentType})`);
      const fetch = async () => new Response(body, { status: 200, headers: { "content-type": contentType } });
      const viaFetch = await rejection(requestToken({ tokenEndpoint: "https://as.example/token", clientId: "c" }, { grantType: "client_credentials" }, { fetch }));
      assert.doesNotMatch(shown(viaFetch), /LIVE-/, `requestToken: ${body}`);
    }
  }
  // Non-2xx error objects: credential members redacted however their names are spelled.
  let err;
  try {
    parseTokenResponse(400, '{"error":"invalid_grant","refreshToken":"LIVE-RT","clientSecret":"LIVE-CS","data":{"Access-Token":"LIVE-AT"}}');
  } catch (e) { err = e; }
  assert.equal(err.error, "invalid_grant");
  assert.doesNotMatch(shown(err), /LIVE-/);
  assert.equal(err.raw.refreshToken, "[redacted]");
});

test("issue 13.4: manager.fetch sends the token only over https or to loopback, only to resourceOrigins, and 401s do not renew on every call", async () => {
  let t = 1_700_000_000_000;
  const sent = [];
  let refreshes = 0;
  const fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    if (url === "https://as.example/token") {
      refreshes++;
      return new Response(JSON.stringify({ access_token: `at-${refreshes}`, token_type: "Bearer", expires_in: 3600 }), { headers: { "content-type": "application/json" } });
    }
    sent.push({ url, auth: new Headers(init?.headers).get("authorization") });
    return new Response("no", { status: 401 });
  };
  const client = { tokenEndpoint: "https://as.example/token", clientId: "c" };
  const manager = new TokenManager({ client, grant: { grantType: "client_credentials" }, storage: "memory", fetch, now: () => t });
  for (const url of ["http://evil.example/data", new URL("http://evil.example/data"), new Request("http://evil.example/data"), "ftp://api.example/x"]) {
    const err = await rejection(manager.fetch(url));
    assert.deepEqual([err.kind, err.field], ["config", "fetch"], String(url));
  }
  assert.deepEqual(sent, [], "no request carried the token in clear text");
  // An API that answers 401 to everything: 20 calls in a row renew once, not 20 times.
  await manager.getAccessToken();
  const before = refreshes;
  for (let i = 0; i < 20; i++) assert.equal((await manager.fetch("https://api.example/data")).status, 401);
  assert.equal(refreshes - before, 1, "one renewal for 20 rejected calls within a second");
  t += 1_000;
  await manager.fetch("https://api.example/data");
  assert.equal(refreshes - before, 2, "a second later, a 401 may renew again");
  // resourceOrigins: only those origins get the token.
  const scoped = new TokenManager({ client, grant: { grantType: "client_credentials" }, storage: "memory", fetch, now: () => t, resourceOrigins: ["https://api.example/v1"] });
  sent.length = 0;
  await scoped.fetch("https://api.example/v2/adverts");
  for (const url of ["https://other.example/x", "https://api.example:8443/x", "https://api.example.evil/x"]) {
    const err = await rejection(scoped.fetch(url));
    assert.match(err.message, /resourceOrigins/, url);
  }
  assert.ok(sent.length > 0 && sent.every((s) => s.url.startsWith("https://api.example/")), JSON.stringify(sent));
  assert.throws(() => new TokenManager({ client, resourceOrigins: "https://api.example" }), { field: "resourceOrigins" });
  assert.throws(() => new TokenManager({ client, resourceOrigins: ["api.example"] }), { field: "resourceOrigins" });
});

/** Whether `promise` settles within `ms` (a call left pending is the bug). */
async function settles(promise, ms = 3_000) {
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve("pending"), ms)));
  try {
    return await Promise.race([promise.then(() => "resolved", () => "rejected"), late]);
  } finally {
    clearTimeout(timer);
  }
}

test("issue 13.3: host code that throws — console.error, a listener, a getter on init, a hostile adapter promise — never wedges the manager", async () => {
  const uncaught = [];
  const onUncaught = (e) => uncaught.push(e);
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  const originalError = console.error;
  console.error = () => { throw new Error("fail on console.error"); };
  try {
    let n = 0;
    const fetch = async (input) => {
      if (String(input).endsWith("/token")) {
        return new Response(JSON.stringify({ access_token: `at-${++n}`, token_type: "Bearer", expires_in: 3600 }), { headers: { "content-type": "application/json" } });
      }
      return new Response("ok");
    };
    const client = { tokenEndpoint: "https://as.example/token", clientId: "c" };
    const manager = new TokenManager({ client, grant: { grantType: "client_credentials" }, storage: "memory", fetch });
    manager.onChange(() => { throw new Error("a listener that throws"); });
    assert.equal(await settles(manager.login({ grantType: "client_credentials" })), "resolved");
    assert.equal(await settles(manager.refresh()), "resolved");
    assert.equal(await manager.getAccessToken(), "at-2");
    // A getter on init that throws: a config error, and the manager goes on.
    const init = { get headers() { throw new Error("hostile getter"); }, method: "GET" };
    Object.defineProperty(init, "body", { enumerable: true, get() { throw new Error("hostile body"); } });
    const err = await rejection(manager.fetch("https://api.example/data", init));
    assert.deepEqual([err.kind, err.field], ["config", "init"]);
    assert.equal((await manager.fetch("https://api.example/data")).status, 200);
    assert.equal(await settles(manager.logout()), "resolved");

    // A storage adapter whose answers are hostile thenables: storage errors, never a hang.
    const hostile = [
      { then() { throw new Error("then throws"); } },
      Object.defineProperty({}, "then", { get() { throw new Error("then getter throws"); } }),
      { then(_, reject) { reject(new Error("rejects")); } },
    ];
    for (const answer of hostile) {
      const adapter = { get: () => answer, set: () => answer, remove: () => answer };
      const m = new TokenManager({ client, grant: { grantType: "client_credentials" }, storage: adapter, fetch });
      assert.notEqual(await settles(m.getAccessToken()), "pending");
      assert.notEqual(await settles(m.getAccessToken()), "pending", "and again");
      assert.notEqual(await settles(m.logout()), "pending");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(uncaught, [], "no exception escaped to the process");
  } finally {
    console.error = originalError;
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onUncaught);
  }
});

test("issue 13.9: smaller gaps — no repeatable password grant, one framing per body, no line breaks in parameters or token_type, a bounded redirect hint", async (t) => {
  const { createServer } = await import("node:http");
  const { parseTokenResponse } = await import("oauth2-wasm");
  const client = { tokenEndpoint: "https://as.example/token", clientId: "c" };
  // A password grant written as an extension grant is still a password grant.
  for (const grant of [
    { grantType: "password", params: { username: "u", password: "p" } },
    { grantType: "refresh_token", params: { refresh_token: "r" } },
    { grantType: "authorization_code", params: { code: "x" } },
  ]) {
    assert.throws(() => new TokenManager({ client, grant }), { field: "grant" }, grant.grantType);
  }
  new TokenManager({ client, grant: { grantType: "urn:example:partner", params: { a: "b" } } });
  // nodeHttpFetch: a caller's transfer-encoding never travels with the content-length.
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ te: req.headers["transfer-encoding"], cl: req.headers["content-length"] });
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"access_token":"a","token_type":"Bearer"}'));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${server.address().port}/token`;
  await nodeHttpFetch(url, { method: "POST", body: "a=1", redirect: "manual", headers: { "Transfer-Encoding": "chunked", "Content-Length": "99" } });
  await requestToken({ tokenEndpoint: url, clientId: "c", headers: { "Transfer-Encoding": "chunked" } }, { grantType: "client_credentials" }, { fetch: nodeHttpFetch });
  assert.deepEqual(seen, [{ te: undefined, cl: "3" }, { te: undefined, cl: String("grant_type=client_credentials&client_id=c".length) }]);
  // CR, LF and NUL in extraParams names and values, as everywhere else.
  for (const extraParams of [{ "a\r\nb": "1" }, { a: "1\n2" }, { a: "x\u0000" }, { "a\u0000": "1" }]) {
    assert.throws(() => buildTokenRequest({ ...client, extraParams }, { grantType: "client_credentials" }), (e) => e.kind === "config" && e.field.startsWith("extraParams"), JSON.stringify(extraParams));
  }
  // A token_type with a line break is not a token type.
  assert.throws(() => parseTokenResponse(200, '{"access_token":"a","token_type":"Bearer\\r\\nX-Injected: 1"}'), { kind: "invalid_response", field: "token_type" });
  // A redirect's hint quotes its Location on one bounded line.
  const redirect = async () => new Response(null, { status: 302, headers: { location: `https://elsewhere.example/${"x".repeat(15_000)}` } });
  const err = await rejection(requestToken(client, { grantType: "client_credentials" }, { fetch: redirect }));
  assert.equal(err.kind, "http");
  assert.ok(err.hint.length < 400, `hint length ${err.hint.length}`);
});

test("issue 13.8: the file store survives [], a BOM and a __proto__ key, leaves no .stale files, and no adapter call hangs past timeoutMs", async (t) => {
  const { mkdtemp, writeFile, readdir, readFile, utimes, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { fileStorage } = await import("oauth2-wasm/file-store");
  const dir = await mkdtemp(join(tmpdir(), "oauth2-wasm-13-8-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let n = 0;
  const fetch = async () => new Response(JSON.stringify({ access_token: `at-${++n}`, token_type: "Bearer", expires_in: 3600 }), { headers: { "content-type": "application/json" } });
  const client = { tokenEndpoint: "https://as.example/token", clientId: "c" };
  const cases = [
    ["array.json", "[]", undefined],
    ["bom.json", "\uFEFF{}", undefined],
    ["junk.json", "{not json", undefined],
    ["proto.json", undefined, "__proto__"],
    ["constructor.json", undefined, "constructor"],
  ];
  for (const [name, content, storageKey] of cases) {
    const path = join(dir, name);
    if (content !== undefined) await writeFile(path, content);
    const first = new TokenManager({ client, storage: fileStorage(path), storageKey, fetch });
    const tokens = await first.login({ grantType: "client_credentials" });
    // A second process sharing the file sees the session, instead of login_required.
    const second = new TokenManager({ client, storage: fileStorage(path), storageKey, fetch });
    assert.equal(await second.getAccessToken(), tokens.accessToken, name);
    assert.equal(typeof JSON.parse((await readFile(path, "utf8")).replace(/^\uFEFF/, ""))[storageKey ?? `oauth2-wasm:${client.tokenEndpoint}#c`], "string", name);
  }
  // A crashed holder's lock is taken over and no .stale file is left behind.
  const path = join(dir, "locks.json");
  await writeFile(`${path}.lock`, "crashed-holder");
  const old = new Date(Date.now() - 120_000);
  await utimes(`${path}.lock`, old, old);
  const store = fileStorage(path, { staleLockMs: 1_000 });
  assert.equal(await store.lock("k", async () => "ran"), "ran");
  assert.deepEqual((await readdir(dir)).filter((f) => f.includes(".stale")), []);

  // An adapter whose get, set or lock never settles: every call settles within timeoutMs (a lock: plus its grace).
  const never = () => new Promise(() => {});
  const quick = { ...client, timeoutMs: 300 };
  const hanging = [
    { get: never, set: () => {}, remove: () => {} },
    { get: () => null, set: never, remove: never },
    { get: () => null, set: () => {}, remove: () => {}, lock: never },
  ];
  for (const adapter of hanging) {
    const m = new TokenManager({ client: quick, grant: { grantType: "client_credentials" }, storage: adapter, fetch });
    const started = Date.now();
    const outcome = await settles(m.getAccessToken(), 8_000);
    assert.notEqual(outcome, "pending", Object.keys(adapter).join());
    assert.ok(Date.now() - started < 7_000);
    assert.notEqual(await settles(m.logout(), 8_000), "pending");
  }
});

test("issue 18.7: a timeoutMs past the longest timer (2^31−1 ms) waits, for fetch and nodeHttpFetch — the core clamps it, once", async (t) => {
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => {
    setTimeout(() => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ access_token: "slow", token_type: "Bearer" }));
    }, 150);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const endpoint = `http://127.0.0.1:${server.address().port}/token`;
  for (const fetch of [globalThis.fetch, nodeHttpFetch]) {
    // An unclamped setTimeout(…, 2^32−1) fires at once: the call would time out at 0 ms.
    const client = { tokenEndpoint: endpoint, clientId: "c", timeoutMs: 2 ** 32 - 1 };
    const tokens = await requestToken(client, { grantType: "client_credentials" }, { fetch });
    assert.equal(tokens.accessToken, "slow");
  }
});

test("issue 18.4: the transport outcome crosses typed — a fast path's odd members are absent, never misread", async () => {
  const FAST = Symbol.for("oauth2-wasm.exchange");
  const client = { tokenEndpoint: "https://as.example/token", clientId: "c" };
  const cc = { grantType: "client_credentials" };
  const via = (outcome) => {
    const fetch = async () => assert.fail("the fast path answers");
    fetch[FAST] = async () => (typeof outcome === "function" ? outcome() : outcome);
    return requestToken(client, cc, { fetch });
  };
  const token = JSON.stringify({ access_token: "typed", token_type: "Bearer" });
  assert.equal((await via({ status: 200, sentAt: Date.now(), contentType: "application/json", body: token })).accessToken, "typed");
  for (const odd of [
    { status: "200", body: token }, // a status that is not a number
    { status: 200.5, body: token },
    { status: 1000, body: token },
    { get status() { throw new Error("hostile getter"); } },
    { fault: 42 }, // a fault that is not a string: still a fault
  ]) {
    const err = await rejection(via(odd));
    assert.equal(err.kind, "network", `${inspect(odd)}: ${err.message}`);
  }
  const err = await rejection(via({ status: 200, body: 42, contentType: { toString: () => "application/json" } }));
  assert.equal(err.kind, "invalid_response", "no body and no content type: not a token, nothing misread");
  // A fast path's over-long body is not copied into the wasm.
  const big = await rejection(via({ status: 200, body: "x".repeat(300 * 1024) }));
  assert.equal(big.kind, "invalid_response");
  assert.match(big.message, /256 KiB/);
});
