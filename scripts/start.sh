#!/usr/bin/env bash
# The README's main command (`npm start`): set up, build and pack the package, then run
# the Node example against the local token server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/pack.sh www
node www/example.mjs
