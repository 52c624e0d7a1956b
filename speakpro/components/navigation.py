"""A full page load to a backend path: the end of every sign-in and sign-out (`assets/navigate.jsx`)."""

from __future__ import annotations

import reflex as rx


class FullNavigation(rx.Component):
    """Loads `{backend}{path}` in this tab whenever `path` becomes non-empty."""

    library = "$/public/navigate.jsx"
    tag = "FullNavigation"

    # A path on the backend ("/auth/session?code=..."); empty does nothing.
    path: rx.Var[str]


def full_navigation(path: rx.Var | str) -> rx.Component:
    """The navigation element (renders nothing)."""
    return FullNavigation.create(path=path)
