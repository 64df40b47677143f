// What the transport costs in Node: requestToken over Node's fetch (undici) and over
// nodeHttpFetch (js/node-http.cjs), against a hand-written node:http + keep-alive baseline
// (http.request, URLSearchParams body, JSON.parse), on the same loopback token server
// (server.mjs, its own process, so client CPU is the client's alone). Interleaved rounds,
// medians (min–max), and the median of per-round ratios to the baseline.
//
//   node bench/node-http.mjs [--rounds 5] [--requests 1000]
//
// It loads the packed package (tests/node/node_modules/oauth2-wasm, made by scripts/pack.sh).

import { fork } from "node:child_process";
import http from "node:http";
import { requestToken } from "../tests/node/node_modules/oauth2-wasm/js/index.mjs";
import { nodeHttpFetch } from "../js/node-http.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const ROUNDS = opt("--rounds", 5);
const SEQUENTIAL = opt("--requests", 1000); // per round at c=1; three times as many at c=32
const CONCURRENT = 3 * SEQUENTIAL;

const server = fork(new URL("./server.mjs", import.meta.url));
const { port } = await new Promise((resolve) => server.once("message", resolve));
const client = { tokenEndpoint: `http://127.0.0.1:${port}/token`, clientId: "bench-client", clientSecret: "bench-secret" };
const grant = { grantType: "client_credentials", scope: "read" };

// The baseline: what a careful developer writes for Node without a library.
const basic = "Basic " + Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString("base64");
const agent = new http.Agent({ keepAlive: true });
function baseline() {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams({ grant_type: "client_credentials", scope: "read" }).toString();
    const headers = {
      Accept: "application/json",
      "Content-Type": "application/x-www-form-urlencoded",
      "Content-Length": Buffer.byteLength(body),
      Authorization: basic,
    };
    const req = http.request(client.tokenEndpoint, { method: "POST", headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        try {
          const json = JSON.parse(text);
          if (res.statusCode !== 200 || typeof json.access_token !== "string") throw new Error("bad response");
          resolve(json);
        } catch (e) {
          reject(e);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const variants = {
  "node:http baseline": baseline,
  "requestToken + fetch": () => requestToken(client, grant),
  "requestToken + nodeHttpFetch": () => requestToken(client, grant, { fetch: nodeHttpFetch }),
};

async function run(fn, total, concurrency) {
  let next = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < total) await fn();
  }));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rps: total / seconds, cpu: (used.user + used.system) / total };
}

// Each variant answers, then warms up (fetch's first request in Node costs tens of ms).
for (const [name, fn] of Object.entries(variants)) {
  const token = await fn();
  if ((token.access_token ?? token.accessToken) !== "b".repeat(40)) throw new Error(`${name}: wrong token`);
  await run(fn, 200, 8);
}

const names = Object.keys(variants);
const samples = Object.fromEntries(names.map((n) => [n, { rps1: [], cpu1: [], rps32: [], cpu32: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order so no variant always runs first (or right after the server idled).
  const order = names.map((_, i) => names[(i + round) % names.length]);
  for (const name of order) {
    const c1 = await run(variants[name], SEQUENTIAL, 1);
    const c32 = await run(variants[name], CONCURRENT, 32);
    const s = samples[name];
    s.rps1.push(c1.rps);
    s.cpu1.push(c1.cpu);
    s.rps32.push(c32.rps);
    s.cpu32.push(c32.cpu);
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}
server.disconnect();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1));
const cell = (xs) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
const ratio = (xs, base) => `${median(xs.map((x, i) => x / base[i])).toFixed(2)}×`;
const base = samples["node:http baseline"];
console.log(
  `oauth2-wasm transports in Node ${process.version}: ${ROUNDS} interleaved rounds of ${SEQUENTIAL} requests at c=1 ` +
    `and ${CONCURRENT} at c=32; medians (min–max); × = median per-round ratio to the baseline`,
);
console.log("| variant | c=1 req/s | × | c=1 CPU µs/req | c=32 req/s | × | c=32 CPU µs/req |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const name of names) {
  const s = samples[name];
  console.log(
    `| ${name} | ${cell(s.rps1)} | ${ratio(s.rps1, base.rps1)} | ${fmt(median(s.cpu1))} | ` +
      `${cell(s.rps32)} | ${ratio(s.rps32, base.rps32)} | ${fmt(median(s.cpu32))} |`,
  );
}
for (const name of names.slice(1)) {
  const over = median(samples[name].cpu1) - median(base.cpu1);
  console.log(`client CPU over the baseline at c=1, ${name}: ${over.toFixed(0)} µs/request`);
}
