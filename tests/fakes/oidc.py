"""A real OpenID Provider for the login tests: node-oidc-provider from the npm registry, run locally.

`tests/fakes/oidc/` pins the package; the first use runs `npm install` there. The provider's development
login form accepts any login name (any password); see `server.mjs` for the claims it hands out.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "speakpro-test"
# A test-only credential for a provider that lives for one test run on 127.0.0.1.
CLIENT_SECRET = "speakpro-test-client-secret-not-a-real-one"  # noqa: S105
LABEL = "Test SSO"


class ProviderUnavailable(RuntimeError):
    """Node, npm or the package cannot be had, so the provider cannot run."""


@dataclass(frozen=True)
class FakeOIDCProvider:
    """A running provider and the client registered with it."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_installed() -> None:
    """Install oidc-provider into `tests/fakes/oidc/node_modules` unless it is there already.

    Raises:
        ProviderUnavailable: When node or npm is missing or the install fails.
    """
    if not shutil.which("node") or not shutil.which("npm"):
        raise ProviderUnavailable("node and npm are needed to run the test OpenID provider")
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        return
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PROVIDER_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise ProviderUnavailable(f"npm install of oidc-provider failed: {result.stderr.strip()[-500:]}")


def _wait_until_ready(issuer: str, process: subprocess.Popen, output, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output.seek(0)
            raise ProviderUnavailable(f"the test OpenID provider exited: {output.read().strip()[-800:]}")
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ProviderUnavailable(f"the test OpenID provider did not answer on {issuer} within {timeout:.0f}s")


@contextmanager
def running_provider(
    port: int,
    redirect_uris: Sequence[str],
    client_id: str = CLIENT_ID,
    client_secret: str = CLIENT_SECRET,
) -> Iterator[FakeOIDCProvider]:
    """Run the provider on 127.0.0.1:`port` with one confidential client, PKCE required.

    Args:
        port: Where to listen; the issuer is `http://127.0.0.1:<port>`.
        redirect_uris: The callback URLs the client may use (exact matches).
        client_id: The client's id.
        client_secret: The client's secret.

    Yields:
        The running provider; it is stopped when the block ends.

    Raises:
        ProviderUnavailable: When it cannot be installed or started.
    """
    ensure_installed()
    issuer = f"http://127.0.0.1:{port}"
    client = {"client_id": client_id, "client_secret": client_secret, "redirect_uris": list(redirect_uris)}
    # Output goes to a file, not a pipe nobody reads, so the provider can never block on a full pipe.
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(
            ["node", "server.mjs", str(port)],
            cwd=PROVIDER_DIR,
            env={**os.environ, "FAKE_OIDC_CLIENT": json.dumps(client)},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_until_ready(issuer, process, output)
            yield FakeOIDCProvider(issuer, client_id, client_secret, tuple(redirect_uris))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
