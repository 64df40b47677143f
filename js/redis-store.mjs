// A TokenManager storage adapter on Redis, for many machines sharing one session:
//
//   import { createClient } from "redis";            // or: import Redis from "ioredis";
//   import { TokenManager } from "oauth2-wasm";
//   import { redisStorage } from "oauth2-wasm/redis-store";
//   const redis = await createClient({ url: process.env.REDIS_URL }).connect();
//   const manager = new TokenManager({ client, grant, storage: redisStorage({ redis }) });
//
// The lock is a lease: `SET NX PX` with a random token, renewed while its holder runs and let
// go by a compare-and-delete script, so a holder that crashed blocks the others for at most
// `lockTtlMs`. A holder that paused past its lease (a stopped VM, a long GC) cannot write an
// older session over a newer rotation: each record is stored with its version (the time its
// tokens were requested, `obtainedAt`) and a write is applied only if nothing newer is there.
// Every command is bounded in time; a Redis error or a command left unanswered rejects, and
// the manager reports it as kind "storage" and keeps what it holds in memory.
//
// Redis holds the token records (access and refresh tokens, never a client secret, password
// or private key): give it a password and keep it off public networks.

import { randomUUID } from "node:crypto";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// KEYS[1] the record; ARGV: value, version. Applied unless a newer version is stored.
const WRITE = `local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if v and v > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'version', ARGV[2])
return 1`;
// KEYS[1] the lease; ARGV: token, ttl. Extended only while it is still ours.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
// KEYS[1] the lease; ARGV: token. Deleted only while it is still ours.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

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
  const send = sender(redis);
  const positive = (name, ms) => {
    if (!Number.isFinite(ms) || ms <= 0) throw new TypeError(`redisStorage: ${name} must be a positive number of ms`);
    return Math.ceil(ms);
  };
  lockTtlMs = positive("lockTtlMs", lockTtlMs);
  lockTimeoutMs = positive("lockTimeoutMs", lockTimeoutMs);
  commandTimeoutMs = positive("commandTimeoutMs", commandTimeoutMs);

  /** One command, answered within `commandTimeoutMs` or rejected. */
  function command(...args) {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer ${args[0]} within ${commandTimeoutMs} ms`)), commandTimeoutMs);
    });
    return Promise.race([send(args.map(String)), late]).finally(() => clearTimeout(timer));
  }

  return {
    async get(key) {
      return (await command("HGET", prefix + key, "value")) ?? null;
    },
    async set(key, value) {
      const applied = await command("EVAL", WRITE, 1, prefix + key, value, versionOf(value));
      if (Number(applied) !== 1) {
        throw new Error(`a newer record is stored under ${key} (another machine's rotation); this older one was not written over it`);
      }
    },
    async remove(key) {
      await command("DEL", prefix + key);
    },
    async lock(name, fn) {
      const key = `${prefix}lock:${name}`;
      const token = randomUUID();
      const deadline = Date.now() + lockTimeoutMs;
      let delay = 5;
      const take = () =>
        command("SET", key, token, "NX", "PX", lockTtlMs).catch((e) => {
          // Unanswered in time, it may still be carried out when Redis answers again (the
          // client queues it): let go of that lease right after it, on the same connection.
          command("EVAL", RELEASE, 1, key, token).catch(() => {});
          throw e;
        });
      while ((await take()) !== "OK") {
        if (Date.now() + delay > deadline) throw new Error(`could not take the Redis lock ${key} within ${lockTimeoutMs} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, 100);
      }
      // Renewed while held; a renewal that fails leaves the lease to run out (the writes
      // are compare-and-set, so a holder past its lease cannot undo a newer rotation).
      const renewal = setInterval(() => command("EVAL", RENEW, 1, key, token, lockTtlMs).catch(() => {}), Math.max(1, Math.floor(lockTtlMs / 3)));
      renewal.unref?.();
      try {
        return await fn();
      } finally {
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

/** How to send one command with this client: ioredis's `call`, node-redis's `sendCommand`. */
function sender(redis) {
  if (typeof redis?.call === "function") return (args) => redis.call(...args);
  if (typeof redis?.sendCommand === "function") return (args) => redis.sendCommand(args);
  throw new TypeError("redisStorage: `redis` must be a client of the redis (node-redis 4+) or ioredis package");
}
