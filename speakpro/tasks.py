"""Background work that runs inside the app's server process: the analysis of ended sessions and the
15-minute cap sweep. Each worker process runs its own loop; the database claims make that safe."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

ANALYSIS_INTERVAL_SECONDS = 15


def _sweep_once() -> int:
    """Fail sessions past the 15-minute cap, then analyse what is queued; returns sessions analysed."""
    from speakpro.db import session_scope
    from speakpro.services.analysis import run_pending_analysis
    from speakpro.services.practice import enforce_cap

    with session_scope() as session:
        enforce_cap(session=session)
    return run_pending_analysis()


async def analysis_loop() -> None:
    """Every few seconds: the cap sweep and the analysis queue (off the event loop, errors logged)."""
    while True:
        try:
            await asyncio.to_thread(_sweep_once)
        except Exception:  # noqa: BLE001 - the loop must outlive one bad round
            log.exception("background analysis round failed")
        await asyncio.sleep(ANALYSIS_INTERVAL_SECONDS)
