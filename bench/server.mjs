// The benchmark's token endpoint, in its own process so the client's CPU time is the
// client's alone: a fixed client_credentials answer, keep-alive, loopback only.
import { createServer } from "node:http";

const body = JSON.stringify({ access_token: "b".repeat(40), token_type: "Bearer", expires_in: 3600, scope: "read" });
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("disconnect", () => process.exit(0));
