// Server metadata discovery (issue 15, DESIGN §2c) through the packed package: against
// oidc-provider (it serves only OpenID Connect's document: the RFC 8414 URL answers 404 and
// discover falls back), and against a server of our own with only RFC 8414's document under
// an issuer with a path, a document naming another issuer, and one that is not JSON.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { clientFromMetadata, discover, requestToken, OAuthError } from "oauth2-wasm";
import { startServers } from "../support/servers.mjs";
import { rejection } from "./helpers.mjs";

let servers;
let own;
const seen = [];
before(async () => {
  servers = await startServers();
  // Answers GETs from a table: path → [status, body].
  const table = new Map();
  own = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const [status, body] = table.get(req.url) ?? [404, "not found"];
    res.writeHead(status, { "content-type": "application/json" }).end(typeof body === "string" ? body : JSON.stringify(body));
  });
  await new Promise((resolve) => own.listen(0, "127.0.0.1", resolve));
  own.base = `http://127.0.0.1:${own.address().port}`;
  own.table = table;
});
after(() => {
  own?.close();
  return servers?.close();
});

test("issue 15: discover() against oidc-provider — RFC 8414's URL answers 404, OpenID Connect's document is used", async () => {
  const oidc = servers.urls.oidc;
  const m = await discover(oidc.issuer);
  assert.equal(m.issuer, oidc.issuer);
  assert.equal(m.tokenEndpoint, oidc.tokenEndpoint);
  assert.equal(m.authorizationEndpoint, oidc.authorizationEndpoint);
  assert.equal(m.revocationEndpoint, oidc.revocationEndpoint);
  assert.equal(m.introspectionEndpoint, oidc.introspectionEndpoint);
  assert.ok(m.codeChallengeMethodsSupported.includes("S256"));
  assert.ok(m.tokenEndpointAuthMethodsSupported.includes("client_secret_basic"));
  assert.equal(m.authorizationResponseIssParameterSupported, true);
  assert.equal(m.raw.issuer, oidc.issuer, "the whole document is in raw");
  // The client it gives works as it is: client_credentials with Basic, then revocation.
  const client = clientFromMetadata(m, { clientId: oidc.clientId, clientSecret: oidc.clientSecret });
  assert.equal(client.clientAuth, "basic");
  assert.equal(client.issuer, oidc.issuer);
  assert.equal(client.requireIss, true, "oidc-provider says it always sends iss (RFC 9207): callbacks without it are refused");
  const tokens = await requestToken(client, { grantType: "client_credentials" });
  assert.ok(tokens.accessToken);
  const spa = clientFromMetadata(m, { clientId: oidc.spaClientId, timeoutMs: 5000 });
  assert.equal(spa.clientAuth, "none", "no secret: none, which the server lists");
  assert.equal(spa.timeoutMs, 5000, "the caller's options stay");
});

test("issue 15: discover() with only RFC 8414's document, under an issuer with a path (the well-known segment inserted before it)", async () => {
  const issuer = `${own.base}/tenant/a`;
  own.table.set("/.well-known/oauth-authorization-server/tenant/a", [200, {
    issuer, token_endpoint: `${issuer}/token`, token_endpoint_auth_methods_supported: ["client_secret_post"], custom: { x: 1 },
  }]);
  seen.length = 0;
  const m = await discover(issuer);
  assert.deepEqual(seen, ["GET /.well-known/oauth-authorization-server/tenant/a"], "one request, RFC 8414's");
  assert.equal(m.tokenEndpoint, `${issuer}/token`);
  assert.deepEqual(m.raw.custom, { x: 1 });
  assert.equal(m.authorizationEndpoint, undefined);
  assert.equal(clientFromMetadata(m, { clientId: "c", clientSecret: "s" }).clientAuth, "body");
});

test("issue 15: discover() refuses another issuer's document, a document that is not JSON, and a server with neither", async () => {
  const issuer = `${own.base}/b`;
  own.table.set("/b/.well-known/openid-configuration", [200, { issuer: `${own.base}/evil`, token_endpoint: `${own.base}/token` }]);
  const mismatch = await rejection(discover(issuer));
  assert.ok(mismatch instanceof OAuthError);
  assert.equal(mismatch.kind, "invalid_response");
  assert.match(mismatch.message, /issuer/);
  own.table.set("/.well-known/oauth-authorization-server/c", [200, "<html>hi</html>"]);
  assert.equal((await rejection(discover(`${own.base}/c`))).kind, "invalid_response");
  const none = await rejection(discover(`${own.base}/d`));
  assert.equal(none.kind, "http");
  assert.equal(none.status, 404);
  own.table.set("/.well-known/oauth-authorization-server/e", [503, "busy"]);
  assert.equal((await rejection(discover(`${own.base}/e`))).status, 503, "a 503 is not a reason to try the other document");
  for (const [bad, options] of [["https://as.example/?q=1"], ["http://as.example"], [42], [own.base, { timeoutMs: -1 }]]) {
    const e = await rejection(discover(bad, options));
    assert.equal(e.kind, "config", String(bad));
  }
  // A remote http issuer with allowInsecureHttp goes to the network (nothing answers there).
  const e = await rejection(discover("http://example.invalid/", { allowInsecureHttp: true, timeoutMs: 2000 }));
  assert.notEqual(e.kind, "config");
});

test("issue 15: discover() against the demo server's RFC 8414 document: a public client gets clientAuth none", async () => {
  const { startTokenServer } = await import("../../www/token-server.mjs");
  const demo = await startTokenServer();
  try {
    const m = await discover(demo.url);
    assert.equal(m.authorizationEndpoint, `${demo.url}/authorize`);
    assert.equal(m.authorizationResponseIssParameterSupported, true);
    const client = clientFromMetadata(m, { clientId: "demo-app" });
    assert.equal(client.clientAuth, "none");
    assert.equal(client.issuer, demo.url);
    const slash = await rejection(discover(`${demo.url}/`));
    assert.equal(slash.kind, "invalid_response", "the issuer is compared exactly: a trailing slash is another issuer");
  } finally {
    await demo.close();
  }
});
