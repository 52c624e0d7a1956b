"""Form pieces shared by pages: labelled fields, error callouts, centred cards, a date range."""

from __future__ import annotations

from typing import TYPE_CHECKING

import reflex as rx

from speakpro import styles
from speakpro.services.accounts.time_zones import time_zones

if TYPE_CHECKING:
    from reflex_components_core.el.elements.forms import HTMLInputTypeAttribute


def field_label(text: str | rx.Var | rx.Component, for_id: str) -> rx.Component:
    """The label of the input with id `for_id` (a real <label for>, so a screen reader names the input and a
    click on the label focuses it)."""
    return rx.el.label(
        text,
        html_for=for_id,
        class_name="field-label",
        style={
            "font_size": "var(--font-size-2)",
            "line_height": "var(--line-height-2)",
            "font_weight": "var(--font-weight-medium)",
        },
    )


def field(
    label: str,
    name: str,
    *,
    type_: HTMLInputTypeAttribute = "text",
    placeholder: str = "",
    required: bool = True,
    max_length: int = 256,
    hint: str = "",
    auto_complete: str = "",
    default_value: str | rx.Var = "",
) -> rx.Component:
    """A labelled text input inside a form (its value arrives in the submit handler's dict)."""
    return rx.vstack(
        field_label(label, name),
        rx.input(
            name=name,
            id=name,
            type=type_,
            placeholder=placeholder,
            required=required,
            max_length=max_length,
            auto_complete=auto_complete or "off",
            default_value=default_value,
            # An uncontrolled input keeps its first default; a new key re-mounts it when the value arrives.
            key=default_value if isinstance(default_value, rx.Var) else None,
            size="3",
            width="100%",
        ),
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        spacing="1",
        width="100%",
    )


def select_field(
    label: str,
    name: str,
    options: list[str] | tuple[str, ...],
    placeholder: str = "Choose...",
) -> rx.Component:
    """A labelled select inside a form."""
    return rx.vstack(
        field_label(label, name),
        rx.select(list(options), name=name, id=name, placeholder=placeholder, required=True, size="3", width="100%"),
        spacing="1",
        width="100%",
    )


def time_zone_field(name: str, default: str | rx.Var[str], hint: rx.Component | None = None) -> rx.Component:
    """The learner's time zone, a native select of every zone (a long list a phone shows its own way)."""
    return rx.vstack(
        field_label("Your time zone", name),
        rx.el.select(
            *(rx.el.option(zone.replace("_", " "), value=zone) for zone in time_zones()),
            name=name,
            id=name,
            default_value=default,
            # Uncontrolled: a new key re-mounts it when the value arrives (as `field` does).
            key=default if isinstance(default, rx.Var) else None,
            style=styles.native_select,
        ),
        hint if hint is not None else rx.fragment(),
        spacing="1",
        width="100%",
    )


def error_callout(message: str | rx.Var[str], element_id: str = "form-error") -> rx.Component:
    """A red callout shown only when `message` is non-empty (text is escaped by React)."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", id=element_id, width="100%"),
    )


def centered_card(*children: rx.Component, max_width: str = "440px") -> rx.Component:
    """A card centred on the page, for short forms."""
    return rx.center(
        rx.box(rx.vstack(*children, spacing="4", width="100%"), style=styles.card, width="100%", max_width=max_width),
        padding_y="3rem",
        padding_x="1rem",
        width="100%",
    )


def submit_button(label: str, busy: bool | rx.Var[bool], element_id: str) -> rx.Component:
    """A full-width submit button that shows a spinner while the form is being handled."""
    return rx.button(
        rx.cond(busy, rx.spinner(size="2"), rx.fragment()),
        label,
        type="submit",
        size="3",
        width="100%",
        disabled=busy,
        id=element_id,
    )


def consent_box(name: str, label: str, hint: str | rx.Component, *, required: bool) -> rx.Component:
    """A consent checkbox with its explanation underneath."""
    return rx.vstack(
        rx.checkbox(label, name=name, id=name, required=required, size="2"),
        rx.text(hint, size="1", color_scheme="gray", padding_left="1.5rem"),
        spacing="1",
        width="100%",
    )


def date_range_form(
    *,
    date_from: rx.Var[str] | str,
    date_to: rx.Var[str] | str,
    on_submit: rx.event.EventType[dict],
    id_prefix: str = "",
    busy: rx.Var[bool] | bool = False,
    extra: rx.Component | None = None,
) -> rx.Component:
    """A labelled From / To pair of date inputs and Apply (fields `date_from` and `date_to`; ids
    `<prefix>date-from`, `<prefix>date-to`, `<prefix>apply-range`), re-rendered when the state's range
    changes; `extra` goes after Apply."""

    def day(label: str, name: str, value: rx.Var[str] | str) -> rx.Component:
        element_id = id_prefix + name.replace("_", "-")
        return rx.vstack(
            rx.el.label(label, html_for=element_id, style={"font_size": "var(--font-size-1)"}),
            rx.input(type="date", name=name, id=element_id, default_value=value, key=value),
            spacing="1",
        )

    return rx.form(
        rx.hstack(
            day("From", "date_from", date_from),
            day("To", "date_to", date_to),
            rx.button("Apply", type="submit", id=id_prefix + "apply-range", loading=busy),
            *([extra] if extra is not None else []),
            align="end",
            spacing="3",
            wrap="wrap",
        ),
        on_submit=on_submit,
    )
