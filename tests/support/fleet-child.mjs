// One machine of a fleet (see fleet.mjs): a TokenManager on a Redis store calling
// getAccessToken() in a loop until a deadline, then printing what it got.
// argv[2]: the spec as JSON.
import { connect } from "./redis.mjs";
import { fleetClient } from "./fleet.mjs";

const spec = JSON.parse(process.argv[2]);
const { TokenManager } = await import(spec.lib ?? "oauth2-wasm");
const { redisStorage } = await import(spec.store ?? "oauth2-wasm/redis-store");

const redis = await connect(spec.kind, spec.port);
const pid = String(process.pid);
const manager = new TokenManager({
  client: fleetClient(spec.endpoint),
  grant: spec.grant === "client_credentials" ? { grantType: "client_credentials" } : undefined,
  storage: redisStorage({ redis: redis.client, lockTtlMs: spec.lockTtlMs ?? 10_000 }),
  fetch: (url, init) => {
    const headers = new Headers(init.headers);
    headers.set("x-pid", pid);
    return fetch(url, { ...init, headers });
  },
});
const summary = { pid: process.pid, calls: 0, tokens: [], errors: {}, latencies: [] };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Bounded: until the deadline, and at most this many calls.
for (let i = 0; i < 100_000 && Date.now() < spec.until; i++) {
  const started = performance.now();
  try {
    const token = await manager.getAccessToken();
    summary.latencies.push(performance.now() - started);
    if (summary.tokens.at(-1) !== token) summary.tokens.push(token);
  } catch (err) {
    summary.errors[err.kind] = (summary.errors[err.kind] ?? 0) + 1;
    summary.lastError = `${err.kind}: ${err.message}`;
    summary.firstError ??= summary.lastError;
  }
  summary.calls++;
  await sleep(spec.every ?? 10);
}
if (!spec.latencies) delete summary.latencies;
process.stdout.write(`${JSON.stringify(summary)}\n`);
await redis.close();
process.exit(0);
