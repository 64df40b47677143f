// Vite's defaults build this app: the `browser` condition picks js/browser.mjs, its
// `new URL("../pkg/web/oauth2_wasm_bg.wasm", import.meta.url)` makes the wasm an emitted asset, and
// the default build target (baseline-widely-available) allows the entry's top-level await.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Source maps name every bundled file: the test checks they came from node_modules.
    sourcemap: true,
  },
});
