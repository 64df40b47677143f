// The node:http fetch (js/node-http.*) with the packed package: the four providers, OAuth
// errors and every transport fault — each compared with Node's own fetch on the same server —
// timeouts, aborts, the body bound, keep-alive, https and require().
//
// It imports the module by path until the package exports "oauth2-wasm/node-http".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createServer as createHttpsServer, Agent as HttpsAgent } from "node:https";
import { execFile, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { requestToken, TokenManager, OAuthError } from "oauth2-wasm";
import { nodeHttpFetch, createNodeHttpFetch } from "oauth2-wasm/node-http";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";
import { startFaultServer, refusedUrl } from "../support/faults.mjs";
import { rejection } from "./helpers.mjs";

const TOKEN = JSON.stringify({ access_token: "probe-token", token_type: "Bearer", expires_in: 3600 });

/**
 * A server that reports what the transport did: connections opened, connections closed
 * while a response was unfinished, bytes of the 50 MB body written, the bearer seen by /api.
 */
async function startProbe(createFn = createServer, options = {}) {
  const probe = { connections: 0, unfinished: 0, hugeBytes: 0, requests: [] };
  const server = createFn(options, (req, res) => {
    req.resume();
    req.on("end", () => {
      probe.requests.push({ url: req.url, headers: req.headers });
      res.on("close", () => !res.writableFinished && probe.unfinished++);
      switch (req.url) {
        case "/token":
          return res.writeHead(200, { "Content-Type": "application/json" }).end(TOKEN);
        case "/gzip":
          return res.writeHead(200, { "Content-Type": "application/json", "Content-Encoding": "gzip" }).end(gzipSync(TOKEN));
        case "/bom": // with a content-length
          return res.writeHead(200, { "Content-Type": "application/json" }).end("\ufeff" + TOKEN);
        case "/two-types": // two Content-Type lines: fetch joins them
          return res.writeHead(200, [["Content-Type", "application/json"], ["Content-Type", "text/plain"]]).end(TOKEN);
        case "/bom-chunked":
          res.writeHead(200, { "Content-Type": "application/json" }).write("\ufeff");
          return res.end(TOKEN);
        case "/no-content":
          return res.writeHead(204).end();
        case "/hang":
          return;
        case "/moved":
          return res.writeHead(302, { Location: "/api" }).end();
        case "/api":
          return res.writeHead(200, { "Content-Type": "text/plain" }).end(String(req.headers.authorization));
        case "/huge": {
          res.writeHead(200, { "Content-Type": "application/json" });
          const chunk = Buffer.alloc(64 * 1024, "a");
          const more = () => {
            while (!res.destroyed && probe.hugeBytes < 50 * 1024 * 1024) {
              probe.hugeBytes += chunk.length;
              if (!res.write(chunk)) return res.once("drain", more);
            }
            res.end();
          };
          return more();
        }
        default:
          return res.writeHead(404).end();
      }
    });
  });
  server.on("connection", () => probe.connections++);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const scheme = createFn === createServer ? "http" : "https";
  probe.url = `${scheme}://127.0.0.1:${server.address().port}`;
  probe.close = () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)));
  return probe;
}

let providers;
let faults;
let probe;
let refused;
before(async () => {
  providers = await startTokenServer();
  faults = await startFaultServer({ redirectTo: `${providers.url}/redirected-here` });
  probe = await startProbe();
  refused = await refusedUrl();
});
after(() => Promise.all([providers.close(), faults.close(), probe.close()]));

const { olx, socialid, autograb, teenquotes } = PROVIDERS;
const provider = (p, extra = {}) => ({ tokenEndpoint: providers.url + p.path, clientSecret: p.clientSecret, ...extra });
const cc = { grantType: "client_credentials" };
const viaNodeHttp = { fetch: nodeHttpFetch };
const BOUNDED = { timeout: 10_000 }; // a transport that ignores its signal fails, not hangs

/** What a user checks on an error: the same for both transports. */
const summary = (e) => ({ kind: e.kind, status: e.status, error: e.error, contentType: e.contentType, retryAfter: e.retryAfter, humanTitle: e.humanTitle });

test("the four providers succeed over node:http, and the requests really went through it", BOUNDED, async () => {
  const sentBefore = providers.requests.length;
  const olxClient = provider(olx, { clientId: 123 });
  const first = await requestToken(olxClient, { grantType: "password", username: olx.username, password: olx.password }, viaNodeHttp);
  assert.deepEqual([first.expiresIn, first.scope], [43200, "adverts-write read"]);
  const second = await requestToken(olxClient, { grantType: "refresh_token", refreshToken: first.refreshToken }, viaNodeHttp);
  assert.ok(second.refreshToken && second.refreshToken !== first.refreshToken);
  const partner = await requestToken(
    provider(olx, { clientId: 123, clientAuth: "body" }),
    { grantType: "partner", partnerCode: olx.partnerCode, partnerSecret: olx.partnerSecret },
    viaNodeHttp,
  );
  assert.match(partner.accessToken, /^[0-9a-f]{40}$/);
  for (const who of [{ username: socialid.username }, { emailAddress: socialid.emailAddress }]) {
    const tokens = await requestToken(provider(socialid, { clientId: 138 }), { grantType: "password", password: socialid.password, ...who }, viaNodeHttp);
    assert.equal(tokens.expiresIn, 604800);
  }
  const autograbTokens = await requestToken(provider(autograb, { clientId: autograb.clientId }), cc, viaNodeHttp);
  assert.deepEqual([autograbTokens.expiresIn, autograbTokens.scope, autograbTokens.refreshToken], [3599, "", undefined]);
  const tq = await requestToken(provider(teenquotes, { clientId: "42", clientAuth: "body", bodyEncoding: "json" }), cc, viaNodeHttp);
  assert.equal(tq.expiresIn, 604800);
  assert.ok(tq.expiresAt > Date.now());

  const sent = providers.requests.slice(sentBefore);
  assert.equal(sent.length, 7);
  for (const r of sent) {
    assert.equal(r.headers["accept-encoding"], "identity", "sent by nodeHttpFetch, not by Node's fetch");
    assert.equal(r.headers.connection, "keep-alive");
  }
  assert.equal(JSON.parse(sent.at(-1).body).client_secret, teenquotes.clientSecret, "the JSON body arrived whole");
  for (const r of sent) {
    assert.equal(r.headers["content-length"], String(Buffer.byteLength(r.body)), "a length, not chunked");
    assert.equal(r.headers["transfer-encoding"], undefined);
  }
});

test("token requests through nodeHttpFetch build no Response: its fast path reads node:http directly", BOUNDED, async () => {
  const NativeResponse = globalThis.Response;
  let built = 0;
  globalThis.Response = class extends NativeResponse {
    constructor(...args) {
      super(...args);
      built++;
    }
  };
  try {
    const tokens = await requestToken(provider(autograb, { clientId: autograb.clientId }), cc, viaNodeHttp);
    assert.equal(tokens.expiresIn, 3599);
    const refused = await rejection(requestToken(provider(autograb, { clientId: autograb.clientId, clientSecret: "wrong" }), cc, viaNodeHttp));
    assert.equal(refused.kind, "oauth");
    assert.equal(built, 0, "no Response for requestToken");
    // The fetch itself, called as a fetch, still answers with a Response.
    const response = await nodeHttpFetch(provider(autograb, {}).tokenEndpoint, { method: "POST", redirect: "manual", body: "" });
    await response.text();
    assert.equal(built, 1, "a Response for a plain fetch call");
  } finally {
    globalThis.Response = NativeResponse;
  }
});

test("OAuth errors are the same through node:http as through Node's fetch", BOUNDED, async () => {
  const cases = [
    [provider(olx, { clientId: 123, clientAuth: "body" }), { grantType: "partner", partnerCode: olx.partnerCode, partnerSecret: "wrong" }],
    [provider(socialid, { clientId: 138, clientSecret: "nope" }), { grantType: "password", username: "x", password: "y" }],
    [provider(teenquotes, { clientId: "42", clientAuth: "body", bodyEncoding: "json" }), { grantType: "refresh_token", refreshToken: "unknown" }],
  ];
  const seen = [];
  for (const [client, grant] of cases) {
    const withFetch = await rejection(requestToken(client, grant));
    const withNodeHttp = await rejection(requestToken(client, grant, viaNodeHttp));
    assert.deepEqual(withNodeHttp.toJSON(), withFetch.toJSON());
    seen.push([withNodeHttp.kind, withNodeHttp.status, withNodeHttp.error]);
  }
  assert.deepEqual(seen, [["oauth", 400, "invalid_grant"], ["oauth", 401, "invalid_client"], ["oauth", 400, "invalid_refresh"]]);
});

test("token responses read the same through node:http as through Node's fetch: gzip, a BOM, chunked, repeated headers", BOUNDED, async () => {
  for (const path of ["/token", "/gzip", "/bom", "/bom-chunked", "/two-types"]) {
    const client = { tokenEndpoint: probe.url + path };
    const { accessToken, tokenType, expiresIn, quirks, raw } = await requestToken(client, cc, viaNodeHttp);
    const viaFetch = await requestToken(client, cc);
    assert.deepEqual({ accessToken, tokenType, expiresIn, quirks, raw }, {
      accessToken: viaFetch.accessToken, tokenType: viaFetch.tokenType, expiresIn: viaFetch.expiresIn,
      quirks: viaFetch.quirks, raw: viaFetch.raw,
    }, path);
    assert.equal(accessToken, "probe-token", path);
  }
});

test("a header value HTTP cannot carry is a config error; node:http refusing one is a network error, and nothing fires later", BOUNDED, async () => {
  const client = { tokenEndpoint: probe.url + "/token", headers: { "X-Tenant": "caf\u00e9\u20ac" }, timeoutMs: 150 };
  for (const options of [{}, viaNodeHttp]) {
    const err = await rejection(requestToken(client, cc, options));
    assert.deepEqual([err.kind, err.field], ["config", "headers.X-Tenant"]);
  }
  // Below the core's check, the fast path itself: node:http throws before sending.
  const crashes = [];
  const onCrash = (e) => crashes.push(e);
  process.on("uncaughtException", onCrash);
  try {
    const fast = nodeHttpFetch[Symbol.for("oauth2-wasm.exchange")];
    const outcome = await fast(probe.url + "/token", "POST", { "x-tenant": "caf\u20ac" }, "", 150, undefined, 1024);
    assert.deepEqual(outcome, { fault: "network", code: "ERR_INVALID_CHAR" });
    await new Promise((r) => setTimeout(r, 300)); // past the time limit
    assert.deepEqual(crashes, []);
  } finally {
    process.off("uncaughtException", onCrash);
  }
});

test("every transport fault gives the same kind through node:http as through Node's fetch", BOUNDED, async () => {
  const cases = [
    ["refused", { tokenEndpoint: refused }, "network"],
    ["/reset", {}, "network"],
    ["/hang", { timeoutMs: 300 }, "timeout"],
    ["/slow-body", { timeoutMs: 300 }, "timeout"],
    ["/html502", {}, "http"],
    ["/empty500", {}, "http"],
    ["/ratelimit", {}, "http"],
    ["/huge", {}, "invalid_response"],
    ["/huge-length", {}, "invalid_response"],
    ["/redirect", { clientId: "c", clientSecret: "redirect-secret" }, "http"],
    ["/not-there", {}, "http"],
    ["/nocors", {}, null],
  ];
  for (const [path, extra, kind] of cases) {
    const client = { tokenEndpoint: faults.url + path, ...extra };
    const outcome = (p) => p.then((t) => ({ token: t.accessToken }), (e) => (assert.ok(e instanceof OAuthError, String(e)), summary(e)));
    const withFetch = await outcome(requestToken(client, cc));
    const withNodeHttp = await outcome(requestToken(client, cc, viaNodeHttp));
    assert.deepEqual(withNodeHttp, withFetch, path);
    assert.equal(withNodeHttp.kind, kind ?? undefined, path);
  }
  const resetErr = await rejection(requestToken({ tokenEndpoint: faults.url + "/reset" }, cc, viaNodeHttp));
  assert.match(resetErr.message, /broke while reading the response \(ECONNRESET\)/);
  const refusedErr = await rejection(requestToken({ tokenEndpoint: refused }, cc, viaNodeHttp));
  assert.match(refusedErr.message, /\(ECONNREFUSED\)/);
  assert.match(refusedErr.hint, /nothing accepts connections/);
  const redirect = await rejection(requestToken({ tokenEndpoint: faults.url + "/redirect" }, cc, viaNodeHttp));
  assert.match(redirect.hint, /redirected-here/);
  assert.ok(!providers.requests.some((r) => r.url === "/redirected-here"), "the redirect was not followed");
});

test("timeoutMs bounds a server that never answers, and the connection is closed", BOUNDED, async () => {
  const unfinished = probe.unfinished;
  for (const [client, options, limit] of [
    [{ tokenEndpoint: probe.url + "/hang", timeoutMs: 300 }, {}, 300],
    [{ tokenEndpoint: probe.url + "/hang" }, { timeoutMs: 200 }, 200],
  ]) {
    const start = performance.now();
    const err = await rejection(requestToken(client, cc, { ...options, ...viaNodeHttp }));
    const took = performance.now() - start;
    assert.equal(err.kind, "timeout");
    assert.match(err.message, new RegExp(`within ${limit} ms`));
    assert.ok(took >= limit - 5 && took < limit + 1000, `took ${took} ms`);
  }
  await waitFor(() => probe.unfinished === unfinished + 2, "the server saw both connections close");
});

test("abort before sending sends nothing; abort while waiting or reading rejects with AbortError", BOUNDED, async () => {
  const early = new AbortController();
  early.abort();
  const count = probe.requests.length;
  const err = await rejection(requestToken({ tokenEndpoint: probe.url + "/token" }, cc, { signal: early.signal, ...viaNodeHttp }));
  assert.equal(err.kind, "aborted");
  await assert.rejects(nodeHttpFetch(probe.url + "/token", { method: "POST", redirect: "manual", signal: early.signal }), { name: "AbortError" });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(probe.requests.length, count, "nothing was sent");

  for (const path of ["/hang", "/slow-body"]) {
    const during = new AbortController();
    setTimeout(() => during.abort(), 50);
    const start = performance.now();
    const e = await rejection(requestToken({ tokenEndpoint: faults.url + path }, cc, { signal: during.signal, timeoutMs: 5000, ...viaNodeHttp }));
    assert.equal(e.kind, "aborted", path);
    assert.ok(performance.now() - start < 1000, path);
  }
  // The fetch itself, as fetch does: before the headers, and while the body streams.
  const waiting = new AbortController();
  setTimeout(() => waiting.abort(), 50);
  await assert.rejects(nodeHttpFetch(faults.url + "/hang", { method: "POST", redirect: "manual", signal: waiting.signal }), { name: "AbortError" });
  const reading = new AbortController();
  const res = await nodeHttpFetch(faults.url + "/slow-body", { method: "POST", redirect: "manual", signal: reading.signal });
  const reader = res.body.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /access_token/);
  setTimeout(() => reading.abort(), 20);
  await assert.rejects(reader.read(), { name: "AbortError" });
});

test("a 50 MB body is cut at 256 KiB: the connection is closed and most of it is never sent", BOUNDED, async () => {
  for (const fetch of [nodeHttpFetch, undefined]) {
    probe.hugeBytes = 0;
    const unfinished = probe.unfinished;
    const start = performance.now();
    const err = await rejection(requestToken({ tokenEndpoint: probe.url + "/huge" }, cc, { fetch }));
    assert.equal(err.kind, "invalid_response");
    assert.match(err.message, /over 256 KiB/);
    await waitFor(() => probe.unfinished === unfinished + 1, "the server saw the connection close");
    const written = probe.hugeBytes;
    // Loopback socket buffers absorb a few MB before the server has to wait for the reader.
    assert.ok(written < 16 * 1024 * 1024, `${(written / 2 ** 20).toFixed(1)} MiB written with ${fetch ? "nodeHttpFetch" : "fetch"}`);
    assert.ok(performance.now() - start < 3000);
  }
});

test("keep-alive: 20 sequential requests use one connection; 32 started in one tick all succeed", BOUNDED, async () => {
  const client = { tokenEndpoint: probe.url + "/token" };
  const countConnections = async (options, n) => {
    const fetch = createNodeHttpFetch(options);
    const before = probe.connections;
    for (let i = 0; i < n; i++) assert.equal((await requestToken(client, cc, { fetch })).accessToken, "probe-token");
    return probe.connections - before;
  };
  assert.equal(await countConnections({}, 20), 1);
  assert.equal(await countConnections({ keepAlive: false }, 5), 5, "the count would show a new connection per request");

  // One idle socket in the pool, then many requests in the same tick (a crash in other
  // node:http clients).
  const before = probe.connections;
  await requestToken(client, cc, viaNodeHttp);
  const all = await Promise.all(Array.from({ length: 32 }, () => requestToken(client, cc, viaNodeHttp)));
  assert.equal(all.length, 32);
  assert.ok(probe.connections - before <= 32);
  const capped = createNodeHttpFetch({ maxSockets: 2 });
  const before2 = probe.connections;
  await Promise.all(Array.from({ length: 16 }, () => requestToken(client, cc, { fetch: capped })));
  assert.equal(probe.connections - before2, 2, "maxSockets caps the connections");
});

test("TokenManager with fetch: nodeHttpFetch logs in, refreshes, and manager.fetch still works", BOUNDED, async () => {
  const now = { t: Date.now() };
  const manager = new TokenManager({ client: provider(olx, { clientId: 123 }), fetch: nodeHttpFetch, now: () => now.t });
  const sentBefore = providers.requests.length;
  const login = await manager.login({ grantType: "password", username: olx.username, password: olx.password });
  now.t += 43200 * 1000;
  const renewed = await manager.getAccessToken();
  assert.notEqual(renewed, login.accessToken);
  const sent = providers.requests.slice(sentBefore);
  assert.deepEqual(sent.map((r) => r.headers["accept-encoding"]), ["identity", "identity"]);
  // manager.fetch sends API requests through the same fetch option; what nodeHttpFetch does
  // not handle itself (redirects to follow) goes on to Node's fetch.
  const api = await manager.fetch(probe.url + "/api");
  assert.equal(await api.text(), `Bearer ${renewed}`);
  const moved = await manager.fetch(probe.url + "/moved");
  assert.deepEqual([moved.status, moved.redirected, await moved.text()], [200, true, `Bearer ${renewed}`], "followed, as fetch does");
  const manual = await manager.fetch(probe.url + "/api", { redirect: "manual" });
  assert.equal(await manual.text(), `Bearer ${renewed}`);
  assert.equal(probe.requests.at(-1).headers["accept-encoding"], "identity");
  await manager.logout();
});

test("the fetch itself: headers in and out, gzip, 204, a status a Response cannot hold", BOUNDED, async () => {
  const init = { method: "POST", body: "x=1", redirect: "manual", credentials: "omit" };
  for (const headers of [{ "X-One": "1" }, new Headers({ "X-One": "1" }), [["X-One", "1"]]]) {
    const res = await nodeHttpFetch(probe.url + "/token", { ...init, headers });
    assert.ok(res instanceof Response);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(await res.json(), JSON.parse(TOKEN));
    assert.equal(probe.requests.at(-1).headers["x-one"], "1");
  }
  const gz = await nodeHttpFetch(probe.url + "/gzip", init);
  assert.equal(gz.headers.get("content-encoding"), "gzip");
  assert.equal(await gz.text(), TOKEN, "decoded, as fetch does");
  assert.equal((await requestToken({ tokenEndpoint: probe.url + "/gzip" }, cc, viaNodeHttp)).accessToken, "probe-token");
  const empty = await nodeHttpFetch(probe.url + "/no-content", init);
  assert.deepEqual([empty.status, empty.body], [204, null]);
  await assert.rejects(nodeHttpFetch(refused, init), (e) => e instanceof TypeError && e.cause.code === "ECONNREFUSED");
  const reset = await nodeHttpFetch(faults.url + "/reset", init);
  await assert.rejects(reset.text(), (e) => e instanceof TypeError && e.cause.code === "ECONNRESET");

  // A reader that pauses holds the server back (backpressure) instead of queueing 50 MB.
  probe.hugeBytes = 0;
  const huge = await nodeHttpFetch(probe.url + "/huge", init);
  const reader = huge.body.getReader();
  await reader.read();
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(probe.hugeBytes < 16 * 1024 * 1024, `${(probe.hugeBytes / 2 ** 20).toFixed(1)} MiB written to a paused reader`);
  await reader.cancel();

  const odd = createServer((req, res) => req.resume().on("end", () => res.writeHead(600).end("{}")));
  await new Promise((resolve) => odd.listen(0, "127.0.0.1", resolve));
  const oddUrl = `http://127.0.0.1:${odd.address().port}/token`;
  try {
    await assert.rejects(nodeHttpFetch(oddUrl, init), (e) => e instanceof TypeError && e.cause.code === "HPE_INVALID_STATUS");
    const err = await rejection(requestToken({ tokenEndpoint: oddUrl }, cc, viaNodeHttp));
    assert.equal(err.kind, "network");
    assert.match(err.message, /HPE_INVALID_STATUS/);
  } finally {
    odd.closeAllConnections();
    await new Promise((resolve) => odd.close(resolve));
  }
});

test("https: a self-signed server is refused like fetch refuses it, and accepted with its CA", BOUNDED, async (t) => {
  let dir;
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    dir = mkdtempSync(join(tmpdir(), "node-http-test-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
  } catch (e) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    return t.skip(`openssl could not make a self-signed certificate here: ${e.message}`);
  }
  const key = readFileSync(join(dir, "key.pem"));
  const cert = readFileSync(join(dir, "cert.pem"));
  rmSync(dir, { recursive: true, force: true }); // the key lives in memory only
  const secure = await startProbe(createHttpsServer, { key, cert });
  try {
    const client = { tokenEndpoint: secure.url + "/token" };
    const withFetch = await rejection(requestToken(client, cc));
    const withNodeHttp = await rejection(requestToken(client, cc, viaNodeHttp));
    assert.deepEqual(summary(withNodeHttp), summary(withFetch));
    assert.equal(withNodeHttp.kind, "network");
    assert.match(withNodeHttp.message, /SELF_SIGNED/);

    const trusting = createNodeHttpFetch({ agent: { https: new HttpsAgent({ ca: cert, keepAlive: true }) } });
    const before = secure.connections;
    for (let i = 0; i < 5; i++) assert.equal((await requestToken(client, cc, { fetch: trusting })).accessToken, "probe-token");
    assert.equal(secure.connections - before, 1, "one TLS connection for five requests");
  } finally {
    await secure.close();
  }
});

test("require() loads the same module, and a CommonJS script exits once its request is done", BOUNDED, async () => {
  const require = createRequire(import.meta.url);
  assert.equal(require("oauth2-wasm/node-http").nodeHttpFetch, nodeHttpFetch, "one instance, one pool");
  const script = `
    const { requestToken } = require("oauth2-wasm");
    const { nodeHttpFetch } = require("oauth2-wasm/node-http");
    requestToken({ tokenEndpoint: process.env.ENDPOINT }, { grantType: "client_credentials" }, { fetch: nodeHttpFetch })
      .then((t) => console.log(t.accessToken));`;
  const start = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
    cwd: fileURLToPath(new URL(".", import.meta.url)),
    env: { ...process.env, ENDPOINT: probe.url + "/token" },
    timeout: 10_000,
  });
  assert.equal(stdout.trim(), "probe-token");
  assert.ok(performance.now() - start < 5000, "the idle keep-alive socket does not hold the process open");
});

async function waitFor(condition, what) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), what);
}
