// DPoP and JWT client authentication in real browsers (issue 17): the packed package in
// headless Chromium and Firefox signs with the browser's WebCrypto what the wasm wrote, against
// oidc-provider (DPoP nonces required; private_key_jwt with RSA, P-256 and Ed25519 keys;
// client_secret_jwt). Every proof and assertion the page sent is verified here by jose.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as jose from "jose";
import { launchChromium } from "../support/chromium.mjs";
import { startServers } from "../support/servers.mjs";
import { startStaticServer } from "../support/static.mjs";
import { firefoxEvaluate, startFirefox } from "../support/webdriver.mjs";
import { startResource } from "../support/dpop-resource.mjs";
import { introspectToken } from "oauth2-wasm";

const root = fileURLToPath(new URL("../browser", import.meta.url));
let servers;
let site;
let resource;
before(async () => {
  servers = await startServers();
  site = await startStaticServer(root);
  const oidc = servers.urls.oidc;
  resource = await startResource(
    { tokenEndpoint: oidc.tokenEndpoint, introspectionEndpoint: oidc.introspectionEndpoint, clientId: oidc.clientId, clientSecret: oidc.clientSecret },
    introspectToken,
  );
});
after(async () => {
  await resource?.close();
  await servers?.close();
  await site?.close();
});

const managerPage = () => `${site.url}/dpop-manager.html?servers=${encodeURIComponent(JSON.stringify(servers.urls))}`;
/** The thumbprint of the key the resource last saw a request bound to (after its nonce round). */
const lastJkt = () => resource.seen.at(-1).jkt;

const page = () => `${site.url}/dpop.html?servers=${encodeURIComponent(JSON.stringify(servers.urls))}`;

async function check(results, where) {
  const oidc = servers.urls.oidc;
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const dpop = by.dpop;
  assert.equal(dpop.error, undefined, `${where}: ${dpop.message}`);
  assert.equal(dpop.ok.tokenType, "DPoP");
  assert.equal(dpop.ok.extractable, false, `${where}: the DPoP key cannot be exported`);
  assert.equal(dpop.ok.jkt, await jose.calculateJwkThumbprint(dpop.ok.publicJwk), `${where}: the token is bound to the key`);
  assert.equal(dpop.sent.length, 3, `${where}: use_dpop_nonce once, then the nonce kept`);
  for (const [i, s] of dpop.sent.entries()) {
    const proof = s.headers.dpop;
    const { payload, protectedHeader } = await jose.jwtVerify(proof, await jose.importJWK(dpop.ok.publicJwk, "ES256"), { typ: "dpop+jwt" });
    assert.deepEqual(protectedHeader.jwk, dpop.ok.publicJwk);
    assert.equal(payload.htm, "POST");
    assert.equal(payload.htu, oidc.tokenEndpoint);
    assert.equal(Boolean(payload.nonce), i > 0, `${where}: request ${i} nonce`);
  }
  const { clientId, keys } = oidc.jwtClient;
  for (const [name, alg] of [["rsa", "RS256"], ["ec", "ES256"], ["ed", "EdDSA"]]) {
    const r = by[`private_key_jwt ${alg}`];
    assert.equal(r.error, undefined, `${where} ${alg}: ${r.message}`);
    const assertion = new URLSearchParams(r.sent[0].body).get("client_assertion");
    const { payload, protectedHeader } = await jose.jwtVerify(assertion, await jose.importJWK(keys[name].public, alg), {
      issuer: clientId, subject: clientId, audience: oidc.tokenEndpoint,
    });
    assert.deepEqual(protectedHeader, { alg, kid: name });
    assert.equal(payload.exp - payload.iat, 60);
  }
  const hs = by.client_secret_jwt;
  assert.equal(hs.error, undefined, `${where}: ${hs.message}`);
  const assertion = new URLSearchParams(hs.sent[0].body).get("client_assertion");
  await jose.jwtVerify(assertion, new TextEncoder().encode(oidc.hsClient.clientSecret), { issuer: oidc.hsClient.clientId, audience: oidc.tokenEndpoint });
  assert.ok(!hs.sent[0].body.includes(oidc.hsClient.clientSecret));
}

test("Chromium: DPoP proofs and client assertions signed by the browser's WebCrypto, accepted by oidc-provider", async () => {
  const browser = await launchChromium();
  try {
    const tab = await (await browser.newContext()).newPage();
    const errors = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    await tab.goto(page());
    await tab.waitForFunction(() => window.__result, null, { timeout: 30_000 });
    await check(await tab.evaluate(() => window.__result), "Chromium");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test("Firefox: DPoP proofs and client assertions signed by the browser's WebCrypto, accepted by oidc-provider", async () => {
  await check(await firefoxEvaluate(page(), "window.__result || null"), "Firefox");
});

test("Chromium: TokenManager({ dpop: true }) in two tabs — one key in IndexedDB (not extractable), one token request after expiry, proofs the resource accepts; the key survives a reload; logout replaces it", async () => {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const open = async () => {
      const tab = await context.newPage();
      tab.on("pageerror", (e) => assert.fail(`page error: ${e}`));
      await tab.goto(managerPage());
      await tab.waitForFunction(() => window.tab);
      await tab.evaluate(() => window.tab.create());
      return tab;
    };
    const [a, b] = [await open(), await open()];
    const call = (tab, f, ...args) => tab.evaluate(([f, args]) => window.tab[f](...args), [f, args]);
    const first = await call(a, "token");
    assert.equal(first.error, undefined, first.message);
    assert.equal((await call(b, "token")).value, first.value, "the second tab has the session");
    const key = await call(a, "keyInfo");
    assert.ok(key, "the key is in IndexedDB");
    assert.equal(key.extractable, false);
    assert.equal(key.exported, false, "its private half cannot be read out");
    const stored = await a.evaluate(() => Object.values(localStorage).join("\n"));
    assert.ok(stored.includes(first.value), "the session is in localStorage");
    assert.ok(!/"(jwk|d|privateKey)"|"kty"/.test(stored), "no key material next to it");
    const fetched = await call(a, "fetch", `${resource.url}/api`);
    assert.equal(fetched.value, 200, `${JSON.stringify(fetched)} ${JSON.stringify(resource.seen.at(-1))}`);
    const jkt = lastJkt();
    const fromB = await call(b, "fetch", `${resource.url}/api/b`);
    assert.equal(fromB.value, 200, JSON.stringify(fromB));
    assert.equal(lastJkt(), jkt, "both tabs sign with the one key");
    // Past expiry in both tabs at once: one token request, bound to the same key.
    const before = (await call(a, "tokenRequests")) + (await call(b, "tokenRequests"));
    await Promise.all([call(a, "advance", 700), call(b, "advance", 700)]);
    const [ta, tb] = await Promise.all([call(a, "token"), call(b, "token")]);
    assert.equal(ta.value, tb.value);
    assert.notEqual(ta.value, first.value);
    const after = (await call(a, "tokenRequests")) + (await call(b, "tokenRequests"));
    assert.equal(after - before, 1, "one token issued for both tabs");
    assert.equal((await call(b, "fetch", `${resource.url}/api`)).value, 200);
    assert.equal(lastJkt(), jkt);
    // A reload keeps the key.
    await a.reload();
    await a.waitForFunction(() => window.tab);
    await call(a, "create");
    assert.deepEqual(await call(a, "keyInfo"), key);
    assert.equal((await call(a, "fetch", `${resource.url}/api`)).value, 200);
    assert.equal(lastJkt(), jkt);
    // Logout forgets it; the next session, in the other tab, is bound to a new one.
    await call(a, "logout");
    assert.equal(await call(a, "keyInfo"), null);
    const next = await call(b, "fetch", `${resource.url}/api`);
    assert.equal(next.value, 200, JSON.stringify(next));
    assert.notEqual(lastJkt(), jkt, "a new key");
    // Sessions in sessionStorage live in their tab, and so do their keys: a logout in one
    // tab leaves the other's session and key alone.
    const [c, d] = [await open(), await open()];
    const perTab = async (tab) => {
      const i = await call(tab, "create", "session");
      const r = await tab.evaluate(([i, url]) => window.tab.fetch(url, i), [i, `${resource.url}/api`]);
      assert.equal(r.value, 200, JSON.stringify(r));
      return [i, lastJkt()];
    };
    const [ic, jc] = await perTab(c);
    const [id, jd] = await perTab(d);
    assert.notEqual(jc, jd, "one key per tab");
    await c.evaluate((i) => window.tab.logout(i), ic);
    const still = await d.evaluate(([i, url]) => window.tab.fetch(url, i), [id, `${resource.url}/api`]);
    assert.equal(still.value, 200);
    assert.equal(lastJkt(), jd, "the other tab's key is intact");
  } finally {
    await browser.close();
  }
});

test("Firefox: TokenManager({ dpop: true }) in two windows — one key in IndexedDB (not extractable), one token request after expiry, proofs the resource accepts; the key survives a reload", async () => {
  const firefox = await startFirefox();
  try {
    // WebDriver waits for a promise the script returns; `start` leaves one running in the window.
    const call = (f, ...args) =>
      firefox.execute(`return Promise.resolve(window.tab[arguments[0]](...arguments[1])).catch((e) => ({ thrown: String(e) }));`, [f, args]);
    const start = (f) => firefox.execute(`window.__pending = window.tab[arguments[0]](); return true;`, [f]);
    const finish = () => firefox.execute("return window.__pending;");
    const load = async () => {
      await firefox.navigate(managerPage());
      for (let i = 0; i < 100 && !(await firefox.execute("return Boolean(window.tab);")); i++) await new Promise((r) => setTimeout(r, 100));
      await call("create");
    };
    const a = await firefox.currentWindow();
    await load();
    const first = await call("token");
    assert.equal(first.error, undefined, first.message);
    const b = await firefox.newWindow();
    await firefox.switchTo(b);
    await load();
    assert.equal((await call("token")).value, first.value, "the second window has the session");
    const key = await call("keyInfo");
    assert.equal(key.extractable, false);
    assert.equal(key.exported, false);
    assert.equal((await call("fetch", `${resource.url}/api`)).value, 200, JSON.stringify(resource.seen.at(-1)));
    const jkt = lastJkt();
    await firefox.switchTo(a);
    assert.equal((await call("fetch", `${resource.url}/api/a`)).value, 200);
    assert.equal(lastJkt(), jkt, "both windows sign with the one key");
    // Past expiry in both windows: both ask at once, one token request.
    const counted = async () => {
      let n = 0;
      for (const w of [a, b]) {
        await firefox.switchTo(w);
        n += await call("tokenRequests");
      }
      return n;
    };
    const before = await counted();
    for (const w of [a, b]) {
      await firefox.switchTo(w);
      await call("advance", 700);
    }
    await firefox.switchTo(a);
    await start("token");
    await firefox.switchTo(b);
    await start("token");
    const tb = await finish();
    await firefox.switchTo(a);
    const ta = await finish();
    assert.equal(ta.value, tb.value);
    assert.notEqual(ta.value, first.value);
    assert.equal((await counted()) - before, 1, "one token issued for both windows");
    // A reload keeps the key.
    await firefox.switchTo(a);
    await load();
    assert.deepEqual(await call("keyInfo"), key, "the key survives a reload");
    assert.equal((await call("fetch", `${resource.url}/api`)).value, 200);
    assert.equal(lastJkt(), jkt);
  } finally {
    await firefox.close();
  }
});
