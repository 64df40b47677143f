// The benchmark suite: oauth2-wasm against its peers and a hand-written baseline (fetch +
// URLSearchParams + JSON.parse, no library), in one run, interleaved over several rounds.
// Prints one table (median, min–max, ratio to the baseline, target/notes); see README.md.
//
//   npm run bench                        (builds the package first)
//   node bench/run.mjs [--rounds N] [--quick] [--json FILE] [--only size,cold,throughput,cpu,hot,fleet] [--no-browser]
//                      [--wait-quiet SECONDS]
//
// It measures the package as built in pkg/ (scripts/build.sh) and never builds it.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import * as badgateway from "@badgateway/oauth2-client";
import * as lib from "oauth2-wasm";
import { chromiumRound } from "./browser.mjs";
import { coldStart } from "./coldstart.mjs";
import { cachedCall, fleetRound, startFleetBench } from "./fleet.mjs";
import { setupHotPath, hotPathRound } from "./hot-path.mjs";
import { CLIENT, calibrate, cpuCases, cpuOps, load, startServer } from "./request.mjs";
import { OURS_FILES, bundleSizes } from "./size.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let runStart = performance.now();

// ---- options ----------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
if (flag("--help") || flag("-h")) {
  console.log("node bench/run.mjs [--rounds N] [--quick] [--json FILE] [--only size,cold,throughput,cpu,hot,fleet] [--no-browser] [--wait-quiet SECONDS]");
  process.exit(0);
}
const QUICK = flag("--quick");
const ROUNDS = Number(opt("--rounds", QUICK ? 2 : 7));
const SECTIONS = new Set(opt("--only", "size,cold,throughput,cpu,hot,fleet").split(","));
const BROWSER = !flag("--no-browser");
const JSON_FILE = opt("--json");
const WAIT_QUIET = Number(opt("--wait-quiet", 0)); // seconds to wait for a 1-minute load average < 0.5
const P = QUICK
  ? { c1: 200, c32: 600, err: 200, cpuMs: 20, hot: 20_000, coldPerRound: 1, fleetSeconds: 5, cached: 2_000 }
  : { c1: 1000, c32: 3000, err: 1000, cpuMs: 150, hot: 200_000, coldPerRound: 2, fleetSeconds: 7, cached: 20_000 };
if (!(ROUNDS >= 1)) throw new Error("--rounds must be a positive number");
for (const s of SECTIONS) if (!["size", "cold", "throughput", "cpu", "hot", "fleet"].includes(s)) throw new Error(`--only: unknown section ${s}`);

if (WAIT_QUIET > 0) {
  const until = Date.now() + WAIT_QUIET * 1000;
  while (loadavg()[0] >= 0.5 && Date.now() < until) {
    console.error(`bench: waiting for a quiet machine (load average ${loadavg()[0].toFixed(2)})…`);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
  }
  runStart = performance.now();
}

// ---- libraries ---------------------------------------------------------------------------
const version = (pkg) => JSON.parse(readFileSync(`${ROOT}node_modules/${pkg}/package.json`, "utf8")).version;
const PEER_PKGS = {
  oauth4webapi: "oauth4webapi",
  badgateway: "@badgateway/oauth2-client",
  "client-oauth2": "client-oauth2",
  "simple-oauth2": "simple-oauth2",
  "oidc-client-ts": "oidc-client-ts",
  "auth0-spa-js": "@auth0/auth0-spa-js",
};
const LABEL = {
  baseline: "baseline (fetch)",
  "baseline-timeout": "baseline (fetch) + AbortSignal.timeout",
  "api-fetch": "fetch with a hand-set Authorization header",
  "api-manager": "oauth2-wasm manager.fetch (valid token)",
  ours: "oauth2-wasm",
  "ours-bundle": "oauth2-wasm, esbuild bundle + .wasm",
  "ours-node-http": "oauth2-wasm + nodeHttpFetch",
  "raw-http": "baseline over node:http keep-alive",
  "node-only": "bare node (no import, no request)",
  "ref-response": "(ref) new Response + .text()",
  plain: "plain JS cache (baseline)",
  ...Object.fromEntries(Object.entries(PEER_PKGS).map(([id, pkg]) => [id, `${pkg} ${version(pkg)}`])),
};
const FETCH_PEERS = ["oauth4webapi", "badgateway"]; // the fetch-based peers the targets name
const IMPORT_PEERS = Object.keys(PEER_PKGS);

// "oauth2-wasm + nodeHttpFetch" (the package's node:http transport) is compared with
// raw-http, the hand-written node:http keep-alive baseline, in throughput and cold start.
const adapters = {};
const adapterErrors = {};
for (const id of ["baseline", "baseline-timeout", "raw-http", "ours", "ours-node-http", "oauth4webapi", "badgateway", "client-oauth2", "simple-oauth2"]) {
  try {
    adapters[id] = await import(`./adapters/${id}.mjs`);
  } catch (err) {
    adapterErrors[id] = `import failed: ${err.message.split("\n")[0]}`;
  }
}
const TP_LIBS = ["baseline", "baseline-timeout", "ours", "ours-node-http", "raw-http", ...FETCH_PEERS, "client-oauth2", "simple-oauth2"];
const COLD_LIBS = ["node-only", "baseline", "ours", "ours-node-http", "raw-http", ...IMPORT_PEERS];
const CHROMIUM_COLD = [
  { name: "baseline", src: "/bench/.out/baseline.js" },
  { name: "ours", src: "/bench/adapters/ours.mjs" },
  // As the peers are measured: the adapter and the package bundled by esbuild (section 1),
  // the .wasm beside the bundle, where a bundler emits the asset `new URL(…)` names.
  { name: "ours-bundle", src: "/bench/.out/ours-bundle.js" },
  { name: "oauth4webapi", src: "/bench/.out/oauth4webapi.js" },
  { name: "badgateway", src: "/bench/.out/badgateway.js" },
];

// ---- samples -----------------------------------------------------------------------------
const samples = {}; // "measure|lib" → [values], index = round (or round × repeat)
const notes = {}; // "measure|lib" → [strings]
const extra = { loadavg: [], serverCpuC32: {}, cpuIterations: {}, coldRaw: [], chromium: null };
const rec = (m, libId, v) => (samples[`${m}|${libId}`] ??= []).push(v);
const note = (m, libId, s) => {
  const list = (notes[`${m}|${libId}`] ??= []);
  if (!list.includes(s)) list.push(s);
};
const log = (...a) => console.error("bench:", ...a);
const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length]);

function fingerprint() {
  const h = createHash("sha256");
  for (const f of [...OURS_FILES, "pkg/node/oauth2_wasm_bg.wasm", "pkg/node/oauth2_wasm.js"]) h.update(readFileSync(ROOT + f));
  return h.digest("hex").slice(0, 16);
}
const pkgBefore = fingerprint();

// ---- 1. bundle cost (deterministic: once) --------------------------------------------------
let sizes = null;
if (SECTIONS.has("size") || (SECTIONS.has("cold") && BROWSER)) {
  log("bundle sizes (esbuild)…");
  sizes = await bundleSizes();
}

// ---- set-up ------------------------------------------------------------------------------
const server = await startServer();
const cfg = { tokenEndpoint: `${server.url}/token`, errorEndpoint: `${server.url}/error`, ...CLIENT };
const TOKEN = "b".repeat(40);
const live = {}; // throughput adapters that passed their checks
if (SECTIONS.has("throughput")) {
  for (const id of TP_LIBS) {
    if (!adapters[id]) continue;
    try {
      const a = adapters[id].create(cfg);
      const [t, e] = [await a.token(), await a.error()];
      if (t !== TOKEN) throw new Error(`token: got ${t}`);
      if (e !== "invalid_client") throw new Error(`400: err.error is ${e}`);
      // Warm-up (Node's fetch costs tens of ms on its first request).
      await load(a.token, 200, 8, (x) => x === TOKEN);
      await load(a.error, 100, 1, (x) => x === "invalid_client");
      live[id] = a;
    } catch (err) {
      adapterErrors[id] = `check failed: ${err.message}`;
    }
  }
}
// manager.fetch on a valid token against fetch with the header set by hand (issue 14, target 5).
const apiCalls = {};
if (SECTIONS.has("throughput")) {
  const manager = new lib.TokenManager({ client: { tokenEndpoint: cfg.tokenEndpoint, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret },
    grant: { grantType: "client_credentials" }, storage: "memory" });
  const bearer = `Bearer ${await manager.getAccessToken()}`;
  const api = `${server.url}/api`;
  const okBody = async (res) => res.status === 200 && (await res.text()).length > 0;
  apiCalls["api-fetch"] = async () => okBody(await fetch(api, { headers: { Authorization: bearer } }));
  apiCalls["api-manager"] = async () => okBody(await manager.fetch(api));
  for (const fn of Object.values(apiCalls)) await load(fn, 200, 8, (x) => x === true);
}
let cases = [];
if (SECTIONS.has("cpu")) {
  log("calibrating the CPU cases…");
  cases = cpuCases(adapters);
  for (const c of cases) {
    const r = await c.fn();
    if (c.step === "stub200" && r !== TOKEN) throw new Error(`${c.lib} ${c.step}: got ${r}`);
    if (c.step === "stub400" && r !== "invalid_client") throw new Error(`${c.lib} ${c.step}: got ${r}`);
  }
  await calibrate(cases, P.cpuMs);
  for (const c of cases) extra.cpuIterations[`${c.step}|${c.lib}`] = c.iterations;
}
let fleetBench = null;
if (SECTIONS.has("fleet")) {
  try {
    fleetBench = await startFleetBench();
  } catch (err) {
    adapterErrors.fleet = `no Redis (scripts/setup.sh installs redis-server): ${err.message.split("\n")[0]}`;
  }
}
let hotCases = null;
if (SECTIONS.has("hot")) hotCases = await setupHotPath(lib, badgateway, { warmup: P.hot / 4 });
if (SECTIONS.has("cold")) {
  log("cold start: one untimed spawn per library…");
  for (const id of COLD_LIBS) {
    try {
      await coldStart(id, server.url);
    } catch (err) {
      adapterErrors[`cold:${id}`] = err.message;
    }
  }
}

// ---- rounds --------------------------------------------------------------------------------
async function throughputRound(r) {
  for (const id of rotate(Object.keys(apiCalls), r)) {
    for (const [m, total, conc] of [["api.c1", P.c1, 1], ["api.c32", P.c32, 32]]) {
      const res = await load(apiCalls[id], total, conc, (x) => x === true);
      rec(m, id, res.rps);
      if (res.failures) note(m, id, `${res.failures} FAILED calls (${res.firstFailure?.message})`);
    }
  }
  for (const id of rotate(Object.keys(live), r)) {
    const a = live[id];
    for (const [m, fn, total, conc, expect, path] of [
      ["tp.c1", a.token, P.c1, 1, TOKEN, "token"],
      ["tp.c32", a.token, P.c32, 32, TOKEN, "token"],
      ["tp.err", a.error, P.err, 1, "invalid_client", "error"],
    ]) {
      const before = await server.stats();
      const t0 = performance.now();
      const res = await load(fn, total, conc, (x) => x === expect);
      const wallMs = performance.now() - t0;
      const after = await server.stats();
      rec(m, id, res.rps);
      rec(`${m}.cpu`, id, res.cpuUsPerReq);
      if (res.failures) note(m, id, `${res.failures} FAILED calls (${res.firstFailure?.message})`);
      if (after[path] - before[path] !== total) note(m, id, `server saw ${after[path] - before[path]} of ${total} requests`);
      if (m === "tp.c32") {
        const us = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
        (extra.serverCpuC32[id] ??= []).push(us / 1000 / wallMs);
      }
    }
  }
}

for (let r = 0; r < ROUNDS; r++) {
  const roundStart = performance.now();
  extra.loadavg.push(loadavg()[0]);
  if (SECTIONS.has("cold")) {
    for (let k = 0; k < P.coldPerRound; k++) {
      for (const id of rotate(COLD_LIBS, r * P.coldPerRound + k)) {
        if (adapterErrors[`cold:${id}`]) continue;
        try {
          const s = await coldStart(id, server.url);
          extra.coldRaw.push({ round: r, lib: id, ...s });
          if (id === "node-only") rec("node.script", id, s.script);
          else {
            rec("node.import", id, s.import);
            if (s.sinceStart !== undefined) {
              rec("node.token", id, s.sinceStart);
              rec("node.importToToken", id, s.toToken);
            }
          }
        } catch (err) {
          note("node.token", id, err.message);
        }
      }
    }
  }
  if (SECTIONS.has("throughput")) await throughputRound(r);
  if (SECTIONS.has("cpu")) {
    for (const c of rotate(cases, r)) rec(`cpu.${c.step}`, c.lib, await cpuOps(c));
  }
  if (SECTIONS.has("hot")) {
    for (const [id, v] of Object.entries(await hotPathRound(hotCases, P.hot, rotate(Object.keys(hotCases), r)))) rec("hot.node", id, v);
  }
  if (fleetBench) {
    const fleet = await fleetRound(fleetBench, { seconds: P.fleetSeconds });
    for (const [grant, f] of Object.entries(fleet)) {
      rec(`fleet.${grant}`, "ours", f.perExpiry);
      rec(`fleet.${grant}.expiries`, "ours", f.expiries);
      if (f.failed || f.refused) note(`fleet.${grant}`, "ours", `round ${r}: ${f.failed} failed calls, ${f.refused} refused requests`);
    }
    for (const [id, us] of Object.entries(await cachedCall(fleetBench, P.cached))) rec("fleet.cached", id, us);
  }
  if (BROWSER && (SECTIONS.has("cold") || SECTIONS.has("hot"))) {
    try {
      const out = await chromiumRound({
        origin: server.url,
        cold: SECTIONS.has("cold") ? rotate(CHROMIUM_COLD, r) : [],
        hotIterations: SECTIONS.has("hot") ? P.hot : 0,
        hotOrder: rotate(["ours", "badgateway", "plain"], r),
      });
      extra.chromium = out.version;
      for (const [id, v] of Object.entries(out.cold)) {
        if (v?.error) {
          note("chr.token", id, v.error);
          continue;
        }
        rec("chr.load", id, v.load);
        rec("chr.token", id, v.toToken);
      }
      if (out.hot) for (const [id, v] of Object.entries(out.hot)) rec("hot.chromium", id, v);
    } catch (err) {
      note("chr.token", "ours", err.message);
      log(err.message);
    }
  }
  log(`round ${r + 1}/${ROUNDS} done in ${((performance.now() - roundStart) / 1000).toFixed(1)} s (load average ${loadavg()[0].toFixed(2)})`);
}
extra.loadavg.push(loadavg()[0]);
server.close();
await fleetBench?.close();
const pkgAfter = fingerprint();

// ---- the table -----------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const num = (x, unit) => {
  if (x === undefined || Number.isNaN(x)) return "–";
  if (unit === "ms" || unit === "µs") return x.toFixed(1);
  if (unit === "per") return x.toFixed(2);
  return Math.round(x).toLocaleString("en-US");
};
const ratioText = (x) => (x === undefined ? "" : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`);
const get = (m, id) => samples[`${m}|${id}`];
/** Median over rounds of value / base value in the same round (paired by index). */
function ratio(m, id, base = "baseline") {
  const xs = get(m, id);
  const bs = get(m, base);
  if (!xs?.length || !bs?.length) return undefined;
  if (xs.length === bs.length) return median(xs.map((x, i) => x / bs[i]));
  return median(xs) / median(bs);
}
const ok = (pass) => (pass ? "ok" : "MISS");

const rows = [];
const section = (title) => rows.push([`**${title}**`, "", "", "", ""]);
function row(m, id, label, unit, { base = "baseline", noteText = [] } = {}) {
  const xs = get(m, id);
  const extraNotes = [...noteText, ...(notes[`${m}|${id}`] ?? [])];
  if (!xs?.length) {
    const why = adapterErrors[id] ?? adapterErrors[`cold:${id}`] ?? "";
    if (why || extraNotes.length) rows.push([label, "–", "", "", [why, ...extraNotes].filter(Boolean).join("; ")]);
    return;
  }
  const range = xs.length > 1 ? `${num(Math.min(...xs), unit)}–${num(Math.max(...xs), unit)}` : "";
  const r = id === base ? "1.00×" : ratioText(ratio(m, id, base));
  rows.push([label, num(median(xs), unit), range, r, extraNotes.join("; ")]);
}
const med = (m, id) => (get(m, id)?.length ? median(get(m, id)) : undefined);

// 1. bundle cost
if (SECTIONS.has("size") && sizes) {
  section("1. Bundle cost: bytes a browser downloads (lower is better; ratio = bytes ÷ baseline's)");
  const SIZE_NOTES = {
    baseline: "the hand-written adapter, bundled",
    ours: "the package's browser files as shipped, each compressed on its own, summed",
    "ours-bundle": "for information: esbuild bundle of the same adapter + the .wasm",
    oauth4webapi: "clientCredentialsGrantRequest + processClientCredentialsResponse",
    badgateway: "OAuth2Client + OAuth2Fetch; its browser field selects the prebuilt min.js",
    "oidc-client-ts": "UserManager (no client_credentials grant)",
    "auth0-spa-js": "createAuth0Client (no client_credentials grant)",
  };
  for (const kind of ["gzip", "brotli"]) {
    for (const id of ["baseline", "ours", "ours-bundle", "oauth4webapi", "badgateway", "oidc-client-ts", "auth0-spa-js"]) {
      const s = sizes[id];
      const label = `${kind} -${kind === "gzip" ? 9 : "q11"} bytes: ${LABEL[id]}`;
      if (s.error) {
        rows.push([label, "–", "", "", `build failed: ${s.error}`]);
        continue;
      }
      samples[`size.${kind}|${id}`] = [s[kind]];
      const n = [];
      if (id === "ours" && kind === "gzip") {
        n.push(`target ≤ 50 KB (50,000 B, issue 18): ${ok(s.gzip <= 50_000)}`);
        n.push(Object.entries(s.files).map(([f, v]) => `${f.split("/").pop()} ${v.gzip.toLocaleString("en-US")}`).join(" + "));
      } else if (kind === "gzip") n.push(SIZE_NOTES[id]);
      row(`size.${kind}`, id, label, "B", { noteText: n });
    }
  }
}

// 2. cold start
if (SECTIONS.has("cold")) {
  section("2. Cold start, ms (lower is better; ratio = ms ÷ baseline's)");
  row("node.script", "node-only", "Node: process start → script runs, bare node", "ms", { noteText: ["what every row below pays before its import"] });
  for (const id of COLD_LIBS.slice(1)) {
    const itt = med("node.importToToken", id);
    row("node.token", id, `Node: process start → first token: ${LABEL[id]}`, "ms", { noteText: itt !== undefined ? [`import → first token ${itt.toFixed(1)} ms`] : [] });
  }
  const peerImports = IMPORT_PEERS.map((id) => [id, med("node.import", id)]).filter(([, v]) => v !== undefined);
  const fastest = peerImports.sort((a, b) => a[1] - b[1])[0];
  for (const id of COLD_LIBS.slice(1)) {
    const n = [];
    if (id === "ours" && fastest && med("node.import", "ours") !== undefined) {
      n.push(`target ≤ fastest peer (${LABEL[fastest[0]]} ${fastest[1].toFixed(1)} ms): ${ok(med("node.import", "ours") <= fastest[1])}`);
    }
    row("node.import", id, `Node: import alone: ${LABEL[id]}`, "ms", { noteText: n });
  }
  if (BROWSER) {
    const LOAD_NOTES = {
      ours: "js/browser.mjs via an import map (one module, bundled by build.sh), then the .wasm",
      "ours-bundle": "its esbuild bundle from section 1, then the .wasm beside it",
    };
    for (const { name } of CHROMIUM_COLD) {
      const wasm = name === "ours" || name === "ours-bundle";
      row("chr.load", name, `Chromium: module load${wasm ? " + wasm instantiate" : ""}: ${LABEL[name]}`, "ms", {
        noteText: [LOAD_NOTES[name] ?? "its esbuild bundle from section 1"],
      });
    }
    // The target: page load → first token ≤ 1.1× the fastest fetch-based peer, per round.
    const peerTokens = FETCH_PEERS.map((id) => [id, med("chr.token", id)]).filter(([, v]) => v !== undefined);
    const fastestPage = peerTokens.sort((a, b) => a[1] - b[1])[0];
    for (const { name } of CHROMIUM_COLD) {
      const n = [];
      if ((name === "ours" || name === "ours-bundle") && fastestPage && med("chr.token", name) !== undefined) {
        const r = ratio("chr.token", name, fastestPage[0]);
        n.push(`${ratioText(r)} the fastest peer (${LABEL[fastestPage[0]]}); target ≤ 1.1×: ${ok(r <= 1.1)}`);
      }
      row("chr.token", name, `Chromium: page script → first token: ${LABEL[name]}`, "ms", { noteText: n });
    }
  }
}

// 3. throughput
if (SECTIONS.has("throughput")) {
  section("3. Throughput, client_credentials over loopback HTTP, req/s (higher is better; ratio = ÷ baseline in the same round)");
  for (const [m, what] of [["tp.c1", "c=1"], ["tp.c32", "c=32"], ["tp.err", "400 errors, c=1"]]) {
    // Issue 14: the target is against the baseline with the same time limit as ours.
    const peerRatios = FETCH_PEERS.map((id) => [id, ratio(m, id, "baseline-timeout")]).filter(([, v]) => v !== undefined);
    for (const id of TP_LIBS) {
      const n = [];
      const cpu = med(`${m}.cpu`, id);
      if (cpu !== undefined) n.push(`client CPU ${cpu.toFixed(0)} µs/req`);
      if (id === "ours") {
        const rr = ratio(m, "ours", "baseline-timeout");
        if (rr !== undefined) {
          const vsPeers = peerRatios.every(([, v]) => rr >= v);
          n.unshift(`${rr.toFixed(2)}× baseline + timeout; target ≥ 0.95× it and ≥ ${peerRatios.map(([pid, v]) => `${pid} ${v.toFixed(2)}×`).join(", ")}: ${ok(rr >= 0.95 && vsPeers)}`);
        }
      }
      if (id === "ours-node-http") {
        const rr = ratio(m, id, "raw-http");
        if (rr !== undefined) n.unshift(`${rr.toFixed(2)}× raw-http (its node:http baseline)`);
      }
      if (["raw-http", "client-oauth2", "simple-oauth2"].includes(id)) n.push("node:http, not fetch");
      row(m, id, `${what} req/s: ${LABEL[id]}`, "req/s", { noteText: n });
    }
  }
}

// 3b. an API call with the token
if (SECTIONS.has("throughput")) {
  section("3b. An API call with the token (GET, loopback), req/s (ratio = ÷ fetch with the header set by hand)");
  for (const [m, what] of [["api.c1", "c=1"], ["api.c32", "c=32"]]) {
    for (const id of ["api-fetch", "api-manager"]) {
      const rr = ratio(m, "api-manager", "api-fetch");
      const n = id === "api-manager" && rr !== undefined ? [`target ≥ 0.95×: ${ok(rr >= 0.95)}`] : [];
      row(m, id, `${what} req/s: ${LABEL[id]}`, "req/s", { base: "api-fetch", noteText: n });
    }
  }
}

// 4. pure CPU
if (SECTIONS.has("cpu")) {
  section("4. Pure CPU, no I/O, ops/s (higher is better)");
  const STEPS = {
    build: "build request",
    parse200: "parse 200",
    parse400: "parse 400",
    stub200: "whole call, in-memory fetch, 200",
    stub400: "whole call, in-memory fetch, 400",
  };
  for (const [step, what] of Object.entries(STEPS)) {
    const libsHere = [...new Set(cases.filter((c) => c.step === step).map((c) => c.lib))];
    for (const id of libsHere) {
      const n = [];
      // Issue 14: pure build/parse figures are reported, not targeted (a wasm crossing has
      // a floor; the whole call below is what users pay).
      if (id === "ours" && ["build", "parse200", "parse400"].includes(step)) n.push("reported, not targeted (issue 14)");
      if (step === "build" && PEER_PKGS[id]) n.push("its async token call, until it calls its fetch hook");
      if (step.startsWith("parse") && id === "oauth4webapi") n.push("parses a Response: includes new Response()");
      if (step.startsWith("stub") && id === "client-oauth2") n.push("its transport hook takes {status, body}, no Response");
      if (step.startsWith("stub") && id === "ours") {
        const rr = ratio(`cpu.${step}`, "ours");
        const rt = ratio(`cpu.${step}`, "ours", "baseline-timeout");
        if (rr !== undefined) n.push(`target ≥ 0.8× baseline: ${ok(rr >= 0.8)}; ${rt?.toFixed(2)}× baseline + timeout`);
      }
      row(`cpu.${step}`, id, `${what}: ${LABEL[id]}`, "ops/s", { noteText: n });
    }
  }
  if (!cases.length) rows.push(["(no CPU cases)", "", "", "", ""]);
}

// 5. hot path
if (SECTIONS.has("hot")) {
  section("5. Hot path: getAccessToken() on a valid cached token, ops/s (higher is better; ratio = ÷ plain JS cache)");
  const HOT = { ours: "TokenManager.getAccessToken()", badgateway: "OAuth2Fetch.getToken()", plain: "async object + expiry check" };
  for (const [m, where] of [["hot.node", "Node"], ...(BROWSER ? [["hot.chromium", "Chromium"]] : [])]) {
    for (const id of ["ours", "badgateway", "plain"]) {
      const n = [HOT[id]];
      // Issue 14's targets: 2.5 M calls/s in Node, 1.5 M in Chromium.
      const target = m === "hot.node" ? 2_500_000 : 1_500_000;
      if (id === "ours" && med(m, id) !== undefined) n.push(`target ≥ ${target.toLocaleString("en-US")} ops/s: ${ok(med(m, id) >= target)}`);
      row(m, id, `${where}: ${LABEL[id]}`, "ops/s", { base: "plain", noteText: n });
    }
  }
}

// 6. fleet
if (SECTIONS.has("fleet")) {
  section("6. Fleet: 8 Node processes sharing one session on one Redis (oauth2-wasm/redis-store)");
  if (adapterErrors.fleet) rows.push(["(fleet)", "–", "", "", adapterErrors.fleet]);
  for (const [grant, label] of [["password", "rotating refresh token"], ["client_credentials", "client_credentials"]]) {
    const m = med(`fleet.${grant}`, "ours");
    row(`fleet.${grant}`, "ours", `token requests per expiry, ${label}`, "per", { base: "ours", noteText: m === undefined ? [] : [`target = 1: ${ok(m === 1)}`, `${get(`fleet.${grant}.expiries`, "ours").join(", ")} expiries in the rounds' ${P.fleetSeconds} s runs`] });
  }
  row("fleet.cached", "redis", "cached getAccessToken(), Redis store (µs/call)", "µs", { base: "memory" });
  row("fleet.cached", "memory", "cached getAccessToken(), memory store (µs/call)", "µs", { base: "memory" });
}

const seconds = (performance.now() - runStart) / 1000;
const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
console.log(`oauth2-wasm benchmark — ${date}; Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model?.trim()})` +
  `${extra.chromium ? `, Chromium ${extra.chromium}` : ""}; ${ROUNDS} interleaved rounds${QUICK ? " (--quick: a smoke pass, not figures)" : ""}; ` +
  `load average ${extra.loadavg.map((x) => x.toFixed(2)).join(" → ")}`);
console.log("Median over rounds (min–max); ratio: median of per-round ratios to the baseline measured in the same round.\n");
console.log("| measure | median | min–max | ratio to baseline | target / notes |\n|---|---:|---:|---:|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
const problems = Object.entries(adapterErrors);
if (problems.length) console.log(`\nnot measured: ${problems.map(([k, v]) => `${k}: ${v}`).join("; ")}`);
if (pkgAfter !== pkgBefore) console.log(`\nWARNING: pkg/ changed during the run (${pkgBefore} → ${pkgAfter}): someone rebuilt the package; rerun.`);
console.log(`\n${seconds.toFixed(0)} s; package fingerprint ${pkgBefore}`);

if (JSON_FILE) {
  writeFileSync(JSON_FILE, JSON.stringify({
    meta: { date, node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, chromium: extra.chromium, rounds: ROUNDS, quick: QUICK,
      sections: [...SECTIONS], browser: BROWSER, params: P, seconds, packageFingerprint: [pkgBefore, pkgAfter],
      versions: Object.fromEntries(Object.values(PEER_PKGS).concat("esbuild").map((p) => [p, version(p)])) },
    sizes,
    samples,
    notes,
    notMeasured: adapterErrors,
    extra,
  }, null, 2));
  log(`raw samples written to ${JSON_FILE}`);
}
