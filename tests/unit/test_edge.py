"""The edge check of event handlers (`state/edge.py`): shapes, the decorator, and the wire-shape middleware."""

from __future__ import annotations

import inspect
import logging
import math

import pytest
from reflex_base.event import Event
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY

from speakpro.state import edge
from speakpro.state.edge import Flag, Form, Maybe, Number, Text, Unchecked, accepts


class Page:
    """Stands in for a state: the decorator only needs attributes."""

    run_id = ""

    def __init__(self):
        self.calls = []

    @accepts(form=Form(name=Text(10), ticked=Flag(), size=Maybe(Number(0, 5))))
    def plain(self, form: dict):
        self.calls.append(form)

    @accepts(value=Text())
    async def coroutine(self, value: str):
        self.calls.append(value)
        return "ran"

    @accepts(form=Form(text=Text()), loaded=("run_id",))
    async def generator(self, form: dict):
        self.calls.append(form)
        yield "first"
        yield "second"

    @accepts(batch=Unchecked("checked by a service"), option=Text())
    def defaults(self, batch, option: str = "x"):
        self.calls.append((batch, option))


def _refused(answer) -> str:
    text = str(answer)
    assert edge.REFUSED_TOAST_ID in text, text
    return text


@pytest.mark.parametrize("form", ["a string", 3, -1, math.nan, None, [], [["name", "x"]], True])
def test_a_form_that_is_not_a_mapping_is_refused_and_the_handler_does_not_run(form):
    page = Page()
    assert edge.FORM_UNREADABLE in _refused(page.plain(form))
    assert page.calls == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", 3, edge.FORM_UNREADABLE),
        ("name", None, edge.FORM_UNREADABLE),
        ("name", ["x"], edge.FORM_UNREADABLE),
        ("name", "x" * 11, edge.TOO_LONG),
        ("name", "a\x00b", edge.BAD_CHARACTERS),
        ("name", "\ud800", edge.BAD_CHARACTERS),
        ("ticked", ["on"], edge.FORM_UNREADABLE),
        ("ticked", "x" * 17, edge.TOO_LONG),
        *(("size", bad, edge.FORM_UNREADABLE) for bad in ("3", True, math.nan, math.inf, -1, 10**400)),
    ],
)
def test_one_bad_field_refuses_the_whole_form(field, value, message):
    page = Page()
    form = {"name": "Sam", "ticked": "on", "size": 2, field: value}
    assert message in _refused(page.plain(form))
    assert page.calls == []  # not the other fields either: nothing is dropped and carried on with


def test_a_fitting_form_reaches_the_handler_whole_as_a_dict():
    page = Page()
    assert page.plain({"name": "Zoë 🎤", "ticked": True, "size": None, "anything": [1, {"x": 2}]}) is None
    assert page.calls == [{"name": "Zoë 🎤", "ticked": True, "size": None, "anything": [1, {"x": 2}]}]
    assert page.plain({}) is None and page.calls[-1] == {}  # absent fields: the handler reads its defaults
    too_many = {f"f{i}": "x" for i in range(edge.MAX_FIELDS + 1)}
    assert edge.FORM_UNREADABLE in _refused(page.plain(too_many))
    assert edge.FORM_UNREADABLE in _refused(page.plain({1: "x"}))


async def test_missing_and_extra_arguments_are_refused():
    page = Page()
    assert edge.REQUEST_UNREADABLE in _refused(await page.coroutine())
    assert edge.REQUEST_UNREADABLE in _refused(await page.coroutine("a", "b"))
    assert edge.REQUEST_UNREADABLE in _refused(await page.coroutine(value="a", extra=1))
    assert edge.REQUEST_UNREADABLE in _refused(await page.coroutine(value=1))
    assert await page.coroutine(value="a") == "ran" and page.calls == ["a"]
    assert page.defaults([{"any": "thing"}]) is None and page.calls[-1] == ([{"any": "thing"}], "x")


async def test_before_the_page_loaded_the_event_is_refused():
    page = Page()
    assert [_refused(answer) for answer in [a async for a in page.generator({"text": "hi"})]]
    assert page.calls == []
    page.run_id = "3f2a"
    assert [a async for a in page.generator({"text": "hi"})] == ["first", "second"]


def test_the_decorator_keeps_the_kind_and_the_signature_reflex_reads():
    assert not inspect.iscoroutinefunction(Page.plain)
    assert inspect.iscoroutinefunction(Page.coroutine) and inspect.isasyncgenfunction(Page.generator)
    assert list(inspect.signature(Page.plain).parameters) == ["self", "form"]
    assert Page.plain.accepted_shapes["form"].fields.keys() == {"name", "ticked", "size"}
    with pytest.raises(TypeError, match="must declare exactly its arguments"):
        accepts(other=Text())(lambda self, form: None)


def test_a_refusal_is_logged_without_the_value():
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append
    logger = logging.getLogger("speakpro.state.edge")
    level = logger.level
    logger.setLevel(logging.INFO)  # whatever LOG_LEVEL the app configured
    logger.addHandler(handler)
    try:
        Page().plain({"name": "secret-value-\x00"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    [record] = records
    assert record.levelno == logging.INFO and "Page.plain" in record.getMessage()
    assert "secret-value" not in record.getMessage()


@pytest.mark.parametrize(
    "payload",
    [
        "text",
        [1],
        None,
        {"form": {FORM_DATA_ENTRIES_KEY: "abc"}},
        {"form": {FORM_DATA_ENTRIES_KEY: [["name"]]}},
        {"form": {FORM_DATA_ENTRIES_KEY: [[1, "x"]]}},
    ],
)
async def test_the_middleware_refuses_what_reflex_cannot_unpack(payload):
    event = Event(name="a.b", payload=payload)
    update = await edge.EventShapeMiddleware().preprocess(app=None, state=None, event=event)
    assert update is not None and edge.FORM_UNREADABLE in str(update.events)


@pytest.mark.parametrize("payload", [{}, {"value": "x"}, {"form": {FORM_DATA_ENTRIES_KEY: [["name", [1, 2]]]}}])
async def test_the_middleware_lets_any_other_event_through(payload):
    assert (
        await edge.EventShapeMiddleware().preprocess(app=None, state=None, event=Event(name="a.b", payload=payload))
        is None
    )
