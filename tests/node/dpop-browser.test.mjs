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
import { firefoxEvaluate } from "../support/webdriver.mjs";

const root = fileURLToPath(new URL("../browser", import.meta.url));
let servers;
let site;
before(async () => {
  servers = await startServers();
  site = await startStaticServer(root);
});
after(async () => {
  await servers?.close();
  await site?.close();
});

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
