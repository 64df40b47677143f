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
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings
step "crate docs, warnings denied"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
step "cargo test (the core on the host)"
cargo test

step "wasm-pack test --node"
wasm-pack test --node
step "wasm-pack test --headless --chrome"
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome
step "wasm-pack test --headless --firefox"
WASM_BINDGEN_USE_BROWSER=1 GECKODRIVER="$(command -v geckodriver)" wasm-pack test --headless --firefox

step "node --test against the packed package"
bash scripts/pack.sh tests/node www
node --test tests/node/
