"""The baseline app of `bench/bench_handlers.py`: the smallest Reflex app, run the way SpeakPro's backend runs
(production mode, in-memory state manager), so a SpeakPro handler's time can be read as a multiple of what
Reflex itself costs for one event."""

import reflex as rx

config = rx.Config(
    app_name="minimal_app",
    state_manager_mode="memory",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=["*"],
    plugins=[],
)
