#!/usr/bin/env bash
# `make test`: install the test dependencies, then run the whole suite in two pytest processes:
#   1. unit, database and state tests;  2. browser tests (AppHarness + Playwright on Debian's Chromium).
# With CI=true a missing browser or database fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
source scripts/env.sh

chromium_path() { command -v chromium || command -v chromium-browser || true; }
if [ -z "$(chromium_path)" ]; then
  apt=""
  if [ "$(id -u)" = 0 ]; then apt="apt-get"; elif sudo -n true 2>/dev/null; then apt="sudo apt-get"; fi
  if [ -n "$apt" ]; then
    echo "==> installing Debian's chromium and chromium-driver"
    $apt update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $apt install -y -qq chromium chromium-driver >/dev/null
  fi
fi
if [ -z "$(chromium_path)" ]; then
  if [ "${CI:-}" = true ]; then echo "Chromium is missing and could not be installed: the browser tests cannot run" >&2; exit 1; fi
  echo "warning: Chromium is missing; the browser tests will be skipped" >&2
fi
export SPEAKPRO_CHROMIUM="${SPEAKPRO_CHROMIUM:-$(chromium_path)}"

status=0
echo "==> unit, database and state tests"
python -m pytest --ignore=tests/e2e "$@" || status=$?
echo "==> browser tests"
python -m pytest tests/e2e "$@" || status=$?
exit $status
