// Tokens a thief cannot use (issue 17, DESIGN §2e) through the packed package: DPoP proofs
// (RFC 9449) and JWT client authentication (RFC 7523), each signed JWT checked field by
// field by an independent JOSE library (jose), and the whole exchanges against
// oidc-provider (an independent server) with DPoP nonces required, private_key_jwt and
// client_secret_jwt clients.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import * as jose from "jose";
import {
  buildAuthorizationUrl,
  buildTokenRequest,
  codeChallengeS256,
  generateCodeVerifier,
  generateDPoPKey,
  generateState,
  introspectToken,
  parseAuthorizationResponse,
  requestToken,
  revokeToken,
  OAuthError,
  TokenManager,
} from "oauth2-wasm";
import { startServers } from "../support/servers.mjs";
import { browse, rejection } from "./helpers.mjs";
import { startResource } from "../support/dpop-resource.mjs";

let servers;
before(async () => {
  servers = await startServers();
});
after(() => servers?.close());

/** A fetch that records what is sent (method, URL, headers, body) before sending it. */
function recording() {
  const sent = [];
  const fetch = (url, init) => {
    sent.push({ url, method: init.method, headers: new Headers(init.headers), body: init.body });
    return globalThis.fetch(url, init);
  };
  return { sent, fetch };
}

const form = (body) => Object.fromEntries(new URLSearchParams(body));

/** Verifies a DPoP proof with jose against the key in its own header, field by field. */
async function checkProof(proof, { htm, htu, publicJwk, nonce, accessToken }) {
  const header = jose.decodeProtectedHeader(proof);
  assert.deepEqual(header.jwk, publicJwk, "the public key, and nothing else");
  const { payload, protectedHeader } = await jose.jwtVerify(proof, await jose.importJWK(header.jwk, "ES256"), {
    typ: "dpop+jwt",
    algorithms: ["ES256"],
  });
  assert.equal(protectedHeader.alg, "ES256");
  assert.equal(payload.htm, htm);
  assert.equal(payload.htu, htu);
  assert.match(payload.jti, /^[A-Za-z0-9_-]{22}$/);
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 5, "iat is now");
  assert.equal(payload.nonce, nonce);
  if (accessToken) {
    assert.equal(payload.ath, Buffer.from(await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken))).toString("base64url"));
  } else {
    assert.equal(payload.ath, undefined);
  }
  const keys = Object.keys(payload).sort();
  assert.deepEqual(keys, ["htm", "htu", "iat", "jti", ...(accessToken ? ["ath"] : []), ...(nonce ? ["nonce"] : [])].sort());
  return payload;
}

/** Verifies a client assertion with jose, field by field. */
async function checkAssertion(assertion, key, { clientId, audience, alg, kid }) {
  const { payload, protectedHeader } = await jose.jwtVerify(assertion, key, {
    issuer: clientId,
    subject: clientId,
    audience,
    algorithms: [alg],
  });
  assert.deepEqual(protectedHeader, kid ? { alg, kid } : { alg });
  assert.equal(payload.exp - payload.iat, 60, "exp within 60 s");
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 5);
  assert.match(payload.jti, /^[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(Object.keys(payload).sort(), ["aud", "exp", "iat", "iss", "jti", "sub"]);
  return payload;
}

test("issue 17: private_key_jwt against oidc-provider — RSA (RS256, PS256), P-256 and Ed25519 keys, as JWKs and as CryptoKeys; each assertion verified by jose", async () => {
  const oidc = servers.urls.oidc;
  const { clientId, keys } = oidc.jwtClient;
  const jtis = new Set();
  const cases = [
    ["rsa", "RS256", {}],
    ["rsa", "PS256", { signingAlg: "PS256" }],
    ["ec", "ES256", {}],
    ["ed", "EdDSA", {}],
  ];
  for (const [name, alg, extra] of cases) {
    for (const asCryptoKey of [false, true]) {
      const jwk = keys[name].private;
      const privateKey = asCryptoKey ? await jose.importJWK(jwk, alg) : jwk;
      if (asCryptoKey) assert.equal(privateKey.extractable, false);
      const { sent, fetch } = recording();
      const client = { tokenEndpoint: oidc.tokenEndpoint, clientId, clientAuth: "private_key_jwt", privateKey, keyId: jwk.kid, ...extra };
      const tokens = await requestToken(client, { grantType: "client_credentials" }, { fetch });
      assert.ok(tokens.accessToken, `${name} ${alg} ${asCryptoKey ? "CryptoKey" : "JWK"}`);
      assert.equal(sent.length, 1);
      const body = form(sent[0].body);
      assert.equal(body.client_id, clientId);
      assert.equal(body.client_assertion_type, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      assert.equal(sent[0].headers.get("authorization"), null);
      const payload = await checkAssertion(body.client_assertion, await jose.importJWK(keys[name].public, alg), {
        clientId, audience: oidc.tokenEndpoint, alg, kid: jwk.kid,
      });
      assert.ok(!jtis.has(payload.jti), "a unique jti");
      jtis.add(payload.jti);
    }
  }
  // Revocation and introspection sign their own assertion, for their endpoint.
  const client = { ...oidc, tokenEndpoint: oidc.tokenEndpoint, clientId, clientSecret: undefined, clientAuth: "private_key_jwt", privateKey: keys.ec.private, keyId: "ec", assertionAudience: oidc.issuer };
  const { accessToken } = await requestToken(client, { grantType: "client_credentials" });
  const { sent, fetch } = recording();
  assert.equal((await introspectToken(client, accessToken, { fetch })).active, true);
  await revokeToken(client, accessToken, { fetch });
  assert.equal((await introspectToken(client, accessToken)).active, false, "revoked");
  await checkAssertion(form(sent[0].body).client_assertion, await jose.importJWK(keys.ec.public, "ES256"), {
    clientId, audience: oidc.issuer, alg: "ES256", kid: "ec",
  });
  // A key the server does not know: its own refusal, with a hint about the key.
  const stranger = await jose.exportJWK((await jose.generateKeyPair("ES256", { extractable: true })).privateKey);
  const refused = await rejection(requestToken({ ...client, privateKey: stranger }, { grantType: "client_credentials" }));
  assert.equal(refused.error, "invalid_client");
  assert.match(refused.hint, /keyId/);
  assert.ok(!JSON.stringify(refused).includes(stranger.d), "no key material in the error");
});

test("issue 17: client_secret_jwt against oidc-provider — HS256 verified by jose, the secret never sent", async () => {
  const oidc = servers.urls.oidc;
  const { clientId, clientSecret } = oidc.hsClient;
  const { sent, fetch } = recording();
  const client = { tokenEndpoint: oidc.tokenEndpoint, clientId, clientSecret, clientAuth: "client_secret_jwt" };
  const tokens = await requestToken(client, { grantType: "client_credentials" }, { fetch });
  assert.ok(tokens.accessToken);
  const body = form(sent[0].body);
  await checkAssertion(body.client_assertion, new TextEncoder().encode(clientSecret), { clientId, audience: oidc.tokenEndpoint, alg: "HS256" });
  assert.ok(!sent[0].body.includes(clientSecret) && sent[0].headers.get("authorization") === null, "the secret is never sent");
  const wrong = await rejection(requestToken({ ...client, clientSecret: "0".repeat(64) }, { grantType: "client_credentials" }));
  assert.equal(wrong.error, "invalid_client");
  assert.ok(!JSON.stringify(wrong).includes(clientSecret));
});

test("issue 17: DPoP against oidc-provider — the nonce asked for and retried once, kept per server; the token bound to the key (cnf.jkt); revocation and introspection with proofs", async () => {
  const oidc = servers.urls.oidc;
  const key = await generateDPoPKey();
  assert.equal(key.privateKey.extractable, false, "the private key cannot be exported");
  await assert.rejects(webcrypto.subtle.exportKey("jwk", key.privateKey));
  assert.deepEqual(Object.keys(key.publicJwk).sort(), ["crv", "kty", "x", "y"]);
  const client = { tokenEndpoint: oidc.tokenEndpoint, introspectionEndpoint: oidc.introspectionEndpoint, revocationEndpoint: oidc.revocationEndpoint, clientId: oidc.clientId, clientSecret: oidc.clientSecret };
  const { sent, fetch } = recording();
  const tokens = await requestToken(client, { grantType: "client_credentials" }, { fetch, dpop: key });
  assert.equal(tokens.tokenType, "DPoP");
  assert.equal(sent.length, 2, "use_dpop_nonce, then once more with the nonce");
  await checkProof(sent[0].headers.get("dpop"), { htm: "POST", htu: oidc.tokenEndpoint, publicJwk: key.publicJwk });
  const second = await checkProof(sent[1].headers.get("dpop"), { htm: "POST", htu: oidc.tokenEndpoint, publicJwk: key.publicJwk, nonce: jose.decodeJwt(sent[1].headers.get("dpop")).nonce });
  assert.ok(second.nonce, "the server's nonce");
  // The next request carries the kept nonce at once.
  const again = await requestToken(client, { grantType: "client_credentials" }, { fetch, dpop: key });
  assert.equal(sent.length, 3, "no second round trip");
  assert.ok(jose.decodeJwt(sent[2].headers.get("dpop")).nonce);
  // Bound to the key: introspection (with a proof for its own URL) shows its thumbprint.
  const about = await introspectToken(client, again.accessToken, { fetch, dpop: key });
  assert.equal(about.active, true);
  assert.equal(about.raw?.cnf?.jkt ?? about.cnf?.jkt, await jose.calculateJwkThumbprint(key.publicJwk));
  await checkProof(sent.at(-1).headers.get("dpop"), { htm: "POST", htu: oidc.introspectionEndpoint, publicJwk: key.publicJwk, nonce: jose.decodeJwt(sent.at(-1).headers.get("dpop")).nonce });
  await revokeToken(client, again.accessToken, { dpop: key });
  assert.equal((await introspectToken(client, again.accessToken)).active, false);
  // Two keys, two proofs: a CryptoKeyPair the app made itself works too.
  const own = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const other = await requestToken(client, { grantType: "client_credentials" }, { dpop: own });
  const jkt = (await introspectToken(client, other.accessToken)).raw?.cnf?.jkt;
  assert.equal(jkt, await jose.calculateJwkThumbprint(await jose.exportJWK(own.publicKey)));
});

test("issue 17: the authorization-code flow with DPoP against oidc-provider — the refresh token bound to the key: refreshed and rotated with it, refused with another", async () => {
  const oidc = servers.urls.oidc;
  const client = { tokenEndpoint: oidc.tokenEndpoint, authorizationEndpoint: oidc.authorizationEndpoint, issuer: oidc.issuer, clientId: oidc.spaClientId };
  const redirectUri = "http://127.0.0.1:43127/callback";
  const verifier = generateCodeVerifier();
  const state = generateState();
  const url = buildAuthorizationUrl(client, { redirectUri, state, codeChallenge: codeChallengeS256(verifier), scope: "openid offline_access", extraParams: { prompt: "consent" } });
  const { code } = parseAuthorizationResponse(await browse(url, redirectUri), { state, issuer: oidc.issuer, redirectUri });
  const key = await generateDPoPKey();
  const tokens = await requestToken(client, { grantType: "authorization_code", code, redirectUri, codeVerifier: verifier }, { dpop: key });
  assert.equal(tokens.tokenType, "DPoP");
  assert.ok(tokens.refreshToken);
  const stranger = await generateDPoPKey();
  const stolen = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken: tokens.refreshToken }, { dpop: stranger }));
  assert.equal(stolen.kind, "oauth", "a refresh token used with another key is refused");
  const bare = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken: tokens.refreshToken }));
  assert.equal(bare.kind, "oauth", "and without a proof");
  const refreshed = await requestToken(client, { grantType: "refresh_token", refreshToken: tokens.refreshToken }, { dpop: key });
  assert.equal(refreshed.tokenType, "DPoP");
  assert.notEqual(refreshed.refreshToken, tokens.refreshToken, "rotated");
});

test("issue 17: bad keys and options are named; no key material crosses into errors; buildTokenRequest takes a ready assertion and proof", async () => {
  const oidc = servers.urls.oidc;
  const base = { tokenEndpoint: oidc.tokenEndpoint, clientId: "app", clientAuth: "private_key_jwt" };
  const grant = { grantType: "client_credentials" };
  const rsa = await jose.generateKeyPair("RS256", { extractable: true });
  const p384 = await jose.exportJWK((await jose.generateKeyPair("ES384", { extractable: true })).privateKey);
  const cases = [
    [{ ...base }, "privateKey"],
    [{ ...base, privateKey: await jose.exportJWK(rsa.publicKey) }, "privateKey"],
    [{ ...base, privateKey: rsa.publicKey }, "privateKey"],
    [{ ...base, privateKey: p384 }, "privateKey"],
    [{ ...base, privateKey: await jose.exportJWK(rsa.privateKey), signingAlg: "ES256" }, "signingAlg"],
    [{ ...base, privateKey: await jose.exportJWK(rsa.privateKey), clientId: undefined }, "clientId"],
    [{ ...base, clientAuth: "client_secret_jwt" }, "clientSecret"],
  ];
  for (const [client, field] of cases) {
    const e = await rejection(requestToken(client, grant));
    assert.equal(e.kind, "config", JSON.stringify(client.privateKey ?? {}).slice(0, 40));
    assert.equal(e.field, field);
    assert.ok(!JSON.stringify(e).includes(p384.d) && !e.message.includes(p384.d));
  }
  const badDpop = await rejection(requestToken({ tokenEndpoint: oidc.tokenEndpoint, clientId: "app" }, grant, { dpop: { privateKey: rsa.privateKey, publicJwk: await jose.exportJWK(rsa.publicKey) } }));
  assert.equal(badDpop.field, "dpop");
  // A JWK WebCrypto cannot import: the platform's reason, about privateKey.
  const broken = await rejection(requestToken({ ...base, privateKey: { ...p384, crv: "P-256" } }, grant));
  assert.equal(broken.field, "privateKey");
  assert.match(broken.message, /could not sign/);
  // Synchronous building: a ready assertion and proof are sent as they are.
  const r = buildTokenRequest(base, grant, { clientAssertion: "h.c.s", dpopProof: "p.r.f" });
  assert.equal(form(r.body).client_assertion, "h.c.s");
  assert.equal(r.headers.DPoP, "p.r.f");
  assert.throws(() => buildTokenRequest(base, grant), (e) => e instanceof OAuthError && e.field === "clientAssertion");
  // A manager on a store shared by processes must have the key kept by the store.
  const shared = { get: () => null, set() {}, remove() {} };
  assert.throws(() => new TokenManager({ client: { tokenEndpoint: oidc.tokenEndpoint }, storage: shared, dpop: true }), (e) => e.field === "dpop");
  assert.throws(() => new TokenManager({ client: { tokenEndpoint: oidc.tokenEndpoint }, dpop: "yes" }), (e) => e.field === "dpop");
  // A ready assertion would be sent again with every refresh: a manager wants the key instead.
  assert.throws(() => new TokenManager({ client: { ...base, clientAssertion: "h.c.s" }, storage: "memory", grant }), (e) => e.field === "clientAssertion");
  // An adapter that keeps the DPoP key but never answers: bounded, named.
  const hanging = { get: () => null, set() {}, remove() {}, dpopKey: () => new Promise(() => {}) };
  const confidential = { tokenEndpoint: oidc.tokenEndpoint, clientId: oidc.clientId, clientSecret: oidc.clientSecret, timeoutMs: 300 };
  const stuck = new TokenManager({ client: confidential, grant, storage: hanging, dpop: true });
  const late = await rejection(stuck.getAccessToken());
  assert.equal(late.field, "dpop", late.message);
  stuck.free();
  // A manager's bad key is named at the first request, and its material never shown.
  const manager = new TokenManager({ client: { ...base, privateKey: p384 }, storage: "memory", grant });
  const e = await rejection(manager.getAccessToken());
  assert.equal(e.field, "privateKey");
  assert.ok(!JSON.stringify(e).includes(p384.d));
  manager.free();
});

test("issue 17: TokenManager({ dpop: true }) — tokens bound to its key, manager.fetch with proofs (ath, the resource's nonce), a refresh with the same key, logout forgets the key", async () => {
  const oidc = servers.urls.oidc;
  const client = { tokenEndpoint: oidc.tokenEndpoint, introspectionEndpoint: oidc.introspectionEndpoint, revocationEndpoint: oidc.revocationEndpoint, clientId: oidc.clientId, clientSecret: oidc.clientSecret };
  const resource = await startResource({ ...client }, introspectToken);
  try {
    const manager = new TokenManager({ client, grant: { grantType: "client_credentials" }, storage: "memory", dpop: true });
    const token = await manager.getAccessToken();
    assert.equal(manager.getTokens().tokenType, "DPoP");
    const first = await manager.fetch(`${resource.url}/api/items?page=1`);
    assert.equal(first.status, 200, JSON.stringify(resource.seen));
    assert.deepEqual(resource.seen.map((s) => s.denied), ["use_dpop_nonce", undefined], "the nonce asked for, then accepted");
    const jkt = resource.seen[1].jkt;
    const second = await manager.fetch(`${resource.url}/api/items`, { method: "post", body: "x" });
    assert.equal(second.status, 200, JSON.stringify(resource.seen.at(-1)));
    assert.equal(resource.seen.length, 3, "the nonce was kept: one request");
    assert.equal(jose.decodeJwt(resource.seen[2].proof).htm, "POST");
    // A refresh (the grant again, for this client) is bound to the same key.
    const renewed = (await manager.refresh()).accessToken;
    assert.notEqual(renewed, token);
    assert.equal((await manager.fetch(`${resource.url}/api`)).status, 200);
    assert.equal(resource.seen.at(-1).jkt, jkt);
    // Logout forgets the key: the next session is bound to another.
    await manager.logout();
    await manager.getAccessToken();
    assert.equal((await manager.fetch(`${resource.url}/api`)).status, 200);
    assert.notEqual(resource.seen.at(-1).jkt, jkt, "a new key after logout");
    // Logout and revoke: the revocation carries a proof too, and the token is dead after.
    const last = await manager.getAccessToken();
    const { sent, fetch } = recording();
    const revoking = new TokenManager({ client, grant: { grantType: "client_credentials" }, storage: "memory", dpop: true, fetch });
    const bound = await revoking.getAccessToken();
    await revoking.logout({ revoke: true });
    const revocation = sent.filter((s) => s.url === oidc.revocationEndpoint);
    assert.ok(revocation.length >= 1 && revocation.every((s) => s.headers.get("dpop")), "the revocation was sent with a proof");
    assert.equal((await introspectToken(client, bound)).active, false, "revoked");
    assert.equal((await introspectToken(client, last)).active, true, "another manager's session is untouched");
    revoking.free();
    manager.free();
  } finally {
    await resource.close();
  }
});

test("issue 17: TokenManager with private_key_jwt signs a fresh assertion for each token request; with a store shared by processes the adapter keeps the DPoP key", async () => {
  const oidc = servers.urls.oidc;
  const { clientId, keys } = oidc.jwtClient;
  const { sent, fetch } = recording();
  const client = { tokenEndpoint: oidc.tokenEndpoint, clientId, clientAuth: "private_key_jwt", privateKey: keys.ed.private, keyId: "ed" };
  const manager = new TokenManager({ client, grant: { grantType: "client_credentials" }, storage: "memory", fetch });
  await manager.getAccessToken();
  await manager.refresh();
  assert.equal(sent.length, 2);
  const jtis = new Set();
  for (const s of sent) {
    const payload = await checkAssertion(form(s.body).client_assertion, await jose.importJWK(keys.ed.public, "EdDSA"), {
      clientId, audience: oidc.tokenEndpoint, alg: "EdDSA", kid: "ed",
    });
    jtis.add(payload.jti);
  }
  assert.equal(jtis.size, 2);
  manager.free();

  // Two managers (two processes' worth) on one store: the adapter's dpopKey gives both the key.
  const pair = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const map = new Map();
  const adapter = {
    get: (k) => map.get(k) ?? null,
    set: (k, v) => void map.set(k, v),
    remove: (k) => void map.delete(k),
    dpopKey: async () => pair,
  };
  const confidential = { tokenEndpoint: oidc.tokenEndpoint, introspectionEndpoint: oidc.introspectionEndpoint, clientId: oidc.clientId, clientSecret: oidc.clientSecret };
  const a = new TokenManager({ client: confidential, grant: { grantType: "client_credentials" }, storage: adapter, dpop: true });
  const b = new TokenManager({ client: confidential, grant: { grantType: "client_credentials" }, storage: adapter, dpop: true });
  const token = await a.getAccessToken();
  assert.equal(await b.getAccessToken(), token, "the second shares the session");
  const jkt = (await introspectToken(confidential, token)).raw.cnf.jkt;
  assert.equal(jkt, await jose.calculateJwkThumbprint(await jose.exportJWK(pair.publicKey)));
  a.free();
  b.free();
});

test("issue 17: the authorization-code flow with a DPoP manager — handleCallback binds the session to the manager's key, refresh rotates with it", async () => {
  const oidc = servers.urls.oidc;
  const client = { tokenEndpoint: oidc.tokenEndpoint, authorizationEndpoint: oidc.authorizationEndpoint, issuer: oidc.issuer, clientId: oidc.spaClientId };
  const redirectUri = "http://127.0.0.1:43127/callback";
  const { sent, fetch } = recording();
  const manager = new TokenManager({ client, storage: "memory", dpop: true, fetch });
  const url = await manager.authorize({ redirectUri, scope: "openid offline_access", extraParams: { prompt: "consent" } });
  const jkt = new URL(url).searchParams.get("dpop_jkt");
  assert.match(jkt ?? "", /^[A-Za-z0-9_-]{43}$/, "the code is bound to the manager's key (RFC 9449 §10)");
  const tokens = await manager.handleCallback(await browse(url, redirectUri));
  assert.equal(tokens.tokenType, "DPoP");
  const refreshed = await manager.refresh();
  assert.notEqual(refreshed.refreshToken, tokens.refreshToken, "rotated");
  const keys = new Set(sent.map((s) => JSON.stringify(jose.decodeProtectedHeader(s.headers.get("dpop")).jwk)));
  assert.equal(keys.size, 1, "one key for the login and the refresh");
  assert.equal(await jose.calculateJwkThumbprint(JSON.parse([...keys][0])), jkt, "the key dpop_jkt named");
  // The refresh token is bound: with another key it is refused.
  const stolen = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken: refreshed.refreshToken }, { dpop: await generateDPoPKey() }));
  assert.equal(stolen.kind, "oauth");
  manager.free();
});
