// oauth2-wasm through its public API: requestToken. "oauth2-wasm" is the package itself —
// in Node it resolves (self-reference, the "node" condition) to js/index.mjs over pkg/node;
// the Chromium page maps it to js/browser.mjs over pkg/web.
import { requestToken } from "oauth2-wasm";
import { refusal } from "./refusal.mjs";

export function create({ tokenEndpoint, errorEndpoint, clientId, clientSecret, scope, fetch }) {
  const grant = { grantType: "client_credentials", scope };
  const client = { tokenEndpoint, clientId, clientSecret, acknowledgeBrowserSecrets: true };
  const failing = { ...client, tokenEndpoint: errorEndpoint };
  const options = fetch ? { fetch } : undefined;
  return {
    token: async () => (await requestToken(client, grant, options)).accessToken,
    error: () => refusal(() => requestToken(failing, grant, options), (err) => err.error),
  };
}
