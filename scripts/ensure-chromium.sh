#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (no browser download at run time).
# Install it when it is missing and we can (root + apt); otherwise say what to do.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q chromium >/dev/null
  exit 0
fi
echo "chromium is not installed: run 'sudo apt-get install chromium' (or set CHROMIUM_PATH)" >&2
exit 1
