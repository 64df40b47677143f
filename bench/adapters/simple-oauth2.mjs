// simple-oauth2 (Node only; wreck over node:http) through its public API:
// ClientCredentials.getToken(). It has no transport hook.
import { ClientCredentials } from "simple-oauth2";
import { refusal } from "./refusal.mjs";

export function create({ tokenEndpoint, errorEndpoint, clientId, clientSecret, scope }) {
  const make = (url) => new ClientCredentials({ client: { id: clientId, secret: clientSecret }, auth: { tokenHost: new URL(url).origin, tokenPath: new URL(url).pathname } });
  const ok = make(tokenEndpoint);
  const failing = make(errorEndpoint);
  return {
    token: async () => (await ok.getToken({ scope })).token.access_token,
    error: () => refusal(() => failing.getToken({ scope }), (err) => err.data?.payload?.error),
  };
}
