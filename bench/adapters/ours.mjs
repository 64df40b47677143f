// oauth2-wasm through its public API: requestToken. "oauth2-wasm" is the package itself —
// in Node it resolves (self-reference, the "node" condition) to js/index.mjs over pkg/node;
// the Chromium page maps it to js/browser.mjs over pkg/web.
import { requestToken } from "oauth2-wasm";

export function create({ tokenEndpoint, errorEndpoint, clientId, clientSecret, scope, fetch }) {
  const grant = { grantType: "client_credentials", scope };
  const client = { tokenEndpoint, clientId, clientSecret, acknowledgeBrowserSecrets: true };
  const failing = { ...client, tokenEndpoint: errorEndpoint };
  const options = fetch ? { fetch } : undefined;
  return {
    token: async () => (await requestToken(client, grant, options)).accessToken,
    async error() {
      try {
        await requestToken(failing, grant, options);
      } catch (err) {
        return err.error;
      }
      throw new Error("expected an error response");
    },
  };
}
