# SpeakPro: the two commands a new developer needs (see README.md).
.PHONY: run test test-fast lint hooks bench clean-db

run:  ## install what is missing, start the embedded PostgreSQL, migrate, seed, run the app on :3000
	@bash scripts/run.sh

test:  ## install test dependencies and run the whole suite (unit, database, state, browser)
	@bash scripts/test.sh

test-fast:  ## the same without the browser: bun test, then unit, database and state tests (about 6 minutes)
	@bash scripts/test.sh --fast

lint:  ## static checks: ruff check, ruff format --check and pyright (also the first step of `make test`)
	@bash scripts/lint.sh

hooks:  ## run `make lint` before every commit (a git pre-commit hook)
	@hooks="$$(git rev-parse --git-path hooks)" && mkdir -p "$$hooks" && \
		printf '#!/bin/sh\nexec bash scripts/lint.sh\n' > "$$hooks/pre-commit" && chmod +x "$$hooks/pre-commit"

clean-db:  ## stop the embedded PostgreSQL and delete its data (demo data is re-seeded by `make run`)
	@.venv/bin/python -m speakpro db-stop && rm -rf .speakpro/pg
