// The www demo in headless Chromium (Playwright with the system Chromium): every preset
// sends its documented grant to the local demo token server and shows what a user checks;
// secrets are masked in the request preview; the session refreshes by itself and a second
// tab follows it. Saves a screenshot to target/demo.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { launchChromium } from "../support/chromium.mjs";
import { startDemo } from "../../www/serve.mjs";

let demo;
let browser;
before(async () => {
  demo = await startDemo();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await demo?.close();
});

async function open(context, hash = "") {
  const page = await context.newPage();
  page.on("pageerror", (e) => assert.fail(`page error: ${e}`));
  await page.goto(demo.url + hash);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

const SECRETS = {
  "olx-password": ["02468abcdef", "gimmeaccess"],
  "olx-partner": ["02468abcdef", "secret-code"],
  socialid: ["e8b9ca24f1b590af67e6271297d6e1f7226625d61c5b5daa1b2f215464e292cf", "john_doe_secret"],
  autograb: ["autograb-secret"],
  teenquotes: ["IZgwaBTZ2EdtT3hT7UzG2rLQ8S0Vmu9GDxeHwcPz"],
};

test("every provider preset: masked request, token shown, session stored", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 1500 } });
  try {
    const page = await open(context);
    for (const [preset, secrets] of Object.entries(SECRETS)) {
      await page.selectOption("#preset", preset);
      const request = await page.textContent("#request");
      assert.match(request, /^POST http:\/\/127\.0\.0\.1:\d+\//, preset);
      for (const s of secrets) assert.ok(!request.includes(s), `${preset}: the preview shows a secret`);
      await page.click("#send");
      // The previous preset's answer is still on the page: wait for this login to end
      // (send() enables the button again when it has), then read.
      await page.waitForSelector("#send:not([disabled])", { timeout: 10_000 });
      await page.waitForSelector("#result.ok", { timeout: 10_000 });
      assert.match(await page.textContent("#result strong"), /TokenSet: bearer token, expires in 30 s/, preset);
      assert.notEqual(await page.textContent("#stored-token"), "—", `${preset}: stored`);
      assert.match(await page.textContent("#events"), /login — token/, preset);
    }
    mkdirSync(new URL("../../target", import.meta.url), { recursive: true });
    await page.screenshot({ path: new URL("../../target/demo.png", import.meta.url).pathname, fullPage: true });
  } finally {
    await context.close();
  }
});

test("an OLX error shows its human-readable Polish title; a bad endpoint is caught before sending", async () => {
  const context = await browser.newContext();
  try {
    const page = await open(context);
    await page.selectOption("#preset", "olx-partner");
    await page.fill("#grant", JSON.stringify({ grantType: "partner", partnerCode: "partner-name", partnerSecret: "nope-nope" }));
    await page.click("#send");
    await page.waitForSelector("#result.error");
    assert.equal(await page.textContent('#result [data-field="humanTitle"]'), "Niepoprawna wartość");
    assert.equal(await page.textContent('#result [data-field="error"]'), "invalid_grant");
    assert.ok(!(await page.textContent("#result")).includes("nope-nope"));
    await page.selectOption("#preset", "custom");
    await page.fill("#client", JSON.stringify({ tokenEndpoint: "http://auth.example.com/token", clientId: "x" }));
    assert.match(await page.textContent("#request"), /config: tokenEndpoint must use https/);
  } finally {
    await context.close();
  }
});

test("the session refreshes by itself, once, and a second tab follows it", async () => {
  const context = await browser.newContext();
  try {
    const first = await open(context);
    await first.selectOption("#lifetime", "10");
    await first.click("#send");
    await first.waitForSelector("#result.ok");
    const token = await first.textContent("#stored-token");
    const second = await open(context, "#preset=olx-password&storage=local");
    assert.equal(await second.textContent("#stored-token"), token, "the second tab reads the stored session");
    const refreshes = () => demo.tokenRequests.filter((r) => new URLSearchParams(r.body).get("grant_type") === "refresh_token").length;
    const before = refreshes();
    await first.waitForFunction((t) => document.getElementById("stored-token").textContent !== t, token, { timeout: 20_000 });
    const renewed = await first.textContent("#stored-token");
    await second.waitForFunction((t) => document.getElementById("stored-token").textContent === t, renewed, { timeout: 5_000 });
    assert.equal(refreshes() - before, 1, "one refresh for both tabs");
    const events = [await first.textContent("#events"), await second.textContent("#events")];
    assert.equal(events.filter((e) => /refresh — token/.test(e)).length, 1, "one tab refreshed");
    assert.equal(events.filter((e) => /external — token/.test(e)).length, 1, "the other adopted it");
    await second.selectOption("#storage", "session");
    assert.equal(await second.textContent("#stored-token"), "—", "sessionStorage is this tab's own");
  } finally {
    await context.close();
  }
});

test("issue 16: 'Log out and revoke' ends the session in both tabs, revokes at the demo server, and shows the revoked refresh token refused", async () => {
  const context = await browser.newContext();
  try {
    const first = await open(context);
    await first.click("#send");
    await first.waitForSelector("#result.ok");
    const second = await open(context, "#preset=olx-password&storage=local");
    assert.notEqual(await second.textContent("#stored-token"), "—", "the second tab shares the session");
    await first.click("#logout-revoke");
    await first.waitForSelector("#revoke-check");
    await first.waitForFunction(() => /refused/.test(document.getElementById("revoke-check").textContent), null, { timeout: 10_000 });
    assert.match(await first.textContent("#revoke-check"), /oauth invalid_grant/);
    assert.equal(await first.textContent("#stored-token"), "—");
    await second.waitForFunction(() => document.getElementById("stored-token").textContent === "—", null, { timeout: 5_000 });
  } finally {
    await context.close();
  }
});

test("issue 15: the authorization-code preset runs the whole redirect flow — consent click, callback with iss, the exchange — and a denial shows the server's error", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 1500 } });
  try {
    const page = await open(context, "#preset=app-code&storage=local");
    assert.match(await page.textContent("#request"), /^GET http:\/\/127\.0\.0\.1:\d+\/authorize\?response_type=code&client_id=demo-app&/);
    await page.click("#send");
    await page.waitForSelector("#go");
    const shown = await page.textContent("#result pre");
    assert.match(shown, /challenge {2}[A-Za-z0-9_-]{43} = BASE64URL\(SHA-256\(verifier\)\)/);
    const kept = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith("#authorization")).length);
    assert.equal(kept, 1, "the transaction is in sessionStorage");
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.endsWith("#authorization")).length), 0);
    await page.click("#go");
    await page.waitForSelector("#allow");
    assert.match(await page.textContent("body"), /demo-app asks for: read write/);
    await page.click("#allow");
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForSelector("#result.ok", { timeout: 10_000 });
    assert.match(await page.textContent("#callback"), /code=.{10}…\s+state=.+\s+iss=http:\/\/127\.0\.0\.1:\d+/);
    assert.match(await page.textContent("#result strong"), /TokenSet: Bearer token/);
    assert.notEqual(await page.textContent("#stored-token"), "—", "the session is stored");
    assert.equal(new URL(page.url()).search, "", "the code is gone from the address bar");
    // A second tab has the session.
    const second = await open(context, "#preset=app-code&storage=local");
    assert.equal(await second.textContent("#stored-token"), await page.textContent("#stored-token"));
    // Denied at the consent page.
    await second.click("#send");
    await second.click("#go");
    await second.click("#deny");
    await second.waitForSelector("body[data-ready=true]");
    await second.waitForSelector("#result.error");
    assert.match(await second.textContent("#result"), /access_denied/);
  } finally {
    await context.close();
  }
});

test("issue 17: the DPoP switch — the session bound to a key in this browser, each proof shown (the server's nonce asked for, then sent), a refresh with the same key", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 1500 } });
  try {
    const page = await open(context, "#preset=app-code&storage=local&dpop=1");
    assert.equal(await page.isChecked("#dpop"), true);
    await page.click("#send");
    await page.click("#go");
    await page.click("#allow");
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForSelector("#result.ok", { timeout: 10_000 });
    assert.match(await page.textContent("#result strong"), /TokenSet: DPoP token/);
    const proofs = async () => page.$$eval("#proofs li pre", (items) => items.map((p) => JSON.parse(p.textContent)).reverse());
    const [first, second] = await proofs();
    assert.equal(first.header.typ, "dpop+jwt");
    assert.equal(first.header.alg, "ES256");
    assert.equal(first.claims.htm, "POST");
    assert.match(first.claims.htu, /^http:\/\/127\.0\.0\.1:\d+\/token$/);
    assert.equal(first.claims.nonce, undefined, "the first proof has no nonce");
    assert.ok(second.claims.nonce, "the server asked for one: the second has it");
    assert.deepEqual(second.header.jwk, first.header.jwk, "one key");
    await page.click("#refresh");
    await page.waitForFunction(() => document.querySelectorAll("#proofs li").length >= 3);
    const third = (await proofs())[2];
    assert.deepEqual(third.header.jwk, first.header.jwk, "the refresh is signed with the same key");
    assert.equal(third.claims.nonce, second.claims.nonce, "the nonce was kept");
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith("oauth2-wasm:")))));
    assert.ok(stored.accessToken && stored.refreshToken);
    const shown = await page.textContent("#proofs");
    assert.ok(!shown.includes(stored.accessToken) && !shown.includes(stored.refreshToken), "no token in the list");
  } finally {
    await context.close();
  }
});

test("issue 15: the authorization-code preset in Firefox — consent click, callback, exchange", async () => {
  const { startFirefox } = await import("../support/webdriver.mjs");
  const firefox = await startFirefox();
  const poll = async (what, script) => {
    for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
      const value = await firefox.execute(script).catch(() => null);
      if (value) return value;
    }
    assert.fail(`Firefox: ${what}`);
  };
  try {
    await firefox.navigate(`${demo.url}#preset=app-code&storage=local`);
    await poll("the page is ready", "return document.body.dataset.ready === 'true';");
    await firefox.execute("document.getElementById('send').click();");
    const go = await poll("the authorization URL", "return document.getElementById('go')?.href ?? null;");
    await firefox.navigate(go);
    const allow = await poll("the consent page", "return document.getElementById('allow')?.href ?? null;");
    await firefox.navigate(allow);
    const result = await poll("the exchange", "const r = document.getElementById('result'); return r?.className === 'ok' ? r.textContent : null;");
    assert.match(result, /TokenSet: Bearer token/);
    assert.match(result, /iss=http:\/\/127\.0\.0\.1:\d+/);
    const stored = await firefox.execute("return document.getElementById('stored-token').textContent;");
    assert.notEqual(stored, "—");
  } finally {
    await firefox.close();
  }
});
