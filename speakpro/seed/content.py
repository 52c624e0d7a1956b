"""The published catalogue, read from `seed/data/*.json` and validated against `seed/schema.py` as it is read.

Levels and modules (with their lessons and knowledge blocks), the districts of the map with their venues, the
practice topics, the demo learner's dialogues and the daily quest types. Each file holds a JSON list; a file
that does not match its declared type stops the import with a `ContentError` naming the file and the field.
The values handed out are the files' plain data (dicts and lists), already checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from speakpro.seed import schema

DATA = Path(__file__).with_name("data")


class ContentError(Exception):
    """A catalogue file that is missing, is not JSON, or does not match its declared type."""


def load(name: str, model: type[BaseModel], folder: Path = DATA) -> list[dict[str, Any]]:
    """The rows of `folder/<name>.json`, each checked against `model`."""
    path = folder / f"{name}.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ContentError(f"{path.name}: {error}") from None
    try:
        TypeAdapter(list[model]).validate_python(rows)  # pyright: ignore[reportInvalidTypeForm]  # a model chosen at run time
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ContentError(f"{path.name}: {where}: {first['msg']} ({error.error_count()} problem(s))") from None
    return rows


LEVELS = load("levels", schema.Level)
MODULES = load("modules", schema.Module)
DISTRICTS = load("districts", schema.District)
TOPICS = load("topics", schema.Topic)
DEMO_DIALOGUES = load("demo_dialogues", schema.Dialogue)
QUEST_TYPES = load("quest_types", schema.QuestType)
