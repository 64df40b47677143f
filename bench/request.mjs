// Per-request cost of requestToken against a hand-written baseline — fetch +
// URLSearchParams + JSON.parse, no library — on the same loopback server, interleaved
// over several rounds. Also the pure-CPU halves: building the request and parsing the answer.
//
//   npm run bench            (builds the package first)
//   node bench/request.mjs [--rounds 7] [--json FILE]

import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { buildTokenRequest, parseTokenResponse, requestToken } from "../js/index.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const ROUNDS = Number(opt("--rounds", 7));
const SEQUENTIAL = 1000;
const CONCURRENT = 3000;
const CPU_ITERATIONS = 100_000;

const server = fork(new URL("./server.mjs", import.meta.url));
const { port } = await new Promise((resolve) => server.once("message", resolve));
const client = { tokenEndpoint: `http://127.0.0.1:${port}/token`, clientId: "bench-client", clientSecret: "bench-secret" };
const grant = { grantType: "client_credentials", scope: "read" };

// The baseline: what a careful developer writes without a library.
const basic = "Basic " + Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString("base64");
async function baseline() {
  const res = await fetch(client.tokenEndpoint, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded", Authorization: basic },
    body: new URLSearchParams({ grant_type: "client_credentials", scope: "read" }),
  });
  const json = JSON.parse(await res.text());
  if (!res.ok || typeof json.access_token !== "string") throw new Error("bad response");
  return json;
}
const ours = () => requestToken(client, grant);

async function run(fn, total, concurrency) {
  let next = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < total) await fn();
  }));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rps: total / seconds, cpuUsPerReq: (used.user + used.system) / total };
}

function cpuOps(fn) {
  const start = performance.now();
  for (let i = 0; i < CPU_ITERATIONS; i++) fn();
  return CPU_ITERATIONS / ((performance.now() - start) / 1000);
}

const okBody = JSON.stringify({ access_token: "b".repeat(40), token_type: "Bearer", expires_in: 3600, scope: "read" });
const errBody = JSON.stringify({ error: "invalid_grant", error_description: "bad", error_human_title: "Niepoprawna wartość" });
const cpuCases = {
  "build: ours": () => buildTokenRequest(client, grant),
  "build: baseline": () => ({ body: new URLSearchParams({ grant_type: "client_credentials", scope: "read" }).toString(), headers: { Authorization: basic } }),
  "parse 200: ours": () => parseTokenResponse(200, okBody, { now: 0 }),
  "parse 200: baseline": () => {
    const j = JSON.parse(okBody);
    if (typeof j.access_token !== "string") throw new Error();
    return { accessToken: j.access_token, expiresAt: j.expires_in * 1000 };
  },
  "parse 400: ours": () => {
    try {
      parseTokenResponse(400, errBody, { now: 0 });
    } catch (e) {
      return e;
    }
  },
  "parse 400: baseline": () => {
    const j = JSON.parse(errBody);
    const e = new Error(j.error);
    e.error = j.error;
    return e;
  },
};

// Warm both paths (fetch's first request in Node costs tens of ms).
await run(baseline, 200, 8);
await run(ours, 200, 8);

const samples = {};
const add = (key, value) => (samples[key] ??= []).push(value);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [["ours", ours], ["baseline", baseline]] : [["baseline", baseline], ["ours", ours]];
  for (const [name, fn] of order) {
    const c1 = await run(fn, SEQUENTIAL, 1);
    const c32 = await run(fn, CONCURRENT, 32);
    add(`c=1 req/s: ${name}`, c1.rps);
    add(`c=32 req/s: ${name}`, c32.rps);
    add(`c=1 client CPU µs/req: ${name}`, c1.cpuUsPerReq);
  }
  for (const [name, fn] of Object.entries(cpuCases)) add(`${name} ops/s`, cpuOps(fn));
}
server.disconnect();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1));
const rows = [];
for (const key of Object.keys(samples)) {
  const xs = samples[key];
  const baseKey = key.replace(/ours/, "baseline");
  let ratio = "";
  if (key.includes("ours") && samples[baseKey]) {
    const ratios = xs.map((x, i) => x / samples[baseKey][i]);
    ratio = `${median(ratios).toFixed(2)}× baseline`;
  }
  rows.push([key, fmt(median(xs)), `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`, ratio]);
}
console.log(`oauth2-wasm request benchmark — Node ${process.version}, ${ROUNDS} interleaved rounds, medians (min–max)`);
console.log("| measure | median | min–max | ratio |\n|---|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
const cpuOurs = median(samples["c=1 client CPU µs/req: ours"]);
const cpuBase = median(samples["c=1 client CPU µs/req: baseline"]);
console.log(`\nper-request overhead of requestToken over the baseline, client CPU at c=1: ${(cpuOurs - cpuBase).toFixed(1)} µs`);
const jsonFile = opt("--json");
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(samples, null, 2));
