// Throughput and pure CPU, in this (the client) process; bench/run.mjs drives them round
// by round, interleaved with the other measures.
//
// Throughput: each library's client_credentials call (its own API, adapters/*.mjs) against
// one loopback server in its own process (server.mjs), c=1, c=32, and 400 error responses
// at c=1. Every call's answer is checked; the server's request count must match the calls.
// Pure CPU: building the request and parsing 200 and 400 answers, no I/O, where a library
// exposes those steps; and the whole library call over an in-memory fetch stub (no sockets).

import { fork } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as oauth from "oauth4webapi";
import { buildTokenRequest, parseTokenResponse } from "oauth2-wasm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

export const CLIENT = { clientId: "bench-client", clientSecret: "bench-secret", scope: "read" };
export const OK_BODY = JSON.stringify({ access_token: "b".repeat(40), token_type: "Bearer", expires_in: 3600, scope: "read" });
export const ERROR_BODY = JSON.stringify({ error: "invalid_client", error_description: "Client authentication failed" });
// The parse-400 body of the earlier bench (a vendor's human-readable fields included).
const HUMAN_ERROR_BODY = JSON.stringify({ error: "invalid_grant", error_description: "bad", error_human_title: "Niepoprawna wartość" });

/** Forks server.mjs; resolves to { port, url, stats(), close() }. */
export async function startServer() {
  const server = fork(new URL("./server.mjs", import.meta.url), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const { port } = await new Promise((resolve, reject) => {
    server.once("message", resolve);
    server.once("error", reject);
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise((resolve) => {
        server.once("message", (m) => resolve(m.stats));
        server.send("stats");
      }),
    close: () => server.disconnect(),
  };
}

/**
 * `total` calls of `fn` by `concurrency` workers (started on successive event-loop turns:
 * client-oauth2's transport crashes Node when two requests grab one idle socket in the
 * same tick — see shared/research/perf-baseline.md). Client CPU per call is user+system.
 */
export async function load(fn, total, concurrency, check) {
  let next = 0;
  let failures = 0;
  let firstFailure;
  gc();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push((async () => {
      while (next++ < total) {
        try {
          if (!check(await fn())) throw new Error("unexpected answer");
        } catch (err) {
          failures++;
          firstFailure ??= err;
        }
      }
    })());
    if (concurrency > 1) await new Promise(setImmediate);
  }
  await Promise.all(workers);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rps: total / seconds, cpuUsPerReq: (used.user + used.system) / total, failures, firstFailure };
}

/** The CPU cases: name → { lib, step, fn, async }. Peers only where their API exposes the step. */
export function cpuCases(adapters) {
  const client = { tokenEndpoint: "http://127.0.0.1:9/token", ...CLIENT };
  const grant = { grantType: "client_credentials", scope: CLIENT.scope };
  const basic = "Basic " + Buffer.from(`${encodeURIComponent(CLIENT.clientId)}:${encodeURIComponent(CLIENT.clientSecret)}`).toString("base64");
  const cases = [];
  const add = (step, lib, fn, isAsync = false) => cases.push({ step, lib, fn, async: isAsync });

  // Build: ours and the baseline are synchronous. Peers build inside their (async) token
  // call; they are timed until they hand the request to their fetch/transport hook, which
  // then never answers (the abandoned call holds no timer and is garbage). So a peer's
  // figure includes the promise hops of its async call.
  add("build", "baseline", () => ({ body: new URLSearchParams({ grant_type: "client_credentials", scope: "read" }).toString(), headers: { Authorization: basic } }));
  add("build", "ours", () => buildTokenRequest(client, grant));
  const handedOver = (make) => {
    let handOver;
    const hook = () => {
      handOver();
      return new Promise(() => {});
    };
    const a = make(hook);
    return () =>
      new Promise((resolve, reject) => {
        handOver = resolve;
        a.token().catch(reject);
      });
  };
  const cfg = { tokenEndpoint: client.tokenEndpoint, errorEndpoint: "http://127.0.0.1:9/error", ...CLIENT };
  add("build", "oauth4webapi", handedOver((hook) => adapters.oauth4webapi.create({ ...cfg, fetch: hook })), true);
  add("build", "badgateway", handedOver((hook) => adapters.badgateway.create({ ...cfg, fetch: hook })), true);
  add("build", "client-oauth2", handedOver((hook) => adapters["client-oauth2"].create({ ...cfg, request: hook })), true);

  // Parse.
  add("parse200", "baseline", () => {
    const j = JSON.parse(OK_BODY);
    if (typeof j.access_token !== "string") throw new Error();
    return { accessToken: j.access_token, expiresAt: j.expires_in * 1000 };
  });
  add("parse200", "ours", () => parseTokenResponse(200, OK_BODY, { now: 0 }));
  const as = { issuer: "http://127.0.0.1:9", token_endpoint: client.tokenEndpoint };
  const o4wClient = { client_id: CLIENT.clientId };
  const json = { "content-type": "application/json" };
  // oauth4webapi parses a Response only; building one is part of its cost (see the ref row).
  add("parse200", "oauth4webapi", () => oauth.processClientCredentialsResponse(as, o4wClient, new Response(OK_BODY, { status: 200, headers: json })), true);
  add("parse200", "ref-response", () => new Response(OK_BODY, { status: 200, headers: json }).text(), true);
  add("parse400", "baseline", () => {
    const j = JSON.parse(HUMAN_ERROR_BODY);
    const e = new Error(j.error);
    e.error = j.error;
    return e;
  });
  add("parse400", "ours", () => {
    try {
      parseTokenResponse(400, HUMAN_ERROR_BODY, { now: 0 });
    } catch (e) {
      return e;
    }
    throw new Error("expected an error");
  });
  add("parse400", "oauth4webapi", async () => {
    try {
      await oauth.processClientCredentialsResponse(as, o4wClient, new Response(HUMAN_ERROR_BODY, { status: 400, headers: json }));
    } catch (e) {
      return e;
    }
    throw new Error("expected an error");
  }, true);

  // The whole call over an in-memory transport: build + transport glue + parse, no sockets.
  for (const [step, status, body] of [["stub200", 200, OK_BODY], ["stub400", 400, ERROR_BODY]]) {
    const fetch = async () => new Response(body, { status, headers: json });
    const request = async () => ({ status, body }); // client-oauth2's hook takes no Response
    for (const lib of ["baseline", "baseline-timeout", "ours", "oauth4webapi", "badgateway", "client-oauth2"]) {
      const a = adapters[lib].create({ ...cfg, fetch, request });
      add(step, lib, status === 200 ? () => a.token() : () => a.error(), true);
    }
  }
  return cases;
}

/** Finds an iteration count taking ~targetMs per case (fixed for all rounds). */
export async function calibrate(cases, targetMs) {
  for (const c of cases) {
    let n = 64;
    for (;;) {
      const ms = await timeCase(c, n);
      if (ms >= targetMs / 4 || n >= 1 << 24) {
        c.iterations = Math.max(64, Math.round((n * targetMs) / Math.max(ms, 0.001)));
        break;
      }
      n *= 4;
    }
  }
}

async function timeCase(c, n) {
  const { fn } = c;
  const start = performance.now();
  if (c.async) for (let i = 0; i < n; i++) await fn();
  else for (let i = 0; i < n; i++) fn();
  return performance.now() - start;
}

/** One timed pass of a case: ops/s. */
export async function cpuOps(c) {
  gc();
  const ms = await timeCase(c, c.iterations);
  return c.iterations / (ms / 1000);
}
