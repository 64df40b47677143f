// A TokenManager storage adapter for Node scripts: one JSON file holds the records, and a
// lock file makes several processes sharing it refresh once between them.
//
//   import { TokenManager } from "oauth2-wasm";
//   import { fileStorage } from "oauth2-wasm/file-store";
//   const manager = new TokenManager({ client, grant, storage: fileStorage("/var/cache/app/tokens.json") });
//
// The file holds tokens: keep it where only the script's user can read it (it is created 0600).

import { open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {string} path the JSON file (created on first write)
 * @param {{ lockTimeoutMs?: number, staleLockMs?: number }} [options] how long `lock` waits
 *   (default 30 s), and when a lock file left by a crashed process is taken over (60 s)
 */
export function fileStorage(path, { lockTimeoutMs = 30_000, staleLockMs = 60_000 } = {}) {
  const lockPath = `${path}.lock`;

  async function readAll() {
    try {
      const parsed = JSON.parse(await readFile(path, "utf8"));
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch (err) {
      if (err.code === "ENOENT") return {};
      throw err;
    }
  }

  // Write a temporary file, then rename it over the old one: readers never see half a file.
  async function writeAll(all) {
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, JSON.stringify(all), { mode: 0o600 });
    await rename(tmp, path);
  }

  return {
    async get(key) {
      return (await readAll())[key] ?? null;
    },
    async set(key, value) {
      const all = await readAll();
      all[key] = value;
      await writeAll(all);
    },
    async remove(key) {
      const all = await readAll();
      delete all[key];
      await writeAll(all);
    },
    async lock(name, fn) {
      const deadline = Date.now() + lockTimeoutMs;
      let delay = 5;
      for (;;) {
        try {
          const handle = await open(lockPath, "wx", 0o600);
          await handle.writeFile(`${process.pid} ${name}`);
          await handle.close();
          break;
        } catch (err) {
          if (err.code !== "EEXIST") throw err;
          const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
          if (age > staleLockMs) {
            await unlink(lockPath).catch(() => {});
            continue;
          }
          if (Date.now() > deadline) throw new Error(`could not lock ${lockPath} within ${lockTimeoutMs} ms`);
          await sleep(delay);
          delay = Math.min(delay * 2, 100);
        }
      }
      try {
        return await fn();
      } finally {
        await unlink(lockPath).catch(() => {});
      }
    },
  };
}
