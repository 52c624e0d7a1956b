"""What the fuzzers check after every call: no exception text shown, no ERROR logged, no table changed by a
refusal (`tests/state/test_fuzz_handlers.py` for event handlers, `test_fuzz_routes.py` for HTTP routes)."""

from __future__ import annotations

import logging
import re

from sqlalchemy import text

# Columns a read may touch (a session's last_seen_at): left out of the checksums.
VOLATILE_COLUMNS = ("last_seen_at",)

EXCEPTION_TEXT = re.compile(
    r"Traceback|\b[A-Z]\w*(Error|Exception)\b|\bError:|object has no attribute|not subscriptable|"
    r"unhashable|NoneType|psycopg|sqlalchemy|surrogates not allowed|NUL \(0x00\)"
)


class Checksums:
    """A checksum of every table (one round trip), computed again only after something was written.

    Every handler's database work joins the test's transaction, so PostgreSQL's per-transaction counters of
    inserted, updated and deleted rows tell whether anything could have changed since the last checksum.
    """

    WRITES = text("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables")

    def __init__(self, session):
        self.session = session
        tables = session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        drop = " - ".join(f"'{c}'" for c in VOLATILE_COLUMNS)
        self.query = text(
            " UNION ALL ".join(
                f"SELECT '{t}', (SELECT md5(coalesce(string_agg(h, ',' ORDER BY h), '')) FROM "
                f'(SELECT md5((to_jsonb(x) - {drop})::text) h FROM "{t}" x) s)'
                for t in sorted(tables)
            )
        )
        self.writes: dict | None = None
        self.sums: dict[str, str] = {}

    def __call__(self) -> dict[str, str]:
        writes = dict(self.session.execute(self.WRITES).all())
        if writes != self.writes:
            self.writes, self.sums = writes, dict(self.session.execute(self.query).all())
        return self.sums


def changed_tables(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """The tables whose checksum differs between two `Checksums` readings."""
    return {t for t in before if before[t] != after[t]}


class ErrorLog(logging.Handler):
    """Collects every ERROR record logged while it is installed (a fuzzed call must log none)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)
