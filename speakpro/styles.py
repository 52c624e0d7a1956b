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


# A transcript line's time that plays the recording from there (`recording_player(follow=...)`).
seek_button = {
    "font_family": "monospace",
    "font_size": "var(--font-size-1)",
    "color": "var(--violet-11)",
    "background": "var(--violet-3)",
    "border": "none",
    "border_radius": "6px",
    "padding": "0.2rem 0.45rem",
    "cursor": "pointer",
    "min_width": "3.2rem",
    "min_height": "1.6rem",
}
# A transcript line while the recording plays it.
followed_line = {
    "border_radius": "8px",
    "padding": "0.15rem 0.3rem",
    "transition": "background 0.2s",
    "&[data-playing='true']": {"background": "var(--violet-3)", "box_shadow": "inset 3px 0 0 var(--violet-9)"},
}

# A native <select> that looks like the Radix inputs beside it (phones show their own picker for it).
native_select = {
    "width": "100%",
    "min_height": "40px",
    "padding": "0 0.75rem",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-2)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "font_size": "var(--font-size-2)",
}
