"""The catalogue's data files match their declared types, and a broken file is refused with its name and field."""

from __future__ import annotations

import json

import pytest

from speakpro.seed import content, schema


def test_every_data_file_loads_and_holds_the_published_catalogue():
    assert [level["number"] for level in content.LEVELS] == [1]
    assert [module["code"] for module in content.MODULES] == ["A", "B", "C", "D"]
    assert sum(len(district["venues"]) for district in content.DISTRICTS) == 11
    assert len(content.TOPICS) == 12
    steps = [step for module in content.MODULES for lesson in module["lessons"] for step in lesson["steps"]]
    assert {step["kind"] for step in steps} == set(schema.STEP_FIELDS)


def _write(tmp_path, name, rows):
    (tmp_path / f"{name}.json").write_text(json.dumps(rows), encoding="utf-8")


def _module_with(step: dict) -> dict:
    module = json.loads(json.dumps(content.MODULES[0]))
    module["lessons"][0]["steps"][1] = step
    return module


@pytest.mark.parametrize(
    "step, words",
    [
        (
            {"kind": "speaking", "title": "Say it", "prompt": "Open with a question."},
            "missing ['rubric', 'target_seconds']",
        ),
        ({"kind": "feedback", "title": "How it went", "prompt": "Extra"}, "unexpected ['prompt']"),
        ({"kind": "singing", "title": "La"}, "kind"),
        ({"kind": "reading", "title": "Read", "knowledge_block": "no-such-block"}, "unknown knowledge block"),
        ({"kind": "reflection", "title": "Think", "prompt": "Why?", "promt": "typo"}, "promt"),
    ],
)
def test_a_step_that_does_not_fit_its_kind_stops_the_load(tmp_path, step, words):
    _write(tmp_path, "modules", [_module_with(step)])
    with pytest.raises(content.ContentError) as refused:
        content.load("modules", schema.Module, tmp_path)
    assert str(refused.value).startswith("modules.json: 0")
    assert words in str(refused.value)


def test_a_file_that_is_not_json_or_missing_is_named(tmp_path):
    (tmp_path / "topics.json").write_text("[{", encoding="utf-8")
    with pytest.raises(content.ContentError, match=r"^topics\.json: "):
        content.load("topics", schema.Topic, tmp_path)
    with pytest.raises(content.ContentError, match=r"^levels\.json: "):
        content.load("levels", schema.Level, tmp_path)
