# SpeakPro: the two commands a new developer needs (see README.md).
.PHONY: run test lint bench clean-db

run:  ## install what is missing, start the embedded PostgreSQL, migrate, seed, run the app on :3000
	@bash scripts/run.sh

test:  ## install test dependencies and run the whole suite (unit, database, state, browser)
	@bash scripts/test.sh

lint:  ## static checks
	@.venv/bin/ruff check speakpro tests alembic bench

clean-db:  ## stop the embedded PostgreSQL and delete its data (demo data is re-seeded by `make run`)
	@.venv/bin/python -m speakpro db-stop && rm -rf .speakpro/pg
