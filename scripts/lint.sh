#!/usr/bin/env bash
# `make lint`: the static checks, also run first by `make test` (so CI runs them) and by the pre-commit hook
# (`make hooks`, or `pre-commit install` with .pre-commit-config.yaml). ruff's rule set is in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff=.venv/bin/ruff
[ -x "$ruff" ] || scripts/bootstrap.sh test >/dev/null
paths=(speakpro tests bench alembic rxconfig.py)
echo "==> lint (ruff check, ruff format --check)"
"$ruff" check "${paths[@]}"
"$ruff" format --check --quiet "${paths[@]}"
