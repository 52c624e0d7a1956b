"""A speech metric with its healthy band and a badge (the session page and the home page show them alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import reflex as rx
from reflex.vars import ObjectVar

if TYPE_CHECKING:
    from speakpro.state.history import MetricRow


def speech_metric(metric: ObjectVar[MetricRow]) -> rx.Component:
    """One `MetricRow`: label, value, "healthy: a–b" and a green or amber verdict."""
    return rx.hstack(
        rx.vstack(
            rx.text(metric.label, size="1", color_scheme="gray"),
            rx.text(metric.value, size="3", weight="bold"),
            rx.text(metric.healthy, size="1", color_scheme="gray", class_name="metric-band"),
            spacing="0",
        ),
        rx.spacer(),
        rx.badge(metric.verdict, color_scheme=rx.cond(metric.color == "green", "green", "amber"), variant="soft"),
        width="100%",
        align="center",
        class_name="speech-metric",
        data_metric=metric.key,
    )


def delivery_block(rows: list[MetricRow], id: str) -> rx.Component:
    """The delivery measured from a recorded answer (`state.history.delivery_rows`), when there is one."""
    return rx.cond(
        rx.Var.create(rows).length() > 0,
        rx.vstack(
            rx.text("From your recording", size="2", weight="medium"),
            rx.foreach(rows, speech_metric),
            spacing="2",
            width="100%",
            id=id,
        ),
    )
