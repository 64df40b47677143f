// The benchmark's token endpoint, in its own process so the client's CPU time is the
// client's alone. Loopback only, keep-alive.
//   POST /token  → 200, a fixed client_credentials answer
//   POST /error  → 400 invalid_client (an RFC 6749 §5.2 error body)
//   GET  /api    → 200 a small JSON body, if the request carries "Authorization: Bearer …"
//                  (the resource an app calls with its token: manager.fetch's row)
//   GET  other   → the repository's files (the Chromium pages, js/, pkg/web/, bench/.out/), so
//                  the pages and their token endpoint share one origin and need no CORS.
// Started with fork(); sends { port } once listening; answers "stats" with the request counts
// and its own CPU time, so the runner can check that every timed call reached the server.
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { serveStatic } from "../www/static.mjs";

const TOKEN = JSON.stringify({ access_token: "b".repeat(40), token_type: "Bearer", expires_in: 3600, scope: "read" });
const ERROR = JSON.stringify({ error: "invalid_client", error_description: "Client authentication failed" });
const counts = { token: 0, error: 0, api: 0, other: 0 };
const API = JSON.stringify({ items: [1, 2, 3] });
const files = serveStatic(fileURLToPath(new URL("..", import.meta.url)));

function answer(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  res.end(body);
}

const server = createServer((req, res) => {
  const path = req.url.split("?")[0];
  if (req.method === "POST" && (path === "/token" || path === "/error")) {
    req.resume();
    req.on("end", () => {
      if (path === "/token") {
        counts.token++;
        answer(res, 200, TOKEN);
      } else {
        counts.error++;
        answer(res, 400, ERROR);
      }
    });
    return;
  }
  if (req.method === "GET" && path === "/api") {
    counts.api++;
    return answer(res, /^Bearer \S+$/.test(req.headers.authorization ?? "") ? 200 : 401, API);
  }
  counts.other++;
  files(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("message", (msg) => {
  if (msg === "stats") process.send({ stats: { ...counts, cpu: process.cpuUsage() } });
});
process.on("disconnect", () => process.exit(0));
