import type { StorageAdapter } from "./index.js";

/**
 * A TokenManager storage adapter for Node: one JSON file (created 0600) holds the records,
 * and a lock file next to it makes processes sharing the file refresh once between them.
 */
export function fileStorage(
  path: string,
  options?: { lockTimeoutMs?: number; staleLockMs?: number },
): StorageAdapter;
