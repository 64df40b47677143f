#!/usr/bin/env bash
# Builds the package, packs it with `npm pack`, and installs the tarball — as a user gets
# it — into node_modules/oauth2-wasm of each directory given (tests/node, www, …).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
out=$(mktemp -d)
tarball=$(npm pack --silent --pack-destination "$out" | tail -n 1)
echo "pack: $tarball, $(wc -c <"$out/$tarball") bytes, $(tar tzf "$out/$tarball" | wc -l) files" >&2
# A build that went wrong (or ran concurrently) must not pass as a package.
listing=$(tar tzf "$out/$tarball")
for f in pkg/node/oauth2_wasm.js pkg/node/oauth2_wasm_bg.wasm pkg/node/error.cjs pkg/node/driver.cjs \
  pkg/web/oauth2_wasm_bg.wasm js/index.cjs js/index.mjs js/browser.mjs js/error.mjs js/index.d.ts js/redis-store.mjs js/redis-store.d.ts bin/oauth2-wasm.mjs; do
  grep -qx "package/$f" <<<"$listing" || { echo "pack: $f is missing from the tarball" >&2; exit 1; }
done
grep -q "^package/pkg/node/snippets/.*/src/web/exchange.js$" <<<"$listing" ||
  { echo "pack: pkg/node's exchange.js snippet is missing from the tarball" >&2; exit 1; }
for dir in "$@"; do
  rm -rf "$dir/node_modules/oauth2-wasm"
  mkdir -p "$dir/node_modules/oauth2-wasm"
  tar xzf "$out/$tarball" -C "$dir/node_modules/oauth2-wasm" --strip-components=1
done
cp "$out/$tarball" target/oauth2-wasm.tgz
rm -rf "$out"
