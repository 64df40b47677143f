// The hot path of an app: TokenManager.getAccessToken() on a valid cached token, ops/s,
// beside @badgateway/oauth2-client's OAuth2Fetch.getToken() and a plain JS object cache.
// The same code runs in Node (run.mjs) and in headless Chromium (manager.html).

/** Sets up the three cases, each with a token already cached, and warms them. */
export async function setupHotPath(lib, badgateway, { warmup = 20_000 } = {}) {
  const body = JSON.stringify({ access_token: "a".repeat(40), token_type: "Bearer", expires_in: 3600 });
  const stubFetch = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  const client = { tokenEndpoint: "https://as.example/token", clientId: "c", clientSecret: "s", acknowledgeBrowserSecrets: true };

  const manager = new lib.TokenManager({ client, storage: "memory", fetch: stubFetch, grant: { grantType: "client_credentials" } });
  await manager.getAccessToken();

  const bgClient = new badgateway.OAuth2Client({ server: "https://as.example/", clientId: "c", clientSecret: "s",
    tokenEndpoint: "/token", fetch: stubFetch });
  const wrapper = new badgateway.OAuth2Fetch({ client: bgClient, getNewToken: () => bgClient.clientCredentials(),
    scheduleRefresh: false });
  await wrapper.getToken();

  // What a developer writes without a library: an object and an expiry check.
  const cache = { token: "a".repeat(40), expiresAt: Date.now() + 3600_000 };
  const plain = async () => {
    if (Date.now() < cache.expiresAt - 60_000) return cache.token;
    throw new Error("expired");
  };

  const cases = {
    ours: () => manager.getAccessToken(),
    badgateway: () => wrapper.getToken(), // resolves to its OAuth2Token object
    plain,
  };
  const tokens = [await cases.ours(), (await cases.badgateway()).accessToken, await cases.plain()];
  if (tokens.some((t) => t !== "a".repeat(40))) throw new Error("hot path: wrong token");
  await hotPathRound(cases, warmup);
  return cases;
}

/** One pass over the cases (in the given order): name → ops/s. */
export async function hotPathRound(cases, iterations, order = Object.keys(cases)) {
  const out = {};
  for (const name of order) {
    const fn = cases[name];
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    out[name] = iterations / ((performance.now() - start) / 1000);
  }
  return out;
}
