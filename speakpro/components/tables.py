"""The one shape of a data table: on a narrow screen it scrolls sideways inside its own box."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx


def wide_table(
    columns: Sequence[str | rx.Component],
    body: rx.Component,
    *,
    label: str,
    table_id: str = "",
    **table_props,
) -> rx.Component:
    """A table under `columns` (a label, or a header cell of its own) with `body` for rows.

    The table keeps its natural width (at least the page's), so on a phone its box scrolls sideways rather
    than the page or the table's own viewport; the box is a region named `label` that a keyboard can focus
    and scroll (WCAG 2.1.1: a scrollable area must be reachable without a mouse)."""
    header = rx.table.header(
        rx.table.row(*[rx.table.column_header_cell(c) if isinstance(c, str) else c for c in columns])
    )
    if table_id:
        table_props["id"] = table_id
    return rx.box(
        rx.table.root(header, body, width="100%", min_width="max-content", **table_props),
        overflow_x="auto",
        width="100%",
        tab_index=0,
        role="region",
        aria_label=label,
        class_name="wide-table",
    )
