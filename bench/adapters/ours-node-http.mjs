// oauth2-wasm's requestToken over the package's node:http keep-alive transport
// (js/node-http.mjs, `nodeHttpFetch`), passed as the documented `fetch` option.
import { nodeHttpFetch } from "../../js/node-http.mjs";
import { create as createOurs } from "./ours.mjs";

export function create(config) {
  return createOurs({ ...config, fetch: nodeHttpFetch });
}
