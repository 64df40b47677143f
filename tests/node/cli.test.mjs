// The oauth2-wasm command line, as `npx oauth2-wasm` runs it from the packed package: each
// test spawns bin/oauth2-wasm.mjs with node against a token server on loopback and checks
// what a user sees — stdout, stderr, the exit code — and what the server received.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";

const here = import.meta.dirname ?? new URL(".", import.meta.url).pathname;
const pkgDir = join(here, "node_modules/oauth2-wasm");
const CLI = join(pkgDir, "bin/oauth2-wasm.mjs");
const { autograb, olx, teenquotes } = PROVIDERS;

/** Runs the CLI; resolves to { code, signal, stdout, stderr }. Killed after `timeout` ms. */
function run(args, { env = {}, input, timeout = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, NODE_OPTIONS: "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
      timeout,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on("error", () => {}); // the CLI may exit without reading stdin
    child.stdin.end(input ?? "");
  });
}

let server;
before(async () => {
  server = await startTokenServer();
});
after(() => server.close());

const endpoint = (p) => server.url + p.path;
/** Requests the server received since `from`. */
const since = (from) => server.requests.slice(from);

const autograbArgs = (extra = []) => [
  "token", "--endpoint", endpoint(autograb), "--client-id", autograb.clientId,
  "--client-secret-env", "AUTOGRAB_SECRET", ...extra,
];
const olxArgs = (extra = []) => [
  "token", "--endpoint", endpoint(olx), "--client-id", olx.clientId, "--client-secret-env", "OLX_SECRET", ...extra,
];

test("--help, help, token --help: usage, every option and the exit codes; no command is a usage error", async () => {
  const main = await run(["--help"]);
  assert.equal(main.code, 0);
  assert.equal(main.stderr, "");
  assert.match(main.stdout, /Usage:/);
  assert.match(main.stdout, /oauth2-wasm token --endpoint URL/);
  assert.match(main.stdout, /Exit codes:/);
  assert.equal((await run(["help"])).stdout, main.stdout);
  assert.equal((await run(["-h"])).stdout, main.stdout);

  const token = await run(["token", "--help"]);
  assert.equal(token.code, 0);
  for (const option of [
    "--endpoint", "--client-id", "--client-secret-env", "--client-secret-stdin", "--grant", "--scope", "--auth",
    "--json-body", "--basic-raw", "--username", "--email", "--password-env", "--password-stdin",
    "--refresh-token-env", "--refresh-token-stdin", "--partner-code", "--partner-secret-env",
    "--partner-secret-stdin", "--header", "--param", "--timeout", "--allow-insecure-http", "--field",
    "--access-token-only", "--json-errors",
  ]) {
    assert.ok(token.stdout.includes(option), `token --help documents ${option}`);
  }
  for (const [code, kind] of [[0, "token"], [2, "usage"], [3, "network"], [4, "timeout"], [5, "http"],
    [6, "oauth"], [7, "invalid_response"], [1, "other"]]) {
    assert.match(token.stdout, new RegExp(`^ +${code} +.*${kind}`, "m"), `exit code ${code} (${kind}) documented`);
  }
  assert.equal((await run(["help", "token"])).stdout, token.stdout);
  assert.equal((await run(["token", "-h"])).stdout, token.stdout);

  const none = await run([]);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, "");
  assert.match(none.stderr, /Usage:/);

  const unknown = await run(["tokens"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "tokens"/);
});

test("--version prints the package's version", async () => {
  const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  for (const flag of ["--version", "-V"]) {
    const r = await run([flag]);
    assert.equal(r.code, 0, flag);
    assert.equal(r.stdout, `${version}\n`, flag);
    assert.equal(r.stderr, "", flag);
  }
});

test("AutoGrab client_credentials, secret from an env var: the token set as pretty JSON, raw included", async () => {
  const from = server.requests.length;
  const before = Date.now();
  const r = await run(autograbArgs(["--scope", "read write", "--scope", "admin"]), {
    env: { AUTOGRAB_SECRET: autograb.clientSecret },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, /^\{\n {2}"accessToken": /, "pretty JSON");
  const tokens = JSON.parse(r.stdout);
  assert.match(tokens.accessToken, /^[0-9a-f]{40}$/);
  assert.equal(tokens.tokenType, "bearer");
  assert.equal(tokens.expiresIn, 3599);
  assert.ok(tokens.expiresAt >= before + 3599_000 && tokens.expiresAt <= Date.now() + 3599_000, "expiresAt");
  assert.deepEqual(tokens.raw, { access_token: tokens.accessToken, expires_in: 3599, scope: "", token_type: "bearer" });
  assert.deepEqual(tokens.quirks, []);

  const [req] = since(from);
  const basic = Buffer.from(`${autograb.clientId}:${autograb.clientSecret}`).toString("base64");
  assert.equal(req.headers.authorization, `Basic ${basic}`);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), {
    grant_type: "client_credentials", scope: "read write admin",
  });
});

test("Teen Quotes: --auth body --json-body, then a refresh_token grant with the token from an env var", async () => {
  const from = server.requests.length;
  const env = { TQ_SECRET: teenquotes.clientSecret };
  const base = ["token", "--endpoint", endpoint(teenquotes), "--client-id", teenquotes.clientId,
    "--client-secret-env", "TQ_SECRET", "--auth", "body", "--json-body"];
  const r = await run(base, { env });
  assert.equal(r.code, 0, r.stderr);
  const tokens = JSON.parse(r.stdout);
  assert.equal(tokens.expiresIn, 604800);
  assert.equal(typeof tokens.raw.expires, "number", "the vendor's `expires` is in raw");
  assert.ok(tokens.refreshToken);
  const [req] = since(from);
  assert.equal(req.headers["content-type"], "application/json");
  assert.equal(req.headers.authorization, undefined);
  assert.deepEqual(JSON.parse(req.body), {
    grant_type: "client_credentials", client_id: teenquotes.clientId, client_secret: teenquotes.clientSecret,
  });

  const again = await run([...base, "--grant", "refresh_token", "--refresh-token-env", "TQ_REFRESH",
    "--field", "refreshToken"], { env: { ...env, TQ_REFRESH: tokens.refreshToken } });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^[0-9a-f]{40}\n$/);
  assert.notEqual(again.stdout.trim(), tokens.refreshToken, "a rotated refresh token");
  assert.equal(JSON.parse(since(from)[1].body).refresh_token, tokens.refreshToken);
});

test("OLX password grant, password on stdin, --access-token-only: only the token on stdout", async () => {
  const from = server.requests.length;
  const r = await run(
    olxArgs(["--grant", "password", "--username", olx.username, "--password-stdin", "--access-token-only",
      "--header", "X-Request-Id: cli-test-1", "--param", "device=cli"]),
    { env: { OLX_SECRET: olx.clientSecret }, input: `${olx.password}\n` },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, /^[0-9a-f]{40}\n$/, "the access token and a newline, nothing else");
  const [req] = since(from);
  const params = Object.fromEntries(new URLSearchParams(req.body));
  assert.equal(params.password, olx.password, "one trailing newline stripped from stdin");
  assert.equal(params.username, olx.username);
  assert.equal(params.device, "cli", "--param");
  assert.equal(req.headers["x-request-id"], "cli-test-1", "--header");
});

test("OLX partner grant with --auth body; --field reads server members and token set fields", async () => {
  const env = { OLX_SECRET: olx.clientSecret, PARTNER_SECRET: olx.partnerSecret };
  const partner = ["--auth", "body", "--grant", "partner", "--partner-code", olx.partnerCode,
    "--partner-secret-env", "PARTNER_SECRET"];
  const scope = await run(olxArgs([...partner, "--field", "scope"]), { env });
  assert.equal(scope.code, 0, scope.stderr);
  assert.equal(scope.stdout, "adverts-write read\n");
  const expires = await run(olxArgs([...partner, "--field", "expires_in"]), { env });
  assert.equal(expires.stdout, "43200\n");
  const missing = await run(olxArgs([...partner, "--field", "id_token"]), { env });
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, "");
  assert.match(missing.stderr, /no field id_token/);
});

test("a wrong client secret: exit 6, the OAuth error and hint on stderr, never the secret", async () => {
  const wrong = "not-the-autograb-secret-0042";
  const r = await run(autograbArgs(), { env: { AUTOGRAB_SECRET: wrong } });
  assert.equal(r.code, 6);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /kind: +oauth/);
  assert.match(r.stderr, /status: +401/);
  assert.match(r.stderr, /error: +invalid_client/);
  assert.match(r.stderr, /error_description: +Client authentication failed/);
  assert.match(r.stderr, /hint: +check clientId and clientSecret; they were sent in HTTP Basic/);
  // The hint's settings (err.suggestions), as this CLI's options — not read from its text.
  assert.match(r.stderr, /options: +--client-id, --client-secret-env \/ --client-secret-stdin, --auth body\n/);
  // The secret has nothing form-encoding changes: raw Basic would send the same bytes (issue 18.8).
  assert.doesNotMatch(r.stderr, /--basic-raw/);
  assert.ok(!r.stderr.includes(wrong), "the secret is not printed");

  const json = await run([...autograbArgs(), "--json-errors"], { env: { AUTOGRAB_SECRET: wrong } });
  assert.equal(json.code, 6);
  const err = JSON.parse(json.stderr);
  assert.equal(err.kind, "oauth");
  assert.equal(err.status, 401);
  assert.equal(err.error, "invalid_client");
  assert.equal(err.exitCode, 6);
  assert.ok(!json.stderr.includes(wrong));
});

test("OLX invalid_grant: exit 6 with the provider's Polish title, not the password", async () => {
  const wrong = "wrong-password-1234";
  const r = await run(olxArgs(["--grant", "password", "--username", olx.username, "--password-env", "OLX_PASSWORD"]), {
    env: { OLX_SECRET: olx.clientSecret, OLX_PASSWORD: wrong },
  });
  assert.equal(r.code, 6);
  assert.match(r.stderr, /error: +invalid_grant/);
  assert.match(r.stderr, /error_description: +Invalid user credentials/);
  assert.match(r.stderr, /humanTitle: +Niepoprawna wartość/);
  assert.ok(!r.stderr.includes(wrong) && !r.stderr.includes(olx.clientSecret));
});

test("refused port 3, timeout 4, HTTP 404 5, unusable 200 7; server text cannot drive the terminal", async (t) => {
  // A port nobody listens on: bind an ephemeral one, then free it.
  const probe = createNetServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const refusedPort = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));

  // A server that accepts connections and never answers.
  const silent = createNetServer(() => {});
  const sockets = new Set();
  silent.on("connection", (socket) => sockets.add(socket));
  await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
  // A server that answers 200 with something that is not a token response.
  // And, on /evil, an OAuth error whose text would drive the terminal.
  const odd = createServer((req, res) => {
    req.resume();
    if (req.url === "/evil") {
      const body = { error: "invalid_request", error_description: "bad\u001b[2J\u001b]0;pwned\u0007request" };
      return res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    }
    res.writeHead(200, { "Content-Type": "application/json" }).end('{"hello":"world"}');
  });
  await new Promise((resolve) => odd.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
    odd.closeAllConnections();
    odd.close();
  });

  const refused = await run(["token", "--endpoint", `http://127.0.0.1:${refusedPort}/token`]);
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /kind: +network/);
  assert.match(refused.stderr, /could not reach the token endpoint \(ECONNREFUSED\)/);

  const started = Date.now();
  const silentUrl = `http://127.0.0.1:${silent.address().port}/token`;
  const slow = await run(["token", "--endpoint", silentUrl, "--timeout", "300"]);
  assert.equal(slow.code, 4, slow.stderr);
  assert.match(slow.stderr, /kind: +timeout/);
  assert.match(slow.stderr, /--timeout/);
  assert.ok(Date.now() - started < 10000, "--timeout bounds the run");

  const notFound = await run(["token", "--endpoint", `${server.url}/no-such-path`]);
  assert.equal(notFound.code, 5, notFound.stderr);
  assert.match(notFound.stderr, /kind: +http/);
  assert.match(notFound.stderr, /status: +404/);

  const invalid = await run(["token", "--endpoint", `http://127.0.0.1:${odd.address().port}/token`]);
  assert.equal(invalid.code, 7, invalid.stderr);
  assert.match(invalid.stderr, /kind: +invalid_response/);
  assert.equal(invalid.stdout, "");

  const evil = await run(["token", "--endpoint", `http://127.0.0.1:${odd.address().port}/evil`]);
  assert.equal(evil.code, 6, evil.stderr);
  assert.match(evil.stderr, /error_description: +bad\\u001b\[2J\\u001b\]0;pwned\\u0007request/);
  assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(evil.stderr), "no control character reaches the terminal");
});

test("a secret on the command line is refused with the way to pass it, and never echoed", async () => {
  const from = server.requests.length;
  const secret = "s3cret-on-the-command-line";
  for (const [args, alternative] of [
    [autograbArgs(["--client-secret", secret]), "--client-secret-env"],
    [autograbArgs([`--client-secret=${secret}`]), "--client-secret-stdin"],
    [olxArgs(["--grant", "password", "--username", olx.username, "--password", secret]), "--password-env"],
    [olxArgs(["--grant", "refresh_token", `--refresh-token=${secret}`]), "--refresh-token-stdin"],
  ]) {
    const r = await run(args, { env: { AUTOGRAB_SECRET: autograb.clientSecret, OLX_SECRET: olx.clientSecret } });
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /refused/);
    assert.match(r.stderr, /command line/);
    assert.ok(r.stderr.includes(alternative), `names ${alternative}`);
    assert.ok(!r.stderr.includes(secret), "the secret is not echoed");
  }
  // Nor is an argument in the wrong place, or a secret given to --…-env instead of a name.
  const stray = await run(autograbArgs([secret]), { env: { AUTOGRAB_SECRET: autograb.clientSecret } });
  assert.equal(stray.code, 2);
  assert.ok(!stray.stderr.includes(secret));
  const asName = await run(["token", "--endpoint", endpoint(autograb), "--client-secret-env", secret]);
  assert.equal(asName.code, 2);
  assert.match(asName.stderr, /name of an environment variable/);
  assert.ok(!asName.stderr.includes(secret));
  assert.equal(since(from).length, 0, "nothing was sent");
});

test("usage errors exit 2, name the option, and send nothing", async () => {
  const from = server.requests.length;
  const env = { AUTOGRAB_SECRET: autograb.clientSecret, OLX_SECRET: olx.clientSecret };
  const cases = [
    [["token", "--client-id", "x"], /missing --endpoint/],
    [autograbArgs(["--grant", "implicit"]), /--grant must be one of client_credentials, password/],
    [autograbArgs(["--auth", "digest"]), /--auth must be basic, body, none, private_key_jwt or client_secret_jwt/],
    [autograbArgs(["--clientid", "x"]), /unknown option --clientid \(did you mean --client-id\?\)/],
    [autograbArgs(["--username", "bob"]), /--username belongs to --grant password/],
    [olxArgs(["--grant", "password", "--password-env", "P"]), /exactly one of --username NAME and --email/],
    [olxArgs(["--grant", "password", "--username", "u"]), /needs the password: --password-env VAR or --password-stdin/],
    [olxArgs(["--grant", "partner", "--partner-secret-env", "P"]), /--partner-code/],
    [["token", "--endpoint", endpoint(olx), "--client-secret-stdin", "--grant", "password", "--username", "u",
      "--password-stdin"], /only one secret can come from stdin/],
    [autograbArgs(["--timeout", "soon"]), /--timeout takes a whole number/],
    [autograbArgs(["--header", "no colon here"]), /--header takes "Name: value"/],
    [autograbArgs(["--param", "=value"]), /--param takes name=value/],
    [autograbArgs(["--scope"]), /--scope/],
    [autograbArgs(["--field", "scope", "--access-token-only"]), /--field or --access-token-only/],
    [["token", "--endpoint", endpoint(autograb), "--client-secret-env", "CLI_TEST_UNSET_VARIABLE"], /is not set/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args, { env });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /oauth2-wasm token --help/, "points to the help");
    assert.equal(r.stdout, "");
  }
  // Rules the library decides (issue 18.7): its config error, named by err.field, as this CLI's option.
  for (const [args, message] of [
    [autograbArgs(["--timeout", "0"]), /field: +timeoutMs[\s\S]*options: +--timeout/],
    [autograbArgs(["--timeout", "4294967296"]), /field: +timeoutMs[\s\S]*options: +--timeout/],
    [autograbArgs(["--header", "Bad Name: v"]), /field: +headers\.Bad Name[\s\S]*options: +--header/],
  ]) {
    const r = await run(args, { env });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /kind: +config/);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  }
  const empty = await run(["token", "--endpoint", endpoint(autograb), "--client-secret-stdin"], { input: "" });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /stdin held no client secret/);
  assert.equal(since(from).length, 0, "nothing was sent");
});

test("http to a host other than loopback is a configuration error (exit 2) unless allowed", async () => {
  // 192.0.2.0/24 is reserved for documentation: nothing answers there, so --timeout bounds the allowed run.
  const args = ["token", "--endpoint", "http://192.0.2.1/token", "--client-id", "x", "--timeout", "500"];
  const r = await run(args);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /kind: +config/);
  assert.match(r.stderr, /https/);
  assert.match(r.stderr, /--allow-insecure-http/);
  const bad = await run(["token", "--endpoint", "not a url"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--endpoint/);
  const allowed = await run([...args, "--allow-insecure-http"]);
  assert.ok([3, 4].includes(allowed.code), `sent, and failed as network or timeout: ${allowed.stderr}`);
});

test("issue 13.7: --field prints server text without terminal escapes (ESC, OSC, BEL, bidi)", async (t) => {
  const hostile = "read\u001b]0;owned\u0007\u001b[2J\u202eevil\u0085";
  const api = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ access_token: "at", token_type: "Bearer", scope: hostile, vendor: { note: hostile } }));
    });
  });
  await new Promise((resolve) => api.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => api.close(resolve)));
  const url = `http://127.0.0.1:${api.address().port}/token`;
  for (const field of ["scope", "vendor"]) {
    const r = await run(["token", "--endpoint", url, "--client-id", "c", "--field", field]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, `${field}: ${JSON.stringify(r.stdout)}`);
    assert.match(r.stdout, /\\u001b\]0;owned\\u0007/, "shown escaped, not dropped");
  }
});

test("issue 16: revoke — the token from stdin or env, never the command line; authenticated like token; quiet on success", async (t) => {
  const seen = [];
  const revocation = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ body, authorization: req.headers.authorization });
      if (body.includes("unsupported")) {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "unsupported_token_type" }));
      } else {
        res.writeHead(200).end();
      }
    });
  });
  await new Promise((r) => revocation.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => { revocation.closeAllConnections(); revocation.close(r); }));
  const url = `http://127.0.0.1:${revocation.address().port}/revoke`;
  const token = "RT-to-revoke-3c9d";
  const base = ["revoke", "--endpoint", url, "--client-id", "c", "--client-secret-env", "REV_SECRET"];
  const env = { REV_SECRET: "s3cret" };

  const ok = await run([...base, "--token-stdin", "--hint", "refresh_token"], { env, input: `${token}\n` });
  assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, "", ""]);
  assert.equal(seen[0].body, `token=${token}&token_type_hint=refresh_token`);
  assert.equal(seen[0].authorization, `Basic ${btoa("c:s3cret")}`);

  const viaEnv = await run([...base, "--token-env", "REV_TOKEN", "--auth", "body"], { env: { ...env, REV_TOKEN: token } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(seen[1].body, `token=${token}&client_id=c&client_secret=s3cret`);

  const refused = await run([...base, "--token-env", "REV_TOKEN"], { env: { ...env, REV_TOKEN: "unsupported-kind" } });
  assert.equal(refused.code, 6, refused.stderr);
  assert.match(refused.stderr, /error: +unsupported_token_type/);
  assert.doesNotMatch(refused.stderr, /unsupported-kind|s3cret/, "neither the token nor the secret is shown");

  const sent = seen.length;
  for (const [args, message] of [
    [[...base, "--token", token], /--token-env VAR[\s\S]*--token-stdin/],
    [base, /revoke needs the token/],
    [["revoke", "--client-id", "c", "--token-stdin"], /missing --endpoint/],
    [["revoke", "--endpoint", url, "--client-secret-stdin", "--token-stdin"], /only one secret can come from stdin/],
  ]) {
    const r = await run(args, { env, input: token });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, new RegExp(token), "the token is never echoed");
    assert.match(r.stderr, /oauth2-wasm (revoke --help|--help)/);
  }
  assert.equal(seen.length, sent, "nothing was sent");
  const help = await run(["help", "revoke"]);
  assert.match(help.stdout, /RFC 7009/);
});

test("issue 16: introspect prints the server's answer as JSON; the token from env or stdin only", async (t) => {
  const seen = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push(body);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ active: true, scope: "read", client_id: "c", exp: 1700003600, aud: "api" }));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  const url = `http://127.0.0.1:${server.address().port}/introspect`;
  const r = await run(["introspect", "--endpoint", url, "--client-id", "c", "--token-stdin", "--hint", "access_token"], { input: "AT-9" });
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.deepEqual([info.active, info.scope, info.clientId, info.exp, info.aud], [true, "read", "c", 1700003600, ["api"]]);
  assert.equal(seen[0], "token=AT-9&token_type_hint=access_token&client_id=c");
  const refused = await run(["introspect", "--endpoint", url, "--token", "AT-9"]);
  assert.equal(refused.code, 2);
  assert.doesNotMatch(refused.stderr, /AT-9/);
  assert.match((await run(["help", "introspect"])).stdout, /RFC 7662/);
});

test("issue 15: discover prints the server's metadata; another issuer's document and a missing one exit as invalid_response and http", async (t) => {
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    const docs = {
      "/.well-known/oauth-authorization-server/good": { issuer: `${base}/good`, token_endpoint: `${base}/good/token`, code_challenge_methods_supported: ["S256"] },
      "/.well-known/oauth-authorization-server/evil": { issuer: `${base}/other`, token_endpoint: `${base}/token` },
    };
    const doc = docs[req.url];
    res.writeHead(doc ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify(doc ?? {}));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  const base = `http://127.0.0.1:${server.address().port}`;
  const ok = await run(["discover", `${base}/good`]);
  assert.equal(ok.code, 0, ok.stderr);
  const m = JSON.parse(ok.stdout);
  assert.deepEqual([m.issuer, m.tokenEndpoint, m.codeChallengeMethodsSupported], [`${base}/good`, `${base}/good/token`, ["S256"]]);
  const evil = await run(["discover", `${base}/evil`, "--json-errors"]);
  assert.equal(evil.code, 7, evil.stderr);
  assert.equal(JSON.parse(evil.stderr).kind, "invalid_response");
  const none = await run(["discover", `${base}/none`]);
  assert.equal(none.code, 5, none.stderr);
  assert.equal((await run(["discover"])).code, 2);
  assert.equal((await run(["discover", `${base}/good`, "--timeout", "soon"])).code, 2);
  assert.equal((await run(["discover", "http://as.example"])).code, 2, "remote http: a config error");
  assert.match((await run(["help", "discover"])).stdout, /RFC 8414/);
});

test("issue 17: --private-key-file / --private-key-env (JWK or PEM) sign private_key_jwt assertions; --dpop binds the tokens; the key is never shown", async (t) => {
  const { startOidcProvider } = await import("../support/independent.mjs");
  const { createPrivateKey } = await import("node:crypto");
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const oidc = await startOidcProvider();
  t.after(() => oidc.close());
  const dir = mkdtempSync(join(tmpdir(), "oauth2-wasm-cli-"));
  const jwkFile = join(dir, "ec.jwk.json");
  writeFileSync(jwkFile, JSON.stringify(oidc.jwtClient.keys.ec.private));
  const pem = createPrivateKey({ key: oidc.jwtClient.keys.rsa.private, format: "jwk" }).export({ type: "pkcs8", format: "pem" });
  const base = ["--endpoint", oidc.tokenEndpoint, "--client-id", oidc.jwtClient.clientId];
  const fromFile = await run(["token", ...base, "--private-key-file", jwkFile, "--key-id", "ec"]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const tokens = JSON.parse(fromFile.stdout);
  assert.equal(tokens.tokenType, "Bearer");
  const bound = await run(["token", ...base, "--private-key-env", "CLIENT_KEY", "--key-id", "rsa", "--dpop"], { env: { CLIENT_KEY: pem } });
  assert.equal(bound.code, 0, bound.stderr);
  assert.equal(JSON.parse(bound.stdout).tokenType, "DPoP");
  const revoked = await run(
    ["revoke", "--endpoint", oidc.revocationEndpoint, "--client-id", oidc.jwtClient.clientId, "--private-key-file", jwkFile, "--token-env", "TOK"],
    { env: { TOK: tokens.accessToken } },
  );
  assert.equal(revoked.code, 0, revoked.stderr);
  // Usage errors (exit 2), sending nothing; the key's text never shown.
  const garbage = join(dir, "garbage.pem");
  writeFileSync(garbage, "-----BEGIN PRIVATE KEY-----\nnot-a-key-s3cret\n-----END PRIVATE KEY-----\n");
  for (const [args, pattern] of [
    [[...base, "--private-key-file", jwkFile, "--auth", "basic"], /--auth private_key_jwt/],
    [[...base, "--auth", "private_key_jwt"], /--private-key-file/],
    [[...base, "--private-key-file", garbage], /holds no private key/],
    [[...base, "--private-key-env", "NOT_SET_ANYWHERE"], /not set/],
    [[...base, "--private-key-file", jwkFile, "--private-key-env", "CLIENT_KEY"], /once/],
  ]) {
    const r = await run(["token", ...args], { env: { CLIENT_KEY: pem } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
    assert.ok(!r.stderr.includes("s3cret") && !r.stderr.includes(oidc.jwtClient.keys.ec.private.d));
  }
  // A key the server does not know: its refusal (exit 6), the hint's options named.
  const stranger = join(dir, "stranger.pem");
  const { generateKeyPair } = await import("node:crypto");
  const { promisify } = await import("node:util");
  const { privateKey } = await promisify(generateKeyPair)("ec", { namedCurve: "P-256" });
  writeFileSync(stranger, privateKey.export({ type: "pkcs8", format: "pem" }));
  const refused = await run(["token", ...base, "--private-key-file", stranger, "--json-errors"]);
  assert.equal(refused.code, 6, refused.stderr);
  assert.equal(JSON.parse(refused.stderr).error, "invalid_client");
});
