"""Property: however segments arrive (any order, duplicated, partials after finals, split into random
batches), the stored transcript keeps its invariants after every batch:

- each sequence that got a final holds exactly the final delivered for it (re-deliveries are identical,
  so the first and the last final delivered agree), and a stored final never changes again;
- a sequence that never got a final holds the last partial delivered;
- rows are unique per sequence and read back in sequence order;
- the finals of one speaker, in sequence order, never overlap in time.
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from speakpro.models import Topic, TranscriptSegment
from speakpro.services.practice.practice import start_practice
from speakpro.services.practice.transcripts import ingest_segments, transcript_tail
from tests.factories import make_user

WORDS = st.sampled_from(["um", "so", "we", "ship", "like", "you know", "price", "Monday", "okay", "über", "?"])


@st.composite
def utterance(draw, sequence: int) -> dict:
    """One sequence's deliveries: some partial drafts and maybe its (one) final, with overlapping times."""
    speaker = draw(st.sampled_from(["user", "ai"]))
    start = draw(st.integers(min_value=0, max_value=6000))
    length = draw(st.integers(min_value=0, max_value=3000))
    text = " ".join(draw(st.lists(WORDS, min_size=1, max_size=6)))
    final = {
        "sequence": sequence,
        "speaker": speaker,
        "text": text,
        "start_ms": start,
        "end_ms": start + length,
        "is_final": True,
    }
    drafts = [
        {**final, "text": " ".join(text.split()[:cut]), "end_ms": start + length // 2, "is_final": False}
        for cut in draw(st.lists(st.integers(min_value=0, max_value=6), max_size=3))
    ]
    has_final = draw(st.booleans())
    return {"final": final if has_final else None, "deliveries": drafts + ([final] if has_final else [])}


@st.composite
def deliveries(draw) -> tuple[dict[int, dict], list[list[dict]]]:
    """Utterances for some sequences, and their segments delivered shuffled, duplicated and batched."""
    sequences = draw(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12, unique=True))
    utterances = {s: draw(utterance(s)) for s in sequences}
    stream = [d for u in utterances.values() for d in u["deliveries"]]
    stream += draw(st.lists(st.sampled_from(stream), max_size=10)) if stream else []  # re-deliveries
    stream = draw(st.permutations(stream))
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=5)))
    batches = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    return utterances, [b for b in batches if b]


def _rows(session, transcript_id):
    c = TranscriptSegment.__table__.c
    return session.execute(
        select(c.sequence, c.speaker, c.text, c.start_ms, c.end_ms, c.is_final)
        .where(c.transcript_id == transcript_id)
        .order_by(c.sequence)
    ).all()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=deliveries())
def test_transcript_invariants_hold_after_every_batch(session, case):
    utterances, batches = case
    nested = session.begin_nested()
    try:
        user = make_user(session)
        topic = Topic(slug=f"prop-{uuid.uuid4().hex[:8]}", title="Property", difficulty="beginner")
        session.add(topic)
        session.flush()
        live = start_practice(session=session, user_id=user.id, topic_id=topic.id, mode="realtime")
        transcript_id = uuid.UUID(live.transcript_id)
        delivered: set[int] = set()
        finals_delivered: set[int] = set()
        last_partial: dict[int, str] = {}
        frozen: dict[int, tuple] = {}  # finals already stored: they must never change
        for batch in batches:
            ingest_segments(session=session, user_id=user.id, practice_session_id=live.id, segments=batch)
            for segment in batch:
                delivered.add(segment["sequence"])
                if segment["is_final"]:
                    finals_delivered.add(segment["sequence"])
                else:
                    last_partial[segment["sequence"]] = segment["text"]
            rows = _rows(session, transcript_id)
            sequences = [r.sequence for r in rows]
            assert sequences == sorted(set(sequences)) and set(sequences) == delivered
            by_sequence = {r.sequence: r for r in rows}
            for sequence in delivered:
                row = by_sequence[sequence]
                if sequence in finals_delivered:
                    final = utterances[sequence]["final"]
                    assert row.is_final and (row.speaker, row.text) == (final["speaker"], final["text"])
                    # Clamping only ever narrows the final into the span its neighbours leave.
                    assert row.start_ms <= row.end_ms
                else:
                    assert not row.is_final and row.text == last_partial[sequence]
            for sequence, before in frozen.items():
                assert tuple(by_sequence[sequence]) == before, "a stored final changed"
            frozen = {r.sequence: tuple(r) for r in rows if r.is_final}
            for speaker in ("user", "ai"):
                finals = [r for r in rows if r.is_final and r.speaker == speaker]
                for earlier, later in zip(finals, finals[1:], strict=False):
                    assert earlier.end_ms <= later.start_ms, f"finals {earlier.sequence} and {later.sequence} overlap"
        tail = transcript_tail(session=session, user_id=user.id, practice_session_id=live.id, limit=200)
        assert [t.sequence for t in tail] == sorted(delivered)
    finally:
        nested.rollback()
