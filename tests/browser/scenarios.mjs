// requestToken scenarios run inside a browser — in a page and in a module worker — by
// tests/node/browser.test.mjs, against the servers of tests/support/servers.mjs.
// Each scenario throws on failure; runScenarios reports every one by name.

export async function runScenarios(lib, servers) {
  const { requestToken, OAuthError, TokenManager } = lib;
  const cc = { grantType: "client_credentials" };
  const at = (path) => servers.providers + path;
  const fault = (path, extra = {}) => ({ tokenEndpoint: servers.faults + path, ...extra });
  const check = (ok, message) => {
    if (!ok) throw new Error(message);
  };
  const rejection = async (promise) => {
    try {
      await promise;
    } catch (err) {
      check(err instanceof OAuthError && err instanceof Error, `not an OAuthError: ${err}`);
      return err;
    }
    throw new Error("expected a rejection");
  };
  const olx = { tokenEndpoint: at("/api/open/oauth/token"), clientId: 123, clientSecret: "02468abcdef" };

  const scenarios = {
    "the exports keep their names (the shipped glue is minified)": async () => {
      const names = ["TokenManager", "OAuthError", "requestToken", "buildTokenRequest", "parseTokenResponse"];
      for (const name of names) check(lib[name]?.name === name, `${name}.name is ${lib[name]?.name}`);
    },
    "a secret in browser code draws one console warning, none when acknowledged; a console.warn that throws breaks nothing (issue 13.3)": async () => {
      const warnings = [];
      const warn = console.warn;
      console.warn = (...args) => warnings.push(args.join(" "));
      try {
        const client = { tokenEndpoint: at("/request-token"), clientId: "autograb-client", clientSecret: "autograb-secret" };
        await requestToken({ ...client, acknowledgeBrowserSecrets: true }, cc);
        check(warnings.length === 0, `warned despite acknowledgeBrowserSecrets: ${warnings}`);
        // The page's one warning meets a console.warn that throws: the request still resolves.
        console.warn = (...args) => {
          warnings.push(args.join(" "));
          throw new Error("fail on console.warn");
        };
        const t = await requestToken(client, cc);
        check(t.accessToken, "the request resolved");
        console.warn = (...args) => warnings.push(args.join(" "));
        await requestToken(client, cc);
        const ours = warnings.filter((w) => w.startsWith("oauth2-wasm:"));
        check(ours.length === 1, `expected one warning, got ${ours.length}`);
        check(!ours[0].includes("autograb-secret"), "the warning shows the secret");
      } finally {
        console.warn = warn;
      }
    },
    "OLX password grant and refresh with rotation": async () => {
      const t = await requestToken({ ...olx, acknowledgeBrowserSecrets: true },
        { grantType: "password", username: "user@sneaky.domain", password: "gimmeaccess" });
      check(t.expiresIn === 43200 && t.scope === "adverts-write read", JSON.stringify(t.raw));
      const r = await requestToken(olx, { grantType: "refresh_token", refreshToken: t.refreshToken });
      check(r.refreshToken && r.refreshToken !== t.refreshToken, "no rotation");
    },
    "OLX partner grant error keeps the Polish title verbatim": async () => {
      const err = await rejection(requestToken({ ...olx, clientAuth: "body" },
        { grantType: "partner", partnerCode: "partner-name", partnerSecret: "wrong" }));
      check(err.kind === "oauth" && err.status === 400 && err.error === "invalid_grant", err.message);
      check(err.humanTitle === "Niepoprawna warto\u015b\u0107", err.humanTitle);
    },
    "Social ID password grant by username": async () => {
      const t = await requestToken(
        { tokenEndpoint: at("/v2/marketing/oauth/token"), clientId: "138",
          clientSecret: "e8b9ca24f1b590af67e6271297d6e1f7226625d61c5b5daa1b2f215464e292cf" },
        { grantType: "password", username: "john_doe", password: "john_doe_secret" });
      check(t.expiresIn === 604800, String(t.expiresIn));
    },
    "AutoGrab client_credentials": async () => {
      const t = await requestToken(
        { tokenEndpoint: at("/request-token"), clientId: "autograb-client", clientSecret: "autograb-secret" }, cc);
      check(t.expiresIn === 3599 && t.scope === "" && t.refreshToken === undefined, JSON.stringify(t.raw));
    },
    "Teen Quotes client_credentials in a JSON body": async () => {
      const t = await requestToken({ tokenEndpoint: at("/oauth"), clientId: "42",
        clientSecret: "IZgwaBTZ2EdtT3hT7UzG2rLQ8S0Vmu9GDxeHwcPz", clientAuth: "body", bodyEncoding: "json" }, cc);
      check(t.expiresIn === 604800 && t.refreshToken, JSON.stringify(t.raw));
    },
    "oidc-provider client_credentials and refresh rotation": async () => {
      const client = { ...servers.oidc };
      const t = await requestToken(client, cc);
      check(t.tokenType === "Bearer" && t.expiresIn === 600, JSON.stringify(t.raw));
      const { refreshToken } = await (await fetch(servers.control + "/oidc/refresh-token")).json();
      const r = await requestToken(client, { grantType: "refresh_token", refreshToken });
      check(r.refreshToken && r.refreshToken !== refreshToken, "no rotation");
      const err = await rejection(requestToken(client, { grantType: "refresh_token", refreshToken }));
      check(err.error === "invalid_grant", err.message);
    },
    "oauth2-mock-server password grant": async () => {
      const t = await requestToken({ ...servers.mock, clientId: "mock-client", clientSecret: "mock-secret" },
        { grantType: "password", username: "alice", password: "wonderland" });
      check(t.accessToken.split(".").length === 3 && t.expiresIn === 3600, JSON.stringify(t.raw));
    },
    "connection refused: network, with a CORS hint": async () => {
      const err = await rejection(requestToken({ tokenEndpoint: servers.refused }, cc));
      check(err.kind === "network" && /CORS/.test(err.hint), `${err.kind} ${err.hint}`);
    },
    "connection reset mid-body: network": async () => {
      const err = await rejection(requestToken(fault("/reset"), cc));
      check(err.kind === "network", `${err.kind}: ${err.message}`);
      check(!JSON.stringify(err).includes("reset-token-secret"), "partial token in the error");
    },
    "a server that never answers: timeout within the bound": async () => {
      const start = performance.now();
      const err = await rejection(requestToken(fault("/hang"), cc, { timeoutMs: 300 }));
      const took = performance.now() - start;
      check(err.kind === "timeout" && took >= 290 && took < 2000, `${err.kind} after ${took} ms`);
    },
    "abort before and during the request": async () => {
      const before = new AbortController();
      before.abort();
      check((await rejection(requestToken(fault("/token"), cc, { signal: before.signal }))).kind === "aborted", "before");
      const during = new AbortController();
      setTimeout(() => during.abort(), 50);
      const err = await rejection(requestToken(fault("/slow-body"), cc, { signal: during.signal }));
      check(err.kind === "aborted", `during: ${err.kind}`);
    },
    "502 HTML, 500 empty, 429 Retry-After: http": async () => {
      const html = await rejection(requestToken(fault("/html502"), cc));
      check(html.kind === "http" && html.status === 502 && html.contentType === "text/html", html.message);
      const empty = await rejection(requestToken(fault("/empty500"), cc));
      check(empty.kind === "http" && empty.status === 500, empty.message);
      const limited = await rejection(requestToken(fault("/ratelimit"), cc));
      check(limited.status === 429 && limited.retryAfter === 30, `retryAfter ${limited.retryAfter}`);
    },
    "a 50 MB body is refused at the bound": async () => {
      for (const path of ["/huge", "/huge-length"]) {
        const err = await rejection(requestToken(fault(path), cc));
        check(err.kind === "invalid_response" && /256 KiB/.test(err.message), `${path}: ${err.message}`);
      }
    },
    "a redirect is not followed": async () => {
      const err = await rejection(requestToken(fault("/redirect"), cc));
      check(err.kind === "http" && /redirect/.test(err.message), err.message);
    },
    "an endpoint without CORS headers: network, with a CORS hint": async () => {
      const err = await rejection(requestToken(fault("/nocors"), cc));
      check(err.kind === "network" && /CORS/.test(err.hint), `${err.kind} ${err.hint}`);
    },
    "a time limit beyond the timers' range (2^31−1 ms) waits instead of firing at once": async () => {
      const tokens = await requestToken(fault("/late", { timeoutMs: 3_000_000_000 }), cc, { timeoutMs: 4_294_967_295 });
      check(tokens.accessToken === "late-token", tokens.accessToken);
      // logout() waits for a sibling's Web Lock (a renewal under way) before its last
      // clear; the wait is bounded by timeoutMs + 5 s, here beyond the timers' range.
      // (A worker has no shared storage and so no lock to wait for.)
      if (typeof localStorage === "undefined" || !globalThis.navigator?.locks) return;
      const storageKey = `oauth2-wasm-test:lock-wait:${Math.random()}`;
      const client = { tokenEndpoint: servers.faults + "/token", clientId: "lock-wait", timeoutMs: 3_000_000_000 };
      const manager = new TokenManager({ client, storage: "local", storageKey });
      let release, granted;
      const held = new Promise((resolve) => (release = resolve));
      const grant = new Promise((resolve) => (granted = resolve));
      const sibling = navigator.locks.request(storageKey, () => (granted(), held));
      await grant;
      let done = false;
      const loggingOut = manager.logout().then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      check(!done, "logout() did not wait for the lock");
      release();
      await sibling;
      await loggingOut;
    },
  };

  const results = [];
  for (const [name, run] of Object.entries(scenarios)) {
    try {
      await run();
      results.push({ name, pass: true });
    } catch (err) {
      results.push({ name, pass: false, detail: String(err?.message ?? err) });
    }
  }
  return results;
}
