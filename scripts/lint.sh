#!/usr/bin/env bash
# `make lint`: the static checks, also run first by `make test` (so CI runs them) and by the pre-commit hook
# (`make hooks`, or `pre-commit install` with .pre-commit-config.yaml). ruff's rule set is in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff=.venv/bin/ruff
[ -x "$ruff" ] || scripts/bootstrap.sh test >/dev/null
paths=(speakpro tests bench alembic rxconfig.py)
echo "==> lint (ruff check, ruff format --check, pyright)"
"$ruff" check "${paths[@]}"
"$ruff" format --check --quiet "${paths[@]}"
# Basic mode on the product code, 0 errors ([tool.pyright] in pyproject.toml).
[ -x .venv/bin/pyright ] || .venv/bin/pip install -q -r requirements-dev.txt
.venv/bin/pyright 2>&1 | tail -n 25
