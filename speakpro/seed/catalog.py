"""Load the published catalogue (curriculum, world, topics) from `seed/data/*.json` (read and
validated by `content.py`), idempotently.

Ids are derived from stable keys (uuid5), and rows are upserted, so running the seed twice leaves the
same rows, and a corrected text in a data file reaches the database on the next run.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, SQLModel

from speakpro.models import District, KnowledgeBlock, Lesson, Level, Module, Topic, Venue, VenueTaskSheet
from speakpro.seed import content

NAMESPACE = uuid.UUID("6f1d3c52-8a57-4c1e-9f7e-2a4b9d0c5e11")


def stable_id(*parts: object) -> uuid.UUID:
    """A UUID that is the same on every machine for the same key."""
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


def upsert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]], keep: tuple[str, ...] = ()) -> None:
    """Insert rows, or bring existing ones (same id) up to date; `keep` columns are never overwritten."""
    if not rows:
        return
    stmt = insert(model).values(rows)
    columns = [c for c in rows[0] if c != "id" and c not in keep]
    session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={c: stmt.excluded[c] for c in columns}))


def seed_catalog(session: Session) -> dict[str, uuid.UUID]:
    """Upsert levels, modules, lessons, knowledge blocks, districts, venues, task sheets and topics.

    Returns:
        Module ids by code, for the demo data.
    """
    upsert(
        session,
        Level,
        [
            {
                "id": stable_id("level", lv["number"]),
                "number": lv["number"],
                "title": lv["title"],
                "description": lv["description"],
                "milestone_threshold": lv["milestone_threshold"],
                "milestone_prompt": lv["milestone_prompt"],
            }
            for lv in content.LEVELS
        ],
    )
    modules, lessons, blocks = [], [], []
    module_ids: dict[str, uuid.UUID] = {}
    for mod in content.MODULES:
        module_id = stable_id("module", mod["level"], mod["code"])
        module_ids[mod["code"]] = module_id
        modules.append(
            {
                "id": module_id,
                "level_id": stable_id("level", mod["level"]),
                "code": mod["code"],
                "order": mod["order"],
                "title": mod["title"],
                "description": mod["description"],
                "lesson_video_url": mod["lesson_video_url"],
                "xp_reward": mod["xp_reward"],
                "coin_reward": mod["coin_reward"],
                "ticket_reward": mod["ticket_reward"],
            }
        )
        for lesson in mod["lessons"]:
            lessons.append(
                {
                    "id": stable_id("lesson", mod["code"], lesson["order"]),
                    "module_id": module_id,
                    "order": lesson["order"],
                    "title": lesson["title"],
                    "xp_reward": lesson["xp_reward"],
                    "steps": copy.deepcopy(lesson["steps"]),
                }
            )
        for block in mod["knowledge_blocks"]:
            blocks.append(
                {
                    "id": stable_id("knowledge_block", block["key"]),
                    "module_id": module_id,
                    "key": block["key"],
                    "title": block["title"],
                    "summary": block["summary"],
                    "body": block["body"],
                    "tags": list(block["tags"]),
                    "exercise_seeds": list(block["exercise_seeds"]),
                    "citations": copy.deepcopy(block["citations"]),
                }
            )
    upsert(session, Module, modules)
    upsert(session, Lesson, lessons)
    upsert(session, KnowledgeBlock, blocks)

    districts, venues, sheets = [], [], []
    for district in content.DISTRICTS:
        district_id = stable_id("district", district["slug"])
        districts.append(
            {
                "id": district_id,
                "slug": district["slug"],
                "name": district["name"],
                "description": district["description"],
                "order": district["order"],
                "overview_media": dict(district["overview_media"]),
                "map_x": district["map"]["x"],
                "map_y": district["map"]["y"],
            }
        )
        for venue in district["venues"]:
            venue_id = stable_id("venue", venue["slug"])
            venues.append(
                {
                    "id": venue_id,
                    "district_id": district_id,
                    "unlock_module_id": module_ids[venue["unlocked_by_module"]],
                    "slug": venue["slug"],
                    "name": venue["name"],
                    "description": venue["description"],
                    "ticket_cost": venue["ticket_cost"],
                    "xp_reward": venue["xp_reward"],
                    "coin_reward": venue["coin_reward"],
                    "map_x": venue["map"]["x"],
                    "map_y": venue["map"]["y"],
                }
            )
            sheets.append(
                {
                    "id": stable_id("task_sheet", venue["slug"]),
                    "venue_id": venue_id,
                    "title": venue["task_sheet"]["title"],
                    "exercises": copy.deepcopy(venue["task_sheet"]["exercises"]),
                }
            )
    upsert(session, District, districts)
    upsert(session, Venue, venues)
    upsert(session, VenueTaskSheet, sheets)
    upsert(
        session,
        Topic,
        [
            {
                "id": stable_id("topic", t["slug"]),
                "slug": t["slug"],
                "title": t["title"],
                "difficulty": t["difficulty"],
                "category": t["category"],
                "prompt_hint": t["prompt_hint"],
                "partner_role": t["partner_role"],
            }
            for t in content.TOPICS
        ],
    )
    return module_ids
