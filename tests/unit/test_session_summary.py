"""`analytics_summary` as a declared type: what is written reads back the same, and every stored shape reads."""

from __future__ import annotations

from speakpro.services.analysis.summary import AnalysisRun, Improvement, SessionSummary


def test_a_complete_summary_reads_back_what_was_written():
    written = SessionSummary(
        overall_score=72,
        scores={"opening": 80, "closing": None},
        provider="openai",
        pace_wpm=141.5,
        filler_count=3,
        talk_time_ratio=None,
        improvements=[Improvement(text="Ask a question", quote="so what do you think")],
        analysis=AnalysisRun(status="complete", attempts=1, version=3, analysed_at="2026-12-02T10:00:00+00:00"),
    ).to_json()
    read = SessionSummary.read(written)
    assert (read.overall_score, read.pace_wpm, read.filler_count, read.talk_time_ratio) == (72, 141.5, 3, None)
    assert read.improvements[0].quote == "so what do you think" and read.analysed and read.attempts == 1
    assert read.figures()["pace_wpm"] == 141.5 and "improvements" not in read.figures()


def test_a_failed_run_stores_only_its_bookkeeping():
    stored = SessionSummary(analysis=AnalysisRun(status="failed", reason="timeout", attempts=2)).to_json()
    assert stored == {"analysis": {"status": "failed", "reason": "timeout", "attempts": 2}}
    read = SessionSummary.read(stored)
    assert not read.analysed and read.attempts == 2 and read.overall_score is None


def test_stored_shapes_that_are_not_summaries_read_as_empty():
    for stored in (None, {}, [], "text", {"pace_wpm": "fast"}, {"improvements": "none"}):
        read = SessionSummary.read(stored)
        assert read.overall_score is None and read.improvements == [] and read.attempts == 0
    scrubbed = SessionSummary.read({"personal_context_removed": True, "pace_wpm": 130, "improvements": []})
    assert scrubbed.pace_wpm == 130
