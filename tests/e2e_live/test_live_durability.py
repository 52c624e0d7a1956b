"""Live practice never loses a word: real backends, a real websocket client, crashes and outages.

Each test starts its own SpeakPro backend processes (`reflex run --backend-only --env prod`), its own
database (dropped after), and drives the live page with `tests/live_client.LiveClient`, which behaves like
the browser's live page (cookie on the websocket handshake, hydrate on the live route, batch ids, an outbox
with revisions, resends after 2 s and after every reconnect, reconnect with backoff, End). Afterwards the
database is compared with the script: every final stored exactly once with its speaker and text (the clamp
may move times, never text), finals of one speaker never overlap, no partial left, the session ended.

- `test_backend_killed_mid_session`: the backend is killed with SIGKILL 3 times during a scripted session
  (partials, finals, duplicate deliveries, late finals, stale partials, both speakers). A cold start takes
  20-50 s on this machine, so the replacements are started beforehand: each kill hands the public address
  (a TCP relay the client dials) to a fresh process with empty memory, after ~1.5 s of refused connections.
- `test_postgres_outage`: a PostgreSQL cluster of the test's own (initdb + pg_ctl) is stopped for ~10 s
  mid-session while the learner keeps talking: every batch of the outage is answered with a refusal that
  says retry, none is dropped, and everything lands once the database is back.
- `test_redis_state_flushed`: a backend with its state in a dedicated Redis database, flushed mid-session:
  the handlers find the session again from the route and the cookie, later batches are stored, End ends
  the session in the database.

Needs PostgreSQL and Redis on 127.0.0.1 (skipped with the reason when missing; a failure under CI=true).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass

import pytest

from tests import pg
from tests.live_client import LIVE_STATE, LiveClient, check_state_name
from tests.processes import (
    Backend,
    PostgresUnavailable,
    PrivatePostgres,
    TcpRelay,
    create_database,
    create_learners,
    flush_redis_database,
    postgres_bin,
    redis_database,
    redis_reachable,
)

IN_CI = os.environ.get("CI") == "true"
REDIS = "redis://127.0.0.1:6379/0"
PAUSED_PREFIX = "Saving paused"


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server_url():
    try:
        url, _origin = pg.server_url()
    except Exception as error:  # noqa: BLE001
        _unavailable(f"no PostgreSQL for the live durability tests: {error}")
    return url


@pytest.fixture(scope="module")
def app_settings():
    """The test process's settings: backends get the same SECRET_KEY and data folder, so tokens match."""
    from speakpro.settings import settings

    assert check_state_name() == LIVE_STATE, "the live state's full name changed: update tests/live_client.py"
    return settings


@pytest.fixture
def database(server_url):
    url = create_database(server_url, prefix="speakpro_live")
    try:
        yield url
    finally:
        pg.drop_database(url)


# --- the scripted session ----------------------------------------------------------------------------


@dataclass
class Script:
    """What the learner and the partner say: the operations in order, and the finals they must leave."""

    operations: list[tuple[str, object]]  # ("put", segment) | ("raw", [segments])
    finals: dict[int, dict]


def scripted_session(first: int = 0, count: int = 60, seed: int = 7) -> Script:
    """Partials growing into finals, both speakers, some finals late (after their successors), duplicate
    deliveries of finals already sent, stale partials re-delivered after their final, and same-speaker
    finals that overlap in time (the server clamps those: times move, text stays)."""
    rng = random.Random(seed)
    words = (
        "so",
        "our",
        "routes",
        "next",
        "quarter",
        "um",
        "delivery",
        "costs",
        "could",
        "drop",
        "if",
        "we",
        "plan",
        "ahead",
        "what",
        "matters",
        "most",
        "to",
        "you",
        "right",
        "now",
        "okay",
        "I",
        "see",
    )
    operations: list[tuple[str, object]] = []
    finals: dict[int, dict] = {}
    late: list[dict] = []
    clock = 0
    for sequence in range(first, first + count):
        speaker = "user" if rng.random() < 0.55 else "ai"
        text = f"[{sequence}] " + " ".join(rng.choice(words) for _ in range(rng.randint(3, 9)))
        start = clock - (rng.randint(200, 900) if rng.random() < 0.2 else 0)  # some overlap their neighbour
        end = start + rng.randint(600, 2500)
        clock = end + rng.randint(0, 400)
        pieces = text.split(" ")
        partials = rng.randint(1, 3)
        for i in range(1, partials + 1):
            cut = max(1, len(pieces) * i // (partials + 1))
            operations.append(
                (
                    "put",
                    {
                        "sequence": sequence,
                        "speaker": speaker,
                        "text": " ".join(pieces[:cut]),
                        "start_ms": max(0, start),
                        "end_ms": max(0, start) + 300 * i,
                        "is_final": False,
                    },
                )
            )
        final = {
            "sequence": sequence,
            "speaker": speaker,
            "text": text,
            "start_ms": max(0, start),
            "end_ms": max(0, end),
            "is_final": True,
        }
        finals[sequence] = final
        if sequence % 7 == 3:
            late.append(final)  # delivered after the next few finals
        else:
            operations.append(("put", final))
        if late and (sequence % 7 == 6 or sequence == first + count - 1):
            operations.extend(("put", f) for f in late)
            late = []
        if sequence % 5 == 4 and sequence - 2 in finals:
            # A duplicate delivery of an earlier final, and that sequence's stale partial after it.
            earlier = finals[sequence - 2]
            operations.append(
                ("raw", [dict(earlier), {**earlier, "text": earlier["text"].split(" ")[0], "is_final": False}])
            )
    return Script(operations, finals)


async def play(client: LiveClient, script: Script, *, pace: float, stop: asyncio.Event | None = None) -> None:
    """Play the script at a steady pace, as the browser's transcript produces segments."""
    for kind, item in script.operations:
        if stop is not None and stop.is_set():
            return
        if kind == "put":
            client.put(item)
            if item["is_final"]:
                await client.flush()  # the browser sends at once on every final
        else:
            await client.send_raw_batch(item)  # dropped when the socket is down, like a lost packet
        await asyncio.sleep(pace)


def stored_session(database_url: str, session_id: str):
    """(status, transcript finalized, transcript content, segment rows) of a practice session."""
    import psycopg2

    from tests.processes import plain_url

    connection = psycopg2.connect(plain_url(database_url))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM practice_sessions WHERE id = %s", (session_id,))
            (status,) = cursor.fetchone()
            cursor.execute(
                "SELECT id, finalized, coalesce(content, '') FROM transcripts WHERE session_id = %s", (session_id,)
            )
            transcript_id, finalized, content = cursor.fetchone()
            cursor.execute(
                "SELECT sequence, speaker, text, start_ms, end_ms, is_final FROM transcript_segments "
                "WHERE transcript_id = %s ORDER BY sequence",
                (transcript_id,),
            )
            rows = cursor.fetchall()
    finally:
        connection.close()
    return status, finalized, content, rows


def assert_every_final_stored_once(database_url: str, session_id: str, finals: dict[int, dict]) -> None:
    status, finalized, content, rows = stored_session(database_url, session_id)
    sequences = [row[0] for row in rows]
    assert len(sequences) == len(set(sequences)), "a sequence is stored twice"
    missing = sorted(set(finals) - set(sequences))
    extra = sorted(set(sequences) - set(finals))
    assert not missing, f"finals lost: {missing}"
    assert not extra, f"segments nobody said: {extra}"
    for sequence, speaker, text, start, end, is_final in rows:
        expected = finals[sequence]
        assert is_final, f"sequence {sequence} is still a partial"
        assert (speaker, text) == (expected["speaker"], expected["text"]), f"sequence {sequence} garbled"
        assert 0 <= start <= end
    for speaker in ("user", "ai"):
        mine = [(start, end) for _, who, _, start, end, _ in rows if who == speaker]
        for (_, previous_end), (start, _) in zip(mine, mine[1:], strict=False):
            assert start >= previous_end, f"{speaker}'s finals overlap"
    assert status == "ended", f"session status is {status}"
    assert finalized
    for final in finals.values():
        assert final["text"] in content


# --- a: the backend crashes ------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_backend_killed_mid_session(database, app_settings):
    script = scripted_session(count=90)
    (learner,) = create_learners(database, 1)
    kills = 3
    backends = [
        Backend(
            database_url=database, secret_key=app_settings.secret_key, data_dir=app_settings.data_dir, name=f"chaos{i}"
        )
        for i in range(kills + 1)
    ]
    report: dict = {}

    async def scenario():
        relay = await TcpRelay().start()
        client = LiveClient(relay.url, session_id=learner.session_id, session_token=learner.token, name="chaos")
        try:
            for backend in backends:
                backend.start()
            started = time.monotonic()
            await backends[0].wait_ready_async(150)
            relay.point_at(backends[0].port)
            await client.start()
            await client.wait_loaded(30)
            await client.report_status("live")
            report["first_ready_s"] = time.monotonic() - started

            async def chaos():
                downtimes, in_flight, said_while_down = [], [], []
                for i in range(kills):
                    await asyncio.sleep(3.0)
                    # Crash mid-request: right after a batch with a final went out, before its answer came
                    # back (only a resend brings that final's acknowledgement now).
                    deadline = time.monotonic() + 3.0
                    while not client.in_flight(0.3, finals=True) and time.monotonic() < deadline:
                        await asyncio.sleep(0.001)
                    in_flight.append(client.in_flight(0.3, finals=True))
                    backends[i].kill()  # SIGKILL to its group: its sockets die with it
                    relay.point_at(None)
                    down = time.monotonic()
                    await asyncio.sleep(1.5)  # connections refused meanwhile
                    await backends[i + 1].wait_ready_async(120)
                    said_while_down.append(client.pending())
                    relay.point_at(backends[i + 1].port)
                    downtimes.append(round(time.monotonic() - down, 2))
                report.update(
                    downtimes_s=downtimes,
                    batches_in_flight_at_kills=in_flight,
                    unacknowledged_at_restarts=said_while_down,
                )

            session_started = time.monotonic()
            chaos_task = asyncio.create_task(chaos())
            await play(client, script, pace=0.06)
            await asyncio.wait_for(chaos_task, 200)
            report["script_s"] = time.monotonic() - session_started
            emptied = await client.wait_empty(30)
            assert emptied, f"still unacknowledged after the last restart: {client.pending()}"
            outcome = await client.end(30)
            report["session_s"] = time.monotonic() - session_started
            assert outcome["ended"], outcome
        finally:
            await client.close()
            await relay.close()
        return client

    try:
        client = asyncio.run(asyncio.wait_for(scenario(), 280))
    finally:
        logs = [b.log_text() for b in backends]
        for backend in backends:
            backend.close()
    print(f"\n[chaos] {report} stats={client.stats}")
    assert client.stats.reconnects >= kills and client.stats.transcript_reconnects >= kills, client.stats
    assert sum(report["batches_in_flight_at_kills"]) > 0, "no kill hit a final in flight"
    assert all(report["unacknowledged_at_restarts"]), "no words were waiting when a backend came back"
    assert not client.stats.refusals, client.stats.refusals
    assert_every_final_stored_once(database, learner.session_id, script.finals)
    tracebacks = sum(text.count("Traceback") for text in logs)
    assert tracebacks == 0, f"{tracebacks} tracebacks in the backend logs"


# --- b: PostgreSQL goes away for ten seconds ----------------------------------------------------------------


@pytest.mark.timeout(300)
def test_postgres_outage(app_settings):
    try:
        postgres_bin()
        cluster = PrivatePostgres()
    except PostgresUnavailable as error:
        _unavailable(str(error))
    with cluster:
        database = create_database(cluster.server_url, prefix="speakpro_outage")
        script = scripted_session(count=60, seed=11)
        (learner,) = create_learners(database, 1)
        backend = Backend(
            database_url=database, secret_key=app_settings.secret_key, data_dir=app_settings.data_dir, name="outage"
        )
        report: dict = {}

        async def scenario():
            client = LiveClient(backend.url, session_id=learner.session_id, session_token=learner.token, name="outage")
            try:
                backend.start()
                await backend.wait_ready_async(150)
                await client.start()
                await client.wait_loaded(30)
                await client.report_status("live")
                answered_before = client.stats.answers

                async def outage():
                    await asyncio.sleep(3.0)
                    await asyncio.to_thread(cluster.stop, "fast")
                    report["stopped_at"] = time.monotonic()
                    report["answers_before_outage"] = client.stats.answers - answered_before
                    sent_before = client.stats.batches_sent
                    retries_before = client.stats.retry_answers
                    await asyncio.sleep(10.0)
                    report["batches_sent_during_outage"] = client.stats.batches_sent - sent_before
                    report["retry_answers_during_outage"] = client.stats.retry_answers - retries_before
                    report["pending_at_restart"] = client.pending()
                    await asyncio.to_thread(cluster.start)
                    report["outage_s"] = round(time.monotonic() - report.pop("stopped_at"), 1)

                outage_task = asyncio.create_task(outage())
                await play(client, script, pace=0.08)
                await asyncio.wait_for(outage_task, 120)
                assert await client.wait_empty(30), f"still unacknowledged after the outage: {client.pending()}"
                outcome = await client.end(30)
                assert outcome["ended"], outcome
            finally:
                await client.close()
            return client

        try:
            client = asyncio.run(asyncio.wait_for(scenario(), 280))
            print(f"\n[outage] {report} stats={client.stats}")
            assert report["batches_sent_during_outage"] > 0
            assert report["retry_answers_during_outage"] > 0, "no retry answer while the database was down"
            assert report["pending_at_restart"] > 0, "nothing was waiting: the outage did not bite"
            assert all(text.startswith(PAUSED_PREFIX) for text in client.stats.retry_texts), client.stats.retry_texts
            assert not client.stats.refusals, client.stats.refusals
            assert client.stats.reconnects == client.stats.transcript_reconnects == 0, "a socket dropped"
            assert client.stats.answers == client.stats.batches_sent, "a batch went unanswered"
            assert_every_final_stored_once(database, learner.session_id, script.finals)
        finally:
            backend.close()
            pg.drop_database(database)


# --- c: the state store is flushed -------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_redis_state_flushed(database, app_settings):
    if not redis_reachable(REDIS):
        _unavailable("no Redis on 127.0.0.1:6379 for the state-flush test")
    before = scripted_session(first=0, count=25, seed=3)
    after = scripted_session(first=25, count=25, seed=4)
    (learner,) = create_learners(database, 1)
    report: dict = {}
    with redis_database() as redis_url:
        backend = Backend(
            database_url=database,
            secret_key=app_settings.secret_key,
            data_dir=app_settings.data_dir,
            redis_url=redis_url,
            name="redis",
        )

        async def scenario():
            client = LiveClient(backend.url, session_id=learner.session_id, session_token=learner.token, name="redis")
            try:
                backend.start()
                await backend.wait_ready_async(150)
                await client.start()
                await client.wait_loaded(30)
                await client.report_status("live")
                await play(client, before, pace=0.05)
                assert await client.wait_empty(20), "the first half was not acknowledged"
                report["keys_flushed"] = flush_redis_database(redis_url)
                stored_before = client.stats.stored_answers
                await play(client, after, pace=0.05)
                assert await client.wait_empty(30), f"unacknowledged after the flush: {client.pending()}"
                report["stored_answers_after_flush"] = client.stats.stored_answers - stored_before
                outcome = await client.end(30)
                assert outcome["ended"], outcome
            finally:
                await client.close()
            return client

        try:
            client = asyncio.run(asyncio.wait_for(scenario(), 280))
            log_text = backend.log_text()
        finally:
            backend.close()
    print(f"\n[redis] {report} stats={client.stats}")
    assert report["keys_flushed"] > 0, "the state was not in Redis"
    assert report["stored_answers_after_flush"] > 0
    assert client.stats.reconnects == client.stats.transcript_reconnects == 0
    assert client.stats.answers == client.stats.batches_sent, "a batch went unanswered"
    assert not client.stats.refusals, client.stats.refusals
    assert_every_final_stored_once(database, learner.session_id, {**before.finals, **after.finals})
    assert "taken from the route" in log_text, "the handlers never ran on an empty state: was it flushed?"
