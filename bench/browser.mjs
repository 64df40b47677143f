// Headless Chromium (Debian's, through tests/support/chromium.mjs), one launch per round,
// driven from a child process of its own: once playwright-core has launched a browser,
// every `await` in its process runs about 3× slower (measured here: the plain-cache hot
// path fell from 10.6 M to 3.7 M ops/s in run.mjs's process), which would taint the Node
// measures. run.mjs calls chromiumRound(); this file, run as a script, does the round.
// - cold start: per library, a fresh browser context loads cold.html, which imports the
//   library's module (for oauth2-wasm: js/browser.mjs, its glue, and the wasm fetched and
//   instantiated) and requests a first token from the same-origin loopback server;
// - hot path: manager.html runs hot-path.mjs (setup and warm-up untimed, then one pass).
import { fileURLToPath } from "node:url";
import { runChild } from "./child.mjs";

const SELF = fileURLToPath(import.meta.url);

/** Runs one round in a child process; resolves to { version, cold: { name → readings }, hot }. */
export async function chromiumRound(options) {
  const { code, result, errTail } = await runChild(SELF, [JSON.stringify(options)]);
  if (!result) throw new Error(`Chromium round exited ${code}: ${errTail}`);
  if (result.error) throw new Error(result.error);
  return result;
}

async function round({ origin, cold, hotIterations, hotOrder }) {
  const { launchChromium } = await import("../tests/support/chromium.mjs");
  const browser = await launchChromium();
  const errors = [];
  const open = async (path, ready, timeout) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on("pageerror", (err) => errors.push(`${path}: ${err.message}`));
    await page.goto(`${origin}${path}`);
    const handle = await page.waitForFunction(ready, null, { timeout, polling: 10 });
    return { context, page, value: await handle.jsonValue().catch(() => undefined) };
  };
  try {
    const out = { version: browser.version(), cold: {}, hot: null };
    // Untimed: the first page of a fresh browser pays for starting its renderer machinery.
    if (cold.length) await (await open(`/bench/cold.html?src=${encodeURIComponent(cold[0].src)}`, () => window.__result, 30_000)).context.close();
    for (const { name, src } of cold) {
      try {
        const { context, value } = await open(`/bench/cold.html?src=${encodeURIComponent(src)}`, () => window.__result, 30_000);
        await context.close();
        out.cold[name] = value;
      } catch (err) {
        out.cold[name] = { error: String(err.message ?? err).split("\n")[0] + (errors.length ? ` (${errors.join("; ")})` : "") };
      }
    }
    if (hotIterations) {
      const { context, page } = await open("/bench/manager.html", () => typeof window.__hotPathRound === "function", 120_000);
      out.hot = await page.evaluate(([n, order]) => window.__hotPathRound(n, order), [hotIterations, hotOrder]);
      await context.close();
    }
    return out;
  } catch (err) {
    throw new Error(`Chromium: ${err.message}${errors.length ? ` (page errors: ${errors.join("; ")})` : ""}`);
  } finally {
    await browser.close();
  }
}

if (process.argv[1] === SELF) {
  try {
    process.stdout.write(JSON.stringify(await round(JSON.parse(process.argv[2]))) + "\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: err.message }) + "\n");
  }
}
