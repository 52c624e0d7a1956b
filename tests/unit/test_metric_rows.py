"""The session page's and home's metric rows: a number only when it was measured, and "not applicable" for what a
session cannot have (talk time without a partner)."""

from __future__ import annotations

from speakpro.services.practice.history import metric_views
from speakpro.state.history import metric_row

FIGURES = {"pace_wpm": 142, "filler_rate_per_100": 1.5, "talk_time_ratio": 1.0, "longest_monologue_seconds": 40}


def _rows(figures: dict, *, solo: bool) -> dict[str, tuple[str, str]]:
    return {m.key: (metric_row(m).value, metric_row(m).verdict) for m in metric_views(figures, solo=solo)}


def test_solo_practice_has_no_talk_time_whatever_was_stored():
    rows = _rows(FIGURES, solo=True)
    assert rows["talk_time_ratio"] == ("—", "Not applicable")
    assert rows["pace_wpm"] == ("142 wpm", "Healthy") and rows["sentiment"] == ("—", "Not measured")


def test_a_conversation_shows_its_talk_time_and_says_when_it_was_not_measured():
    assert _rows(FIGURES, solo=False)["talk_time_ratio"][0] == "100%"
    assert _rows({**FIGURES, "talk_time_ratio": None}, solo=False)["talk_time_ratio"] == ("—", "Not measured")
