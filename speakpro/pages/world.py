"""The district map (positioned venues on the city illustration) and a venue's page."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from speakpro import styles
from speakpro.components.forms import error_callout, field_label
from speakpro.components.layout import page_frame
from speakpro.components.recorder import audio_recorder
from speakpro.services.world.world import DistrictView, ExerciseView, VenueView
from speakpro.state.world import MapState, VenueState


def _venue_node(venue: VenueView) -> rx.Component:
    marker = rx.center(
        rx.cond(venue.unlocked, rx.icon("map-pin", size=18), rx.icon("lock", size=16)),
        width="38px",
        height="38px",
        border_radius="9999px",
        background=rx.cond(venue.unlocked, rx.color("violet", 9), rx.color("gray", 8)),
        color="white",
        box_shadow="0 2px 8px rgba(0,0,0,0.25)",
        border="3px solid white",
    )
    label = rx.vstack(
        rx.text(venue.name, size="1", weight="bold", white_space="nowrap"),
        rx.hstack(
            rx.icon("ticket", size=12),
            rx.text(venue.ticket_cost, size="1"),
            spacing="1",
            align="center",
        ),
        spacing="0",
        align="center",
        background="rgba(255,255,255,0.92)",
        padding_x="6px",
        padding_y="2px",
        border_radius="6px",
    )
    return rx.link(
        rx.tooltip(
            rx.vstack(marker, label, spacing="1", align="center"),
            content=rx.cond(
                venue.unlocked,
                "Open " + venue.name,
                "Unlocks with module " + venue.unlock_module_code + ": " + venue.unlock_module_title,
            ),
        ),
        href="/venue/" + venue.slug,
        position="absolute",
        left=rx.Var.create(venue.map_x).to_string() + "%",
        top=rx.Var.create(venue.map_y).to_string() + "%",
        transform="translate(-50%, -50%)",
        underline="none",
        color="inherit",
        class_name=rx.cond(venue.unlocked, "venue-node venue-unlocked", "venue-node venue-locked"),
        id="venue-" + venue.slug,
        data_unlocked=rx.cond(venue.unlocked, "true", "false"),
    )


def _venue_row(venue: VenueView) -> rx.Component:
    """A venue as a row of the phone's list, where the map's pins would sit too close to tap."""
    return rx.link(
        rx.hstack(
            rx.cond(venue.unlocked, rx.icon("map-pin", size=18), rx.icon("lock", size=16)),
            rx.vstack(
                rx.text(venue.name, weight="bold", size="2"),
                rx.cond(
                    venue.unlocked,
                    rx.text("Open", size="1", color_scheme="gray"),
                    rx.text(
                        "Unlocks with module ",
                        venue.unlock_module_code,
                        ": ",
                        venue.unlock_module_title,
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                spacing="0",
                flex="1",
            ),
            rx.hstack(rx.icon("ticket", size=14), rx.text(venue.ticket_cost, size="2"), spacing="1", align="center"),
            align="center",
            spacing="3",
            width="100%",
            min_height="44px",
        ),
        href="/venue/" + venue.slug,
        underline="none",
        color="inherit",
        style=styles.card,
        width="100%",
        class_name="venue-row",
        id="venue-row-" + venue.slug,
    )


def _district_card(district: ObjectVar[DistrictView]) -> rx.Component:
    return rx.hstack(
        rx.image(
            src=district.overview_image, alt=district.overview_alt, width="96px", height="54px", border_radius="8px"
        ),
        rx.vstack(
            rx.text(district.name, weight="bold", size="2"),
            rx.text(
                district.unlocked_count.to_string() + " of " + district.venue_count.to_string() + " venues unlocked",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(district.fully_unlocked, rx.badge("Full access", color_scheme="green", size="1")),
            spacing="1",
        ),
        style=styles.card,
        spacing="3",
        align="center",
        flex="1",
        min_width="240px",
    )


def _balance(icon: str, count, unit: str, *, id: str, **style) -> rx.Component:
    """A balance as a badge: "1 ticket", "12 coins"."""
    return rx.badge(
        rx.icon(icon, size=14), count, rx.cond(count == 1, f" {unit}", f" {unit}s"), size="3", id=id, **style
    )


def map_page() -> rx.Component:
    """The district map."""
    return page_frame(
        rx.vstack(
            rx.hstack(
                rx.heading("The city", size="7"),
                rx.spacer(),
                rx.cond(
                    MapState.loaded,
                    rx.hstack(
                        _balance("coins", MapState.coins, "coin", id="map-coins", color_scheme="amber"),
                        _balance("ticket", MapState.tickets, "ticket", id="map-tickets"),
                        rx.button(
                            rx.icon("shopping-cart", size=16),
                            "Buy a ticket for ",
                            MapState.ticket_price,
                            " coins",
                            on_click=MapState.buy_ticket,
                            loading=MapState.buying,
                            disabled=MapState.coins < MapState.ticket_price,
                            variant="soft",
                            id="buy-ticket",
                        ),
                        align="center",
                        wrap="wrap",
                        spacing="2",
                    ),
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                "Finish modules to unlock venues. Entering a venue costs tickets; finishing it pays XP and coins. "
                "Coins buy tickets; the level milestone pays 3, and claiming every quest of a day pays 1.",
                color_scheme="gray",
            ),
            rx.cond(
                MapState.loaded,
                rx.vstack(
                    rx.foreach(MapState.venue_nodes, _venue_row),
                    display=rx.breakpoints(initial="flex", sm="none"),
                    spacing="2",
                    width="100%",
                    id="venue-list",
                ),
            ),
            rx.cond(
                MapState.loaded,
                rx.box(
                    rx.foreach(MapState.venue_nodes, _venue_node),
                    # Below a tablet's width the venues are the list above: pins would overlap.
                    display=rx.breakpoints(initial="none", sm="block"),
                    position="relative",
                    width="100%",
                    aspect_ratio="16 / 10",
                    background_image="url('/map/city.svg')",
                    background_size="100% 100%",
                    border_radius="16px",
                    border="1px solid var(--gray-a5)",
                    overflow="hidden",
                    id="city-map",
                    role="group",  # it holds the venues' links: a picture may not
                    aria_label="Map of districts and venues",
                ),
                rx.skeleton(width="100%", height="480px"),
            ),
            rx.flex(rx.foreach(MapState.districts, _district_card), gap="1rem", wrap="wrap", width="100%"),
            spacing="4",
            style=styles.page,
            padding_y="2rem",
        )
    )


def _exercise(exercise: ExerciseView) -> rx.Component:
    current = (VenueState.entry_status == "active") & (exercise.order == VenueState.next_order)
    return rx.vstack(
        rx.hstack(
            rx.cond(exercise.done, rx.icon("circle-check", color=rx.color("green", 9)), rx.icon("circle")),
            rx.text("Exercise ", exercise.order, " · ", exercise.kind, weight="bold", size="2"),
            rx.spacer(),
            rx.cond(
                rx.Var.create(exercise.score).is_not_none(),
                rx.badge(
                    "Score ",
                    exercise.score,
                    "/100",
                    color_scheme=rx.cond(exercise.on_topic, "green", "amber"),
                    variant="soft",
                    class_name="exercise-score",
                ),
            ),
            align="center",
            width="100%",
        ),
        rx.cond(
            rx.Var.create(exercise.score).is_not_none() & ~rx.Var.create(exercise.on_topic),
            rx.text(
                "Off topic: this answer does not take up the exercise's prompt, so its score is capped.",
                size="1",
                color_scheme="amber",
                class_name="exercise-off-topic",
            ),
        ),
        rx.text(exercise.prompt, size="2"),
        rx.cond(
            exercise.delivery != "",
            rx.text("From your recording: ", exercise.delivery, size="1", class_name="exercise-delivery"),
        ),
        rx.cond(
            current,
            rx.form(
                rx.vstack(
                    rx.cond(
                        exercise.kind != "writing",
                        rx.vstack(
                            audio_recorder(
                                on_recorded=VenueState.recorded,
                                purpose="venue",
                                max_seconds=300,
                                id="venue-recorder",
                                allowed=VenueState.recording_allowed,
                            ),
                            rx.cond(
                                VenueState.audio_key != "",
                                rx.text(
                                    "Your recording is attached (",
                                    VenueState.audio_seconds,
                                    " s).",
                                    size="2",
                                    color_scheme="green",
                                    id="venue-audio",
                                ),
                            ),
                            width="100%",
                        ),
                    ),
                    field_label(
                        rx.cond(exercise.kind != "writing", "What you said, in your words", "Your answer"),
                        "exercise-text",
                    ),
                    rx.text_area(
                        name="text",
                        placeholder=rx.cond(
                            exercise.kind != "writing",
                            "Record your answer, then write or paste what you said.",
                            "Write your answer.",
                        ),
                        required=True,
                        max_length=10000,
                        width="100%",
                        rows="4",
                        id="exercise-text",
                    ),
                    rx.button("Submit exercise", type="submit", loading=VenueState.busy, id="submit-exercise"),
                    width="100%",
                ),
                on_submit=VenueState.submit_exercise,
                reset_on_submit=True,
                width="100%",
            ),
        ),
        style=styles.card,
        width="100%",
        spacing="2",
        class_name="venue-exercise",
    )


def venue_page() -> rx.Component:
    """One venue: enter, run its task sheet, finish."""
    return page_frame(
        rx.cond(
            VenueState.not_found,
            rx.center(rx.text("This venue does not exist."), padding_y="4rem"),
            rx.vstack(
                rx.link("← Back to the map", href="/map", size="2"),
                rx.heading(VenueState.venue_name, size="7", id="venue-name"),
                rx.text(VenueState.district_name, color_scheme="gray"),
                rx.text(VenueState.venue_description),
                rx.hstack(
                    rx.badge(rx.icon("ticket", size=14), "Costs ", VenueState.ticket_cost, size="2"),
                    rx.badge(
                        rx.icon("star", size=14), "+", VenueState.xp_reward, " XP", size="2", color_scheme="green"
                    ),
                    rx.badge(
                        rx.icon("coins", size=14), "+", VenueState.coin_reward, " coins", size="2", color_scheme="amber"
                    ),
                    rx.badge(
                        "You have ",
                        VenueState.tickets,
                        rx.cond(VenueState.tickets == 1, " ticket", " tickets"),
                        size="2",
                        color_scheme="gray",
                        id="venue-tickets",
                    ),
                    wrap="wrap",
                ),
                error_callout(VenueState.error, "venue-error"),
                rx.cond(
                    (VenueState.last_finished != "") & (VenueState.entry_status != "active"),
                    rx.callout(
                        "You have finished this venue. "
                        + VenueState.last_finished
                        + " A new visit costs its tickets again and pays its rewards again.",
                        icon="circle-check",
                        color_scheme="green",
                        id="venue-finished",
                    ),
                ),
                rx.cond(
                    VenueState.entry_status == "active",
                    rx.callout(
                        "You're in. Work through the exercises in order, then finish the visit.",
                        icon="door-open",
                        color_scheme="violet",
                    ),
                    rx.cond(
                        VenueState.can_enter,
                        rx.button(
                            rx.icon("door-open"),
                            rx.cond(VenueState.last_finished != "", "Visit again for ", "Enter for "),
                            VenueState.ticket_cost,
                            rx.cond(VenueState.ticket_cost == 1, " ticket", " tickets"),
                            size="3",
                            on_click=VenueState.enter,
                            id="enter-venue",
                        ),
                        rx.callout(VenueState.lock_reason, icon="lock", color_scheme="gray", id="venue-locked"),
                    ),
                ),
                rx.heading(VenueState.sheet_title, size="4"),
                rx.foreach(VenueState.exercises, _exercise),
                rx.cond(
                    VenueState.entry_status == "active",
                    rx.button(
                        "Finish the visit",
                        on_click=VenueState.finish,
                        size="3",
                        id="finish-venue",
                        disabled=VenueState.next_order != 0,
                    ),
                ),
                rx.cond(
                    VenueState.finished_rewards != "",
                    rx.callout(
                        "Visit complete: " + VenueState.finished_rewards,
                        icon="party-popper",
                        color_scheme="green",
                        id="venue-finished",
                    ),
                ),
                spacing="3",
                style=styles.page,
                max_width="820px",
                padding_y="2rem",
            ),
        )
    )
