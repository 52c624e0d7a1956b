"""The configured `openai` client, or None in offline mode. The API key never reaches a log line."""

from __future__ import annotations

import logging
from functools import lru_cache
from urllib.parse import urlsplit

from openai import OpenAI

from speakpro.settings import settings

log = logging.getLogger(__name__)

# A visitor is waiting on the other end: a short timeout with the client's own retries (which honour
# Retry-After on 429 and back off on 5xx) bounds the wait, then callers fall back to an offline answer.
DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_MAX_RETRIES = 2


def make_openai_client(
    *,
    api_key: str,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> OpenAI:
    """Build a client from explicit values (tests point one at the local fake server).

    Args:
        api_key: The secret key; kept inside the client, never logged.
        base_url: Another API root, e.g. `http://127.0.0.1:8123/v1`; the official API when None.
        timeout: Seconds allowed per attempt.
        max_retries: Further attempts after a timeout, connection error, 429 or 5xx.

    Returns:
        A thread-safe client that pools its connections.
    """
    # Only the host goes to the log: a base URL could carry credentials in its user-info part.
    host = urlsplit(base_url).hostname if base_url else "api.openai.com"
    log.info("OpenAI client for %s (timeout %.0fs, %d retries)", host, timeout, max_retries)
    return OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)


@lru_cache(maxsize=8)
def _shared_client(api_key: str, base_url: str | None, timeout: float, max_retries: int) -> OpenAI:
    # One client per configuration and process, so connections are reused across requests.
    return make_openai_client(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)


def get_openai_client(
    *, timeout: float = DEFAULT_TIMEOUT_SECONDS, max_retries: int = DEFAULT_MAX_RETRIES
) -> OpenAI | None:
    """The client configured by `OPENAI_API_KEY` / `OPENAI_BASE_URL`, or None in offline mode.

    Args:
        timeout: Seconds allowed per attempt.
        max_retries: Further attempts after a timeout, connection error, 429 or 5xx.

    Returns:
        A shared client, or None when no API key is configured.
    """
    if settings.offline or not settings.openai_api_key:
        return None
    return _shared_client(settings.openai_api_key, settings.openai_base_url, float(timeout), max_retries)
