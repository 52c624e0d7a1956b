"""The look of SpeakPro: one Radix theme and a few shared style dictionaries."""

import reflex as rx

THEME = rx.theme(appearance="light", accent_color="violet", gray_color="slate", radius="large", scaling="100%")

MAX_WIDTH = "1100px"

page = {"max_width": MAX_WIDTH, "width": "100%", "margin_x": "auto", "padding_x": "1.25rem"}

card = {
    "padding": "1.25rem",
    "border_radius": "var(--radius-4)",
    "border": "1px solid var(--gray-a5)",
    "background": "var(--color-panel-solid)",
}

hero_background = {
    "background": "linear-gradient(160deg, var(--violet-3) 0%, var(--iris-2) 45%, var(--gray-1) 100%)",
}
