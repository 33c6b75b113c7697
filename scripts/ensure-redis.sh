#!/usr/bin/env bash
# The tests, the demo and the benchmarks start their own throwaway redis-server; make sure the binary exists.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-tool.sh" redis-server redis-server "macOS: brew install redis"
