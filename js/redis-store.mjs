// A TokenManager storage adapter on Redis, for many machines sharing one session:
//
//   import { createClient } from "redis";            // or: import Redis from "ioredis";
//   import { TokenManager } from "oauth2-wasm";
//   import { redisStorage } from "oauth2-wasm/redis-store";
//   const redis = createClient({ url: process.env.REDIS_URL });
//   await redis.connect();
//   const manager = new TokenManager({ client, grant, storage: redisStorage({ redis }) });
//
// The lock is a lease: `SET NX PX` with a random token, renewed while its holder runs and let
// go by a compare-and-delete script, so a holder that crashed blocks the others for at most
// `lockTtlMs`. Writes are fenced: a holder whose lease ran out (it paused: a stopped VM, a
// long GC) cannot write at all, and a write made without a lease is applied only if no newer
// record (by `obtainedAt`, when its tokens were requested) is stored. Every command is
// bounded in time; a Redis error or a command left unanswered rejects, and the manager
// reports it as kind "storage" and keeps what it holds in memory.
//
// Keys: the record `<prefix><storage key>` (a hash: value, version), its lease
// `<prefix><storage key>:lock`, and a short-lived `…:staged:<uuid>` while a write is applied.
// Redis holds the token records (access and refresh tokens, never a client secret, password
// or private key): give it a password or an ACL and keep it off public networks.

import { randomUUID } from "node:crypto";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// KEYS: the record, the staged value, the lease; ARGV: the version, the lease's token ("" when
// the writer holds no lease). Refused (0) when the writer's lease is no longer its own — it
// paused past it and another machine may have rotated since — or a newer version is stored;
// -1 when the staged value is gone. The value travels in a plain SET to the staging key, not
// as a script argument: clients trace and attach the arguments of EVAL to their errors.
const WRITE = `local function done(r) redis.call('DEL', KEYS[2]) return r end
if ARGV[2] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[2] then return done(2) end
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if v and v > tonumber(ARGV[1]) then return done(0) end
local value = redis.call('GET', KEYS[2])
if not value then return -1 end
redis.call('HSET', KEYS[1], 'value', value, 'version', ARGV[1])
return done(1)`;
// KEYS[1] the lease; ARGV: token, ttl. Extended only while it is still ours.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
// KEYS[1] the lease; ARGV: token. Deleted only while it is still ours.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
// Node's timers fire at once beyond this.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * @param {object} options
 * @param {object} options.redis a connected client of `redis` (node-redis 4+) or `ioredis`
 * @param {string} [options.prefix] put before every key (default none: the manager's keys
 *   already start with "oauth2-wasm:")
 * @param {number} [options.lockTtlMs] the lease (default 10 s), renewed every third of it
 *   while held: how long a crashed holder keeps the others waiting
 * @param {number} [options.lockTimeoutMs] how long `lock` waits for another holder (default
 *   35 s: a token request's default time limit and the manager's grace)
 * @param {number} [options.commandTimeoutMs] how long one Redis command may take (default 2 s)
 */
export function redisStorage({ redis, prefix = "", lockTtlMs = 10_000, lockTimeoutMs = 35_000, commandTimeoutMs = 2_000 } = {}) {
  const positive = (name, ms) => {
    if (!Number.isFinite(ms) || ms <= 0) throw new TypeError(`redisStorage: ${name} must be a positive number of ms`);
    return Math.min(Math.ceil(ms), MAX_TIMER_MS);
  };
  lockTtlMs = positive("lockTtlMs", lockTtlMs);
  lockTimeoutMs = positive("lockTimeoutMs", lockTimeoutMs);
  commandTimeoutMs = positive("commandTimeoutMs", commandTimeoutMs);
  const send = sender(redis, commandTimeoutMs);
  /** The leases this process holds, by lock name (= the record's key): its writes are fenced by them. */
  const held = new Map();
  const leaseKey = (name) => `${prefix}${name}:lock`;

  /**
   * One command, answered within `commandTimeoutMs` or rejected. The client's own error is
   * not passed on: some attach the command's arguments to it.
   */
  function command(...args) {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer ${args[0]} within ${commandTimeoutMs} ms`)), commandTimeoutMs);
    });
    const answer = Promise.resolve()
      .then(() => send(args.map(String)))
      .catch((e) => {
        throw new Error(`Redis ${args[0]} failed: ${e?.message ?? e}`);
      });
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  }

  /** A reply of the expected type, or a TypeError naming the command (an unsupported client). */
  const expect = (what, reply, ok) => {
    if (!ok(reply)) throw new TypeError(`redisStorage: Redis ${what} answered ${typeof reply}; use a node-redis 4+ or ioredis client with string replies`);
    return reply;
  };

  return {
    async get(key) {
      const value = await command("HGET", prefix + key, "value");
      return expect("HGET", value ?? null, (v) => v === null || typeof v === "string");
    },
    async set(key, value) {
      const staged = `${prefix}${key}:staged:${randomUUID()}`;
      await command("SET", staged, value, "PX", 60_000);
      const applied = Number(await command("EVAL", WRITE, 3, prefix + key, staged, leaseKey(key), versionOf(value), held.get(key) ?? ""));
      if (applied === 1) return;
      if (applied === 2) throw new Error(`this machine's lease on ${key} ran out before it wrote (it paused?); another may have rotated the tokens since: not written`);
      if (applied === 0) throw new Error(`a newer record is stored under ${key} (another machine's rotation); this older one was not written over it`);
      throw new Error(`the value to write under ${key} expired in Redis before it was applied`);
    },
    async remove(key) {
      await command("DEL", prefix + key);
    },
    async lock(name, fn) {
      const key = leaseKey(name);
      const token = randomUUID();
      const deadline = Date.now() + lockTimeoutMs;
      let delay = 5;
      const take = () =>
        command("SET", key, token, "NX", "PX", lockTtlMs).then(
          (reply) => expect("SET NX", reply, (r) => r === "OK" || r === null || r === undefined),
          (e) => {
            // Unanswered in time, it may still be carried out when Redis answers again (the
            // client queues it): let go of that lease right after it, on the same connection.
            command("EVAL", RELEASE, 1, key, token).catch(() => {});
            throw e;
          },
        );
      while ((await take()) !== "OK") {
        if (Date.now() + delay > deadline) throw new Error(`could not take the Redis lock ${key} within ${lockTimeoutMs} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, 100);
      }
      // Renewed while held; a renewal that fails leaves the lease to run out (writes are
      // fenced by it: a holder past its lease cannot undo a newer rotation).
      const renewal = setInterval(() => command("EVAL", RENEW, 1, key, token, lockTtlMs).catch(() => {}), Math.max(1, Math.floor(lockTtlMs / 3)));
      renewal.unref?.();
      held.set(name, token);
      try {
        return await fn();
      } finally {
        if (held.get(name) === token) held.delete(name);
        clearInterval(renewal);
        await command("EVAL", RELEASE, 1, key, token).catch(() => {});
      }
    },
  };
}

/**
 * A record's version: when its tokens were requested (`obtainedAt`, ms), which a newer
 * rotation always exceeds. A value that is not a record has version 0.
 */
function versionOf(value) {
  try {
    const at = JSON.parse(value)?.obtainedAt;
    return Number.isSafeInteger(at) && at > 0 ? at : 0;
  } catch {
    return 0;
  }
}

/**
 * How to send one command with this client: ioredis's `call`; node-redis's `sendCommand`,
 * with its own timeout so a command still queued when it expires is never sent.
 */
function sender(redis, timeout) {
  if (typeof redis?.call === "function") return (args) => redis.call(...args);
  if (typeof redis?.sendCommand === "function") return (args) => redis.sendCommand(args, { timeout });
  throw new TypeError("redisStorage: `redis` must be a client of the redis (node-redis 4+) or ioredis package");
}
