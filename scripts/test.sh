#!/usr/bin/env bash
# The whole test suite: type check, lint, then every jest layer (each integration file starts its own
# redis-server, Azurite and sandboxes on free ports and stops them). Ends with one plain summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-redis.sh
# The results-link test serves Azurite over HTTPS with a certificate it makes with openssl.
bash scripts/ensure-tool.sh openssl openssl
npx tsc -p tsconfig.json --noEmit
npx eslint .
mkdir -p .tmp
# The container-image test installs production dependencies from the registry: CI runs it, a quick local
# `npx jest` skips it.
export BATCH_SCORE_TEST_PRODUCTION_INSTALL="${BATCH_SCORE_TEST_PRODUCTION_INSTALL:-1}"
status=0
npx jest --maxWorkers=2 --json --outputFile=.tmp/jest-results.json "$@" || status=$?
node -e '
  const r = require("./.tmp/jest-results.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit "$status"
