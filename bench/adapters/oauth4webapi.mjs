// oauth4webapi through its public API: clientCredentialsGrantRequest +
// processClientCredentialsResponse, ClientSecretBasic. Loopback http needs allowInsecureRequests.
import * as oauth from "oauth4webapi";
import { refusal } from "./refusal.mjs";

export function create({ tokenEndpoint, errorEndpoint, clientId, clientSecret, scope, fetch }) {
  const client = { client_id: clientId };
  const auth = oauth.ClientSecretBasic(clientSecret);
  const options = { [oauth.allowInsecureRequests]: true };
  if (fetch) options[oauth.customFetch] = fetch;
  const server = (url) => ({ issuer: new URL(url).origin, token_endpoint: url });
  const ok = server(tokenEndpoint);
  const failing = server(errorEndpoint);
  const post = async (as) => {
    const res = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope }), options);
    return oauth.processClientCredentialsResponse(as, client, res);
  };
  return {
    token: async () => (await post(ok)).access_token,
    error: () => refusal(() => post(failing), (err) => err.error),
  };
}
