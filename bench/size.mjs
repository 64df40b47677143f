// Bundle cost: the bytes a browser downloads, gzip -9 and brotli (quality 11), node:zlib.
// - oauth2-wasm: the package's browser files as shipped — pkg/web/oauth2_wasm_bg.wasm and
//   js/browser.mjs (the entry, bundled by scripts/build.sh with the glue, its snippets, the
//   driver and the error class) — each compressed on its own (each is its own download) and
//   summed. For information: an esbuild bundle of the same adapter the peers get, from the
//   entry's sources, plus the .wasm.
// - the baseline and the peers: esbuild --bundle --minify --format=esm --platform=browser
//   (target es2022, no legal comments) of a small entry importing what a user imports for
//   this job; esbuild honours each package's `browser` field, as a user's bundler would.
// The bundles are written to bench/.out/ (the Chromium cold start loads them from there).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BENCH = fileURLToPath(new URL(".", import.meta.url));
export const OUT = `${BENCH}.out/`;

export const OURS_FILES = ["pkg/web/oauth2_wasm_bg.wasm", "js/browser.mjs"];

// id → the entry a user would write (resolved from bench/).
export const ENTRIES = {
  baseline: `export { create } from "./adapters/baseline.mjs";`,
  "ours-bundle": `export { create } from "./adapters/ours.mjs";`,
  oauth4webapi: `export { create } from "./adapters/oauth4webapi.mjs";`,
  badgateway: `export { create } from "./adapters/badgateway.mjs";\nexport { OAuth2Fetch } from "@badgateway/oauth2-client";`,
  "oidc-client-ts": `export { UserManager } from "oidc-client-ts";`,
  "auth0-spa-js": `export { createAuth0Client } from "@auth0/auth0-spa-js";`,
};

const gzip = (buf) => gzipSync(buf, { level: 9 }).length;
const brotli = (buf) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length;
const measure = (bufs) => ({
  raw: bufs.reduce((n, b) => n + b.length, 0),
  gzip: bufs.reduce((n, b) => n + gzip(b), 0),
  brotli: bufs.reduce((n, b) => n + brotli(b), 0),
});

/** Builds the bundles and measures everything: id → { raw, gzip, brotli, files, inputs? , error? }. */
export async function bundleSizes() {
  mkdirSync(OUT, { recursive: true });
  const out = {};
  const files = OURS_FILES.map((f) => readFileSync(ROOT + f));
  out.ours = { ...measure(files), files: Object.fromEntries(OURS_FILES.map((f, i) => [f, { raw: files[i].length, gzip: gzip(files[i]), brotli: brotli(files[i]) }])),
    // scripts/build.sh's figure: the same files concatenated, one gzip stream.
    gzipConcatenated: gzip(Buffer.concat(files)) };
  for (const [id, contents] of Object.entries(ENTRIES)) {
    try {
      const result = await build({
        stdin: { contents, resolveDir: BENCH, sourcefile: `${id}-entry.mjs`, loader: "js" },
        bundle: true, minify: true, format: "esm", platform: "browser", target: "es2022", legalComments: "none",
        write: false, metafile: true, logLevel: "silent",
        // The entry's sources (the glue names the wasm beside itself, so beside the bundle).
        alias: { "oauth2-wasm": `${ROOT}npm/browser.mjs` },
      });
      const js = Buffer.from(result.outputFiles[0].contents);
      writeFileSync(`${OUT}${id}.js`, js);
      const inputs = {};
      for (const [path, { bytesInOutput }] of Object.entries(Object.values(result.metafile.outputs)[0].inputs)) {
        const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? (path.includes("/pkg/") || path.includes("js/") ? "oauth2-wasm" : "(entry and adapter)");
        inputs[pkg] = (inputs[pkg] ?? 0) + bytesInOutput;
      }
      if (id === "ours-bundle") {
        const wasm = readFileSync(ROOT + OURS_FILES[0]);
        // Beside the bundle, as a bundler emits the asset: the Chromium cold start loads both.
        writeFileSync(`${OUT}oauth2_wasm_bg.wasm`, wasm);
        out[id] = { ...measure([js, wasm]), inputs };
      } else out[id] = { ...measure([js]), inputs };
    } catch (err) {
      out[id] = { error: String(err.errors?.[0]?.text ?? err.message) };
    }
  }
  return out;
}
