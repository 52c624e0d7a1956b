"""Plotly figure builders for the dashboards: small figures (a few hundred points at most, no templates
beyond the plain one) so each one serialises to a few KB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import plotly.graph_objects as go

VIOLET = "#6e56cf"
TEAL = "#12a594"
GRAY = "#8b8d98"
HEIGHT = 280


def _layout(fig: go.Figure, title: str, *, height: int = HEIGHT, **extra) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 14}},
        template="none",
        height=height,
        margin={"l": 40, "r": 16, "t": 40, "b": 36},
        showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": 11},
        **extra,
    )
    return fig


def empty_figure(title: str = "") -> go.Figure:
    """A blank placeholder (compiling the app and 'no data yet')."""
    return _layout(go.Figure(), title, height=120)


def line_with_band(
    x: Sequence,
    y: Sequence,
    *,
    title: str,
    band: tuple[float, float] | None = None,
    y_title: str = "",
    color: str = VIOLET,
    y_range: tuple[float, float] | None = None,
) -> go.Figure:
    """A line over time with an optional healthy band drawn as a shaded rectangle behind it."""
    fig = go.Figure(
        go.Scatter(
            x=list(x),
            y=list(y),
            mode="lines+markers",
            line={"color": color, "width": 2},
            marker={"size": 5},
            connectgaps=True,
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    if band is not None:
        fig.add_hrect(y0=band[0], y1=band[1], fillcolor=TEAL, opacity=0.12, line_width=0, layer="below")
    _layout(fig, title, yaxis={"title": y_title, "range": list(y_range) if y_range else None})
    return fig


def radar(labels: Sequence[str], values: Sequence[float | None], *, title: str) -> go.Figure:
    """Skill scores (0–100) on a closed radar."""
    labels, values = list(labels), [v or 0 for v in values]
    fig = go.Figure(
        go.Scatterpolar(
            r=values + values[:1],
            theta=labels + labels[:1],
            fill="toself",
            line={"color": VIOLET},
            hovertemplate="%{theta}: %{r}<extra></extra>",
        )
    )
    return _layout(fig, title, polar={"radialaxis": {"range": [0, 100], "showticklabels": True}})


def bars(x: Sequence, y: Sequence, *, title: str, y_title: str = "", color: str = VIOLET) -> go.Figure:
    """One bar per category (e.g. minutes per week)."""
    fig = go.Figure(go.Bar(x=list(x), y=list(y), marker_color=color, hovertemplate="%{x}: %{y}<extra></extra>"))
    return _layout(fig, title, yaxis={"title": y_title}, bargap=0.25)


def calendar_heatmap(counts: dict[date, int], *, since: date, until: date, title: str) -> go.Figure:
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
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=mondays,
            y=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            text=text,
            hoverinfo="text",
            colorscale=[[0, "#ececf0"], [0.01, "#d7cff9"], [1, VIOLET]],
            showscale=False,
            xgap=3,
            ygap=3,
            zmin=0,
        )
    )
    return _layout(fig, title, height=220, yaxis={"autorange": "reversed"}, xaxis={"showgrid": False})
