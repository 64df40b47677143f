// What several Node test files share: a clock the test moves, an onChange recorder, and a
// check that a promise rejects with the packed package's OAuthError.
import assert from "node:assert/strict";
import { OAuthError } from "oauth2-wasm";

/** A clock the test moves: `now()` for the manager's `now` option, `advance(seconds)`. */
export function clock(start = Date.now()) {
  const c = { t: start, now: () => c.t, advance: (s) => (c.t += s * 1000) };
  return c;
}

/** The manager's onChange events, as `{ reason, tokens, error }`. */
export function recorder(manager) {
  const events = [];
  manager.onChange((tokens, event) => events.push({ reason: event.reason, tokens, error: event.error }));
  return events;
}

/** The OAuthError `promise` rejects with; fails the test if it resolves or rejects otherwise. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OAuthError && err instanceof Error, `an OAuthError, got ${err?.stack ?? err}`);
    return err;
  }
  assert.fail("expected a rejection");
}

/** One macrotask. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Follows the server's redirects as a browser would, cookies kept, until `redirectUri`. */
export async function browse(url, redirectUri) {
  const cookies = new Map();
  for (let i = 0; i < 12; i++) {
    if (url.startsWith(redirectUri)) return url;
    const res = await fetch(url, { redirect: "manual", headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const at = pair.indexOf("=");
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = res.headers.get("location");
    if (!location) assert.fail(`the flow stopped at ${res.status} ${url}: ${(await res.text()).slice(0, 300)}`);
    url = new URL(location, url).href;
  }
  assert.fail("too many redirects");
}
