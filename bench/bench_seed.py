"""Seed a fresh database, then time the landing page's catalogue overview (queries and latency).

Usage: .venv/bin/python bench/bench_seed.py [iterations]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SPEAKPRO_DATA_DIR", tempfile.mkdtemp(prefix="speakpro-bench-"))

from sqlalchemy import create_engine, event  # noqa: E402
from sqlmodel import Session  # noqa: E402

from tests import pg  # noqa: E402


def main(iterations: int = 200) -> None:
    server, origin = pg.server_url()
    url = pg.create_database(server, prefix="speakpro_bench")
    try:
        pg.migrate(url)
        engine = create_engine(url)
        from speakpro.seed import run_seed
        from speakpro.services.learning.catalog import get_catalog_overview

        started = time.perf_counter()
        with Session(engine) as session:
            report = run_seed(session)
            session.commit()
        seed_seconds = time.perf_counter() - started
        queries = 0

        def count(*_args):
            nonlocal queries
            queries += 1

        event.listen(engine, "before_cursor_execute", count)
        timings = []
        with Session(engine) as session:
            for _ in range(iterations):
                t0 = time.perf_counter()
                get_catalog_overview(session=session)
                timings.append((time.perf_counter() - t0) * 1000)
        print(f"database: {origin}")
        print(
            f"seed: {seed_seconds:.2f} s for {report.counts['practice_sessions']} sessions, "
            f"{report.counts['transcript_segments']} segments"
        )
        print(
            f"catalogue overview: {queries / iterations:.0f} queries per call, "
            f"p50 {statistics.median(timings):.2f} ms, p95 {sorted(timings)[int(0.95 * len(timings))]:.2f} ms"
        )
        engine.dispose()
    finally:
        pg.drop_database(url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
