"""Wiring only: the Reflex app, its pages and its HTTP routes."""

import reflex as rx

from speakpro import routes
from speakpro.api import build_api
from speakpro.pages.landing import landing
from speakpro.pages.not_found import not_found
from speakpro.state.landing import LandingState

app = rx.App(api_transformer=build_api())

app.add_page(
    landing,
    route=routes.LANDING,
    title="SpeakPro: practise speaking out loud",
    description="Guided lessons, live AI role-play and clear feedback on how you speak.",
    on_load=LandingState.load,
)
app.add_page(not_found, route=routes.NOT_FOUND, title="Page not found · SpeakPro")
