// oidc-client-ts: what an app imports for its token work (UserManager). It has no
// client_credentials grant, so it is measured for size and import time only.
export { UserManager } from "oidc-client-ts";
export const create = null;
