// The wasm's exports as V8 sees them. Node 18 and 20 (V8 ≤ 11) inline calls to a wasm
// function with one externref result into optimized JavaScript and abort the whole process
// when they deoptimize that code during such a call (their deoptimizer reads numeric results
// only); so no export may have one externref result (npm/src/lib.rs, `Returned`). The
// signatures are read with V8's type reflection, in a child process that turns it on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const root = dirname(require.resolve("oauth2-wasm/package.json"));

/** The exported functions of the wasm at `path`: [{ name, results }]. */
function exportsOf(path) {
  const script = `
    const m = new WebAssembly.Module(require("node:fs").readFileSync(${JSON.stringify(path)}));
    const fns = WebAssembly.Module.exports(m).filter((e) => e.kind === "function");
    process.stdout.write(JSON.stringify(fns.map((e) => ({ name: e.name, results: e.type?.results }))));`;
  return JSON.parse(execFileSync(process.execPath, ["--experimental-wasm-type-reflection", "-e", script]).toString());
}

for (const build of ["node", "web"]) {
  test(`pkg/${build}: no export of the wasm has one externref result (V8 ≤ 11 aborts deoptimizing an inlined call to one)`, () => {
    const fns = exportsOf(join(root, "pkg", build, "oauth2_wasm_bg.wasm"));
    assert.ok(fns.length > 40, `the exports were read (${fns.length})`);
    assert.ok(fns.every((f) => Array.isArray(f.results)), "type reflection gave every signature");
    const single = fns.filter((f) => f.results.length === 1 && f.results[0] === "externref").map((f) => f.name);
    assert.deepEqual(single, []);
    // Those that hand back values on the hot paths do so with several results.
    for (const name of ["machine_step", "machine_freshToken", "machine_effects", "exchange_request", "transport"]) {
      const f = fns.find((e) => e.name === name);
      assert.ok(f && f.results.length > 1, `${name}: ${JSON.stringify(f?.results)}`);
    }
  });
}
