"""Chart builders for the dashboards and the progress page, as plain plotly JSON (`{"data": [...],
"layout": {...}}`) that `rx.plotly(data=...)` draws as it is.

Plain dicts, not `plotly.graph_objects.Figure`s: a Figure validates every property and deep-copies itself on
each update, which made building a dashboard's three figures cost several times its SQL. The layout is fixed
(plotly.js's own defaults, which are what the "none" template gives), so a figure is a few small dicts and a
refresh only replaces the numbers. Small figures: a few hundred points at most, a few KB each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import reflex as rx

from speakpro import styles

VIOLET = "#6e56cf"
TEAL = "#12a594"
GRAY = "#8b8d98"
HEIGHT = 280

Figure = dict[str, Any]


def _figure(traces: list[dict[str, Any]], title: str, *, height: int = HEIGHT, **extra: Any) -> Figure:
    return {
        "data": traces,
        "layout": {
            "title": {"text": title, "x": 0, "font": {"size": 14}},
            "height": height,
            "margin": {"l": 40, "r": 16, "t": 40, "b": 36},
            "showlegend": False,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"size": 11},
            **extra,
        },
    }


def empty_figure(title: str = "") -> Figure:
    """A blank placeholder (compiling the app and 'no data yet')."""
    return _figure([], title, height=120)


def line_with_band(
    x: Sequence,
    y: Sequence,
    *,
    title: str,
    band: tuple[float, float] | None = None,
    y_title: str = "",
    color: str = VIOLET,
    y_range: tuple[float, float] | None = None,
) -> Figure:
    """A line over time with an optional healthy band drawn as a shaded rectangle behind it."""
    line = {
        "type": "scatter",
        "x": [_plain(v) for v in x],
        "y": list(y),
        "mode": "lines+markers",
        "line": {"color": color, "width": 2},
        "marker": {"size": 5},
        "connectgaps": True,
        "hovertemplate": "%{x}: %{y}<extra></extra>",
    }
    shapes = []
    if band is not None:
        shapes.append(
            {
                "type": "rect",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": band[0],
                "y1": band[1],
                "fillcolor": TEAL,
                "opacity": 0.12,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    yaxis: dict[str, Any] = {"title": {"text": y_title}}
    if y_range:
        yaxis["range"] = list(y_range)
    return _figure([line], title, yaxis=yaxis, shapes=shapes, xaxis=_date_axis(x))


def radar(labels: Sequence[str], values: Sequence[float | None], *, title: str) -> Figure:
    """Skill scores (0–100) on a closed radar."""
    labels, values = list(labels), [v or 0 for v in values]
    trace = {
        "type": "scatterpolar",
        "r": values + values[:1],
        "theta": labels + labels[:1],
        "fill": "toself",
        "line": {"color": VIOLET},
        "hovertemplate": "%{theta}: %{r}<extra></extra>",
    }
    return _figure([trace], title, polar={"radialaxis": {"range": [0, 100], "showticklabels": True}})


def bars(x: Sequence, y: Sequence, *, title: str, y_title: str = "", color: str = VIOLET) -> Figure:
    """One bar per category (e.g. minutes per week)."""
    trace = {
        "type": "bar",
        "x": [_plain(v) for v in x],
        "y": list(y),
        "marker": {"color": color},
        "hovertemplate": "%{x}: %{y}<extra></extra>",
    }
    return _figure([trace], title, yaxis={"title": {"text": y_title}}, bargap=0.25, xaxis=_date_axis(x))


def calendar_heatmap(counts: dict[date, int], *, since: date, until: date, title: str) -> Figure:
    """A GitHub-style practice calendar: one column per week, one row per weekday, colour = sessions."""
    start = since - timedelta(days=since.weekday())
    weeks = (until - start).days // 7 + 1
    z: list[list[int | None]] = [[None] * weeks for _ in range(7)]
    text: list[list[str]] = [[""] * weeks for _ in range(7)]
    day = start
    while day <= until:
        column, row = (day - start).days // 7, day.weekday()
        if day >= since:
            z[row][column] = counts.get(day, 0)
            text[row][column] = f"{day.isoformat()}: {counts.get(day, 0)} session(s)"
        day += timedelta(days=1)
    mondays = [(start + timedelta(weeks=w)).strftime("%b %d") for w in range(weeks)]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": mondays,
        "y": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "text": text,
        "hoverinfo": "text",
        "colorscale": [[0, "#ececf0"], [0.01, "#d7cff9"], [1, VIOLET]],
        "showscale": False,
        "xgap": 3,
        "ygap": 3,
        "zmin": 0,
    }
    return _figure([trace], title, height=220, yaxis={"autorange": "reversed"}, xaxis={"showgrid": False})


def _date_axis(x: Sequence) -> dict[str, Any]:
    """A date axis in days: one day (or none) would otherwise be drawn on a scale of milliseconds."""
    days = sorted({v for v in x if isinstance(v, date)})
    if not days or len(days) != len(set(x)):
        return {}
    axis: dict[str, Any] = {"type": "date", "tickformat": "%b %d"}
    if len(days) == 1:
        axis["range"] = [(days[0] - timedelta(days=1)).isoformat(), (days[0] + timedelta(days=1)).isoformat()]
        axis["dtick"] = 86_400_000
    return axis


def _plain(value: Any) -> Any:
    """Dates as ISO text (what plotly.js reads as a date axis); everything else as it is."""
    return value.isoformat() if isinstance(value, date) else value


def chart_card(figure: rx.Var[Figure] | Figure, loading: rx.Var[bool] | bool, element_id: str) -> rx.Component:
    """One chart in a card (a state var holding one of the figures above), a skeleton while its page loads."""
    from plotly.graph_objects import Figure as PlotlyFigure  # the prop's declared type; the value stays JSON

    return rx.box(
        rx.cond(
            loading,
            rx.skeleton(width="100%", height="260px"),
            rx.plotly(data=rx.Var.create(figure).to(PlotlyFigure), config={"displayModeBar": False}, width="100%"),
        ),
        style=styles.card,
        id=element_id,
        width="100%",
    )
