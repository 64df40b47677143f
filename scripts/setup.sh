#!/usr/bin/env bash
# Installs, idempotently, everything this project needs on a fresh machine:
# the wasm32 target, the nightly toolchain and cargo-fuzz, wasm-pack, wasm-bindgen-cli at
# the Cargo.lock version, Chromium and chromedriver, Firefox ESR and geckodriver, Redis (the
# redis-store tests start their own servers on loopback), and the npm dependencies.
# Skips whatever is already there; fails with a clear message when something cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: FAILED: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

export PATH="$HOME/.cargo/bin:$PATH"
have cargo || die "cargo is missing; this project needs a Rust toolchain installed by rustup"
have node || die "node is missing; Node.js 18 or later is needed"
have npm || die "npm is missing"

# The wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown || die "rustup could not add wasm32-unknown-unknown"
fi

# Nightly (for cargo-fuzz's sanitizer builds) and cargo-fuzz.
if ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain (for cargo-fuzz)"
  rustup toolchain install nightly --profile minimal || die "rustup could not install the nightly toolchain"
fi
if ! have cargo-fuzz; then
  say "installing cargo-fuzz (a few minutes)"
  cargo install -q cargo-fuzz || die "cargo install cargo-fuzz failed"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[ -n "$want" ] || die "no wasm-bindgen version found in Cargo.lock"
if ! { have wasm-bindgen && wasm-bindgen --version | grep -q " $want\$"; }; then
  say "installing wasm-bindgen-cli $want (a few minutes)"
  # --locked fails for some versions (a locked dependency was yanked), so not here.
  cargo install -q --force wasm-bindgen-cli --version "$want" || die "cargo install wasm-bindgen-cli $want failed"
fi

if ! have wasm-pack; then
  say "installing wasm-pack (a few minutes)"
  cargo install -q wasm-pack || die "cargo install wasm-pack failed"
fi

# Browsers and drivers, and Redis, from Debian; geckodriver from crates.io.
apt_pkgs=()
[ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
[ -x /usr/bin/chromedriver ] || apt_pkgs+=(chromium-driver)
[ -x /usr/bin/firefox-esr ] || apt_pkgs+=(firefox-esr)
have redis-server || apt_pkgs+=(redis-server)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  have apt-get || die "apt-get is missing; install ${apt_pkgs[*]} by hand"
  say "installing ${apt_pkgs[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null || die "apt-get install ${apt_pkgs[*]} failed"
fi
if ! have geckodriver; then
  say "installing geckodriver (a few minutes)"
  cargo install -q geckodriver || die "cargo install geckodriver failed"
fi

# npm dependencies (binaryen's current wasm-opt among them).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
fi
say "ready"
