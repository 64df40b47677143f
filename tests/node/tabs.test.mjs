// TokenManager across browser tabs, in headless Chromium (Playwright with the system
// Chromium, several pages in one context, so they share localStorage and Web Locks):
// tabs racing on an expired, rotating refresh token refresh once and none is logged out;
// logout and new tokens reach every tab; reloads, sessionStorage, corrupt records and
// storage that throws.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { startServers } from "../support/servers.mjs";
import { startStaticServer } from "../support/static.mjs";

let servers;
let site;
let browser;
before(async () => {
  servers = await startServers();
  site = await startStaticServer(fileURLToPath(new URL("../browser", import.meta.url)));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await servers?.close();
  await site?.close();
});

const url = () => `${site.url}/manager.html?servers=${encodeURIComponent(JSON.stringify(servers.urls))}`;
const refreshes = () =>
  servers.providers.requests.filter((r) => new URLSearchParams(r.body).get("grant_type") === "refresh_token").length;

async function openTabs(context, n, storage = "local") {
  const pages = [];
  for (let i = 0; i < n; i++) {
    const page = await context.newPage();
    page.on("pageerror", (e) => assert.fail(`page error: ${e}`));
    await page.goto(url());
    await page.waitForFunction(() => window.tab);
    await page.evaluate((s) => window.tab.create(s), storage);
    pages.push(page);
  }
  return pages;
}

async function eventually(fn, what, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const n of [2, 5]) {
  test(`${n} tabs racing on an expired, rotating refresh token: one refresh per round, no tab logged out`, async () => {
    const context = await browser.newContext();
    try {
      const tabs = await openTabs(context, n);
      const login = await tabs[0].evaluate(() => window.tab.login());
      assert.ok(login.value, login.message);
      await eventually(async () => (await Promise.all(tabs.map((t) => t.evaluate(() => window.tab.token()))))
        .every((tok) => tok === login.value), "every tab sees the login");
      let previous = login.value;
      for (let round = 0; round < 3; round++) {
        await Promise.all(tabs.map((t) => t.evaluate(() => window.tab.advance(43200))));
        const before = refreshes();
        const results = await Promise.all(tabs.map((t) => t.evaluate(() => window.tab.getAccessToken())));
        assert.deepEqual(results.filter((r) => r.error), [], `round ${round}: no tab failed`);
        const tokens = new Set(results.map((r) => r.value));
        assert.equal(tokens.size, 1, `round ${round}: every tab has the same token`);
        assert.ok(!tokens.has(previous), `round ${round}: a new token`);
        assert.equal(refreshes() - before, 1, `round ${round}: exactly one refresh request`);
        previous = [...tokens][0];
      }
      for (const t of tabs) {
        const events = await t.evaluate(() => window.tab.events());
        assert.ok(!events.some((e) => e.reason === "login_required"), "no tab was logged out");
      }
    } finally {
      await context.close();
    }
  });
}

test("logout in one tab reaches the others; so do new tokens", async () => {
  const context = await browser.newContext();
  try {
    const [a, b] = await openTabs(context, 2);
    const login = await a.evaluate(() => window.tab.login());
    await eventually(() => b.evaluate((tok) => window.tab.token() === tok, login.value), "b sees the login");
    await a.evaluate(() => window.tab.logout());
    await eventually(() => b.evaluate(() => window.tab.token() === null), "b sees the logout");
    const events = await b.evaluate(() => window.tab.events());
    assert.deepEqual(events.map((e) => [e.reason, e.token === null]), [["external", false], ["external", true]]);
    const after = await b.evaluate(() => window.tab.getAccessToken());
    assert.equal(after.error, "login_required");
  } finally {
    await context.close();
  }
});

test("a reload keeps a localStorage session; sessionStorage stays in its tab", async () => {
  const context = await browser.newContext();
  try {
    const [page] = await openTabs(context, 1);
    const login = await page.evaluate(() => window.tab.login());
    await page.reload();
    await page.waitForFunction(() => window.tab);
    await page.evaluate(() => window.tab.create("local"));
    assert.equal(await page.evaluate(() => window.tab.token()), login.value, "the session survived the reload");
    const before = refreshes();
    assert.equal((await page.evaluate(() => window.tab.getAccessToken())).value, login.value);
    assert.equal(refreshes(), before, "no request for the stored, fresh token");

    const [s1] = await openTabs(context, 1, "session");
    const own = await s1.evaluate(() => window.tab.login());
    await s1.reload();
    await s1.waitForFunction(() => window.tab);
    await s1.evaluate(() => window.tab.create("session"));
    assert.equal(await s1.evaluate(() => window.tab.token()), own.value, "sessionStorage survives a reload");
    const [s2] = await openTabs(context, 1, "session");
    assert.equal(await s2.evaluate(() => window.tab.token()), null, "another tab has its own sessionStorage");
  } finally {
    await context.close();
  }
});

test("a corrupt record is discarded with an event; storage that throws on setItem falls back to memory", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url());
    await page.waitForFunction(() => window.tab);
    await page.evaluate(() => localStorage.setItem(window.tab.key(), "{corrupt"));
    await page.evaluate(() => window.tab.create("local"));
    await eventually(async () => (await page.evaluate(() => window.tab.events())).some((e) => e.reason === "discarded"),
      "a discarded event");
    assert.equal(await page.evaluate(() => window.tab.token()), null);

    const quota = await context.newPage();
    await quota.goto(url());
    await quota.waitForFunction(() => window.tab);
    await quota.evaluate(() => {
      Storage.prototype.setItem = () => {
        throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      };
      window.tab.create("local");
    });
    const login = await quota.evaluate(() => window.tab.login());
    assert.ok(login.value, login.message);
    assert.equal((await quota.evaluate(() => window.tab.getAccessToken())).value, login.value);
    const events = await quota.evaluate(() => window.tab.events());
    const failure = events.find((e) => e.reason === "storage_error");
    assert.ok(failure, JSON.stringify(events));
    assert.equal(failure.error, "storage");
  } finally {
    await context.close();
  }
});
