#!/usr/bin/env bash
# The whole test suite: type check, lint, then every jest layer (each integration file starts its own
# redis-server, Azurite and sandboxes on free ports and stops them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-redis.sh
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx jest --maxWorkers=2 "$@"
