"""Chart figures are plain plotly JSON: traces and a fixed layout; date axes are in days."""

from __future__ import annotations

import json
from datetime import date

from speakpro.components import charts


def test_a_line_is_plain_json_with_its_band():
    figure = charts.line_with_band([date(2026, 12, 1), date(2026, 12, 2)], [50, 70], title="Score", band=(70, 100))
    json.dumps(figure)  # nothing but JSON types
    assert figure["data"][0]["x"] == ["2026-12-01", "2026-12-02"] and figure["data"][0]["y"] == [50, 70]
    assert figure["layout"]["shapes"][0]["y0"] == 70 and figure["layout"]["title"]["text"] == "Score"


def test_a_single_day_is_drawn_on_a_scale_of_days():
    axis = charts.line_with_band([date(2026, 12, 2)], [60], title="Score")["layout"]["xaxis"]
    assert axis["range"] == ["2026-12-01", "2026-12-03"] and axis["dtick"] == 86_400_000
    assert axis["tickformat"] == "%b %d"
    assert charts.bars(["Opening", "Closing"], [1, 2], title="Skills")["layout"]["xaxis"] == {}
