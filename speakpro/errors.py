"""What a person sees when a handler fails: a plain message, never exception text.

`backend_exception_handler` is the app's Reflex backend exception handler. A database that cannot be reached
gets its own calm message (nothing was saved, try again); anything else is logged with a short error id,
and the person is shown that id to quote. Logging itself is configured from `LOG_LEVEL` here.
"""

import logging
import secrets

import reflex as rx
from reflex.event import EventSpec

from speakpro.db import DatabaseUnavailable, unavailable
from speakpro.settings import settings

log = logging.getLogger(__name__)

UNAVAILABLE_TOAST_ID = "database-unavailable"
ERROR_TOAST_ID = "server-error"


def configure_logging() -> None:
    """SpeakPro's loggers at `LOG_LEVEL`, one line per record (Reflex and its servers keep their own)."""
    logger = logging.getLogger("speakpro")
    logger.setLevel(settings.log_level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def new_error_id() -> str:
    """A short id that ties what a person quotes to the log line."""
    return secrets.token_hex(4)


def backend_exception_handler(exception: Exception) -> EventSpec:
    """The toast for a handler that raised (see the module docstring)."""
    if isinstance(exception, DatabaseUnavailable) or unavailable(exception):
        log.warning("a request could not reach the database: %s", type(exception.__cause__ or exception).__name__)
        return rx.toast.error(DatabaseUnavailable().message, id=UNAVAILABLE_TOAST_ID)
    error_id = new_error_id()
    log.error("unexpected error %s", error_id, exc_info=exception)
    return rx.toast.error(
        f"Something went wrong on our side, and nothing was changed. Please try again; if it keeps happening, "
        f"quote error {error_id}.",
        id=ERROR_TOAST_ID,
    )
