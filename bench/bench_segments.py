"""Transcript segment ingestion throughput: the service with its guarantees vs raw psycopg2 inserts.

The service path is `ingest_segments` (owner + active + cap check under a row lock, validation, in-batch
collapse, neighbour read and clamping for finals, one upsert per batch that never lets a partial
overwrite a final), committed after every batch like a state handler does. It runs on one reused
`Session` (the hot-path advice) and, for comparison, on a new `Session` per batch. The baseline is raw
psycopg2 `executemany` of the same rows into a scratch table without constraints other than its key,
also committed per batch. Both run in the same process, on the same fresh database (created and dropped
with `tests/pg.py`), for the same batch sizes.

Two workloads: "finals" (each sequence delivered once, final) and "live" (each sequence delivered as a
partial, then as its final: what a Realtime session sends).

Each figure is the best of `repeats` runs (the machine may be shared; the best run is the least disturbed).

Usage: .venv/bin/python bench/bench_segments.py [segments per run, default 3000] [repeats, default 3]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SPEAKPRO_DATA_DIR", tempfile.mkdtemp(prefix="speakpro-bench-"))

import psycopg2  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from tests import pg  # noqa: E402

BATCH_SIZES = (1, 10, 50, 200)
SPAN_MS = 900_000  # keep every segment inside a 15-minute session
WORDS = "so um we could ship on Monday if you know the price works for your team".split()


def _deliveries(total: int, live: bool) -> list[dict]:
    """`total` segments: finals only, or (live) a partial then its final per sequence."""
    sequences = total // 2 if live else total
    step = SPAN_MS // max(1, sequences)
    rows = []
    for sequence in range(sequences):
        speaker = "user" if sequence % 3 else "ai"
        text = " ".join(WORDS[(sequence + i) % len(WORDS)] for i in range(8))
        start, end = sequence * step, sequence * step + max(1, step - 10)
        final = {
            "sequence": sequence,
            "speaker": speaker,
            "text": text,
            "start_ms": start,
            "end_ms": end,
            "is_final": True,
        }
        if live:
            rows.append({**final, "text": text.rsplit(" ", 3)[0], "end_ms": start + step // 2, "is_final": False})
        rows.append(final)
    return rows


def _new_session(engine) -> tuple[uuid.UUID, str]:
    """A learner with an active practice session, committed."""
    from speakpro.models import Topic, User, UserProfile
    from speakpro.services.practice.practice import start_practice

    with Session(engine) as session:
        user = User(email=f"bench-{uuid.uuid4().hex[:10]}@example.com")
        session.add(user)
        session.flush()
        session.add(UserProfile(user_id=user.id))
        topic = Topic(slug=f"bench-{uuid.uuid4().hex[:10]}", title="Bench topic", difficulty="beginner")
        session.add(topic)
        session.flush()
        view = start_practice(session=session, user_id=user.id, topic_id=topic.id, mode="realtime")
        session.commit()
        return user.id, view.id


def _service(engine, rows: list[dict], batch: int, reuse: bool) -> float:
    from speakpro.services.practice.transcripts import ingest_segments

    user_id, practice_id = _new_session(engine)
    batches = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    started = time.perf_counter()
    if reuse:
        with Session(engine, expire_on_commit=False) as session:
            for chunk in batches:
                ingest_segments(session=session, user_id=user_id, practice_session_id=practice_id, segments=chunk)
                session.commit()
    else:
        for chunk in batches:
            with Session(engine, expire_on_commit=False) as session:
                ingest_segments(session=session, user_id=user_id, practice_session_id=practice_id, segments=chunk)
                session.commit()
    return len(rows) / (time.perf_counter() - started)


RAW_TABLE = """
CREATE TABLE IF NOT EXISTS bench_raw_segments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    transcript_id uuid NOT NULL, sequence integer NOT NULL, speaker varchar(8) NOT NULL, text text NOT NULL,
    start_ms integer NOT NULL, end_ms integer NOT NULL, is_final boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
)"""
RAW_INSERT = (
    "INSERT INTO bench_raw_segments (transcript_id, sequence, speaker, text, start_ms, end_ms, is_final) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def _raw(url: str, rows: list[dict], batch: int) -> float:
    parsed = make_url(url)
    conn = psycopg2.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute(RAW_TABLE)
            cursor.execute("TRUNCATE bench_raw_segments")
        conn.commit()
        transcript_id = str(uuid.uuid4())
        values = [
            (transcript_id, r["sequence"], r["speaker"], r["text"], r["start_ms"], r["end_ms"], r["is_final"])
            for r in rows
        ]
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for i in range(0, len(values), batch):
                cursor.executemany(RAW_INSERT, values[i : i + batch])
                conn.commit()
        return len(values) / (time.perf_counter() - started)
    finally:
        conn.close()


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    server, origin = pg.server_url()
    url = pg.create_database(server, prefix="speakpro_bench")
    print(f"database on {origin}; {total:,} segments per run, best of {repeats}; commit after every batch")
    engine = None
    try:
        pg.migrate(url)
        from speakpro import db

        engine = create_engine(url, pool_size=2)
        db.set_engine(engine)
        _service(engine, _deliveries(400, live=True), 50, reuse=True)  # warm-up: imports, caches, connections
        _raw(url, _deliveries(400, live=True), 50)
        header = (
            f"{'workload':<8} {'batch':>5} {'service reused':>15} {'service new':>12} "
            f"{'raw executemany':>16} {'raw/service':>12}"
        )
        print(header)
        print("-" * len(header))
        for live in (False, True):
            rows = _deliveries(total, live)
            for batch in BATCH_SIZES:
                reused = max(_service(engine, rows, batch, reuse=True) for _ in range(repeats))
                fresh = max(_service(engine, rows, batch, reuse=False) for _ in range(repeats))
                raw = max(_raw(url, rows, batch) for _ in range(repeats))
                print(
                    f"{'live' if live else 'finals':<8} {batch:>5} {reused:>13,.0f}/s {fresh:>10,.0f}/s "
                    f"{raw:>14,.0f}/s {raw / reused:>11.2f}x"
                )
    finally:
        if engine is not None:
            engine.dispose()
        pg.drop_database(url)


if __name__ == "__main__":
    main()
