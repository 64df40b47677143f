// ESM entry of the node:http fetch: the same module instance (and keep-alive agents) as
// `require("oauth2-wasm/node-http")`. The implementation is node-http.cjs.
import { createRequire } from "node:module";

const { nodeHttpFetch, createNodeHttpFetch } = createRequire(import.meta.url)("./node-http.cjs");

export { nodeHttpFetch, createNodeHttpFetch };
