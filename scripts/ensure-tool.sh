#!/usr/bin/env bash
# Makes sure a command the tests or the demo need exists: installs its Debian package with apt-get when
# we are root on a Debian-like machine, else says how to install it and fails.
# Usage: ensure-tool.sh <command> <debian package> [how to install it elsewhere]
set -euo pipefail
command_name="$1"
package="$2"
elsewhere="${3:-}"
if command -v "$command_name" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "$command_name not found: installing it with apt-get (Debian package $package)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq "$package" >/dev/null || true
  command -v "$command_name" >/dev/null 2>&1 && exit 0
fi
echo "$command_name is required but not installed. Install it (Debian/Ubuntu: sudo apt-get install -y $package${elsewhere:+; $elsewhere}) and run again." >&2
exit 1
