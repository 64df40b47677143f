// client-oauth2 (Node; popsicle over node:http) through its public API:
// credentials.getToken(). Its documented second constructor argument replaces the transport.
import ClientOAuth2 from "client-oauth2";
import { refusal } from "./refusal.mjs";

export function create({ tokenEndpoint, errorEndpoint, clientId, clientSecret, scope, request }) {
  const make = (url) => new ClientOAuth2({ clientId, clientSecret, accessTokenUri: url, scopes: [scope] }, request);
  const ok = make(tokenEndpoint);
  const failing = make(errorEndpoint);
  return {
    token: async () => (await ok.credentials.getToken()).accessToken,
    error: () => refusal(() => failing.credentials.getToken(), (err) => err.body?.error),
  };
}
