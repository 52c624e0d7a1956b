"""A bounded fuzzer over every event handler of every SpeakPro state.

Every state class under `speakpro.state` is found at collection time and every event handler it registers
(`setvar` included) is called the way Reflex calls it (the wire-shape middleware, Reflex's payload
conversion, then `handler.fn(state, **payload)`), before its page loaded and after, as an anonymous visitor,
a signed-in learner and (for the manager and admin pages) a manager who is also an admin. A new handler is
fuzzed without editing this file.

Two kinds of payload, from a fixed list plus a few seeded random structures:
- **malformed**: missing and extra arguments, a form that is a string, number, list or null, a field of the
  wrong type, NaN and infinities, negative numbers, 1 MB of text, 200 levels of nesting, NUL bytes and lone
  surrogates. Each must be refused whole at the edge: the refusal toast is answered, the state is unchanged
  and every table's checksum is unchanged (no exception at all: nothing ran).
- **hostile text** that is well typed (bidi overrides, emoji, zero-width and combining characters, control
  characters, markup, SQL, format strings, near-limit lengths): the handler's own validation decides. A
  refusal (an error toast or message) changes nothing but the tables that count attempts (`ATTEMPT_TABLES`);
  an accepted value may change what the handler is for.

Then every handler again, with a valid payload, at hostile page addresses (NUL bytes, lone surrogates, 10,000
characters, "²" as a page number): the path and query a state reads come from the browser with every event.

Always: no exception escapes a handler, nothing is logged at ERROR by a `speakpro` logger, no answer or state
var shows exception text, and afterwards the same state still loads and answers a valid call.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import logging
import math
import pkgutil
import random
import re
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
import reflex as rx
from reflex.istate.data import SessionData
from reflex_base.event import Event
from reflex_base.event.processor.base_state_processor import _prepare_event_payload
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY
from sqlalchemy import select, text

import speakpro.state
from speakpro import routes
from speakpro.models import Venue
from speakpro.seed.catalog import seed_catalog
from speakpro.services.accounts import accounts, onboarding, sessions, throttle
from speakpro.services.validation import storable
from speakpro.services.world import venues
from speakpro.state import edge
from speakpro.state.edge import Flag, Form, Maybe, Number, Text, Unchecked
from tests.factories import days_ago, make_company, make_practice_session, make_topic
from tests.factories_world import grant, unlock
from tests.fuzzing import EXCEPTION_TEXT, Checksums, ErrorLog, changed_tables
from tests.signin import at_url, run, sign_in

SEED = 20_260_401
MEGABYTE = "x" * (1024 * 1024)

# Tables that count attempts by design, so a refused well-typed value may change them: failed logins,
# sign-ups and account-deletion confirmations count against the login throttle (`services/accounts/throttle.py`).
ATTEMPT_TABLES = frozenset({"login_throttles"})
# Columns that any signed-in request may touch: `last_seen_at` keeps the idle timeout (at most every few minutes).
SKIP_FIELDS = re.compile(r"^(router|rx_router|_reflex|is_hydrated)")
# States whose pages are for managers and admins: fuzzed as a manager-admin too.
MANAGER_STATES = frozenset({"AdminState", "AdminOverviewState", "CompanyState", "DashboardState"})


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


# --- malformed values, per shape ------------------------------------------------------------------------

NOT_TEXT = [
    0,
    -1,
    -(2**70),
    2**63,
    1.5,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    None,
    [],
    ["a"],
    {},
    {"a": "b"},
    _nested(200),
]
UNSTORABLE = [MEGABYTE, "a\x00b", "\x00", "\ud800", "lone \udfff tail", "x" * (edge.LONG + 1)]
NOT_A_FORM = ["", "a form", 0, -1, 3.5, math.nan, math.inf, True, [], [["email", "x"]], _nested(200)]


def _bad_values(shape: Any) -> list[Any]:
    """Values that `shape` must refuse."""
    if isinstance(shape, Maybe):
        return [v for v in _bad_values(shape.shape) if v is not None]
    if isinstance(shape, Text):
        return [*NOT_TEXT, *(v for v in UNSTORABLE if len(v) > shape.max_chars or not storable(v))]
    if isinstance(shape, Flag):
        return [v for v in NOT_TEXT if not isinstance(v, bool)] + ["x" * 17, "a\x00", "\ud800"]
    if isinstance(shape, Number):
        return [
            "3",
            "",
            None,
            True,
            math.nan,
            math.inf,
            -math.inf,
            shape.low - 1,
            shape.high * 2 + 1,
            10**400,
            [],
            {},
            _nested(50),
        ]
    if isinstance(shape, Form):
        too_many = {f"f{i}": "x" for i in range(edge.MAX_FIELDS + 1)}
        return [*NOT_A_FORM, None, too_many, {1: "x"}]
    return []


def _example(shape: Any) -> Any:
    """A value of the right shape (what a browser would send)."""
    if isinstance(shape, Maybe):
        return _example(shape.shape)
    if isinstance(shape, Text):
        return "ok"
    if isinstance(shape, Flag):
        return True
    if isinstance(shape, Number):
        return shape.low
    if isinstance(shape, Form):
        return {name: _example(field) for name, field in shape.fields.items()}
    return []  # Unchecked: an empty transcript batch


HOSTILE_TEXT = [
    "",
    "   \t ",
    "admin\u202egnp.exe",
    "🎤🔥👩‍👩‍👧‍👦",
    "Zoë Ørsted 日本語 עברית مرحبا",
    "a\u200bb\ufeffc\u2028d",
    "e\u0301" * 40,
    "\x1b[31mred\x07\x7f",
    "<script>alert('x')</script>",
    "'; DROP TABLE users; --",
    "%s%n{0}{self.__class__}../../etc/passwd",
    "-1e309",
    "0001-01-01",
    "9999-12-31",
    "y" * 999,
]


# Page addresses: the path and query a state reads come with every event, from the browser.
HOSTILE_PATHS = [
    "/\x00",
    "/a\x00b/\x00",
    "/\ud800",
    "/" + "v" * 10_000,
    "/%00%ZZ%ff",
    "/🎤\u202e",
    "/-1",
    "/" + str(uuid.UUID(int=0)),
]
HOSTILE_QUERIES = [
    "?page=²",
    "?page=99999999999999999999",
    "?next=//evil.example&code=\x00&error=<b>x</b>",
    "?code=\ud800&next=\ud800",
    "?code=" + "c" * 10_000,
]


def _hostile_urls(base: str) -> list[str]:
    """The page's own address with each hostile last segment (and the company pages' middle one), and queries."""
    stem = base.rstrip("/").rsplit("/", 1)[0] if base.count("/") > 1 else ""
    urls = [stem + path for path in HOSTILE_PATHS] + [base + query for query in HOSTILE_QUERIES]
    if base.endswith("/dashboard"):
        urls += ["/company" + path + "/dashboard" for path in HOSTILE_PATHS]
    return urls


# --- the handlers ----------------------------------------------------------------------------------------


def _state_classes() -> list[type[rx.State]]:
    for module in pkgutil.iter_modules(speakpro.state.__path__):
        importlib.import_module(f"speakpro.state.{module.name}")
    found, todo = {}, [rx.State]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("speakpro.") and not cls._mixin:
            found[cls.get_full_name()] = cls
    return [found[name] for name in sorted(found)]


STATES = _state_classes()


def _shapes(handler) -> dict[str, Any]:
    return getattr(handler.fn, "accepted_shapes", {})


def _valid_payload(cls, name: str, handler) -> dict[str, Any] | None:
    """A payload the edge must let through, or None when the handler has none (setvar without a setter)."""
    if name == "setvar":
        setters = [
            n
            for n, h in cls.event_handlers.items()
            if n.startswith("set_") and not inspect.iscoroutinefunction(h.fn) and not inspect.isasyncgenfunction(h.fn)
        ]
        if not setters:
            return None
        setter = cls.event_handlers[setters[0]]
        [(_, shape)] = _shapes(setter).items()
        return {"var_name": setters[0].removeprefix("set_"), "value": _example(shape)}
    return {param: _example(shape) for param, shape in _shapes(handler).items()}


def _wire(payload: dict[str, Any], index: int) -> dict[str, Any]:
    """Every other mapping argument as the browser sends a submitted form: `[name, value]` entries."""
    if index % 2:
        return payload
    return {
        k: {FORM_DATA_ENTRIES_KEY: [[f, v] for f, v in value.items()]}
        if isinstance(value, dict) and all(isinstance(f, str) for f in value) and FORM_DATA_ENTRIES_KEY not in value
        else value
        for k, value in payload.items()
    }


def _malformed(cls, name: str, handler, rng: random.Random) -> list[dict[str, Any] | Any]:
    """Payloads the edge must refuse whole."""
    shapes = _shapes(handler)
    signature = inspect.signature(handler.fn)
    valid = _valid_payload(cls, name, handler) or {p: _example(s) for p, s in shapes.items()}
    cases: list[Any] = [{**valid, "unexpected": "x"}, {**valid, "form": {"a": 1}, "__class__": 1}]
    if any(p.default is inspect.Parameter.empty for p in list(signature.parameters.values())[1:]):
        cases.append({})
    for param, shape in shapes.items():
        cases += [{**valid, param: bad} for bad in _bad_values(shape)]
        form = shape.shape if isinstance(shape, Maybe) else shape
        if isinstance(form, Form):
            for field, field_shape in form.fields.items():
                cases += [{**valid, param: {**valid[param], field: bad}} for bad in _bad_values(field_shape)]
            # What Reflex itself cannot unpack (refused by the wire-shape middleware).
            cases += [
                {**valid, param: {FORM_DATA_ENTRIES_KEY: "abc"}},
                {**valid, param: {FORM_DATA_ENTRIES_KEY: [["only a name"], [1, 2]]}},
            ]
    if name == "setvar" and cls.event_handlers.keys() & {f"set_{valid.get('var_name')}"}:
        setter = cls.event_handlers[f"set_{valid['var_name']}"]
        [(_, shape)] = _shapes(setter).items()
        cases += [{**valid, "value": bad} for bad in _bad_values(shape)]
    cases += ["not an object", [1, 2, 3], None]  # a payload that is not an object at all
    # A few seeded random structures in every argument (none of them a mapping, which a form may be).
    junk = [
        rng.choice(
            [
                math.nan,
                -rng.randint(1, 10**9),
                [_nested(rng.randint(20, 80))],
                "\x00" * rng.randint(1, 5),
                [rng.random()] * rng.randint(1, 50),
            ]
        )
        for _ in range(3)
    ]
    cases += [{**valid, param: value} for param in shapes for value in junk if not isinstance(shapes[param], Unchecked)]
    return cases


def _hostile(cls, name: str, handler) -> list[dict[str, Any]]:
    """Well-typed payloads: each hostile text in every text field (and text argument) at once."""
    valid = _valid_payload(cls, name, handler)
    if valid is None:
        return [{"var_name": value, "value": "x"} for value in HOSTILE_TEXT]
    cases = []
    for value in HOSTILE_TEXT:
        payload = dict(valid)
        for param, shape in _shapes(handler).items():
            inner = shape.shape if isinstance(shape, Maybe) else shape
            if isinstance(inner, Text) and param != "var_name":
                payload[param] = value
            elif isinstance(inner, Form):
                payload[param] = {
                    f: value if isinstance(s, Text) else payload[param][f] for f, s in inner.fields.items()
                }
        if payload != valid:
            cases.append(payload)
    return cases


# --- calling a handler the way Reflex does ---------------------------------------------------------------


async def deliver(state, handler, payload: Any) -> list:
    """The wire-shape middleware, Reflex's payload conversion, then the handler; returns what it answered."""
    update = await edge.EventShapeMiddleware().preprocess(
        app=None, state=state, event=Event(name=f"{type(state).get_full_name()}.{handler.fn.__name__}", payload=payload)
    )
    if update is not None:
        return list(update.events)
    kwargs = _prepare_event_payload(handler, payload)
    return await run(lambda: handler.fn(state, **kwargs))


def _refused_at_edge(events: list) -> bool:
    return any(edge.REFUSED_TOAST_ID in str(event) for event in events)


def _refused(events: list, state) -> bool:
    """Whether the handler said no: an error toast, or an error message in its state. (A warning such as "Not
    quite yet" answers an attempt that was scored and recorded.)"""
    said_no = any('["error"]' in str(e) for e in events)
    return said_no or any(
        name.endswith("error") and isinstance(getattr(state, name, ""), str) and getattr(state, name)
        for name in type(state).__fields__
    )


def _snapshot(state) -> dict[str, Any]:
    return {name: copy.deepcopy(getattr(state, name)) for name in type(state).__fields__ if not SKIP_FIELDS.match(name)}


def _texts(events: list, state) -> list[str]:
    shown = [str(e) for e in events]
    shown += [str(v) for name, v in _snapshot(state).items() if isinstance(v, str) and not name.startswith("_")]
    return shown


# --- the world the handlers run in -----------------------------------------------------------------------


@dataclasses.dataclass
class World:
    learner: Any
    manager: Any
    company: Any
    urls: dict[str, str]


def _onboarded(session, email_prefix: str):
    user = accounts.signup(
        session=session, email=f"{email_prefix}-{uuid.uuid4().hex[:8]}@example.com", password="a sturdy passphrase"
    )
    persona = {
        "job_role": "Account executive",
        "audience": "Prospective customers",
        "main_goal": "Run confident discovery calls",
        "practice_for": "Sales conversations",
        "comfort_speaking": "3",
        "comfort_selling": "3",
    }
    onboarding.complete_onboarding(session=session, user_id=user.id, persona=onboarding.validate_persona(persona))
    return user


def _world(session) -> World:
    seed_catalog(session)
    company = make_company(session)
    learner = _onboarded(session, "learner")
    manager = _onboarded(session, "manager")
    manager.is_admin = True
    session.execute(
        text("UPDATE user_profiles SET company_id = :c WHERE user_id = :u"), {"c": company.id, "u": learner.id}
    )
    session.execute(
        text("UPDATE user_profiles SET company_id = :c, role = 'manager' WHERE user_id = :u"),
        {"c": company.id, "u": manager.id},
    )
    lesson_id = session.execute(
        text(
            "SELECT l.id FROM lessons l JOIN modules m ON m.id = l.module_id JOIN levels v ON v.id = m.level_id "
            'ORDER BY v.number, m."order", l."order" LIMIT 1'
        )
    ).scalar_one()
    # The learner is inside a venue, so its exercise and finish handlers have something to act on.
    venue = session.execute(select(Venue).order_by(Venue.slug).limit(1)).scalar_one()
    unlock(session, learner, venue)
    grant(session, learner.id, "tickets", venue.ticket_cost)
    venues.enter_venue(session=session, user_id=learner.id, venue_id=venue.id, request_key=uuid.uuid4().hex)
    topic = make_topic(session)
    live = make_practice_session(session, learner, topic, status="active", mode="solo")
    started = days_ago(1)
    done = make_practice_session(
        session,
        learner,
        topic,
        status="ended",
        started_at=started,
        ended_at=started + timedelta(minutes=1),
        duration_seconds=60,
    )
    session.flush()
    urls = {
        "LessonState": f"/lesson/{lesson_id}",
        "VenueState": routes.venue(venue.slug),
        "CompanyState": routes.company(company.slug),
        "DashboardState": routes.company_dashboard(company.slug),
        "PracticeLiveState": routes.practice_live(str(live.id)),
        "SessionDetailState": routes.practice_session(str(done.id)),
        "JoinState": routes.join(company.join_code),
    }
    return World(learner=learner, manager=manager, company=company, urls=urls)


_ADDRESSES = iter(range(1, 10**6))


def _fresh_state(cls, session, world: World, viewer: str):
    """A new state of `cls` on its page, from its own network address, signed in as `viewer`."""
    state = cls()
    n = next(_ADDRESSES)
    address = f"10.{n >> 16}.{n >> 8 & 255}.{n & 255}"
    state.router = dataclasses.replace(state.router, session=SessionData(client_ip=address))
    at_url(state, world.urls.get(cls.__name__, "/"))
    user = {"learner": world.learner, "manager": world.manager}.get(viewer)
    if user is not None:
        sign_in(state, sessions.create_session(session=session, user_id=user.id))
    return state


# --- the test --------------------------------------------------------------------------------------------


def _viewers(cls) -> list[str]:
    return ["anonymous", "learner", *(["manager"] if cls.__name__ in MANAGER_STATES else [])]


def test_every_handler_declares_its_arguments_at_the_edge():
    """`@accepts` on every handler (a removed or forgotten one fails here before the fuzzer even runs)."""
    unguarded = [
        f"{cls.__name__}.{name}"
        for cls in STATES
        for name, handler in cls.event_handlers.items()
        if not hasattr(handler.fn, "accepted_shapes")
    ]
    assert unguarded == []
    assert len(STATES) >= 20 and sum(len(cls.event_handlers) for cls in STATES) >= 80


@pytest.mark.parametrize("cls", STATES, ids=[cls.__name__ for cls in STATES])
async def test_hostile_events_are_refused_or_handled_and_change_nothing(session, monkeypatch, cls):
    # The fuzzer fails many logins on purpose; the throttle's delays are tested in test_auth_states.py.
    monkeypatch.setattr(throttle, "MAX_DELAY_SECONDS", 0.0)
    world = _world(session)
    checksums = Checksums(session)
    rng = random.Random(f"{SEED}:{cls.get_full_name()}")
    errors = ErrorLog()
    speakpro_log = logging.getLogger("speakpro")
    speakpro_log.addHandler(errors)
    failures: list[str] = []
    calls = 0
    started = time.perf_counter()

    def fail(where: str, payload: Any, problem: str) -> None:
        failures.append(f"{where} {repr(payload)[:160]}: {problem}")

    async def call(state, where: str, handler, payload: Any) -> list | None:
        nonlocal calls
        calls += 1
        logged = len(errors.records)
        try:
            events = await deliver(state, handler, payload)
        except Exception as error:  # noqa: BLE001 - every escape is a finding
            fail(where, payload, f"raised {type(error).__name__}: {str(error)[:200]}")
            return None
        if len(errors.records) > logged:
            fail(where, payload, f"logged at ERROR: {errors.records[-1].getMessage()[:200]}")
        shown = [t for t in _texts(events, state) if EXCEPTION_TEXT.search(t)]
        if shown:
            fail(where, payload, f"shows exception text: {shown[0][:200]}")
        return events

    try:
        for viewer in _viewers(cls):
            for loaded in (False, True):
                if loaded and ("load" not in cls.event_handlers or viewer == "anonymous"):
                    continue
                for name, handler in sorted(cls.event_handlers.items()):
                    where = f"{cls.__name__}.{name} [{viewer}, {'after' if loaded else 'before'} load]"
                    state = _fresh_state(cls, session, world, viewer)
                    if loaded:
                        await call(state, where + " load", cls.event_handlers["load"], {})
                    # Malformed: refused whole at the edge; the state and every table unchanged.
                    before, held = checksums(), _snapshot(state)
                    for index, payload in enumerate(_malformed(cls, name, handler, rng)):
                        payload = _wire(payload, index) if isinstance(payload, dict) else payload
                        events = await call(state, where, handler, payload)
                        if events is not None and not _refused_at_edge(events):
                            fail(where, payload, "was not refused at the edge")
                    if _snapshot(state) != held:
                        fail(where, "malformed payloads", "changed the state")
                    if changed := changed_tables(before, checksums()):
                        fail(where, "malformed payloads", f"changed tables {sorted(changed)}")
                    # Hostile but well-typed text: the handler decides; a refusal changes no data.
                    for index, payload in enumerate(_hostile(cls, name, handler)):
                        before = checksums()
                        events = await call(state, where, handler, _wire(payload, index))
                        refused = events is not None and _refused(events, state)
                        if refused and (changed := changed_tables(before, checksums()) - ATTEMPT_TABLES):
                            fail(where, payload, f"refused, yet changed tables {sorted(changed)}")
                    # The client still works: the page loads, and a valid call is not refused at the edge.
                    valid = _valid_payload(cls, name, handler)
                    if "load" in cls.event_handlers:
                        await call(state, where + " reload", cls.event_handlers["load"], {})
                    if valid is not None:
                        events = await call(state, where + " valid", handler, _wire(valid, 0))
                        if (
                            events is not None
                            and _refused_at_edge(events)
                            and not getattr(handler.fn, "accepted_loaded", ())
                        ):
                            fail(where, valid, "a valid call was refused at the edge")
        # Hostile page addresses: every handler, before and after load, with a valid payload.
        for viewer in _viewers(cls):
            for url in _hostile_urls(world.urls.get(cls.__name__, "/home")):
                for name, handler in sorted(cls.event_handlers.items()):
                    where = f"{cls.__name__}.{name} [{viewer}, at {url[:60]!r}]"
                    valid = _valid_payload(cls, name, handler)
                    if valid is None:
                        continue
                    state = at_url(_fresh_state(cls, session, world, viewer), url)
                    before = checksums()
                    events = await call(state, where, handler, valid)
                    refused = events is not None and _refused(events, state)
                    if refused and (changed := changed_tables(before, checksums()) - ATTEMPT_TABLES):
                        fail(where, valid, f"refused, yet changed tables {sorted(changed)}")
    finally:
        speakpro_log.removeHandler(errors)
    elapsed = time.perf_counter() - started
    print(f"\n[fuzz] {cls.__name__}: {len(cls.event_handlers)} handlers, {calls} calls, {elapsed:.1f} s")
    assert failures == [], f"{len(failures)} findings:\n" + "\n".join(failures[:60])
