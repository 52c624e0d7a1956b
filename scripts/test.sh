#!/usr/bin/env bash
# `make test`: install the test dependencies, then run the whole suite: `bun test` for the browser-side
# modules, then three pytest processes:
#   1. unit, database and state tests;  2. browser tests (AppHarness + Playwright on Debian's Chromium);
#   3. live practice browser tests (the app online against a local fake Realtime peer; Chromium's fake
#      microphone plays speech made with Debian's espeak-ng).
# With CI=true a missing browser, espeak-ng or database fails the run instead of skipping.
# Lint (scripts/lint.sh) runs first and fails the run.
# `--fast` (`make test-fast`): only `bun test` and step 1, no browser. Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
fast=false
if [ "${1:-}" = "--fast" ]; then fast=true; shift; fi
scripts/bootstrap.sh test
source scripts/env.sh
scripts/lint.sh

if [ "$fast" = true ]; then
  status=0
  echo "==> browser-side unit tests (bun test: the live transcript assembly and outbox)"
  bun test tests/js || status=$?
  echo "==> unit, database and state tests"
  python -m pytest --ignore=tests/e2e --ignore=tests/e2e_live "$@" || status=$?
  exit $status
fi

# Install Debian packages the tests need when a command is missing and apt is usable.
apt_install() {
  local apt=""
  if [ "$(id -u)" = 0 ]; then apt="apt-get"; elif sudo -n true 2>/dev/null; then apt="sudo apt-get"; fi
  [ -n "$apt" ] || return 0
  echo "==> installing Debian's $*"
  $apt update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $apt install -y -qq "$@" >/dev/null
}
require() {  # require COMMAND WHAT-FOR: fail under CI=true, warn otherwise
  command -v "$1" >/dev/null && return 0
  if [ "${CI:-}" = true ]; then echo "$1 is missing and could not be installed: $2 cannot run" >&2; exit 1; fi
  echo "warning: $1 is missing; $2 will be skipped" >&2
}

chromium_path() { command -v chromium || command -v chromium-browser || true; }
[ -n "$(chromium_path)" ] || apt_install chromium chromium-driver
[ -n "$(chromium_path)" ] || require chromium "the browser tests"
export SPEAKPRO_CHROMIUM="${SPEAKPRO_CHROMIUM:-$(chromium_path)}"
command -v espeak-ng >/dev/null || apt_install espeak-ng
require espeak-ng "the live practice browser tests"

status=0
echo "==> browser-side unit tests (bun test: the live transcript assembly and outbox)"
bun test tests/js || status=$?
echo "==> unit, database and state tests"
python -m pytest --ignore=tests/e2e --ignore=tests/e2e_live "$@" || status=$?
echo "==> browser tests"
python -m pytest tests/e2e "$@" || status=$?
echo "==> live practice browser tests"
python -m pytest tests/e2e_live "$@" || status=$?
exit $status
