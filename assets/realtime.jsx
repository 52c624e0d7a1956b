// SpeakPro's live practice client (wrapped by speakpro/components/realtime.py).
//
// "realtime" mode: once the page hands it a short-lived client secret, it asks for the microphone, opens
// the WebRTC call to the Realtime API (live/usePeer.js), plays the partner's audio, and turns the
// `oai-events` data channel's transcription events into transcript segments (live/transcript.js).
// "solo" mode (no AI partner configured): no WebRTC; the browser's speech recognition, when it works,
// produces the learner's segments (live/useSpeechRecognition.js), and a text area lets the learner type
// what they said (sent as one final segment at the end).
//
// Every segment {sequence, speaker, text, start_ms, end_ms, is_final} goes through an acknowledged outbox
// (live/outbox.js, mirrored to sessionStorage under `speakpro.outbox.<session id>`): batches of at most 20
// go over the transcript socket (live/useTranscriptSocket.js) as {batch_id, session_id, segments} (every
// 500 ms, and at once on every final); the server answers each batch after its commit with
// {batch_id, stored, refused, retry}. Anything unacknowledged is sent again after 3 s (backing off while
// unanswered), at once when the browser comes back online or the socket reconnects, and after a reload.
// A transient refusal shows a calm notice and keeps everything; a permanent one shows its reason and gives
// up that batch. Answers (and messages of their own) may carry `meter`, the live meter's reading of the
// stored transcript (speakpro/services/analysis/live_meter.py), shown while the session runs. The root
// element's `data-pending` is the number of unacknowledged segments.
//
// In both modes the microphone is recorded for the whole session (live/useRecording.js). When the session
// ends (End, the time cap, or a failed connection) open utterances are closed and sent, the page waits
// until every segment is acknowledged ("Saving the last words…"; after 15 s the learner may end without
// them, while the page keeps trying), then the recording is uploaded over HTTP (live/upload.js) and
// reported through `onRecorded({key, mime, size, duration_seconds})`. Status changes go through
// `onStatus({status, reason, elapsed_seconds})`: connecting, live, reconnecting, ending, ended, failed.
// Audio and the client secret never travel over Reflex's websocket; the secret is never logged.
import React, { useEffect, useRef, useState } from "react";
import { createOutbox } from "$/public/live/outbox.js";
import { createTranscript, MAX_TEXT } from "$/public/live/transcript.js";
import { uploadRecording } from "$/public/live/upload.js";
import { usePeer } from "$/public/live/usePeer.js";
import { useRecording } from "$/public/live/useRecording.js";
import { useSpeechRecognition } from "$/public/live/useSpeechRecognition.js";
import { useTranscriptSocket } from "$/public/live/useTranscriptSocket.js";
import { formatTime, LiveMeter, SavingNotices, TargetBar, TranscriptView } from "$/public/live/view.jsx";

const SEND_INTERVAL_MS = 500;
const SHOWN_LINES = 40;
const LAST_WORDS_PATIENCE_MS = 15000;
const TERMINAL = new Set(["finishing", "ended", "failed"]);
const DONE = new Set(["ended", "failed"]);

export const SAVING_PAUSED = "Saving paused: we can't reach the server. Your words are kept and will be sent again.";
export const SAVING_LAST_WORDS = "Saving the last words…";
export const LAST_WORDS_STUCK =
  "Your last words are not saved yet: we can't reach the server. Keep this tab open, we keep trying.";

// sessionStorage, or null where the browser refuses it (privacy modes, sandboxed frames).
const sessionStorageOrNull = () => {
  try {
    return typeof window !== "undefined" && window.sessionStorage ? window.sessionStorage : null;
  } catch {
    return null;
  }
};

export function RealtimeClient({
  mode = "realtime",
  clientSecret = "",
  callsUrl = "",
  model = "",
  uploadUrl = "/api/audio",
  transcriptUrl = "/api/live",
  maxSeconds = 900,
  targetMinSeconds = 120,
  targetMaxSeconds = 300,
  muted = false,
  endToken = 0,
  sequenceStart = 0,
  elapsedOffsetSeconds = 0,
  initialSegments = [],
  partnerName = "Partner",
  sessionId = "",
  onRecorded,
  onStatus,
  id = "realtime-client",
  className,
  style,
  ref,
}) {
  // The transcript and its outbox live as long as the component. After a reload the outbox comes back from
  // sessionStorage: its partials can no longer grow (their connection is gone), so they are closed, and
  // numbering carries on after both what the database holds and what the outbox may still send.
  const coreRef = useRef(null);
  const clockRef = useRef(() => 0);
  if (!coreRef.current) {
    const outbox = createOutbox({ sessionId: String(sessionId || ""), storage: sessionStorageOrNull() });
    outbox.putAll(outbox.restored.filter((segment) => !segment.is_final).map((segment) => ({ ...segment, is_final: true })));
    const firstSequence = Math.max(Math.max(0, Number(sequenceStart) || 0), outbox.highestSequence() + 1);
    const transcript = createTranscript({ firstSequence, now: () => clockRef.current() });
    const restoredLines = outbox
      .segments()
      .filter((segment) => segment.text.trim() !== "")
      .map(({ sequence, speaker, text, is_final }) => ({ sequence, speaker, text, is_final }));
    coreRef.current = { outbox, transcript, restoredLines };
  }
  const { outbox, transcript, restoredLines } = coreRef.current;

  // idle | connecting | live | reconnecting | finishing | ended | failed
  const [phase, setPhase] = useState("idle");
  const [elapsed, setElapsed] = useState(Math.max(0, Number(elapsedOffsetSeconds) || 0));
  const [lines, setLines] = useState([]);
  const [message, setMessage] = useState("");
  const [typed, setTyped] = useState("");
  const [pending, setPending] = useState(() => outbox.pending());
  const [paused, setPaused] = useState("");
  const [refusals, setRefusals] = useState([]);
  const [stuck, setStuck] = useState(false);
  const [meter, setMeter] = useState(null);

  const propsRef = useRef({});
  propsRef.current = { onRecorded, onStatus, uploadUrl, maxSeconds, typed, mode };
  const phaseRef = useRef("idle");
  const mountedRef = useRef(true);
  const typedRef = useRef(false); // the learner typed their transcript (solo): reported with the end
  // Bumped when the component unmounts (React's StrictMode does that once on purpose in development):
  // work started before must then stop instead of touching devices the new mount owns.
  const generationRef = useRef(0);
  const usedSecretsRef = useRef(new Set());
  const endTokenRef = useRef(endToken);
  const audioRef = useRef(null);
  // While the session ends: settles the wait for the last acknowledgements.
  const lastWordsRef = useRef(null);

  const recording = useRecording({ muted });

  // Session time in ms: what had passed when the page opened (a reload mid-session) plus this page's time.
  const offsetRef = useRef(0);
  offsetRef.current = Math.max(0, Number(elapsedOffsetSeconds) || 0) * 1000;
  const pageMs = () => {
    const startedAt = recording.startedAt();
    return startedAt ? Math.max(0, Math.round(performance.now() - startedAt)) : 0;
  };
  const now = () => offsetRef.current + pageMs();
  clockRef.current = now;

  const setPhaseBoth = (next) => {
    phaseRef.current = next;
    if (mountedRef.current) {
      setPhase(next);
    }
  };

  const report = (status, reason = "") => {
    const callback = propsRef.current.onStatus;
    if (typeof callback === "function") {
      callback({ status, reason, typed: typedRef.current, elapsed_seconds: Math.round(now() / 100) / 10 });
    }
  };

  // ---- transcript and outbox -----------------------------------------------------------------------------

  const refreshLines = () => {
    if (mountedRef.current) {
      setLines(transcript.lines(SHOWN_LINES));
    }
  };

  const settleLastWords = (outcome) => {
    const waiting = lastWordsRef.current;
    if (waiting) {
      lastWordsRef.current = null;
      clearTimeout(waiting.timer);
      waiting.resolve(outcome);
    }
  };

  const outboxChanged = () => {
    if (mountedRef.current) {
      setPending(outbox.pending());
    }
    if (outbox.isEmpty()) {
      settleLastWords("saved");
    }
  };

  // The server's answers, one per batch, and the live meter's readings (with an answer or on their own).
  const answered = (answer) => {
    if (answer && answer.meter && mountedRef.current) {
      setMeter(answer.meter);
    }
    if (!answer || !answer.batch_id) {
      return;
    }
    const summary = outbox.ack([answer]);
    if (summary.answered === 0) {
      return;
    }
    if (summary.paused === true) {
      setPaused(summary.pausedText || SAVING_PAUSED);
    } else if (summary.paused === false) {
      setPaused("");
    }
    if (summary.refusals.length > 0) {
      setRefusals((current) => [...current, ...summary.refusals.filter((text) => !current.includes(text))].slice(-3));
    }
    outboxChanged();
  };

  // (Re)connected: everything unacknowledged goes again at once. Down with words waiting: say so, calmly.
  const socket = useTranscriptSocket({
    path: transcriptUrl,
    sessionId: String(sessionId || ""),
    onAnswer: answered,
    onOpen: () => {
      if (!DONE.has(phaseRef.current)) {
        send(true);
      }
    },
    onDown: () => {
      if (!outbox.isEmpty() && mountedRef.current) {
        setPaused(SAVING_PAUSED);
      }
    },
  });

  // Sends what is due (new versions, and what waited too long for its acknowledgement). While the socket
  // is down the batches count as sent and unanswered: the resend timer and the reconnect send them again.
  const send = (force = false) => {
    outbox.take({ force }).forEach((batch) => socket.send(batch));
    outboxChanged();
  };

  const flush = () => {
    outbox.putAll(transcript.takeDirty());
    send();
  };

  const noted = ({ changed, final }) => {
    if (changed) {
      refreshLines();
    }
    if (final) {
      flush();
    }
  };

  const handleServerEvent = (raw) => {
    if (TERMINAL.has(phaseRef.current)) {
      return;
    }
    const result = transcript.handleEvent(raw);
    noted(result);
    if (result.error) {
      if (mountedRef.current) {
        setMessage(`The AI partner reported a problem: ${result.error.detail}`);
      }
      if (result.error.code === "session_expired" || result.error.code === "invalid_api_key") {
        finish("failed", "secret expired");
      }
    }
  };

  useEffect(() => {
    const online = () => {
      if (!DONE.has(phaseRef.current)) {
        send(true);
      }
    };
    window.addEventListener("online", online);
    return () => window.removeEventListener("online", online);
  }, []);

  // ---- microphone, partner, speech recognition ---------------------------------------------------------

  const openMicrophone = async (generation) => {
    const got = await recording.open(() => generation === generationRef.current && !TERMINAL.has(phaseRef.current));
    if (got.stream) {
      if (got.warning) {
        setMessage(got.warning);
      }
      return got.stream;
    }
    if (got.error) {
      setMessage(got.message);
      finish("failed", got.error === "denied" ? "microphone denied" : "microphone unavailable");
    }
    return null;
  };

  const peer = usePeer({
    audioRef,
    callsUrl,
    model,
    handlers: {
      isActive: () => !TERMINAL.has(phaseRef.current),
      isReconnecting: () => phaseRef.current === "reconnecting",
      onOpen: () => {
        // The partner's audio timestamps count from the start of this connection.
        transcript.setConnectionStart(now());
        setPhaseBoth("live");
        setMessage("");
        report("live");
      },
      onMessage: handleServerEvent,
      onReconnecting: (reason) => {
        setPhaseBoth("reconnecting");
        setMessage(reason === "secret expired" ? "Renewing the connection..." : "Connection lost, reconnecting...");
        report("reconnecting", reason);
      },
      onFailed: (reason) => finish("failed", reason),
      onUnavailable: () => {
        setMessage("This browser cannot open a live audio connection (WebRTC).");
        finish("failed", "webrtc unavailable");
      },
    },
  });

  const speech = useSpeechRecognition({
    newRun: () => transcript.startRecognitionRun(),
    onResult: (run, event) => noted(transcript.handleRecognition(run, event)),
    accepting: () => !TERMINAL.has(phaseRef.current),
    isLive: () => phaseRef.current === "live",
  });

  const connect = async (secret) => {
    const generation = generationRef.current;
    if (phaseRef.current === "idle") {
      setPhaseBoth("connecting");
      report("connecting");
    }
    const stream = await openMicrophone(generation);
    if (!stream || generation !== generationRef.current || TERMINAL.has(phaseRef.current)) {
      return;
    }
    await peer.open(secret, stream);
  };

  const startSolo = async () => {
    const generation = generationRef.current;
    setPhaseBoth("connecting");
    report("connecting");
    const stream = await openMicrophone(generation);
    if (!stream || generation !== generationRef.current || TERMINAL.has(phaseRef.current)) {
      return;
    }
    setPhaseBoth("live");
    report("live");
    speech.start();
  };

  // ---- the end -----------------------------------------------------------------------------------------

  // Resolves once the outbox is empty ("saved"), the learner ends without the rest ("abandoned"), or the
  // page goes away ("gone").
  const waitForLastWords = () =>
    new Promise((resolve) => {
      if (outbox.isEmpty()) {
        resolve("saved");
        return;
      }
      setMessage(SAVING_LAST_WORDS);
      const timer = setTimeout(() => {
        if (lastWordsRef.current && mountedRef.current) {
          setStuck(true);
          setMessage(LAST_WORDS_STUCK);
        }
      }, LAST_WORDS_PATIENCE_MS);
      lastWordsRef.current = { resolve, timer };
    });

  const endAnyway = () => {
    if (lastWordsRef.current) {
      outbox.discard();
      settleLastWords("abandoned");
      outboxChanged();
    }
  };

  const upload = async (blob, durationSeconds) => {
    setMessage("Saving your recording...");
    const answer = await uploadRecording({ blob, uploadUrl: propsRef.current.uploadUrl, purpose: "practice" });
    if (!answer.ok) {
      setMessage(answer.message);
      return;
    }
    setMessage(`Recording saved (${formatTime(durationSeconds)}).`);
    const callback = propsRef.current.onRecorded;
    if (typeof callback === "function") {
      callback({ key: answer.key, mime: answer.mime, size: answer.size, duration_seconds: durationSeconds });
    }
  };

  const finish = async (kind, reason = "") => {
    if (TERMINAL.has(phaseRef.current)) {
      return;
    }
    const generation = generationRef.current;
    const durationSeconds = Math.round(pageMs() / 100) / 10;
    setPhaseBoth("finishing");
    peer.clearWatchdog();
    report("ending", reason);
    speech.stop();
    peer.close();
    transcript.closeOpen();
    if (propsRef.current.mode === "solo" && transcript.addTyped(propsRef.current.typed || "")) {
      typedRef.current = true;
      refreshLines();
    }
    flush();
    const blob = await recording.stop();
    recording.release();
    const outcome = await waitForLastWords();
    if (outcome === "gone" || generation !== generationRef.current) {
      return;
    }
    if (mountedRef.current) {
      setStuck(false);
    }
    if (blob && blob.size > 0) {
      await upload(blob, durationSeconds);
    }
    setPhaseBoth(kind);
    report(kind, reason);
  };

  // ---- effects -----------------------------------------------------------------------------------------

  useEffect(() => {
    mountedRef.current = true;
    if (!outbox.isEmpty()) {
      send(); // what a previous page of this session left unacknowledged
    }
    return () => {
      // Leaving the page mid-session: send what was said, release the devices, drop the recording. The
      // session stays active on the server, and the outbox stays in sessionStorage, so opening the page
      // again carries on with a new connection and sends what is still unacknowledged.
      mountedRef.current = false;
      generationRef.current += 1;
      if (!TERMINAL.has(phaseRef.current)) {
        transcript.closeOpen();
        flush();
        phaseRef.current = "idle";
      }
      settleLastWords("gone");
      speech.stop();
      peer.close();
      peer.clearWatchdog();
      recording.discard();
      usedSecretsRef.current.clear();
    };
  }, []);

  useEffect(() => {
    if (mode === "realtime" && clientSecret && !usedSecretsRef.current.has(clientSecret)) {
      if (phaseRef.current === "idle" || phaseRef.current === "reconnecting") {
        usedSecretsRef.current.add(clientSecret);
        connect(clientSecret);
      }
    }
  }, [mode, clientSecret]);

  useEffect(() => {
    if (mode === "solo" && phaseRef.current === "idle") {
      startSolo();
    }
  }, [mode]);

  useEffect(() => {
    if (endToken !== endTokenRef.current) {
      endTokenRef.current = endToken;
      if (!TERMINAL.has(phaseRef.current)) {
        finish("ended");
      }
    }
  }, [endToken]);

  useEffect(() => {
    const timer = setInterval(() => {
      if (!recording.startedAt() || TERMINAL.has(phaseRef.current)) {
        return;
      }
      const seconds = now() / 1000;
      setElapsed(seconds);
      if (seconds >= Math.max(1, Number(propsRef.current.maxSeconds) || 900)) {
        setMessage("Time is up: the session stops at the time limit.");
        finish("ended", "time limit");
      }
    }, 250);
    // Keeps sending while the session ends too: the last words may still wait for their acknowledgement.
    const sender = setInterval(() => {
      if (!DONE.has(phaseRef.current)) {
        flush();
      }
    }, SEND_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      clearInterval(sender);
    };
  }, []);

  // ---- view --------------------------------------------------------------------------------------------

  const start = Math.max(0, Number(sequenceStart) || 0);
  const bySequence = new Map();
  for (const segment of Array.isArray(initialSegments) ? initialSegments : []) {
    if (segment && Number(segment.sequence) < start) {
      bySequence.set(Number(segment.sequence), segment);
    }
  }
  for (const segment of [...restoredLines, ...lines]) {
    bySequence.set(segment.sequence, segment);
  }
  const shown = [...bySequence.values()].sort((a, b) => Number(a.sequence) - Number(b.sequence)).slice(-SHOWN_LINES);
  const solo = mode === "solo";
  const showTyping = solo && (speech.state !== "hearing" || typed !== "");
  const finished = TERMINAL.has(phase);

  return (
    <div
      id={id}
      ref={ref}
      className={className}
      data-phase={phase}
      data-mode={mode}
      data-pending={pending}
      data-socket={socket.state}
      style={{ display: "flex", flexDirection: "column", gap: "1rem", width: "100%", ...(style || {}) }}
    >
      <audio id="partner-audio" ref={audioRef} autoPlay playsInline style={{ display: "none" }} />
      <TargetBar
        elapsed={elapsed}
        maxSeconds={Number(maxSeconds) || 900}
        targetMinSeconds={Number(targetMinSeconds) || 120}
        targetMaxSeconds={Number(targetMaxSeconds) || 300}
      />
      {message && (
        <div id="realtime-message" role="status" aria-live="polite" style={{ fontSize: "var(--font-size-2, 14px)", color: "var(--gray-11, #646464)" }}>
          {message}
        </div>
      )}
      <SavingNotices paused={paused} refusals={refusals} stuck={stuck && phase === "finishing"} onEndAnyway={endAnyway} />
      {solo && (
        <div style={{ fontSize: "var(--font-size-2, 14px)", color: "var(--gray-11, #646464)" }} id="solo-recognition" data-state={speech.state}>
          {speech.state === "hearing" || speech.state === "listening"
            ? "Your browser's speech recognition writes down what you say."
            : "Speech recognition is not available in this browser: type what you said below."}
        </div>
      )}
      {!finished && <LiveMeter meter={meter} solo={solo} />}
      <TranscriptView lines={shown} partnerName={partnerName} solo={solo} />
      {showTyping && (
        <div style={{ display: "flex", flexDirection: "column", gap: "0.35rem" }}>
          <label htmlFor="solo-transcript" style={{ fontWeight: 500, fontSize: "var(--font-size-2, 14px)" }}>
            What you said (typed transcript, saved when you end the session)
          </label>
          <textarea
            id="solo-transcript"
            value={typed}
            disabled={finished}
            maxLength={MAX_TEXT}
            rows={6}
            onChange={(event) => setTyped(event.target.value)}
            placeholder="Type what you said, as you said it..."
            style={{ width: "100%", boxSizing: "border-box", padding: "0.5rem", borderRadius: 6, border: "1px solid var(--gray-a7, #ccc)", font: "inherit" }}
          />
        </div>
      )}
    </div>
  );
}

export default RealtimeClient;
