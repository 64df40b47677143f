// A TokenManager storage adapter for Node scripts: one JSON file holds the records, and a
// lock file makes several processes sharing it refresh once between them.
//
//   import { TokenManager } from "oauth2-wasm";
//   import { fileStorage } from "oauth2-wasm/file-store";
//   const manager = new TokenManager({ client, grant, storage: fileStorage("/var/cache/app/tokens.json") });
//
// The file holds tokens: keep it where only the script's user can read it (it is created 0600).

import { randomUUID } from "node:crypto";
import { open, readFile, rename, stat, unlink, utimes } from "node:fs/promises";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {string} path the JSON file (created on first write)
 * @param {{ lockTimeoutMs?: number, staleLockMs?: number }} [options] how long `lock` waits
 *   for another process (default 90 s: longer than a token request may take), and after how
 *   long without a heartbeat a lock left by a crashed process is taken over (default 60 s)
 */
export function fileStorage(path, { lockTimeoutMs = 90_000, staleLockMs = 60_000 } = {}) {
  // The records by key, in an object without a prototype: a key such as "__proto__" or
  // "constructor" is a record like any other. The file is this store's own: what is not a
  // JSON object in it (`[]`, junk, a file an editor saved with a BOM) holds no record, and
  // the next write replaces it, instead of every write being lost or failing for good.
  async function readAll() {
    const all = Object.create(null);
    let text;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if (err.code === "ENOENT") return all;
      throw err;
    }
    let parsed;
    try {
      parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch {
      return all;
    }
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      for (const [key, value] of Object.entries(parsed)) if (typeof value === "string") all[key] = value;
    }
    return all;
  }

  // Write a temporary file, then rename it over the old one: readers never see half a file.
  async function writeAll(all) {
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFileExclusive(tmp, JSON.stringify(all));
    await rename(tmp, path);
  }

  // Read-modify-write under a short lock of its own (not the refresh lock, which the
  // manager holds while it writes), so concurrent writers of other keys lose nothing.
  const update = (change) =>
    withLockFile(`${path}.write-lock`, lockTimeoutMs, staleLockMs, async () => {
      const all = await readAll();
      change(all);
      await writeAll(all);
    });

  return {
    async get(key) {
      return (await readAll())[key] ?? null;
    },
    set: (key, value) => update((all) => (all[key] = value)),
    remove: (key) => update((all) => delete all[key]),
    lock: (name, fn) => withLockFile(`${path}.lock`, lockTimeoutMs, staleLockMs, fn),
  };
}

async function writeFileExclusive(file, text) {
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

/**
 * Runs `fn` holding `lockPath`: created exclusively with a unique token, kept fresh by a
 * heartbeat while held, removed only if it still holds our token. A lock whose heartbeat
 * stopped for `staleMs` (a crashed holder) is moved aside atomically and taken over.
 */
async function withLockFile(lockPath, timeoutMs, staleMs, fn) {
  const token = randomUUID();
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    try {
      await writeFileExclusive(lockPath, token);
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
    const held = await readFile(lockPath, "utf8").catch(() => null);
    const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (held !== null && age > staleMs) {
      // Move it aside only if it is still the lock we judged stale.
      const again = await readFile(lockPath, "utf8").catch(() => null);
      if (again === held) {
        // Moved aside (atomically: one process wins), then removed: no .stale files pile up.
        const aside = `${lockPath}.${randomUUID()}.stale`;
        if (await rename(lockPath, aside).then(() => true, () => false)) await unlink(aside).catch(() => {});
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`could not lock ${lockPath} within ${timeoutMs} ms`);
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => {});
  }, Math.max(1000, Math.floor(staleMs / 3)));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    const held = await readFile(lockPath, "utf8").catch(() => null);
    if (held === token) await unlink(lockPath).catch(() => {});
  }
}
