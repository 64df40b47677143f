#!/usr/bin/env bash
# The README's test command (`npm test`): sets up what is missing, then runs every test —
# host tests of the core, lints, wasm tests in Node, headless Chromium and headless Firefox,
# and the Node tests of the package as `npm pack` makes it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "clippy, host and wasm32, warnings denied"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --workspace --all-targets --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p oauth2-wasm --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings
cargo clippy -p oauth2-wasm-npm --lib --target wasm32-unknown-unknown --features release -- -D warnings   # the npm build (no std)
cargo clippy -p oauth2-wasm-npm --lib --target wasm32-unknown-unknown --features release,rust-driver -- -D warnings
step "the core is pure: no wasm-bindgen, js-sys or web-sys below it"
if cargo tree -p oauth2-wasm-core -e normal,build --target all --prefix none | grep -E "^(wasm-bindgen|js-sys|web-sys) "; then
  echo "oauth2-wasm-core depends on a JavaScript binding" >&2; exit 1
fi
step "a Rust app's dependency: no #[wasm_bindgen] exports, no exact wasm-bindgen pin"
if cargo tree -p oauth2-wasm -e normal --target wasm32-unknown-unknown --prefix none | grep -q "^oauth2-wasm-npm "; then
  echo "oauth2-wasm depends on the npm crate" >&2; exit 1
fi
grep -q '^wasm-bindgen = { version = "0' Cargo.toml || { echo "oauth2-wasm pins wasm-bindgen exactly" >&2; exit 1; }
step "crate docs, warnings denied"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet --target wasm32-unknown-unknown
step "cargo test (the core on the host, property tests included)"
cargo test --workspace
step "fuzz smoke run: 10 s per target (FUZZ_SECONDS=… bash scripts/fuzz.sh for long runs)"
bash scripts/fuzz.sh

# The wasm suites reach real servers on loopback: start them for the whole wasm stage.
servers_json=$(mktemp)
node tests/support/servers.mjs "$servers_json" &
servers_pid=$!
trap 'kill $servers_pid 2>/dev/null || true; rm -f "$servers_json"' EXIT
for _ in $(seq 1 100); do [ -s "$servers_json" ] && break; sleep 0.1; done
[ -s "$servers_json" ] || { echo "test servers did not start" >&2; exit 1; }
export OAUTH2_WASM_TEST_SERVERS="$(cat "$servers_json")"
export CHROMEDRIVER=/usr/bin/chromedriver GECKODRIVER="$(command -v geckodriver)"

# The Rust API (this crate) and the npm crate's exports, each in every runtime.
for crate in . npm; do
  step "wasm-pack test --node ($crate)"
  OAUTH2_WASM_EXPECT=node wasm-pack test --node "$crate"
  step "wasm-pack test --headless --chrome ($crate)"
  OAUTH2_WASM_EXPECT=browser WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome "$crate"
  step "wasm-pack test --headless --chrome, in a dedicated worker ($crate)"
  OAUTH2_WASM_EXPECT=worker WASM_BINDGEN_USE_DEDICATED_WORKER=1 wasm-pack test --headless --chrome "$crate"
  step "wasm-pack test --headless --firefox ($crate)"
  OAUTH2_WASM_EXPECT=browser WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --firefox "$crate"
done
kill $servers_pid 2>/dev/null || true

bash scripts/pack.sh tests/node tests/browser www tests/consumers tests/consumers/vite-app tests/consumers/webpack-app

step "consumers: Vite and webpack apps in Chromium, Node ESM and CJS, tsc --strict, a Rust wasm app"
OAUTH2_WASM_PACKED=1 bash tests/consumers/run.sh

step "node --test: the packed package in Node, its JS API in browser pages, workers and tabs, the demo, the CLI"
node --test tests/node/

step "node --test again, against the Rust API's driver (the npm crate's rust-driver feature): the behaviour tests"
bash scripts/rust-driver.sh
