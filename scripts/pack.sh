#!/usr/bin/env bash
# Builds the package, packs it with `npm pack`, and installs the tarball — as a user gets
# it — into node_modules/oauth2-wasm of each directory given (tests/node, www, …).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
out=$(mktemp -d)
tarball=$(npm pack --silent --pack-destination "$out" | tail -n 1)
echo "pack: $tarball, $(wc -c <"$out/$tarball") bytes, $(tar tzf "$out/$tarball" | wc -l) files" >&2
for dir in "$@"; do
  rm -rf "$dir/node_modules/oauth2-wasm"
  mkdir -p "$dir/node_modules/oauth2-wasm"
  tar xzf "$out/$tarball" -C "$dir/node_modules/oauth2-wasm" --strip-components=1
done
cp "$out/$tarball" target/oauth2-wasm.tgz
rm -rf "$out"
