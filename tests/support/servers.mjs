// Every server the transport tests talk to, on 127.0.0.1 with ephemeral ports:
// the four providers (www/token-server.mjs), the fault server, a refused port,
// oidc-provider and oauth2-mock-server, and a control server that mints oidc-provider
// refresh tokens for tests that cannot reach Node (wasm in browsers).
//
//   node tests/support/servers.mjs FILE   writes the URLs as JSON to FILE, serves until
//                                         SIGTERM/SIGINT or 20 minutes, whichever is first
//   import { startServers } from "./servers.mjs"   for Node tests

import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import { startTokenServer } from "../../www/token-server.mjs";
import { startFaultServer, refusedUrl } from "./faults.mjs";
import { startOidcProvider, startMockServer } from "./independent.mjs";

export async function startServers() {
  const providers = await startTokenServer();
  const faults = await startFaultServer({ redirectTo: `${providers.url}/redirected-here` });
  const oidc = await startOidcProvider();
  const mock = await startMockServer();
  const control = createServer(async (req, res) => {
    const cors = { "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store" };
    if (new URL(req.url, "http://x").pathname !== "/oidc/refresh-token") return res.writeHead(404, cors).end();
    try {
      const refreshToken = await oidc.mintRefreshToken();
      res.writeHead(200, { "Content-Type": "application/json", ...cors }).end(JSON.stringify({ refreshToken }));
    } catch (e) {
      res.writeHead(500, cors).end(String(e));
    }
  });
  await new Promise((resolve) => control.listen(0, "127.0.0.1", resolve));
  const urls = {
    providers: providers.url,
    faults: faults.url,
    refused: await refusedUrl(),
    oidc: {
      tokenEndpoint: oidc.tokenEndpoint,
      revocationEndpoint: oidc.revocationEndpoint,
      introspectionEndpoint: oidc.introspectionEndpoint,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      issuer: oidc.issuer,
      authorizationEndpoint: oidc.authorizationEndpoint,
      spaClientId: oidc.spaClientId,
      jwtClient: oidc.jwtClient,
      hsClient: oidc.hsClient,
    },
    mock: { tokenEndpoint: mock.tokenEndpoint },
    control: `http://127.0.0.1:${control.address().port}`,
  };
  return {
    urls,
    providers,
    oidc,
    mock,
    close: async () => {
      control.closeAllConnections();
      await Promise.all([
        providers.close(),
        faults.close(),
        oidc.close(),
        mock.close(),
        new Promise((resolve) => control.close(resolve)),
      ]);
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const servers = await startServers();
  writeFileSync(process.argv[2], JSON.stringify(servers.urls, null, 2));
  const stop = async () => {
    clearTimeout(limit);
    await servers.close();
    process.exit(0);
  };
  const limit = setTimeout(stop, 20 * 60 * 1000);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
