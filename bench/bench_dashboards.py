"""Dashboard queries at two total sizes: 100 companies, 10,000 learners and N analysed sessions in all.

One company (the "probe": 100 learners, 5,000 sessions over the last 365 days) is generated first and never
changes; the other 99 companies and 9,900 learners receive every other session. So between the small and the
large run only the rest of the table grows, and the probe's figures show whether one company's dashboard, one
learner's progress page and one learner's history page depend on the total number of sessions (they must not).

For context it also times company 7, an average company whose own data grows with the total (about 100
sessions at N = 10k, 10,000 at N = 1M), and the admin overview across all companies. At the large size it
also measures what Row-Level Security costs: the probe dashboard as its manager and a history page as its
learner through the app role, against the owner role (no RLS).

Coaching data is in it too: every company has a scenario and 30 assignments (20 live, 10 archived) for all its
learners (300,000 assignment rows in all); one session in 50 is shared with the managers and carries a
manager's comment, a manager's scores and a coach result, so the shared-session list, the calibration and the
assignment table grow with N like everything else (probe: 100 shared sessions, whatever N).

Data is generated with `INSERT ... SELECT generate_series` (practice_sessions + session_analytics + the
coaching rows), then VACUUM ANALYZE. The timed dashboard read is the one the page makes on load
(`_dashboard_read`: the figures, shared sessions, calibration and assignments).

Usage: .venv/bin/python bench/bench_dashboards.py [small_n] [large_n] [iterations]
       (defaults 10000 1000000 50; run on demand, never in the test run)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SPEAKPRO_DATA_DIR", tempfile.mkdtemp(prefix="speakpro-bench-"))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.rls_cost import rls_cost  # noqa: E402
from tests import pg  # noqa: E402

COMPANIES = 100
LEARNERS = 10_000
PROBE_LEARNERS = 100  # bench_users n < 100 belong to company n = 0, the probe
PROBE_SESSIONS = 5_000

SETUP = """
INSERT INTO topics (id, slug, title, difficulty, category, prompt_hint, partner_role, is_active)
VALUES ('00000000-0000-0000-0000-0000000000aa', 'bench-topic', 'Bench topic', 'beginner', 'sales', '', '', true);
CREATE TABLE bench_companies AS
  SELECT i AS n, gen_random_uuid() AS id FROM generate_series(0, :companies - 1) AS i;
INSERT INTO companies (id, name, slug, join_code, is_active)
  SELECT id, 'Bench company ' || n, 'bench-' || n, 'BENCH-' || n, true FROM bench_companies;
CREATE TABLE bench_users AS
  SELECT i AS n, gen_random_uuid() AS id,
         (SELECT id FROM bench_companies c
          WHERE c.n = CASE WHEN i < :probe_learners THEN 0 ELSE 1 + i % (:companies - 1) END) AS company_id
  FROM generate_series(0, :learners - 1) AS i;
CREATE UNIQUE INDEX ON bench_users (n);
INSERT INTO users (id, email, display_name, email_verified, is_admin, disabled)
  SELECT id, 'bench-' || n || '@example.com', 'Bench ' || n, true, false, false FROM bench_users;
INSERT INTO user_profiles (user_id, company_id, role, job_role, audience, main_goal, practice_for,
                           onboarding_completed, ab_variant, xp, coins, tickets)
  SELECT id, company_id, 'learner', '', '', '', '', true, 'A', 0, 0, 0 FROM bench_users;
INSERT INTO scenarios (id, company_id, current_version, created_at, updated_at)
  SELECT id, id, 1, now(), now() FROM bench_companies;
INSERT INTO scenario_versions (id, scenario_id, company_id, version, title, situation, partner_persona, difficulty,
                               learner_goal, rubric, created_at)
  SELECT id, id, id, 1, 'Bench scenario', 'A renewal call.', 'A busy buyer.', 'beginner', 'Agree a next step.',
         '[{"key": "discovery", "name": "Discovery", "weight": 1, "good": "Asks open questions"}]', now()
  FROM bench_companies;
CREATE TABLE bench_assignments AS
  SELECT c.id AS company_id, gen_random_uuid() AS id, a AS n FROM bench_companies c, generate_series(0, 29) AS a;
INSERT INTO assignments (id, company_id, kind, scenario_id, title, note, due_at, min_attempts, xp_reward,
                         coin_reward, archived_at, created_at)
  SELECT id, company_id, 'scenario', company_id, 'Bench assignment ' || n, '', now() + make_interval(days => n - 10),
         2, 50, 10, CASE WHEN n >= 20 THEN now() END, now() - interval '30 days'
  FROM bench_assignments;
INSERT INTO assignment_learners (assignment_id, user_id, company_id, progress, completed_at, created_at)
  SELECT a.id, u.id, u.company_id, (u.n + a.n) % 3, CASE WHEN (u.n + a.n) % 3 = 2 THEN now() END, now()
  FROM bench_assignments a JOIN bench_users u ON u.company_id = a.company_id;
"""

# One session in 50 is shared, with a comment, a manager's scores and a coach result (see the docstring).
COACHING = """
WITH shared AS (
  UPDATE practice_sessions SET privacy = 'managers'
  WHERE id IN (SELECT a.session_id FROM session_analytics a
               WHERE a.created_at >= :since AND hashtext(a.session_id::text) % 50 = 0)
  RETURNING id, company_id, user_id
), commented AS (
  INSERT INTO session_comments (id, session_id, author_user_id, company_id, at_ms, body, created_at)
  SELECT gen_random_uuid(), id, user_id, company_id, 30000, 'Ask one more open question here.', now() FROM shared
), coached AS (
  INSERT INTO analysis_results (id, session_id, analysis_type, provider, version, results, processing_time_ms,
                                api_cost_usd, created_at)
  SELECT gen_random_uuid(), id, 'coach', 'openai', 'bench', '{"criteria": []}', 0, 0, now() FROM shared
)
INSERT INTO session_reviews (id, session_id, reviewer_user_id, company_id, scores, created_at, updated_at)
SELECT gen_random_uuid(), id, NULL, company_id,
       '{"opening": 60, "questioning": 55, "objection_handling": 70, "closing": 65}', now(), now()
FROM shared;
"""

SESSIONS = """
WITH p AS (
  INSERT INTO practice_sessions (id, user_id, company_id, topic_id, title, mode, status, privacy, started_at,
                                 ended_at, duration_seconds, processing_status, analytics_summary)
  SELECT gen_random_uuid(), u.id, u.company_id, '00000000-0000-0000-0000-0000000000aa', 'Bench session',
         'realtime', 'analyzed', 'private', g.started, g.started + make_interval(secs => g.seconds), g.seconds,
         'complete', '{}'
  FROM (SELECT s, now() - make_interval(days => (s % 365)::int, mins => ((s * 7919) % 1440)::int) AS started,
               (60 + (s * 31) % 840)::int AS seconds
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS s) AS g
  JOIN bench_users u ON u.n = (:user_offset + g.s % :user_count)::int
  RETURNING id, user_id, company_id, duration_seconds, started_at
)
INSERT INTO session_analytics (id, session_id, user_id, company_id, overall_score, talk_time_ratio,
    filler_words_count, speaking_pace_wpm, opening_score, questioning_score, objection_handling_score, closing_score,
    duration_seconds, session_date, session_hour, questions_asked)
SELECT gen_random_uuid(), p.id, p.user_id, p.company_id, 40 + (h & 59), 0.3 + ((h >> 8) & 40) / 100.0,
       (h >> 4) & 15, 100 + ((h >> 12) & 80), 30 + ((h >> 2) & 63), 30 + ((h >> 3) & 63), 30 + ((h >> 5) & 63),
       30 + ((h >> 6) & 63), p.duration_seconds, (p.started_at AT TIME ZONE 'UTC')::date,
       extract(hour FROM p.started_at AT TIME ZONE 'UTC')::int, 0
FROM (SELECT *, hashtext(id::text) AS h FROM p) AS p;
"""


def _grow(engine, total: int, have: int) -> float:
    """Add sessions up to `total` in all (the probe company's first, then the others' in 250k batches);
    returns seconds spent."""
    started = time.perf_counter()
    with engine.connect() as conn:
        since = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    if have == 0:
        with engine.begin() as conn:
            for statement in SETUP.split(";\n"):
                if statement.strip():
                    conn.execute(
                        text(statement),
                        {"companies": COMPANIES, "learners": LEARNERS, "probe_learners": PROBE_LEARNERS},
                    )
            conn.execute(
                text(SESSIONS), {"first": 0, "last": PROBE_SESSIONS - 1, "user_offset": 0, "user_count": PROBE_LEARNERS}
            )
        have = PROBE_SESSIONS
    batch = 250_000
    for first in range(have, total, batch):
        last = min(total, first + batch) - 1
        with engine.begin() as conn:
            conn.execute(
                text(SESSIONS),
                {"first": first, "last": last, "user_offset": PROBE_LEARNERS, "user_count": LEARNERS - PROBE_LEARNERS},
            )
        print(f"  generated {last + 1:,} sessions ({time.perf_counter() - started:.1f} s)", flush=True)
    with engine.begin() as conn:
        conn.execute(text(COACHING), {"since": since})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE practice_sessions"))
        conn.execute(text("VACUUM ANALYZE session_analytics"))
        conn.execute(text("VACUUM ANALYZE company_daily_totals"))
        for table in ("session_comments", "session_reviews", "analysis_results", "assignment_learners"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
        conn.execute(text("CHECKPOINT"))  # write the new pages out now, not while the timings run
    time.sleep(5)
    return time.perf_counter() - started


def _time(engine, work, iterations: int) -> tuple[int, float, float]:
    queries = 0

    def count(*_args):
        nonlocal queries
        queries += 1

    timings = []
    with Session(engine) as session:
        work(session)  # warm-up
        event.listen(engine, "before_cursor_execute", count)
        for _ in range(iterations):
            begin = time.perf_counter()
            work(session)
            timings.append((time.perf_counter() - begin) * 1000)
        event.remove(engine, "before_cursor_execute", count)
        session.rollback()
    timings.sort()
    return queries // iterations, statistics.median(timings), timings[max(0, int(0.95 * len(timings)) - 1)]


def _per_query(engine, work, iterations: int = 20) -> list[tuple[str, float]]:
    """Median time of each statement a call issues, in order (to see which query dominates)."""
    samples: list[list[float]] = []
    current: list[float] = []

    def before(conn, *_args):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, _cursor, statement, *_args):
        current.append((time.perf_counter() - conn.info.pop("bench_started")) * 1000)

    labels = []
    with Session(engine) as session:
        work(session)
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        for _ in range(iterations):
            current = []
            work(session)
            samples.append(current)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        session.rollback()
    labels = [f"q{i + 1}" for i in range(len(samples[0]))]
    return [(label, statistics.median(s[i] for s in samples)) for i, label in enumerate(labels)]


def _dashboard_read(session, company_id, date_from, date_to):
    """What the company dashboard reads on load (`state/dashboard.py`): its figures, the shared sessions, the
    calibration and the assignments."""
    from speakpro.services.dashboards import calibration, dashboards
    from speakpro.services.learning import assignment_reports
    from speakpro.services.practice import review

    return (
        dashboards.company_dashboard(session=session, company_id=company_id, date_from=date_from, date_to=date_to),
        review.shared_sessions(session=session, company_id=company_id),
        calibration.calibration(session=session, company_id=company_id),
        assignment_reports.assignment_totals(session=session, company_id=company_id),
    )


def _measure(engine, iterations: int) -> dict[str, tuple[int, float, float]]:
    from speakpro.services.dashboards.admin_overview import admin_overview
    from speakpro.services.dashboards.learner_progress import learner_progress
    from speakpro.services.practice.history import list_history

    with engine.connect() as conn:
        company_id = conn.execute(text("SELECT id FROM bench_companies WHERE n = 0")).scalar_one()
        average_company_id = conn.execute(text("SELECT id FROM bench_companies WHERE n = 7")).scalar_one()
        user_id = conn.execute(text("SELECT id FROM bench_users WHERE n = 42")).scalar_one()
        today = conn.execute(text("SELECT (now() AT TIME ZONE 'UTC')::date")).scalar_one()
        own = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE company_id = :p), count(*) FILTER (WHERE company_id"
                " = :a), count(*) FROM session_analytics"
            ),
            {"p": company_id, "a": average_company_id},
        ).one()
        print(f"  sessions: probe company {own[0]:,}, company 7 {own[1]:,}, all {own[2]:,}")
        plan = (
            conn.execute(
                text(
                    "EXPLAIN SELECT count(*), avg(overall_score), sum(duration_seconds), count(DISTINCT user_id) "
                    "FROM session_analytics WHERE company_id = :c AND session_date BETWEEN :a AND :b"
                ),
                {"c": company_id, "a": today - timedelta(days=89), "b": today},
            )
            .scalars()
            .all()
        )
        print("  KPI plan:", " / ".join(line.strip() for line in plan if "Scan" in line))
    split = _per_query(
        engine,
        lambda s: _dashboard_read(s, company_id, today - timedelta(days=89), today),
    )
    print(
        "  dashboard read per query (KPIs, daily, learners, skills, shared, calibration, assignments): "
        + ", ".join(f"{label} {ms:.2f} ms" for label, ms in split)
    )
    split = _per_query(engine, lambda s: list_history(session=s, user_id=user_id, page=1))
    print("  list_history per query (count, page): " + ", ".join(f"{label} {ms:.2f} ms" for label, ms in split))
    split = _per_query(engine, lambda s: admin_overview(session=s), iterations=10)
    print("  admin_overview query: " + ", ".join(f"{label} {ms:.2f} ms" for label, ms in split))
    return {
        "dashboard read (probe company, 90 days)": _time(
            engine, lambda s: _dashboard_read(s, company_id, today - timedelta(days=89), today), iterations
        ),
        "learner_progress (probe learner, 90 days)": _time(
            engine, lambda s: learner_progress(session=s, time_zone="UTC", user_id=user_id, days=90), iterations
        ),
        "list_history (probe learner, page 1)": _time(
            engine, lambda s: list_history(session=s, user_id=user_id, page=1), iterations
        ),
        "dashboard read (company 7, grows with N)": _time(
            engine, lambda s: _dashboard_read(s, average_company_id, today - timedelta(days=89), today), iterations
        ),
        "admin_overview (100 companies, all time)": _time(
            engine, lambda s: admin_overview(session=s), max(5, iterations // 5)
        ),
    }


def _rls_cost(url: str, engine, iterations: int) -> None:
    """The probe company's dashboard as its manager and the probe learner's history as that learner, through
    the app's engine (the app role under Row-Level Security, context per transaction) against the owner's
    engine (no RLS), alternating call by call (`bench/rls_cost.py`)."""
    from sqlalchemy.engine import make_url

    from speakpro.db import APP_ROLE, DbContext, create_app_engine, use_context
    from speakpro.services.practice.history import list_history

    with engine.connect() as conn:
        company_id = conn.execute(text("SELECT id FROM bench_companies WHERE n = 0")).scalar_one()
        user_id = conn.execute(text("SELECT id FROM bench_users WHERE n = 42")).scalar_one()
        today = conn.execute(text("SELECT (now() AT TIME ZONE 'UTC')::date")).scalar_one()
    app_engine = create_app_engine(make_url(url).set(username=APP_ROLE, password=None))
    cases = (
        (
            "dashboard read (probe company, 90 days) as its manager",
            DbContext(user_id=user_id, company_id=company_id, role="manager"),
            lambda s: _dashboard_read(s, company_id, today - timedelta(days=89), today),
        ),
        (
            "list_history (probe learner, page 1) as the learner",
            DbContext(user_id=user_id, role="learner"),
            lambda s: list_history(session=s, user_id=user_id, page=1),
        ),
    )
    for label, context, work in cases:
        with use_context(context):
            print(f"  RLS, {label}: {rls_cost(engine, app_engine, work, iterations)}", flush=True)
    app_engine.dispose()


def main(small: int = 10_000, large: int = 1_000_000, iterations: int = 50) -> None:
    server, origin = pg.server_url()
    url = pg.create_database(server, prefix="speakpro_bench")
    try:
        pg.migrate(url)
        engine = create_engine(url)
        print(f"database: {origin}; {COMPANIES} companies, {LEARNERS:,} learners; {iterations} calls each")
        results = {}
        have = 0
        for size in (small, large):
            print(f"N = {size:,}: generating ...", flush=True)
            seconds = _grow(engine, size, have)
            have = size
            print(f"  generation took {seconds:.1f} s")
            results[size] = _measure(engine, iterations)
            for label, (queries, p50, p95) in results[size].items():
                print(f"  {label}: {queries} queries, p50 {p50:.2f} ms, p95 {p95:.2f} ms", flush=True)
        print(f"ratio N={large:,} / N={small:,} (p50):")
        for label in results[small]:
            print(f"  {label}: {results[large][label][1] / results[small][label][1]:.2f}x")
        print(f"Row-Level Security at N = {large:,}:")
        _rls_cost(url, engine, iterations)
        engine.dispose()
    finally:
        pg.drop_database(url)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
