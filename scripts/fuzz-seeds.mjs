// Seeds the fuzz corpora from the conformance vectors: every documented and quirky
// response (status + header flags + body), every client/grant pair, and stored records.
//   node scripts/fuzz-seeds.mjs DIR     writes DIR/<target>/seed-N
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const vectors = JSON.parse(readFileSync(new URL("../tests/vectors/conformance.json", import.meta.url), "utf8"));
const write = (target, i, bytes) => {
  mkdirSync(join(dir, target), { recursive: true });
  writeFileSync(join(dir, target, `seed-${i}`), bytes);
};

vectors.responses.forEach((v, i) => {
  const ct = String(v.headers["Content-Type"] ?? v.headers["content-type"] ?? "").toLowerCase();
  const flags = (ct.includes("json") ? 0 : ct.includes("html") ? 1 : ct ? 2 : 4) | (v.headers["Retry-After"] ? 8 : 0)
    | (v.headers.Date ? 16 : 0) | (v.strict ? 32 : 0);
  write("parse_response", i, Buffer.concat([Buffer.from([v.status & 255, v.status >> 8, flags]), Buffer.from(v.body)]));
});
vectors.requests.forEach((v, i) => write("build_request", i, `${JSON.stringify(v.client)}\u001f${JSON.stringify(v.grant)}`));
// JWT client authentication (the key's facts, as the driver hands them in) and a DPoP public key.
const jwtClient = { tokenEndpoint: "https://as.example/token", clientId: "app", clientAuth: "private_key_jwt", keyId: "k1" };
[[{ ...jwtClient, privateKey: { kty: "RSA", private: true } }, { grantType: "client_credentials" }],
  [{ ...jwtClient, privateKey: { name: "ECDSA", crv: "P-256", private: true }, signingAlg: "ES256" }, { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }],
  [{ ...jwtClient, clientAuth: "client_secret_jwt", clientSecret: "s", clientAssertion: "a.b.c" }, { grantType: "client_credentials" }]]
  .forEach(([client, grant], i) => write("build_request", `jwt-${i}`, `${JSON.stringify(client)}\u001f${JSON.stringify(grant)}`));
const record = (extra) => JSON.stringify({ v: 1, kind: "oauth2-wasm/token", endpoint: "https://www.autovit.ro/api/open/oauth/token",
  clientId: "123", accessToken: "4df20e702bfaeee96ecd6cbbc4ff384c166f5567", tokenType: "bearer", obtainedAt: 1700000000000, ...extra });
[record({ expiresAt: 1700043200000, refreshToken: "3901415998eb583aedabd027b93578df25ef93c6", scope: "adverts-write read" }),
  record({}), record({ v: 2 }), "{corrupt", JSON.stringify({ theme: "dark" })].forEach((r, i) => write("decode_record", i, r));
// Renewal schedules: a mode byte, then (operation, argument) pairs — calls in every tab,
// steps, the clock past expiry, late writes arriving, a login and a logout.
[[0, 0, 0, 0, 1, 0, 2, 5, 200, 2, 0, 1, 1, 2, 1, 6, 0, 6, 1, 6, 2, 2, 0, 2, 1, 2, 1],
  [1, 5, 100, 0, 0, 0, 1, 0, 2, 2, 0, 2, 0, 2, 0, 2, 1, 2, 1, 2, 2, 2, 2],
  [2, 5, 100, 0, 0, 2, 0, 7, 1, 15, 2, 5, 250, 0, 1, 2, 1, 2, 1, 2, 1, 6, 0, 0, 0, 2, 0, 2, 0],
  // Found by the fuzzer: a late notice of a sibling's logout, older than this tab's login.
  [6, 0, 0, 0, 2, 2, 0, 7, 1, 15, 2, 5, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 0, 0, 0, 8, 2, 1, 10, 1, 6, 2, 197, 0, 1, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 102, 0, 0, 0, 8, 2, 1, 10, 1, 6, 2, 1, 0, 0, 0]]
  .forEach((bytes, i) => write("session", i, Buffer.from(bytes)));
// Callbacks, a stored transaction and metadata, separated by \u001f.
const tx = JSON.stringify({ kind: "oauth2-wasm/authorization", state: "st-1", verifier: "v".repeat(43), redirectUri: "https://app.example/cb", startedAt: 1700000000000 });
[`https://app.example/cb?code=c1&state=st-1&iss=https%3A%2F%2Fas.example\u001f${tx}\u001f${JSON.stringify({ issuer: "https://as.example", token_endpoint: "https://as.example/token" })}`,
  "https://app.example/cb?error=access_denied&state=st-1\u001f{}\u001f{}",
  "https://app.example/other?code=c&code=d&state=x"].forEach((s, i) => write("authorization", i, s));
