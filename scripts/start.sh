#!/usr/bin/env bash
# The README's main command (`npm start`): set up, build and pack the package, then serve
# the www demo and the local demo token server on 127.0.0.1, printing the URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/pack.sh www
exec node www/serve.mjs "$@"
