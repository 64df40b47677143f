// A loopback server that misbehaves on purpose, one fault per path, for the transport tests.
// Every answer but /nocors carries CORS headers so browser pages can see it.

import { createServer } from "node:http";

// Browsers hide Retry-After, Date and WWW-Authenticate from scripts unless exposed.
const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "Retry-After, Date, WWW-Authenticate",
};
const CHUNK = 64 * 1024;
const HUGE_CHUNKS = 800; // 50 MiB
const PREFIX = '{"access_token":"';
const HUGE_LENGTH = PREFIX.length + HUGE_CHUNKS * CHUNK + 2;

/** Starts the fault server; resolves to `{ url, close() }`. `redirectTo` is where /redirect points. */
export async function startFaultServer({ redirectTo }) {
  const hanging = new Set();
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (req.method === "OPTIONS") {
      if (path === "/nocors") return res.writeHead(204).end();
      res.writeHead(204, {
        ...CORS,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
      });
      return res.end();
    }
    req.resume();
    req.on("end", () => route(path, req, res));
  });
  const route = (path, req, res) => {
    const json = (status, body, headers = {}) => {
      res.writeHead(status, { "Content-Type": "application/json", ...CORS, ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    switch (path) {
      case "/token":
        return json(200, { access_token: "fault-server-token", token_type: "Bearer", expires_in: 60 });
      case "/nocors":
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(JSON.stringify({ access_token: "nocors-token", token_type: "Bearer" }));
      case "/late": // the token after 100 ms
        return setTimeout(() => json(200, { access_token: "late-token", token_type: "Bearer", expires_in: 60 }), 100);
      case "/hang":
        hanging.add(res);
        return res.on("close", () => hanging.delete(res));
      case "/slow-body":
        res.writeHead(200, { "Content-Type": "application/json", ...CORS });
        res.write('{"access_token":"slow');
        hanging.add(res);
        return res.on("close", () => hanging.delete(res));
      case "/reset":
        res.writeHead(200, { "Content-Type": "application/json", ...CORS });
        res.write('{"access_token":"reset-token-secret","tok');
        return setTimeout(() => req.socket.destroy(), 20);
      case "/html502":
        res.writeHead(502, { "Content-Type": "text/html", ...CORS });
        return res.end("<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>");
      case "/empty500":
        res.writeHead(500, CORS);
        return res.end();
      case "/ratelimit":
        return json(429, undefined, { "Retry-After": "30" });
      case "/huge":
      case "/huge-length": {
        const headers = { "Content-Type": "application/json", ...CORS };
        if (path === "/huge-length") headers["Content-Length"] = String(HUGE_LENGTH);
        res.writeHead(200, headers);
        return pump(res);
      }
      case "/redirect":
        res.writeHead(307, { Location: redirectTo, ...CORS });
        return res.end();
      default:
        res.writeHead(404, CORS);
        return res.end();
    }
  };
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a 50 MiB JSON token, with backpressure, until done or the client leaves. */
function pump(res) {
  const chunk = Buffer.alloc(CHUNK, "a");
  let sent = 0;
  let closed = false;
  res.on("close", () => (closed = true));
  res.write(PREFIX);
  const more = () => {
    while (!closed && sent < HUGE_CHUNKS) {
      sent++;
      if (!res.write(chunk)) return res.once("drain", more);
    }
    if (!closed) res.end('"}');
  };
  more();
}

/** A loopback URL where nothing listens: bind a port, then free it. */
export async function refusedUrl() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/token`;
}
