#!/usr/bin/env bash
# Builds the npm package's wasm (release, wasm-opt -Oz) into pkg/node and reports its size.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # binaryen's current wasm-opt
wasm-pack build --release --target nodejs --out-dir pkg/node --no-pack --no-typescript >&2
rm -f pkg/node/.gitignore   # wasm-pack's "*" would keep the files out of npm pack
wasm=pkg/node/oauth2_wasm_bg.wasm
glue=pkg/node/oauth2_wasm.js
printf 'build: wasm %s bytes, glue %s bytes; gzip -9 of both: %s bytes\n' \
  "$(wc -c <"$wasm")" "$(wc -c <"$glue")" "$(cat "$wasm" "$glue" js/index.cjs js/error.cjs | gzip -9 | wc -c)" >&2
