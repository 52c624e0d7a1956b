// Transcript assembly (assets/live/transcript.js): Realtime events and speech recognition results into
// segments with stable sequences. Run: .tools/node_modules/.bin/bun test tests/js
import { describe, expect, test } from "bun:test";
import { createTranscript, MAX_SEGMENT_MS, MAX_TEXT } from "../../assets/live/transcript.js";

// A transcript on a fake session clock (ms).
const make = (firstSequence = 0) => {
  const clock = { t: 0 };
  const transcript = createTranscript({ firstSequence, now: () => clock.t });
  const send = (event) => transcript.handleEvent(JSON.stringify(event));
  return { transcript, clock, send };
};

const recognition = (resultIndex, ...results) => ({
  resultIndex,
  results: results.map(([text, isFinal]) => Object.assign([{ transcript: text }], { isFinal })),
});

describe("the learner's speech", () => {
  test("deltas make a partial, completed makes it final with the server's transcript", () => {
    const { transcript, clock, send } = make(4);
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 1200 });
    clock.t = 2500;
    send({ type: "input_audio_buffer.speech_stopped", item_id: "u1", audio_end_ms: 2300 });
    expect(send({ type: "conversation.item.input_audio_transcription.delta", item_id: "u1", delta: "Hello, " })).toEqual({
      changed: true,
      final: false,
      error: null,
    });
    send({ type: "conversation.item.input_audio_transcription.delta", item_id: "u1", delta: "I'm Sam" });
    expect(transcript.takeDirty()).toEqual([
      { sequence: 4, speaker: "user", text: "Hello, I'm Sam", start_ms: 1200, end_ms: 2300, is_final: false },
    ]);
    expect(transcript.takeDirty()).toEqual([]); // nothing changed since
    const done = send({
      type: "conversation.item.input_audio_transcription.completed",
      item_id: "u1",
      transcript: "  Hello, I'm Sam from Northwind.  ",
    });
    expect(done.final).toBe(true);
    expect(transcript.takeDirty()).toEqual([
      { sequence: 4, speaker: "user", text: "Hello, I'm Sam from Northwind.", start_ms: 1200, end_ms: 2300, is_final: true },
    ]);
    expect(transcript.nextSequence).toBe(5);
  });

  test("a delta after completed changes nothing (a final never goes back)", () => {
    const { transcript, send } = make();
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "Done." });
    transcript.takeDirty();
    expect(send({ type: "conversation.item.input_audio_transcription.delta", item_id: "u1", delta: " more" }).changed).toBe(false);
    expect(transcript.takeDirty()).toEqual([]);
    expect(transcript.lines()).toEqual([{ sequence: 0, speaker: "user", text: "Done.", is_final: true }]);
  });

  test("speech stopped before any words sends nothing (an empty partial is not a segment)", () => {
    const { transcript, send } = make();
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 0 });
    send({ type: "input_audio_buffer.speech_stopped", item_id: "u1", audio_end_ms: 900 });
    expect(transcript.takeDirty()).toEqual([]);
    expect(transcript.lines()).toEqual([]);
  });
});

describe("the partner's speech", () => {
  test("output_audio_transcript deltas and done, timed on the session clock", () => {
    const { transcript, clock, send } = make(10);
    clock.t = 5000;
    send({ type: "response.output_audio_transcript.delta", response_id: "r1", item_id: "a1", delta: "Hi" });
    clock.t = 5600;
    send({ type: "response.output_audio_transcript.delta", response_id: "r1", item_id: "a1", delta: " there" });
    expect(transcript.takeDirty()).toEqual([
      { sequence: 10, speaker: "ai", text: "Hi there", start_ms: 5000, end_ms: 5600, is_final: false },
    ]);
    clock.t = 7000;
    expect(send({ type: "response.output_audio_transcript.done", item_id: "a1", transcript: "Hi there, Sam." }).final).toBe(true);
    expect(transcript.takeDirty()).toEqual([
      { sequence: 10, speaker: "ai", text: "Hi there, Sam.", start_ms: 5000, end_ms: 7000, is_final: true },
    ]);
  });

  test("the older response.audio_transcript.* events work the same", () => {
    const { transcript, send } = make();
    send({ type: "response.audio_transcript.delta", item_id: "a1", delta: "Old " });
    send({ type: "response.audio_transcript.done", item_id: "a1", transcript: "" });
    expect(transcript.takeDirty()).toEqual([
      { sequence: 0, speaker: "ai", text: "Old ", start_ms: 0, end_ms: 0, is_final: true },
    ]);
  });

  test("an event without item id falls back to the response id", () => {
    const { transcript, send } = make();
    send({ type: "response.output_audio_transcript.delta", response_id: "r9", delta: "A" });
    send({ type: "response.output_audio_transcript.delta", response_id: "r9", delta: "B" });
    expect(transcript.lines()).toEqual([{ sequence: 0, speaker: "ai", text: "AB", is_final: false }]);
  });
});

describe("sequences and ordering", () => {
  test("the sequence is fixed when an utterance is first seen, so interleaved events keep the spoken order", () => {
    const { transcript, clock, send } = make(0);
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 100 });
    clock.t = 1000;
    send({ type: "response.output_audio_transcript.delta", item_id: "a1", delta: "Partner first" });
    // The learner's transcription completes after the partner already started.
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "Learner" });
    send({ type: "input_audio_buffer.speech_started", item_id: "u2", audio_start_ms: 3000 });
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u2", transcript: "Again" });
    expect(transcript.lines().map((line) => [line.sequence, line.speaker, line.text])).toEqual([
      [0, "user", "Learner"],
      [1, "ai", "Partner first"],
      [2, "user", "Again"],
    ]);
    expect(transcript.takeDirty().map((segment) => segment.sequence)).toEqual([0, 1, 2]);
  });

  test("out of order: transcription before speech_started still gets the real start time", () => {
    const { transcript, clock, send } = make();
    clock.t = 4000;
    send({ type: "conversation.item.input_audio_transcription.delta", item_id: "u1", delta: "Early" });
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 2500 });
    send({ type: "input_audio_buffer.speech_stopped", item_id: "u1", audio_end_ms: 3900 });
    expect(transcript.takeDirty()).toEqual([
      { sequence: 0, speaker: "user", text: "Early", start_ms: 2500, end_ms: 3900, is_final: false },
    ]);
  });

  test("out of order: completed before speech_stopped stays final, and the late end time is taken", () => {
    const { transcript, clock, send } = make();
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 1000 });
    clock.t = 3000;
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "Quick." });
    send({ type: "input_audio_buffer.speech_stopped", item_id: "u1", audio_end_ms: 2000 });
    expect(transcript.takeDirty()).toEqual([
      { sequence: 0, speaker: "user", text: "Quick.", start_ms: 1000, end_ms: 2000, is_final: true },
    ]);
  });

  test("numbering starts at firstSequence (what the database and a restored outbox already used)", () => {
    const { transcript, send } = make(42);
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "x" });
    expect(transcript.takeDirty()[0].sequence).toBe(42);
    expect(createTranscript({ firstSequence: -5 }).nextSequence).toBe(0);
    expect(createTranscript({ firstSequence: "7" }).nextSequence).toBe(7);
  });
});

describe("reconnects", () => {
  test("audio times count from the start of the current connection", () => {
    const { transcript, clock, send } = make();
    transcript.setConnectionStart(0);
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 1000 });
    send({ type: "input_audio_buffer.speech_stopped", item_id: "u1", audio_end_ms: 2000 });
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "Before the drop" });
    // The network dropped; the new connection opened 60 s into the session, its clock starts at 0 again.
    clock.t = 60_000;
    transcript.setConnectionStart(clock.t);
    send({ type: "input_audio_buffer.speech_started", item_id: "u9", audio_start_ms: 500 });
    send({ type: "input_audio_buffer.speech_stopped", item_id: "u9", audio_end_ms: 1500 });
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u9", transcript: "After" });
    expect(transcript.takeDirty().map(({ sequence, start_ms, end_ms }) => [sequence, start_ms, end_ms])).toEqual([
      [0, 1000, 2000],
      [1, 60_500, 61_500],
    ]);
  });

  test("a session resumed after a reload counts from the session's start (the clock's offset)", () => {
    const { transcript, clock, send } = make(3);
    clock.t = 120_000; // 2 minutes had passed when the page opened
    transcript.setConnectionStart(clock.t);
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 250 });
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "Back" });
    expect(transcript.takeDirty()[0]).toMatchObject({ sequence: 3, start_ms: 120_250 });
  });
});

describe("closing and clamping", () => {
  test("closing marks every open utterance final once; finals are untouched", () => {
    const { transcript, clock, send } = make();
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "Closed." });
    clock.t = 2000;
    send({ type: "response.output_audio_transcript.delta", item_id: "a1", delta: "Cut off mid" });
    send({ type: "conversation.item.input_audio_transcription.delta", item_id: "u2", delta: "And I" });
    transcript.takeDirty();
    expect(transcript.closeOpen()).toBe(2);
    expect(transcript.takeDirty().map(({ sequence, text, is_final }) => [sequence, text, is_final])).toEqual([
      [1, "Cut off mid", true],
      [2, "And I", true],
    ]);
    expect(transcript.closeOpen()).toBe(0);
    expect(transcript.takeDirty()).toEqual([]);
  });

  test("closing sends an open utterance without words as an empty final (as before)", () => {
    const { transcript, send } = make();
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 10 });
    transcript.closeOpen();
    expect(transcript.takeDirty()).toEqual([
      { sequence: 0, speaker: "user", text: "", start_ms: 10, end_ms: 10, is_final: true },
    ]);
  });

  test("times are whole ms, end >= start, within the cap; text is cut at the limit", () => {
    const { transcript, clock, send } = make();
    transcript.setConnectionStart(0);
    send({ type: "input_audio_buffer.speech_started", item_id: "u1", audio_start_ms: 1500.7 });
    send({ type: "input_audio_buffer.speech_stopped", item_id: "u1", audio_end_ms: 900 });
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "x".repeat(MAX_TEXT + 50) });
    clock.t = MAX_SEGMENT_MS + 90_000;
    send({ type: "response.output_audio_transcript.delta", item_id: "a1", delta: "late" });
    const [first, second] = transcript.takeDirty();
    expect(first).toMatchObject({ start_ms: 1501, end_ms: 1501 });
    expect(first.text.length).toBe(MAX_TEXT);
    expect(second).toMatchObject({ start_ms: MAX_SEGMENT_MS, end_ms: MAX_SEGMENT_MS });
  });
});

describe("other events", () => {
  test("an error event is reported with its code; garbage is ignored", () => {
    const { transcript, send } = make();
    expect(send({ type: "error", error: { message: "Your session expired", code: "session_expired" } })).toEqual({
      changed: false,
      final: false,
      error: { detail: "Your session expired", code: "session_expired" },
    });
    expect(transcript.handleEvent("{not json").changed).toBe(false);
    expect(transcript.handleEvent(JSON.stringify({ kind: "no type" })).changed).toBe(false);
    expect(send({ type: "session.created" }).changed).toBe(false);
    expect(transcript.handleEvent({ type: "response.output_audio_transcript.delta", item_id: "a", delta: "obj" }).changed).toBe(true);
  });
});

describe("speech recognition (solo mode)", () => {
  test("interim results update one segment per index; a final result is final", () => {
    const { transcript, clock } = make(2);
    const run = transcript.startRecognitionRun();
    clock.t = 1000;
    expect(transcript.handleRecognition(run, recognition(0, ["hello", false]))).toEqual({ changed: true, final: false });
    clock.t = 1500;
    expect(transcript.handleRecognition(run, recognition(0, ["hello team ", true]))).toEqual({ changed: true, final: true });
    clock.t = 2000;
    transcript.handleRecognition(run, recognition(1, ["hello team", true], ["next", false]));
    expect(transcript.takeDirty()).toEqual([
      { sequence: 2, speaker: "user", text: "hello team", start_ms: 1000, end_ms: 1500, is_final: true },
      { sequence: 3, speaker: "user", text: "next", start_ms: 2000, end_ms: 2000, is_final: false },
    ]);
  });

  test("a new recognition run starts new segments even though its indexes restart", () => {
    const { transcript } = make();
    const first = transcript.startRecognitionRun();
    transcript.handleRecognition(first, recognition(0, ["one", true]));
    const second = transcript.startRecognitionRun();
    transcript.handleRecognition(second, recognition(0, ["two", true]));
    expect(transcript.lines().map((line) => [line.sequence, line.text])).toEqual([
      [0, "one"],
      [1, "two"],
    ]);
  });

  test("the typed transcript becomes one final segment after what was recognised", () => {
    const { transcript, clock } = make(5);
    const run = transcript.startRecognitionRun();
    clock.t = 3000;
    transcript.handleRecognition(run, recognition(0, ["recognised", true]));
    clock.t = 9000;
    expect(transcript.addTyped("   ")).toBe(false);
    expect(transcript.addTyped("  What I said.  ")).toBe(true);
    expect(transcript.takeDirty().at(-1)).toEqual({
      sequence: 6,
      speaker: "user",
      text: "What I said.",
      start_ms: 3000,
      end_ms: 9000,
      is_final: true,
    });
  });

  test("lines() keeps the last ones with words", () => {
    const { transcript, send } = make();
    for (let index = 0; index < 50; index += 1) {
      send({ type: "conversation.item.input_audio_transcription.completed", item_id: `u${index}`, transcript: `line ${index}` });
    }
    const shown = transcript.lines(40);
    expect(shown.length).toBe(40);
    expect(shown[0].text).toBe("line 10");
    expect(shown.at(-1).text).toBe("line 49");
  });
});
