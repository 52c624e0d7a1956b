// SpeakPro live practice: transcript assembly, pure (no React, no DOM, no imports), so `bun test` runs it.
//
// Turns what the partner connection and the browser's speech recognition report into transcript segments
// {sequence, speaker, text, start_ms, end_ms, is_final}:
// - Realtime `oai-events`: `input_audio_buffer.speech_started` / `speech_stopped` (the learner's speech,
//   timed from the start of the connection), `conversation.item.input_audio_transcription.delta` /
//   `completed` (the learner's words), `response.output_audio_transcript.delta` / `done` and the older
//   `response.audio_transcript.*` (the partner's words);
// - speech recognition results (solo mode), one segment per result index of each recognition run;
// - the typed transcript of solo mode, one final segment at the end.
// The sequence of an utterance is fixed when it is first seen (so the transcript keeps the order it was
// spoken in) and never reused; a final segment never goes back to partial; times are whole milliseconds
// within what the server accepts. Changed segments collect as "dirty" until `takeDirty()` hands them out.

export const MAX_TEXT = 4000;
export const MAX_SEGMENT_MS = 16 * 60 * 1000;

const clampText = (text) => (text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);
const finite = (value) => typeof value === "number" && Number.isFinite(value);

/**
 * A transcript under construction.
 *
 * @param {object} options
 * @param {number} options.firstSequence The first sequence number to hand out.
 * @param {() => number} options.now The session clock in ms (what had passed before this page plus this
 *   page's time), used when an event carries no time of its own.
 */
export function createTranscript({ firstSequence = 0, now = () => 0 } = {}) {
  const utterances = new Map();
  const dirty = new Set();
  let nextSequence = Math.max(0, Math.floor(Number(firstSequence) || 0));
  // Session time at which the current partner connection opened: its audio timestamps count from there.
  let connectionStart = 0;
  let recognitionRuns = 0;

  const clock = () => {
    const value = Number(now());
    return Number.isFinite(value) ? Math.max(0, value) : 0;
  };

  const utterance = (key, speaker, startMs) => {
    let segment = utterances.get(key);
    if (!segment) {
      const start = Math.max(0, Math.round(startMs));
      segment = { sequence: nextSequence++, speaker, text: "", start_ms: start, end_ms: start, is_final: false };
      utterances.set(key, segment);
    }
    return segment;
  };

  const ordered = () => [...utterances.values()].sort((a, b) => a.sequence - b.sequence);

  // Whole ms, end >= start, at most the cap plus a minute. Overlaps of one speaker's finals are clamped by
  // the server, which sees every stored neighbour.
  const clampTimes = () => {
    for (const segment of utterances.values()) {
      segment.start_ms = Math.min(MAX_SEGMENT_MS, Math.max(0, Math.round(segment.start_ms) || 0));
      segment.end_ms = Math.min(MAX_SEGMENT_MS, Math.max(segment.start_ms, Math.round(segment.end_ms) || 0));
    }
  };

  const result = (changed = false, final = false, error = null) => ({ changed, final, error });

  /**
   * One Realtime server event (the raw data channel message or an already parsed object).
   *
   * @returns {{changed: boolean, final: boolean, error: null | {detail: string, code: string}}} Whether a
   *   segment changed, whether one became final (send at once), and the partner's reported error if any.
   */
  const handleEvent = (raw) => {
    let event = raw;
    if (typeof raw === "string") {
      try {
        event = JSON.parse(raw);
      } catch {
        return result();
      }
    }
    if (!event || typeof event !== "object" || typeof event.type !== "string") {
      return result();
    }
    const at = clock();
    const itemKey = (prefix) => `${prefix}:${event.item_id || event.response_id || "unknown"}`;
    switch (event.type) {
      case "input_audio_buffer.speech_started": {
        const start = finite(event.audio_start_ms) ? connectionStart + event.audio_start_ms : at;
        const key = itemKey("user");
        const known = utterances.has(key);
        const segment = utterance(key, "user", start);
        const corrected = Math.max(0, Math.round(start));
        if (known && finite(event.audio_start_ms) && corrected < segment.start_ms) {
          // A transcription event came first and opened the utterance at "now": the real start is earlier.
          segment.start_ms = corrected;
          dirty.add(key);
          return result(true);
        }
        return result();
      }
      case "input_audio_buffer.speech_stopped": {
        const key = itemKey("user");
        const segment = utterance(key, "user", at);
        segment.end_ms = finite(event.audio_end_ms) ? connectionStart + event.audio_end_ms : at;
        dirty.add(key);
        return result(true);
      }
      case "conversation.item.input_audio_transcription.delta": {
        const key = itemKey("user");
        const segment = utterance(key, "user", at);
        if (segment.is_final) {
          return result();
        }
        segment.text += typeof event.delta === "string" ? event.delta : "";
        dirty.add(key);
        return result(true);
      }
      case "conversation.item.input_audio_transcription.completed": {
        const key = itemKey("user");
        const segment = utterance(key, "user", at);
        if (typeof event.transcript === "string") {
          segment.text = event.transcript.trim();
        }
        segment.end_ms = Math.max(segment.end_ms, segment.start_ms);
        segment.is_final = true;
        dirty.add(key);
        return result(true, true);
      }
      case "response.output_audio_transcript.delta":
      case "response.audio_transcript.delta": {
        const key = itemKey("ai");
        const segment = utterance(key, "ai", at);
        if (segment.is_final) {
          return result();
        }
        segment.text += typeof event.delta === "string" ? event.delta : "";
        segment.end_ms = at;
        dirty.add(key);
        return result(true);
      }
      case "response.output_audio_transcript.done":
      case "response.audio_transcript.done": {
        const key = itemKey("ai");
        const segment = utterance(key, "ai", at);
        if (typeof event.transcript === "string" && event.transcript.trim()) {
          segment.text = event.transcript.trim();
        }
        segment.end_ms = Math.max(segment.end_ms, at);
        segment.is_final = true;
        dirty.add(key);
        return result(true, true);
      }
      case "error": {
        const detail = (event.error && (event.error.message || event.error.code)) || "unknown error";
        const code = (event.error && event.error.code) || "";
        return result(false, false, { detail: String(detail).slice(0, 200), code: String(code) });
      }
      default:
        return result();
    }
  };

  /** A new run of the browser's speech recognition (result indexes restart with each run). */
  const startRecognitionRun = () => recognitionRuns++;

  /**
   * Results of a speech recognition run: `{resultIndex, results}` as SpeechRecognition's `onresult` gives.
   *
   * @returns {{changed: boolean, final: boolean}}
   */
  const handleRecognition = (run, event) => {
    let changed = false;
    let final = false;
    if (!event || !event.results) {
      return { changed, final };
    }
    const from = Math.max(0, Number(event.resultIndex) || 0);
    for (let index = from; index < event.results.length; index += 1) {
      const item = event.results[index];
      if (!item) {
        continue;
      }
      const key = `solo:${run}:${index}`;
      const at = clock();
      const segment = utterance(key, "user", at);
      if (segment.is_final) {
        continue;
      }
      const alternative = item[0];
      segment.text = (alternative && typeof alternative.transcript === "string" ? alternative.transcript : "").trim();
      segment.end_ms = at;
      segment.is_final = Boolean(item.isFinal);
      dirty.add(key);
      changed = true;
      final = final || segment.is_final;
    }
    return { changed, final };
  };

  /** The typed transcript of solo mode: one final segment after whatever was recognised. */
  const addTyped = (text) => {
    const typed = typeof text === "string" ? text.trim() : "";
    if (!typed) {
      return false;
    }
    const at = clock();
    const last = ordered().reduce((end, segment) => Math.max(end, segment.end_ms), 0);
    const key = "solo:typed";
    const segment = utterance(key, "user", Math.min(last, at));
    segment.text = typed;
    segment.end_ms = Math.max(at, segment.start_ms);
    segment.is_final = true;
    dirty.add(key);
    return true;
  };

  /** Marks every open utterance final (the session ends, or the page goes away). */
  const closeOpen = () => {
    let closed = 0;
    for (const [key, segment] of utterances) {
      if (!segment.is_final) {
        segment.is_final = true;
        segment.end_ms = Math.max(segment.end_ms, segment.start_ms);
        dirty.add(key);
        closed += 1;
      }
    }
    return closed;
  };

  /** The changed segments to send (copies, by sequence); an empty partial is not sent. */
  const takeDirty = () => {
    if (dirty.size === 0) {
      return [];
    }
    clampTimes();
    const batch = [...dirty]
      .map((key) => utterances.get(key))
      .filter((segment) => segment && (segment.text.trim() !== "" || segment.is_final))
      .sort((a, b) => a.sequence - b.sequence)
      .map(({ sequence, speaker, text, start_ms, end_ms, is_final }) => ({
        sequence,
        speaker,
        text: clampText(text),
        start_ms,
        end_ms,
        is_final,
      }));
    dirty.clear();
    return batch;
  };

  /** What the live transcript shows: the last `limit` segments with words, by sequence. */
  const lines = (limit = Infinity) =>
    ordered()
      .filter((segment) => segment.text.trim() !== "")
      .slice(-limit)
      .map(({ sequence, speaker, text, is_final }) => ({ sequence, speaker, text, is_final }));

  return {
    handleEvent,
    handleRecognition,
    startRecognitionRun,
    addTyped,
    closeOpen,
    takeDirty,
    lines,
    /** Session time at which the partner connection opened (its audio timestamps count from there). */
    setConnectionStart: (ms) => {
      connectionStart = Math.max(0, Number(ms) || 0);
    },
    get nextSequence() {
      return nextSequence;
    },
    get dirtyCount() {
      return dirty.size;
    },
    segments: () => ordered().map((segment) => ({ ...segment })),
  };
}
