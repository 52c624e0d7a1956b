"""The declared shape of the published catalogue (`seed/data/*.json`): every file is validated against these
types when it is loaded, so a typo in a data file stops the seed with the file and the field named, instead
of reaching the database as a lesson step nobody can answer.

`LessonStep` is one step of a guided lesson; its `kind` decides which fields it must carry (a reading shows a
knowledge block, speaking has a prompt, a target length and a rubric, writing a prompt, a minimum word count
and a rubric, reflection a prompt, feedback nothing more).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Text = Annotated[str, Field(min_length=1)]
Positive = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]


class Citation(_Data):
    title: Text
    author: Text
    year: Annotated[int, Field(ge=1500, le=2100)]
    note: str | None = None


class KnowledgeBlock(_Data):
    key: Text
    title: Text
    summary: Text
    body: Text
    tags: list[Text]
    exercise_seeds: list[Text]
    citations: list[Citation]


STEP_FIELDS: dict[str, frozenset[str]] = {
    "reading": frozenset({"knowledge_block"}),
    "speaking": frozenset({"prompt", "target_seconds", "rubric"}),
    "writing": frozenset({"prompt", "min_words", "rubric"}),
    "reflection": frozenset({"prompt"}),
    "feedback": frozenset(),
}


class LessonStep(_Data):
    kind: Literal["reading", "speaking", "writing", "reflection", "feedback"]
    title: Text
    knowledge_block: Text | None = None
    prompt: Text | None = None
    target_seconds: Positive | None = None
    min_words: Positive | None = None
    rubric: list[Text] | None = None

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> LessonStep:
        given = {
            name
            for name in ("knowledge_block", "prompt", "target_seconds", "min_words", "rubric")
            if getattr(self, name) is not None
        }
        wanted = STEP_FIELDS[self.kind]
        if given != wanted:
            missing, extra = sorted(wanted - given), sorted(given - wanted)
            raise ValueError(
                f"a {self.kind} step needs {sorted(wanted) or 'no other field'}"
                + (f"; missing {missing}" if missing else "")
                + (f"; unexpected {extra}" if extra else "")
            )
        return self


class Lesson(_Data):
    order: Positive
    title: Text
    xp_reward: Count
    steps: list[LessonStep] = Field(min_length=1)


class Module(_Data):
    level: Positive
    code: Annotated[str, Field(pattern=r"^[A-Z]$")]
    order: Positive
    title: Text
    description: Text
    lesson_video_url: str | None
    xp_reward: Count
    coin_reward: Count
    ticket_reward: Count
    lessons: list[Lesson] = Field(min_length=1)
    knowledge_blocks: list[KnowledgeBlock]

    @model_validator(mode="after")
    def _readings_name_its_blocks(self) -> Module:
        keys = {block.key for block in self.knowledge_blocks}
        for lesson in self.lessons:
            for step in lesson.steps:
                if step.kind == "reading" and step.knowledge_block not in keys:
                    raise ValueError(f"lesson {lesson.order} reads unknown knowledge block {step.knowledge_block!r}")
        return self


class Level(_Data):
    number: Positive
    title: Text
    description: Text
    milestone_threshold: Annotated[int, Field(ge=0, le=100)]
    milestone_prompt: Text


class Point(_Data):
    x: Annotated[float, Field(ge=0, le=100)]
    y: Annotated[float, Field(ge=0, le=100)]


class Media(_Data):
    image: Text
    alt: Text


class VenueExercise(_Data):
    order: Positive
    kind: Literal["speaking", "writing"]
    prompt: Text
    target_seconds: Positive | None = None
    min_words: Positive | None = None

    @model_validator(mode="after")
    def _length_of_its_kind(self) -> VenueExercise:
        if (self.kind == "speaking") != (self.target_seconds is not None) or (
            (self.kind == "writing") != (self.min_words is not None)
        ):
            raise ValueError("a speaking exercise has target_seconds, a writing one min_words")
        return self


class TaskSheet(_Data):
    title: Text
    exercises: list[VenueExercise] = Field(min_length=1)


class Venue(_Data):
    slug: Text
    name: Text
    description: Text
    ticket_cost: Count
    xp_reward: Count
    coin_reward: Count
    unlocked_by_module: Annotated[str, Field(pattern=r"^[A-Z]$")]
    map: Point
    task_sheet: TaskSheet


class District(_Data):
    slug: Text
    name: Text
    order: Positive
    description: Text
    overview_media: Media
    map: Point
    venues: list[Venue]


class Topic(_Data):
    slug: Text
    title: Text
    difficulty: Literal["beginner", "intermediate", "advanced"]
    category: Text
    prompt_hint: str
    partner_role: str


class Dialogue(_Data):
    topic: Text
    turns: list[tuple[Literal["user", "ai"], Text]] = Field(min_length=1)


class QuestType(_Data):
    type: Text
    title: Text
    target: Positive
    xp: Count
    coins: Count
