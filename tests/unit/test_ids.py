"""The one id parser (`services.validation.parse_id` / `id_or_none`): a UUID or its text, nothing else."""

from __future__ import annotations

import uuid

import pytest

from speakpro.services.validation import ValidationError, id_or_none, parse_id

SOME = uuid.UUID("5f1e8d4c-1111-4222-8333-444455556666")


@pytest.mark.parametrize("value", [SOME, str(SOME), f"  {SOME}\n", str(SOME).upper(), SOME.hex])
def test_a_uuid_or_its_text_is_an_id(value):
    assert id_or_none(value) == SOME
    assert parse_id(value, field="session", message="Not found.") == SOME


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "  ",
        "not-an-id",
        "5f1e8d4c",
        str(SOME) + "x",
        "\x00",
        "\ud800",
        12,
        1.5,
        True,
        [str(SOME)],
        {"id": str(SOME)},
        SOME.bytes,
        str(SOME).encode(),
    ],
)
def test_anything_else_is_refused_with_the_callers_words(value):
    assert id_or_none(value) is None
    with pytest.raises(ValidationError) as raised:
        parse_id(value, field="session", message="We could not find this session.")
    assert (raised.value.field, raised.value.message) == ("session", "We could not find this session.")
