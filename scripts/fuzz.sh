#!/usr/bin/env bash
# Fuzzes the pure core with cargo-fuzz (libFuzzer, nightly): the response parser, the
# request builder, the stored-record decoder (each seeded from the conformance vectors) and
# the session machine (whole core::machine managers) among simulated tabs or processes, storage, a lock and a rotating server,
# and the authorization-code flow's parsers (callbacks, stored transactions, metadata documents).
#   bash scripts/fuzz.sh                  a smoke run, 10 s per target (what npm test runs)
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh   a long run; crashes land in fuzz/artifacts/
#   SESSION_TRACE=1 cargo +nightly fuzz run session fuzz/artifacts/session/<input>
#                                         prints the steps of a failing schedule
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${FUZZ_SECONDS:-10}
corpus=target/fuzz-corpus
node scripts/fuzz-seeds.mjs "$corpus"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in parse_response build_request decode_record session authorization; do
  echo "fuzz: $target for ${seconds} s" >&2
  if ! cargo +nightly fuzz run "$target" "$corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $target FAILED: a crash or a broken invariant (the input is in fuzz/artifacts/$target)" >&2
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|new_units_added)" "$log" >&2 || true
done
echo "fuzz: 5 targets, no crash" >&2
