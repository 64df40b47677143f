// The fleet rows: 8 Node processes (each standing for a machine) sharing one session on a
// real redis-server through oauth2-wasm/redis-store — token requests per expiry (must be
// 1) — and what a cached getAccessToken() costs with the Redis store against the memory
// store, in this process. Uses the package as built in pkg/ (the repository's own exports).
import { TokenManager } from "oauth2-wasm";
import { redisStorage } from "oauth2-wasm/redis-store";
import { connect, command, startRedis } from "../tests/support/redis.mjs";
import { PASSWORD, expiryGapMs, fleetClient, startMachine, tokenServer } from "../tests/support/fleet.mjs";

const LIFETIME_S = 2;
const PROCESSES = 8;

export async function startFleetBench() {
  const redis = await startRedis();
  const conn = await connect("redis", redis.port);
  return { redis, conn, close: async () => (await conn.close(), await redis.close()) };
}

/**
 * One fleet run per grant: token requests at the server ÷ expiries. Requests closer together
 * than 90 % of a token's lifetime (less 0.4 s) are one expiry's; a second request for one expiry makes
 * the ratio exceed 1 (with rotation it is also refused).
 */
export async function fleetRound(bench, { seconds }) {
  const out = {};
  for (const grant of ["password", "client_credentials"]) {
    const as = await tokenServer({ lifetime: LIFETIME_S });
    await command(bench.conn.client, "FLUSHALL");
    if (grant === "password") {
      const seed = new TokenManager({ client: fleetClient(as.url), storage: redisStorage({ redis: bench.conn.client }) });
      await seed.login({ grantType: "password", username: "bench", password: PASSWORD });
      seed.free();
    }
    const started = Date.now();
    const spec = { kind: "redis", port: bench.redis.port, endpoint: as.url, until: Date.now() + seconds * 1000, grant, lockTtlMs: 2_000 };
    const results = await Promise.all(Array.from({ length: PROCESSES }, () => startMachine(spec).result));
    const requests = as.log.filter((e) => e.at >= started && e.grant !== "password");
    let expiries = 0;
    let last = -Infinity;
    for (const e of requests) {
      if (e.at - last >= expiryGapMs(LIFETIME_S)) expiries++;
      last = e.at;
    }
    const failed = results.reduce((n, r) => n + Object.values(r.errors ?? {}).reduce((a, b) => a + b, 0), 0);
    out[grant] = { perExpiry: expiries ? requests.length / expiries : undefined, expiries, failed, refused: requests.filter((e) => !e.ok).length };
    await as.close();
  }
  return out;
}

/** µs per cached getAccessToken() with the Redis store and with the memory store. */
export async function cachedCall(bench, iterations) {
  const as = await tokenServer({ lifetime: 3600 });
  const out = {};
  for (const [id, storage] of [["redis", redisStorage({ redis: bench.conn.client })], ["memory", "memory"]]) {
    const manager = new TokenManager({ client: fleetClient(as.url), grant: { grantType: "client_credentials" }, storage });
    const token = await manager.getAccessToken();
    for (let i = 0; i < iterations / 10; i++) await manager.getAccessToken();
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) if ((await manager.getAccessToken()) !== token) throw new Error("the cached token changed");
    out[id] = ((performance.now() - t0) * 1000) / iterations;
    manager.free();
  }
  await as.close();
  return out;
}
