#!/usr/bin/env bash
# Consumer tests of the packed package: Vite and webpack apps in headless Chromium, Node
# ESM and CJS scripts, TypeScript (tsc --strict), and a Rust wasm app on the crate's Rust
# API (wasm-pack test --headless --chrome). See consumers.test.mjs.
#
#   bash tests/consumers/run.sh                         packs the package first (scripts/pack.sh)
#   OAUTH2_WASM_PACKED=1 bash tests/consumers/run.sh    the caller already ran
#       bash scripts/pack.sh … tests/consumers tests/consumers/vite-app tests/consumers/webpack-app
#
# Needs the root devDependencies (npm install), /usr/bin/chromium and /usr/bin/chromedriver,
# the wasm32 target, wasm-pack and wasm-bindgen-cli 0.2.130 (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
if [ "${OAUTH2_WASM_PACKED:-}" != 1 ]; then
  bash scripts/pack.sh tests/consumers tests/consumers/vite-app tests/consumers/webpack-app
fi
exec node --test tests/consumers/consumers.test.mjs
