"""Processes for the live durability tests and the live bench: SpeakPro backends, a private PostgreSQL
cluster, a TCP relay in front of backends, a dedicated Redis database, and signed-in learners.

Everything here is started by the caller and stopped by it (context managers), killed by process group id
(never by name), and leaves no files behind. Nothing reads SpeakPro's settings at import, so the bench can
set its environment first.

- `Backend`: `reflex run --backend-only --env prod` on a free port, in its own process group, with its own
  `.web` and `.states` work folders (so it shares nothing on disk with other runs in the checkout), logging
  to a file. `kill()` is SIGKILL to the whole group (the granian supervisor and its worker): a crash.
- `PrivatePostgres`: `initdb` into a temporary folder and `pg_ctl` on a free port; as root the binaries run
  as the unprivileged `pgserver` user (as `speakpro/pgembed.py`'s pgserver does), through subprocess's
  `user=`, so no sudo is needed.
- `TcpRelay`: an asyncio TCP relay; the client always dials the relay's port, the test decides which backend
  (if any) is behind it. While no backend is behind it, a connection is closed at once (connection refused,
  as a browser sees it while a backend restarts).
- `redis_database()`: claims an empty Redis database number and flushes only that one afterwards.
- `create_learners()`: onboarded learners with a session token each and an active solo practice session.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEBIAN_PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_SYSTEM_USER = "pgserver"
# Variables of the pytest process that must not reach a backend (a fake OpenAI key points at a fake peer
# that is not running here; OIDC settings point at a provider that is not either).
_DROPPED_PREFIXES = (
    "OPENAI_",
    "OIDC_",
    "GITHUB_",
    "GOOGLE_",
    "S3_",
    "REDIS_URL",
    "REFLEX_REDIS_URL",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "PYTEST_",
    "APP_URL",
    "API_URL",
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def plain_url(url: str) -> str:
    """`postgresql://...` for a SQLAlchemy `postgresql+psycopg2://...` URL (what a user puts in DATABASE_URL)."""
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    import psycopg2

    try:
        psycopg2.connect(host=host, port=port, user="postgres", dbname="postgres", connect_timeout=2).close()
        return True
    except psycopg2.OperationalError:
        return False


def redis_reachable(url: str = "redis://127.0.0.1:6379/0") -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping())
    except redis.RedisError:
        return False


# --- SpeakPro backends ----------------------------------------------------------------------------------


class BackendFailed(RuntimeError):
    """A backend exited or did not answer in time; the message ends with the tail of its log."""


class Backend:
    """One SpeakPro backend process (`reflex run --backend-only --env prod`), in its own process group."""

    def __init__(
        self,
        *,
        database_url: str,
        secret_key: str,
        data_dir: Path,
        redis_url: str | None = None,
        port: int | None = None,
        workers: int = 1,
        name: str = "backend",
        extra_env: dict | None = None,
    ):
        self.port = port or free_port()
        self.name = name
        self.workdir = Path(tempfile.mkdtemp(prefix=f"speakpro-{name}-"))
        self.log_path = self.workdir / "backend.log"
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.ready_after: float | None = None
        env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
        env.update(
            {
                "PATH": f"{VENV_BIN}{os.pathsep}{PROJECT_ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}"
                f"{env.get('PATH', '')}",
                "SPEAKPRO_ENV": "test",
                "SPEAKPRO_DATA_DIR": str(data_dir),
                "SECRET_KEY": secret_key,
                "DATABASE_URL": plain_url(database_url),
                "WORKER_IN_PROCESS": "false",
                "BACKEND_PORT": str(self.port),
                "API_URL": f"http://127.0.0.1:{self.port}",
                "REFLEX_WEB_WORKDIR": str(self.workdir / "web"),
                "REFLEX_STATES_WORKDIR": str(self.workdir / "states"),
                "REFLEX_USE_GRANIAN": "true",
                "GRANIAN_WORKERS": str(workers),
                "REFLEX_USE_SYSTEM_BUN": "1",
                "REFLEX_TELEMETRY_ENABLED": "false",
                "REFLEX_CHECK_LATEST_VERSION": "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if redis_url:
            env["REDIS_URL"] = redis_url
        env.update(extra_env or {})
        self.env = env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Backend:
        (self.workdir / "web").mkdir(exist_ok=True)
        (self.workdir / "states").mkdir(exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        command = [str(VENV_BIN / "reflex"), "run", "--backend-only", "--env", "prod", "--backend-port", str(self.port)]
        self.started_at = time.monotonic()
        self.ready_after = None
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/health", timeout=2) as answer:  # noqa: S310 - local
                return answer.status == 200
        except OSError:
            return False

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Wait until `/api/health` answers 200; returns the seconds since start."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise BackendFailed(
                    f"{self.name} exited with {self.process.returncode if self.process else None}\n{self.log_tail()}"
                )
            if self.healthy():
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            time.sleep(0.25)
        raise BackendFailed(f"{self.name} did not answer /api/health within {timeout:.0f} s\n{self.log_tail()}")

    async def wait_ready_async(self, timeout: float = 120.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise BackendFailed(f"{self.name} exited\n{self.log_tail()}")
            if await asyncio.to_thread(self.healthy):
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            await asyncio.sleep(0.25)
        raise BackendFailed(f"{self.name} did not answer /api/health within {timeout:.0f} s\n{self.log_tail()}")

    def pids(self) -> list[int]:
        """The process ids of this backend's group (supervisor and workers)."""
        import psutil

        if not self.alive():
            return []
        try:
            root = psutil.Process(self.process.pid)
            return [root.pid, *(child.pid for child in root.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL to the whole process group: the backend crashes, nothing shuts down cleanly."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after 10 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        # Workers outlive a supervisor that exited on its own: the group goes whatever happened.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Backend:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# --- a private PostgreSQL cluster -----------------------------------------------------------------------


class PostgresUnavailable(RuntimeError):
    """No way to run a private PostgreSQL here (no binaries, or no unprivileged user as root)."""


def postgres_bin() -> Path:
    """Debian's PostgreSQL 15 binaries, else pgserver's."""
    if (DEBIAN_PG_BIN / "initdb").exists():
        return DEBIAN_PG_BIN
    try:
        from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError as error:
        raise PostgresUnavailable("no PostgreSQL binaries: neither Debian's nor pgserver's") from error
    return Path(POSTGRES_BIN_PATH)


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb + pg_ctl on a free port), which the test may stop and start."""

    def __init__(self, port: int | None = None, *, durable: bool = False, max_connections: int = 200):
        self.port = port or free_port()
        self.durable = durable
        self.max_connections = max_connections
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="speakpro-pg-"))
        self.pgdata = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log_path = self.root / "postgres.log"
        self.user: str | None = None
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            try:
                # The user the embedded PostgreSQL runs as (pgserver creates it the same way on first use).
                from pgserver.utils import ensure_user_exists

                entry = ensure_user_exists(PG_SYSTEM_USER)
            except (ImportError, OSError, subprocess.CalledProcessError, KeyError) as error:
                shutil.rmtree(self.root, ignore_errors=True)
                raise PostgresUnavailable(
                    f"running as root and no '{PG_SYSTEM_USER}' user to run PostgreSQL as: {error}"
                ) from error
            self.user = PG_SYSTEM_USER
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o755)
        self.socket_dir.mkdir()
        if self.user:
            import pwd

            entry = pwd.getpwnam(self.user)
            os.chown(self.socket_dir, entry.pw_uid, entry.pw_gid)

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        kwargs = {"user": self.user} if self.user else {}
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
            **kwargs,
        )

    def init(self) -> PrivatePostgres:
        self._run(
            "initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"
        )
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={self.max_connections}"
        )
        if not self.durable:  # tests: what is committed is all that matters, not surviving a power cut
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            timeout=90,
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "-t", "60", "stop", timeout=90)

    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def close(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        try:
            self.init()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- a TCP relay in front of the backends ---------------------------------------------------------------


class TcpRelay:
    """Relays TCP connections from a fixed port to whichever backend port is set (none: refuse at once)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.target: int | None = None
        self._server: asyncio.AbstractServer | None = None
        self._pipes: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> TcpRelay:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    def point_at(self, port: int | None) -> None:
        """Send new connections to `port` (None: refuse them). Open connections are not touched."""
        self.target = port

    def drop_all(self) -> None:
        """Close every relayed connection (as a crashed backend's sockets close)."""
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        target = self.target
        if target is None:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", target), 5)
        except (TimeoutError, OSError):
            writer.transport.abort()
            return
        self.connections += 1
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.transport.abort()

        tasks = [asyncio.create_task(pipe(reader, up_writer)), asyncio.create_task(pipe(up_reader, writer))]
        self._pipes.update(tasks)
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._pipes.difference_update(tasks)
            self._writers.difference_update((writer, up_writer))

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop_all()
        for task in list(self._pipes):
            task.cancel()
        if self._pipes:
            await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)


# --- a dedicated Redis database --------------------------------------------------------------------------


CLAIM_KEY = "speakpro:live-test-claim"


@contextlib.contextmanager
def redis_database(base: str = "redis://127.0.0.1:6379", first: int = 15, last: int = 1) -> Iterator[str]:
    """Claim an empty Redis database number (highest first), yield its URL, FLUSHDB it afterwards (only it)."""
    import redis

    for number in range(first, last - 1, -1):
        client = redis.Redis.from_url(f"{base}/{number}", socket_connect_timeout=2, socket_timeout=5)
        try:
            if client.dbsize() == 0 and client.set(CLAIM_KEY, secrets.token_hex(8), nx=True, ex=3600):
                break
        finally:
            client.close()
    else:
        raise RuntimeError("no empty Redis database to use")
    url = f"{base}/{number}"
    try:
        yield url
    finally:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        with contextlib.suppress(redis.RedisError):
            client.flushdb()
        client.close()


def flush_redis_database(url: str) -> int:
    """FLUSHDB on exactly the database of `url`; returns how many keys it held."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        keys = client.dbsize()
        client.flushdb()
        return keys
    finally:
        client.close()


# --- learners ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Learner:
    user_id: str
    token: str
    session_id: str


def create_learners(database_url: str, count: int) -> list[Learner]:
    """`count` onboarded learners, each with a session token (hashed with this process's SECRET_KEY) and an
    active solo practice session on one shared topic. Uses its own engine: the app's global one is untouched."""
    from sqlalchemy import create_engine
    from sqlmodel import Session

    from speakpro.services.accounts.sessions import create_session
    from speakpro.services.practice import practice
    from tests.factories import make_topic, make_user

    engine = create_engine(database_url)
    learners: list[Learner] = []
    try:
        with Session(engine, expire_on_commit=False) as session:
            topic = make_topic(session)
            for _ in range(count):
                user = make_user(session, onboarding_completed=True)
                token = create_session(session=session, user_id=user.id, user_agent="live-client")
                view = practice.start_practice(session=session, user_id=user.id, topic_id=topic.id, mode="solo")
                learners.append(Learner(str(user.id), token, str(view.id)))
            session.commit()
    finally:
        engine.dispose()
    return learners


def create_database(server_url: str, prefix: str) -> str:
    """A new database on `server_url`, migrated to head; returns its URL."""
    from tests import pg

    url = pg.create_database(server_url, prefix=prefix)
    try:
        pg.migrate(url)
    except BaseException:
        pg.drop_database(url)
        raise
    return url
