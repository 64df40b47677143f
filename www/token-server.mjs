// A local token server that behaves like the four providers of the seed documents:
// OLX/autovit (password and partner grants), Social ID (password with username or
// email_address), AutoGrab (client_credentials) and Teen Quotes (JSON body, `expires`).
// It listens on 127.0.0.1 only, on an ephemeral port unless told otherwise, and answers
// CORS preflights so browser pages can call it.
//
//   node www/token-server.mjs [port]     prints the base URL and serves until killed
//   import { startTokenServer } from "./token-server.mjs"   for tests and examples

import { createServer } from "node:http";
import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";

/** The credentials each provider accepts: the values of its document. */
export const PROVIDERS = {
  olx: {
    path: "/api/open/oauth/token",
    clientId: "123",
    clientSecret: "02468abcdef",
    username: "user@sneaky.domain",
    password: "gimmeaccess",
    partnerCode: "partner-name",
    partnerSecret: "secret-code",
  },
  socialid: {
    path: "/v2/marketing/oauth/token",
    clientId: "138",
    clientSecret: "e8b9ca24f1b590af67e6271297d6e1f7226625d61c5b5daa1b2f215464e292cf",
    username: "john_doe",
    emailAddress: "john_doe@domain.com",
    password: "john_doe_secret",
  },
  autograb: { path: "/request-token", clientId: "autograb-client", clientSecret: "autograb-secret" },
  teenquotes: { path: "/oauth", clientId: "42", clientSecret: "IZgwaBTZ2EdtT3hT7UzG2rLQ8S0Vmu9GDxeHwcPz" },
};

const MAX_BODY = 64 * 1024;
const token = () => randomBytes(20).toString("hex");

/**
 * The providers as a request handler `(req, res) => void`, with `.requests` (what it
 * received) and `.handles(path)`. With `demo: true` (the www demo only) a request header
 * `X-Demo-Lifetime: <seconds>` shortens the lifetime of the tokens it issues, so refreshes
 * can be watched.
 */
export function createTokenHandler({ demo = false } = {}) {
  const requests = [];
  const refreshTokens = new Map(); // refresh token -> provider
  const serve = (req, res) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const lifetime = Number(req.headers["x-demo-lifetime"]);
      if (demo && Number.isInteger(lifetime) && lifetime >= 5 && lifetime <= 86400) res.demoLifetime = lifetime;
      handle(req, res, body, refreshTokens);
    });
  };
  serve.requests = requests;
  serve.handles = (path) =>
    [REVOKE_PATH, INTROSPECT_PATH, ...Object.values(APP)].includes(path) || Object.values(PROVIDERS).some((p) => p.path === path);
  return serve;
}

/** Starts the server; resolves to `{ url, port, requests, close() }`. */
export async function startTokenServer({ port = 0 } = {}) {
  const serve = createTokenHandler();
  const server = createServer(serve);
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests: serve.requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function send(res, status, obj, headers = {}) {
  if (res.demoLifetime && obj?.expires_in !== undefined) {
    obj = { ...obj, expires_in: res.demoLifetime };
    if (obj.expires !== undefined) obj.expires = Math.floor(Date.now() / 1000) + res.demoLifetime;
  }
  const text = obj === undefined ? "" : JSON.stringify(obj, null, 4);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Access-Control-Allow-Origin": "*",
    // Browsers hide these from scripts unless exposed (Date dates Teen Quotes' `expires`).
    "Access-Control-Expose-Headers": "Retry-After, Date, WWW-Authenticate, DPoP-Nonce",
    ...headers,
  });
  res.end(text);
}

/** The client credentials of a request: from HTTP Basic (form-decoded) or the body. */
function clientOf(req, params) {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Basic ")) {
    const plain = Buffer.from(auth.slice(6), "base64").toString("utf8");
    const colon = plain.indexOf(":");
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, " "));
    try {
      return { id: dec(plain.slice(0, colon)), secret: dec(plain.slice(colon + 1)), via: "basic" };
    } catch {
      return { id: plain.slice(0, colon), secret: plain.slice(colon + 1), via: "basic" };
    }
  }
  if (params.client_id !== undefined) {
    return { id: String(params.client_id), secret: params.client_secret, via: "body" };
  }
  return null;
}

function paramsOf(req, body) {
  const type = (req.headers["content-type"] || "").split(";")[0].trim().toLowerCase();
  if (type === "application/json") {
    try {
      const parsed = JSON.parse(body);
      return parsed && typeof parsed === "object" ? parsed : null;
    } catch {
      return null;
    }
  }
  if (type === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(body));
  return null;
}

function handle(req, res, body, refreshTokens) {
  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "POST",
      "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, X-Demo-Lifetime, DPoP",
      "Access-Control-Max-Age": "600",
    });
    return res.end();
  }
  const url = new URL(req.url, "http://x");
  const path = url.pathname;
  if (path === APP.metadata && req.method === "GET") return metadata(req, res);
  if (path === APP.authorize && req.method === "GET") return authorizePage(req, res, url.searchParams);
  if (path === APP.token && req.method === "POST") return appToken(req, res, paramsOf(req, body) ?? {}, refreshTokens);
  if (path === REVOKE_PATH && req.method === "POST") return revoke(req, res, body, refreshTokens);
  if (path === INTROSPECT_PATH && req.method === "POST") return introspect(req, res, body, refreshTokens);
  const name = Object.keys(PROVIDERS).find((n) => PROVIDERS[n].path === path);
  if (!name) {
    res.writeHead(404, { "Content-Type": "text/html", "Access-Control-Allow-Origin": "*" });
    return res.end("<html><body><h1>404 Not Found</h1></body></html>");
  }
  if (req.method !== "POST") return send(res, 405, { error: "invalid_request", error_description: "POST only" });
  const params = paramsOf(req, body);
  if (!params) return send(res, 400, { error: "invalid_request", error_description: "Unreadable body" });
  const p = PROVIDERS[name];
  const client = clientOf(req, params);
  const clientOk = client && client.id === p.clientId && client.secret === p.clientSecret;
  return ({ olx, socialid, autograb, teenquotes })[name](res, params, client, clientOk, p, refreshTokens);
}

// ---- An app that signs users in: the authorization-code flow with PKCE (RFC 6749 §4.1,
// RFC 7636, RFC 9207), a consent page, and RFC 8414 metadata. The issuer is the server's
// own origin. A public client: no secret.

/** The paths of the authorization-code app. */
export const APP = { authorize: "/authorize", token: "/token", metadata: "/.well-known/oauth-authorization-server" };
export const APP_CLIENT_ID = "demo-app";
const codes = new Map(); // code -> { redirectUri, challenge, scope, expires }

const issuerOf = (req) => `http://${req.headers.host}`;

function metadata(req, res) {
  const issuer = issuerOf(req);
  send(res, 200, {
    issuer,
    authorization_endpoint: issuer + APP.authorize,
    token_endpoint: issuer + APP.token,
    revocation_endpoint: issuer + REVOKE_PATH,
    introspection_endpoint: issuer + INTROSPECT_PATH,
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none"],
    dpop_signing_alg_values_supported: ["ES256"],
    authorization_response_iss_parameter_supported: true,
  });
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * GET /authorize: the consent page; with `decision=allow|deny` (the user's click), the
 * redirect back with a code or access_denied, `state` and `iss`. A bad client or redirect
 * URI is shown here, never redirected to.
 */
function authorizePage(req, res, q) {
  const page = (status, html) => {
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(`<!doctype html><meta charset="utf-8"><title>Demo authorization server</title><body style="font:16px system-ui;margin:3em">${html}</body>`);
  };
  const redirectUri = q.get("redirect_uri") ?? "";
  let target;
  try {
    target = new URL(redirectUri);
  } catch {}
  if (q.get("client_id") !== APP_CLIENT_ID) return page(400, `<h1>Unknown client</h1><p>client_id must be ${APP_CLIENT_ID}.</p>`);
  if (!target || !["localhost", "127.0.0.1", "[::1]"].includes(target.hostname) || target.hash) {
    return page(400, "<h1>Refused</h1><p>redirect_uri must be an http(s) URL on a loopback host, without a fragment.</p>");
  }
  const back = (params) => {
    for (const [k, v] of Object.entries({ ...params, state: q.get("state"), iss: issuerOf(req) })) if (v != null) target.searchParams.set(k, v);
    res.writeHead(302, { Location: target.href, "Cache-Control": "no-store" }).end();
  };
  const challenge = q.get("code_challenge") ?? "";
  if (q.get("response_type") !== "code") return back({ error: "unsupported_response_type" });
  if (q.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
    return back({ error: "invalid_request", error_description: "PKCE with S256 is required" });
  }
  const decision = q.get("decision");
  if (decision === "deny") return back({ error: "access_denied", error_description: "The user did not allow it" });
  if (decision === "allow") {
    const code = token();
    codes.set(code, { redirectUri, challenge, scope: q.get("scope") ?? "", expires: Date.now() + 60_000 });
    return back({ code });
  }
  const link = (choice) => {
    const u = new URLSearchParams(q);
    u.set("decision", choice);
    return `${APP.authorize}?${escapeHtml(u.toString())}`;
  };
  page(200, `<h1>Sign in to the demo app?</h1>
<p><b>${escapeHtml(APP_CLIENT_ID)}</b> asks for: <code>${escapeHtml(q.get("scope") || "(no scope)")}</code></p>
<p>It will get an authorization code at <code>${escapeHtml(target.origin + target.pathname)}</code>, which it exchanges with its PKCE verifier.</p>
<p><a id="allow" href="${link("allow")}">Allow</a> &nbsp; <a id="deny" href="${link("deny")}">Deny</a></p>`);
}

// DPoP (RFC 9449) at the app's token endpoint: a proof is checked (ES256, typ, htm, htu,
// iat, the server's nonce — asked for with use_dpop_nonce), and the tokens it gets are bound
// to its key: a refresh token bound to a key is refused with another.
const DPOP_NONCE = randomBytes(16).toString("base64url");
const boundTo = new Map(); // refresh token -> the key's thumbprint

/** The proof's key thumbprint (RFC 7638), `null` without a proof; `false` once it has answered an error. */
function dpopProof(req, res) {
  const proof = req.headers.dpop;
  if (proof === undefined) return null;
  const refuse = (error, description, headers = {}) => {
    send(res, 400, { error, error_description: description }, headers);
    return false;
  };
  try {
    const [h, c, sig] = String(proof).split(".");
    const header = JSON.parse(Buffer.from(h, "base64url"));
    const claims = JSON.parse(Buffer.from(c, "base64url"));
    const { kty, crv, x, y } = header.jwk ?? {};
    if (header.typ !== "dpop+jwt" || header.alg !== "ES256" || kty !== "EC" || crv !== "P-256") return refuse("invalid_dpop_proof", "an ES256 dpop+jwt with its public jwk");
    const key = createPublicKey({ key: { kty, crv, x, y }, format: "jwk" });
    const ok = verify("sha256", Buffer.from(`${h}.${c}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(sig, "base64url"));
    if (!ok) return refuse("invalid_dpop_proof", "the signature does not verify");
    const htu = `http://${req.headers.host}${new URL(req.url, "http://x").pathname}`;
    if (claims.htm !== req.method || claims.htu !== htu) return refuse("invalid_dpop_proof", "htm or htu does not match the request");
    if (Math.abs(claims.iat - Date.now() / 1000) > 60) return refuse("invalid_dpop_proof", "iat is not now");
    if (claims.nonce !== DPOP_NONCE) return refuse("use_dpop_nonce", "the server's nonce is required", { "DPoP-Nonce": DPOP_NONCE });
    const canonical = JSON.stringify({ crv, kty, x, y });
    return createHash("sha256").update(canonical).digest("base64url");
  } catch {
    return refuse("invalid_dpop_proof", "unreadable proof");
  }
}

/** POST /token for the app: the code (once, with the verifier of its challenge), then refreshes. */
function appToken(req, res, params, refreshTokens) {
  const jkt = dpopProof(req, res);
  if (jkt === false) return;
  const tokens = (scope) => {
    const set = issue(refreshTokens, "app", (refresh) => ({ token_type: jkt ? "DPoP" : "Bearer", expires_in: 3600, refresh_token: refresh, scope }));
    if (jkt) boundTo.set(set.refresh_token, jkt);
    return send(res, 200, set);
  };
  const refused = (description) => send(res, 400, { error: "invalid_grant", error_description: description });
  if (params.client_id !== APP_CLIENT_ID) return send(res, 401, { error: "invalid_client", error_description: `client_id must be ${APP_CLIENT_ID}` });
  if (params.grant_type === "refresh_token") {
    const bound = boundTo.get(params.refresh_token);
    if (bound && bound !== jkt) return refused("The refresh token is bound to another DPoP key");
    if (!useRefresh(refreshTokens, "app", params.refresh_token)) return refused("Unknown or used refresh token");
    boundTo.delete(params.refresh_token);
    return tokens(undefined);
  }
  if (params.grant_type !== "authorization_code") return send(res, 400, { error: "unsupported_grant_type" });
  const grant = codes.get(params.code);
  codes.delete(params.code); // a code works once
  if (!grant || grant.expires < Date.now()) return refused("Unknown, used or expired code");
  if (params.redirect_uri !== grant.redirectUri) return refused("redirect_uri differs from the authorization request's");
  const verifier = String(params.code_verifier ?? "");
  if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) return refused("PKCE verification failed");
  return tokens(grant.scope || undefined);
}

/** The revocation endpoint (RFC 7009) of every provider here. */
export const REVOKE_PATH = "/revoke";

/** The introspection endpoint (RFC 7662) of every provider here. */
export const INTROSPECT_PATH = "/introspect";

/** The provider whose client authenticates a revocation or introspection request, or null. */
function authenticated(req, params) {
  const client = clientOf(req, params);
  return (
    Object.keys(PROVIDERS).find(
      (n) => client && String(PROVIDERS[n].clientId) === client.id && PROVIDERS[n].clientSecret === client.secret,
    ) ?? null
  );
}

/**
 * The parameters of a revocation or introspection request and the provider whose client
 * authenticates it; `null` once it has answered an error.
 */
function aboutToken(req, res, body) {
  const params = paramsOf(req, body);
  if (!params || typeof params.token !== "string") {
    send(res, 400, { error: "invalid_request", error_description: "token is required" });
    return null;
  }
  const name = authenticated(req, params);
  if (!name) {
    send(res, 401, { error: "invalid_client" }, { "WWW-Authenticate": 'Basic realm="demo"' });
    return null;
  }
  return { params, name };
}

/** Whether a refresh token of the client's is live (access tokens are not tracked here). */
function introspect(req, res, body, refreshTokens) {
  const asked = aboutToken(req, res, body);
  if (!asked) return;
  const { params, name } = asked;
  if (refreshTokens.get(params.token) !== name) return send(res, 200, { active: false });
  return send(res, 200, { active: true, client_id: String(PROVIDERS[name].clientId), token_type: "refresh_token" });
}

/**
 * Revokes a refresh token of the provider whose client authenticates (its credentials, in
 * Basic or the body, as for its token endpoint): it is refused from then on. Access tokens
 * are not tracked here, so revoking one changes nothing; an unknown token is no error.
 */
function revoke(req, res, body, refreshTokens) {
  const asked = aboutToken(req, res, body);
  if (!asked) return;
  const { params, name } = asked;
  const hint = params.token_type_hint;
  if (hint !== undefined && hint !== "refresh_token" && hint !== "access_token") {
    return send(res, 400, { error: "unsupported_token_type" });
  }
  if (refreshTokens.get(params.token) === name) refreshTokens.delete(params.token);
  res.writeHead(200, { "Access-Control-Allow-Origin": "*" });
  return res.end();
}

function issue(refreshTokens, provider, fields) {
  const refresh = token();
  refreshTokens.set(refresh, provider);
  return { access_token: token(), ...fields(refresh) };
}

function useRefresh(refreshTokens, provider, value) {
  if (refreshTokens.get(value) !== provider) return false;
  refreshTokens.delete(value); // rotation: a refresh token works once
  return true;
}

function olx(res, params, client, clientOk, p, refreshTokens) {
  const human = (description) => ({
    error: "invalid_grant",
    error_description: description,
    error_human_title: "Niepoprawna wartość",
    error_human_message: "",
  });
  if (!clientOk) return send(res, 400, { ...human("Invalid client credentials"), error: "invalid_client" });
  const ok = () =>
    send(res, 200, issue(refreshTokens, "olx", (refresh) => ({
      token_type: "bearer",
      expires_in: 43200,
      refresh_token: refresh,
      scope: "adverts-write read",
    })));
  switch (params.grant_type) {
    case "password":
      return params.username === p.username && params.password === p.password
        ? ok()
        : send(res, 400, human("Invalid user credentials"));
    case "partner":
      return params.partner_code === p.partnerCode && params.partner_secret === p.partnerSecret
        ? ok()
        : send(res, 400, human("Invalid partner credentials parameter"));
    case "refresh_token":
      return useRefresh(refreshTokens, "olx", params.refresh_token)
        ? ok()
        : send(res, 400, human("Invalid refresh token"));
    default:
      return send(res, 400, { error: "unsupported_grant_type", error_description: "Allowed grant types: password, partner" });
  }
}

function socialid(res, params, client, clientOk, p, refreshTokens) {
  if (!clientOk) {
    return send(res, 401, { error: "invalid_client", error_description: "The request authentication is invalid" });
  }
  if (params.grant_type !== "password") {
    return send(res, 400, { error: "unsupported_grant_type", error_description: "The informed grant type is not supported." });
  }
  const ids = [params.username, params.email_address].filter((v) => v !== undefined);
  if (ids.length !== 1 || !params.password) {
    return send(res, 400, {
      error: "invalid_request",
      error_description: "A required parameter was not informed (grant_type, username/email_address, password).",
    });
  }
  const known = params.username === p.username || params.email_address === p.emailAddress;
  if (!known || params.password !== p.password) {
    return send(res, 400, { error: "invalid_grant", error_description: "Invalid user credentials." });
  }
  return send(res, 200, issue(refreshTokens, "socialid", (refresh) => ({
    expires_in: 604800,
    token_type: "bearer",
    refresh_token: refresh,
  })));
}

function autograb(res, params, client, clientOk) {
  if (!clientOk || client.via !== "basic") {
    return send(res, 401, { error: "invalid_client", error_description: "Client authentication failed" });
  }
  if (params.grant_type !== "client_credentials") {
    return send(res, 400, { error: "unsupported_grant_type", error_description: "client_credentials only" });
  }
  return send(res, 200, { access_token: token(), expires_in: 3599, scope: "", token_type: "bearer" });
}

function teenquotes(res, params, client, clientOk, p, refreshTokens) {
  if (!clientOk) return send(res, 401, { error: "invalid_client", error_description: "Client authentication failed" });
  const ok = () =>
    send(res, 200, issue(refreshTokens, "teenquotes", (refresh) => ({
      token_type: "bearer",
      expires: Math.floor(Date.now() / 1000) + 604800,
      expires_in: 604800,
      refresh_token: refresh,
    })));
  switch (params.grant_type) {
    case "client_credentials":
      return ok();
    case "refresh_token":
      return useRefresh(refreshTokens, "teenquotes", params.refresh_token)
        ? ok()
        : send(res, 400, { error: "invalid_refresh", error_description: "The refresh token is invalid." });
    default:
      return send(res, 501, {
        error: "unsupported_grant_type",
        error_description: `The authorization grant type "${params.grant_type}" is not supported by the authorization server`,
      });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startTokenServer({ port: Number(process.argv[2] || 0) });
  console.log(`token server on ${server.url}`);
}
