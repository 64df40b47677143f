// The www demo: the page and the local demo token server on one origin, 127.0.0.1 only.
//
//   node www/serve.mjs [port]      (npm start builds and packs the package first)
//
// The page loads the package from www/node_modules/oauth2-wasm (what `npm pack` makes).

import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { createTokenHandler } from "./token-server.mjs";
import { serveStatic } from "./static.mjs";

/** Starts the demo; resolves to `{ url, tokenRequests, close() }`. */
export async function startDemo({ port = 0 } = {}) {
  const tokens = createTokenHandler({ demo: true });
  const files = serveStatic(fileURLToPath(new URL(".", import.meta.url)));
  const server = createServer((req, res) =>
    tokens.handles(new URL(req.url, "http://x").pathname) ? tokens(req, res) : files(req, res),
  );
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    tokenRequests: tokens.requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const wanted = Number(process.argv[2] || process.env.PORT || 8787);
  const demo = await startDemo({ port: wanted }).catch((err) => {
    if (err.code !== "EADDRINUSE") throw err;
    return startDemo({ port: 0 }); // the usual port is taken: any free one
  });
  console.log(`oauth2-wasm demo: ${demo.url}  (Ctrl-C to stop)`);
  const stop = () => demo.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
