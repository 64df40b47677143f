// webpack 5 builds this app with its defaults for the things that matter here: the
// `browser` condition picks js/browser.mjs, `new URL("../pkg/web/oauth2_wasm_bg.wasm",
// import.meta.url)` in it emits the wasm as an asset (asset/resource), and top-level await is on
// (experiments.topLevelAwait, the default since 5.83). The page is index.html, copied as is.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;

/** Emits index.html next to the bundle (what html-webpack-plugin would do, without the dependency). */
class EmitIndexHtml {
  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap("EmitIndexHtml", (compilation) => {
      compilation.hooks.processAssets.tap({ name: "EmitIndexHtml", stage: Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        const file = join(here, "index.html");
        compilation.fileDependencies.add(file);
        compilation.emitAsset("index.html", new sources.RawSource(readFileSync(file, "utf8")));
      });
    });
  }
}

export default {
  mode: "production",
  context: here,
  entry: "./main.js",
  target: "web",
  // Source maps name every bundled file: the test checks they came from node_modules.
  devtool: "source-map",
  output: {
    path: join(here, "dist"),
    filename: "main.js",
    clean: true,
  },
  plugins: [new EmitIndexHtml()],
  // The wasm is ~200 KB: no size hints (the test fails on any webpack warning).
  performance: { hints: false },
  stats: "errors-warnings",
};
