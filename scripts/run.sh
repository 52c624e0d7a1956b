#!/usr/bin/env bash
# `make run`: install what is missing, start the database, migrate, seed the demo data, run SpeakPro.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run
source scripts/env.sh
python -m speakpro prepare
exec reflex run --env dev "$@"
