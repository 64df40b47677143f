// @badgateway/oauth2-client through its public API: OAuth2Client.clientCredentials().
import { OAuth2Client } from "@badgateway/oauth2-client";
import { refusal } from "./refusal.mjs";

export function create({ tokenEndpoint, errorEndpoint, clientId, clientSecret, scope, fetch }) {
  const make = (url) => new OAuth2Client({ server: new URL(url).origin, tokenEndpoint: new URL(url).pathname, clientId, clientSecret, ...(fetch && { fetch }) });
  const ok = make(tokenEndpoint);
  const failing = make(errorEndpoint);
  return {
    token: async () => (await ok.clientCredentials({ scope: [scope] })).accessToken,
    error: () => refusal(() => failing.clientCredentials({ scope: [scope] }), (err) => err.oauth2Code),
  };
}
