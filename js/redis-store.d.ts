import type { StorageAdapter } from "./index.js";

/**
 * What the store needs of a client: ioredis's `call(command, ...args)`, or node-redis's
 * `sendCommand(args, options)` (a single-instance client; not a cluster or sentinel client).
 */
export type RedisCommandClient =
  | { call(command: string, ...args: (string | number)[]): Promise<unknown> }
  | { sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown> };

/** Options of {@link redisStorage}. */
export interface RedisStorageOptions {
  /** A connected client of `redis` (node-redis 4 or later) or of `ioredis`. */
  redis: RedisCommandClient;
  /** Put before every key. Default none (the manager's keys start with "oauth2-wasm:"). */
  prefix?: string;
  /**
   * The lock's lease (default 10 s), renewed every third of it while held: how long a holder
   * that crashed keeps the other machines waiting.
   */
  lockTtlMs?: number;
  /** How long `lock` waits for another machine's lease (default 35 s). */
  lockTimeoutMs?: number;
  /** How long one Redis command may take before it rejects (default 2 s). */
  commandTimeoutMs?: number;
}

/**
 * A TokenManager storage adapter on Redis, for managers on many machines sharing one
 * session: they refresh once between them per expiry. The lock is a lease (`SET NX PX` with
 * a random token, renewed while held, let go by compare-and-delete). Writes are fenced: a
 * holder whose lease ran out (it paused) cannot write, and a write made without a lease is
 * applied only if no newer record is stored. Redis errors and commands left unanswered
 * reject, and the manager reports them as kind "storage".
 */
export function redisStorage(options: RedisStorageOptions): StorageAdapter;
