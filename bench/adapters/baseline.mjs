// The hand-written baseline: fetch + URLSearchParams + JSON.parse, no library — what a
// careful developer writes for client_credentials over HTTP Basic. Runs in Node and browsers.
export function create({ tokenEndpoint, errorEndpoint, clientId, clientSecret, scope, fetch = globalThis.fetch }) {
  const authorization = "Basic " + btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`);
  async function post(url) {
    const res = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded", Authorization: authorization },
      body: new URLSearchParams({ grant_type: "client_credentials", scope }),
    });
    const json = JSON.parse(await res.text());
    if (!res.ok || typeof json.access_token !== "string") {
      const err = new Error(`token request failed: ${json.error ?? res.status}`);
      err.error = json.error;
      err.status = res.status;
      throw err;
    }
    return json;
  }
  return {
    token: async () => (await post(tokenEndpoint)).access_token,
    async error() {
      try {
        await post(errorEndpoint);
      } catch (err) {
        return err.error;
      }
      throw new Error("expected an error response");
    },
  };
}
