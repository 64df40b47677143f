// Every public type and function of oauth2-wasm, as a TypeScript user writes them, checked
// by `tsc --strict --noEmit` against the packed package's .d.ts (resolved through `exports`).
// Lines marked @ts-expect-error must stay errors: the types refuse what the library refuses.
import {
  buildTokenRequest,
  generateDPoPKey,
  parseTokenResponse,
  requestToken,
  TokenManager,
  OAuthError,
  type ChangeEvent,
  type ChangeReason,
  type ClientAuth,
  type ClientConfig,
  type DPoPKey,
  type Grant,
  type OAuthErrorKind,
  type ParseOptions,
  type Quirk,
  type RequestOptions,
  type Scope,
  type StorageAdapter,
  type TokenManagerOptions,
  type TokenRequest,
  type TokenSet,
} from "oauth2-wasm";
import { fileStorage } from "oauth2-wasm/file-store";
import { redisStorage, type RedisStorageOptions } from "oauth2-wasm/redis-store";

// ---- ClientConfig: every option.
const auth: ClientAuth = "basic";
const client: ClientConfig = {
  tokenEndpoint: "https://auth.example.com/request-token",
  clientId: "autograb-client",
  clientSecret: "autograb-secret",
  clientAuth: auth,
  basicEncoding: "form",
  bodyEncoding: "json",
  headers: { "X-Request-Id": "1" },
  extraParams: { audience: "api" },
  timeoutMs: 10_000,
  allowInsecureHttp: false,
  acknowledgeBrowserSecrets: true,
  humanFields: { title: "error_human_title", message: "error_human_message" },
};
const olx: ClientConfig = { tokenEndpoint: "https://www.autovit.ro/api/open/oauth/token", clientId: 123 };
// @ts-expect-error: not a ClientAuth
const badAuth: ClientConfig = { tokenEndpoint: "https://x.example", clientAuth: "digest" };
// @ts-expect-error: tokenEndpoint is required
const noEndpoint: ClientConfig = { clientId: "x" };

// ---- Grant: every variant.
const scopes: Scope[] = ["read write", ["read", "write"]];
const grants: Grant[] = [
  { grantType: "password", username: "user@sneaky.domain", password: "p", scope: scopes[0] },
  { grantType: "password", emailAddress: "john_doe@domain.com", password: "p" },
  { grantType: "partner", partnerCode: "partner-name", partnerSecret: "secret-code", scope: ["adverts-write"] },
  { grantType: "client_credentials" },
  { grantType: "client_credentials", scope: scopes[1] },
  { grantType: "refresh_token", refreshToken: "r" },
  { grantType: "authorization_code", code: "c", redirectUri: "https://app.example/cb", codeVerifier: "v" },
  { grantType: "urn:ietf:params:oauth:grant-type:token-exchange", params: { subject_token: "t" } },
];
// @ts-expect-error: a password grant needs a password
const noPassword: Grant = { grantType: "password", username: "u" };
// @ts-expect-error: a refresh grant needs the refresh token
const noRefresh: Grant = { grantType: "refresh_token" };

// ---- buildTokenRequest → TokenRequest, which fetch accepts as it is.
const request: TokenRequest = buildTokenRequest(client, grants[3]);
const method: "POST" = request.method;
const headers: Record<string, string> = request.headers;
const init: RequestInit = request;
void fetch(request.url, request);

// ---- parseTokenResponse with every option → TokenSet.
const parseOptions: ParseOptions = {
  now: Date.now(),
  headers: new Headers({ "Content-Type": "application/json" }),
  strict: false,
  humanFields: { title: "t", message: "m" },
};
const parsed: TokenSet = parseTokenResponse(200, '{"access_token":"a","token_type":"bearer"}', parseOptions);
parseTokenResponse(200, "{}", { headers: { "content-type": "application/json" } });
parseTokenResponse(200, "{}");
function useTokens(t: TokenSet): string {
  const quirks: Quirk[] = t.quirks;
  const expiresIn: number | undefined = t.expiresIn;
  const expiresAt: number | undefined = t.expiresAt;
  const refresh: string | undefined = t.refreshToken;
  const scope: string | undefined = t.scope;
  const raw: Record<string, unknown> = t.raw;
  // @ts-expect-error: raw members are unknown, not any
  const n: number = t.raw.expires_in;
  return [t.accessToken, t.tokenType, expiresIn, expiresAt, refresh, scope, quirks.join(), Object.keys(raw), n].join();
}
useTokens(parsed);
const quirk: Quirk = "expires_in_string";
// @ts-expect-error: not a Quirk
const notQuirk: Quirk = "made_up";

// ---- OAuthError: every field; an exhaustive switch over its kinds.
function describeKind(kind: OAuthErrorKind): string {
  switch (kind) {
    case "config":
    case "network":
    case "timeout":
    case "aborted":
    case "http":
    case "oauth":
    case "invalid_response":
    case "storage":
    case "login_required":
      return kind;
    default: {
      const never: never = kind;
      return never;
    }
  }
}
function report(err: unknown): string {
  if (!(err instanceof OAuthError)) return String(err);
  const e: Error = err;
  const name: "OAuthError" = err.name;
  const status: number | undefined = err.status;
  const retryAfter: number | undefined = err.retryAfter;
  const strings: (string | undefined)[] = [
    err.error, err.errorDescription, err.errorUri, err.humanTitle, err.humanMessage,
    err.body, err.contentType, err.hint, err.field, e.message,
  ];
  const quirks: Quirk[] | undefined = err.quirks;
  const raw: Record<string, unknown> | undefined = err.raw;
  const json: Record<string, unknown> = err.toJSON();
  return [name, describeKind(err.kind), status, retryAfter, ...strings, quirks, raw, JSON.stringify(json)].join(" ");
}
const made = new OAuthError("oauth", "refused", { status: 400, error: "invalid_grant", quirks: ["scope_array"] });
report(made);
new OAuthError("config", "bad");
// @ts-expect-error: not an OAuthErrorKind
new OAuthError("bogus", "no");

// ---- requestToken with every RequestOptions member.
const controller = new AbortController();
const options: RequestOptions = {
  signal: controller.signal,
  timeoutMs: 5_000,
  fetch: (input: string, init: RequestInit) => fetch(input, init),
};
async function getToken(): Promise<string> {
  try {
    const tokens: TokenSet = await requestToken(client, grants[3], options);
    return tokens.accessToken;
  } catch (err) {
    return report(err);
  }
}
void getToken();
void requestToken(olx, { grantType: "partner", partnerCode: "p", partnerSecret: "s" });

// ---- DPoP and JWT client authentication (issue 17).
async function bound(): Promise<string> {
  const key: DPoPKey = await generateDPoPKey();
  const signed: ClientConfig = {
    tokenEndpoint: "https://as.example/token",
    clientId: "app",
    clientAuth: "private_key_jwt",
    privateKey: key.privateKey,
    keyId: "k1",
    signingAlg: "ES256",
    assertionAudience: "https://as.example",
  };
  const jwk: ClientConfig = { ...signed, privateKey: { kty: "EC", crv: "P-256", d: "d", x: "x", y: "y" } };
  const hs: ClientConfig = { tokenEndpoint: "https://as.example/token", clientId: "app", clientSecret: "s", clientAuth: "client_secret_jwt" };
  buildTokenRequest(signed, grants[3], { clientAssertion: "h.c.s", dpopProof: "p.r.f" });
  // @ts-expect-error: not an algorithm the library signs with
  const bad: ClientConfig = { ...signed, signingAlg: "RS512" };
  void bad;
  await requestToken(jwk, grants[3]);
  return (await requestToken(hs, grants[3], { dpop: key })).tokenType;
}
void bound();

// ---- StorageAdapter: sync and async implementations; fileStorage.
const map = new Map<string, string>();
const syncStore: StorageAdapter = {
  get: (key) => map.get(key) ?? null,
  set: (key, value) => void map.set(key, value),
  remove: (key) => void map.delete(key),
};
const asyncStore: StorageAdapter = {
  get: async (key) => map.get(key),
  set: async (key, value) => void map.set(key, value),
  remove: async (key) => void map.delete(key),
  lock: async <T>(_name: string, fn: () => Promise<T>): Promise<T> => fn(),
};
const fileStore: StorageAdapter = fileStorage("/tmp/tokens.json", { lockTimeoutMs: 1_000, staleLockMs: 5_000 });
fileStorage("/tmp/tokens.json");
declare const connectedRedisClient: { sendCommand(args: string[]): Promise<unknown> };
const redisOptions: RedisStorageOptions = {
  redis: connectedRedisClient,
  prefix: "app:",
  lockTtlMs: 10_000,
  lockTimeoutMs: 35_000,
  commandTimeoutMs: 2_000,
};
const redisStore: StorageAdapter = redisStorage(redisOptions);
redisStorage({ redis: connectedRedisClient });

// ---- TokenManager with every option, onChange, every method.
const storages: TokenManagerOptions["storage"][] = ["local", "session", "memory", syncStore, asyncStore, fileStore, redisStore];
const managerOptions: TokenManagerOptions = {
  client,
  grant: { grantType: "client_credentials" },
  storage: storages[5],
  storageKey: "app:tokens",
  refreshSkewSeconds: 30,
  now: () => Date.now(),
  fetch: options.fetch,
};
async function session(): Promise<void> {
  const manager = new TokenManager(managerOptions);
  const unsubscribe: () => void = manager.onChange((tokens: TokenSet | null, event: ChangeEvent) => {
    const reason: ChangeReason = event.reason;
    const error: OAuthError | undefined = event.error;
    console.log(reason, tokens?.accessToken, error?.kind);
  });
  const logged: TokenSet = await manager.login({ grantType: "password", username: "u", password: "p" });
  const token: string = await manager.getAccessToken();
  const current: TokenSet | null = manager.getTokens();
  const renewed: TokenSet = await manager.refresh();
  const res1: Response = await manager.fetch("https://api.example.com/me");
  const res2: Response = await manager.fetch(new URL("https://api.example.com/me"), { method: "POST", body: "{}" });
  const res3: Response = await manager.fetch(new Request("https://api.example.com/me"));
  await manager.logout();
  unsubscribe();
  manager.free();
  console.log(logged, token, current, renewed, res1.status, res2.status, res3.status);
}
void session();
const reasons: ChangeReason[] = ["login", "refresh", "reacquire", "logout", "external", "login_required", "storage_error", "discarded"];
// @ts-expect-error: storage must be a known name or an adapter
new TokenManager({ client, storage: "indexeddb" });

export { auth, badAuth, noEndpoint, noPassword, noRefresh, method, headers, init, quirk, notQuirk, made, reasons };
