"""Settings: every variable validated, a malformed one named in one clear line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from speakpro.settings import PROJECT_ROOT, SettingsError, load_settings, normalize_database_url


def _env(tmp_path, **values):
    return {"SPEAKPRO_DATA_DIR": str(tmp_path), **values}


def test_defaults_point_at_no_real_server(tmp_path):
    settings = load_settings(_env(tmp_path))
    assert settings.database_url is None and settings.uses_embedded_database
    assert settings.redis_url is None
    assert settings.openai_api_key is None and settings.offline
    assert settings.s3_bucket is None
    assert settings.media_dir == (tmp_path / "media").resolve()
    assert settings.oauth_providers == ()


def test_postgres_urls_are_pinned_to_psycopg2():
    # A server elsewhere also gets TLS (below); the scheme is pinned either way.
    assert normalize_database_url("DATABASE_URL", "postgresql://u:p@db:5432/app") == (
        "postgresql+psycopg2://u:p@db:5432/app?sslmode=require"
    )
    assert (
        normalize_database_url("DATABASE_URL", "postgres://u@localhost/app") == "postgresql+psycopg2://u@localhost/app"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@localhost:5432/app",
        "postgresql://u:p@LOCALHOST/app",
        "postgresql://u:p@127.0.0.1:5432/app",
        "postgresql://u:p@127.0.0.2/app",
        "postgresql://u:p@[::1]:5432/app",
        "postgresql://u@/app?host=/var/run/postgresql",
        "postgresql://u@%2Fvar%2Frun%2Fpostgresql/app",
        "postgresql://u@localhost/app?host=/tmp&application_name=speakpro",
    ],
)
def test_local_servers_get_no_sslmode(url):
    assert "sslmode" not in normalize_database_url("DATABASE_URL", url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db.internal:5432/app", "postgresql+psycopg2://u:p@db.internal:5432/app?sslmode=require"),
        ("postgresql://u:p@10.0.0.5/app", "postgresql+psycopg2://u:p@10.0.0.5/app?sslmode=require"),
        ("postgresql://u:p@[2001:db8::1]:5432/app", "postgresql+psycopg2://u:p@[2001:db8::1]:5432/app?sslmode=require"),
        (
            "postgresql://u:p@db.example.com/app?application_name=speakpro",
            "postgresql+psycopg2://u:p@db.example.com/app?application_name=speakpro&sslmode=require",
        ),
        # The URL's host says local, but libpq connects to the `host` / `hostaddr` parameter.
        (
            "postgresql://u@localhost/app?host=db.example.com",
            "postgresql+psycopg2://u@localhost/app?host=db.example.com&sslmode=require",
        ),
        (
            "postgresql://u@localhost/app?hostaddr=192.0.2.7",
            "postgresql+psycopg2://u@localhost/app?hostaddr=192.0.2.7&sslmode=require",
        ),
    ],
)
def test_servers_elsewhere_require_tls(url, expected):
    assert normalize_database_url("DATABASE_URL", url) == expected


@pytest.mark.parametrize("mode", ["disable", "verify-full", "prefer", "require"])
def test_an_sslmode_in_the_url_is_kept(mode):
    url = f"postgresql://u:p@db.example.com/app?sslmode={mode}"
    assert normalize_database_url("DATABASE_URL", url) == url.replace("postgresql://", "postgresql+psycopg2://")


def test_pgsslmode_replaces_the_default(tmp_path):
    settings = load_settings(
        {
            "SPEAKPRO_DATA_DIR": str(tmp_path),
            "PGSSLMODE": "verify-full",
            "DATABASE_URL": "postgresql://u:p@db.example.com/app",
            "TEST_DATABASE_URL": "postgresql://u:p@127.0.0.1/app",
        }
    )
    assert settings.database_url == "postgresql+psycopg2://u:p@db.example.com/app?sslmode=verify-full"
    assert settings.test_database_url == "postgresql+psycopg2://u:p@127.0.0.1/app"
    remote = load_settings({"SPEAKPRO_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u:p@db/app"})
    assert remote.database_url.endswith("?sslmode=require")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("mysql://u:p@db/app", "scheme 'mysql' is not supported"),
        ("not a url", "is not a URL"),
        ("postgresql://u:p@db:99999/app", "port"),
        ("postgresql://u:p@db:5432", "names no database"),
        ("postgresql:///app", "names no host"),
    ],
)
def test_malformed_database_url_is_named(tmp_path, value, problem):
    with pytest.raises(SettingsError) as caught:
        load_settings(_env(tmp_path, DATABASE_URL=value))
    assert caught.value.name == "DATABASE_URL"
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("FRONTEND_PORT", "eighty", "whole number"),
        ("BACKEND_PORT", "70000", "between 1 and 65535"),
        ("REDIS_URL", "localhost:6379", "redis://"),
        ("OPENAI_BASE_URL", "ftp://fake", "http"),
        ("SPEAKPRO_ENV", "staging", "one of"),
        ("SECRET_KEY", "short", "at least 32"),
        ("MAX_UPLOAD_MB", "0", "between 1 and 500"),
        ("LOG_LEVEL", "loud", "debug, info"),
    ],
)
def test_other_malformed_settings_are_named(tmp_path, name, value, problem):
    with pytest.raises(SettingsError) as caught:
        load_settings(_env(tmp_path, **{name: value}))
    assert str(caught.value).startswith(f"{name}: ")
    assert problem in str(caught.value)


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(SettingsError, match="SECRET_KEY: is required in production"):
        load_settings(_env(tmp_path, SPEAKPRO_ENV="production"))


def test_development_secret_key_is_random_and_kept(tmp_path):
    first = load_settings(_env(tmp_path)).secret_key
    assert len(first) >= 32
    assert load_settings(_env(tmp_path)).secret_key == first
    assert load_settings(_env(tmp_path / "other")).secret_key != first


def test_oauth_providers_need_both_halves(tmp_path):
    with pytest.raises(SettingsError, match="GITHUB_CLIENT_SECRET"):
        load_settings(_env(tmp_path, GITHUB_CLIENT_ID="abc"))
    settings = load_settings(
        _env(
            tmp_path,
            GITHUB_CLIENT_ID="abc",
            GITHUB_CLIENT_SECRET="xyz",
            OIDC_ISSUER="http://127.0.0.1:9000",
            OIDC_CLIENT_ID="speakpro",
        )
    )
    assert [p.name for p in settings.oauth_providers] == ["github", "oidc"]
    assert "xyz" not in repr(settings)


def test_secrets_never_appear_in_repr(tmp_path):
    settings = load_settings(_env(tmp_path, OPENAI_API_KEY="sk-test-value", S3_SECRET_ACCESS_KEY="s3-secret"))
    text = repr(settings)
    assert "sk-test-value" not in text and "s3-secret" not in text and settings.secret_key not in text


def test_malformed_database_url_stops_the_cli_with_one_line(tmp_path):
    env = {**os.environ, "SPEAKPRO_DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql://root@localhost/speakpro"}
    result = subprocess.run(
        [sys.executable, "-m", "speakpro", "health"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "SpeakPro configuration error: DATABASE_URL: scheme 'mysql' is not supported; "
        "expected postgresql://user:password@host:5432/dbname"
    ]


def test_cli_help_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "speakpro", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in ("db-up", "migrate", "seed", "prepare", "health", "logins"):
        assert command in result.stdout
