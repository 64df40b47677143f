// The hand-written baseline with the time limit a careful client sets (issue 14): the same
// fetch + URLSearchParams + JSON.parse, each request with `AbortSignal.timeout(30 s)` — as
// oauth2-wasm's own 30 s limit, which aborts the request (a timed-out request must not keep
// its socket). Throughput targets compare with this one.
import { create as plain } from "./baseline.mjs";

export function create(options) {
  const fetch = options.fetch ?? globalThis.fetch;
  return plain({ ...options, fetch: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(30_000) }) });
}
