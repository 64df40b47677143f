// Types of the oauth2-wasm npm package.

/**
 * How the client authenticates: HTTP Basic, `client_id`/`client_secret` in the body, not at
 * all, or with a signed JWT (RFC 7523): "private_key_jwt" with `privateKey`,
 * "client_secret_jwt" (HS256) with `clientSecret`.
 */
export type ClientAuth = "basic" | "body" | "none" | "private_key_jwt" | "client_secret_jwt";

/**
 * A WebCrypto key (the DOM's CryptoKey, Node's webcrypto.CryptoKey), as far as the package
 * reads one: structural, so the types work with and without the DOM lib.
 */
export interface WebCryptoKey {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: { readonly name: string };
  readonly usages: readonly string[];
}

/** A private key as a JWK (RSA, EC P-256 or OKP Ed25519, with its `d`). */
export interface PrivateJwk {
  kty: "RSA" | "EC" | "OKP";
  d: string;
  crv?: string;
  alg?: string;
  kid?: string;
  [member: string]: unknown;
}

/** A DPoP key (RFC 9449) from {@link generateDPoPKey}, or any ES256 CryptoKeyPair. */
export interface DPoPKey {
  /** Non-extractable: the page can sign with it, nobody can read it out. */
  readonly privateKey: WebCryptoKey;
  readonly publicKey: WebCryptoKey;
  /** The public key as the proofs carry it (generateDPoPKey() fills it; exported on first use otherwise). */
  readonly publicJwk?: { kty: "EC"; crv: "P-256"; x: string; y: string };
}

/** Everything about the client that does not change between grants. */
export interface ClientConfig {
  /** Absolute https URL; http only for loopback hosts unless `allowInsecureHttp`. */
  tokenEndpoint: string;
  /** The authorization endpoint (RFC 6749 §3.1), for buildAuthorizationUrl; checked like tokenEndpoint. */
  authorizationEndpoint?: string;
  /** The server's issuer identifier (RFC 8414), which a callback's `iss` must equal (RFC 9207). */
  issuer?: string;
  /** Refuse a callback without `iss`: the server always sends it (RFC 9207 §2.4). clientFromMetadata sets it from the metadata. */
  requireIss?: boolean;
  /** The RFC 7009 revocation endpoint, for revokeToken and buildRevocationRequest; checked like tokenEndpoint. */
  revocationEndpoint?: string;
  /** The RFC 7662 introspection endpoint, for introspectToken and buildIntrospectionRequest. */
  introspectionEndpoint?: string;
  clientId?: string | number;
  clientSecret?: string;
  /** Default: "private_key_jwt" with a privateKey, "basic" with a secret, "none" without. */
  clientAuth?: ClientAuth;
  /**
   * The private key of "private_key_jwt": a CryptoKey (non-extractable is best) or a private
   * JWK (imported into WebCrypto, never passed into the wasm). Never stored or shown.
   */
  privateKey?: WebCryptoKey | PrivateJwk;
  /** `kid` in the client assertion's header. */
  keyId?: string;
  /** The client assertion's algorithm: RS256, PS256, ES256 or EdDSA (by default the key's); HS256 for client_secret_jwt. */
  signingAlg?: "RS256" | "PS256" | "ES256" | "EdDSA" | "HS256";
  /** A client assertion's `aud`; default: the URL of the endpoint it is sent to. */
  assertionAudience?: string;
  /** A ready client assertion, for requests built synchronously (requestToken and the others sign their own). */
  clientAssertion?: string;
  /** "form" (default): RFC 6749 §2.3.1, each half form-urlencoded (UTF-8); "raw": UTF-8 as is. */
  basicEncoding?: "form" | "raw";
  /** Default "form" (application/x-www-form-urlencoded). */
  bodyEncoding?: "form" | "json";
  /** Extra request headers (not Authorization, Content-Type, Accept: the library sets those). */
  headers?: Record<string, string>;
  /** Extra body parameters on every request. */
  extraParams?: Record<string, string>;
  /** Request time limit in milliseconds; default 30000. */
  timeoutMs?: number;
  /** Allow http to hosts other than localhost, 127.0.0.0/8 and [::1]. Default false. */
  allowInsecureHttp?: boolean;
  /** Silence the once-per-page browser warning about a client secret or a password grant in page code. */
  acknowledgeBrowserSecrets?: boolean;
  /** Response members holding a vendor's human-readable error; default error_human_title / error_human_message. */
  humanFields?: { title?: string; message?: string };
}

/** Scope as a space-separated string or a list of scope tokens. */
export type Scope = string | string[];

/** A grant: what the client presents for a token. */
export type Grant =
  | { grantType: "password"; username: string; password: string; scope?: Scope }
  | { grantType: "password"; emailAddress: string; password: string; scope?: Scope }
  | { grantType: "partner"; partnerCode: string; partnerSecret: string; scope?: Scope }
  | { grantType: "client_credentials"; scope?: Scope }
  | { grantType: "refresh_token"; refreshToken: string; scope?: Scope }
  | { grantType: "authorization_code"; code: string; redirectUri?: string; codeVerifier?: string }
  | { grantType: string; params: Record<string, string> };

/** A token request; `fetch(req.url, req)` sends it as it is. */
export interface TokenRequest {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

/** Names of the non-standard server behaviours the parser tolerates and reports. */
export type Quirk =
  | "expires_in_string"
  | "expires_in_fraction"
  | "token_type_missing"
  | "error_with_success_status"
  | "success_status_not_200"
  | "content_type_not_json"
  | "www_authenticate_on_success"
  | "expires_unix_time"
  | "refresh_token_empty"
  | "scope_array"
  | "byte_order_mark";

/** A successful token response. */
export interface TokenSet {
  accessToken: string;
  /** As sent; compare case-insensitively. "Bearer" when the server sent none. */
  tokenType: string;
  /** Seconds, as sent (a numeric string is accepted). */
  expiresIn?: number;
  /** Milliseconds since the epoch: request time plus expires_in, else from `expires`. */
  expiresAt?: number;
  refreshToken?: string;
  scope?: string;
  /** Every member the server sent, unknown ones included. */
  raw: Record<string, unknown>;
  /** Non-standard things the server did that were tolerated. */
  quirks: Quirk[];
}

/** Options of {@link parseTokenResponse}. */
export interface ParseOptions {
  /** When the request was sent, ms since the epoch; default Date.now(). */
  now?: number;
  /** Response headers: a record or a `Headers`. Content-Type, Retry-After, Date and WWW-Authenticate are read. */
  headers?: Record<string, string> | { get(name: string): string | null };
  /** Refuse every quirk with an `invalid_response` error. */
  strict?: boolean;
  /** Response members holding a vendor's human-readable error. */
  humanFields?: { title?: string; message?: string };
}

/** What went wrong. */
export type OAuthErrorKind =
  | "config"
  | "network"
  | "timeout"
  | "aborted"
  | "http"
  | "oauth"
  | "invalid_response"
  | "storage"
  | "login_required";

/** Every failure throws this. Its fields never hold a secret, password or token. */
export class OAuthError extends Error {
  constructor(kind: OAuthErrorKind, message: string, fields?: Partial<OAuthError>);
  readonly name: "OAuthError";
  kind: OAuthErrorKind;
  /** HTTP status, when there was a response. */
  status?: number;
  /** RFC 6749 §5.2 fields. */
  error?: string;
  errorDescription?: string;
  errorUri?: string;
  /** error_human_title / error_human_message (or the configured humanFields), verbatim. */
  humanTitle?: string;
  humanMessage?: string;
  /** The response text, bounded, token values redacted, when it could not be used. */
  body?: string;
  contentType?: string;
  /** Retry-After in seconds. */
  retryAfter?: number;
  /** What to try, where the library can tell. */
  hint?: string;
  /**
   * The settings the hint is about (clientAuth, tokenEndpoint, …), each with the value it
   * suggests trying where it names one — e.g. [{ setting: "clientAuth", value: "body" }].
   */
  suggestions?: { setting: string; value?: string }[];
  /** The offending configuration, grant or response field. */
  field?: string;
  /** Quirks seen in the response. */
  quirks?: Quirk[];
  /** The parsed error object, unknown fields included. */
  raw?: Record<string, unknown>;
  toJSON(): Record<string, unknown>;
}

/** Options of {@link buildTokenRequest}: what a synchronous build cannot sign itself. */
export interface BuildOptions {
  /** A ready client assertion (private_key_jwt, client_secret_jwt). */
  clientAssertion?: string;
  /** A ready DPoP proof for the `DPoP` header. */
  dpopProof?: string;
}

/** Builds a token request. Pure and synchronous; throws OAuthError (kind "config") naming a bad field. */
export function buildTokenRequest(client: ClientConfig, grant: Grant, options?: BuildOptions): TokenRequest;

/**
 * A new DPoP key pair (WebCrypto ECDSA P-256, for ES256 proofs): the private key is not
 * extractable. Pass it as `dpop` to requestToken, revokeToken and introspectToken.
 */
export function generateDPoPKey(): Promise<DPoPKey>;

/** Parses a token endpoint response, or throws OAuthError ("oauth", "http", "invalid_response"). */
export function parseTokenResponse(status: number, bodyText: string, options?: ParseOptions): TokenSet;

/** Options of {@link requestToken}. */
export interface RequestOptions {
  /** Aborting it aborts the request: the promise rejects with kind "aborted". */
  signal?: AbortSignal;
  /** Time limit for the whole exchange, body included; default: the client's timeoutMs, else 30000. */
  timeoutMs?: number;
  /** Used instead of globalThis.fetch. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /**
   * Send a DPoP proof (RFC 9449) made with this key: the tokens are bound to it. A
   * `use_dpop_nonce` answer is retried once with the server's nonce, which is kept per server.
   */
  dpop?: DPoPKey;
}

/**
 * Requests a token: buildTokenRequest, then fetch (no redirects followed, body read up to
 * 256 KiB), then parseTokenResponse. Rejects with OAuthError: "config", "network",
 * "timeout", "aborted", "http", "oauth" or "invalid_response".
 */
export function requestToken(client: ClientConfig, grant: Grant, options?: RequestOptions): Promise<TokenSet>;

/** A fresh PKCE code verifier: the base64url of 32 bytes from crypto.getRandomValues (43 characters). */
export function generateCodeVerifier(): string;

/** A fresh `state` for an authorization request: 43 characters, as the verifier. */
export function generateState(): string;

/**
 * RFC 7636 S256: BASE64URL(SHA-256(verifier)). Synchronous, with no crypto.subtle, so it works
 * on plain-http development hosts. Throws OAuthError (kind "config", field "codeVerifier") for a
 * verifier that is not 43–128 characters of A-Z a-z 0-9 - . _ ~.
 */
export function codeChallengeS256(verifier: string): string;

/** Options of {@link buildAuthorizationUrl}. */
export interface AuthorizationUrlOptions {
  redirectUri: string;
  /** Space-separated. */
  scope?: string;
  /** From generateState(); checked on the callback. */
  state: string;
  /** codeChallengeS256(verifier). */
  codeChallenge: string;
  /** Only "S256" (RFC 9700: plain is not used). */
  codeChallengeMethod?: "S256";
  /** OpenID Connect's nonce. */
  nonce?: string;
  /** More parameters (prompt, login_hint, audience …); they may not set the ones above again. */
  extraParams?: Record<string, string>;
}

/**
 * The URL to send the browser to: the client's authorizationEndpoint (its own query kept) with
 * response_type=code, client_id, redirect_uri, scope, state, code_challenge,
 * code_challenge_method=S256, nonce and extraParams. Pure; throws OAuthError (kind "config").
 */
export function buildAuthorizationUrl(client: ClientConfig, options: AuthorizationUrlOptions): string;

/** Options of {@link TokenManager.authorize}. */
export interface AuthorizeOptions {
  /** The page that calls handleCallback(). */
  redirectUri: string;
  /** Space-separated. */
  scope?: string;
  /** OpenID Connect's nonce. */
  nonce?: string;
  /** More parameters (prompt, login_hint, audience …). */
  extraParams?: Record<string, string>;
}

/** What a callback is checked against. */
export interface AuthorizationResponseChecks {
  /** The state sent in the authorization request. */
  state: string;
  /** When given, a callback `iss` parameter must equal it (RFC 9207). */
  issuer?: string;
  /** When given, the callback must arrive at this URL (origin and path). */
  redirectUri?: string;
  /** Refuse a callback without `iss` (RFC 9207 §2.4). */
  requireIss?: boolean;
}

/** A successful callback. */
export interface AuthorizationResponse {
  /** The authorization code: exchange it once, with grant "authorization_code" and the verifier. */
  code: string;
  state: string;
  iss?: string;
}

/**
 * Reads and checks the callback URL. Throws OAuthError: kind "invalid_response" for an `iss`
 * other than `issuer`, a missing or different `state`, a repeated parameter or no `code` (the
 * message names it); kind "oauth" with error, errorDescription and errorUri for the server's
 * error (no status).
 */
export function parseAuthorizationResponse(url: string | URL, checks: AuthorizationResponseChecks): AuthorizationResponse;

/** What the server says about itself (RFC 8414 §2); other members are in raw. */
export interface ServerMetadata {
  issuer: string;
  tokenEndpoint: string;
  authorizationEndpoint?: string;
  revocationEndpoint?: string;
  introspectionEndpoint?: string;
  tokenEndpointAuthMethodsSupported?: string[];
  codeChallengeMethodsSupported?: string[];
  dpopSigningAlgValuesSupported?: string[];
  authorizationResponseIssParameterSupported?: boolean;
  /** The whole document. */
  raw: Record<string, unknown>;
}

/** Options of {@link discover}. */
export interface DiscoverOptions {
  signal?: AbortSignal;
  /** Default 30000. */
  timeoutMs?: number;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Accept a plain-http issuer that is not a loopback host (development only). */
  allowInsecureHttp?: boolean;
}

/**
 * Fetches the server's metadata: RFC 8414's /.well-known/oauth-authorization-server (inserted
 * before the issuer's path), then OpenID Connect's /.well-known/openid-configuration on a 404.
 * The document must name `issuer` exactly. Rejects with OAuthError: "invalid_response" (another
 * issuer, no token_endpoint, not JSON), "http" (another status, or 404 at both), "config",
 * "network", "timeout", "aborted".
 */
export function discover(issuer: string, options?: DiscoverOptions): Promise<ServerMetadata>;

/**
 * A ClientConfig from discovered metadata: `options` with the endpoints and issuer filled in
 * where it has none, and clientAuth picked from tokenEndpointAuthMethodsSupported when it sets
 * none (client_secret_basic → "basic", client_secret_post → "body", none → "none").
 */
export function clientFromMetadata(metadata: ServerMetadata, options: Partial<ClientConfig>): ClientConfig;

/** Options of {@link buildRevocationRequest} and {@link revokeToken}. */
export interface RevocationOptions {
  /** "access_token", "refresh_token" or an extension's type (RFC 7009 §2.1). */
  tokenTypeHint?: string;
}

/**
 * Builds the RFC 7009 revocation request for `token` at the client's revocationEndpoint,
 * authenticated as token requests are. Pure and synchronous; throws OAuthError (kind "config").
 */
export function buildRevocationRequest(client: ClientConfig, token: string, options?: RevocationOptions): TokenRequest;

/** What the server says about a token (RFC 7662 §2.2); members of another type are only in raw. */
export interface IntrospectionResult {
  active: boolean;
  scope?: string;
  clientId?: string;
  username?: string;
  tokenType?: string;
  /** Seconds since the epoch. */
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  /** A single audience becomes one element. */
  aud?: string[];
  iss?: string;
  jti?: string;
  /** Every member the server sent. */
  raw: Record<string, unknown>;
}

/** Builds the RFC 7662 introspection request for `token`, authenticated as token requests are. */
export function buildIntrospectionRequest(client: ClientConfig, token: string, options?: RevocationOptions): TokenRequest;

/**
 * Asks the client's introspectionEndpoint about `token` (RFC 7662). Rejects with OAuthError:
 * "invalid_response" (field "active") for an answer without a boolean active, "oauth",
 * "http", "network", "timeout", "aborted", "config".
 */
export function introspectToken(client: ClientConfig, token: string, options?: RevocationOptions & RequestOptions): Promise<IntrospectionResult>;

/**
 * Revokes `token` (RFC 7009): resolves on any 2xx; rejects with OAuthError — "oauth" for an
 * error body such as unsupported_token_type, "http" (with retryAfter) for a 503, "network",
 * "timeout", "aborted", "config".
 */
export function revokeToken(client: ClientConfig, token: string, options?: RevocationOptions & RequestOptions): Promise<void>;

/** A storage a TokenManager can use: each method sync or returning a Promise; values are strings. */
export interface StorageAdapter {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
  remove(key: string): void | Promise<void>;
  /**
   * Optional: run `fn` while holding an exclusive lock called `name`, shared by every process
   * using the store, and return its result. With it, processes refresh once between them.
   */
  lock?<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Optional: the DPoP key pair of the session under `storageKey`, for managers with
   * `dpop: true` on a store processes share (they must all sign with one key).
   */
  dpopKey?(storageKey: string): Promise<{ privateKey: WebCryptoKey; publicKey: WebCryptoKey }>;
  /** Optional, with dpopKey: the session under `storageKey` ended (logout): its key may go. */
  forgetDpopKey?(storageKey: string): void | Promise<void>;
}

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  client: ClientConfig;
  /** A grant the manager may repeat by itself to get new tokens: client_credentials, partner or an extension grant. */
  grant?: Grant;
  /** Default "local" in a window, "memory" elsewhere (workers, Node). */
  storage?: "local" | "session" | "memory" | StorageAdapter;
  /** Default: "oauth2-wasm:" + tokenEndpoint + "#" + clientId. */
  storageKey?: string;
  /** Renew this long before expiry. Default 60 s, but at most a tenth of the token's lifetime. */
  refreshSkewSeconds?: number;
  /** A clock in ms since the epoch, for tests. */
  now?: () => number;
  /** Used for token requests and manager.fetch instead of globalThis.fetch (in Node, e.g. nodeHttpFetch from "oauth2-wasm/node-http"). */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /**
   * The origins manager.fetch may send the access token to (URLs; paths are ignored), e.g.
   * ["https://api.example.com"]. Default: any https origin, and loopback hosts over http.
   */
  resourceOrigins?: string[];
  /**
   * Bind the sessions to a DPoP key (RFC 9449): token requests carry proofs, manager.fetch
   * sends `Authorization: DPoP` with a proof. The key is kept in IndexedDB in browsers (tabs
   * share it), in memory in Node, or by the storage adapter (`dpopKey`); logout() forgets it.
   */
  dpop?: boolean;
}

/** Why the tokens changed. */
export type ChangeReason =
  | "login" | "refresh" | "reacquire" | "logout" | "external" | "login_required" | "storage_error" | "discarded";

/** What onChange listeners receive besides the tokens. */
export interface ChangeEvent {
  reason: ChangeReason;
  /** Behind "login_required", "storage_error" and "discarded". */
  error?: OAuthError;
}

/** Keeps a session's tokens in storage and hands out a valid access token. */
export class TokenManager {
  constructor(options: TokenManagerOptions);
  /** Requests tokens with `grant`, stores and returns them. */
  login(grant: Grant): Promise<TokenSet>;
  /**
   * Starts the authorization-code flow with PKCE: a fresh verifier and state, kept with the
   * redirect URI in this tab's sessionStorage (memory where there is none; never
   * localStorage) for at most 10 minutes. Resolves with the URL to send the browser to
   * (the client needs authorizationEndpoint and clientId). Rejects with OAuthError "config".
   */
  authorize(options: AuthorizeOptions): Promise<string>;
  /**
   * Finishes the flow authorize() started, once: checks the callback (state, the client's
   * issuer against iss, the redirect URI), exchanges the code with the verifier and stores the
   * session as login() does. Rejects with OAuthError: "invalid_response" (no authorization under
   * way, expired, forged state, iss, no code), "oauth" (the server's error in the callback, or
   * at the token endpoint), and the kinds of login().
   */
  handleCallback(url?: string | URL): Promise<TokenSet>;
  /** A valid access token: cached, refreshed or re-acquired; one request for all concurrent callers (and tabs). */
  getAccessToken(): Promise<string>;
  /** The stored tokens, or null; no network, no storage access. */
  getTokens(): TokenSet | null;
  /** Renew now, even if the token is fresh (unless another tab just did). */
  refresh(): Promise<TokenSet>;
  /**
   * Forget the tokens, in storage too; other tabs see it. `{ revoke: true }`: then revoke the
   * refresh token and the access token at the client's revocationEndpoint (RFC 7009) — the
   * logout stands whatever happens; the promise rejects with the first revocation that failed.
   */
  logout(options?: { revoke?: boolean }): Promise<void>;
  /**
   * fetch with Authorization: Bearer <token> (with `dpop: true` and a DPoP token:
   * Authorization: DPoP <token> and a DPoP proof with `ath`) — only over https (http only to
   * localhost, 127.0.0.0/8 and [::1], unless the client's allowInsecureHttp), and only to
   * `resourceOrigins` when given; anything else rejects with kind "config" before a request
   * is made. A 401 asking for a DPoP nonce is sent once more with it. On a 401, renews once
   * and retries when the body can be replayed — unless the token is less than a second old
   * (then the 401 is returned: renewals caused by 401s are spaced out).
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Calls `listener` on every change; returns a function that removes it. */
  onChange(listener: (tokens: TokenSet | null, event: ChangeEvent) => void): () => void;
  /** Frees the wasm memory behind the manager. */
  free(): void;
}
