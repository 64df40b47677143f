// Five tabs racing on a rotating refresh token, round after round: five pages of one origin
// (sharing localStorage, Web Locks and BroadcastChannel) each run a TokenManager of the
// packed package (tests/browser/tabs-race.html, served with tests/browser/node_modules).
// Each round the test moves the clock (the `now` option) past expiry in every tab, and all
// five call getAccessToken() at one agreed wall-clock moment. Per round: exactly one
// refresh request reaches the real provider server (www/token-server.mjs, which rejects a
// used refresh token with invalid_grant), every tab gets the same new token, none is logged
// out. Headless Chromium (Playwright with the system Chromium), then Firefox ESR (five
// windows of one WebDriver session, through geckodriver).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { startStaticServer } from "../support/static.mjs";
import { startFirefox } from "../support/webdriver.mjs";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";

const TABS = 5;
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 25);
const LIFETIME_MS = 43200_000; // OLX's tokens

let server;
let site;
before(async () => {
  server = await startTokenServer();
  site = await startStaticServer(fileURLToPath(new URL("../browser", import.meta.url)));
});
after(async () => {
  await server?.close();
  await site?.close();
});

const pageUrl = () => `${site.url}/tabs-race.html?endpoint=${encodeURIComponent(server.url + PROVIDERS.olx.path)}`;
const grants = (type) => server.requests.filter((r) => new URLSearchParams(r.body).get("grant_type") === type).length;
/** Token requests (CORS preflights aside). */
const posts = () => server.requests.filter((r) => r.method === "POST").length;

async function eventually(fn, what, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The race, whatever drives the browser. `tabs` is a list of `evaluate(fn, arg)` functions,
 * one per tab (`fn` runs in the page with `race` in scope); `start(startAt)` makes every tab
 * call getAccessToken() at `startAt` and resolves to their results; `lead` is how far ahead
 * the start is set (ms, or a function giving it).
 */
async function race(t, browserName, tabs, start, lead) {
  const login = await tabs[0](() => window.race.login());
  assert.ok(login.value, `login: ${login.message}`);
  await eventually(async () => (await Promise.all(tabs.map((ev) => ev(() => window.race.tokens()?.accessToken))))
    .every((tok) => tok === login.value), "every tab sees the login");
  let previous = login.value;
  let expiresAt = (await tabs[0](() => window.race.tokens())).expiresAt;
  assert.ok(expiresAt > Date.now(), "the login's expiry is known");
  const durations = [];
  const spreads = [];
  let raced = 0;
  const started = Date.now();
  for (let round = 1; round <= ROUNDS; round++) {
    const at = `${browserName}, round ${round}`;
    // Past expiry in every tab (by 1 ms to 10 min, varying by round).
    const now = expiresAt + 1 + ((round * 7919) % 600_000);
    const clocks = await Promise.all(tabs.map((ev) => ev((ms) => window.race.setNow(ms), now)));
    assert.deepEqual(clocks.map((c) => c.now), Array(TABS).fill(now), `${at}: every tab's clock was moved`);
    const refreshes = grants("refresh_token");
    const requests = posts();
    const results = await start(Date.now() + (typeof lead === "function" ? lead() : lead));
    assert.equal(results.length, TABS);
    assert.deepEqual(results.filter((r) => r.error), [], `${at}: no tab failed`);
    const tokens = new Set(results.map((r) => r.value));
    assert.equal(grants("refresh_token") - refreshes, 1, `${at}: exactly one refresh request reached the server`);
    assert.equal(posts() - requests, 1, `${at}: and no other token request`);
    assert.equal(tokens.size, 1, `${at}: every tab got the same token`);
    assert.ok(!tokens.has(previous), `${at}: a new token`);
    // A real race: every tab called before any tab had its answer. (A loaded machine can
    // delay one tab's start now and then; most rounds must race.)
    const lastStart = Math.max(...results.map((r) => r.started));
    const firstAnswer = Math.min(...results.map((r) => r.started + r.took));
    if (lastStart <= firstAnswer) raced++;
    spreads.push(lastStart - Math.min(...results.map((r) => r.started)));
    durations.push(Math.max(...results.map((r) => r.took)));
    const after = await Promise.all(tabs.map((ev, i) => ev((seen) => window.race.after(seen), clocks[i].seen)));
    // One tab refreshed; the others adopted its token.
    const reasons = after.map((a) => a.reasons);
    assert.equal(reasons.flat().filter((r) => r === "refresh").length, 1, `${at}: one tab refreshed (${JSON.stringify(reasons)})`);
    assert.ok(reasons.every((r) => r.every((x) => x === "refresh" || x === "external")), `${at}: ${JSON.stringify(reasons)}`);
    // Every tab now holds the same session.
    const held = after.map((a) => a.tokens);
    assert.equal(new Set(held.map((h) => h?.accessToken)).size, 1, `${at}: every tab holds the same token`);
    assert.equal(new Set(held.map((h) => h?.refreshToken)).size, 1, `${at}: every tab holds the same refresh token`);
    // Storage too, as every tab sees it (Chromium shows a sibling's localStorage write late).
    await eventually(async () => (await Promise.all(tabs.map((ev) => ev(() => window.race.stored()))))
      .every((text) => JSON.parse(text)?.refreshToken === held[0].refreshToken), `${at}: storage holds it in every tab`);
    previous = [...tokens][0];
    expiresAt = held[0].expiresAt;
  }
  for (const [i, ev] of tabs.entries()) {
    const events = await ev(() => window.race.events());
    assert.deepEqual(events.filter((e) => e.reason === "login_required" || e.reason === "logout"), [],
      `${browserName}: tab ${i} was never logged out`);
  }
  durations.sort((a, b) => a - b);
  spreads.sort((a, b) => a - b);
  t.diagnostic(`${browserName}: ${ROUNDS} rounds × ${TABS} tabs, one refresh request each; ${raced} rounds with every ` +
    `call in flight together (start spread median ${spreads[spreads.length >> 1]} ms, max ${spreads.at(-1)} ms); ` +
    `round time median ${durations[durations.length >> 1]} ms, max ${durations.at(-1)} ms; total ${Date.now() - started} ms`);
  assert.ok(raced >= ROUNDS * 0.8, `${browserName}: most rounds were real races (${raced} of ${ROUNDS})`);
}

test(`Chromium: ${TABS} tabs, ${ROUNDS} rounds on a rotating refresh token — one refresh per round, no tab logged out`, async (t) => {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const pages = [];
    const errors = [];
    for (let i = 0; i < TABS; i++) {
      const page = await context.newPage();
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(pageUrl());
      await page.waitForFunction(() => window.race);
      pages.push(page);
    }
    const tabs = pages.map((page) => (fn, arg) => page.evaluate(fn, arg));
    const start = (startAt) => Promise.all(pages.map((page) => page.evaluate((s) => window.race.at(s), startAt)));
    await race(t, "Chromium", tabs, start, 150);
    assert.deepEqual(errors, [], "no page error");
  } finally {
    await browser.close();
  }
});

test(`Firefox ESR: ${TABS} windows, ${ROUNDS} rounds on a rotating refresh token — one refresh per round, no window logged out`, async (t) => {
  const firefox = await startFirefox();
  try {
    const windows = [];
    for (let i = 0; i < TABS; i++) {
      const handle = i === 0 ? await firefox.currentWindow() : await firefox.newWindow();
      await firefox.switchTo(handle);
      await firefox.navigate(pageUrl());
      await eventually(() => firefox.execute("return Boolean(window.race)"), `window ${i} is ready`, 20_000);
      windows.push(handle);
    }
    // WebDriver talks to one window at a time: each call switches to its window first, and
    // calls are queued so a switch and its script are never interleaved with another's.
    let queue = Promise.resolve();
    const on = (handle) => (fn, arg) => {
      const run = queue.then(async () => {
        await firefox.switchTo(handle);
        return firefox.execute(`return (${fn})(arguments[0])`, [arg]);
      });
      queue = run.catch(() => {});
      return run;
    };
    const tabs = windows.map(on);
    // The start is set ahead by four times what arming the windows took last round (within
    // 0.3–3 s), so every window is armed before it.
    let arming = 375;
    const lead = () => Math.min(3000, Math.max(300, 4 * arming));
    const start = async (startAt) => {
      const began = Date.now();
      for (const handle of windows) {
        await firefox.switchTo(handle);
        await firefox.execute("window.race.at(arguments[0]); return true;", [startAt]);
      }
      // (A window armed late starts late: that round counts as no real race.)
      arming = Date.now() - began;
      const results = [];
      for (const handle of windows) {
        await firefox.switchTo(handle);
        results.push(await eventually(() => firefox.execute("return window.race.result()"), "a window's result", 15_000));
      }
      return results;
    };
    await race(t, "Firefox", tabs, start, lead);
  } finally {
    await firefox.close();
  }
});
