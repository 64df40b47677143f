// oauth2-wasm/redis-store against a real redis-server on loopback, with both clients it
// supports (node-redis and ioredis): the adapter's contract (compare-and-set writes, the
// lease, bounded commands), then fleets of Node processes — each standing for a machine —
// sharing one session on one Redis, with the faults a fleet meets: a lock holder killed or
// paused past its lease, Redis restarted under load, Redis unreachable at start.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { TokenManager } from "oauth2-wasm";
import { redisStorage } from "oauth2-wasm/redis-store";
import { command, connect, startRedis } from "../support/redis.mjs";
import { CLIENT_SECRET, PASSWORD, expiryGapMs, fleetClient, startMachine, tokenServer } from "../support/fleet.mjs";

const KINDS = ["redis", "ioredis"];
const LIB = import.meta.resolve("oauth2-wasm");
const STORE = import.meta.resolve("oauth2-wasm/redis-store");
const LIFETIME_S = 2;
// Two requests closer than this are two renewals for one expiry.
const MIN_GAP_MS = expiryGapMs(LIFETIME_S);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const record = (obtainedAt, extra = {}) => JSON.stringify({ v: 1, kind: "oauth2-wasm/token", obtainedAt, ...extra });

let redis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.close();
});

/** Polls `check` every 10 ms for at most `ms`; fails the test when it never holds. */
async function until(what, check, ms = 10_000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) if (await check()) return;
  assert.fail(`${what}: not within ${ms} ms`);
}

/** Every value this Redis holds, as text. */
async function everything(client) {
  const keys = await command(client, "KEYS", "*");
  const values = [];
  for (const k of keys) {
    const type = await command(client, "TYPE", k);
    values.push(JSON.stringify(await command(client, type === "hash" ? "HGETALL" : "GET", k)));
  }
  return { keys, text: values.join("\n") };
}

const flush = (client) => command(client, "FLUSHALL");

/**
 * A session on a fresh token server and an empty Redis: `grant` "password" logs in here
 * first (the processes share that session); "client_credentials" leaves it to them.
 */
async function fleet(kind, { grant = "password", graceMs = 0, hold, lockTtlMs = 1_000 } = {}) {
  const as = await tokenServer({ lifetime: LIFETIME_S, graceMs, hold });
  const conn = await connect(kind, redis.port);
  await flush(conn.client);
  const store = redisStorage({ redis: conn.client, lockTtlMs });
  const seed = new TokenManager({ client: fleetClient(as.url), storage: store });
  if (grant === "password") await seed.login({ grantType: "password", username: "fleet-user", password: PASSWORD });
  const run = (n, ms, extra = {}) => {
    const spec = { kind, port: redis.port, endpoint: as.url, until: Date.now() + ms, grant, lockTtlMs, lib: LIB, store: STORE, ...extra };
    return Array.from({ length: n }, () => startMachine(spec));
  };
  return { as, conn, store, seed, run, close: async () => (await conn.close(), await as.close()) };
}

/** The renewals the token server answered are one per expiry: never two close together. */
function onePerExpiry(as, grant) {
  const answered = as.log.filter((e) => e.ok);
  const renewals = answered.filter((e) => e.grant === grant);
  assert.ok(renewals.length >= 2, `${grant}: several expiries passed (${renewals.length} renewals)`);
  for (let i = 1; i < answered.length; i++) {
    const gap = answered[i].at - answered[i - 1].at;
    assert.ok(gap >= MIN_GAP_MS, `token ${answered[i].token} came ${gap} ms after ${answered[i - 1].token}: two renewals for one expiry`);
  }
}

for (const kind of KINDS) {
  test(`${kind}: the adapter stores, applies a write only over an older record, and removes`, async () => {
    const conn = await connect(kind, redis.port);
    await flush(conn.client);
    // Every command the adapter sends, to see where the tokens go.
    const sent = [];
    const traced = kind === "ioredis"
      ? { call: (...args) => (sent.push(args.map(String)), conn.client.call(...args)) }
      : { sendCommand: (args, options) => (sent.push(args), conn.client.sendCommand(args, options)) };
    const store = redisStorage({ redis: traced, prefix: "app:" });
    assert.equal(await store.get("k"), null);
    await store.set("k", record(2000));
    assert.equal(await store.get("k"), record(2000));
    await store.set("k", record(2000, { scope: "same version" }));
    await assert.rejects(store.set("k", record(1999)), /a newer record is stored under k/);
    assert.equal(await store.get("k"), record(2000, { scope: "same version" }), "the newer record stands");
    await store.set("k", record(2001));
    assert.equal(await store.get("k"), record(2001));
    assert.deepEqual((await everything(conn.client)).keys, ["app:k"], "keys carry the prefix");
    await store.remove("k");
    assert.equal(await store.get("k"), null);
    // The record travels only in a plain SET (clients trace and attach EVAL's arguments to errors).
    const carrying = sent.filter((args) => args.some((a) => a.includes("obtainedAt")));
    assert.ok(carrying.length >= 4);
    assert.deepEqual([...new Set(carrying.map((args) => args[0].toUpperCase()))], ["SET"]);
    assert.throws(() => redisStorage({ redis: {} }), /must be a client of the redis \(node-redis 4\+\) or ioredis package/);
    assert.throws(() => redisStorage({ redis: conn.client, lockTtlMs: 0 }), /lockTtlMs must be a positive number/);
    await conn.close();
  });

  test(`${kind}: the lock is a lease — exclusive, renewed while held, taken over when its holder is gone, let go only by its holder`, async () => {
    const conn = await connect(kind, redis.port);
    await flush(conn.client);
    const store = redisStorage({ redis: conn.client, lockTtlMs: 300, lockTimeoutMs: 3_000 });
    const order = [];
    await Promise.all([
      // Held for three leases: the renewals keep the second holder out.
      store.lock("n", async () => (order.push("a+"), await sleep(900), order.push("a-"))),
      sleep(20).then(() => store.lock("n", async () => order.push("b"))),
    ]);
    assert.deepEqual(order, ["a+", "a-", "b"]);
    // A lease left by a holder that died: taken over once it runs out, not before.
    const cmd = (...a) => command(conn.client, ...a);
    await cmd("SET", "n:lock", "dead-holder", "PX", "400");
    const t0 = Date.now();
    assert.equal(await store.lock("n", async () => "ran"), "ran");
    assert.ok(Date.now() - t0 >= 350, "waited for the dead holder's lease to run out");
    // A holder whose lease ran out and was taken by another: its release and renewals leave
    // the other's lease alone, and its writes are refused.
    await store.lock("n", async () => {
      await cmd("SET", "n:lock", "next-holder", "PX", "5000");
      await assert.rejects(store.set("n", record(9_000)), /lease on n ran out/);
    });
    assert.equal(await cmd("GET", "n:lock"), "next-holder", "the other's lease stands");
    assert.ok(Number(await cmd("PTTL", "n:lock")) > 4_000, "not shortened either");
    assert.equal(await store.get("n"), null, "the fenced write was not applied");
    const short = redisStorage({ redis: conn.client, lockTtlMs: 300, lockTimeoutMs: 200 });
    await assert.rejects(short.lock("n", async () => "never"), /could not take the Redis lock n:lock within 200 ms/);
    assert.equal(await cmd("GET", "n:lock"), "next-holder", "a holder that gave up does not remove another's lease");
    await conn.close();
  });

  test(`${kind}: a Redis that does not answer fails the command within its bound; the manager reports "storage" and keeps its token`, async () => {
    const conn = await connect(kind, redis.port);
    await flush(conn.client);
    const as = await tokenServer({ lifetime: 60 });
    const manager = new TokenManager({ client: fleetClient(as.url), storage: redisStorage({ redis: conn.client, commandTimeoutMs: 300 }) });
    const tokens = await manager.login({ grantType: "password", username: "u", password: PASSWORD });
    redis.pause();
    try {
      const t0 = Date.now();
      await assert.rejects(redisStorage({ redis: conn.client, commandTimeoutMs: 300 }).get("k"), /Redis did not answer HGET within 300 ms/);
      assert.ok(Date.now() - t0 < 2_000);
      // The manager holds a valid token: handed out; a refresh (which needs the store and
      // its lock) fails with kind "storage", and the session is kept.
      assert.equal(await manager.getAccessToken(), tokens.accessToken);
      await assert.rejects(manager.refresh(), (e) => e.kind === "storage");
      assert.equal(manager.getTokens()?.refreshToken, tokens.refreshToken, "the session is kept");
    } finally {
      redis.resume();
    }
    assert.equal(as.granted("refresh_token").length, 0, "no refresh token was sent without the lock");
    // The lease its lock command asked for, carried out late when Redis woke up, was let go
    // right after it: the refresh does not wait for it to run out.
    const t1 = Date.now();
    assert.ok((await manager.refresh()).accessToken, "once Redis answers again, the refresh goes through");
    assert.ok(Date.now() - t1 < 3_000, `the refresh after Redis woke up took ${Date.now() - t1} ms`);
    await conn.close();
    await as.close();
  });

  test(`${kind}: processes on one Redis refresh a rotating token once per expiry between them, and nobody is logged out`, async () => {
    const f = await fleet(kind);
    const results = await Promise.all(f.run(4, 7_000).map((m) => m.result));
    for (const r of results) assert.deepEqual(r.errors, {}, `process ${r.pid}: ${r.firstError}`);
    assert.deepEqual(f.as.reused(), [], "no refresh token was presented after its rotation");
    assert.deepEqual(f.as.log.filter((e) => !e.ok), [], "the token server refused nothing");
    onePerExpiry(f.as, "refresh_token");
    // Every process went through the same tokens (it may have missed one between its calls).
    const issued = f.as.log.filter((e) => e.ok).map((e) => e.token);
    for (const r of results) for (const t of r.tokens) assert.ok(issued.includes(t), `${t} was issued`);
    const { text } = await everything(f.conn.client);
    assert.ok(text.includes("RT-"), "Redis holds the session");
    for (const secret of [CLIENT_SECRET, PASSWORD]) assert.ok(!text.includes(secret), "no client secret or password in Redis");
    await f.close();
  });

  test(`${kind}: processes sharing a client_credentials token request one per expiry between them`, async () => {
    const f = await fleet(kind, { grant: "client_credentials" });
    const results = await Promise.all(f.run(4, 6_000).map((m) => m.result));
    for (const r of results) assert.deepEqual(r.errors, {}, `process ${r.pid}: ${r.firstError}`);
    onePerExpiry(f.as, "client_credentials");
    assert.ok(!(await everything(f.conn.client)).text.includes(CLIENT_SECRET));
    await f.close();
  });

  test(`${kind}: Redis restarted under load (append-only file on): the session survives, nobody is logged out`, async (t) => {
    const f = await fleet(kind);
    const machines = f.run(4, 10_000);
    // Down from shortly before an expiry until after it: the token must be renewed while
    // Redis is away.
    await until("a refresh", () => f.as.granted("refresh_token").length >= 1);
    await sleep(MIN_GAP_MS);
    await redis.stop();
    await sleep(1_500);
    await redis.start();
    const check = await connect(kind, redis.port);
    const records = (await everything(check.client)).keys.filter((k) => !k.endsWith(":lock"));
    assert.equal(records.length, 1, "the session came back with Redis (append-only file)");
    await check.close();
    const results = await Promise.all(machines.map((m) => m.result));
    let failed = 0;
    for (const r of results) {
      const { storage = 0, ...others } = r.errors;
      assert.deepEqual(others, {}, `process ${r.pid}: only storage errors while Redis was down (${r.lastError})`);
      assert.ok(storage < r.calls / 4, `process ${r.pid}: ${storage} storage errors of ${r.calls} calls`);
      if (storage) assert.match(r.firstError, /the refresh token is not sent without the storage's lock/);
      failed += storage;
    }
    // node-redis queues commands while it reconnects (a 1.5 s restart fits in the 2 s command
    // bound: the renewal waits for Redis); ioredis fails them sooner (kind "storage").
    t.diagnostic(`calls failed with kind storage while Redis was down: ${failed}`);
    assert.deepEqual(f.as.reused(), []);
    assert.deepEqual(f.as.log.filter((e) => !e.ok), []);
    assert.ok(f.as.granted("refresh_token").at(-1).at > Date.now() - 4_000, "refreshes went on after the restart");
    await f.close();
  });
}

test("redis: the lock holder killed (SIGKILL) mid-refresh, before the server answered: another takes over once its lease ran out", async () => {
  let victim = null;
  let release;
  const f = await fleet("redis", {
    hold: (r) => {
      if (r.grant !== "refresh_token" || victim) return null;
      victim = r.pid;
      return new Promise((resolve) => (release = resolve));
    },
  });
  const machines = f.run(4, 8_000);
  await until("a refresh on the wire", () => victim !== null);
  process.kill(victim, "SIGKILL");
  await sleep(200);
  release();
  const results = await Promise.all(machines.map((m) => m.result));
  const survivors = results.filter((r) => !r.killed);
  assert.equal(survivors.length, 3);
  for (const r of survivors) assert.deepEqual(r.errors, {}, `process ${r.pid}: ${r.firstError}`);
  assert.ok(f.as.log.some((e) => e.dropped && e.pid === victim), "the killed holder's refresh was never answered");
  assert.deepEqual(f.as.reused(), []);
  assert.ok(f.as.granted("refresh_token").length >= 2, "the others refreshed after the lease ran out");
  await f.close();
});

test("redis: a holder paused (SIGSTOP) past its lease, its answer older than the rotation another made meanwhile, cannot write it over the newer one", async () => {
  // A server that accepts the refresh token before the latest for 10 s (as Auth0's reuse
  // interval and Okta's grace period do): the paused holder and the one that took over both
  // get an answer, and only the newer one is current.
  let paused = null;
  const f = await fleet("redis", {
    graceMs: 10_000,
    hold: (r) => {
      if (r.grant !== "refresh_token" || paused) return null;
      paused = r.pid;
      process.kill(paused, "SIGSTOP"); // answered while it cannot read the answer
      return null;
    },
  });
  const machines = f.run(3, 9_000);
  try {
    await until("the paused holder's refresh", () => paused !== null);
    await until("another process refreshed in its stead", () => f.as.granted("refresh_token").length >= 2, 8_000);
    await sleep(300);
  } finally {
    if (paused) process.kill(paused, "SIGCONT");
  }
  const results = await Promise.all(machines.map((m) => m.result));
  for (const r of results) assert.deepEqual(r.errors.oauth ?? 0, 0, `process ${r.pid}: ${r.firstError}`);
  for (const r of results) {
    const { storage = 0, ...others } = r.errors;
    assert.deepEqual(others, {}, `process ${r.pid}: ${r.lastError}`);
  }
  // The paused holder's answer (the first refresh) never became the stored session: every
  // refresh after the takeover presented the newer line's token.
  const [first, second, ...rest] = f.as.granted("refresh_token");
  assert.equal(second.presented, first.presented, "the takeover presented the token the paused holder had");
  for (const e of rest) assert.notEqual(e.presented, `RT-${first.token.slice(3)}`, "the paused holder's rotation was not stored over the newer one");
  assert.deepEqual(f.as.log.filter((e) => !e.ok), [], "no refresh was refused: nobody was logged out");
  await f.close();
});

test("ioredis: Redis unreachable at start — a call settles within its bound (a token, or kind \"storage\"), then the session is shared once Redis is up", async () => {
  await redis.stop();
  const { default: Redis } = await import("ioredis");
  const client = new Redis({ host: "127.0.0.1", port: redis.port, retryStrategy: () => 100, maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  const as = await tokenServer({ lifetime: 60 });
  const store = redisStorage({ redis: client, commandTimeoutMs: 500 });
  const manager = new TokenManager({ client: fleetClient(as.url), grant: { grantType: "client_credentials" }, storage: store });
  try {
    const t0 = Date.now();
    const first = await manager.getAccessToken().then((t) => ({ t }), (e) => ({ e }));
    assert.ok(Date.now() - t0 < 5_000, "bounded");
    // A client_credentials token rotates nothing: it may be had without the store.
    if (first.e) assert.equal(first.e.kind, "storage", first.e.message);
  } finally {
    await redis.start();
  }
  await until("the client reconnected", () => client.status === "ready");
  const token = await manager.getAccessToken();
  const other = new TokenManager({ client: fleetClient(as.url), grant: { grantType: "client_credentials" }, storage: redisStorage({ redis: client }) });
  await until("the token is stored in Redis", async () => (await other.getAccessToken()) === token);
  client.disconnect();
  await as.close();
});
