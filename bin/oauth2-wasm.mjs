#!/usr/bin/env node
// oauth2-wasm on the command line: requests a token from an OAuth 2 token endpoint with the
// package's own requestToken and prints the token set as JSON. Secrets come from environment
// variables or stdin, never from the command line; errors go to stderr with an exit code per
// kind. `oauth2-wasm --help` and `oauth2-wasm token --help` describe it all.

import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { createPrivateKey } from "node:crypto";
import { discover, generateDPoPKey, requestToken, revokeToken, introspectToken, OAuthError } from "../js/index.mjs";

const NAME = "oauth2-wasm";

/** Exit codes, one per kind of failure; documented in the help texts below. */
const EXIT = {
  ok: 0,
  other: 1,
  usage: 2,
  config: 2,
  network: 3,
  timeout: 4,
  http: 5,
  oauth: 6,
  invalid_response: 7,
  interrupted: 130,
};

const EXIT_HELP = `Exit codes:
  0    a token was received and printed
  1    any other failure (e.g. --field names a member the response lacks)
  2    usage or configuration: a bad, missing or refused option, or the library's
       "config" error (a bad endpoint URL, http to a non-loopback host, …)
  3    network: the endpoint could not be reached (refused, DNS, reset, TLS)
  4    timeout: no complete answer within --timeout
  5    http: an HTTP error without a usable OAuth error (404, 500, a redirect, …)
  6    oauth: the server refused the request (invalid_client, invalid_grant, …)
  7    invalid_response: a success status without a usable token response
  130  interrupted (Ctrl-C)`;

const MAIN_HELP = `${NAME}: OAuth 2 token requests from the command line (oauth2-wasm's requestToken)

Usage:
  ${NAME} token --endpoint URL [options]   request a token; print the token set as JSON
  ${NAME} revoke --endpoint URL [options]  revoke a token (RFC 7009)
  ${NAME} introspect --endpoint URL [...]  ask the server about a token (RFC 7662)
  ${NAME} discover ISSUER [options]        print the server's metadata (RFC 8414, OpenID Connect)
  ${NAME} help [COMMAND]                   show this help, or the options of a command
  ${NAME} --version                        print the version

Secrets (client secret, password, refresh token, partner secret, the token to revoke)
are read from environment variables or stdin, never from the command line.

Example:
  export AUTOGRAB_SECRET=…
  ${NAME} token --endpoint https://autograb.example/request-token \\
    --client-id my-client --client-secret-env AUTOGRAB_SECRET

Run '${NAME} token --help' for every option.

${EXIT_HELP}
`;

const TOKEN_HELP = `Usage: ${NAME} token --endpoint URL [--client-id ID] [secret options] [--grant GRANT] [options]

Requests a token and prints the token set as pretty JSON on stdout: accessToken,
tokenType, expiresIn, expiresAt (ms since the epoch), refreshToken, scope, quirks, and
raw (every member the server sent). Errors go to stderr: the kind, the HTTP status, the
OAuth fields (error, error_description, error_uri), the provider's human-readable title
and message, and a hint.

Secrets are never taken as option values: other users can read a command line in the
process list, and shells keep it in their history. Name an environment variable that
holds the secret (…-env VAR), or pipe it on stdin (…-stdin: everything up to EOF, one
trailing newline removed; on a terminal it is asked for without echo). At most one
secret can come from stdin.

Endpoint and client:
  --endpoint URL            the token endpoint: https, or http to localhost,
                            127.0.0.0/8 or [::1] (see --allow-insecure-http)
  --client-id ID            the client_id
  --client-secret-env VAR   read the client secret from environment variable VAR
  --client-secret-stdin     read the client secret from stdin
  --auth basic|body|none|private_key_jwt|client_secret_jwt
                            client authentication: HTTP Basic (the default with a
                            secret), client_id/client_secret in the body, none (the
                            default without a secret: client_id in the body), or a JWT
                            signed with a private key or HS256 with the secret (RFC 7523)
  --private-key-file PATH   private_key_jwt's key: a private JWK (JSON) or a PEM
                            private key (PKCS#8, PKCS#1, SEC1); implies
                            --auth private_key_jwt
  --private-key-env VAR     the same, from environment variable VAR
  --key-id KID              the assertion's kid
  --signing-alg ALG         RS256, PS256, ES256 or EdDSA (default: the key's)
  --dpop                    bind the tokens to a new DPoP key (RFC 9449); the key
                            lives only as long as the command
  --basic-raw               HTTP Basic without form-encoding id and secret first (what
                            curl --user sends), for servers that do not decode them
  --json-body               send the parameters as a JSON body instead of a form

Grant:
  --grant GRANT             client_credentials (default), password, refresh_token or
                            partner
  --scope SCOPE             the scope: repeat the option or separate tokens by spaces
  password:       --username NAME or --email ADDRESS (email_address), and
                  --password-env VAR or --password-stdin
  refresh_token:  --refresh-token-env VAR or --refresh-token-stdin
  partner:        --partner-code CODE, and --partner-secret-env VAR or
                  --partner-secret-stdin

Request:
  --header "Name: value"    an extra request header (repeatable); Authorization,
                            Content-Type and Accept are the library's
  --param name=value        an extra body parameter (repeatable)
  --timeout MS              time limit for the whole exchange (default 30000)
  --allow-insecure-http     allow http to any host (the credentials travel in clear)

Output:
  --access-token-only       print only the access token, for shell scripts:
                            TOKEN=$(${NAME} token … --access-token-only)
  --field NAME              print only one field: of the token set (accessToken,
                            expiresAt, refreshToken, …) or one the server sent
                            (access_token, id_token, …); strings are printed as they
                            are, anything else as JSON
  --json-errors             print an error on stderr as one line of JSON (its fields
                            and exitCode) instead of text
  -h, --help                show this help

Examples:
  # AutoGrab: client_credentials over HTTP Basic
  AUTOGRAB_SECRET=… ${NAME} token --endpoint https://autograb.example/request-token \\
    --client-id my-client --client-secret-env AUTOGRAB_SECRET

  # OLX: password grant, password on stdin, only the access token
  printf '%s' "$OLX_PASSWORD" | ${NAME} token \\
    --endpoint https://www.autovit.ro/api/open/oauth/token --client-id 123 \\
    --client-secret-env OLX_SECRET --grant password --username me@example.com \\
    --password-stdin --access-token-only

  # Teen Quotes: credentials in a JSON body
  ${NAME} token --endpoint https://api.teen-quotes.com/oauth --client-id 42 \\
    --client-secret-env TQ_SECRET --auth body --json-body

${EXIT_HELP}
`;

const REVOKE_HELP = `Usage: ${NAME} revoke --endpoint URL [--client-id ID] [secret options] --token-env VAR | --token-stdin [options]

Revokes an access or refresh token at the server's revocation endpoint (RFC 7009), so
that a copy of it is useless from then on. Prints nothing on success (any 2xx: the token
is invalid now, or was); errors go to stderr as for token.

The token and the client secret are read from environment variables or stdin, never from
the command line (at most one of them from stdin).

  --endpoint URL            the revocation endpoint: https, or http to localhost,
                            127.0.0.0/8 or [::1] (see --allow-insecure-http)
  --token-env VAR           read the token to revoke from environment variable VAR
  --token-stdin             read the token to revoke from stdin
  --hint TYPE               token_type_hint: refresh_token or access_token
  --client-id ID, --client-secret-env VAR, --client-secret-stdin, --auth AUTH,
  --private-key-file PATH, --private-key-env VAR, --key-id KID, --signing-alg ALG,
  --dpop, --basic-raw, --json-body, --header "Name: value", --param name=value,
  --timeout MS, --allow-insecure-http, --json-errors, -h, --help
                            as for token: the request is authenticated as token
                            requests are

Example:
  printf '%s' "$REFRESH_TOKEN" | ${NAME} revoke --endpoint https://auth.example.com/revoke \\
    --client-id my-client --client-secret-env SECRET --token-stdin --hint refresh_token

${EXIT_HELP}
`;

const INTROSPECT_HELP = `Usage: ${NAME} introspect --endpoint URL [--client-id ID] [secret options] --token-env VAR | --token-stdin [options]

Asks the server's introspection endpoint about a token (RFC 7662) and prints its answer as
pretty JSON on stdout: active, scope, clientId, username, tokenType, exp, iat, nbf, sub,
aud, iss, jti, and raw (every member it sent). Errors go to stderr as for token.

The options are those of revoke (${NAME} revoke --help), --endpoint being the
introspection endpoint.

${EXIT_HELP}
`;

const DISCOVER_HELP = `Usage: ${NAME} discover ISSUER [--timeout MS] [--allow-insecure-http] [--json-errors]

Fetches the authorization server's metadata — RFC 8414's
/.well-known/oauth-authorization-server (inserted before the issuer's path), then OpenID
Connect's /.well-known/openid-configuration if that answers 404 — checks that it names
ISSUER exactly, and prints it as pretty JSON on stdout: issuer, tokenEndpoint,
authorizationEndpoint, revocationEndpoint, introspectionEndpoint, the supported methods,
and raw (the whole document). Errors go to stderr as for token.

Options:
  --timeout MS              give up after MS milliseconds (default 30000)
  --allow-insecure-http     accept a plain-http issuer that is not a loopback host
  --json-errors             print errors as one JSON object on stderr
  -h, --help                show this help

Example:
  ${NAME} discover https://accounts.example.com

${EXIT_HELP}
`;

const DISCOVER_OPTIONS = {
  timeout: { type: "string" },
  "allow-insecure-http": { type: "boolean" },
  "json-errors": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** A mistake in the command line: exit 2, message on stderr, nothing sent. */
class UsageError extends Error {}

/** Ctrl-C while asking for a secret on the terminal. */
class Interrupted extends Error {}

// ---- The secrets -------------------------------------------------------------------------

/** Each secret: the option names of its two sources, and what it is called in messages. */
const SECRETS = {
  clientSecret: { env: "client-secret-env", stdin: "client-secret-stdin", what: "client secret" },
  password: { env: "password-env", stdin: "password-stdin", what: "password" },
  refreshToken: { env: "refresh-token-env", stdin: "refresh-token-stdin", what: "refresh token" },
  partnerSecret: { env: "partner-secret-env", stdin: "partner-secret-stdin", what: "partner secret" },
  token: { env: "token-env", stdin: "token-stdin", what: "token" },
};

/** Options that would put a secret on the command line: refused, with the way to do it. */
const REFUSED = {
  "client-secret": "clientSecret",
  secret: "clientSecret",
  password: "password",
  pass: "password",
  "refresh-token": "refreshToken",
  "partner-secret": "partnerSecret",
  token: "token",
};

const MAX_STDIN = 64 * 1024;

// ---- The options of `token` --------------------------------------------------------------

const TOKEN_OPTIONS = {
  endpoint: { type: "string" },
  "client-id": { type: "string" },
  "client-secret-env": { type: "string" },
  "client-secret-stdin": { type: "boolean" },
  grant: { type: "string" },
  scope: { type: "string", multiple: true },
  auth: { type: "string" },
  "json-body": { type: "boolean" },
  "basic-raw": { type: "boolean" },
  username: { type: "string" },
  email: { type: "string" },
  "password-env": { type: "string" },
  "password-stdin": { type: "boolean" },
  "refresh-token-env": { type: "string" },
  "refresh-token-stdin": { type: "boolean" },
  "partner-code": { type: "string" },
  "partner-secret-env": { type: "string" },
  "partner-secret-stdin": { type: "boolean" },
  header: { type: "string", multiple: true },
  param: { type: "string", multiple: true },
  timeout: { type: "string" },
  "allow-insecure-http": { type: "boolean" },
  field: { type: "string" },
  "access-token-only": { type: "boolean" },
  "json-errors": { type: "boolean" },
  "private-key-file": { type: "string" },
  "private-key-env": { type: "string" },
  "key-id": { type: "string" },
  "signing-alg": { type: "string" },
  dpop: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

// ---- The options of `revoke` --------------------------------------------------------------

const REVOKE_OPTIONS = {
  endpoint: { type: "string" },
  "client-id": { type: "string" },
  "client-secret-env": { type: "string" },
  "client-secret-stdin": { type: "boolean" },
  "token-env": { type: "string" },
  "token-stdin": { type: "boolean" },
  hint: { type: "string" },
  auth: { type: "string" },
  "json-body": { type: "boolean" },
  "basic-raw": { type: "boolean" },
  header: { type: "string", multiple: true },
  param: { type: "string", multiple: true },
  timeout: { type: "string" },
  "allow-insecure-http": { type: "boolean" },
  "json-errors": { type: "boolean" },
  "private-key-file": { type: "string" },
  "private-key-env": { type: "string" },
  "key-id": { type: "string" },
  "signing-alg": { type: "string" },
  dpop: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const GRANTS = ["client_credentials", "password", "refresh_token", "partner"];

/** Options that belong to one grant only. */
const GRANT_OPTIONS = {
  username: "password",
  email: "password",
  "password-env": "password",
  "password-stdin": "password",
  "refresh-token-env": "refresh_token",
  "refresh-token-stdin": "refresh_token",
  "partner-code": "partner",
  "partner-secret-env": "partner",
  "partner-secret-stdin": "partner",
};

/**
 * Parses argv with node:util's parseArgs, but words the errors itself: parseArgs quotes a
 * stray argument, which may be a secret typed in the wrong place.
 */
function parse(args, options) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    if (err?.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const name = /'([^']*)'/.exec(err.message)?.[1] ?? "";
      const guess = suggest(name, Object.keys(options));
      throw new UsageError(`unknown option ${name}${guess ? ` (did you mean --${guess}?)` : ""}`);
    }
    if (err?.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw new UsageError(err.message.split("\n")[0]);
    throw err;
  }
  return parsed;
}

/** The known option closest to an unknown one, if it is close. */
function suggest(name, known) {
  const bare = name.replace(/^-+/, "");
  if (!bare) return undefined;
  let best;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.startsWith(bare) || bare.startsWith(k) ? 1 : distance(bare, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(bare.length / 4)) ? best : undefined;
}

function distance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** Refuses `--client-secret xyz`, `--password=xyz` …: a secret must not be on the command line. */
function refuseSecretsOnCommandLine(args) {
  for (const arg of args) {
    if (arg === "--") return;
    const m = /^--([a-z-]+)(=|$)/.exec(arg);
    const secret = m && REFUSED[m[1]];
    if (secret) {
      const s = SECRETS[secret];
      throw new UsageError(
        `--${m[1]} is refused: a ${s.what} on the command line can be read by other users in the ` +
          `process list and stays in your shell history. Put it in an environment variable and ` +
          `pass its name with --${s.env} VAR, or pipe it on stdin with --${s.stdin}.`,
      );
    }
  }
}

/** Builds the client, the grant and the output choice from the options; reads no secret yet. */
function plan(values, positionals) {
  needEndpoint("token", values, positionals, "the token endpoint to ask");
  const grantType = values.grant ?? "client_credentials";
  if (!GRANTS.includes(grantType)) {
    throw new UsageError(`--grant must be one of ${GRANTS.join(", ")}`);
  }
  for (const [option, grant] of Object.entries(GRANT_OPTIONS)) {
    if (values[option] !== undefined && grant !== grantType) {
      throw new UsageError(`--${option} belongs to --grant ${grant}, but the grant is ${grantType}`);
    }
  }
  if (values.field !== undefined && values["access-token-only"]) {
    throw new UsageError("give --field or --access-token-only, not both");
  }
  if (values.field === "") throw new UsageError("--field needs a field name");
  const client = clientOf(values, { tokenEndpoint: values.endpoint });
  const sources = secretSources(values);

  const needSecret = (key) => {
    if (!sources[key]) {
      const s = SECRETS[key];
      throw new UsageError(`--grant ${grantType} needs the ${s.what}: --${s.env} VAR or --${s.stdin}`);
    }
  };
  if (grantType === "password") {
    if ((values.username === undefined) === (values.email === undefined)) {
      throw new UsageError("--grant password needs exactly one of --username NAME and --email ADDRESS");
    }
    needSecret("password");
  } else if (grantType === "refresh_token") {
    needSecret("refreshToken");
  } else if (grantType === "partner") {
    if (values["partner-code"] === undefined) throw new UsageError("--grant partner needs --partner-code CODE");
    needSecret("partnerSecret");
  }

  const scopes = (values.scope ?? []).flatMap((s) => s.split(/\s+/)).filter(Boolean);
  const grant = { grantType };
  if (grantType === "password") {
    if (values.username !== undefined) grant.username = values.username;
    else grant.emailAddress = values.email;
  } else if (grantType === "partner") {
    grant.partnerCode = values["partner-code"];
  }
  if (scopes.length > 0) grant.scope = scopes;

  const field = values["access-token-only"] ? "accessToken" : values.field;
  return { client, grant, sources, field, jsonErrors: Boolean(values["json-errors"]) };
}

/** A command takes options only, and --endpoint. */
function needEndpoint(command, values, positionals, what) {
  if (positionals.length > 0) {
    throw new UsageError(
      `${command} takes options only, but got ${positionals.length} other argument${positionals.length > 1 ? "s" : ""} ` +
        `(an option value that starts with "-" is written --option=value)`,
    );
  }
  if (values.endpoint === undefined || values.endpoint === "") {
    throw new UsageError(`missing --endpoint URL: ${what}`);
  }
}

/** The client and the token's source, from the options of `revoke` or `introspect`. */
function aboutTokenPlan(command, values, positionals) {
  const introspect = command === "introspect";
  needEndpoint(command, values, positionals, `the ${introspect ? "introspection (RFC 7662)" : "revocation (RFC 7009)"} endpoint`);
  const client = clientOf(values, introspect ? { introspectionEndpoint: values.endpoint } : { revocationEndpoint: values.endpoint });
  const sources = secretSources(values);
  if (!sources.token) throw new UsageError(`${command} needs the token: --token-env VAR or --token-stdin`);
  if (values.hint === "") throw new UsageError("--hint needs a token type: refresh_token or access_token");
  return { client, sources, hint: values.hint };
}

/** Where each secret given comes from: an environment variable, or stdin (at most one). */
function secretSources(values) {
  const sources = {};
  const fromStdin = [];
  for (const [key, s] of Object.entries(SECRETS)) {
    const env = values[s.env];
    const stdin = values[s.stdin];
    if (env !== undefined && stdin) throw new UsageError(`give the ${s.what} once: --${s.env} or --${s.stdin}`);
    if (env !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) {
        throw new UsageError(
          `--${s.env} takes the name of an environment variable (letters, digits and _), not the ${s.what} itself`,
        );
      }
      sources[key] = { env };
    } else if (stdin) {
      sources[key] = { stdin: true };
      fromStdin.push(`--${s.stdin}`);
    }
  }
  if (fromStdin.length > 1) {
    throw new UsageError(`only one secret can come from stdin, but ${fromStdin.join(" and ")} both ask for it`);
  }
  return sources;
}

/** --timeout's value. Only the syntax here: the range is the library's rule (timeoutMs; a config error names it). */
function timeoutOf(text) {
  if (!/^[0-9]+$/.test(text)) throw new UsageError("--timeout takes a whole number of milliseconds, more than 0");
  return Number(text);
}

/** The client configuration the shared options give, on top of `client` (its endpoint). */
function clientOf(values, client) {
  if (values.auth !== undefined && !AUTHS.includes(values.auth)) {
    throw new UsageError(`--auth must be ${AUTHS.slice(0, -1).join(", ")} or ${AUTHS.at(-1)}`);
  }
  const keyFrom = ["private-key-file", "private-key-env"].filter((o) => values[o] !== undefined);
  if (keyFrom.length > 1) throw new UsageError("give the private key once: --private-key-file or --private-key-env");
  if (keyFrom.length === 1 && values.auth !== undefined && values.auth !== "private_key_jwt") {
    throw new UsageError(`--${keyFrom[0]} is the key of --auth private_key_jwt, but --auth is ${values.auth}`);
  }
  if (keyFrom.length === 1) values.auth ??= "private_key_jwt";
  if (values.auth === "private_key_jwt" && keyFrom.length === 0) {
    throw new UsageError("--auth private_key_jwt needs the key: --private-key-file PATH or --private-key-env VAR");
  }
  if (values["private-key-env"] !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(values["private-key-env"])) {
    throw new UsageError("--private-key-env takes the name of an environment variable (letters, digits and _), not the key itself");
  }
  if (values["key-id"] !== undefined) client.keyId = values["key-id"];
  if (values["signing-alg"] !== undefined) client.signingAlg = values["signing-alg"];
  if (values["basic-raw"] && values.auth !== undefined && values.auth !== "basic") {
    throw new UsageError(`--basic-raw applies to HTTP Basic, but --auth is ${values.auth}`);
  }
  const timeoutMs = values.timeout === undefined ? undefined : timeoutOf(values.timeout);

  const headers = pairs(values.header, ":", "--header", '"Name: value"', (name) => name.toLowerCase());
  const extraParams = pairs(values.param, "=", "--param", "name=value", (name) => name);
  if (values["client-id"] !== undefined) client.clientId = values["client-id"];
  if (values.auth !== undefined) client.clientAuth = values.auth;
  if (values["basic-raw"]) client.basicEncoding = "raw";
  if (values["json-body"]) client.bodyEncoding = "json";
  if (headers) client.headers = headers;
  if (extraParams) client.extraParams = extraParams;
  if (timeoutMs !== undefined) client.timeoutMs = timeoutMs;
  if (values["allow-insecure-http"]) client.allowInsecureHttp = true;
  return client;
}

const AUTHS = ["basic", "body", "none", "private_key_jwt", "client_secret_jwt"];

/**
 * private_key_jwt's key from --private-key-file or --private-key-env, as a private JWK (the
 * package imports it into WebCrypto, non-extractable). Its text is never shown.
 */
function readPrivateKey(values) {
  const file = values["private-key-file"];
  const env = values["private-key-env"];
  if (file === undefined && env === undefined) return undefined;
  let text;
  if (file !== undefined) {
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new UsageError(`could not read --private-key-file ${clean(file)}: ${e.code ?? "unreadable"}`);
    }
  } else {
    text = process.env[env];
    if (text === undefined) throw new UsageError(`--private-key-env: environment variable ${env} is not set`);
  }
  const from = file !== undefined ? "--private-key-file" : "--private-key-env";
  try {
    const key = text.trimStart().startsWith("{") ? createPrivateKey({ key: JSON.parse(text), format: "jwk" }) : createPrivateKey(text);
    return key.export({ format: "jwk" });
  } catch {
    throw new UsageError(`${from} holds no private key: give a private JWK or a PEM private key`);
  }
}

/** `Name: value` / `name=value` options into a record; the values (maybe secret) are never quoted. */
function pairs(list, separator, option, form, key) {
  if (!list || list.length === 0) return undefined;
  const out = {};
  const seen = new Set();
  for (const item of list) {
    const at = item.indexOf(separator);
    const name = at > 0 ? item.slice(0, at).trim() : "";
    // The name's grammar is the library's rule (a config error names headers.<name>).
    if (!name) {
      throw new UsageError(`${option} takes ${form}; one of them has no valid name before "${separator}"`);
    }
    if (seen.has(key(name))) throw new UsageError(`${option} ${name} is given twice`);
    seen.add(key(name));
    const value = item.slice(at + 1);
    out[name] = separator === ":" ? value.replace(/^[ \t]+|[ \t]+$/g, "") : value;
  }
  return out;
}

/** Reads the secrets named by `sources` into the client and the grant. */
async function readSecrets(sources, client, grant) {
  // Environment variables first: a missing one fails before anything is read from stdin.
  const values = {};
  for (const [key, source] of Object.entries(sources)) {
    if (source.env === undefined) continue;
    const s = SECRETS[key];
    const value = process.env[source.env];
    // The variable's name is not repeated: it might be the secret, passed by mistake.
    if (value === undefined) {
      throw new UsageError(`the environment variable named by --${s.env} is not set (or not exported)`);
    }
    if (value === "") throw new UsageError(`the environment variable named by --${s.env} is empty`);
    values[key] = value;
  }
  for (const [key, source] of Object.entries(sources)) {
    if (!source.stdin) continue;
    const s = SECRETS[key];
    const value = await readStdin(s.what);
    if (value === "") throw new UsageError(`--${s.stdin}: stdin held no ${s.what}`);
    values[key] = value;
  }
  if (values.clientSecret !== undefined) client.clientSecret = values.clientSecret;
  if (values.password !== undefined) grant.password = values.password;
  if (values.refreshToken !== undefined) grant.refreshToken = values.refreshToken;
  if (values.partnerSecret !== undefined) grant.partnerSecret = values.partnerSecret;
  if (values.token !== undefined) grant.token = values.token;
}

/** All of stdin, less one trailing newline; on a terminal, one line typed without echo. */
async function readStdin(what) {
  const stdin = process.stdin;
  if (stdin.isTTY && typeof stdin.setRawMode === "function") return promptHidden(`${what}: `);
  const chunks = [];
  let size = 0;
  for await (const chunk of stdin) {
    size += chunk.length;
    if (size > MAX_STDIN) throw new UsageError(`the ${what} on stdin is longer than ${MAX_STDIN} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

function promptHidden(prompt) {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (err) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new Interrupted());
        if (ch === "\u007f" || ch === "\b") value = Array.from(value).slice(0, -1).join("");
        else if (ch === "\u0015") value = "";
        else if (ch >= " ") value += ch;
      }
    };
    process.stderr.write(prompt);
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
  });
}

// ---- Output ------------------------------------------------------------------------------

/** The value `--field name` prints: a token set field, else a member the server sent. */
function pick(tokens, name) {
  if (Object.hasOwn(tokens, name) && tokens[name] !== undefined) return tokens[name];
  if (tokens.raw && Object.hasOwn(tokens.raw, name) && tokens.raw[name] !== undefined) return tokens.raw[name];
  return undefined;
}

/** Server text made safe for a terminal: control and bidi characters escaped, one line. */
function clean(value) {
  return String(value).replace(
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  );
}

/**
 * The library's settings as this CLI's options: an error names them in `err.field` (the
 * setting at fault) and `err.suggestions` (the settings its hint is about, with a value to
 * try) — never in its text, which this CLI does not read.
 */
const CLI_OPTIONS = {
  basicEncoding: (value) => (value === "form" ? "without --basic-raw" : "--basic-raw"),
  clientAuth: (value) => (value ? `--auth ${value}` : "--auth"),
  bodyEncoding: () => "--json-body",
  tokenEndpoint: () => "--endpoint",
  allowInsecureHttp: () => "--allow-insecure-http",
  clientId: () => "--client-id",
  clientSecret: () => "--client-secret-env / --client-secret-stdin",
  timeoutMs: () => "--timeout",
  headers: () => "--header",
  extraParams: () => "--param",
  username: () => "--username",
  emailAddress: () => "--email",
  password: () => "--password-env / --password-stdin",
  refreshToken: () => "--refresh-token-env / --refresh-token-stdin",
  partnerCode: () => "--partner-code",
  partnerSecret: () => "--partner-secret-env / --partner-secret-stdin",
  scope: () => "--scope",
  grantType: () => "--grant",
  privateKey: () => "--private-key-file / --private-key-env",
  keyId: () => "--key-id",
  signingAlg: () => "--signing-alg",
};

function cliOptions(err) {
  const settings = [];
  // A field such as "headers.X-Name" or "grant.username": the setting is its first name.
  if (typeof err.field === "string") settings.push({ setting: err.field.replace(/^grant\./, "").split(".")[0] });
  if (Array.isArray(err.suggestions)) settings.push(...err.suggestions);
  const found = [];
  for (const { setting, value } of settings) {
    const option = Object.hasOwn(CLI_OPTIONS, setting) ? CLI_OPTIONS[setting](value) : undefined;
    if (option && !found.includes(option)) found.push(option);
  }
  return found;
}

function describe(err, code) {
  const lines = [`${NAME}: ${clean(err.message)}`];
  const row = (label, value) => {
    if (value === undefined || value === null || value === "") return;
    lines.push(`  ${`${label}:`.padEnd(19)} ${clean(value)}`);
  };
  row("kind", err.kind);
  row("status", err.status);
  row("error", err.error);
  row("error_description", err.errorDescription);
  row("error_uri", err.errorUri);
  row("humanTitle", err.humanTitle);
  row("humanMessage", err.humanMessage);
  row("retry_after", err.retryAfter !== undefined ? `${err.retryAfter} s` : undefined);
  row("field", err.field);
  if (err.body && err.error === undefined) {
    const body = err.body.length > 300 ? `${err.body.slice(0, 300)}…` : err.body;
    row(err.contentType ? `body (${err.contentType})` : "body", body);
  }
  row("hint", err.hint);
  const options = cliOptions(err);
  if (options.length > 0) row("options", options.join(", "));
  row("exit", code);
  return lines.join("\n") + "\n";
}

function exitCodeOf(err, interrupted) {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof Interrupted) return EXIT.interrupted;
  if (err instanceof OAuthError) {
    if (err.kind === "aborted" && interrupted) return EXIT.interrupted;
    return EXIT[err.kind] ?? EXIT.other;
  }
  return EXIT.other;
}

function report(err, { jsonErrors, interrupted, usageHint }) {
  const code = exitCodeOf(err, interrupted);
  if (jsonErrors) {
    let fields;
    if (err instanceof OAuthError) fields = err.toJSON();
    else if (err instanceof UsageError) fields = { name: "UsageError", kind: "usage", message: err.message };
    else if (err instanceof Interrupted) fields = { name: "Interrupted", kind: "interrupted", message: "interrupted" };
    else fields = { name: "Error", kind: "unexpected", message: String(err?.message ?? err) };
    process.stderr.write(JSON.stringify({ ...fields, exitCode: code }) + "\n");
  } else if (err instanceof Interrupted || code === EXIT.interrupted) {
    process.stderr.write(`${NAME}: interrupted\n`);
  } else if (err instanceof OAuthError) {
    process.stderr.write(describe(err, code));
  } else if (err instanceof UsageError) {
    process.stderr.write(`${NAME}: ${err.message}\n${usageHint ? `Run '${usageHint}' for usage.\n` : ""}`);
  } else {
    process.stderr.write(`${NAME}: unexpected error: ${clean(err?.message ?? err)}\n`);
  }
  process.exitCode = code;
}

// ---- Commands ----------------------------------------------------------------------------

function version() {
  return JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
}

/** Runs `call(signal)`; Ctrl-C aborts it (and marks `ctx` interrupted, for the exit code). */
async function interruptible(ctx, call) {
  const controller = new AbortController();
  const onSigint = () => {
    ctx.interrupted = true;
    controller.abort();
  };
  process.once("SIGINT", onSigint);
  try {
    return await call(controller.signal);
  } finally {
    process.off("SIGINT", onSigint);
  }
}

async function tokenCommand(args) {
  const jsonErrors = args.includes("--json-errors");
  const ctx = { jsonErrors, interrupted: false, usageHint: `${NAME} token --help` };
  try {
    refuseSecretsOnCommandLine(args);
    const { values, positionals } = parse(args, TOKEN_OPTIONS);
    if (values.help) {
      process.stdout.write(TOKEN_HELP);
      return;
    }
    const { client, grant, sources, field } = plan(values, positionals);
    await readSecrets(sources, client, grant);
    const privateKey = readPrivateKey(values);
    if (privateKey) client.privateKey = privateKey;
    const dpop = values.dpop ? await generateDPoPKey() : undefined;

    const tokens = await interruptible(ctx, (signal) => requestToken(client, grant, { signal, dpop }));

    if (field === undefined) {
      process.stdout.write(JSON.stringify(tokens, null, 2) + "\n");
      return;
    }
    const value = pick(tokens, field);
    if (value === undefined) {
      process.stderr.write(`${NAME}: the token response has no field ${clean(field)}\n`);
      process.exitCode = EXIT.other;
      return;
    }
    // Server text, like error output: no escape sequence reaches the terminal.
    process.stdout.write(clean(typeof value === "string" ? value : JSON.stringify(value)) + "\n");
  } catch (err) {
    report(err, ctx);
  }
}

/** `revoke` (quiet on success) and `introspect` (the answer as JSON on stdout). */
async function aboutTokenCommand(command, args) {
  const jsonErrors = args.includes("--json-errors");
  const ctx = { jsonErrors, interrupted: false, usageHint: `${NAME} ${command} --help` };
  try {
    refuseSecretsOnCommandLine(args);
    const { values, positionals } = parse(args, REVOKE_OPTIONS);
    if (values.help) {
      process.stdout.write(command === "revoke" ? REVOKE_HELP : INTROSPECT_HELP);
      return;
    }
    const { client, sources, hint } = aboutTokenPlan(command, values, positionals);
    const read = {};
    await readSecrets(sources, client, read);
    const privateKey = readPrivateKey(values);
    if (privateKey) client.privateKey = privateKey;
    const dpop = values.dpop ? await generateDPoPKey() : undefined;
    await interruptible(ctx, async (signal) => {
      const options = { tokenTypeHint: hint, signal, dpop };
      if (command === "revoke") return revokeToken(client, read.token, options);
      // As token prints a token set: JSON escapes every control character.
      const info = await introspectToken(client, read.token, options);
      process.stdout.write(JSON.stringify(info, null, 2) + "\n");
    });
  } catch (err) {
    report(err, ctx);
  }
}

/** `discover ISSUER`: the metadata as JSON on stdout. */
async function discoverCommand(args) {
  const jsonErrors = args.includes("--json-errors");
  const ctx = { jsonErrors, interrupted: false, usageHint: `${NAME} discover --help` };
  try {
    const { values, positionals } = parse(args, DISCOVER_OPTIONS);
    if (values.help) {
      process.stdout.write(DISCOVER_HELP);
      return;
    }
    if (positionals.length !== 1) throw new UsageError("discover takes one argument: the issuer URL");
    const timeoutMs = values.timeout === undefined ? undefined : timeoutOf(values.timeout);
    const metadata = await interruptible(ctx, (signal) =>
      discover(positionals[0], { signal, timeoutMs, allowInsecureHttp: values["allow-insecure-http"] === true }));
    process.stdout.write(JSON.stringify(metadata, null, 2) + "\n");
  } catch (err) {
    report(err, ctx);
  }
}

async function main(argv) {
  // A reader that goes away (`… | head -c 10`) is not an error of ours.
  process.stdout.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  const [first, ...rest] = argv;
  if (first === "token") return tokenCommand(rest);
  if (first === "revoke" || first === "introspect") return aboutTokenCommand(first, rest);
  if (first === "discover") return discoverCommand(rest);
  if (first === "help") {
    if (rest.length === 0) process.stdout.write(MAIN_HELP);
    else if (rest.length === 1 && rest[0] === "token") process.stdout.write(TOKEN_HELP);
    else if (rest.length === 1 && rest[0] === "revoke") process.stdout.write(REVOKE_HELP);
    else if (rest.length === 1 && rest[0] === "introspect") process.stdout.write(INTROSPECT_HELP);
    else if (rest.length === 1 && rest[0] === "discover") process.stdout.write(DISCOVER_HELP);
    else report(new UsageError("help takes no argument, or a command"), { usageHint: `${NAME} --help` });
    return;
  }
  if (first === undefined) {
    process.stderr.write(MAIN_HELP);
    process.exitCode = EXIT.usage;
    return;
  }
  if (first.startsWith("-")) {
    try {
      refuseSecretsOnCommandLine(argv);
      const { values, positionals } = parse(argv, {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      });
      if (positionals.length > 0) {
        throw new UsageError(`unexpected argument; the command comes first: ${NAME} token [options]`);
      }
      if (values.version) process.stdout.write(version() + "\n");
      else if (values.help) process.stdout.write(MAIN_HELP);
      else throw new UsageError("no command given");
    } catch (err) {
      report(err, { usageHint: `${NAME} --help` });
    }
    return;
  }
  // Quoted only if it looks like a command name: it could be a secret typed in the wrong place.
  const shown = /^[a-z][a-z-]{0,30}$/.test(first) ? ` "${first}"` : "";
  report(new UsageError(`unknown command${shown}; the commands are token, revoke, introspect and discover`), { usageHint: `${NAME} --help` });
}

await main(process.argv.slice(2));
