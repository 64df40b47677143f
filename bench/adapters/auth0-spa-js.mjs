// @auth0/auth0-spa-js: what an app imports (createAuth0Client). Authorization code with
// PKCE against Auth0 only, no client_credentials: measured for size and import time only.
export { createAuth0Client } from "@auth0/auth0-spa-js";
export const create = null;
