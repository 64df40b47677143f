// What the Vite and webpack apps check, shared: each app's main.js imports oauth2-wasm
// through its bundler (the `browser` export condition, the wasm emitted as an asset by the
// `new URL("…wasm", import.meta.url)` in the glue, the entry's top-level `await init()`) and
// hands the module here. The token endpoint comes from `?endpoint=`.
const out = document.getElementById("result");

async function run(lib, bundler) {
  const { requestToken, buildTokenRequest, OAuthError } = lib;
  const endpoint = new URLSearchParams(location.search).get("endpoint");
  if (!endpoint) throw new Error("no ?endpoint= in the page's URL");
  // A secret in page code is this test's choice: acknowledge it to silence the warning.
  const client = { tokenEndpoint: endpoint, clientId: "autograb-client", clientSecret: "autograb-secret", acknowledgeBrowserSecrets: true };
  const grant = { grantType: "client_credentials" };

  const request = buildTokenRequest(client, grant);
  const tokens = await requestToken(client, grant);

  let refusal = null;
  try {
    await requestToken({ ...client, clientSecret: "wrong" }, grant);
  } catch (err) {
    refusal = { isOAuthError: err instanceof OAuthError, name: err.name, kind: err.kind, status: err.status, error: err.error };
  }

  let configError = null;
  try {
    buildTokenRequest({ ...client, tokenEndpoint: "http://auth.example.com/token" }, grant);
  } catch (err) {
    configError = { isOAuthError: err instanceof OAuthError, kind: err.kind, field: err.field };
  }

  return {
    ok: true,
    bundler,
    request: { url: request.url, method: request.method, headers: request.headers, body: request.body },
    token: { tokenType: tokens.tokenType, expiresIn: tokens.expiresIn, accessTokenLength: tokens.accessToken.length, quirks: tokens.quirks },
    refusal,
    configError,
  };
}

/** Runs the checks with `lib` (the app's own `import * as lib from "oauth2-wasm"`) and shows the result. */
export function show(lib, bundler) {
  return run(lib, bundler)
    .catch((err) => ({ ok: false, error: String(err), stack: err?.stack }))
    .then((result) => {
      window.__result = result;
      out.textContent = JSON.stringify(result, null, 2);
      out.dataset.state = result.ok ? "done" : "failed";
    });
}
