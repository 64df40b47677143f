// The main job for now: the four providers of the seed documents, each in a few lines,
// against the local token server — build the request, send it with fetch, parse the answer.
// Run by `npm start`, which builds and packs the package first.

import { buildTokenRequest, parseTokenResponse, OAuthError } from "oauth2-wasm";
import { startTokenServer, PROVIDERS } from "./token-server.mjs";

const server = await startTokenServer();
const at = (path) => server.url + path;
const { olx, socialid, autograb, teenquotes } = PROVIDERS;

const cases = [
  ["OLX/autovit password grant, HTTP Basic",
    { tokenEndpoint: at(olx.path), clientId: 123, clientSecret: olx.clientSecret },
    { grantType: "password", username: olx.username, password: olx.password }],
  ["OLX/autovit partner grant, credentials in the body",
    { tokenEndpoint: at(olx.path), clientId: 123, clientSecret: olx.clientSecret, clientAuth: "body" },
    { grantType: "partner", partnerCode: olx.partnerCode, partnerSecret: olx.partnerSecret }],
  ["OLX/autovit partner grant with a wrong partner secret",
    { tokenEndpoint: at(olx.path), clientId: 123, clientSecret: olx.clientSecret, clientAuth: "body" },
    { grantType: "partner", partnerCode: olx.partnerCode, partnerSecret: "wrong" }],
  ["Social ID password grant by e-mail address",
    { tokenEndpoint: at(socialid.path), clientId: 138, clientSecret: socialid.clientSecret },
    { grantType: "password", emailAddress: socialid.emailAddress, password: socialid.password }],
  ["AutoGrab client_credentials",
    { tokenEndpoint: at(autograb.path), clientId: autograb.clientId, clientSecret: autograb.clientSecret },
    { grantType: "client_credentials" }],
  ["Teen Quotes client_credentials, JSON body",
    { tokenEndpoint: at(teenquotes.path), clientId: "42", clientSecret: teenquotes.clientSecret,
      clientAuth: "body", bodyEncoding: "json" },
    { grantType: "client_credentials" }],
];

const short = (s) => (s ? `${s.slice(0, 8)}…` : s);
let failures = 0;
try {
  for (const [title, client, grant] of cases) {
    console.log(`\n== ${title}`);
    const req = buildTokenRequest(client, grant);
    console.log(`${req.method} ${req.url}`);
    const sentAt = Date.now();
    const res = await fetch(req.url, req);
    try {
      const tokens = parseTokenResponse(res.status, await res.text(), { now: sentAt, headers: res.headers });
      console.log(`token ${short(tokens.accessToken)} (${tokens.tokenType}), expires in ${tokens.expiresIn} s` +
        ` at ${new Date(tokens.expiresAt).toISOString()}` +
        (tokens.refreshToken ? `, refresh token ${short(tokens.refreshToken)}` : "") +
        (tokens.scope !== undefined ? `, scope "${tokens.scope}"` : "") +
        (tokens.quirks.length ? `, quirks: ${tokens.quirks.join(", ")}` : ""));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      console.log(`OAuthError kind=${err.kind} status=${err.status} error=${err.error}`);
      console.log(`  message: ${err.message}`);
      if (err.humanTitle !== undefined) console.log(`  human title: ${err.humanTitle}`);
      if (err.hint) console.log(`  hint: ${err.hint}`);
      if (!title.includes("wrong")) failures++;
    }
  }
} finally {
  await server.close();
}
console.log(failures ? `\n${failures} unexpected failure(s)` : "\nall providers answered as documented");
process.exitCode = failures ? 1 : 0;
