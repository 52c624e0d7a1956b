#!/usr/bin/env bash
# Install what SpeakPro needs into the project folder, skipping whatever is already there:
#   .venv/   Python 3.11+ virtualenv with the pinned requirements (runtime, or runtime + dev for tests)
#   .tools/  bun (Reflex cannot download it on machines without internet) and axe-core, from the npm registry
# Usage: scripts/bootstrap.sh run|test
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}
BUN_VERSION=1.4.5
AXE_VERSION=4.11.1  # the accessibility checker the browser tests inject into each page

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "SpeakPro needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python=$(pick_python)
  echo "==> creating .venv with $($python --version)"
  "$python" -m venv .venv
fi

requirements=requirements.txt
[ "$mode" = test ] && requirements=requirements-dev.txt
stamp=.venv/.installed-$mode
wanted=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "==> installing Python packages ($requirements)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 |
    grep -v "is ignored: it is neither a file nor a directory" || true
  .venv/bin/python -c "import reflex, sqlmodel, alembic, psycopg2, pgserver" # fail loudly if the install failed
  echo "$wanted" > "$stamp"
fi

if [ ! -x .tools/node_modules/.bin/bun ] || [ "$(.tools/node_modules/.bin/bun --version 2>/dev/null)" != "$BUN_VERSION" ] ||
   [ "$(node -p 'require("./.tools/node_modules/axe-core/package.json").version' 2>/dev/null)" != "$AXE_VERSION" ]; then
  command -v npm >/dev/null || { echo "SpeakPro needs Node.js and npm (to install bun)" >&2; exit 1; }
  echo "==> installing bun $BUN_VERSION and axe-core $AXE_VERSION from the npm registry into .tools/"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "bun@$BUN_VERSION" "axe-core@$AXE_VERSION" >/dev/null
fi
