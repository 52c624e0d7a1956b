"""Live practice under load: simulated learners over the real websocket, next to raw psycopg2 inserts.

Command (run on demand, never part of the test suite; about 2 minutes per configuration at full size):

    source scripts/env.sh && python bench/bench_live.py [--learners 200] [--seconds 60] [--rate 5]
        [--batch-ms 500] [--configs one,two-redis]

What it does: starts a PostgreSQL cluster of its own (initdb + pg_ctl, durable settings, max_connections 400,
in a temporary folder; the shared server on 5432 allows only 100 connections) and, per configuration, a fresh
migrated database with N onboarded learners, each with a session token and an active solo practice session.
Then N `tests/live_client.LiveClient`s (the browser's live page: cookie on both websocket handshakes, hydrate
on the live route over Reflex's, batches over the transcript socket, outbox with batch ids and revisions,
resend after 2 s) connect (ramped over a few seconds),
and each produces `rate` final segments per second, sent in batches every `batch-ms`, for `seconds` seconds.

Configurations:
- `one`: one backend process (`reflex run --backend-only --env prod`, one granian worker, default state
  manager);
- `two-redis`: two backend processes sharing state in a dedicated Redis database, learners split between
  them;
- `one-redis` (optional): one backend process with Redis.

Measured per configuration, over the steady window (after every learner's page loaded):
- acknowledgement latency p50 / p95 / p99 / max: from sending a batch to the state delta that acknowledges
  it as stored (the full round trip: the transcript websocket, one committed database call, the answer);
- throughput: segments acknowledged per second, against the offered rate (learners x rate);
- lost: finals produced that are neither in the database after a bounded drain nor still held by their
  client for resending (dropped: must be 0); backlog: not in the database yet but still held and resent by
  the client when the drain ended (an overloaded service, not a lost word); resend rounds (the delay starts at
  2 s and doubles while unanswered, up to 12 s, as in the browser); the load generator's own event-loop lag;
- CPU: the backend processes', the PostgreSQL cluster's and this load generator's (psutil; percent of one
  core; the machine has 2 cores, shared with whatever else runs, so figures are noisy: the load average is
  printed too).

Baseline, in the same run and cluster: raw psycopg2 `executemany` INSERTs of the same rows (same batch size,
one commit per batch) from N threads with one connection each, for the same duration: unpaced (the raw
capacity: the service's acknowledged rate is printed as a ratio to it) and paced like the learners (the
latency floor of one commit per batch on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import random
import secrets
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Settings are read at import: a data folder and a key of this run's own, shared with the backends.
os.environ["SPEAKPRO_ENV"] = "test"
os.environ["SPEAKPRO_DATA_DIR"] = tempfile.mkdtemp(prefix="speakpro-bench-live-")
atexit.register(lambda: __import__("shutil").rmtree(os.environ["SPEAKPRO_DATA_DIR"], ignore_errors=True))
os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)
for _name in ("OPENAI_API_KEY", "REDIS_URL", "DATABASE_URL"):
    os.environ.pop(_name, None)

import psutil  # noqa: E402
import psycopg2  # noqa: E402

from tests import pg  # noqa: E402
from tests.live_client import LiveClient  # noqa: E402
from tests.processes import (  # noqa: E402
    Backend,
    PrivatePostgres,
    create_database,
    create_learners,
    plain_url,
    redis_database,
    redis_reachable,
)

WORDS = "so um we could ship on Monday if you know the price works for your team".split()


def segment(sequence: int) -> dict:
    text = " ".join(WORDS[(sequence + i) % len(WORDS)] for i in range(8))
    start = sequence * 200
    return {
        "sequence": sequence,
        "speaker": "user" if sequence % 3 else "ai",
        "text": f"{sequence} {text}",
        "start_ms": start,
        "end_ms": start + 180,
        "is_final": True,
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class CpuMeter:
    """CPU seconds used by a set of processes (and their children) between `start()` and `stop()`."""

    def __init__(self, roots: list[int]):
        self.roots = roots
        self.before: dict[int, float] = {}
        self.wall = 0.0

    def _sample(self) -> dict[int, float]:
        seen: dict[int, float] = {}
        for pid in self.roots:
            try:
                root = psutil.Process(pid)
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for process in processes:
                try:  # a child may exit while we look (a connection closing, an autovacuum worker)
                    times = process.cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                seen[process.pid] = times.user + times.system
        return seen

    def start(self) -> None:
        self.before, self.wall = self._sample(), time.monotonic()

    def stop(self) -> float:
        """Percent of one core over the window."""
        after, wall = self._sample(), time.monotonic() - self.wall
        used = sum(after[pid] - self.before.get(pid, 0.0) for pid in after)
        return 100 * used / wall if wall > 0 else float("nan")


def postmaster_pid(cluster: PrivatePostgres) -> int:
    return int((cluster.pgdata / "postmaster.pid").read_text().splitlines()[0])


async def run_service(config: str, cluster: PrivatePostgres, args) -> dict:
    database = create_database(cluster.server_url, prefix=f"speakpro_bench_{config.replace('-', '_')}")
    backends: list[Backend] = []
    clients: list[LiveClient] = []
    try:
        learners = create_learners(database, args.learners)
        count = 2 if config.startswith("two") else 1
        redis_cm = redis_database() if "redis" in config else None
        redis_url = redis_cm.__enter__() if redis_cm else None
        try:
            backends = [
                Backend(
                    database_url=database,
                    secret_key=os.environ["SECRET_KEY"],
                    data_dir=Path(os.environ["SPEAKPRO_DATA_DIR"]),
                    redis_url=redis_url,
                    name=f"bench-{config}-{i}",
                )
                for i in range(count)
            ]
            for backend in backends:
                backend.start()
            for backend in backends:
                await backend.wait_ready_async(240)
            clients = [
                LiveClient(
                    backends[i % count].url,
                    session_id=learner.session_id,
                    session_token=learner.token,
                    batch_interval=args.batch_ms / 1000,
                    resend_after=2.0,
                    name=f"learner{i}",
                )
                for i, learner in enumerate(learners)
            ]
            ramp = time.monotonic()
            for client in clients:
                await client.start()
                await asyncio.sleep(args.ramp / max(1, len(clients)))
            await asyncio.gather(*(client.wait_loaded(180) for client in clients))
            ramp_s = time.monotonic() - ramp
            backend_cpu = CpuMeter([b.process.pid for b in backends])
            pg_cpu = CpuMeter([postmaster_pid(cluster)])
            own_cpu = CpuMeter([os.getpid()])
            load_before = os.getloadavg()[0]
            for client in clients:
                client.latencies.clear()
            acked_before = sum(len(c.acknowledged) for c in clients)
            produced = [0] * len(clients)
            for meter in (backend_cpu, pg_cpu, own_cpu):
                meter.start()
            lag_stop = asyncio.Event()
            lag_task = asyncio.create_task(loop_lag(lag_stop))
            t0 = time.monotonic()
            offsets = [random.random() / args.rate for _ in clients]
            while (now := time.monotonic()) - t0 < args.seconds:
                for i, client in enumerate(clients):
                    due = int(max(0.0, now - t0 - offsets[i]) * args.rate)
                    while produced[i] < due:
                        client.put(segment(produced[i]))
                        produced[i] += 1
                await asyncio.sleep(0.05)
            window = time.monotonic() - t0
            lag_stop.set()
            acked_window = sum(len(c.acknowledged) for c in clients) - acked_before
            cpu = {"backend": backend_cpu.stop(), "postgres": pg_cpu.stop(), "client": own_cpu.stop()}
            load_after = os.getloadavg()[0]
            latencies = [x for c in clients for x in c.latencies]
            drain_deadline = time.monotonic() + args.drain
            while time.monotonic() < drain_deadline and any(c.pending() for c in clients):
                await asyncio.sleep(0.25)
            held = [list(c.entries) for c in clients]
            lag = await lag_task
            resends = sum(c.stats.resent_batches for c in clients)
            reconnects = sum(c.stats.reconnects for c in clients)
            refusals = sum(len(c.stats.refusals) + c.stats.retry_answers for c in clients)
            batches = sum(c.stats.batches_sent for c in clients)
            segments_sent = sum(c.stats.segments_sent for c in clients)
        finally:
            for client in clients:
                await client.close()
            for backend in backends:
                backend.close()
            if redis_cm:
                redis_cm.__exit__(None, None, None)
        stored = stored_counts(database, [learner.session_id for learner in learners])
        # Lost: produced, not in the database, and no longer held by the client either (dropped). Backlog:
        # not in the database yet but still held (and resent) by the client when the drain ended.
        lost = sum(
            len(set(range(produced[i])) - stored.get(learner.session_id, set()) - set(held[i]))
            for i, learner in enumerate(learners)
        )
        backlog = (
            sum(
                len(set(range(produced[i])) - stored.get(learner.session_id, set()))
                for i, learner in enumerate(learners)
            )
            - lost
        )
        return {
            "config": config,
            "learners": len(clients),
            "ramp_s": ramp_s,
            "window_s": window,
            "offered": args.learners * args.rate,
            "acked_rate": acked_window / window,
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "max": max(latencies) if latencies else float("nan"),
            "lost": lost,
            "pending": backlog,
            "lag": lag,
            "produced": sum(produced),
            "resends": resends,
            "reconnects": reconnects,
            "refusals": refusals,
            "mean_batch": segments_sent / batches if batches else float("nan"),
            "cpu": cpu,
            "load": (load_before, load_after),
            "ready_s": [round(b.ready_after or 0, 1) for b in backends],
        }
    finally:
        pg.drop_database(database)


def stored_counts(database: str, session_ids: list[str]) -> dict[str, set[int]]:
    """The final sequences stored per session."""
    connection = psycopg2.connect(plain_url(database))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.session_id::text, array_agg(s.sequence) FROM transcript_segments s JOIN transcripts t "
                "ON t.id = s.transcript_id WHERE s.is_final AND t.session_id::text = ANY(%s) GROUP BY 1",
                (session_ids,),
            )
            return {session: set(sequences) for session, sequences in cursor.fetchall()}
    finally:
        connection.close()


async def loop_lag(stop: asyncio.Event) -> tuple[float, float]:
    """How late this process's event loop wakes up (p50, p99 in seconds): a busy load generator adds that much
    to every latency it measures."""
    lags = []
    while not stop.is_set():
        began = time.monotonic()
        await asyncio.sleep(0.1)
        lags.append(time.monotonic() - began - 0.1)
    return percentile(lags, 50), percentile(lags, 99)


INSERT = (
    "INSERT INTO transcript_segments (id, transcript_id, sequence, speaker, text, start_ms, end_ms, is_final, "
    "created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now(), now())"
)


def run_baseline(cluster: PrivatePostgres, args, *, paced: bool, batch_size: float) -> dict:
    """N threads, one connection each, executemany of the same rows, one commit per batch."""
    database = create_database(cluster.server_url, prefix="speakpro_bench_raw")
    try:
        learners = create_learners(database, args.learners)
        connection = psycopg2.connect(plain_url(database))
        with connection.cursor() as cursor:
            cursor.execute("SELECT session_id::text, id::text FROM transcripts")
            transcripts = dict(cursor.fetchall())
        connection.close()
        results: list[tuple[int, list[float]]] = []
        lock = threading.Lock()
        start_gate = threading.Barrier(args.learners + 1)
        stop_at = [0.0]

        def worker(transcript_id: str) -> None:
            conn = psycopg2.connect(plain_url(database))
            rows, latencies, sequence, carry = 0, [], 0, 0.0
            interval = args.batch_ms / 1000
            try:
                start_gate.wait()
                next_at = time.monotonic() + random.random() * interval
                while time.monotonic() < stop_at[0]:
                    if paced:
                        delay = next_at - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                        next_at += interval
                    carry += batch_size
                    size = int(carry)
                    carry -= size
                    if size == 0:
                        continue
                    batch = []
                    for _ in range(size):
                        s = segment(sequence)
                        batch.append(
                            (
                                str(uuid.uuid4()),
                                transcript_id,
                                sequence,
                                s["speaker"],
                                s["text"],
                                s["start_ms"],
                                s["end_ms"],
                                True,
                            )
                        )
                        sequence += 1
                    began = time.monotonic()
                    with conn.cursor() as cursor:
                        cursor.executemany(INSERT, batch)
                    conn.commit()
                    latencies.append(time.monotonic() - began)
                    rows += size
            finally:
                conn.close()
                with lock:
                    results.append((rows, latencies))

        threads = [
            threading.Thread(target=worker, args=(transcripts[learner.session_id],), daemon=True)
            for learner in learners
        ]
        for thread in threads:
            thread.start()
        pg_cpu, own_cpu = CpuMeter([postmaster_pid(cluster)]), CpuMeter([os.getpid()])
        stop_at[0] = time.monotonic() + 3600
        start_gate.wait()
        began = time.monotonic()
        stop_at[0] = began + args.seconds
        pg_cpu.start()
        own_cpu.start()
        # Measured before the threads close their connections (an exited process's CPU is no longer seen).
        time.sleep(max(0.0, stop_at[0] - time.monotonic()))
        cpu = {"backend": float("nan"), "postgres": pg_cpu.stop(), "client": own_cpu.stop()}
        for thread in threads:
            thread.join(60)
        window = time.monotonic() - began
        rows = sum(r for r, _ in results)
        latencies = [x for _, lat in results for x in lat]
        return {
            "config": "raw executemany" + (" paced" if paced else ""),
            "learners": args.learners,
            "window_s": window,
            "offered": args.learners * args.rate if paced else float("nan"),
            "acked_rate": rows / window,
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "max": max(latencies) if latencies else float("nan"),
            "lost": 0,
            "pending": 0,
            "produced": rows,
            "resends": 0,
            "reconnects": 0,
            "refusals": 0,
            "mean_batch": batch_size,
            "cpu": cpu,
            "load": (os.getloadavg()[0],) * 2,
            "ready_s": [],
            "lag": None,
        }
    finally:
        pg.drop_database(database)


def print_table(rows: list[dict], args, capacity: float | None) -> None:
    print()
    print(
        f"live practice bench: {args.learners} learners x {args.rate} segments/s in {args.batch_ms} ms batches, "
        f"{args.seconds} s each; {os.cpu_count()} cores (shared: figures are noisy)"
    )
    header = (
        f"{'configuration':<24} {'offered/s':>9} {'acked/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'lost':>5} {'backlog':>7} {'resent':>6} {'batch':>5} {'backend%':>8} {'pg%':>5} "
        f"{'client%':>7} {'load':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        cpu = row["cpu"]
        print(
            f"{row['config']:<24} {row['offered']:>9.0f} {row['acked_rate']:>8.0f} {row['p50'] * 1000:>7.1f} "
            f"{row['p95'] * 1000:>7.1f} {row['p99'] * 1000:>7.1f} {row['max'] * 1000:>7.0f} {row['lost']:>5} "
            f"{row['pending']:>7} {row['resends']:>6} {row['mean_batch']:>5.1f} {cpu['backend']:>8.0f} "
            f"{cpu['postgres']:>5.0f} {cpu['client']:>7.0f} {row['load'][0]:>4.1f}/{row['load'][1]:<4.1f}"
        )
    print()
    for row in rows:
        if row.get("ready_s"):
            print(
                f"{row['config']}: backends ready after {row['ready_s']} s, pages loaded in {row['ramp_s']:.1f} s, "
                f"{row['produced']} finals produced, {row['reconnects']} reconnects, {row['refusals']} refusals, "
                f"load generator's loop lag p50 {row['lag'][0] * 1000:.1f} ms / p99 {row['lag'][1] * 1000:.1f} ms"
            )
    paced = next((row for row in rows if row["config"] == "raw executemany paced"), None)
    if capacity:
        for row in rows:
            if row["config"].startswith("raw"):
                continue
            ratio = row["acked_rate"] / capacity
            line = (
                f"{row['config']}: acknowledged rate {row['acked_rate']:.0f}/s = {ratio:.2f} x "
                f"raw executemany capacity ({capacity:.0f} rows/s, unpaced)"
            )
            if paced:
                line += (
                    f"; {row['acked_rate'] / paced['acked_rate']:.2f} x raw at the same offered load; p50 "
                    f"{row['p50'] / paced['p50']:.1f} x, p99 {row['p99'] / paced['p99']:.1f} x the raw commit's"
                )
            print(line)


async def main_async(args) -> None:
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    if any("redis" in c for c in configs) and not redis_reachable():
        print("Redis is not reachable on 127.0.0.1:6379: the redis configurations are skipped")
        configs = [c for c in configs if "redis" not in c]
    rows: list[dict] = []
    with PrivatePostgres(durable=True, max_connections=max(400, args.learners * 2)) as cluster:
        print(f"private PostgreSQL on port {cluster.port}")
        for config in configs:
            print(f"running {config} ...", flush=True)
            rows.append(await run_service(config, cluster, args))
        batch = args.rate * args.batch_ms / 1000  # the learners' batch size (resends aside)
        print("running raw executemany baselines ...", flush=True)
        unpaced = await asyncio.to_thread(run_baseline, cluster, args, paced=False, batch_size=batch)
        paced = await asyncio.to_thread(run_baseline, cluster, args, paced=True, batch_size=batch)
        rows.extend([unpaced, paced])
    print_table(rows, args, unpaced["acked_rate"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=5, help="segments per second per learner")
    parser.add_argument("--batch-ms", type=int, default=500)
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which the learners connect")
    parser.add_argument("--drain", type=float, default=30, help="seconds allowed for the last acknowledgements")
    parser.add_argument("--configs", default="one,two-redis", help="one, two-redis, one-redis (comma-separated)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
