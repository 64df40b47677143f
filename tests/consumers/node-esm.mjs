// A Node ES module consumer of the packed package: `import` from "oauth2-wasm" (the `node`
// + `import` condition) and "oauth2-wasm/file-store". Usage: node node-esm.mjs <AutoGrab token endpoint>
// Prints one line of JSON; exits 1 on a failure.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildTokenRequest, requestToken, parseTokenResponse, TokenManager, OAuthError } from "oauth2-wasm";
import lib from "oauth2-wasm";
import { fileStorage } from "oauth2-wasm/file-store";

const endpoint = process.argv[2];
const client = { tokenEndpoint: endpoint, clientId: "autograb-client", clientSecret: "autograb-secret" };
const grant = { grantType: "client_credentials" };

const request = buildTokenRequest(client, grant);
const tokens = await requestToken(client, grant);

let refusal;
try {
  await requestToken({ ...client, clientSecret: "wrong" }, grant);
} catch (err) {
  refusal = { isOAuthError: err instanceof OAuthError, isError: err instanceof Error, kind: err.kind, status: err.status, error: err.error };
}

const dir = await mkdtemp(join(tmpdir(), "oauth2-wasm-consumer-"));
let manager;
try {
  const file = join(dir, "tokens.json");
  const m = new TokenManager({ client, grant, storage: fileStorage(file) });
  const accessToken = await m.getAccessToken();
  manager = { sameAsStored: m.getTokens()?.accessToken === accessToken, fileMode: ((await stat(file)).mode & 0o777).toString(8) };
  await m.logout();
  m.free();
} finally {
  await rm(dir, { recursive: true, force: true });
}

console.log(JSON.stringify({
  consumer: "node-esm",
  resolved: fileURLToPath(import.meta.resolve("oauth2-wasm")),
  defaultExportIsSameInstance: lib.buildTokenRequest === buildTokenRequest && lib.OAuthError === OAuthError,
  hasParseTokenResponse: typeof parseTokenResponse === "function",
  request: { url: request.url, method: request.method, headers: request.headers, body: request.body },
  token: { tokenType: tokens.tokenType, expiresIn: tokens.expiresIn, accessTokenLength: tokens.accessToken.length, quirks: tokens.quirks },
  refusal,
  manager,
}));
