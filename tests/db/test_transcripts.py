"""Transcript segment ingestion: ordered, idempotent, finals never overwritten, finals of one speaker never
overlapping (clamped), only the owner's active session, all-or-nothing batches; then finalize and the tail."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from speakpro.models import Topic, Transcript, TranscriptSegment
from speakpro.services.practice.practice import end_practice, start_practice
from speakpro.services.practice.practice_access import NOT_ACTIVE, NOT_FOUND
from speakpro.services.practice.segments import MAX_BATCH, MAX_SEGMENT_CHARS
from speakpro.services.practice.transcripts import finalize_transcript, ingest_segments, transcript_tail
from speakpro.services.text import guess_language
from speakpro.services.validation import ValidationError
from tests.factories import make_user


def seg(sequence, text="hello", speaker="user", start=None, end=None, final=True) -> dict:
    start = sequence * 1000 if start is None else start
    return {
        "sequence": sequence,
        "speaker": speaker,
        "text": text,
        "start_ms": start,
        "end_ms": start + 800 if end is None else end,
        "is_final": final,
    }


@pytest.fixture
def learner(session):
    return make_user(session)


@pytest.fixture
def live(session, learner):
    topic = Topic(slug=f"topic-{uuid.uuid4().hex[:8]}", title="Discovery call", difficulty="beginner")
    session.add(topic)
    session.flush()
    return start_practice(session=session, user_id=learner.id, topic_id=topic.id, mode="realtime")


def ingest(session, learner, live, *segments):
    return ingest_segments(session=session, user_id=learner.id, practice_session_id=live.id, segments=list(segments))


def stored(session, live) -> list[tuple]:
    """(sequence, speaker, text, start_ms, end_ms, is_final) in sequence order."""
    c = TranscriptSegment.__table__.c
    return [
        tuple(r)
        for r in session.execute(
            select(c.sequence, c.speaker, c.text, c.start_ms, c.end_ms, c.is_final)
            .where(c.transcript_id == uuid.UUID(live.transcript_id))
            .order_by(c.sequence)
        )
    ]


def test_segments_are_kept_in_sequence_order_whatever_the_arrival_order(session, learner, live):
    ingest(session, learner, live, seg(2, "third", "ai"), seg(0, "first"))
    result = ingest(session, learner, live, seg(1, "second", "ai"), seg(3, "fourth", final=False))

    assert (result.inserted, result.updated, result.ignored) == (2, 0, 0)
    assert [(s[0], s[2]) for s in stored(session, live)] == [(0, "first"), (1, "second"), (2, "third"), (3, "fourth")]
    tail = transcript_tail(session=session, user_id=learner.id, practice_session_id=live.id)
    assert [t.sequence for t in tail] == [0, 1, 2, 3] and tail[3].is_final is False


def test_redelivery_is_idempotent(session, learner, live):
    batch = [seg(0, "hi"), seg(1, "typing", final=False), seg(2, "yes", "ai")]
    first = ingest(session, learner, live, *batch)
    before = session.execute(
        select(TranscriptSegment.sequence, TranscriptSegment.updated_at, TranscriptSegment.id)
        .where(TranscriptSegment.transcript_id == uuid.UUID(live.transcript_id))
        .order_by(TranscriptSegment.sequence)
    ).all()

    again = ingest(session, learner, live, *batch)
    twice_in_one = ingest(session, learner, live, *batch, *batch)

    assert (first.inserted, first.updated) == (3, 0)
    assert (again.inserted, again.updated, again.ignored) == (0, 0, 3)
    assert (twice_in_one.inserted, twice_in_one.updated, twice_in_one.ignored) == (0, 0, 6)
    assert again.conflicts == () and again.clamped == ()
    after = session.execute(
        select(TranscriptSegment.sequence, TranscriptSegment.updated_at, TranscriptSegment.id)
        .where(TranscriptSegment.transcript_id == uuid.UUID(live.transcript_id))
        .order_by(TranscriptSegment.sequence)
    ).all()
    assert after == before, "a re-delivery must not write"


def test_a_partial_never_overwrites_a_final(session, learner, live):
    ingest(session, learner, live, seg(0, "I would like to book a demo"))

    later = ingest(session, learner, live, seg(0, "I would", final=False, end=400))
    same_batch = ingest(session, learner, live, seg(1, "Great, when?", "ai"), seg(1, "Great", "ai", final=False))

    assert (later.updated, later.ignored) == (0, 1)
    assert (same_batch.inserted, same_batch.ignored) == (1, 1)
    assert stored(session, live) == [
        (0, "user", "I would like to book a demo", 0, 800, True),
        (1, "ai", "Great, when?", 1000, 1800, True),
    ]


def test_a_final_replaces_its_partial_and_a_partial_an_older_partial(session, learner, live):
    ingest(session, learner, live, seg(0, "I", final=False, end=200))
    newer = ingest(session, learner, live, seg(0, "I think", final=False, end=500))
    assert (newer.updated, stored(session, live)[0][2]) == (1, "I think")

    final = ingest(session, learner, live, seg(0, "I think so, um, yes"))

    assert (final.inserted, final.updated) == (0, 1)
    assert stored(session, live) == [(0, "user", "I think so, um, yes", 0, 800, True)]


def test_a_different_final_after_a_final_is_ignored_and_reported(session, learner, live):
    ingest(session, learner, live, seg(0, "We ship on Mondays"))

    result = ingest(session, learner, live, seg(0, "We ship on Fridays"), seg(1, "Okay", "ai"))

    assert result.conflicts == (0,) and (result.inserted, result.ignored) == (1, 1)
    assert stored(session, live)[0][2] == "We ship on Mondays"


def test_a_final_overlapping_the_previous_final_of_its_speaker_starts_at_its_end(session, learner, live):
    ingest(session, learner, live, seg(0, "one", start=0, end=1000))

    result = ingest(session, learner, live, seg(2, "two", start=800, end=2000))

    assert result.clamped == (2,)
    assert stored(session, live)[1][3:5] == (1000, 2000)


def test_a_final_overlapping_the_next_final_of_its_speaker_ends_at_its_start(session, learner, live):
    ingest(session, learner, live, seg(5, "later", start=3000, end=4000))

    result = ingest(session, learner, live, seg(3, "earlier", start=2500, end=3500))

    assert result.clamped == (3,)
    assert [s[3:5] for s in stored(session, live)] == [(2500, 3000), (3000, 4000)]


def test_a_final_squeezed_between_its_neighbours_keeps_its_words(session, learner, live):
    ingest(session, learner, live, seg(0, "a", start=0, end=1000), seg(2, "c", start=1200, end=2000))

    result = ingest(session, learner, live, seg(1, "b is still here", start=100, end=900))

    assert result.clamped == (1,)
    assert stored(session, live)[1] == (1, "user", "b is still here", 1000, 1000, True)


def test_within_a_batch_the_lower_sequence_wins_and_speakers_may_overlap(session, learner, live):
    result = ingest(
        session,
        learner,
        live,
        seg(1, "second", start=500, end=1500),
        seg(0, "first", start=0, end=1000),
        seg(2, "cross-talk", "ai", start=200, end=900),  # the other speaker: not clamped
        seg(3, "draft", start=0, end=100, final=False),
    )  # a partial: not clamped

    assert result.clamped == (1,)
    assert [s[3:5] for s in stored(session, live)] == [(0, 1000), (1000, 1500), (200, 900), (0, 100)]


def test_an_ended_session_refuses_segments(session, learner, live):
    end_practice(session=session, user_id=learner.id, practice_session_id=live.id)

    with pytest.raises(ValidationError) as refused:
        ingest(session, learner, live, seg(0))

    assert refused.value.message == NOT_ACTIVE and stored(session, live) == []


def test_someone_elses_or_an_unknown_session_is_refused(session, learner, live):
    intruder = make_user(session)
    for user_id, session_id in ((intruder.id, live.id), (learner.id, str(uuid.uuid4())), (learner.id, "nope")):
        with pytest.raises(ValidationError) as refused:
            ingest_segments(session=session, user_id=user_id, practice_session_id=session_id, segments=[seg(0)])
        assert refused.value.message == NOT_FOUND
    with pytest.raises(ValidationError):
        transcript_tail(session=session, user_id=intruder.id, practice_session_id=live.id)
    assert stored(session, live) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"sequence": -1},
        {"sequence": True},
        {"sequence": "3"},
        {"speaker": "narrator"},
        {"text": None},
        {"text": "x" * (MAX_SEGMENT_CHARS + 1)},
        {"start_ms": -5},
        {"start_ms": 2000, "end_ms": 1000},
        {"end_ms": 10**9},
        {"is_final": "yes"},
        "missing",
        "not a dict",
    ],
)
def test_a_bad_segment_refuses_the_whole_batch(session, learner, live, bad):
    broken = "not a dict" if bad == "not a dict" else seg(1)
    if bad == "missing":
        del broken["end_ms"]
    elif isinstance(bad, dict):
        broken.update(bad)

    with pytest.raises(ValidationError) as refused:
        ingest(session, learner, live, seg(0), broken, seg(2))

    assert refused.value.field == "segments" and "Segment 2" in refused.value.message
    assert stored(session, live) == []


def test_an_oversized_batch_is_refused_and_stores_nothing(session, learner, live):
    with pytest.raises(ValidationError) as refused:
        ingest(session, learner, live, *[seg(i) for i in range(MAX_BATCH + 1)])

    assert str(MAX_BATCH) in refused.value.message and stored(session, live) == []
    assert ingest(session, learner, live, *[seg(i) for i in range(MAX_BATCH)]).inserted == MAX_BATCH
    with pytest.raises(ValidationError):
        ingest_segments(session=session, user_id=learner.id, practice_session_id=live.id, segments="[]")


def test_text_is_normalised_and_control_characters_dropped_not_refused(session, learner, live):
    ingest(session, learner, live, seg(0, "  Cafe\u0301\x00 is\r\nopen \x07 "), seg(1, "", "ai"))

    assert [s[2] for s in stored(session, live)] == ["Café is\nopen", ""]
    assert ingest(session, learner, live).received == 0


def test_finalize_writes_lines_word_count_and_keeps_unfinished_words(session, learner, live):
    ingest(
        session,
        learner,
        live,
        seg(0, "Hi, um, this is Sam from Northwind."),
        seg(1, "Okay. What's this about?", "ai"),
        seg(2, "", "ai"),
        seg(3, "We help you, like, ship faster", final=False),
    )

    final = finalize_transcript(session=session, practice_session_id=live.id)

    assert final.content == (
        "Learner: Hi, um, this is Sam from Northwind.\n"
        "Partner: Okay. What's this about?\n"
        "Learner: We help you, like, ship faster [unfinished]"
    )
    assert final.word_count == 7 + 4 + 6
    assert (final.language, final.confidence, final.finalized) == ("en", None, True)
    row = session.execute(
        select(Transcript)
        .where(Transcript.id == uuid.UUID(live.transcript_id))
        .execution_options(populate_existing=True)
    ).scalar_one()
    assert (row.content, row.word_count, row.language, row.confidence, row.finalized) == (
        final.content,
        17,
        "en",
        None,
        True,
    )
    assert finalize_transcript(session=session, practice_session_id=live.id) == final


def test_an_anonymized_transcript_is_not_rebuilt(session, learner, live):
    ingest(session, learner, live, seg(0, "private words"))
    row = session.get(Transcript, uuid.UUID(live.transcript_id))
    row.is_anonymized, row.content = True, "[deleted by the learner]"
    session.flush()

    final = finalize_transcript(session=session, practice_session_id=live.id)

    assert final.content == "[deleted by the learner]" and final.finalized


def test_language_guess():
    assert guess_language("so um I think we should talk about the price of this".split()) == "en"
    assert guess_language("pero la verdad es que el precio es muy alto para una empresa".split()) == "es"
    assert guess_language("der Preis ist nicht das Problem und wir sind auch bereit".split()) == "de"
    assert guess_language([]) == "en"


def test_the_tail_is_bounded_and_oldest_first(session, learner, live):
    ingest(session, learner, live, *[seg(i, f"line {i}", "user" if i % 2 else "ai") for i in range(50)])

    tail = transcript_tail(session=session, user_id=learner.id, practice_session_id=live.id)
    short = transcript_tail(session=session, user_id=learner.id, practice_session_id=live.id, limit=3)
    huge = transcript_tail(session=session, user_id=learner.id, practice_session_id=live.id, limit=10_000)

    assert [t.sequence for t in tail] == list(range(20, 50))
    assert [t.text for t in short] == ["line 47", "line 48", "line 49"]
    assert len(huge) == 50  # at most TAIL_MAX (200)


def test_a_session_without_a_transcript_row_gets_one_from_its_first_batch(session, learner, live):
    from sqlalchemy import delete

    session.execute(delete(Transcript).where(Transcript.session_id == live.id))
    assert ingest(session, learner, live, seg(0)).inserted == 1
    transcript = session.execute(select(Transcript).where(Transcript.session_id == live.id)).scalar_one()
    assert (transcript.finalized, transcript.word_count, transcript.language) == (False, 0, "en")
    texts = session.execute(select(TranscriptSegment.text).where(TranscriptSegment.transcript_id == transcript.id))
    assert texts.scalars().all() == ["hello"]
