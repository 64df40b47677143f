// oauth2-wasm's requestToken over the package's node:http keep-alive transport
// (js/node-http.mjs, `nodeHttpFetch`), passed as the documented `fetch` option.
// Loaded only when js/node-http.mjs exists (see NODE_HTTP in ../run.mjs).
import * as transport from "../../js/node-http.mjs";
import { create as createOurs } from "./ours.mjs";

const nodeHttpFetch = transport.nodeHttpFetch ?? transport.default;

export function create(config) {
  return createOurs({ ...config, fetch: nodeHttpFetch });
}
