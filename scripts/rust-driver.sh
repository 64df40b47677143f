#!/usr/bin/env bash
# The Node behaviour tests again, against the other driver of the session machine: the
# package as `npm pack` made it (target/oauth2-wasm.tgz, from scripts/pack.sh) with its Node
# wasm rebuilt with the npm crate's `rust-driver` feature — `TokenManager` and
# `requestToken` from the Rust API's async driver instead of the JavaScript one. (Its
# browser behaviour is tested by the Rust API's own wasm tests in Chromium and Firefox.)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
root=$PWD/target/rust-driver
dir=$root/node_modules/oauth2-wasm
rm -rf "$root"
mkdir -p "$dir"
tar xzf target/oauth2-wasm.tgz -C "$dir" --strip-components=1
wasm-pack build npm --release --target nodejs --out-dir ../target/rust-driver/pkg --out-name oauth2_wasm \
  --no-pack --no-typescript -- --features release,rust-driver >&2
rm -rf "$dir/pkg/node/snippets"
cp -r "$root/pkg/oauth2_wasm.js" "$root/pkg/oauth2_wasm_bg.wasm" "$root/pkg/snippets" "$dir/pkg/node/"
for snippet in "$dir"/pkg/node/snippets/*/src/web/*.js; do
  esbuild "$snippet" --format=cjs --platform=node --target=node18 --log-level=warning --allow-overwrite --outfile="$snippet"
done
# The JavaScript driver stays for what only it has (revokeToken); TokenManager and
# requestToken come from the Rust driver.
mv "$dir/pkg/node/driver.cjs" "$dir/pkg/node/driver-js.cjs"
echo 'const js = require("./driver-js.cjs");
exports.makeApi = (wasm) => ({ ...js.makeApi(wasm), requestToken: wasm.requestToken, TokenManager: wasm.TokenManager });' \
  >"$dir/pkg/node/driver.cjs"
# A package scope of its own: inside the repository's, `oauth2-wasm` would name the
# repository itself (a package's self-reference), not node_modules/oauth2-wasm.
echo '{ "name": "oauth2-wasm-rust-driver-tests", "private": true }' >"$root/package.json"
cd tests/node
export OAUTH2_WASM_PACKAGE_DIR=$root NODE_OPTIONS="--import=$PWD/../support/rust-driver.mjs"
# The tests below must meet the Rust driver: wasm-bindgen's TokenManager, not the JS class.
node --input-type=module -e '
  import { TokenManager } from "oauth2-wasm";
  if (!/__wbg_ptr|__destroy_into_raw/.test(String(TokenManager) + Object.getOwnPropertyNames(TokenManager.prototype))) {
    console.error("rust-driver: oauth2-wasm resolved to the JavaScript driver"); process.exit(1);
  }'
node --test \
  authorization.test.mjs conformance.test.mjs discovery.test.mjs fault-matrix.test.mjs hygiene.test.mjs load.test.mjs \
  manager.test.mjs regressions.test.mjs request.test.mjs revocation.test.mjs shared-store.test.mjs soak.test.mjs
