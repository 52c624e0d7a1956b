"""Route arguments come from Reflex's parsed route, one way: every `_route_arg(name)` names a `[name]` of a
declared route, and no state splits the URL path by hand."""

from __future__ import annotations

import re
from pathlib import Path

from speakpro import routes

STATES = Path(__file__).resolve().parents[2] / "speakpro" / "state"


def _declared_args() -> set[str]:
    return {
        arg
        for value in vars(routes).values()
        if isinstance(value, str) and value.startswith("/")
        for arg in re.findall(r"\[(\w+)\]", value)
    }


def test_every_route_arg_a_state_reads_is_declared_by_a_route():
    used = {
        (path.name, name)
        for path in STATES.glob("*.py")
        for name in re.findall(r"_route_arg\(\s*\"(\w+)\"", path.read_text())
    }
    assert len(used) >= 7, used
    assert {name for _, name in used} <= _declared_args(), used


def test_no_state_parses_the_url_path_by_hand():
    hand_parsed = [
        f"{path.name}:{number}"
        for path in STATES.glob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "router.url.path" in line and ("split(" in line or "[" in line)
    ]
    assert hand_parsed == []
