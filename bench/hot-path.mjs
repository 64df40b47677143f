// The hot path of an app: TokenManager.getAccessToken() on a valid cached token, ops/s,
// beside @badgateway/oauth2-client's OAuth2Fetch.getToken() and a plain JS object cache.
// Runs the same code in Node and in headless Chromium (module load from the repository).
// Exported so bench/manager.mjs can run it in both.

export async function hotPath(lib, badgateway, { rounds = 5, iterations = 200_000 } = {}) {
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
    "oauth2-wasm TokenManager.getAccessToken()": () => manager.getAccessToken(),
    "@badgateway OAuth2Fetch.getToken()": () => wrapper.getToken(),
    "plain JS cache": plain,
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(cases)) {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) await fn();
      samples[name].push(iterations / ((performance.now() - start) / 1000));
    }
  }
  return samples;
}
