// Node-only: the node:http transport, type-checked under node16 resolution with @types/node.
import { requestToken, TokenManager, type TokenSet } from "oauth2-wasm";
import { nodeHttpFetch, createNodeHttpFetch } from "oauth2-wasm/node-http";
import { Agent } from "node:https";

const client = { tokenEndpoint: "https://auth.example.com/token", clientId: "id", clientSecret: "s" };
export const viaPool: Promise<TokenSet> = requestToken(client, { grantType: "client_credentials" }, { fetch: nodeHttpFetch });
const custom: typeof fetch = createNodeHttpFetch({ keepAlive: true, maxSockets: 8, agent: { https: new Agent() } });
export const manager = new TokenManager({ client, grant: { grantType: "client_credentials" }, fetch: custom });

