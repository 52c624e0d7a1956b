"""Every SpeakPro setting, typed and validated in one place.

Settings come from the environment (and an optional `.env` file in the project root). A malformed
value stops start-up with one line that names the variable and what is wrong with it, never a
traceback. No default points at a real server: without `DATABASE_URL` SpeakPro runs an embedded
PostgreSQL under `.speakpro/`, and without `OPENAI_API_KEY` it runs in offline (solo) mode.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_ENVIRONMENTS = ("development", "test", "production")


class SettingsError(ValueError):
    """A setting is malformed; the message names the variable and the problem."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


def _is_local_host(host: str) -> bool:
    """Whether a libpq host is this machine: localhost, a loopback address or a Unix socket directory."""
    host = unquote(host).strip().strip("[]").lower()
    if not host or host.startswith(("/", "@")) or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _with_default_sslmode(value: str, parts, pgsslmode: str | None) -> str:
    """`value` with an sslmode added when its server is not local and the URL names none: `PGSSLMODE`'s when
    set (written into the URL, so it holds even when it only came from `.env`), else `require`."""
    query = parse_qs(parts.query, keep_blank_values=True)
    if "sslmode" in query:
        return value
    # A `host` parameter overrides the URL's host for libpq (a Unix socket is often given that way), and a
    # `hostaddr` is where libpq really connects.
    hosts = [*(query.get("host") or [parts.hostname or ""]), *query.get("hostaddr", [])]
    if all(_is_local_host(host) for listed in hosts for host in listed.split(",")):
        return value
    mode = (pgsslmode or "").strip() or "require"
    return value + ("&" if parts.query else "?") + urlencode({"sslmode": mode})


def normalize_database_url(name: str, raw: str, *, pgsslmode: str | None = None) -> str:
    """Validate a PostgreSQL URL, pin it to the psycopg2 driver and require TLS to servers elsewhere.

    SQLAlchemy 2.1 maps a bare `postgresql://` to psycopg 3, which SpeakPro does not ship. A server that is
    not on this machine (not localhost, a loopback address or a Unix socket) gets `sslmode=require`, so
    passwords and learners' data never cross a network in clear text, unless the URL names an `sslmode`
    (e.g. `verify-full`, or `disable` on purpose); a `PGSSLMODE` variable is used instead of `require`.

    Args:
        name: The variable the URL came from, for the error message.
        raw: The URL as written.
        pgsslmode: The `PGSSLMODE` variable: the sslmode to add instead of `require`.

    Returns:
        The URL with the `postgresql+psycopg2://` scheme (and `sslmode=require` where it applies).

    Raises:
        SettingsError: When the URL is not a PostgreSQL URL with a database name.
    """
    value = raw.strip()
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        value = "postgresql+psycopg2://" + value.split("://", 1)[1]
    elif not scheme:
        raise SettingsError(name, "is not a URL; expected postgresql://user:password@host:5432/dbname")
    else:
        raise SettingsError(
            name, f"scheme '{parts.scheme}' is not supported; expected postgresql://user:password@host:5432/dbname"
        )
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(name, "has a port that is not a number between 0 and 65535") from None
    if port == 0:
        raise SettingsError(name, "has port 0; expected a port between 1 and 65535")
    if not parts.path.strip("/"):
        raise SettingsError(name, "names no database; expected postgresql://user:password@host:5432/dbname")
    if not parts.hostname and "host=" not in parts.query:
        raise SettingsError(name, "names no host; expected postgresql://user:password@host:5432/dbname")
    return _with_default_sslmode(value, parts, pgsslmode)


def _url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise SettingsError(name, f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    try:
        _ = parts.port
    except ValueError:
        raise SettingsError(name, "has a port that is not a number between 0 and 65535") from None
    return value


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(name, f"must be true or false, not '{raw}'")


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(name, f"must be a whole number, not '{raw}'") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high}, not {value}")
    return value


@dataclass(frozen=True)
class OAuthProvider:
    """One configured OpenID Connect / OAuth provider."""

    name: str
    label: str
    client_id: str
    client_secret: str = field(repr=False)
    issuer: str | None = None


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one SpeakPro process."""

    environment: str
    data_dir: Path
    database_url: str | None
    app_database_url: str | None
    test_database_url: str | None
    redis_url: str | None
    secret_key: str = field(repr=False)
    app_url: str
    api_url: str
    frontend_port: int
    backend_port: int
    openai_api_key: str | None = field(repr=False)
    openai_base_url: str | None
    openai_text_model: str
    openai_realtime_model: str
    openai_realtime_calls_url: str
    s3_bucket: str | None
    s3_endpoint_url: str | None
    s3_region: str
    s3_access_key_id: str | None = field(repr=False)
    s3_secret_access_key: str | None = field(repr=False)
    media_dir: Path
    max_upload_bytes: int
    oauth_providers: tuple[OAuthProvider, ...]
    log_level: str
    # Run one job-queue worker inside the app's backend process (`make run`); false when workers run on
    # their own (`python -m speakpro worker`).
    worker_in_process: bool = True
    # Reverse proxies in front of the backends whose X-Forwarded-For is trusted for the client's address
    # (throttles and rate limits key on it); 0 trusts none.
    trusted_proxy_hops: int = 0

    @property
    def uses_embedded_database(self) -> bool:
        """True when no `DATABASE_URL` is given and SpeakPro runs its own PostgreSQL."""
        return self.database_url is None

    @property
    def offline(self) -> bool:
        """True when no OpenAI key is configured (solo practice, local analysis)."""
        return not self.openai_api_key

    @property
    def embedded_pgdata(self) -> Path:
        """Where the embedded PostgreSQL keeps its data."""
        return self.data_dir / "pg"


def _secret_key(env: Mapping[str, str], environment: str, data_dir: Path) -> str:
    raw = env.get("SECRET_KEY", "").strip()
    if raw:
        if len(raw) < 32:
            raise SettingsError("SECRET_KEY", f"must be at least 32 characters, not {len(raw)}")
        return raw
    if environment == "production":
        raise SettingsError("SECRET_KEY", "is required in production (at least 32 random characters)")
    # Development and tests get a random key kept on disk, so sessions survive a restart
    # without anyone committing or sharing a key.
    key_file = data_dir / "secret_key"
    try:
        if key_file.exists():
            return key_file.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
    except OSError:
        return secrets.token_urlsafe(48)


def _oauth_providers(env: Mapping[str, str]) -> tuple[OAuthProvider, ...]:
    providers: list[OAuthProvider] = []
    presets = (("github", "GitHub", "GITHUB"), ("google", "Google", "GOOGLE"))
    for name, label, prefix in presets:
        client_id = env.get(f"{prefix}_CLIENT_ID", "").strip()
        client_secret = env.get(f"{prefix}_CLIENT_SECRET", "").strip()
        if client_id or client_secret:
            if not (client_id and client_secret):
                missing = f"{prefix}_CLIENT_SECRET" if client_id else f"{prefix}_CLIENT_ID"
                raise SettingsError(missing, f"is required when {prefix}_CLIENT_ID / _SECRET is partly set")
            providers.append(OAuthProvider(name, label, client_id, client_secret))
    issuer = env.get("OIDC_ISSUER", "").strip()
    if issuer:
        issuer = _url("OIDC_ISSUER", issuer, ("https", "http"))
        client_id = env.get("OIDC_CLIENT_ID", "").strip()
        if not client_id:
            raise SettingsError("OIDC_CLIENT_ID", "is required when OIDC_ISSUER is set")
        providers.append(
            OAuthProvider(
                "oidc",
                env.get("OIDC_NAME", "").strip() or "Single sign-on",
                client_id,
                env.get("OIDC_CLIENT_SECRET", "").strip(),
                issuer=issuer,
            )
        )
    return tuple(providers)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting.

    Args:
        env: The variables to read; the process environment (plus `.env`) when omitted.

    Returns:
        The validated settings.

    Raises:
        SettingsError: On the first malformed variable.
    """
    if env is None:
        env = {**_read_dotenv(PROJECT_ROOT / ".env"), **os.environ}

    def get(name: str, default: str = "") -> str:
        return env.get(name, default).strip()

    environment = get("SPEAKPRO_ENV", "development").lower()
    if environment not in _ENVIRONMENTS:
        raise SettingsError("SPEAKPRO_ENV", f"must be one of {', '.join(_ENVIRONMENTS)}, not '{environment}'")

    data_dir = Path(get("SPEAKPRO_DATA_DIR") or PROJECT_ROOT / ".speakpro").resolve()
    database_url = get("DATABASE_URL")
    app_database_url = get("APP_DATABASE_URL")
    test_database_url = get("TEST_DATABASE_URL")
    redis_url = get("REDIS_URL")
    frontend_port = _int("FRONTEND_PORT", get("FRONTEND_PORT", "3000"), 1, 65535)
    backend_port = _int("BACKEND_PORT", get("BACKEND_PORT", "8000"), 1, 65535)
    openai_base_url = get("OPENAI_BASE_URL")
    s3_endpoint = get("S3_ENDPOINT_URL")
    log_level = get("LOG_LEVEL", "info").lower()
    if log_level not in ("debug", "info", "warning", "error", "critical"):
        raise SettingsError("LOG_LEVEL", f"must be debug, info, warning, error or critical, not '{log_level}'")

    return Settings(
        environment=environment,
        data_dir=data_dir,
        database_url=(
            normalize_database_url("DATABASE_URL", database_url, pgsslmode=get("PGSSLMODE")) if database_url else None
        ),
        app_database_url=(
            normalize_database_url("APP_DATABASE_URL", app_database_url, pgsslmode=get("PGSSLMODE"))
            if app_database_url
            else None
        ),
        test_database_url=(
            normalize_database_url("TEST_DATABASE_URL", test_database_url, pgsslmode=get("PGSSLMODE"))
            if test_database_url
            else None
        ),
        redis_url=_url("REDIS_URL", redis_url, ("redis", "rediss")) if redis_url else None,
        secret_key=_secret_key(env, environment, data_dir),
        app_url=_url("APP_URL", get("APP_URL", f"http://localhost:{frontend_port}"), ("http", "https")),
        api_url=_url("API_URL", get("API_URL", f"http://localhost:{backend_port}"), ("http", "https")),
        frontend_port=frontend_port,
        backend_port=backend_port,
        openai_api_key=get("OPENAI_API_KEY") or None,
        openai_base_url=_url("OPENAI_BASE_URL", openai_base_url, ("http", "https")) if openai_base_url else None,
        openai_text_model=get("OPENAI_TEXT_MODEL", "gpt-4.1-mini"),
        openai_realtime_model=get("OPENAI_REALTIME_MODEL", "gpt-realtime"),
        openai_realtime_calls_url=_url(
            "OPENAI_REALTIME_CALLS_URL",
            get("OPENAI_REALTIME_CALLS_URL", "https://api.openai.com/v1/realtime/calls"),
            ("http", "https"),
        ),
        s3_bucket=get("S3_BUCKET") or None,
        s3_endpoint_url=_url("S3_ENDPOINT_URL", s3_endpoint, ("http", "https")) if s3_endpoint else None,
        s3_region=get("S3_REGION", "us-east-1"),
        s3_access_key_id=get("S3_ACCESS_KEY_ID") or None,
        s3_secret_access_key=get("S3_SECRET_ACCESS_KEY") or None,
        media_dir=Path(get("MEDIA_DIR") or data_dir / "media").resolve(),
        max_upload_bytes=_int("MAX_UPLOAD_MB", get("MAX_UPLOAD_MB", "25"), 1, 500) * 1024 * 1024,
        oauth_providers=_oauth_providers(env),
        log_level=log_level,
        worker_in_process=_bool("WORKER_IN_PROCESS", get("WORKER_IN_PROCESS") or "true"),
        trusted_proxy_hops=_int("TRUSTED_PROXY_HOPS", get("TRUSTED_PROXY_HOPS", "0"), 0, 10),
    )


def _read_dotenv(path: Path) -> dict[str, str]:
    """Read simple KEY=VALUE lines; the process environment wins over the file."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def load_or_exit(loader: Callable[[], Settings] = load_settings) -> Settings:
    """Load settings, or stop the process with one clear line naming the bad variable."""
    try:
        return loader()
    except SettingsError as error:
        print(f"SpeakPro configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


settings: Settings = load_or_exit()
