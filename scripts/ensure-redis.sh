#!/usr/bin/env bash
# The tests, the demo and the benchmarks start their own throwaway redis-server; make sure the binary exists.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server not found: installing it with apt-get (Debian package redis-server)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq redis-server >/dev/null
  command -v redis-server >/dev/null 2>&1 && exit 0
fi
echo "redis-server is required but not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) and run again." >&2
exit 1
