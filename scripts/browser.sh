#!/usr/bin/env bash
# Makes the browser tests runnable: Debian's Chromium (installed when root) and
# playwright-core from tests/browser/package-lock.json. Says what is missing and
# exits non-zero when it cannot.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=crates/autoemail/tests/browser
say() { echo "browser tests: $*" >&2; }

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } \
      || { say "installing chromium failed"; exit 1; }
  else
    say "Chromium is not installed and installing needs root: sudo apt-get install chromium"
    exit 1
  fi
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "node and npm are needed: sudo apt-get install nodejs npm"
  exit 1
fi
if [ ! -d "$dir/node_modules/playwright-core" ]; then
  say "installing playwright-core (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { say "npm ci failed"; exit 1; }
fi
exit 0
