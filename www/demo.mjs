// The demo page: presets for the four providers, the request preview (secrets masked), the
// answer (TokenSet or OAuthError with the vendor's human-readable fields), and a live view
// of the stored session kept by a TokenManager. Server text only ever goes in textContent.

import {
  TokenManager,
  buildAuthorizationUrl,
  buildTokenRequest,
  codeChallengeS256,
  generateCodeVerifier,
  generateState,
  requestToken,
  OAuthError,
} from "oauth2-wasm";

const $ = (id) => document.getElementById(id);
const here = location.origin;

const PRESETS = {
  "olx-password": {
    note: "OLX's document: the user's e-mail as username; client id and secret over HTTP Basic; 43 200 s tokens.",
    client: { tokenEndpoint: `${here}/api/open/oauth/token`, revocationEndpoint: `${here}/revoke`, clientId: 123, clientSecret: "02468abcdef" },
    grant: { grantType: "password", username: "user@sneaky.domain", password: "gimmeaccess" },
  },
  "olx-partner": {
    note: "The partner grant puts client_id and client_secret in the form body. Try a wrong partnerSecret: the error carries OLX's Polish error_human_title.",
    client: { tokenEndpoint: `${here}/api/open/oauth/token`, revocationEndpoint: `${here}/revoke`, clientId: 123, clientSecret: "02468abcdef", clientAuth: "body" },
    grant: { grantType: "partner", partnerCode: "partner-name", partnerSecret: "secret-code" },
  },
  socialid: {
    note: "Social ID takes exactly one of username / email_address. (Its documented success body has a trailing comma; the demo server sends valid JSON.)",
    client: {
      tokenEndpoint: `${here}/v2/marketing/oauth/token`,
      revocationEndpoint: `${here}/revoke`,
      clientId: 138,
      clientSecret: "e8b9ca24f1b590af67e6271297d6e1f7226625d61c5b5daa1b2f215464e292cf",
    },
    grant: { grantType: "password", emailAddress: "john_doe@domain.com", password: "john_doe_secret" },
  },
  autograb: {
    note: "AutoGrab: client_credentials, no refresh token. The manager gets a new token before expiry by itself.",
    client: { tokenEndpoint: `${here}/request-token`, revocationEndpoint: `${here}/revoke`, clientId: "autograb-client", clientSecret: "autograb-secret" },
    grant: { grantType: "client_credentials" },
    reacquire: true,
  },
  teenquotes: {
    note: "Teen Quotes wants the credentials in a JSON body, and sends `expires` (UNIX time) beside expires_in.",
    client: {
      tokenEndpoint: `${here}/oauth`,
      revocationEndpoint: `${here}/revoke`,
      clientId: "42",
      clientSecret: "IZgwaBTZ2EdtT3hT7UzG2rLQ8S0Vmu9GDxeHwcPz",
      clientAuth: "body",
      bodyEncoding: "json",
    },
    grant: { grantType: "client_credentials" },
    reacquire: true,
  },
  "app-code": {
    note: "A browser app signing a user in: authorization code with PKCE. Send takes you to the demo server's consent page; it sends you back here with a code (and iss), which the manager exchanges with its verifier. Tick DPoP to bind the session to a key kept in this browser: each proof is shown under the session.",
    client: { tokenEndpoint: `${here}/token`, authorizationEndpoint: `${here}/authorize`, issuer: here, requireIss: true, clientId: "demo-app" },
    grant: { redirectUri: `${here}${location.pathname}`, scope: "read write" },
    code: true,
  },
  custom: {
    note: "Any token endpoint. From a browser it must answer CORS requests from this page's origin.",
    client: { tokenEndpoint: "https://", clientId: "", clientSecret: "" },
    grant: { grantType: "client_credentials", scope: "" },
    reacquire: true,
  },
};

const SECRET_PARAMS = ["client_secret", "password", "partner_secret", "refresh_token", "code_verifier", "assertion"];
const mask = (s) => (s ? "••••••" : s);
const short = (t) => (t ? `${t.slice(0, 10)}…` : "—");

let manager = null;
let managerKey = "";

/** The client as typed, plus the demo lifetime header for the local server. */
function readClient() {
  const client = JSON.parse($("client").value);
  const lifetime = $("lifetime").value;
  if (lifetime && client.tokenEndpoint?.startsWith(here)) {
    client.headers = { ...client.headers, "X-Demo-Lifetime": lifetime };
  }
  return client;
}

/** The built request with every credential masked: shown, never logged. */
function masked(req) {
  const headers = { ...req.headers };
  if (headers.Authorization) headers.Authorization = headers.Authorization.replace(/^(\w+) .*/, "$1 ••••••");
  let body = req.body;
  if (headers["Content-Type"] === "application/json") {
    const parsed = JSON.parse(body);
    for (const k of SECRET_PARAMS) if (k in parsed) parsed[k] = mask(parsed[k]);
    body = JSON.stringify(parsed);
  } else {
    const params = new URLSearchParams(body);
    for (const k of SECRET_PARAMS) if (params.has(k)) params.set(k, mask(params.get(k)));
    body = params.toString().replace(/%E2%80%A2/g, "•");
  }
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `${req.method} ${req.url}\n${lines.join("\n")}\n\n${body}`;
}

function preview() {
  if (PRESETS[$("preset").value].code) return previewAuthorization();
  try {
    $("request").textContent = masked(buildTokenRequest(readClient(), JSON.parse($("grant").value)));
    $("request").className = "";
  } catch (err) {
    $("request").textContent = err instanceof OAuthError ? `${err.kind}: ${err.message}` : `JSON: ${err.message}`;
    $("request").className = "error";
  }
}

/** The manager for the current client, grant kind and storage; a new one when they change. */
function currentManager() {
  const client = readClient();
  const preset = PRESETS[$("preset").value];
  const grant = JSON.parse($("grant").value);
  const storage = $("storage").value;
  const dpop = $("dpop").checked;
  const key = JSON.stringify([client, storage, preset.reacquire ? grant : null, dpop]);
  if (manager && key === managerKey) return manager;
  manager?.free();
  manager = null;
  manager = new TokenManager({ client, storage, grant: preset.reacquire ? grant : undefined, dpop, fetch: showingProofs });
  managerKey = key;
  $("events").replaceChildren();
  manager.onChange((tokens, event) => {
    const item = document.createElement("li");
    const detail = event.error ? ` — ${event.error.message}` : tokens ? ` — token ${short(tokens.accessToken)}` : " — no tokens";
    item.textContent = `${new Date().toLocaleTimeString()} ${event.reason}${detail}`;
    $("events").prepend(item);
  });
  return manager;
}

/** A part of a JWT as JSON. */
const jwtPart = (part) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));

/** The manager's fetch: each DPoP proof it sends is shown (header and claims; never a token). */
function showingProofs(input, init) {
  const proof = new Headers(init?.headers).get("dpop");
  if (proof) {
    const [header, claims] = proof.split(".").slice(0, 2).map(jwtPart);
    const jwk = header.jwk ? { ...header.jwk, x: short(header.jwk.x), y: short(header.jwk.y) } : undefined;
    const item = document.createElement("li");
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify({ header: { ...header, jwk }, claims: { ...claims, ath: claims.ath && short(claims.ath) } }, null, 2);
    item.append(`${new Date().toLocaleTimeString()} ${init?.method ?? "GET"} ${String(input)}`, pre);
    $("proofs").prepend(item);
  }
  return fetch(input, init);
}

function showTokens(tokens) {
  const box = $("result");
  box.className = "ok";
  const raw = { ...tokens.raw };
  for (const k of ["access_token", "refresh_token", "id_token"]) if (typeof raw[k] === "string") raw[k] = short(raw[k]);
  const shown = { ...tokens, accessToken: short(tokens.accessToken), refreshToken: tokens.refreshToken && short(tokens.refreshToken), raw };
  const pre = document.createElement("pre");
  pre.textContent = JSON.stringify(shown, null, 2);
  const title = document.createElement("strong");
  title.textContent = `TokenSet: ${tokens.tokenType} token, expires in ${tokens.expiresIn ?? "?"} s`;
  box.replaceChildren(title, pre);
}

function showError(err) {
  const box = $("result");
  box.className = "error";
  const rows = ["kind", "status", "error", "errorDescription", "humanTitle", "humanMessage", "hint", "retryAfter", "field"]
    .filter((k) => err[k] !== undefined)
    .map((k) => {
      const tr = document.createElement("tr");
      const [a, b] = [document.createElement("td"), document.createElement("td")];
      a.textContent = k;
      b.textContent = err[k] === "" ? "(empty)" : String(err[k]);
      b.dataset.field = k;
      tr.append(a, b);
      return tr;
    });
  const title = document.createElement("strong");
  title.textContent = `OAuthError: ${err.message}`;
  const table = document.createElement("table");
  table.append(...rows);
  box.replaceChildren(title, table);
}

/** The code preset: what authorize() will build (with a throwaway verifier and state). */
function previewAuthorization() {
  try {
    const verifier = generateCodeVerifier();
    const options = JSON.parse($("grant").value);
    const url = buildAuthorizationUrl(readClient(), { ...options, state: generateState(), codeChallenge: codeChallengeS256(verifier) });
    $("request").textContent = `GET ${url}\n\n(the verifier stays in this tab: only its S256 challenge is sent)`;
    $("request").className = "";
  } catch (err) {
    $("request").textContent = err instanceof OAuthError ? `${err.kind}: ${err.message}` : `JSON: ${err.message}`;
    $("request").className = "error";
  }
}

/** Starts the redirect flow: the URL to visit, the verifier and challenge behind it. */
async function startAuthorization() {
  const url = await currentManager().authorize(JSON.parse($("grant").value));
  sessionStorage.setItem("demo-return", JSON.stringify({ preset: $("preset").value, storage: $("storage").value, dpop: $("dpop").checked }));
  const kept = Object.entries(sessionStorage).find(([k]) => k.endsWith("#authorization"));
  const verifier = kept ? JSON.parse(kept[1]).verifier : "";
  const box = $("result");
  box.className = "ok";
  const title = document.createElement("strong");
  title.textContent = "Authorization request ready: the verifier stays in this tab (sessionStorage), the challenge goes to the server.";
  const pre = document.createElement("pre");
  pre.textContent = [
    `verifier   ${short(verifier)} (43 random characters, never sent before the exchange)`,
    `challenge  ${new URL(url).searchParams.get("code_challenge")} = BASE64URL(SHA-256(verifier))`,
    `state      ${short(new URL(url).searchParams.get("state"))}`,
    `URL        ${url}`,
  ].join("\n");
  const go = document.createElement("a");
  go.id = "go";
  go.href = url;
  go.textContent = "Go to the authorization server";
  box.replaceChildren(title, pre, go);
}

/** Back from the server: the callback checked, the code exchanged, the session stored. */
async function finishAuthorization() {
  const callback = new URL(location.href);
  const shown = new URLSearchParams(callback.search);
  if (shown.has("code")) shown.set("code", short(shown.get("code")));
  history.replaceState(null, "", location.pathname + location.hash);
  try {
    showTokens(await currentManager().handleCallback(callback.href));
  } catch (err) {
    showError(err instanceof OAuthError ? err : { kind: "demo", message: err.message });
  }
  const note = document.createElement("p");
  note.id = "callback";
  note.textContent = `Callback: ${[...shown].map(([k, v]) => `${k}=${v}`).join("  ")}`;
  $("result").prepend(note);
  renderSession();
}

async function send() {
  $("send").disabled = true;
  if (PRESETS[$("preset").value].code) {
    try {
      await startAuthorization();
    } catch (err) {
      showError(err instanceof OAuthError ? err : { kind: "demo", message: err.message });
    } finally {
      $("send").disabled = false;
    }
    return;
  }
  try {
    showTokens(await currentManager().login(JSON.parse($("grant").value)));
  } catch (err) {
    if (err instanceof OAuthError) showError(err);
    else showError({ kind: "demo", message: err.message });
  } finally {
    $("send").disabled = false;
    renderSession();
  }
}

function renderSession() {
  const tokens = manager?.getTokens();
  $("stored-token").textContent = tokens ? short(tokens.accessToken) : "—";
  $("stored-refresh").textContent = tokens?.refreshToken ? short(tokens.refreshToken) : "—";
  const left = tokens?.expiresAt ? Math.round((tokens.expiresAt - Date.now()) / 1000) : null;
  $("countdown").textContent = left === null ? "—" : left > 0 ? `${left} s` : "expired";
}

function loadPreset(name) {
  const preset = PRESETS[name];
  $("preset").value = name;
  $("preset-note").textContent = preset.note;
  $("client").value = JSON.stringify(preset.client, null, 2);
  $("grant").value = JSON.stringify(preset.grant, null, 2);
  $("lifetime").value = name === "custom" ? "" : "30";
  syncHash();
  preview();
  ensureManager();
}

/** A manager for what the form says, when it says something usable (the preview shows why not). */
function ensureManager() {
  try {
    currentManager();
  } catch {
    manager?.free();
    manager = null;
    managerKey = "";
  }
  renderSession();
}

function syncHash() {
  const hash = `#preset=${$("preset").value}&storage=${$("storage").value}${$("dpop").checked ? "&dpop=1" : ""}`;
  history.replaceState(null, "", hash);
  $("second-tab").href = hash;
}

$("preset").addEventListener("change", () => loadPreset($("preset").value));
for (const id of ["client", "grant", "lifetime"]) $(id).addEventListener("input", preview);
$("storage").addEventListener("change", () => {
  syncHash();
  ensureManager();
});
$("dpop").addEventListener("change", () => {
  syncHash();
  ensureManager();
});
$("send").addEventListener("click", send);
$("refresh").addEventListener("click", () => manager?.refresh().then(renderSession, showError));
$("logout").addEventListener("click", () => manager?.logout().then(renderSession));
$("logout-revoke").addEventListener("click", logoutAndRevoke);

/**
 * Logs out and revokes at the server (RFC 7009), then shows what the revocation did: the
 * revoked refresh token, sent again, is refused.
 */
async function logoutAndRevoke() {
  if (!manager) return;
  const client = readClient();
  const before = manager.getTokens()?.refreshToken;
  try {
    await manager.logout({ revoke: true });
  } catch (err) {
    renderSession();
    return showError(err instanceof OAuthError ? err : { kind: "demo", message: err.message });
  }
  renderSession();
  const box = $("result");
  box.className = "ok";
  const title = document.createElement("strong");
  title.textContent = "Logged out in every tab, and the tokens revoked at the server.";
  const check = document.createElement("p");
  check.id = "revoke-check";
  box.replaceChildren(title, check);
  if (!before) {
    check.textContent = "There was no refresh token to try again.";
    return;
  }
  try {
    await requestToken(client, { grantType: "refresh_token", refreshToken: before });
    check.textContent = "The revoked refresh token still worked: this server does not revoke.";
  } catch (err) {
    check.textContent = `The revoked refresh token, sent again: ${err.kind} ${err.error ?? ""} — refused.`;
  }
}

// Once a second: the countdown, and (when ticked) getAccessToken(), which renews the token
// shortly before it expires — in one tab only, the others adopt it.
setInterval(() => {
  if ($("auto").checked && manager?.getTokens()) manager.getAccessToken().catch(() => {});
  renderSession();
}, 1000);

const params = new URLSearchParams(location.hash.slice(1));
const query = new URLSearchParams(location.search);
// Back from the authorization server: the preset and storage the flow began with.
const returning = (query.has("code") || query.has("error")) && JSON.parse(sessionStorage.getItem("demo-return") ?? "null");
if (returning) {
  params.set("preset", returning.preset);
  params.set("storage", returning.storage);
  if (returning.dpop) params.set("dpop", "1");
}
if (params.get("storage")) $("storage").value = params.get("storage");
$("dpop").checked = params.get("dpop") === "1";
loadPreset(PRESETS[params.get("preset")] ? params.get("preset") : "olx-password");
if (returning) await finishAuthorization();
document.body.dataset.ready = "true";
