// A fleet on one Redis, for the redis-store tests and the bench: a token server with
// short-lived tokens and rotating refresh tokens that logs every grant, and Node processes
// (each standing for a machine) calling getAccessToken() in a loop (fleet-child.mjs).
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

export const CLIENT_SECRET = "fleet-client-secret-7f3a";

/**
 * The shortest gap between two renewals that serve two expiries of tokens living
 * `lifetime` seconds: a token is renewed a tenth of its lifetime before expiry, counted from
 * when it was requested; 0.4 s absorbs a loaded machine's delays. Closer requests serve one.
 */
export const expiryGapMs = (lifetime) => lifetime * 1000 * 0.9 - 400;
export const PASSWORD = "fleet-password-91c2";

/**
 * The token server. Refresh tokens rotate: the latest is accepted, the one before it only
 * within `graceMs` of its rotation (0: never), anything else is `invalid_grant` — a token
 * presented again after its rotation is counted in `reused`. `hold(request)` may return a
 * promise the request waits for before it is decided; a request whose client went away
 * while held is dropped, undecided (the answer was never made).
 */
export async function tokenServer({ lifetime = 2, graceMs = 0, hold = () => null } = {}) {
  let serial = 0;
  let latest = null;
  let previous = null; // { token, until }
  const issued = new Set();
  const log = []; // { at (when the request arrived), grant, pid, ok, token?, presented? }
  const server = createServer(async (req, res) => {
    const arrived = Date.now();
    let body = "";
    for await (const chunk of req) body += chunk;
    const p = Object.fromEntries(new URLSearchParams(body));
    const pid = Number(req.headers["x-pid"] ?? 0);
    const request = { grant: p.grant_type, refreshToken: p.refresh_token, pid, req };
    const waitFor = hold(request);
    if (waitFor) await waitFor;
    if (!res.socket || res.socket.destroyed) {
      log.push({ at: arrived, grant: p.grant_type, pid, ok: false, dropped: true });
      return;
    }
    const answer = (status, json) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
    const basic = Buffer.from(`fleet:${CLIENT_SECRET}`).toString("base64");
    if (req.headers.authorization !== `Basic ${basic}`) return answer(401, { error: "invalid_client" });
    const now = Date.now();
    if (p.grant_type === "refresh_token") {
      const ok = p.refresh_token === latest || (previous && p.refresh_token === previous.token && now < previous.until);
      if (!ok) {
        log.push({ at: arrived, grant: p.grant_type, pid, ok: false, reused: issued.has(p.refresh_token) });
        return answer(400, { error: "invalid_grant", error_description: "refresh token is not current" });
      }
    } else if (p.grant_type === "password") {
      if (p.password !== PASSWORD) return answer(400, { error: "invalid_grant" });
    } else if (p.grant_type !== "client_credentials") {
      return answer(400, { error: "unsupported_grant_type" });
    }
    const n = ++serial;
    const json = { access_token: `AT-${n}`, token_type: "Bearer", expires_in: lifetime };
    if (p.grant_type !== "client_credentials") {
      if (p.grant_type === "refresh_token" && p.refresh_token === latest) previous = { token: latest, until: now + graceMs };
      latest = json.refresh_token = `RT-${n}`;
      issued.add(latest);
    }
    log.push({ at: arrived, grant: p.grant_type, pid, ok: true, token: json.access_token, presented: p.refresh_token });
    answer(200, json);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/token`,
    log,
    /** The log's successful grants of one type. */
    granted: (grant) => log.filter((e) => e.ok && e.grant === grant),
    /** Refresh tokens presented after their rotation (a sibling reused one). */
    reused: () => log.filter((e) => e.reused),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

/** The client every process of the fleet uses. */
export const fleetClient = (tokenEndpoint) => ({ tokenEndpoint, clientId: "fleet", clientSecret: CLIENT_SECRET, allowInsecureHttp: true });

const CHILD = fileURLToPath(new URL("./fleet-child.mjs", import.meta.url));

/**
 * Starts one process of the fleet; `result` settles with its summary ({ calls, tokens,
 * errors: { kind: count }, firstError?, lastError? }). `spec`: { kind ("redis" | "ioredis"),
 * port, endpoint, until (ms since the epoch), grant?, lockTtlMs?, every? (ms between calls),
 * lib? and store? (module URLs; default the package as this file resolves it) }.
 */
export function startMachine(spec) {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const result = new Promise((resolve, reject) => {
    const limit = setTimeout(() => child.kill("SIGKILL"), Math.max(0, spec.until - Date.now()) + 60_000);
    child.on("exit", (code, signal) => {
      clearTimeout(limit);
      if (signal) return resolve({ killed: signal });
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()));
      } catch {
        reject(new Error(`fleet process ${child.pid} ended (${code}) without a summary:\n${out}\n${err}`));
      }
    });
  });
  return { pid: child.pid, child, result };
}
