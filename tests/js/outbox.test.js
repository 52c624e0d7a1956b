// The live transcript outbox (assets/live/outbox.js): acknowledgements per batch, the revision rule,
// refusals, resends, persistence through a fake sessionStorage. Run: .tools/node_modules/.bin/bun test tests/js
import { describe, expect, test } from "bun:test";
import { createOutbox, MAX_BATCH_RECORDS, outboxKey } from "../../assets/live/outbox.js";

const SESSION = "6b1f5c1e-0d2a-4a8e-9a53-1f7b2a0c9d11";

const segment = (sequence, text = `words ${sequence}`, { speaker = "user", final = true } = {}) => ({
  sequence,
  speaker,
  text,
  start_ms: sequence * 1000,
  end_ms: sequence * 1000 + 800,
  is_final: final,
});

class FakeStorage {
  constructor() {
    this.items = new Map();
    this.writes = 0;
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.writes += 1;
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

class FullStorage extends FakeStorage {
  setItem() {
    const error = new Error("The quota has been exceeded.");
    error.name = "QuotaExceededError";
    throw error;
  }
}

class BrokenStorage {
  getItem() {
    const error = new Error("The operation is insecure.");
    error.name = "SecurityError";
    throw error;
  }
  setItem() {
    this.getItem();
  }
  removeItem() {
    this.getItem();
  }
}

// A deterministic outbox: a fake clock and batch ids b1, b2, ... (page 2 of a reload: p2-b1, p2-b2, ...).
const make = ({ storage = new FakeStorage(), sessionId = SESSION, prefix = "", ...rest } = {}) => {
  const clock = { t: 1_000_000 };
  let ids = 0;
  const outbox = createOutbox({
    sessionId,
    storage,
    now: () => clock.t,
    batchId: () => `${prefix}b${++ids}`,
    ...rest,
  });
  return { outbox, clock, storage };
};

const stored = (batch, sequences = batch.segments.map((s) => s.sequence)) => ({
  batch_id: batch.batch_id,
  stored: sequences,
  refused: "",
  retry: false,
});

describe("sending", () => {
  test("a batch carries a new id, the session id and the segments exactly as given", () => {
    const { outbox } = make();
    outbox.put(segment(3, "Hello there", { final: false }));
    const [batch, ...rest] = outbox.take();
    expect(rest).toEqual([]);
    expect(batch).toEqual({
      batch_id: "b1",
      session_id: SESSION,
      segments: [{ sequence: 3, speaker: "user", text: "Hello there", start_ms: 3000, end_ms: 3800, is_final: false }],
    });
    expect(outbox.pending()).toBe(1);
    expect(outbox.take()).toEqual([]); // sent, not due again yet
  });

  test("at most 20 segments per batch, in sequence order", () => {
    const { outbox } = make();
    for (let sequence = 44; sequence >= 0; sequence -= 1) {
      outbox.put(segment(sequence));
    }
    const batches = outbox.take();
    expect(batches.map((b) => b.segments.length)).toEqual([20, 20, 5]);
    expect(batches.map((b) => b.batch_id)).toEqual(["b1", "b2", "b3"]);
    expect(batches.flatMap((b) => b.segments.map((s) => s.sequence))).toEqual([...Array(45).keys()]);
  });

  test("malformed segments are not kept", () => {
    const { outbox } = make();
    expect(outbox.put({ sequence: -1, speaker: "user", text: "x", start_ms: 0, end_ms: 0, is_final: true })).toBe(false);
    expect(outbox.put({ sequence: 1, speaker: "robot", text: "x", start_ms: 0, end_ms: 0, is_final: true })).toBe(false);
    expect(outbox.put({ sequence: 1.5, speaker: "ai", text: "x", start_ms: 0, end_ms: 0, is_final: true })).toBe(false);
    expect(outbox.put(null)).toBe(false);
    expect(outbox.pending()).toBe(0);
  });

  test("the same content again is not a new version; a partial never replaces a final", () => {
    const { outbox } = make();
    expect(outbox.put(segment(1, "Final words"))).toBe(true);
    expect(outbox.put(segment(1, "Final words"))).toBe(false);
    expect(outbox.put(segment(1, "Final wo", { final: false }))).toBe(false);
    expect(outbox.segments()).toEqual([segment(1, "Final words")]);
  });
});

describe("acknowledgements", () => {
  test("a stored answer empties the outbox, and the storage key goes away", () => {
    const { outbox, storage } = make();
    outbox.put(segment(0));
    outbox.put(segment(1));
    const [batch] = outbox.take();
    expect(storage.getItem(outboxKey(SESSION))).not.toBeNull();
    const summary = outbox.ack([stored(batch)]);
    expect(summary).toMatchObject({ answered: 1, stored: 2, dropped: 0, paused: false, refusals: [] });
    expect(outbox.pending()).toBe(0);
    expect(outbox.isEmpty()).toBe(true);
    expect(storage.getItem(outboxKey(SESSION))).toBeNull();
  });

  test("only the sequences listed as stored are dropped", () => {
    const { outbox } = make();
    outbox.putAll([segment(0), segment(1), segment(2)]);
    const [batch] = outbox.take();
    outbox.ack([stored(batch, [0, 2])]);
    expect(outbox.segments().map((s) => s.sequence)).toEqual([1]);
  });

  test("a sequence stored from an older revision stays when a newer version came after (revision rule)", () => {
    const { outbox } = make();
    outbox.put(segment(5, "I think", { final: false }));
    const [first] = outbox.take();
    outbox.put(segment(5, "I think we should", { final: false }));
    outbox.put(segment(5, "I think we should start.", { final: true }));
    outbox.ack([stored(first)]);
    expect(outbox.segments()).toEqual([segment(5, "I think we should start.")]);
    const [second] = outbox.take();
    expect(second.segments[0].text).toBe("I think we should start.");
    outbox.ack([stored(second)]);
    expect(outbox.pending()).toBe(0);
  });

  test("the answer to a later batch clears a sequence even if the earlier batch's answer comes last", () => {
    const { outbox } = make();
    outbox.put(segment(1, "part", { final: false }));
    const [older] = outbox.take();
    outbox.put(segment(1, "part and whole"));
    const [newer] = outbox.take();
    outbox.ack([stored(newer)]);
    expect(outbox.pending()).toBe(0);
    outbox.ack([stored(older)]); // late answer: nothing left, nothing breaks
    expect(outbox.pending()).toBe(0);
  });

  test("a stored sequence that the batch did not carry is ignored", () => {
    const { outbox } = make();
    outbox.putAll([segment(1), segment(2)]);
    const [first] = outbox.take();
    outbox.put(segment(3));
    outbox.take();
    outbox.ack([{ batch_id: first.batch_id, stored: [1, 2, 3], refused: "", retry: false }]);
    expect(outbox.segments().map((s) => s.sequence)).toEqual([3]);
  });

  test("duplicate answers are idempotent", () => {
    const { outbox } = make();
    outbox.put(segment(1, "first"));
    const [batch] = outbox.take();
    const window = [stored(batch)];
    expect(outbox.ack(window).stored).toBe(1);
    // A new version of the same sequence arrives; the old window is seen again on the next render.
    outbox.put(segment(1, "first, corrected"));
    const again = outbox.ack(window);
    expect(again).toMatchObject({ answered: 0, stored: 0, paused: null });
    expect(outbox.segments()[0].text).toBe("first, corrected");
    expect(outbox.ack(window).answered).toBe(0);
  });

  test("merged answers (several new entries in one window) are all consumed, in order", () => {
    const { outbox } = make({ maxBatch: 2 });
    outbox.putAll([segment(0), segment(1), segment(2), segment(3), segment(4)]);
    const batches = outbox.take();
    expect(batches.length).toBe(3);
    const summary = outbox.ack([
      { batch_id: batches[0].batch_id, stored: [], refused: "The database is unreachable.", retry: true },
      stored(batches[1]),
      stored(batches[2]),
      { batch_id: "from-another-page", stored: [0, 1], refused: "", retry: false },
    ]);
    expect(summary).toMatchObject({ answered: 3, stored: 3, paused: false });
    expect(outbox.segments().map((s) => s.sequence)).toEqual([0, 1]);
  });

  test("garbage in the window is skipped", () => {
    const { outbox } = make();
    outbox.put(segment(1));
    const [batch] = outbox.take();
    const summary = outbox.ack([null, 7, "x", { batch_id: 3 }, { stored: [1] }, stored(batch)]);
    expect(summary.answered).toBe(1);
    expect(outbox.ack(undefined).answered).toBe(0);
    expect(outbox.pending()).toBe(0);
  });
});

describe("refusals", () => {
  test("a transient refusal keeps every segment, pauses, and they are sent again after the timeout", () => {
    const { outbox, clock } = make();
    outbox.putAll([segment(1), segment(2)]);
    const [batch] = outbox.take();
    const summary = outbox.ack([
      { batch_id: batch.batch_id, stored: [], refused: "We can't reach the database.", retry: true },
    ]);
    expect(summary).toMatchObject({ paused: true, pausedText: "We can't reach the database.", refusals: [], dropped: 0 });
    expect(outbox.pending()).toBe(2);
    clock.t += 2999;
    expect(outbox.take()).toEqual([]);
    clock.t += 1;
    const [again] = outbox.take();
    expect(again.batch_id).not.toBe(batch.batch_id);
    expect(again.segments).toEqual(batch.segments);
    // Stored at last: the pause is over.
    expect(outbox.ack([stored(again)])).toMatchObject({ paused: false, stored: 2 });
    expect(outbox.pending()).toBe(0);
  });

  test("a permanent refusal drops that batch's versions and returns the reason to show", () => {
    const { outbox, clock } = make();
    outbox.putAll([segment(1), segment(2)]);
    const [batch] = outbox.take();
    outbox.put(segment(2, "a newer version, not refused yet"));
    const reason = "This session has ended: new words are no longer saved.";
    const summary = outbox.ack([{ batch_id: batch.batch_id, stored: [], refused: reason, retry: false }]);
    expect(summary).toMatchObject({ dropped: 1, refusals: [reason], paused: null });
    // Segment 1 is given up; the newer version of 2 was never refused and still goes out.
    expect(outbox.segments()).toEqual([segment(2, "a newer version, not refused yet")]);
    clock.t += 60_000;
    const resent = outbox.take();
    expect(resent.flatMap((b) => b.segments.map((s) => s.sequence))).toEqual([2]);
    // The same refusal seen again shows nothing new.
    expect(outbox.ack([{ batch_id: batch.batch_id, stored: [], refused: reason, retry: false }]).refusals).toEqual([]);
  });

  test("a retry flag without a reason is not a refusal", () => {
    const { outbox } = make();
    outbox.put(segment(1));
    const [batch] = outbox.take();
    expect(outbox.ack([{ batch_id: batch.batch_id, stored: [1], refused: "", retry: true }])).toMatchObject({
      paused: false,
      stored: 1,
    });
  });
});

describe("resending", () => {
  test("anything unacknowledged goes out again 3 s after it was sent, with a new batch id", () => {
    const { outbox, clock } = make();
    outbox.put(segment(1));
    const [first] = outbox.take();
    clock.t += 1000;
    outbox.put(segment(2));
    const [second] = outbox.take();
    expect(second.segments.map((s) => s.sequence)).toEqual([2]); // 1 is not due yet
    clock.t += 2000;
    const [third] = outbox.take();
    expect(third.segments.map((s) => s.sequence)).toEqual([1]);
    expect(new Set([first.batch_id, second.batch_id, third.batch_id]).size).toBe(3);
    // The first batch's answer arrives late: it still counts.
    outbox.ack([stored(first)]);
    expect(outbox.segments().map((s) => s.sequence)).toEqual([2]);
  });

  test("unanswered rounds back off up to a cap; a stored answer or a forced round resets it", () => {
    const { outbox, clock } = make({ resendAfterMs: 3000, maxResendAfterMs: 12000 });
    outbox.put(segment(1));
    outbox.take();
    const gaps = [];
    let last = clock.t;
    for (let step = 0; step < 1000 && gaps.length < 5; step += 1) {
      clock.t += 100;
      if (outbox.take().length) {
        gaps.push(clock.t - last);
        last = clock.t;
      }
    }
    expect(gaps).toEqual([3000, 6000, 12000, 12000, 12000]);
    // The network came back: everything at once, and the delay is back to 3 s.
    expect(outbox.take({ force: true }).length).toBe(1);
    expect(outbox.resendDelay()).toBe(3000);
    outbox.put(segment(2));
    const batches = outbox.take({ force: true });
    expect(batches[0].segments.map((s) => s.sequence)).toEqual([1, 2]);
    outbox.ack([stored(batches[0], [2])]);
    expect(outbox.resendDelay()).toBe(3000);
  });

  test("forced resend sends everything pending at once", () => {
    const { outbox } = make();
    outbox.putAll([segment(1), segment(2)]);
    outbox.take();
    expect(outbox.take()).toEqual([]);
    const [batch] = outbox.take({ force: true });
    expect(batch.segments.map((s) => s.sequence)).toEqual([1, 2]);
  });

  test("old batch records are forgotten beyond the limit; their segments are simply sent again", () => {
    const { outbox, clock } = make({ maxBatch: 1 });
    for (let sequence = 0; sequence < MAX_BATCH_RECORDS + 5; sequence += 1) {
      outbox.put(segment(sequence));
    }
    const batches = outbox.take();
    expect(outbox.inFlight()).toBe(MAX_BATCH_RECORDS);
    expect(outbox.ack([stored(batches[0])]).answered).toBe(0);
    expect(outbox.ack([stored(batches.at(-1))]).stored).toBe(1);
    clock.t += 3000;
    expect(outbox.take().length).toBe(MAX_BATCH_RECORDS + 4);
  });
});

describe("persistence", () => {
  test("every change is mirrored under speakpro.outbox.<session id>, and a new outbox restores it", () => {
    const storage = new FakeStorage();
    const { outbox } = make({ storage });
    outbox.put(segment(7, "still open", { final: false }));
    outbox.put(segment(8, "said and done"));
    const [batch] = outbox.take();
    const raw = storage.getItem(`speakpro.outbox.${SESSION}`);
    expect(JSON.parse(raw)).toMatchObject({ v: 1, session: SESSION });

    // The tab reloads: the new page's outbox has the same versions, due at once.
    const { outbox: reloaded } = make({ storage, prefix: "p2-" });
    expect(reloaded.restored).toEqual([segment(7, "still open", { final: false }), segment(8, "said and done")]);
    expect(reloaded.segments()).toEqual(reloaded.restored);
    expect(reloaded.pending()).toBe(2);
    expect(reloaded.highestSequence()).toBe(8);
    const [resent] = reloaded.take();
    expect(resent.batch_id).toBe("p2-b1");
    expect(resent.segments.map((s) => s.sequence)).toEqual([7, 8]);
    // The answer to the batch sent before the reload still counts (the ack window outlives the page).
    expect(reloaded.ack([stored(batch)]).stored).toBe(2);
    expect(reloaded.pending()).toBe(0);
    expect(storage.getItem(outboxKey(SESSION))).toBeNull();
  });

  test("revisions carry on after a restore, so the revision rule still holds", () => {
    const storage = new FakeStorage();
    const { outbox } = make({ storage });
    outbox.put(segment(1, "one", { final: false }));
    const [before] = outbox.take();
    const { outbox: reloaded } = make({ storage, prefix: "p2-" });
    reloaded.put(segment(1, "one, finished"));
    reloaded.ack([stored(before)]);
    expect(reloaded.segments()).toEqual([segment(1, "one, finished")]);
  });

  test("another session's key, another format or garbage restores nothing", () => {
    const storage = new FakeStorage();
    const { outbox } = make({ storage, sessionId: "other-session" });
    outbox.put(segment(1));
    expect(make({ storage }).outbox.pending()).toBe(0);
    storage.setItem(outboxKey(SESSION), "{not json");
    expect(make({ storage }).outbox.pending()).toBe(0);
    storage.setItem(outboxKey(SESSION), JSON.stringify({ v: 99, session: SESSION, entries: [[1, segment(1)]] }));
    expect(make({ storage }).outbox.pending()).toBe(0);
    storage.setItem(
      outboxKey(SESSION),
      JSON.stringify({ v: 1, session: SESSION, revision: 4, entries: [[2, segment(1)], [3, { sequence: "x" }], "junk"] }),
    );
    expect(make({ storage }).outbox.segments()).toEqual([segment(1)]);
  });

  test("a full storage falls back to memory and catches up once it can write again", () => {
    const storage = new FullStorage();
    const { outbox } = make({ storage });
    outbox.put(segment(1));
    expect(outbox.persistent).toBe(false);
    expect(outbox.storageError).toBe("QuotaExceededError");
    const [batch] = outbox.take();
    expect(batch.segments.length).toBe(1);
    outbox.ack([stored(batch)]);
    expect(outbox.pending()).toBe(0);

    const flaky = new FakeStorage();
    let full = true;
    const write = flaky.setItem.bind(flaky);
    flaky.setItem = (key, value) => {
      if (full) {
        throw Object.assign(new Error("full"), { name: "QuotaExceededError" });
      }
      write(key, value);
    };
    const { outbox: second } = make({ storage: flaky });
    second.put(segment(1));
    expect(second.persistent).toBe(false);
    full = false;
    second.put(segment(2));
    expect(second.persistent).toBe(true);
    expect(JSON.parse(flaky.getItem(outboxKey(SESSION))).entries.length).toBe(2);
  });

  test("a storage that throws on every call, or none at all, still works in memory", () => {
    for (const storage of [new BrokenStorage(), null, {}]) {
      const { outbox } = make({ storage });
      outbox.put(segment(1));
      const [batch] = outbox.take();
      expect(outbox.pending()).toBe(1);
      outbox.ack([stored(batch)]);
      expect(outbox.pending()).toBe(0);
      expect(outbox.persistent).toBe(false);
    }
  });

  test("without a session id nothing is written", () => {
    const storage = new FakeStorage();
    const { outbox } = make({ storage, sessionId: "" });
    outbox.put(segment(1));
    expect(storage.writes).toBe(0);
    expect(outbox.persistent).toBe(false);
  });

  test("discarding (end without them) empties the outbox and the storage", () => {
    const storage = new FakeStorage();
    const { outbox } = make({ storage });
    outbox.putAll([segment(1), segment(2)]);
    outbox.take();
    expect(outbox.discard()).toBe(2);
    expect(outbox.pending()).toBe(0);
    expect(storage.getItem(outboxKey(SESSION))).toBeNull();
    expect(make({ storage }).outbox.pending()).toBe(0);
  });
});

describe("the next sequence after a reload", () => {
  // What the component does on mount: never reuse a number the outbox may still send.
  const firstSequence = (sequenceStart, outbox) => Math.max(sequenceStart, outbox.highestSequence() + 1);

  test("is past the restored outbox when it is ahead of the database", () => {
    const storage = new FakeStorage();
    make({ storage }).outbox.putAll([segment(10), segment(11)]);
    expect(firstSequence(10, make({ storage }).outbox)).toBe(12);
  });

  test("is the database's next number when the outbox is behind or empty", () => {
    const storage = new FakeStorage();
    make({ storage }).outbox.putAll([segment(3)]);
    expect(firstSequence(9, make({ storage }).outbox)).toBe(9);
    expect(firstSequence(0, make({ storage: new FakeStorage() }).outbox)).toBe(0);
  });
});
