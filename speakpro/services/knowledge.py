"""The knowledge blocks' one search: what the chatbot, the lesson feedback and the session coach give the
model as course notes.

PostgreSQL full-text search over `knowledge_blocks.search` (title over summary over body). Any word may
match: each word of the text is its own `plainto_tsquery`, bound as a parameter, and they are OR-ed with
tsquery's `||`, so no query syntax is ever built from user text (a visitor's question rarely contains every
word of a block, which one `plainto_tsquery` of the whole text would require). `ts_rank` puts blocks that
match more and better-weighted words first. Stop words match nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlmodel import Session, col

from speakpro.models import KnowledgeBlock, Module
from speakpro.services.text import words_of

MAX_SEARCH_WORDS = 60


@dataclass(frozen=True)
class KnowledgeHit:
    """A knowledge block that matched, with the module that teaches it."""

    key: str
    title: str
    summary: str
    body: str
    module_code: str
    module_title: str
    rank: float

    @property
    def label(self) -> str:
        """How the block is cited to a visitor, e.g. `Pauses and Filler Words (Module B)`."""
        return f"{self.title} (Module {self.module_code})"


def _blocks(rank):
    return select(
        col(KnowledgeBlock.key),
        col(KnowledgeBlock.title),
        col(KnowledgeBlock.summary),
        col(KnowledgeBlock.body),
        col(Module.code),
        col(Module.title),
        rank,
    ).join(Module, col(Module.id) == col(KnowledgeBlock.module_id))


def search_knowledge(
    *, session: Session, query: str, limit: int, module_ids: Sequence[uuid.UUID] | None = None
) -> list[KnowledgeHit]:
    """The blocks that best match `query` (one query).

    Args:
        session: An open database session.
        query: Free text: a visitor's question, an exercise with its answer, a transcript.
        limit: How many blocks at most.
        module_ids: Only blocks of these modules (None: every module; empty: none).

    Returns:
        Up to `limit` blocks, best first; empty when no word of `query` is in any block.
    """
    words = list(dict.fromkeys(words_of(query)))[:MAX_SEARCH_WORDS]
    if not words or (module_ids is not None and not module_ids):
        return []
    tsquery = func.plainto_tsquery("english", words[0])
    for word in words[1:]:
        tsquery = tsquery.op("||")(func.plainto_tsquery("english", word))
    rank = func.ts_rank(col(KnowledgeBlock.search), tsquery).label("rank")
    statement = _blocks(rank).where(col(KnowledgeBlock.search).op("@@")(tsquery))
    if module_ids is not None:
        statement = statement.where(col(KnowledgeBlock.module_id).in_(list(module_ids)))
    rows = session.execute(statement.order_by(rank.desc(), col(KnowledgeBlock.key)).limit(limit)).all()
    return [KnowledgeHit(*row) for row in rows]


def first_blocks(*, session: Session, module_ids: Sequence[uuid.UUID], limit: int) -> list[KnowledgeHit]:
    """The modules' first blocks by key (rank 0): course notes for an exercise when nothing matched."""
    if not module_ids:
        return []
    rows = session.execute(
        _blocks(literal(0.0).label("rank"))
        .where(col(KnowledgeBlock.module_id).in_(list(module_ids)))
        .order_by(col(KnowledgeBlock.key))
        .limit(limit)
    ).all()
    return [KnowledgeHit(*row) for row in rows]
