"""`/company/[slug]/scenarios`: the company's own role-play scenarios, for its managers."""

import reflex as rx

from speakpro import styles
from speakpro.components.forms import field_label
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.models.practice import DIFFICULTIES
from speakpro.state.scenarios import ScenarioRow, ScenariosState


def _area(label: str, name: str, hint: str, rows: str, max_length: int) -> rx.Component:
    return rx.vstack(
        field_label(label, name),
        rx.text_area(
            name=name,
            id=name,
            default_value=ScenariosState.form_values.get(name, ""),
            rows=rows,
            max_length=max_length,
            width="100%",
        ),
        rx.text(hint, size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def _line(label: str, name: str, max_length: int) -> rx.Component:
    return rx.vstack(
        field_label(label, name),
        rx.input(
            name=name,
            id=name,
            default_value=ScenariosState.form_values.get(name, ""),
            max_length=max_length,
            size="3",
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(
                rx.cond(ScenariosState.editing_id != "", "Edit scenario (saves a new version)", "New scenario"),
                size="4",
            ),
            _line("Title", "title", 160),
            _area(
                "Situation", "situation", "Where and why the conversation happens (at least 20 characters).", "3", 2000
            ),
            _area(
                "The partner's persona",
                "partner_persona",
                "Who the AI partner plays: role, mood, what they care about, what they push back on.",
                "3",
                1000,
            ),
            rx.vstack(
                field_label("Difficulty", "difficulty"),
                rx.el.select(
                    *[rx.el.option(d.capitalize(), value=d) for d in DIFFICULTIES],
                    name="difficulty",
                    id="difficulty",
                    default_value=ScenariosState.form_values.get("difficulty", "intermediate"),
                    style=styles.native_select,
                ),
                spacing="1",
                width="100%",
            ),
            _line("The learner's goal", "learner_goal", 500),
            _area(
                "Rubric",
                "rubric",
                "One criterion per line: Name | weight 1-10 | what good looks like. The AI partner, the AI coach "
                "and the local rubric all score sessions against it.",
                "5",
                4000,
            ),
            rx.cond(
                ScenariosState.error != "",
                rx.callout(ScenariosState.error, color_scheme="red", icon="triangle-alert", id="scenario-error"),
            ),
            rx.hstack(
                rx.button(
                    rx.cond(ScenariosState.busy, "Saving…", "Save scenario"),
                    type="submit",
                    loading=ScenariosState.busy,
                    size="3",
                    id="save-scenario",
                ),
                rx.cond(
                    ScenariosState.editing_id != "",
                    rx.button("Cancel", type="button", variant="soft", on_click=ScenariosState.new, size="3"),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=ScenariosState.save,
        key=ScenariosState.form_key,
        width="100%",
        id="scenario-form",
    )


def _scenario(row: ScenarioRow) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(row.title, size="3"),
            rx.badge(row.version, variant="soft"),
            rx.badge(row.difficulty, variant="soft", color_scheme="gray"),
            rx.cond(row.archived, rx.badge("Archived", color_scheme="gray")),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        rx.text(row.criteria, size="2", color_scheme="gray"),
        rx.hstack(
            rx.button(
                "Edit", size="2", variant="soft", on_click=ScenariosState.edit(row.id), class_name="edit-scenario"
            ),
            rx.button(
                rx.cond(row.archived, "Restore", "Archive"),
                size="2",
                variant="outline",
                color_scheme="gray",
                on_click=ScenariosState.toggle_archived(row.id),
                class_name="archive-scenario",
            ),
            spacing="2",
        ),
        spacing="2",
        width="100%",
        style=styles.card,
        class_name="scenario-row",
    )


def scenarios_page() -> rx.Component:
    """The company's scenarios and the form that writes them."""
    return page_frame(
        rx.cond(
            ScenariosState.forbidden,
            forbidden_notice("Only this company's managers can see its scenarios."),
            rx.vstack(
                rx.link("← Back to the dashboard", href=ScenariosState.dashboard_href),
                rx.heading("Scenarios", size="7"),
                rx.text(
                    ScenariosState.company_name,
                    "'s own role-plays. Your learners find them on their Practice page, beside SpeakPro's topics; "
                    "each session keeps the version it was practised with.",
                    color_scheme="gray",
                ),
                rx.grid(
                    rx.box(_form(), style=styles.card, width="100%"),
                    rx.vstack(
                        rx.cond(
                            ScenariosState.loaded & (rx.Var.create(ScenariosState.rows).length() == 0),
                            rx.text("No scenarios yet: write the first one.", color_scheme="gray"),
                        ),
                        rx.foreach(ScenariosState.rows, _scenario),
                        spacing="3",
                        width="100%",
                        id="scenario-list",
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    gap="1rem",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
        )
    )
