// A real redis-server on loopback for the tests (Debian's, installed by scripts/setup.sh):
// started on a free port with its own directory and the append-only file on, stopped,
// restarted on the same port and data, and the two clients the store supports.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A port nobody listens on now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Starts redis-server; `stop()` and `start()` again keep the port and the data (AOF). */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "oauth2-wasm-redis-"));
  let child = null;
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes",
        "--appendfsync", "always", "--save", "", "--protected-mode", "yes"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${out}`)), 10_000);
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes("Ready to accept connections")) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`redis-server exited (${code}):\n${out}`));
        });
        child.on("error", (e) => {
          clearTimeout(timer);
          reject(new Error(`redis-server could not be started (${e.message}); scripts/setup.sh installs it`));
        });
      });
      child.removeAllListeners("exit");
      child.stdout.resume();
    },
    /** SIGSTOP / SIGCONT: a Redis that takes connections and answers nothing. */
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    /** SIGTERM: Redis writes what it holds and exits. */
    async stop() {
      if (!child) return;
      const c = child;
      child = null;
      await new Promise((resolve) => {
        const timer = setTimeout(() => c.kill("SIGKILL"), 5_000);
        c.on("exit", () => (clearTimeout(timer), resolve()));
        c.kill("SIGTERM");
      });
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** A connected client of the named package ("redis" or "ioredis") that reconnects quickly. */
export async function connect(kind, port) {
  if (kind === "ioredis") {
    const { default: Redis } = await import("ioredis");
    const client = new Redis({ host: "127.0.0.1", port, retryStrategy: (n) => Math.min(n * 50, 300), maxRetriesPerRequest: 2 });
    client.on("error", () => {});
    await new Promise((resolve) => (client.status === "ready" ? resolve() : client.once("ready", resolve)));
    return { client, close: () => client.disconnect() };
  }
  const { createClient } = await import("redis");
  const client = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: (n) => Math.min(n * 50, 300) } });
  client.on("error", () => {});
  await client.connect();
  return { client, close: () => client.destroy?.() ?? client.disconnect() };
}

/** One command with either client. */
export const command = (client, ...args) =>
  typeof client.call === "function" ? client.call(...args) : client.sendCommand(args.map(String));
