// The authorization-code flow with PKCE in real browsers (issue 15): the packed package's
// manager.authorize() / handleCallback() in a page that is its own redirect URI, against
// oidc-provider (RFC 9207 iss on), in headless Chromium and Firefox: the session stored and
// shared with a second tab, the transaction in sessionStorage only and used once, a forged
// state and the server's error refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { startServers } from "../support/servers.mjs";
import { startStaticServer } from "../support/static.mjs";
import { startFirefox } from "../support/webdriver.mjs";

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

const page = (mode) => `${site.url}/authorize.html?mode=${mode}&servers=${encodeURIComponent(JSON.stringify(servers.urls))}`;

/** What every browser must show for the four runs. */
function check({ start, second, forged, error }, where) {
  assert.equal(start.error, undefined, `${where}: ${start.message}`);
  assert.ok(start.accessToken && start.refreshToken, `${where}: tokens`);
  assert.equal(start.iss, servers.urls.oidc.issuer, `${where}: the server sent iss`);
  const isTransaction = (k) => k.endsWith("#authorization");
  assert.equal(start.before.session.filter(isTransaction).length, 1, `${where}: the transaction was in sessionStorage`);
  assert.equal(start.before.local.filter(isTransaction).length, 0, `${where}: never in localStorage`);
  assert.equal(start.after.session.filter(isTransaction).length, 0, `${where}: taken out`);
  assert.equal(start.replay, "invalid_response", `${where}: a callback is handled once`);
  assert.ok(start.after.local.some((k) => k.startsWith("oauth2-wasm:")), `${where}: the session is in localStorage`);
  assert.equal(second.stored, start.accessToken, `${where}: the second tab has the session`);
  assert.equal(second.accessToken, start.accessToken, `${where}: and hands it out`);
  assert.equal(forged.error, "invalid_response", `${where}: ${forged.message}`);
  assert.match(forged.message, /state/);
  assert.equal(forged.after.session.filter(isTransaction).length, 0, `${where}: a forged callback used the transaction up`);
  assert.equal(error.error, "oauth", `${where}: ${error.message}`);
  // prompt=none: the server cannot ask the user (it has a session from the first run, but no
  // consent for this request): its error comes back in the callback.
  assert.match(error.code, /^(login|interaction|consent)_required$/, `${where}: the server's error in the callback`);
}

test("Chromium: authorize → the server → handleCallback, against oidc-provider", async () => {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const run = async (mode) => {
      const tab = await context.newPage();
      const errors = [];
      tab.on("pageerror", (e) => errors.push(String(e)));
      await tab.goto(page(mode));
      await tab.waitForFunction(() => window.__result, null, { timeout: 30_000 });
      const result = await tab.evaluate(() => window.__result);
      assert.deepEqual(errors, []);
      return result;
    };
    const start = await run("start");
    const results = { start, second: await run("second"), forged: await run("forged"), error: await run("error") };
    check(results, "Chromium");
  } finally {
    await browser.close();
  }
});

test("Firefox: authorize → the server → handleCallback, against oidc-provider", async () => {
  const firefox = await startFirefox();
  try {
    const run = async (mode) => {
      await firefox.navigate(page(mode));
      for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
        // Between pages a script may find no document: poll again.
        const value = await firefox.execute("return window.__result || null;").catch(() => null);
        if (value) return value;
      }
      assert.fail(`Firefox: no result for ${mode}`);
    };
    const start = await run("start");
    check({ start, second: await run("second"), forged: await run("forged"), error: await run("error") }, "Firefox");
  } finally {
    await firefox.close();
  }
});
