"""Every page of the app builds and renders (what `reflex run` compiles), without a browser or a database."""

from __future__ import annotations

import pytest

from speakpro.speakpro import app

PAGES = app._unevaluated_pages  # route -> the page as registered with `app.add_page`


@pytest.mark.parametrize("route", sorted(PAGES))
def test_the_page_renders(route):
    page = PAGES[route]
    component = page.component() if callable(page.component) else page.component
    assert component.render()
