"""State of the public landing page."""

from __future__ import annotations

import logging

import reflex as rx

from speakpro.db import session_scope
from speakpro.services.learning.catalog import ModuleSummary, get_catalog_overview
from speakpro.state.edge import CheckedSetvar, accepts

log = logging.getLogger(__name__)


class LandingState(CheckedSetvar, rx.State):
    """The curriculum preview and catalogue figures shown to visitors."""

    level_title: str = ""
    modules: list[ModuleSummary] = []
    topic_count: int = 0
    district_count: int = 0
    venue_count: int = 0
    loaded: bool = False
    load_failed: bool = False

    @rx.event
    @accepts()
    def load(self):
        """Read the catalogue overview; a database outage shows a notice instead of crashing."""
        try:
            with session_scope() as session:
                overview = get_catalog_overview(session=session)
        except Exception:  # noqa: BLE001 - the page still renders without figures
            log.exception("landing overview failed")
            self.load_failed = True
            self.loaded = True
            return
        self.level_title = overview.level_title
        self.modules = overview.modules
        self.topic_count = overview.topic_count
        self.district_count = overview.district_count
        self.venue_count = overview.venue_count
        self.load_failed = False
        self.loaded = True
