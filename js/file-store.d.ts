import type { StorageAdapter } from "./index.js";

/**
 * A TokenManager storage adapter for Node: one JSON file (created 0600) holds the records,
 * and a lock file next to it makes processes sharing the file refresh once between them.
 * `lockTimeoutMs` (default 90 s) bounds the wait for another process; a lock whose holder
 * stopped its heartbeat for `staleLockMs` (default 60 s) is taken over.
 */
export function fileStorage(
  path: string,
  options?: { lockTimeoutMs?: number; staleLockMs?: number },
): StorageAdapter;
