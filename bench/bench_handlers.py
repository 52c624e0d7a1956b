"""SpeakPro's event handlers over the real websocket, as multiples of the framework's floor, in one run.

Two backends run side by side in production mode (`reflex run --backend-only --env prod`, in-memory state
manager): SpeakPro on a fresh database with the demo seed, and `bench/minimal_app` (one state, one trivial
handler). One client per app (`tests/live_client.EngineSocket`, the browser's Socket.IO protocol) sends each
event, waits for its final update, and sends the next. For every SpeakPro event the same database work is
also run in this process with its statements recorded, and those statements are replayed raw (psycopg2, one
transaction, no ORM) as the event's own SQL. Printed per event: p50 / p95 round trip, its SQL run raw, and

    ratio = SpeakPro event p50 / (trivial handler p50 + its SQL raw p50)

which is what the event costs beyond the framework's floor and the database's own work (1.0 = nothing).

Usage: .venv/bin/python bench/bench_handlers.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SPEAKPRO_DATA_DIR", tempfile.mkdtemp(prefix="speakpro-bench-"))
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))

import psycopg2  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from tests import pg  # noqa: E402
from tests.live_client import NAMESPACE, ROOT_STATE, EngineSocket  # noqa: E402
from tests.processes import VENV_BIN, Backend, free_port, plain_url  # noqa: E402

MINIMAL = Path(__file__).resolve().parent / "minimal_app"
AUTH = "reflex___state____state.speakpro___state___auth____auth_state"
HOME = f"{AUTH}.speakpro___state___home____home_state"
DASHBOARD = f"{AUTH}.speakpro___state___dashboard____dashboard_state"
MINIMAL_STATE = "reflex___state____state.minimal_app___minimal_app____state"


class MinimalBackend:
    """The baseline app's backend, in its own process group."""

    def __init__(self) -> None:
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="speakpro-bench-minimal-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "SPEAKPRO_"))}
        env.update(
            {
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "REFLEX_WEB_WORKDIR": str(self.workdir / "web"),
                "REFLEX_STATES_WORKDIR": str(self.workdir / "states"),
                "REFLEX_USE_GRANIAN": "true",
                "GRANIAN_WORKERS": "1",
                "REFLEX_TELEMETRY_ENABLED": "false",
                "REFLEX_CHECK_LATEST_VERSION": "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        (self.workdir / "web").mkdir()
        (self.workdir / "states").mkdir()
        self.log = self.workdir / "backend.log"
        command = [str(VENV_BIN / "reflex"), "run", "--backend-only", "--env", "prod", "--backend-port", str(self.port)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=MINIMAL, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the minimal app exited:\n{self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as answer:  # noqa: S310, ASYNC210
                    if answer.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.5)
        raise RuntimeError("the minimal app did not start")

    def pids(self) -> list[int]:
        """The process ids of the app's group (supervisor and workers)."""
        import psutil

        root = psutil.Process(self.process.pid)
        return [root.pid, *(child.pid for child in root.children(recursive=True))]

    def stop(self) -> None:
        import signal

        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


class Page:
    """One browser tab's socket: sends an event, waits for the update that closes it."""

    def __init__(self, sock: EngineSocket, path: str, query: dict):
        self.sock, self.path, self.query = sock, path, query
        self.state: dict[str, dict] = {}

    @classmethod
    async def open(cls, base_url: str, *, path: str, query: dict | None = None, cookie: str = "") -> Page:
        router = {"pathname": path, "asPath": path, "query": query or {}}
        auth = {"event": {"name": f"{ROOT_STATE}.hydrate_and_load", "payload": {}, "router_data": router}}
        sock, _ = await EngineSocket.open(
            base_url, token=str(uuid.uuid4()), cookie=cookie, auth=auth, origin="http://localhost:3000"
        )
        page = cls(sock, path, query or {})
        await page._until(lambda update: update["delta"].get(ROOT_STATE, {}).get("is_hydrated_rx_state_") is True)
        return page

    async def _until(self, done, timeout: float = 60) -> None:
        """Read updates until `done(update)` holds for one of them (Reflex sends no end-of-event marker)."""
        deadline = time.monotonic() + timeout
        while True:
            packet = await self.sock.receive(max(0.1, deadline - time.monotonic()))
            if packet == "2":
                await self.sock.send_text("3")
                continue
            if not packet.startswith(f"42{NAMESPACE},"):
                continue
            name, *args = json.loads(packet[len(NAMESPACE) + 3 :])
            if name != "event" or not args:
                continue
            if done({"delta": args[0].get("delta") or {}, "events": args[0].get("events") or []}):
                return

    async def call(self, name: str, payload: dict, done) -> float:
        """Seconds from sending the event to the update that shows it done."""
        router = {"pathname": self.path, "asPath": self.path, "query": self.query}
        started = time.perf_counter()
        await self.sock.emit_event({"name": name, "payload": payload, "router_data": router})
        await self._until(done)
        return time.perf_counter() - started


def changed(state: str, var: str, value: object):
    """An update's test: `state`'s `var` is now `value`."""
    return lambda update: update["delta"].get(state, {}).get(f"{var}_rx_state_", object()) == value


def answered(update: dict) -> bool:
    """An update's test: it carries the handler's answer (a toast). Only changed vars are sent, so an event
    that changes nothing (a claim of a quest already claimed) is done when its answer arrives."""
    return bool(update["events"])


def recorded_statements(engine, work) -> list[tuple[str, object]]:
    """The statements `work(session)` sends, with their parameters (one transaction, rolled back)."""
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    # Listening on the engine after `db.create_app_engine` did: the statements as sent, the tenant context's
    # `set_config` prefix included.
    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            work(session)
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def service_times(engine, work, calls: int) -> list[float]:
    """The same work through SpeakPro's services (SQLAlchemy, the ORM), in this process, committed each time."""
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            work(session)
            session.commit()
        times.append(time.perf_counter() - started)
    return times


def raw_times(url: str, statements: list[tuple[str, object]], calls: int) -> list[float]:
    """Replay the statements with psycopg2 in one transaction each, committed; seconds per replay."""
    connection = psycopg2.connect(plain_url(url).replace("postgresql+psycopg2://", "postgresql://"))
    times = []
    try:
        for _ in range(calls):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
            connection.commit()
            times.append(time.perf_counter() - started)
    finally:
        connection.close()
    return times


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def prepare_database(url: str) -> dict:
    """Migrate, seed the demo data, sign the demo learner and manager in; a completed, claimed quest for the
    claim event (so every call runs the whole claim: the quest is read, found paid, the home page re-read)."""
    from speakpro.db import create_app_engine
    from speakpro.models import User
    from speakpro.seed import run_seed
    from speakpro.services.accounts.sessions import create_session
    from speakpro.services.accounts.time_zones import local_day
    from speakpro.services.learning.quests import ensure_daily_quests

    pg.migrate(url)
    engine = create_app_engine(url)
    with Session(engine) as session:
        run_seed(session)
        session.commit()
        ids = dict(session.execute(select(col(User.email), col(User.id))).tuples().all())
        learner, manager = ids["learner@example.com"], ids["manager@example.com"]
        quests = ensure_daily_quests(session=session, user_id=learner, day=local_day("UTC"))
        session.execute(
            text("UPDATE daily_quests SET progress = target, completed_at = now(), claimed_at = now() WHERE id = :id"),
            {"id": quests[0].id},
        )
        made = {
            "engine": engine,
            "learner": learner,
            "manager": manager,
            "quest_id": str(quests[0].id),
            "learner_token": create_session(session=session, user_id=learner),
            "manager_token": create_session(session=session, user_id=manager),
        }
        session.commit()
    return made


def work_of(made: dict) -> dict:
    """Each measured event's database work, as its handler runs it (`AuthState._signed_in` and the work)."""
    from speakpro.db import enter_context
    from speakpro.services.accounts import companies
    from speakpro.services.accounts.sessions import resolve_session, viewer_context
    from speakpro.services.dashboards import dashboards
    from speakpro.services.learning import quests
    from speakpro.state.home import _read

    def signed_in(token: str, work):
        def run(session):
            viewer = resolve_session(session=session, token=token)
            enter_context(session, viewer_context(viewer))
            return work(session, viewer)

        return run

    def home(session, viewer):
        return _read(session, viewer)

    def claim(session, viewer):
        quests.claim_quest(session=session, user_id=viewer.user_id, quest_id=made["quest_id"])
        return _read(session, viewer)

    def board(session, viewer):
        company = companies.get_company_by_slug(session=session, slug="northwind")
        start, end = dashboards.clamp_range(None, None)
        return dashboards.company_dashboard(session=session, company_id=company.id, date_from=start, date_to=end)

    return {
        "home on_load": signed_in(made["learner_token"], home),
        "quest claim": signed_in(made["learner_token"], claim),
        "dashboard on_load": signed_in(made["manager_token"], board),
    }


@contextlib.asynccontextmanager
async def side_by_side(name: str):
    """A fresh seeded database, SpeakPro's backend on it and the minimal app's, both ready; yields
    (what `prepare_database` made, SpeakPro's backend, the minimal app); stops both and drops the database."""
    server, _ = pg.server_url()
    url = pg.create_database(server, prefix=f"speakpro_bench_{name}")
    speakpro = minimal = None
    try:
        made = prepare_database(url)
        made["url"] = url
        speakpro = Backend(
            database_url=url,
            secret_key=os.environ["SECRET_KEY"],
            data_dir=Path(os.environ["SPEAKPRO_DATA_DIR"]),
            name=f"bench-{name}",
            extra_env={"APP_URL": "http://localhost:3000"},
        )
        speakpro.start()
        minimal = MinimalBackend()
        await asyncio.gather(speakpro.wait_ready_async(240), minimal.wait_ready())
        yield made, speakpro, minimal
    finally:
        if minimal is not None:
            minimal.stop()
        if speakpro is not None:
            speakpro.stop()
        pg.drop_database(url)


async def measure(args) -> None:
    async with side_by_side("handlers") as (made, speakpro, minimal):
        url = made["url"]
        trivial_page = await Page.open(minimal.url, path="/")
        learner = f"speakpro_session={made['learner_token']}"
        manager = f"speakpro_session={made['manager_token']}"
        home_page = await Page.open(speakpro.url, path="/home", cookie=learner)
        board_page = await Page.open(
            speakpro.url, path="/company/northwind/dashboard", query={"slug": "northwind"}, cookie=manager
        )
        events = {
            "trivial handler (minimal app)": (
                trivial_page,
                f"{MINIMAL_STATE}.ping",
                {},
                lambda u: MINIMAL_STATE in u["delta"],
            ),
            "home on_load": (home_page, f"{HOME}.load", {}, changed(HOME, "loaded", True)),
            "quest claim": (home_page, f"{HOME}.claim", {"quest_id": made["quest_id"]}, answered),
            "dashboard on_load": (board_page, f"{DASHBOARD}.load", {}, changed(DASHBOARD, "loading", False)),
        }
        times: dict[str, list[float]] = {name: [] for name in events}
        for _ in range(10):  # warm-up
            for page, name, payload, done in events.values():
                await page.call(name, payload, done)
        for _ in range(args.calls):  # interleaved, so a load spike from outside hits every event alike
            for label, (page, name, payload, done) in events.items():
                times[label].append(await page.call(name, payload, done))

        works = work_of(made)
        recorded = {label: recorded_statements(made["engine"], work) for label, work in works.items()}
        raw = {label: raw_times(url, statements, args.calls) for label, statements in recorded.items()}
        service = {label: service_times(made["engine"], work, args.calls) for label, work in works.items()}
        trivial = p(times["trivial handler (minimal app)"], 0.5)
        print(f"\n{args.calls} calls each, interleaved; load average {os.getloadavg()[0]:.1f}\n")
        print(f"{'event':32} {'p50 ms':>7} {'p95 ms':>7} {'SQL':>4} {'SQL raw':>8} {'services':>9} {'ratio':>6}")
        for label, values in times.items():
            if label not in raw:
                print(f"{label:32} {p(values, 0.5):7.2f} {p(values, 0.95):7.2f}")
                continue
            sql = p(raw[label], 0.5)
            print(
                f"{label:32} {p(values, 0.5):7.2f} {p(values, 0.95):7.2f} {len(recorded[label]):4d} {sql:8.2f} "
                f"{p(service[label], 0.5):9.2f} {p(values, 0.5) / (trivial + sql):6.2f}"
            )
        print(
            "\nSQL raw: the event's statements replayed with psycopg2; services: the same work through SpeakPro's "
            "services in this process;\nratio: event p50 / (trivial handler p50 + SQL raw p50). The dashboard's "
            "load answers twice (its skeleton, then the figures)."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
