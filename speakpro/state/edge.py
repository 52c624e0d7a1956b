"""The edge of every event handler: what the browser sent is checked before the handler runs.

Any client can send any handler any JSON: a string for a form, a list for a name, NaN, a megabyte, a NUL byte,
missing or extra arguments, or an event before the page loaded. Each handler declares the shape of its
arguments with `@accepts(...)`, under `@rx.event`:

    @rx.event
    @accepts(form=Form(email=Text(), password=Text()))
    async def login(self, form: dict): ...

An event that does not fit is refused whole: the handler does not run, nothing changes, and the person sees a
plain toast ("That form could not be read. Reload the page and try again."); the refusal is logged at INFO
without any value. Only the shape is checked here. What a value means (a valid email, a strong enough
password, a name without control characters) is the services' job, with messages that name the field.

The shapes:
- `Text(max_chars)`: a str of at most `max_chars` characters with no NUL (PostgreSQL cannot store it) and no
  lone surrogate (it cannot be encoded). The limits sit far above what the page's inputs allow, so a person
  who pastes too much still gets the service's own "at most N characters" message.
- `Flag()`: a checkbox: a bool, or a short text such as "on".
- `Number(low, high)`: an int or a float (not a bool), finite, from `low` to `high`.
- `Form(**fields)`: a mapping with text keys, at most `MAX_FIELDS` of them, where each declared field that is
  present fits its shape. A declared field may be absent (the handler reads its default); undeclared fields
  are never read. The handler receives a plain dict.
- `Maybe(shape)`: None, or the shape.
- `Files(max_files)`: an upload handler's files (`list[rx.UploadFile]`), at most `max_files` of them.
- `Unchecked(why)`: passed on as is, for a value that a service validates completely and answers through its
  own protocol (transcript batches are acknowledged segment by segment).

Every parameter of the handler must be declared. An argument with a default may be left out; a missing or an
unknown argument refuses the event. `loaded=("run_id", ...)` names state attributes the page's `load` sets:
while one is empty, the event is refused with "This page has not finished loading".

A handler (or a guard it calls) may end early by raising `Answered(event)`: the wrapper sends that event (the
redirect to login, the "database unavailable" toast) instead, with the state as it stands.

Reflex's built-in `setvar` event, which every state has, goes through the same door (`CheckedSetvar`).
`EventShapeMiddleware` refuses the two wire shapes that fail inside Reflex before any handler runs.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import reflex as rx
from reflex.middleware.middleware import Middleware
from reflex.state import StateUpdate
from reflex_base.event import Event, EventHandler, EventSpec
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY

from speakpro.services.validation import storable

Handler = TypeVar("Handler", bound=Callable[..., Any])

log = logging.getLogger(__name__)

SHORT = 1_000  # single-line fields: the page allows at most 256 characters
LONG = 100_000  # answers and transcripts: the services allow at most 10,000 characters
MAX_FIELDS = 64
REFUSED_TOAST_ID = "refused-input"

FORM_UNREADABLE = "That form could not be read. Reload the page and try again."
REQUEST_UNREADABLE = "That request could not be read. Reload the page and try again."
TOO_LONG = "What you sent is far too long. Shorten it and try again."
BAD_CHARACTERS = "What you sent contains characters that cannot be stored. Remove them and try again."
NOT_LOADED = "This page has not finished loading. Reload the page and try again."


class Answered(Exception):  # noqa: N818 - not an error: the handler's answer, sent early
    """Ends a handler with `event` as its answer (see the module docstring)."""

    def __init__(self, event: Any):
        super().__init__("answered early")
        self.event = event


class _Refused(Exception):
    """A value that does not fit its shape; `unreadable` is the wrong type or structure."""

    def __init__(self, reason: str, message: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.message = message  # None: "could not be read", worded for a form or a request


@dataclass(frozen=True)
class Text:
    """A str of at most `max_chars` characters that can be stored (see the module docstring)."""

    max_chars: int = SHORT

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise _Refused("not text")
        if len(value) > self.max_chars:
            raise _Refused(f"longer than {self.max_chars} characters", TOO_LONG)
        if not storable(value):
            raise _Refused("a NUL byte or a lone surrogate", BAD_CHARACTERS)
        return value


@dataclass(frozen=True)
class Flag:
    """A checkbox: a bool, or a short text such as "on" (the handler reads what it means)."""

    def check(self, value: Any) -> bool | str:
        return value if isinstance(value, bool) else Text(16).check(value)


_TICKED = (True, "on", "true")
_UNTICKED = (None, False, "", "off", "false")


def ticked(form: Mapping[str, Any], name: str) -> bool | None:
    """Whether a `Flag` field of a form was ticked (the page sends a boolean; a plain form "on" or nothing),
    or None for a value no browser sends."""
    value = form.get(name)
    value = value.strip().lower() if isinstance(value, str) else value
    if value in _TICKED:
        return True
    return False if value in _UNTICKED else None


@dataclass(frozen=True)
class Number:
    """An int or a float (not a bool), finite, from `low` to `high`."""

    low: float
    high: float

    def check(self, value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Refused("not a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise _Refused("not a finite number")
        if not self.low <= value <= self.high:
            raise _Refused(f"outside {self.low}..{self.high}")
        return value


@dataclass(frozen=True, init=False)
class Form:
    """A mapping of named fields; the declared ones that are present fit their shapes."""

    fields: dict[str, Any]

    def __init__(self, **fields: Any):
        object.__setattr__(self, "fields", fields)

    def check(self, value: Any) -> dict:
        if not isinstance(value, Mapping):
            raise _Refused("not a form")
        if len(value) > MAX_FIELDS:
            raise _Refused(f"more than {MAX_FIELDS} fields")
        if not all(isinstance(key, str) for key in value):
            raise _Refused("a field name that is not text")
        checked = dict(value)
        for name, shape in self.fields.items():
            if name in checked:
                try:
                    checked[name] = shape.check(checked[name])
                except _Refused as refused:
                    raise _Refused(f"field {name}: {refused.reason}", refused.message) from None
        return checked


@dataclass(frozen=True)
class Maybe:
    """None, or `shape`."""

    shape: Any

    def check(self, value: Any) -> Any:
        return None if value is None else self.shape.check(value)


@dataclass(frozen=True)
class Files:
    """What an upload handler receives: a list of at most `max_files` uploaded files (their content is read,
    with a size limit, by the handler)."""

    max_files: int = 1

    def check(self, value: Any) -> list:
        if not isinstance(value, list) or not all(isinstance(item, rx.UploadFile) for item in value):
            raise _Refused("not a list of uploaded files")
        if len(value) > self.max_files:
            raise _Refused(f"more than {self.max_files} files", f"Choose at most {self.max_files} file(s).")
        return value


@dataclass(frozen=True)
class Unchecked:
    """Passed on as is: `why` names the service that validates it completely."""

    why: str

    def check(self, value: Any) -> Any:
        return value


def _is_form(shape: Any) -> bool:
    return isinstance(shape, Form) or (isinstance(shape, Maybe) and _is_form(shape.shape))


def refusal(message: str) -> EventSpec:
    """The toast that tells the person their event was refused (and that nothing changed)."""
    return rx.toast.error(message, id=REFUSED_TOAST_ID)


def accepts(*, loaded: tuple[str, ...] = (), **shapes: Any) -> Callable[[Handler], Handler]:
    """Declare the shape of every argument of an event handler (see the module docstring).

    Args:
        loaded: State attributes that the page's `load` sets; the event is refused while one is empty.
        **shapes: One shape per parameter of the handler (after `self`).

    Returns:
        A decorator that keeps the handler's kind (plain, coroutine or async generator) and signature.

    Raises:
        TypeError: At import, when the shapes do not name exactly the handler's parameters.
    """

    def decorate(fn: Handler) -> Handler:
        signature = inspect.signature(fn)
        names = list(signature.parameters)[1:]
        if set(names) != set(shapes):
            raise TypeError(f"@accepts of {fn.__qualname__} must declare exactly its arguments {names}")

        def admit(state: Any, args: tuple, kwargs: dict) -> inspect.BoundArguments:
            for name in loaded:
                if not getattr(state, name):
                    raise _Refused(f"before load ({name} is empty)", NOT_LOADED)
            try:
                bound = signature.bind(state, *args, **kwargs)
            except TypeError:
                raise _Refused("missing or unknown arguments") from None
            for name in names:
                if name in bound.arguments:
                    try:
                        bound.arguments[name] = shapes[name].check(bound.arguments[name])
                    except _Refused as refused:
                        unreadable = FORM_UNREADABLE if _is_form(shapes[name]) else REQUEST_UNREADABLE
                        raise _Refused(f"{name}: {refused.reason}", refused.message or unreadable) from None
            return bound

        def refuse(refused: _Refused) -> EventSpec:
            log.info("event %s refused at the edge: %s", fn.__qualname__, refused.reason)
            return refusal(refused.message or REQUEST_UNREADABLE)

        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def stream(self, *args, **kwargs):
                try:
                    bound = admit(self, args, kwargs)
                except _Refused as refused:
                    yield refuse(refused)
                    return
                try:
                    async for update in fn(*bound.args, **bound.kwargs):
                        yield update
                except Answered as answered:
                    yield answered.event

            wrapper: Any = stream
        elif inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def coroutine(self, *args, **kwargs):
                try:
                    bound = admit(self, args, kwargs)
                except _Refused as refused:
                    return refuse(refused)
                try:
                    return await fn(*bound.args, **bound.kwargs)
                except Answered as answered:
                    return answered.event

            wrapper = coroutine

        else:

            @functools.wraps(fn)
            def plain(self, *args, **kwargs):
                try:
                    bound = admit(self, args, kwargs)
                except _Refused as refused:
                    return refuse(refused)
                try:
                    return fn(*bound.args, **bound.kwargs)
                except Answered as answered:
                    return answered.event

            wrapper = plain

        wrapper.accepted_shapes = dict(shapes)
        wrapper.accepted_loaded = tuple(loaded)
        return cast(Handler, wrapper)

    return decorate


@accepts(var_name=Text(100), value=Unchecked("the set_<var_name> handler checks it with its own @accepts"))
def setvar(self, var_name: str, value: Any):
    """Reflex's `setvar` event, limited to the state's explicit plain `set_<var_name>` handlers."""
    handler = type(self).event_handlers.get(f"set_{var_name}")
    if handler is None or inspect.iscoroutinefunction(handler.fn) or inspect.isasyncgenfunction(handler.fn):
        log.info("event %s.setvar refused at the edge: no plain setter for that name", type(self).__name__)
        return refusal(REQUEST_UNREADABLE)
    return handler.fn(self, value)


def _create_checked_setvar(cls: Any) -> None:
    # Reflex calls `_create_setvar` while it sets up each state class (`BaseState.__init_subclass__`).
    cls.setvar = cls.event_handlers["setvar"] = EventHandler(fn=setvar, state=cls)


# Reflex's own mark for a deliberate override of a built-in State method (it refuses any other).
_create_checked_setvar.__override_base_method__ = True  # pyright: ignore[reportFunctionMemberAccess]


class CheckedSetvar:
    """Mixed into SpeakPro's base states, before `rx.State`.

    Reflex gives every state a `setvar(var_name, value)` event that calls `set_<var_name>`; any client can send
    it with any name, and an unknown one raised AttributeError. Here it reaches only a state's explicit plain
    setters, through their own `@accepts`.
    """

    _create_setvar = classmethod(_create_checked_setvar)


def _wire_form_ok(value: Any) -> bool:
    """Whether an event argument that carries a form's `[name, value]` entries carries them as pairs."""
    if not isinstance(value, dict) or FORM_DATA_ENTRIES_KEY not in value:
        return True
    entries = value[FORM_DATA_ENTRIES_KEY]
    return isinstance(entries, list) and all(
        isinstance(entry, list | tuple) and len(entry) == 2 and isinstance(entry[0], str) for entry in entries
    )


class EventShapeMiddleware(Middleware):
    """Refuses an event whose payload Reflex itself cannot unpack, before any handler runs.

    Two shapes fail inside Reflex's own event processing, where no handler's `@accepts` can see them: a
    payload that is not an object, and a form whose entries are not `[name, value]` pairs (Reflex then also
    logs the whole form, passwords included, at WARNING). Add it with `app.add_middleware(EventShapeMiddleware())`.
    """

    async def preprocess(self, app: Any, state: Any, event: Event) -> StateUpdate | None:
        payload = event.payload
        if isinstance(payload, dict) and all(_wire_form_ok(value) for value in payload.values()):
            return None
        log.info("event %r refused at the edge: its payload cannot be unpacked", str(event.name)[:200])
        return StateUpdate(events=Event.from_event_type(refusal(FORM_UNREADABLE)))
