"""One state with one trivial handler and a blank page (the baseline of `bench/bench_handlers.py`)."""

import reflex as rx


class State(rx.State):
    count: int = 0

    @rx.event
    def ping(self):
        self.count += 1


def index() -> rx.Component:
    return rx.text(State.count)


app = rx.App()
app.add_page(index, route="/")
