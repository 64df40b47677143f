import type { Agent } from "node:http";

/** A fetch-compatible function: what `requestToken` and `TokenManager` accept as `fetch`. */
export type NodeHttpFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface NodeHttpFetchOptions {
  /** Keep connections open between requests (default true). */
  keepAlive?: boolean;
  /** Most connections per host and port (default Infinity, as Node's own agents). */
  maxSockets?: number;
  /**
   * Agents to use instead of the ones built from `keepAlive` and `maxSockets`: one
   * `http.Agent` / `https.Agent` for every request (a proxy agent, an https.Agent with a
   * private CA …), or one per protocol.
   */
  agent?: Agent | { http?: Agent; https?: Agent };
}

/**
 * A fetch over node:http / node:https with keep-alive agents shared by the whole process:
 * with it, a token request costs about half the client CPU it costs over Node's built-in
 * fetch. Node only.
 *
 * It handles what oauth2-wasm sends — a string or URL, `method`, `headers`, a string `body`,
 * `signal`, `redirect: "manual"` — and resolves to a `Response` whose body streams from the
 * socket (cancelling it closes the connection). Any other request (a `Request` object,
 * another body type, redirects to follow) goes to `globalThis.fetch` unchanged.
 * Network errors reject with a `TypeError` whose `cause.code` is Node's (`ECONNREFUSED` …);
 * an abort rejects with `signal.reason`. A status outside 200–599 rejects with a `TypeError`
 * whose `cause.code` is `"HPE_INVALID_STATUS"`. gzip, deflate and br bodies are decoded.
 * `credentials` is ignored (no cookies) and `response.url` is `""`.
 *
 * @example
 * import { requestToken } from "oauth2-wasm";
 * import { nodeHttpFetch } from "oauth2-wasm/node-http";
 * const tokens = await requestToken(client, grant, { fetch: nodeHttpFetch });
 */
export const nodeHttpFetch: NodeHttpFetch;

/** A {@link nodeHttpFetch} with its own agents. */
export function createNodeHttpFetch(options?: NodeHttpFetchOptions): NodeHttpFetch;
