// A resource server on loopback that accepts DPoP-bound tokens only (RFC 9449 §7), for the
// DPoP tests in Node and in browsers: it asks for a nonce first (401 with a DPoP challenge
// and DPoP-Nonce), then verifies each proof with jose — signature, typ, htm, htu, ath, the
// nonce it gave (a new one with every success) — and the key's thumbprint against the token's cnf.jkt, which it asks
// oidc-provider for (introspection, as the confidential client). CORS open, for pages.
import { createServer } from "node:http";
import { webcrypto } from "node:crypto";
import * as jose from "jose";

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE",
  "access-control-allow-headers": "Authorization, DPoP, Content-Type",
  "access-control-expose-headers": "WWW-Authenticate, DPoP-Nonce",
};

/**
 * `introspection`: the confidential client that may introspect the tokens (tokenEndpoint,
 * introspectionEndpoint, clientId, clientSecret); `introspectToken`: the package's, as the
 * test imported it.
 */
export async function startResource(introspection, introspectToken) {
  const seen = [];
  let nonce = 0;
  const server = createServer(async (req, res) => {
    if (req.method === "OPTIONS") return res.writeHead(204, CORS).end();
    const url = `http://127.0.0.1:${server.address().port}${req.url}`;
    const [scheme, token] = (req.headers.authorization ?? "").split(" ");
    const proof = req.headers.dpop;
    const entry = { method: req.method, url, scheme, proof };
    seen.push(entry);
    const deny = (why, extra = {}) => {
      entry.denied = why;
      res.writeHead(401, { ...CORS, "www-authenticate": `DPoP error="${why}", algs="ES256"`, ...extra }).end();
    };
    try {
      if (scheme !== "DPoP" || !proof) return deny("invalid_token");
      const header = jose.decodeProtectedHeader(proof);
      const { payload } = await jose.jwtVerify(proof, await jose.importJWK(header.jwk, "ES256"), { typ: "dpop+jwt" });
      if (!payload.nonce || payload.nonce !== `r-${nonce}`) return deny("use_dpop_nonce", { "dpop-nonce": `r-${++nonce}` });
      const check = (ok, what) => {
        if (!ok) throw new Error(what);
      };
      check(payload.htm === req.method, `htm ${payload.htm} for ${req.method}`);
      check(payload.htu === url.split("?")[0], `htu ${payload.htu} for ${url}`);
      const ath = Buffer.from(await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode(token))).toString("base64url");
      check(payload.ath === ath, "ath");
      const about = await introspectToken(introspection, token);
      check(about.active === true, "an active token");
      check(about.raw.cnf?.jkt === (await jose.calculateJwkThumbprint(header.jwk)), "the key the token is bound to");
      entry.jkt = about.raw.cnf.jkt;
      // A new nonce with every success (RFC 9449 §9): a client that keeps it needs no 401.
      res.writeHead(200, { ...CORS, "content-type": "application/json", "dpop-nonce": `r-${++nonce}` }).end(JSON.stringify({ ok: true }));
    } catch (e) {
      entry.error = String(e);
      deny("invalid_dpop_proof");
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}
