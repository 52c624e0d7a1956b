"""Live transcript ingestion in one round trip: `speakpro_ingest_segments`.

One call signs the learner in (from the keyed hash of their session token, or a user id the caller has
already checked), locks the learner's own active practice session, clamps new finals against their stored
neighbours and upserts the batch. Called in autocommit, a batch costs one round trip to the database and
its answer means "committed". The rules are those of `services/practice/transcripts.py` (its module docstring).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Outcome codes: ok | signed_out | not_found | not_active | over_cap.
FUNCTION = r"""
CREATE FUNCTION speakpro_ingest_segments(
    p_token_hash text,
    p_user_id uuid,
    p_session_id uuid,
    p_now timestamptz,
    p_idle interval,
    p_touch interval,
    p_cap interval,
    p_sequences integer[],
    p_speakers text[],
    p_texts text[],
    p_starts integer[],
    p_ends integer[],
    p_finals boolean[],
    p_max_ms integer
) RETURNS TABLE (outcome text, user_id uuid, inserted integer, updated integer,
                 clamped integer[], conflicts integer[])
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_user uuid := p_user_id;
    v_auth_id uuid;
    v_seen timestamptz;
    v_owner uuid;
    v_status text;
    v_started timestamptz;
    v_deleted timestamptz;
    v_transcript uuid;
    v_inserted integer := 0;
    v_updated integer := 0;
    v_clamped integer[] := '{}';
    v_conflicts integer[] := '{}';
    v_row record;
    v_low integer;
    v_high integer;
    v_start integer;
    v_end integer;
    v_new boolean;
    i integer;
BEGIN
    IF p_token_hash IS NOT NULL THEN
        SELECT s.id, s.user_id, s.last_seen_at INTO v_auth_id, v_user, v_seen
        FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > p_now
          AND s.last_seen_at > p_now - p_idle AND NOT u.disabled AND u.deleted_at IS NULL;
        IF v_auth_id IS NULL THEN
            RETURN QUERY SELECT 'signed_out'::text, NULL::uuid, 0, 0, '{}'::integer[], '{}'::integer[];
            RETURN;
        END IF;
        IF p_now - v_seen > p_touch THEN
            UPDATE auth_sessions SET last_seen_at = p_now WHERE id = v_auth_id;
        END IF;
    END IF;

    SELECT ps.user_id, ps.status, ps.started_at, ps.deleted_at INTO v_owner, v_status, v_started, v_deleted
    FROM practice_sessions ps WHERE ps.id = p_session_id FOR NO KEY UPDATE;
    IF v_owner IS NULL OR v_owner <> v_user OR v_deleted IS NOT NULL THEN
        RETURN QUERY SELECT 'not_found'::text, v_user, 0, 0, '{}'::integer[], '{}'::integer[];
        RETURN;
    END IF;
    IF v_status <> 'active' THEN
        RETURN QUERY SELECT 'not_active'::text, v_user, 0, 0, '{}'::integer[], '{}'::integer[];
        RETURN;
    END IF;
    IF p_now - v_started > p_cap THEN
        RETURN QUERY SELECT 'over_cap'::text, v_user, 0, 0, '{}'::integer[], '{}'::integer[];
        RETURN;
    END IF;

    SELECT t.id INTO v_transcript FROM transcripts t WHERE t.session_id = p_session_id;
    IF v_transcript IS NULL THEN
        INSERT INTO transcripts (id, session_id, finalized, content, language, word_count, is_anonymized)
        VALUES (gen_random_uuid(), p_session_id, false, '', 'en', 0, false)
        ON CONFLICT (session_id) DO NOTHING;
        SELECT t.id INTO v_transcript FROM transcripts t WHERE t.session_id = p_session_id;
    END IF;

    -- The batch arrives with one segment per sequence, in ascending sequence order. Each one is written
    -- before the next is planned, so a later final of the batch yields to an earlier one, as it yields to
    -- the finals already stored (those never move).
    FOR i IN 1 .. coalesce(array_length(p_sequences, 1), 0) LOOP
        SELECT ts.speaker, ts.text, ts.is_final INTO v_row
        FROM transcript_segments ts WHERE ts.transcript_id = v_transcript AND ts.sequence = p_sequences[i];
        IF FOUND AND v_row.is_final THEN
            IF p_finals[i] AND (v_row.speaker, v_row.text) IS DISTINCT FROM (p_speakers[i], p_texts[i]) THEN
                v_conflicts := v_conflicts || p_sequences[i];
            END IF;
            CONTINUE;
        END IF;
        v_start := p_starts[i];
        v_end := p_ends[i];
        IF p_finals[i] THEN
            SELECT coalesce(max(ts.end_ms), 0) INTO v_low FROM (
                SELECT ts.end_ms FROM transcript_segments ts
                WHERE ts.transcript_id = v_transcript AND ts.is_final AND ts.speaker = p_speakers[i]
                  AND ts.sequence < p_sequences[i]
                ORDER BY ts.sequence DESC LIMIT 1) ts;
            SELECT coalesce(min(ts.start_ms), p_max_ms) INTO v_high FROM (
                SELECT ts.start_ms FROM transcript_segments ts
                WHERE ts.transcript_id = v_transcript AND ts.is_final AND ts.speaker = p_speakers[i]
                  AND ts.sequence > p_sequences[i]
                ORDER BY ts.sequence LIMIT 1) ts;
            -- Stored finals of one speaker never overlap, so v_low <= v_high and the result fits between.
            v_start := least(greatest(p_starts[i], v_low), v_high);
            v_end := least(greatest(p_ends[i], v_start), v_high);
            IF (v_start, v_end) <> (p_starts[i], p_ends[i]) THEN
                v_clamped := v_clamped || p_sequences[i];
            END IF;
        END IF;
        v_new := NULL;
        INSERT INTO transcript_segments AS s
            (id, transcript_id, sequence, speaker, text, start_ms, end_ms, is_final, created_at, updated_at)
        VALUES (gen_random_uuid(), v_transcript, p_sequences[i], p_speakers[i], p_texts[i], v_start, v_end,
                p_finals[i], p_now, p_now)
        ON CONFLICT (transcript_id, sequence) DO UPDATE
            SET speaker = excluded.speaker, text = excluded.text, start_ms = excluded.start_ms,
                end_ms = excluded.end_ms, is_final = excluded.is_final, updated_at = excluded.updated_at
            WHERE NOT s.is_final
              AND (s.speaker, s.text, s.start_ms, s.end_ms, s.is_final)
                  IS DISTINCT FROM (excluded.speaker, excluded.text, excluded.start_ms, excluded.end_ms,
                                    excluded.is_final)
        RETURNING (s.xmax = 0) INTO v_new;
        IF v_new IS TRUE THEN
            v_inserted := v_inserted + 1;
        ELSIF v_new IS FALSE THEN
            v_updated := v_updated + 1;
        END IF;
    END LOOP;
    RETURN QUERY SELECT 'ok'::text, v_user, v_inserted, v_updated, v_clamped, v_conflicts;
END;
$fn$
"""

SIGNATURE = (
    "speakpro_ingest_segments(text, uuid, uuid, timestamptz, interval, interval, interval, integer[], "
    "text[], text[], integer[], integer[], boolean[], integer)"
)


def upgrade() -> None:
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
