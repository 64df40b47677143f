// Consumer tests: oauth2-wasm as users get it from `npm pack`, in the places they use it.
//
//   - a Vite app and a webpack 5 app, built, then loaded in headless Chromium (Playwright
//     with the system Chromium), each requesting an AutoGrab token from the loopback token
//     server (www/token-server.mjs) and writing the result into the page;
//   - Node scripts: `import` (node-esm.mjs, with the file store) and `require` (node-cjs.cjs);
//   - TypeScript: every public type and function under `tsc --strict --noEmit`, and no
//     `any` in the public .d.ts;
//   - a separate Rust crate on the crate's Rust API with its default features, under
//     `wasm-pack test --headless --chrome`, and without the npm package's JS exports.
//
// The package must already be extracted (scripts/pack.sh) into tests/consumers,
// tests/consumers/vite-app and tests/consumers/webpack-app: run.sh does that.
// Everything listens on 127.0.0.1 and every child process has a time limit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { startTokenServer, PROVIDERS } from "../../www/token-server.mjs";
import { startStaticServer } from "../support/static.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const bin = (name) => join(repo, "node_modules", ".bin", name);
const PATH = [join(repo, "node_modules", ".bin"), join(homedir(), ".cargo", "bin"), process.env.PATH].join(":");

const AUTOGRAB_BASIC = `Basic ${Buffer.from("autograb-client:autograb-secret").toString("base64")}`;

let tokenServer;
let endpoint;
let browser;

before(async () => {
  for (const dir of [here, join(here, "vite-app"), join(here, "webpack-app")]) {
    for (const file of ["package.json", "js/browser.mjs", "js/index.cjs", "pkg/web/oauth2_wasm_bg.wasm", "pkg/node/oauth2_wasm_bg.wasm"]) {
      const path = join(dir, "node_modules", "oauth2-wasm", file);
      if (!existsSync(path)) {
        throw new Error(`${relative(repo, path)} is missing: run tests/consumers/run.sh, or scripts/pack.sh with ${relative(repo, dir)}`);
      }
    }
  }
  tokenServer = await startTokenServer();
  endpoint = tokenServer.url + PROVIDERS.autograb.path;
});

after(async () => {
  await browser?.close();
  await tokenServer?.close();
});

/**
 * Runs a command with a time limit (the whole process group is killed when it passes);
 * resolves to { code, stdout, stderr }, never rejects on a non-zero exit.
 */
function run(cmd, args, { cwd = here, env = {}, timeoutMs = 120_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so a timeout ends its children too
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`${cmd} ${args.join(" ")}: no result within ${timeoutMs} ms\n${stdout}\n${stderr}`));
      } else {
        resolvePromise({ code: code ?? signal, stdout, stderr });
      }
    });
  });
}

/** Runs a command that must succeed; fails the test with its output otherwise. */
async function mustRun(cmd, args, options) {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    assert.fail(`${cmd} ${args.join(" ")} exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result;
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

async function launchBrowser() {
  browser ??= await launchChromium();
  return browser;
}

/** The AutoGrab request every consumer builds, byte for byte. */
const expectedRequest = () => ({
  url: endpoint,
  method: "POST",
  headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded", Authorization: AUTOGRAB_BASIC },
  body: "grant_type=client_credentials",
});

/** What both bundled apps must show: the same checks for Vite and webpack. */
function checkPageResult(result, bundler) {
  assert.equal(result.ok, true, `the page failed: ${result.error}\n${result.stack}`);
  assert.equal(result.bundler, bundler);
  assert.deepEqual(result.request, expectedRequest());
  assert.deepEqual(result.token, { tokenType: "bearer", expiresIn: 3599, accessTokenLength: 40, quirks: [] });
  assert.deepEqual(result.refusal, { isOAuthError: true, name: "OAuthError", kind: "oauth", status: 401, error: "invalid_client" });
  assert.equal(result.configError?.isOAuthError, true);
  assert.equal(result.configError?.kind, "config");
}

/**
 * Checks a bundler's output: one .wasm emitted as a file, the browser entry bundled (not
 * the Node one), and every oauth2-wasm file in the source maps taken from the app's own
 * node_modules/oauth2-wasm (the packed package), none from the repository's js/ or pkg/.
 */
function checkDist(appDir) {
  const dist = join(appDir, "dist");
  const files = filesUnder(dist);
  const wasm = files.filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one .wasm in ${relative(repo, dist)}: ${files.map((f) => relative(dist, f))}`);
  assert.deepEqual(readFileSync(wasm[0]), readFileSync(join(appDir, "node_modules/oauth2-wasm/pkg/web/oauth2_wasm_bg.wasm")),
    "the emitted .wasm is the package's pkg/web one");
  const js = files.filter((f) => f.endsWith(".js")).map((f) => readFileSync(f, "utf8")).join("\n");
  assert.doesNotMatch(js, /readFileSync|oauth2_wasm_bg\.wasm['"]\)/, "the Node entry (fs-loaded wasm) was bundled");
  const sources = files
    .filter((f) => f.endsWith(".map"))
    .flatMap((f) => JSON.parse(readFileSync(f, "utf8")).sources.map((s) => [f, s]));
  const packageSources = sources
    .filter(([, s]) => /(^|\/)(js\/(browser|error|index)\.(mjs|cjs)|pkg\/(web|node)\/oauth2_wasm\.js)$/.test(s))
    .map(([map, s]) => (s.startsWith("webpack://") ? s : resolve(dirname(map), s)));
  // js/browser.mjs holds the glue, the driver and the error class (bundled by build.sh).
  assert.ok(packageSources.length >= 1, `the package's files in the source maps: ${sources.map(([, s]) => s)}`);
  for (const s of packageSources) {
    const fromPackage = s.startsWith("webpack://")
      ? /^webpack:\/\/[^/]+\/\.\/node_modules\/oauth2-wasm\/(js|pkg\/web)\//.test(s)
      : s.startsWith(join(appDir, "node_modules", "oauth2-wasm") + sep);
    assert.ok(fromPackage, `bundled from outside the app's node_modules/oauth2-wasm: ${s}`);
  }
  assert.ok(packageSources.some((s) => s.endsWith("node_modules/oauth2-wasm/js/browser.mjs")), "js/browser.mjs bundled");
}

/** Serves an app's dist/, opens it in Chromium with ?endpoint=, returns window.__result. */
async function loadApp(appDir, t) {
  const site = await startStaticServer(join(appDir, "dist"));
  const context = await (await launchBrowser()).newContext();
  try {
    const page = await context.newPage();
    const pageErrors = [];
    const consoleLines = [];
    const wasmResponses = [];
    const refused = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on("response", (r) => {
      const { pathname } = new URL(r.url());
      if (pathname.endsWith(".wasm")) wasmResponses.push({ status: r.status(), type: r.headers()["content-type"] });
      if (r.status() >= 400 && pathname !== "/favicon.ico") refused.push(`${r.status()} ${pathname}`);
    });
    const posts = () => tokenServer.requests.filter((r) => r.method === "POST").length;
    const postsBefore = posts();
    await page.goto(`${site.url}/index.html?endpoint=${encodeURIComponent(endpoint)}`, { timeout: 15_000 });
    try {
      await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 15_000 });
    } catch (err) {
      assert.fail(`no window.__result: ${err.message}\npage errors: ${pageErrors.join("\n")}\nconsole:\n${consoleLines.join("\n")}`);
    }
    const result = await page.evaluate(() => window.__result);
    const shown = await page.locator("#result").getAttribute("data-state");
    t.diagnostic(`console: ${JSON.stringify(consoleLines)}`);
    assert.deepEqual(pageErrors, [], "no uncaught page errors");
    assert.deepEqual(wasmResponses, [{ status: 200, type: "application/wasm" }], "the wasm fetched once, as application/wasm");
    assert.deepEqual(refused, [`401 ${PROVIDERS.autograb.path}`], "no failed responses but the wrong secret's 401");
    assert.equal(shown, result.ok ? "done" : "failed");
    assert.equal(posts() - postsBefore, 2, "two token requests reached the token server");
    return result;
  } finally {
    await context.close();
    await site.close();
  }
}

test("Vite app: vite build, then an AutoGrab token in Chromium", { timeout: 180_000 }, async (t) => {
  const app = join(here, "vite-app");
  const { stdout, stderr } = await mustRun(bin("vite"), ["build", "--config", join(app, "vite.config.js")], { cwd: app });
  const warnings = `${stdout}\n${stderr}`.trim();
  if (warnings) t.diagnostic(`vite: ${warnings}`);
  checkDist(app);
  checkPageResult(await loadApp(app, t), "vite");
});

test("webpack app: webpack build, then an AutoGrab token in Chromium", { timeout: 180_000 }, async (t) => {
  const app = join(here, "webpack-app");
  const { stdout } = await mustRun(bin("webpack"), ["--config", join(app, "webpack.config.js")], { cwd: app });
  assert.doesNotMatch(stdout, /WARNING/, `webpack warned:\n${stdout}`);
  checkDist(app);
  checkPageResult(await loadApp(app, t), "webpack");
});

for (const [script, condition] of [["node-esm.mjs", "index.mjs"], ["node-cjs.cjs", "index.cjs"]]) {
  test(`Node: ${script} against the token server`, { timeout: 60_000 }, async () => {
    const { stdout } = await mustRun(process.execPath, [join(here, script), endpoint], { timeoutMs: 30_000 });
    const result = JSON.parse(stdout.trim().split("\n").at(-1));
    assert.equal(result.resolved, join(here, "node_modules", "oauth2-wasm", "js", condition), "resolved to the packed package");
    assert.deepEqual(result.request, expectedRequest());
    assert.deepEqual(result.token, { tokenType: "bearer", expiresIn: 3599, accessTokenLength: 40, quirks: [] });
    assert.deepEqual(result.refusal, { isOAuthError: true, isError: true, kind: "oauth", status: 401, error: "invalid_client" });
    if (script.endsWith(".mjs")) {
      assert.equal(result.defaultExportIsSameInstance, true);
      assert.equal(result.hasParseTokenResponse, true);
      assert.deepEqual(result.manager, { sameAsStored: true, fileMode: "600" });
    } else {
      assert.equal(result.importIsSameInstance, true, "import() and require() share one instance");
    }
  });
}

const tsc = (config) =>
  run(bin("tsc"), ["-p", join(here, "ts-consumer", config), "--strict", "--noEmit", "--pretty", "false"], { timeoutMs: 60_000 });

test("TypeScript: every public type and function, tsc --strict, moduleResolution bundler (DOM lib)", { timeout: 90_000 }, async () => {
  const { code, stdout, stderr } = await tsc("tsconfig.json");
  assert.equal(code, 0, `tsc failed:\n${stdout}${stderr}`);
});

test("TypeScript: the same under moduleResolution node16 with @types/node and no DOM lib", { timeout: 90_000 }, async () => {
  const { code, stdout, stderr } = await tsc("tsconfig.node.json");
  assert.equal(code, 0, `tsc failed:\n${stdout}${stderr}`);
});

test("TypeScript: redisStorage takes a node-redis and an ioredis client, with their own types", { timeout: 90_000 }, async () => {
  const { code, stdout, stderr } = await tsc("tsconfig.redis.json");
  assert.equal(code, 0, `tsc failed:\n${stdout}${stderr}`);
});

test("TypeScript: no `any` in the public .d.ts (comments aside)", () => {
  const dir = join(here, "node_modules", "oauth2-wasm", "js");
  const files = readdirSync(dir).filter((f) => f.endsWith(".d.ts"));
  assert.deepEqual(files.sort(), ["file-store.d.ts", "index.d.ts", "node-http.d.ts", "redis-store.d.ts"]);
  const found = [];
  for (const file of files) {
    // Drop /* … */ and // comments (a // inside a string literal follows a quote or colon, not a space).
    const code = readFileSync(join(dir, file), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
      .replace(/(^|\s)\/\/.*$/gm, "$1");
    code.split("\n").forEach((line, i) => {
      if (/\bany\b/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test("Rust app: the Rust API with default features, wasm-pack test --headless --chrome", { timeout: 900_000 }, async (t) => {
  const app = join(here, "rust-app");
  const target = join(app, "target");
  // wasm-bindgen-cli (scripts/setup.sh) is installed at the root Cargo.lock's version; the
  // app's lock must name the same one, or wasm-pack would look for another CLI.
  const bindgen = (lock) => readFileSync(lock, "utf8").match(/name = "wasm-bindgen"\nversion = "([^"]+)"/)?.[1];
  assert.equal(bindgen(join(app, "Cargo.lock")), bindgen(join(repo, "Cargo.lock")), "wasm-bindgen in rust-app/Cargo.lock and Cargo.lock");
  const { stdout, stderr } = await mustRun("wasm-pack", ["test", "--headless", "--chrome"], {
    cwd: app,
    timeoutMs: 840_000,
    env: {
      CHROMEDRIVER: "/usr/bin/chromedriver",
      CARGO_TARGET_DIR: target,
      OAUTH2_CONSUMER_TOKEN_ENDPOINT: endpoint,
      CARGO_TERM_COLOR: "never",
    },
  });
  const output = stdout + stderr;
  assert.match(output, /test result: ok\. 5 passed; 0 failed/, output);
  t.diagnostic(output.match(/^test .*$/gm).join("; "));

  // The generated JS of the test module has none of the npm package's exports; the
  // package's own glue (built with them) does, so the check can see them.
  const deps = join(target, "wasm32-unknown-unknown", "debug", "deps");
  const [wasm] = readdirSync(deps)
    .filter((f) => /^browser-[0-9a-f]+\.wasm$/.test(f))
    .map((f) => join(deps, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  assert.ok(wasm, `the test module in ${deps}`);
  const names = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(wasm))).map((e) => e.name);
  const jsExport = /^(buildTokenRequest|parseTokenResponse|requestToken|__registerErrorClass|tokenmanager_\w+|__wbg_tokenmanager_free)$/;
  assert.deepEqual(names.filter((n) => jsExport.test(n)), [], "wasm exports of the test module");
  const out = join(target, "exports-check");
  await mustRun("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-name", "consumer", "--out-dir", out, wasm], { timeoutMs: 120_000 });
  const glue = readFileSync(join(out, "consumer.js"), "utf8");
  for (const name of ["buildTokenRequest", "parseTokenResponse", "requestToken", "TokenManager", "__registerErrorClass"]) {
    assert.ok(!glue.includes(name), `${name} in the generated JS of the Rust app's test module`);
  }
  // Controls: the same checks see the exports in the package's own wasm and glue.
  const pkgWeb = join(here, "node_modules", "oauth2-wasm", "pkg", "web");
  const shipped = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(pkgWeb, "oauth2_wasm_bg.wasm"))));
  assert.ok(shipped.some((e) => jsExport.test(e.name)), "control: the package's wasm has the exports");
  // The package's glue is bundled into its browser entry (scripts/build.sh).
  const packaged = readFileSync(join(here, "node_modules", "oauth2-wasm", "js", "browser.mjs"), "utf8");
  assert.ok(packaged.includes("buildTokenRequest"), "control: the package's glue has the export");
});
