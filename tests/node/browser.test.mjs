// The JS API of the packed package in real browsers: a plain <script type="module"> page
// and a module worker, in headless Chromium (Playwright with the system Chromium) and
// headless Firefox ESR (geckodriver), against the servers of tests/support/servers.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
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

const pageUrl = () => `${site.url}/index.html?servers=${encodeURIComponent(JSON.stringify(servers.urls))}`;

function assertAll(results, where) {
  assert.ok(results.length >= 15, `${where}: ran ${results.length} scenarios`);
  const failed = results.filter((r) => !r.pass).map((r) => `${r.name}: ${r.detail}`);
  assert.deepEqual(failed, [], `${where}: failing scenarios`);
}

test("Chromium: page and module worker", async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(pageUrl());
    await page.waitForFunction(() => window.__results, null, { timeout: 60_000 });
    const results = await page.evaluate(() => window.__results);
    assert.deepEqual(errors, []);
    assertAll(results.page, "Chromium page");
    assertAll(results.worker, "Chromium worker");
  } finally {
    await browser.close();
  }
});

test("Firefox: page and module worker", async () => {
  const results = await firefoxEvaluate(pageUrl(), "window.__results || null");
  assertAll(results.page, "Firefox page");
  assertAll(results.worker, "Firefox worker");
});
