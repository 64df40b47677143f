// requestToken from the packed package in Node: the four providers, two independent OAuth
// servers from npm, and every transport fault, each against a real server on loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { requestToken, OAuthError } from "oauth2-wasm";
import { nodeHttpFetch } from "oauth2-wasm/node-http";
import { startServers } from "../support/servers.mjs";
import { PROVIDERS } from "../../www/token-server.mjs";
import { rejection } from "./helpers.mjs";

let servers;
let urls;
before(async () => {
  servers = await startServers();
  urls = servers.urls;
});
after(() => servers.close());

const { olx, socialid, autograb, teenquotes } = PROVIDERS;
const provider = (p, extra = {}) => ({ tokenEndpoint: urls.providers + p.path, clientSecret: p.clientSecret, ...extra });

test("OLX password grant, refresh with rotation, then the old refresh token is refused", async () => {
  const client = provider(olx, { clientId: 123 });
  const first = await requestToken(client, { grantType: "password", username: olx.username, password: olx.password });
  assert.equal(first.expiresIn, 43200);
  assert.equal(first.scope, "adverts-write read");
  const second = await requestToken(client, { grantType: "refresh_token", refreshToken: first.refreshToken });
  assert.notEqual(second.refreshToken, first.refreshToken);
  const err = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken: first.refreshToken }));
  assert.equal(err.kind, "oauth");
  assert.equal(err.error, "invalid_grant");
  assert.equal(err.humanTitle, "Niepoprawna wartość");
  assert.ok(!inspect(err).includes(first.refreshToken), "the refused refresh token is not in the error");
});

test("OLX partner grant with credentials in the body; a wrong partner secret gives the Polish title", async () => {
  const client = provider(olx, { clientId: 123, clientAuth: "body" });
  const grant = { grantType: "partner", partnerCode: olx.partnerCode, partnerSecret: olx.partnerSecret };
  const tokens = await requestToken(client, grant);
  assert.match(tokens.accessToken, /^[0-9a-f]{40}$/);
  const err = await rejection(requestToken(client, { ...grant, partnerSecret: "wrong-partner-secret" }));
  assert.deepEqual([err.status, err.error, err.errorDescription], [400, "invalid_grant", "Invalid partner credentials parameter"]);
  assert.ok(!JSON.stringify(err).includes("wrong-partner-secret"));
});

test("Social ID password grant by username and by email address; bad credentials and missing fields", async () => {
  const client = provider(socialid, { clientId: 138 });
  for (const who of [{ username: socialid.username }, { emailAddress: socialid.emailAddress }]) {
    const tokens = await requestToken(client, { grantType: "password", password: socialid.password, ...who });
    assert.equal(tokens.expiresIn, 604800);
    assert.ok(tokens.refreshToken);
  }
  const badClient = await rejection(
    requestToken({ ...client, clientSecret: "nope" }, { grantType: "password", username: "x", password: "y" }),
  );
  assert.deepEqual([badClient.status, badClient.error], [401, "invalid_client"]);
  assert.match(badClient.hint, /clientId/);
});

test("AutoGrab client_credentials over HTTP Basic", async () => {
  const tokens = await requestToken(provider(autograb, { clientId: autograb.clientId }), { grantType: "client_credentials" });
  assert.deepEqual([tokens.expiresIn, tokens.scope, tokens.refreshToken], [3599, "", undefined]);
});

test("Teen Quotes client_credentials in a JSON body, refresh, and invalid_refresh", async () => {
  const client = provider(teenquotes, { clientId: "42", clientAuth: "body", bodyEncoding: "json" });
  const first = await requestToken(client, { grantType: "client_credentials" });
  assert.equal(first.expiresIn, 604800);
  const second = await requestToken(client, { grantType: "refresh_token", refreshToken: first.refreshToken });
  assert.ok(second.accessToken && second.accessToken !== first.accessToken);
  const err = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken: first.refreshToken }));
  assert.deepEqual([err.status, err.error], [400, "invalid_refresh"]);
});

test("oidc-provider: client_credentials with Basic and with body authentication", async () => {
  const { tokenEndpoint, clientId, clientSecret } = urls.oidc;
  for (const clientAuth of ["basic", "body"]) {
    const tokens = await requestToken(
      { tokenEndpoint, clientId, clientSecret, clientAuth },
      { grantType: "client_credentials" },
    );
    assert.equal(tokens.tokenType, "Bearer");
    assert.equal(tokens.expiresIn, 600);
    assert.deepEqual(tokens.quirks, []);
  }
  const err = await rejection(
    requestToken({ tokenEndpoint, clientId, clientSecret: "wrong" }, { grantType: "client_credentials" }),
  );
  assert.deepEqual([err.kind, err.status, err.error], ["oauth", 401, "invalid_client"]);
});

test("oidc-provider: refresh_token rotates, and the rotated-out token is invalid_grant", async () => {
  const { tokenEndpoint, clientId, clientSecret } = urls.oidc;
  const client = { tokenEndpoint, clientId, clientSecret };
  const minted = await servers.oidc.mintRefreshToken();
  const refreshed = await requestToken(client, { grantType: "refresh_token", refreshToken: minted });
  assert.ok(refreshed.refreshToken && refreshed.refreshToken !== minted, "a rotated refresh token");
  assert.equal(refreshed.scope, "offline_access");
  const again = await requestToken(client, { grantType: "refresh_token", refreshToken: refreshed.refreshToken });
  assert.ok(again.accessToken);
  const err = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken: minted }));
  assert.deepEqual([err.kind, err.error], ["oauth", "invalid_grant"]);
});

test("oauth2-mock-server: password grant", async () => {
  const tokens = await requestToken(
    { tokenEndpoint: urls.mock.tokenEndpoint, clientId: "mock-client", clientSecret: "mock-secret" },
    { grantType: "password", username: "alice", password: "wonderland", scope: ["read", "write"] },
  );
  assert.equal(tokens.tokenType, "Bearer");
  assert.equal(tokens.expiresIn, 3600);
  assert.equal(tokens.accessToken.split(".").length, 3, "a JWT");
  assert.ok(tokens.refreshToken);
});

const fault = (path, extra = {}) => ({ tokenEndpoint: urls.faults + path, ...extra });
const cc = { grantType: "client_credentials" };

test("connection refused is a network error that says so", async () => {
  const err = await rejection(requestToken({ tokenEndpoint: urls.refused }, cc));
  assert.equal(err.kind, "network");
  assert.match(err.message, /ECONNREFUSED/);
  assert.match(err.hint, /nothing accepts connections/);
});

test("connection reset mid-body is a network error, and the partial token is not shown", async () => {
  const err = await rejection(requestToken(fault("/reset"), cc));
  assert.equal(err.kind, "network");
  assert.match(err.message, /while reading the response/);
  assert.ok(!inspect(err).includes("reset-token-secret"));
});

test("a server that never answers times out within its bound (per client and per call)", async () => {
  for (const [client, options, limit] of [[fault("/hang", { timeoutMs: 300 }), {}, 300], [fault("/hang"), { timeoutMs: 200 }, 200]]) {
    const start = performance.now();
    const err = await rejection(requestToken(client, cc, options));
    const took = performance.now() - start;
    assert.equal(err.kind, "timeout");
    assert.match(err.message, new RegExp(`within ${limit} ms`));
    assert.ok(took >= limit - 5 && took < limit + 1000, `took ${took} ms`);
  }
});

test("a time limit beyond setTimeout's range (2^31−1 ms) waits instead of firing at once", async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w.name);
  process.on("warning", onWarning);
  try {
    const client = fault("/late", { timeoutMs: 3_000_000_000 });
    for (const options of [{}, { timeoutMs: 4_294_967_295 }, { timeoutMs: 4_294_967_295, fetch: nodeHttpFetch }]) {
      const tokens = await requestToken(client, cc, options);
      assert.equal(tokens.accessToken, "late-token");
    }
  } finally {
    process.off("warning", onWarning);
  }
  assert.deepEqual(warnings, [], "no TimeoutOverflowWarning");
});

test("a timeout also covers a body that stops halfway", async () => {
  const err = await rejection(requestToken(fault("/slow-body"), cc, { timeoutMs: 250 }));
  assert.equal(err.kind, "timeout");
});

test("abort before the request sends nothing; abort during the request and during the body", async () => {
  const before = new AbortController();
  before.abort();
  const count = servers.providers.requests.length;
  const early = await rejection(requestToken(provider(autograb, { clientId: autograb.clientId }), cc, { signal: before.signal }));
  assert.equal(early.kind, "aborted");
  assert.equal(servers.providers.requests.length, count, "nothing was sent");
  for (const path of ["/hang", "/slow-body"]) {
    const during = new AbortController();
    setTimeout(() => during.abort(), 50);
    const err = await rejection(requestToken(fault(path), cc, { signal: during.signal, timeoutMs: 5000 }));
    assert.equal(err.kind, "aborted", path);
  }
});

test("502 HTML, 500 empty, 429 with Retry-After are http errors", async () => {
  const html = await rejection(requestToken(fault("/html502"), cc));
  assert.deepEqual([html.kind, html.status, html.contentType], ["http", 502, "text/html"]);
  assert.match(html.hint, /HTML/);
  const empty = await rejection(requestToken(fault("/empty500"), cc));
  assert.deepEqual([empty.kind, empty.status], ["http", 500]);
  assert.match(empty.message, /empty body/);
  const limited = await rejection(requestToken(fault("/ratelimit"), cc));
  assert.deepEqual([limited.kind, limited.status, limited.retryAfter], ["http", 429, 30]);
});

test("a 50 MB body is refused at the bound without reading it all", async () => {
  for (const path of ["/huge", "/huge-length"]) {
    const heap = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    const err = await rejection(requestToken(fault(path), cc));
    assert.equal(err.kind, "invalid_response", path);
    assert.match(err.message, /over 256 KiB/);
    assert.ok(performance.now() - start < 5000, "stopped early");
    assert.ok(process.memoryUsage().arrayBuffers - heap < 20 * 1024 * 1024, "did not buffer 50 MB");
  }
});

test("a redirect is not followed, so credentials never reach another origin", async () => {
  const client = fault("/redirect", { clientId: "c", clientSecret: "redirect-secret" });
  const err = await rejection(requestToken(client, cc));
  assert.deepEqual([err.kind, err.status], ["http", 307]);
  assert.match(err.hint, /redirected-here/);
  assert.ok(!servers.providers.requests.some((r) => r.url === "/redirected-here"), "the target saw nothing");
});

test("a token endpoint without CORS headers works in Node (CORS is a browser rule)", async () => {
  const tokens = await requestToken(fault("/nocors"), cc);
  assert.equal(tokens.accessToken, "nocors-token");
});

test("an injected fetch is used, with the built request as it is", async () => {
  const calls = [];
  const spy = (url, init) => {
    calls.push({ url, init });
    return fetch(url, init);
  };
  const client = provider(autograb, { clientId: autograb.clientId });
  const tokens = await requestToken(client, cc, { fetch: spy });
  assert.equal(tokens.expiresIn, 3599);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, client.tokenEndpoint);
  assert.deepEqual(
    [calls[0].init.method, calls[0].init.redirect, calls[0].init.body],
    ["POST", "manual", "grant_type=client_credentials"],
  );
  assert.ok(calls[0].init.signal instanceof AbortSignal);
});

test("the client is read again whenever it changes, even the same object between two calls; options whose getters throw", async () => {
  const seen = [];
  const spy = (url, init) => {
    seen.push([url, init.headers.Authorization ?? init.headers.authorization, init.body]);
    return fetch(url, init);
  };
  const client = provider(autograb, { clientId: autograb.clientId });
  await requestToken(client, cc, { fetch: spy });
  client.clientSecret = "changed-secret";
  const refused = await rejection(requestToken(client, cc, { fetch: spy }));
  assert.equal(refused.error, "invalid_client");
  client.clientSecret = autograb.clientSecret;
  client.tokenEndpoint = urls.providers.replace("127.0.0.1", "example.com") + autograb.path;
  const moved = await rejection(requestToken(client, cc, { fetch: spy }));
  assert.deepEqual([moved.kind, moved.field], ["config", "tokenEndpoint"], "a changed endpoint is checked again");
  client.tokenEndpoint = urls.providers + autograb.path;
  assert.equal((await requestToken(client, cc, { fetch: spy })).expiresIn, 3599);
  const basic = (secret) => "Basic " + Buffer.from(`${encodeURIComponent(autograb.clientId)}:${encodeURIComponent(secret)}`).toString("base64");
  assert.deepEqual(
    seen.map(([, auth]) => auth),
    [basic(autograb.clientSecret), basic("changed-secret"), basic(autograb.clientSecret)],
  );
  // A getter that throws reads as a missing option (the global fetch, the default limit).
  const hostile = Object.defineProperty({}, "fetch", { get: () => { throw new Error("getter"); } });
  assert.equal((await requestToken(client, cc, hostile)).expiresIn, 3599);
  const cyclic = { ...client };
  cyclic.self = cyclic;
  const bad = await rejection(requestToken(cyclic, cc));
  assert.deepEqual([bad.kind, bad.field], ["config", "client"]);
});

test("a broken injected fetch is an OAuthError, never a crash", async () => {
  const throws = () => {
    throw new TypeError("boom");
  };
  const notAResponse = async () => ({ hello: "world" });
  const rejects = async () => {
    throw Object.assign(new Error("nope"), { code: "ENOTFOUND" });
  };
  const fromThrow = await rejection(requestToken({ tokenEndpoint: "https://as.example/token" }, cc, { fetch: throws }));
  assert.equal(fromThrow.kind, "network");
  const fromObject = await rejection(requestToken({ tokenEndpoint: "https://as.example/token" }, cc, { fetch: notAResponse }));
  assert.equal(fromObject.kind, "network");
  const fromDns = await rejection(requestToken({ tokenEndpoint: "https://as.example/token" }, cc, { fetch: rejects }));
  assert.match(fromDns.hint, /does not resolve/);
  const badOption = await rejection(requestToken({ tokenEndpoint: "https://as.example/token" }, cc, { fetch: "yes" }));
  assert.deepEqual([badOption.kind, badOption.field], ["config", "fetch"]);
});

test("an injected fetch that ignores the signal still times out", async () => {
  const never = () => new Promise(() => {});
  const start = performance.now();
  const err = await rejection(requestToken({ tokenEndpoint: "https://as.example/token" }, cc, { fetch: never, timeoutMs: 200 }));
  assert.equal(err.kind, "timeout");
  assert.ok(performance.now() - start < 1500);
  const stuckBody = async () => ({ status: 200, headers: new Headers(), body: null, text: () => new Promise(() => {}) });
  const late = await rejection(requestToken({ tokenEndpoint: "https://as.example/token" }, cc, { fetch: stuckBody, timeoutMs: 200 }));
  assert.equal(late.kind, "timeout");
});

test("bad configuration rejects before any request", async () => {
  const count = servers.providers.requests.length;
  const err = await rejection(requestToken({ tokenEndpoint: urls.providers.replace("127.0.0.1", "example.com") }, cc));
  assert.deepEqual([err.kind, err.field], ["config", "tokenEndpoint"]);
  assert.equal(servers.providers.requests.length, count);
});
