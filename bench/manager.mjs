// getAccessToken() on a cached token, ops/s, in Node and in headless Chromium, beside
// @badgateway/oauth2-client's OAuth2Fetch and a plain JS cache.
//
//   npm run bench:manager       (builds the package first)
//   node bench/manager.mjs [--json FILE]

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as badgateway from "@badgateway/oauth2-client";
import { launchChromium } from "../tests/support/chromium.mjs";
import * as lib from "../js/index.mjs";
import { hotPath } from "./hot-path.mjs";
import { startStaticServer } from "../tests/support/static.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => Math.round(x).toLocaleString("en-US");

function table(where, samples) {
  const plain = median(samples["plain JS cache"]);
  console.log(`\n${where}: ops/s, median of ${samples["plain JS cache"].length} rounds (min–max), ratio to the plain cache`);
  console.log("| | median | min–max | × plain |\n|---|---:|---:|---:|");
  for (const [name, xs] of Object.entries(samples)) {
    console.log(`| ${name} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} | ${(median(xs) / plain).toFixed(2)} |`);
  }
}

const node = await hotPath(lib, badgateway);
table(`Node ${process.version}`, node);

const site = await startStaticServer(fileURLToPath(new URL("..", import.meta.url)));
const browser = await launchChromium();
let chrome;
try {
  const page = await browser.newPage();
  await page.goto(`${site.url}/bench/manager.html`);
  await page.waitForFunction(() => window.__samples, null, { timeout: 120_000, polling: 500 });
  chrome = await page.evaluate(() => window.__samples);
  table(`Chromium ${browser.version()}`, chrome);
} finally {
  await browser.close();
  await site.close();
}
const i = process.argv.indexOf("--json");
if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify({ node, chromium: chrome }, null, 2));
