// SpeakPro live practice: the transcript outbox, pure (no React, no DOM, no imports), so `bun test` runs it.
//
// The outbox holds the latest version of every transcript segment the server has not acknowledged yet,
// keyed by sequence. Every version gets a revision number. `take()` hands out batches to send
// ({batch_id, session_id, segments}, at most `maxBatch` segments each, a new batch id per send) and records
// which revision of each sequence went in which batch. The server answers per batch:
//   {batch_id, stored: [sequence, ...], refused: "", retry: false}
// - `stored`: a sequence is dropped only if the revision sent in that batch is still the latest one (a newer
//   partial, or the final that came after, stays and is sent in its turn);
// - `refused` with `retry: true`: transient (nothing stored); everything stays and is sent again;
// - `refused` with `retry: false`: permanent; that batch's versions are dropped and the reason is returned
//   so the page shows it (never dropped silently).
// Answers are consumed idempotently: a batch's record is removed once answered, so the same answer seen
// again (the page's ack window repeats entries on later renders) changes nothing.
// Whatever was sent and is still unacknowledged is sent again after `resendAfterMs` (doubling after each
// unanswered round, up to `maxResendAfterMs`, back to the start once something is stored), or at once with
// `take({force: true})` (the network or the websocket came back).
// The outbox is mirrored to `storage` (sessionStorage in the browser) under `speakpro.outbox.<session id>`
// on every change and restored when created, so a reload or a crashed tab loses nothing; when the storage
// is missing, full or throws, the outbox carries on in memory (`persistent` is then false). The key is
// removed whenever the outbox is empty.

export const OUTBOX_KEY_PREFIX = "speakpro.outbox.";
export const FORMAT_VERSION = 1;
export const MAX_BATCH = 20;
export const RESEND_AFTER_MS = 3000;
export const MAX_RESEND_AFTER_MS = 12000;
// Batch records kept for answers still to come; older ones are forgotten (their segments are resent).
export const MAX_BATCH_RECORDS = 128;
const SPEAKERS = new Set(["user", "ai"]);

export const outboxKey = (sessionId) => `${OUTBOX_KEY_PREFIX}${sessionId}`;

let fallbackCounter = 0;

/** A new unique batch id: a random UUID where the browser has one, else time + counter + randomness. */
export const newBatchId = () => {
  const cryptoApi = typeof globalThis !== "undefined" ? globalThis.crypto : undefined;
  if (cryptoApi && typeof cryptoApi.randomUUID === "function") {
    try {
      return cryptoApi.randomUUID();
    } catch {
      // Not in a secure context: fall through.
    }
  }
  fallbackCounter += 1;
  return `${Date.now().toString(36)}-${fallbackCounter.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
};

/** A clean copy of a segment {sequence, speaker, text, start_ms, end_ms, is_final}, or null if malformed. */
export const cleanSegment = (segment) => {
  if (!segment || typeof segment !== "object") {
    return null;
  }
  const { sequence, speaker, text, start_ms: start, end_ms: end, is_final: isFinal } = segment;
  if (!Number.isInteger(sequence) || sequence < 0 || !SPEAKERS.has(speaker) || typeof text !== "string") {
    return null;
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || typeof isFinal !== "boolean") {
    return null;
  }
  return { sequence, speaker, text, start_ms: start, end_ms: end, is_final: isFinal };
};

const sameSegment = (a, b) =>
  a.speaker === b.speaker &&
  a.text === b.text &&
  a.start_ms === b.start_ms &&
  a.end_ms === b.end_ms &&
  a.is_final === b.is_final;

/**
 * A transcript outbox for one practice session.
 *
 * @param {object} options
 * @param {string} options.sessionId The practice session's id (part of the storage key; no persistence
 *   without one).
 * @param {Storage | null} options.storage Something with getItem/setItem/removeItem (sessionStorage).
 * @param {() => number} options.now The clock in ms (Date.now in the browser; a fake in tests).
 * @param {() => string} options.batchId Makes a new unique batch id.
 */
export function createOutbox({
  sessionId = "",
  storage = null,
  now = () => Date.now(),
  batchId = newBatchId,
  maxBatch = MAX_BATCH,
  resendAfterMs = RESEND_AFTER_MS,
  maxResendAfterMs = MAX_RESEND_AFTER_MS,
} = {}) {
  const session = typeof sessionId === "string" ? sessionId : String(sessionId || "");
  const key = session ? outboxKey(session) : "";
  const store = key && storage && typeof storage.setItem === "function" ? storage : null;
  // sequence -> {segment, revision, sentRevision, sentAt}
  const entries = new Map();
  // batch id -> Map(sequence -> revision sent in it); insertion order is the order sent.
  const batches = new Map();
  let revision = 0;
  // Resend rounds since the server last stored something: the resend delay doubles with each.
  let misses = 0;
  let persistent = Boolean(store);
  let storageError = "";

  const persist = () => {
    if (!store) {
      return;
    }
    try {
      if (entries.size === 0) {
        store.removeItem(key);
      } else {
        store.setItem(
          key,
          JSON.stringify({
            v: FORMAT_VERSION,
            session,
            revision,
            entries: [...entries.values()].map((entry) => [entry.revision, entry.segment]),
            batches: [...batches].map(([id, sent]) => [id, [...sent]]),
          }),
        );
      }
      persistent = true;
      storageError = "";
    } catch (error) {
      // Full, disabled or gone: carry on in memory, and try again with the next change.
      persistent = false;
      storageError = (error && error.name) || "storage error";
    }
  };

  const restore = () => {
    if (!store || typeof store.getItem !== "function") {
      return [];
    }
    let data;
    try {
      const raw = store.getItem(key);
      if (!raw) {
        return [];
      }
      data = JSON.parse(raw);
    } catch (error) {
      persistent = false;
      storageError = (error && error.name) || "storage error";
      return [];
    }
    if (!data || data.v !== FORMAT_VERSION || data.session !== session || !Array.isArray(data.entries)) {
      return [];
    }
    for (const item of data.entries) {
      if (!Array.isArray(item) || item.length !== 2 || !Number.isInteger(item[0]) || item[0] < 1) {
        continue;
      }
      const segment = cleanSegment(item[1]);
      if (!segment) {
        continue;
      }
      const known = entries.get(segment.sequence);
      if (!known || known.revision < item[0]) {
        // Restored versions count as never sent: they go out with the first `take()`.
        entries.set(segment.sequence, { segment, revision: item[0], sentRevision: 0, sentAt: 0 });
      }
      revision = Math.max(revision, item[0]);
    }
    if (Number.isInteger(data.revision)) {
      revision = Math.max(revision, data.revision);
    }
    if (Array.isArray(data.batches)) {
      // Batches sent before the reload: their answers may still arrive (the ack window outlives the page).
      for (const item of data.batches) {
        if (!Array.isArray(item) || typeof item[0] !== "string" || !Array.isArray(item[1])) {
          continue;
        }
        const sent = new Map();
        for (const pair of item[1]) {
          if (Array.isArray(pair) && Number.isInteger(pair[0]) && Number.isInteger(pair[1])) {
            sent.set(pair[0], pair[1]);
          }
        }
        batches.set(item[0], sent);
      }
    }
    return [...entries.values()].map((entry) => ({ ...entry.segment }));
  };

  const restored = restore();

  const keep = (input) => {
    const segment = cleanSegment(input);
    if (!segment) {
      return false;
    }
    const known = entries.get(segment.sequence);
    if (known && (sameSegment(known.segment, segment) || (known.segment.is_final && !segment.is_final))) {
      return false;
    }
    revision += 1;
    entries.set(segment.sequence, { segment, revision, sentRevision: 0, sentAt: 0 });
    return true;
  };

  /**
   * Keeps the latest version of each segment until the server acknowledges it. A final version is never
   * replaced by a partial one; the same content again changes nothing.
   *
   * @returns {number} How many versions were new.
   */
  const putAll = (segments) => {
    let changed = 0;
    for (const input of segments || []) {
      changed += keep(input) ? 1 : 0;
    }
    if (changed) {
      persist();
    }
    return changed;
  };

  /** One segment (see `putAll`); whether it was a new version. */
  const put = (segment) => putAll([segment]) === 1;

  const resendDelay = () => Math.min(maxResendAfterMs, resendAfterMs * 2 ** misses);

  /**
   * The batches to send now: every version not sent yet, and everything sent at least the resend delay
   * ago (or everything, with `force`). Each batch is recorded as sent; call `onSegments` with each.
   *
   * @returns {{batch_id: string, session_id: string, segments: object[]}[]}
   */
  const take = ({ force = false } = {}) => {
    const at = now();
    const delay = resendDelay();
    const due = [];
    let resending = false;
    for (const entry of entries.values()) {
      if (entry.sentRevision !== entry.revision) {
        due.push(entry);
      } else if (force || at - entry.sentAt >= delay) {
        due.push(entry);
        resending = true;
      }
    }
    if (force) {
      misses = 0;
    } else if (resending) {
      misses = Math.min(misses + 1, 16);
    }
    if (due.length === 0) {
      return [];
    }
    due.sort((a, b) => a.segment.sequence - b.segment.sequence);
    const size = Math.max(1, Math.floor(maxBatch) || MAX_BATCH);
    const out = [];
    for (let start = 0; start < due.length; start += size) {
      const chunk = due.slice(start, start + size);
      const id = batchId();
      const sent = new Map();
      for (const entry of chunk) {
        entry.sentRevision = entry.revision;
        entry.sentAt = at;
        sent.set(entry.segment.sequence, entry.revision);
      }
      batches.set(id, sent);
      out.push({ batch_id: id, session_id: session, segments: chunk.map((entry) => ({ ...entry.segment })) });
    }
    while (batches.size > MAX_BATCH_RECORDS) {
      batches.delete(batches.keys().next().value);
    }
    persist();
    return out;
  };

  const dropSent = (sent, sequences) => {
    let dropped = 0;
    for (const sequence of sequences) {
      if (!sent.has(sequence)) {
        continue;
      }
      const entry = entries.get(sequence);
      if (entry && entry.revision === sent.get(sequence)) {
        entries.delete(sequence);
        dropped += 1;
      }
    }
    return dropped;
  };

  /**
   * The server's answers (the ack window, in order, newest last). Unknown or already answered batches are
   * skipped, so the same window can be passed again and again.
   *
   * @returns {{answered: number, stored: number, dropped: number, paused: null | boolean, pausedText: string,
   *   refusals: string[]}} `stored`: versions acknowledged; `dropped`: versions given up after a permanent
   *   refusal; `paused`: true after a transient refusal, false once something was stored since (null:
   *   no news); `refusals`: the permanent refusals' texts, to show.
   */
  const ack = (answers) => {
    const summary = { answered: 0, stored: 0, dropped: 0, paused: null, pausedText: "", refusals: [] };
    if (!Array.isArray(answers)) {
      return summary;
    }
    for (const answer of answers) {
      if (!answer || typeof answer !== "object" || typeof answer.batch_id !== "string") {
        continue;
      }
      const sent = batches.get(answer.batch_id);
      if (!sent) {
        continue;
      }
      batches.delete(answer.batch_id);
      summary.answered += 1;
      const stored = (Array.isArray(answer.stored) ? answer.stored : []).map(Number).filter(Number.isInteger);
      const refused = typeof answer.refused === "string" ? answer.refused.trim() : "";
      if (stored.length > 0) {
        summary.stored += dropSent(sent, stored);
        summary.paused = false;
        summary.pausedText = "";
        misses = 0;
      }
      if (refused && answer.retry === true) {
        // Transient: keep everything; it goes out again with the next resend round.
        summary.paused = true;
        summary.pausedText = refused;
      } else if (refused) {
        summary.dropped += dropSent(sent, [...sent.keys()]);
        if (!summary.refusals.includes(refused)) {
          summary.refusals.push(refused);
        }
      }
    }
    if (summary.answered > 0) {
      persist();
    }
    return summary;
  };

  /** Gives up on everything still unacknowledged (the learner chose to end without it). */
  const discard = () => {
    const count = entries.size;
    entries.clear();
    batches.clear();
    persist();
    return count;
  };

  const highestSequence = () => {
    let highest = -1;
    for (const sequence of entries.keys()) {
      highest = Math.max(highest, sequence);
    }
    return highest;
  };

  return {
    put,
    putAll,
    take,
    ack,
    discard,
    highestSequence,
    /** The segments restored from storage when the outbox was created. */
    restored,
    /** The latest version of every unacknowledged segment, by sequence. */
    segments: () =>
      [...entries.values()].map((entry) => ({ ...entry.segment })).sort((a, b) => a.sequence - b.sequence),
    pending: () => entries.size,
    isEmpty: () => entries.size === 0,
    /** Batches sent and not answered yet. */
    inFlight: () => batches.size,
    resendDelay,
    key,
    sessionId: session,
    get persistent() {
      return persistent;
    },
    get storageError() {
      return storageError;
    },
  };
}
