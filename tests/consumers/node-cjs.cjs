// A Node CommonJS consumer of the packed package: `require("oauth2-wasm")` (the `node` +
// `require` condition). Usage: node node-cjs.cjs <AutoGrab token endpoint>
// Prints one line of JSON; exits 1 on a failure.
"use strict";
const { buildTokenRequest, requestToken, OAuthError } = require("oauth2-wasm");

async function main() {
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
  // import() of the same name from CommonJS gets the same instance (one OAuthError class).
  const esm = await import("oauth2-wasm");
  console.log(JSON.stringify({
    consumer: "node-cjs",
    resolved: require.resolve("oauth2-wasm"),
    importIsSameInstance: esm.OAuthError === OAuthError && esm.requestToken === requestToken,
    request: { url: request.url, method: request.method, headers: request.headers, body: request.body },
    token: { tokenType: tokens.tokenType, expiresIn: tokens.expiresIn, accessTokenLength: tokens.accessToken.length, quirks: tokens.quirks },
    refusal,
  }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
