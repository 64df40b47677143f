// The authorization-code flow's pure helpers (issue 15, DESIGN §2b) through the packed
// package: PKCE against RFC 7636 and an independent SHA-256 (node:crypto), the
// authorization URL, the callback's checks, and the whole redirect flow against oidc-provider
// (a real, independent server: it refuses a wrong verifier, sends RFC 9207's iss).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  buildAuthorizationUrl,
  codeChallengeS256,
  generateCodeVerifier,
  generateState,
  parseAuthorizationResponse,
  requestToken,
  OAuthError,
  TokenManager,
} from "oauth2-wasm";
import { startServers } from "../support/servers.mjs";
import { browse, rejection } from "./helpers.mjs";

let servers;
before(async () => {
  servers = await startServers();
});
after(() => servers?.close());

const thrown = (fn) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("did not throw");
};

test("issue 15: codeChallengeS256 — RFC 7636 Appendix B, and random verifiers against node:crypto's SHA-256", () => {
  assert.equal(codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const verifier = generateCodeVerifier();
    assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
    seen.add(verifier);
    assert.equal(codeChallengeS256(verifier), createHash("sha256").update(verifier).digest("base64url"));
  }
  assert.equal(seen.size, 200, "no verifier repeats");
  // Longer verifiers, every unreserved character.
  for (const v of ["~._-".repeat(32), "A".repeat(43) + "z".repeat(85)]) {
    assert.equal(codeChallengeS256(v), createHash("sha256").update(v).digest("base64url"));
  }
  const state = generateState();
  assert.match(state, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(state, generateState());
  for (const bad of ["short", "x".repeat(129), "ä".repeat(43), 42]) {
    const e = thrown(() => codeChallengeS256(bad));
    assert.ok(e instanceof OAuthError);
    assert.equal(e.kind, "config");
    assert.equal(e.field, "codeVerifier");
  }
});

test("issue 15: buildAuthorizationUrl — every parameter once, the endpoint's query kept, bad input named", () => {
  const client = { tokenEndpoint: "https://as.example/token", authorizationEndpoint: "https://as.example/authorize?tenant=t1", clientId: "app" };
  const challenge = codeChallengeS256(generateCodeVerifier());
  const url = new URL(buildAuthorizationUrl(client, {
    redirectUri: "https://app.example/cb", scope: "openid email", state: "s1", codeChallenge: challenge, nonce: "n1",
    extraParams: { prompt: "consent" },
  }));
  assert.equal(url.origin + url.pathname, "https://as.example/authorize");
  assert.deepEqual([...url.searchParams], [
    ["tenant", "t1"], ["response_type", "code"], ["client_id", "app"], ["redirect_uri", "https://app.example/cb"],
    ["scope", "openid email"], ["state", "s1"], ["code_challenge", challenge], ["code_challenge_method", "S256"],
    ["nonce", "n1"], ["prompt", "consent"],
  ]);
  const base = { redirectUri: "https://app.example/cb", state: "s1", codeChallenge: challenge };
  for (const [c, o, field] of [
    [{ ...client, authorizationEndpoint: undefined }, base, "authorizationEndpoint"],
    [{ ...client, authorizationEndpoint: "http://as.example/authorize" }, base, "authorizationEndpoint"],
    [{ ...client, clientId: undefined }, base, "clientId"],
    [client, { ...base, redirectUri: undefined }, "redirectUri"],
    [client, { ...base, state: 7 }, "state"],
    [client, { ...base, codeChallenge: "not-a-challenge" }, "codeChallenge"],
    [client, { ...base, codeChallengeMethod: "plain" }, "codeChallengeMethod"],
    [client, { ...base, extraParams: { client_id: "other" } }, "extraParams"],
  ]) {
    const e = thrown(() => buildAuthorizationUrl(c, o));
    assert.equal(e.kind, "config", e.message);
    assert.equal(e.field, field, e.message);
  }
});

test("issue 15: parseAuthorizationResponse — the code, or the forged, stale and failed callbacks refused by name", () => {
  const checks = { state: "s1", issuer: "https://as.example", redirectUri: "https://app.example/cb" };
  const ok = parseAuthorizationResponse("https://app.example/cb?code=c%2B1&state=s1&iss=https%3A%2F%2Fas.example", checks);
  assert.deepEqual(ok, { code: "c+1", state: "s1", iss: "https://as.example" });
  assert.deepEqual(parseAuthorizationResponse(new URL("https://app.example/cb?state=s1&code=c2"), checks), { code: "c2", state: "s1" });
  const noIss = thrown(() => parseAuthorizationResponse("https://app.example/cb?state=s1&code=c2", { ...checks, requireIss: true }));
  assert.equal(noIss.kind, "invalid_response");
  assert.match(noIss.message, /no iss/);
  for (const [url, word] of [
    ["https://app.example/cb?code=c", "state"],
    ["https://app.example/cb?code=c&state=s2", "state"],
    ["https://app.example/cb?code=c&state=s1&iss=https%3A%2F%2Fevil.example", "iss"],
    ["https://app.example/cb?state=s1", "code"],
    ["https://app.example/elsewhere?code=c&state=s1", "redirect URI"],
  ]) {
    const e = thrown(() => parseAuthorizationResponse(url, checks));
    assert.equal(e.kind, "invalid_response", url);
    assert.ok(e.message.includes(word), `${url}: ${e.message}`);
  }
  const e = thrown(() => parseAuthorizationResponse("https://app.example/cb?error=access_denied&error_description=no+thanks&state=s1", checks));
  assert.equal(e.kind, "oauth");
  assert.equal(e.error, "access_denied");
  assert.equal(e.errorDescription, "no thanks");
  assert.equal(e.status, undefined);
});

test("issue 15: the whole authorization-code flow with PKCE against oidc-provider — iss checked, a wrong verifier refused, the session refreshed", async () => {
  const oidc = servers.urls.oidc;
  const client = { tokenEndpoint: oidc.tokenEndpoint, authorizationEndpoint: oidc.authorizationEndpoint, issuer: oidc.issuer, clientId: oidc.spaClientId };
  const redirectUri = "http://127.0.0.1:43127/callback";
  const start = () => {
    const verifier = generateCodeVerifier();
    const state = generateState();
    const url = buildAuthorizationUrl(client, {
      redirectUri, state, codeChallenge: codeChallengeS256(verifier), scope: "openid offline_access", extraParams: { prompt: "consent" },
    });
    return { verifier, state, url };
  };
  // A wrong verifier: the server checks our challenge and refuses.
  const first = start();
  const callback1 = parseAuthorizationResponse(await browse(first.url, redirectUri), { state: first.state, issuer: oidc.issuer, redirectUri });
  assert.equal(callback1.iss, oidc.issuer, "oidc-provider sends iss (RFC 9207)");
  const wrong = await rejection(requestToken(client, { grantType: "authorization_code", code: callback1.code, redirectUri, codeVerifier: generateCodeVerifier() }));
  assert.equal(wrong.kind, "oauth");
  assert.equal(wrong.error, "invalid_grant");
  // The right one: tokens, stored and refreshed by a manager.
  const second = start();
  const callbackUrl = await browse(second.url, redirectUri);
  const forged = thrown(() => parseAuthorizationResponse(callbackUrl, { state: first.state, issuer: oidc.issuer }));
  assert.equal(forged.kind, "invalid_response");
  const { code } = parseAuthorizationResponse(callbackUrl, { state: second.state, issuer: oidc.issuer, redirectUri });
  const manager = new TokenManager({ client, storage: "memory" });
  const tokens = await manager.login({ grantType: "authorization_code", code, redirectUri, codeVerifier: second.verifier });
  assert.ok(tokens.accessToken && tokens.refreshToken, "an access token and a refresh token (offline_access)");
  const refreshed = await manager.refresh();
  assert.notEqual(refreshed.refreshToken, tokens.refreshToken, "oidc-provider rotated the refresh token");
  // A code is good once.
  const again = await rejection(requestToken(client, { grantType: "authorization_code", code, redirectUri, codeVerifier: second.verifier }));
  assert.equal(again.error, "invalid_grant");
  manager.free();
});

test("issue 15: manager.authorize() and handleCallback() against oidc-provider — one transaction, used once, the session stored and shared", async () => {
  const oidc = servers.urls.oidc;
  const client = { tokenEndpoint: oidc.tokenEndpoint, authorizationEndpoint: oidc.authorizationEndpoint, issuer: oidc.issuer, clientId: oidc.spaClientId };
  const redirectUri = "http://127.0.0.1:43127/callback";
  // A tab's sessionStorage, to see what is kept where (Node has none: the manager then keeps
  // the transaction in memory).
  const tab = new Map();
  const local = new Map();
  globalThis.sessionStorage = { getItem: (k) => tab.get(k) ?? null, setItem: (k, v) => void tab.set(k, String(v)), removeItem: (k) => void tab.delete(k) };
  const shared = { get: (k) => local.get(k) ?? null, set: (k, v) => void local.set(k, v), remove: (k) => void local.delete(k) };
  try {
    const manager = new TokenManager({ client, storage: shared });
    const url = await manager.authorize({ redirectUri, scope: "openid offline_access", extraParams: { prompt: "consent" } });
    assert.equal(tab.size, 1, "the transaction is in sessionStorage");
    const [[key, text]] = tab;
    assert.ok(key.endsWith("#authorization"));
    const kept = JSON.parse(text);
    assert.deepEqual(Object.keys(kept).sort(), ["kind", "redirectUri", "startedAt", "state", "verifier"]);
    assert.equal(new URL(url).searchParams.get("code_challenge"), codeChallengeS256(kept.verifier));
    assert.ok(!url.includes(kept.verifier), "the verifier never leaves the tab");
    const callback = await browse(url, redirectUri);
    // Another manager for the same client (another page load) finishes it.
    const next = new TokenManager({ client, storage: shared });
    const tokens = await next.handleCallback(callback);
    assert.ok(tokens.accessToken && tokens.refreshToken);
    assert.equal(tab.size, 0, "taken out: used once");
    assert.equal(local.size, 1, "the session is stored like any other");
    assert.equal(await manager.getAccessToken(), tokens.accessToken, "and shared with the other manager");
    const replay = await rejection(next.handleCallback(callback));
    assert.equal(replay.kind, "invalid_response");
    assert.match(replay.message, /no authorization is under way/);
    // A forged callback for an authorization under way is refused, and the transaction is gone.
    await manager.authorize({ redirectUri });
    const forged = await rejection(manager.handleCallback(`${redirectUri}?code=x&state=forged`));
    assert.equal(forged.kind, "invalid_response");
    assert.match(forged.message, /state/);
    assert.equal(tab.size, 0);
    // Without sessionStorage the transaction lives in the manager.
    delete globalThis.sessionStorage;
    const memory = new TokenManager({ client, storage: "memory" });
    const again = await memory.handleCallback(await browse(await memory.authorize({ redirectUri, scope: "openid" }), redirectUri));
    assert.ok(again.accessToken);
    const bad = await rejection(memory.authorize({ redirectUri: "not a url" }));
    assert.equal(bad.field, "redirectUri");
    for (const m of [manager, next, memory]) m.free();
  } finally {
    delete globalThis.sessionStorage;
  }
});
