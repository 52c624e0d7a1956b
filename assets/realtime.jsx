// SpeakPro's live practice client (wrapped by speakpro/components/realtime.py).
//
// "realtime" mode: once the page hands it a short-lived client secret, it asks for the microphone, opens an
// RTCPeerConnection to the Realtime calls endpoint (SDP offer POSTed with the secret as a Bearer token), plays
// the partner's audio, and turns the `oai-events` data channel's transcription events into transcript
// segments {sequence, speaker, text, start_ms, end_ms, is_final} that go to the state in small batches
// (every 500 ms, and at once on every final) through `onSegments({segments})`.
// "solo" mode (no AI partner configured): no WebRTC; the browser's speech recognition, when it works,
// produces the learner's segments, and a text area lets the learner type what they said (sent as one final
// segment at the end).
// In both modes the microphone is recorded for the whole session with MediaRecorder; when the session ends
// (End, the time cap, or a failed connection) the recording is uploaded over HTTP like recorder.jsx does and
// reported through `onRecorded({key, mime, size, duration_seconds})`. Status changes go through
// `onStatus({status, reason, elapsed_seconds})`: connecting, live, reconnecting, ending, ended, failed.
// Audio and the client secret never travel over Reflex's websocket; the secret is never logged.
import React, { useEffect, useRef, useState } from "react";
import { resolveUploadUrl } from "$/public/recorder.jsx";

const SESSION_COOKIE = "speakpro_session";
const SEND_INTERVAL_MS = 500;
const MAX_BATCH = 20;
const MAX_TEXT = 4000;
const MAX_SEGMENT_MS = 16 * 60 * 1000;
const SHOWN_LINES = 40;
const MAX_RECONNECTS = 3;
const RECONNECT_WAIT_MS = 20000;
const DISCONNECT_GRACE_MS = 4000;
const ICE_GATHER_WAIT_MS = 2000;
const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
const TERMINAL = new Set(["finishing", "ended", "failed"]);

const formatTime = (seconds) => {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
};

// The same cookie reading as recorder.jsx (which does not export it).
const readCookie = (name) => {
  for (const part of (document.cookie || "").split(";")) {
    const [rawKey, ...rest] = part.trim().split("=");
    if (rawKey === name) {
      try {
        return decodeURIComponent(rest.join("="));
      } catch {
        return rest.join("=");
      }
    }
  }
  return "";
};

const pickMimeType = () => {
  if (typeof MediaRecorder === "undefined" || !MediaRecorder.isTypeSupported) {
    return "";
  }
  return PREFERRED_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
};

const callsEndpoint = (callsUrl, model) => {
  const url = new URL(callsUrl || "https://api.openai.com/v1/realtime/calls");
  if (model && !url.searchParams.has("model")) {
    url.searchParams.set("model", model);
  }
  return url.toString();
};

const waitForIceGathering = (pc) =>
  new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") {
      resolve();
      return;
    }
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    // Candidates gathered so far are enough: the answerer also learns ours from its connectivity checks.
    setTimeout(resolve, ICE_GATHER_WAIT_MS);
  });

const clampText = (text) => (text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);

const card = {
  padding: "1rem",
  borderRadius: "var(--radius-4, 8px)",
  border: "1px solid var(--gray-a5, #ddd)",
  background: "var(--color-panel-solid, white)",
  width: "100%",
  boxSizing: "border-box",
};

function TargetBar({ elapsed, maxSeconds, targetMinSeconds, targetMaxSeconds }) {
  const scale = Math.max(1, maxSeconds);
  const pct = (seconds) => `${Math.min(100, (Math.max(0, seconds) / scale) * 100)}%`;
  const inTarget = elapsed >= targetMinSeconds && elapsed <= targetMaxSeconds;
  return (
    <div id="practice-timer" data-elapsed={Math.floor(elapsed)} style={{ display: "flex", flexDirection: "column", gap: "0.35rem", width: "100%" }}>
      <div style={{ display: "flex", justifyContent: "space-between", fontSize: "var(--font-size-2, 14px)" }}>
        <span style={{ fontVariantNumeric: "tabular-nums", fontSize: "var(--font-size-5, 20px)", fontWeight: 600 }}>
          {formatTime(elapsed)}
        </span>
        <span style={{ color: "var(--gray-11, #646464)" }}>
          Target {formatTime(targetMinSeconds)}–{formatTime(targetMaxSeconds)} · stops at {formatTime(maxSeconds)}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label="Session time"
        aria-valuemin={0}
        aria-valuemax={scale}
        aria-valuenow={Math.floor(elapsed)}
        style={{ position: "relative", height: 10, borderRadius: 5, background: "var(--gray-4, #e8e8e8)", overflow: "hidden" }}
      >
        <div
          title="Target length"
          style={{
            position: "absolute",
            left: pct(targetMinSeconds),
            width: `calc(${pct(targetMaxSeconds)} - ${pct(targetMinSeconds)})`,
            top: 0,
            bottom: 0,
            background: "var(--green-5, #c4e8d1)",
          }}
        />
        <div
          style={{
            position: "absolute",
            left: 0,
            top: 0,
            bottom: 0,
            width: pct(elapsed),
            background: inTarget ? "var(--green-9, #30a46c)" : elapsed > targetMaxSeconds ? "var(--amber-9, #ffc53d)" : "var(--accent-9, #3e63dd)",
            opacity: 0.85,
            transition: "width 250ms linear",
          }}
        />
      </div>
    </div>
  );
}

export function RealtimeClient({
  mode = "realtime",
  clientSecret = "",
  callsUrl = "",
  model = "",
  uploadUrl = "/api/audio",
  maxSeconds = 900,
  targetMinSeconds = 120,
  targetMaxSeconds = 300,
  muted = false,
  endToken = 0,
  sequenceStart = 0,
  elapsedOffsetSeconds = 0,
  initialSegments = [],
  partnerName = "Partner",
  onSegments,
  onRecorded,
  onStatus,
  id = "realtime-client",
  className,
  style,
  ref,
}) {
  // idle | connecting | live | reconnecting | finishing | ended | failed
  const [phase, setPhase] = useState("idle");
  const [elapsed, setElapsed] = useState(Math.max(0, Number(elapsedOffsetSeconds) || 0));
  const [lines, setLines] = useState([]);
  const [message, setMessage] = useState("");
  const [typed, setTyped] = useState("");
  // Solo mode: idle | listening | hearing | off
  const [recognition, setRecognition] = useState("idle");

  const propsRef = useRef({});
  propsRef.current = { onSegments, onRecorded, onStatus, uploadUrl, callsUrl, model, maxSeconds, typed, mode };
  const phaseRef = useRef("idle");
  const mountedRef = useRef(true);
  // Bumped when the component unmounts (React's StrictMode does that once on purpose in development):
  // work started before must then stop instead of touching devices the new mount owns.
  const generationRef = useRef(0);
  const t0Ref = useRef(0);
  const streamRef = useRef(null);
  const recorderRef = useRef(null);
  const chunksRef = useRef([]);
  const recordingDoneRef = useRef(null);
  const pcRef = useRef(null);
  const audioRef = useRef(null);
  const usedSecretsRef = useRef(new Set());
  const reconnectsRef = useRef(0);
  const watchdogRef = useRef(null);
  const disconnectTimerRef = useRef(null);
  const connOffsetRef = useRef(0);
  const utterancesRef = useRef(new Map());
  const dirtyRef = useRef(new Set());
  const nextSequenceRef = useRef(Math.max(0, Number(sequenceStart) || 0));
  const soloCounterRef = useRef(0);
  const recognizerRef = useRef(null);
  const endTokenRef = useRef(endToken);
  const mutedRef = useRef(muted);
  mutedRef.current = muted;

  // Session time in ms: what had passed when the page opened (a reload mid-session) plus this page's time.
  const offsetMs = Math.max(0, Number(elapsedOffsetSeconds) || 0) * 1000;
  const offsetRef = useRef(offsetMs);
  offsetRef.current = offsetMs;
  const pageMs = () => (t0Ref.current ? Math.max(0, Math.round(performance.now() - t0Ref.current)) : 0);
  const now = () => offsetRef.current + pageMs();

  const setPhaseBoth = (next) => {
    phaseRef.current = next;
    if (mountedRef.current) {
      setPhase(next);
    }
  };

  const report = (status, reason = "") => {
    const callback = propsRef.current.onStatus;
    if (typeof callback === "function") {
      callback({ status, reason, elapsed_seconds: Math.round(now() / 100) / 10 });
    }
  };

  // ---- transcript segments -------------------------------------------------------------------------------

  const ordered = () => [...utterancesRef.current.values()].sort((a, b) => a.sequence - b.sequence);

  // Times stay within what the service accepts (whole ms, end >= start, at most the cap plus a minute).
  // Overlaps of one speaker's finals are clamped by the service, which sees every stored neighbour.
  const clampTimes = () => {
    for (const segment of utterancesRef.current.values()) {
      segment.start_ms = Math.min(MAX_SEGMENT_MS, Math.max(0, Math.round(segment.start_ms)));
      segment.end_ms = Math.min(MAX_SEGMENT_MS, Math.max(segment.start_ms, Math.round(segment.end_ms)));
    }
  };

  const refreshLines = () => {
    if (!mountedRef.current) {
      return;
    }
    const list = ordered().filter((segment) => segment.text.trim() !== "");
    setLines(
      list.slice(-SHOWN_LINES).map(({ sequence, speaker, text, is_final }) => ({ sequence, speaker, text, is_final })),
    );
  };

  const utterance = (key, speaker, startMs) => {
    let segment = utterancesRef.current.get(key);
    if (!segment) {
      // The sequence is fixed when the utterance starts, so it orders the transcript as it was spoken.
      segment = {
        sequence: nextSequenceRef.current++,
        speaker,
        text: "",
        start_ms: Math.max(0, Math.round(startMs)),
        end_ms: Math.max(0, Math.round(startMs)),
        is_final: false,
      };
      utterancesRef.current.set(key, segment);
    }
    return segment;
  };

  const flush = () => {
    const callback = propsRef.current.onSegments;
    if (dirtyRef.current.size === 0) {
      return;
    }
    clampTimes();
    const batch = [...dirtyRef.current]
      .map((key) => utterancesRef.current.get(key))
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
    dirtyRef.current.clear();
    if (typeof callback !== "function") {
      return;
    }
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      callback({ segments: batch.slice(start, start + MAX_BATCH) });
    }
  };

  const touch = (key, { final = false } = {}) => {
    dirtyRef.current.add(key);
    refreshLines();
    if (final) {
      flush();
    }
  };

  const closeOpenUtterances = () => {
    for (const [key, segment] of utterancesRef.current) {
      if (!segment.is_final) {
        segment.is_final = true;
        segment.end_ms = Math.max(segment.end_ms, segment.start_ms);
        dirtyRef.current.add(key);
      }
    }
  };

  // ---- the Realtime data channel -------------------------------------------------------------------------

  const handleServerEvent = (raw) => {
    let event;
    try {
      event = JSON.parse(raw);
    } catch {
      return;
    }
    if (!event || typeof event.type !== "string" || TERMINAL.has(phaseRef.current)) {
      return;
    }
    const offset = connOffsetRef.current;
    const itemKey = (prefix) => `${prefix}:${event.item_id || event.response_id || "unknown"}`;
    switch (event.type) {
      case "input_audio_buffer.speech_started": {
        const start = Number.isFinite(event.audio_start_ms) ? offset + event.audio_start_ms : now();
        utterance(itemKey("user"), "user", start);
        break;
      }
      case "input_audio_buffer.speech_stopped": {
        const key = itemKey("user");
        const segment = utterance(key, "user", now());
        segment.end_ms = Number.isFinite(event.audio_end_ms) ? offset + event.audio_end_ms : now();
        dirtyRef.current.add(key);
        break;
      }
      case "conversation.item.input_audio_transcription.delta": {
        const key = itemKey("user");
        const segment = utterance(key, "user", now());
        if (!segment.is_final) {
          segment.text += event.delta || "";
          touch(key);
        }
        break;
      }
      case "conversation.item.input_audio_transcription.completed": {
        const key = itemKey("user");
        const segment = utterance(key, "user", now());
        segment.text = typeof event.transcript === "string" ? event.transcript.trim() : segment.text;
        segment.end_ms = Math.max(segment.end_ms, segment.start_ms);
        segment.is_final = true;
        touch(key, { final: true });
        break;
      }
      case "response.output_audio_transcript.delta":
      case "response.audio_transcript.delta": {
        const key = itemKey("ai");
        const segment = utterance(key, "ai", now());
        if (!segment.is_final) {
          segment.text += event.delta || "";
          segment.end_ms = now();
          touch(key);
        }
        break;
      }
      case "response.output_audio_transcript.done":
      case "response.audio_transcript.done": {
        const key = itemKey("ai");
        const segment = utterance(key, "ai", now());
        if (typeof event.transcript === "string" && event.transcript.trim()) {
          segment.text = event.transcript.trim();
        }
        segment.end_ms = Math.max(segment.end_ms, now());
        segment.is_final = true;
        touch(key, { final: true });
        break;
      }
      case "error": {
        const detail = (event.error && (event.error.message || event.error.code)) || "unknown error";
        if (mountedRef.current) {
          setMessage(`The AI partner reported a problem: ${String(detail).slice(0, 200)}`);
        }
        const code = event.error && event.error.code;
        if (code === "session_expired" || code === "invalid_api_key") {
          finish("failed", "secret expired");
        }
        break;
      }
      default:
        break;
    }
  };

  // ---- microphone and recording --------------------------------------------------------------------------

  const ensureMicrophone = async (generation) => {
    if (streamRef.current) {
      return streamRef.current;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") {
      setMessage("This browser cannot record audio. Please try a recent Chrome, Edge, Firefox or Safari.");
      finish("failed", "microphone unavailable");
      return null;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (error) {
      if (generation !== generationRef.current) {
        return null;
      }
      const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      setMessage(
        denied
          ? "Microphone access was denied. Allow the microphone for this site and start a new session."
          : "The microphone could not be started. Is one connected, and not used by another app?",
      );
      finish("failed", denied ? "microphone denied" : "microphone unavailable");
      return null;
    }
    if (generation !== generationRef.current || streamRef.current || TERMINAL.has(phaseRef.current)) {
      stream.getTracks().forEach((track) => track.stop());
      return null;
    }
    stream.getAudioTracks().forEach((track) => {
      track.enabled = !mutedRef.current;
    });
    streamRef.current = stream;
    startRecording(stream);
    return stream;
  };

  const startRecording = (stream) => {
    const mimeType = pickMimeType();
    let recorder;
    try {
      recorder = mimeType ? new MediaRecorder(stream, { mimeType }) : new MediaRecorder(stream);
    } catch {
      setMessage("This browser cannot record audio in a supported format; the session is not recorded.");
      return;
    }
    chunksRef.current = [];
    recorder.ondataavailable = (event) => {
      if (event.data && event.data.size > 0) {
        chunksRef.current.push(event.data);
      }
    };
    recordingDoneRef.current = new Promise((resolve) => {
      recorder.onstop = () => {
        resolve(new Blob(chunksRef.current, { type: recorder.mimeType || mimeType || "audio/webm" }));
        chunksRef.current = [];
      };
    });
    recorderRef.current = recorder;
    t0Ref.current = performance.now();
    recorder.start(1000);
  };

  const stopRecording = async () => {
    const recorder = recorderRef.current;
    recorderRef.current = null;
    if (!recorder) {
      return null;
    }
    if (recorder.state !== "inactive") {
      recorder.stop();
    }
    return recordingDoneRef.current;
  };

  const releaseMicrophone = () => {
    if (streamRef.current) {
      streamRef.current.getTracks().forEach((track) => track.stop());
      streamRef.current = null;
    }
  };

  const upload = async (blob, durationSeconds) => {
    const { uploadUrl: target, onRecorded: callback } = propsRef.current;
    const token = readCookie(SESSION_COOKIE);
    if (!token) {
      setMessage("You are signed out, so the recording could not be saved.");
      return;
    }
    setMessage("Saving your recording...");
    let response;
    try {
      response = await fetch(resolveUploadUrl(target, "practice"), {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": blob.type || "application/octet-stream" },
        body: blob,
      });
    } catch {
      setMessage("The recording could not be uploaded: the server did not answer.");
      return;
    }
    let body = {};
    try {
      body = await response.json();
    } catch {
      body = {};
    }
    if (!response.ok) {
      setMessage(`The recording was not saved: ${body.error || `the server answered ${response.status}`}`);
      return;
    }
    setMessage(`Recording saved (${formatTime(durationSeconds)}).`);
    if (typeof callback === "function") {
      callback({ key: body.key, mime: body.mime, size: body.size, duration_seconds: durationSeconds });
    }
  };

  // ---- WebRTC ------------------------------------------------------------------------------------------

  const closePeer = () => {
    clearTimeout(disconnectTimerRef.current);
    const pc = pcRef.current;
    pcRef.current = null;
    if (pc) {
      try {
        pc.getSenders().forEach((sender) => {
          // The microphone track is shared with the recorder: detach it, never stop it here.
          if (sender.track) {
            sender.replaceTrack(null).catch(() => {});
          }
        });
        pc.close();
      } catch {
        // Already closed.
      }
    }
  };

  const lost = (pc, reason) => {
    if (pc !== pcRef.current || TERMINAL.has(phaseRef.current)) {
      return;
    }
    closePeer();
    if (reconnectsRef.current >= MAX_RECONNECTS) {
      finish("failed", reason);
      return;
    }
    reconnectsRef.current += 1;
    setPhaseBoth("reconnecting");
    setMessage(reason === "secret expired" ? "Renewing the connection..." : "Connection lost, reconnecting...");
    report("reconnecting", reason);
    clearTimeout(watchdogRef.current);
    watchdogRef.current = setTimeout(() => {
      if (phaseRef.current === "reconnecting") {
        finish("failed", reason);
      }
    }, RECONNECT_WAIT_MS);
  };

  const connect = async (secret) => {
    const generation = generationRef.current;
    if (phaseRef.current === "idle") {
      setPhaseBoth("connecting");
      report("connecting");
    }
    const stream = await ensureMicrophone(generation);
    if (!stream || generation !== generationRef.current || TERMINAL.has(phaseRef.current)) {
      return;
    }
    closePeer();
    let pc;
    try {
      pc = new RTCPeerConnection();
    } catch {
      setMessage("This browser cannot open a live audio connection (WebRTC).");
      finish("failed", "webrtc unavailable");
      return;
    }
    pcRef.current = pc;
    pc.ontrack = (event) => {
      const audio = audioRef.current;
      if (audio) {
        audio.srcObject = (event.streams && event.streams[0]) || new MediaStream([event.track]);
        audio.play().catch(() => {});
      }
    };
    stream.getAudioTracks().forEach((track) => pc.addTrack(track, stream));
    const channel = pc.createDataChannel("oai-events");
    channel.onopen = () => {
      if (pc !== pcRef.current || TERMINAL.has(phaseRef.current)) {
        return;
      }
      // The partner's audio timestamps count from the start of this connection.
      connOffsetRef.current = now();
      reconnectsRef.current = 0;
      clearTimeout(watchdogRef.current);
      setPhaseBoth("live");
      setMessage("");
      report("live");
    };
    channel.onmessage = (event) => {
      if (pc === pcRef.current) {
        handleServerEvent(event.data);
      }
    };
    channel.onclose = () => lost(pc, "network dropped");
    pc.onconnectionstatechange = () => {
      if (pc !== pcRef.current) {
        return;
      }
      if (pc.connectionState === "failed") {
        lost(pc, "network dropped");
      } else if (pc.connectionState === "disconnected") {
        clearTimeout(disconnectTimerRef.current);
        disconnectTimerRef.current = setTimeout(() => {
          if (pc === pcRef.current && pc.connectionState !== "connected") {
            lost(pc, "network dropped");
          }
        }, DISCONNECT_GRACE_MS);
      }
    };
    let answer;
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await waitForIceGathering(pc);
      if (pc !== pcRef.current) {
        return;
      }
      const { callsUrl: target, model: chosen } = propsRef.current;
      const response = await fetch(callsEndpoint(target, chosen), {
        method: "POST",
        body: pc.localDescription.sdp,
        headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/sdp" },
      });
      if (response.status === 401 || response.status === 403) {
        lost(pc, "secret expired");
        return;
      }
      if (!response.ok) {
        lost(pc, "network dropped");
        return;
      }
      answer = await response.text();
    } catch {
      lost(pc, "network dropped");
      return;
    }
    if (pc !== pcRef.current) {
      return;
    }
    try {
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
    } catch {
      lost(pc, "network dropped");
    }
  };

  // ---- solo mode ---------------------------------------------------------------------------------------

  const startRecognition = () => {
    const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
    if (!Recognition) {
      setRecognition("off");
      return;
    }
    let recognizer;
    try {
      recognizer = new Recognition();
    } catch {
      setRecognition("off");
      return;
    }
    const session = soloCounterRef.current++;
    recognizer.continuous = true;
    recognizer.interimResults = true;
    recognizer.lang = navigator.language || "en-US";
    recognizer.onresult = (event) => {
      if (TERMINAL.has(phaseRef.current)) {
        return;
      }
      setRecognition("hearing");
      for (let index = event.resultIndex; index < event.results.length; index += 1) {
        const result = event.results[index];
        const key = `solo:${session}:${index}`;
        const segment = utterance(key, "user", now());
        if (segment.is_final) {
          continue;
        }
        segment.text = (result[0] && result[0].transcript ? result[0].transcript : "").trim();
        segment.end_ms = now();
        segment.is_final = Boolean(result.isFinal);
        touch(key, { final: segment.is_final });
      }
    };
    recognizer.onerror = (event) => {
      if (event && event.error === "no-speech") {
        return;
      }
      recognizerRef.current = null;
      setRecognition("off");
    };
    recognizer.onend = () => {
      // Browsers stop listening after a pause: carry on with a fresh recognizer while the session is live.
      if (recognizerRef.current === recognizer && phaseRef.current === "live") {
        startRecognition();
      }
    };
    recognizerRef.current = recognizer;
    try {
      recognizer.start();
      setRecognition((current) => (current === "hearing" ? current : "listening"));
    } catch {
      recognizerRef.current = null;
      setRecognition("off");
    }
  };

  const stopRecognition = () => {
    const recognizer = recognizerRef.current;
    recognizerRef.current = null;
    if (recognizer) {
      try {
        recognizer.abort();
      } catch {
        // Not running.
      }
    }
  };

  const startSolo = async () => {
    const generation = generationRef.current;
    setPhaseBoth("connecting");
    report("connecting");
    const stream = await ensureMicrophone(generation);
    if (!stream || generation !== generationRef.current || TERMINAL.has(phaseRef.current)) {
      return;
    }
    setPhaseBoth("live");
    report("live");
    startRecognition();
  };

  // ---- the end -----------------------------------------------------------------------------------------

  const finish = async (kind, reason = "") => {
    if (TERMINAL.has(phaseRef.current)) {
      return;
    }
    const durationSeconds = Math.round(pageMs() / 100) / 10;
    setPhaseBoth("finishing");
    clearTimeout(watchdogRef.current);
    report("ending", reason);
    stopRecognition();
    closePeer();
    closeOpenUtterances();
    const typedText = (propsRef.current.typed || "").trim();
    if (propsRef.current.mode === "solo" && typedText) {
      const last = ordered().reduce((end, segment) => Math.max(end, segment.end_ms), 0);
      const key = "solo:typed";
      const segment = utterance(key, "user", Math.min(last, now()));
      segment.text = typedText;
      segment.end_ms = Math.max(now(), segment.start_ms);
      segment.is_final = true;
      dirtyRef.current.add(key);
      refreshLines();
    }
    flush();
    const blob = await stopRecording();
    releaseMicrophone();
    if (blob && blob.size > 0) {
      await upload(blob, durationSeconds);
    }
    setPhaseBoth(kind);
    report(kind, reason);
  };

  // ---- effects -----------------------------------------------------------------------------------------

  useEffect(() => {
    mountedRef.current = true;
    return () => {
      // Leaving the page mid-session: send what was said, release the devices, drop the recording. The
      // session stays active on the server, so opening the page again carries on with a new connection.
      mountedRef.current = false;
      generationRef.current += 1;
      if (!TERMINAL.has(phaseRef.current)) {
        closeOpenUtterances();
        flush();
        phaseRef.current = "idle";
      }
      stopRecognition();
      closePeer();
      clearTimeout(watchdogRef.current);
      const recorder = recorderRef.current;
      recorderRef.current = null;
      if (recorder && recorder.state !== "inactive") {
        recorder.stop();
      }
      releaseMicrophone();
      usedSecretsRef.current.clear();
      t0Ref.current = 0;
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
    if (streamRef.current) {
      streamRef.current.getAudioTracks().forEach((track) => {
        track.enabled = !muted;
      });
    }
  }, [muted]);

  useEffect(() => {
    const timer = setInterval(() => {
      if (!t0Ref.current || TERMINAL.has(phaseRef.current)) {
        return;
      }
      const seconds = now() / 1000;
      setElapsed(seconds);
      if (seconds >= Math.max(1, Number(propsRef.current.maxSeconds) || 900)) {
        setMessage("Time is up: the session stops at the time limit.");
        finish("ended", "time limit");
      }
    }, 250);
    const sender = setInterval(() => {
      if (!TERMINAL.has(phaseRef.current)) {
        flush();
      }
    }, SEND_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      clearInterval(sender);
    };
  }, []);

  // ---- view --------------------------------------------------------------------------------------------

  const earlier = (Array.isArray(initialSegments) ? initialSegments : []).filter(
    (segment) => segment && Number(segment.sequence) < Math.max(0, Number(sequenceStart) || 0),
  );
  const shown = [...earlier, ...lines].slice(-SHOWN_LINES);
  const solo = mode === "solo";
  const showTyping = solo && (recognition !== "hearing" || typed !== "");
  const finished = TERMINAL.has(phase);

  return (
    <div
      id={id}
      ref={ref}
      className={className}
      data-phase={phase}
      data-mode={mode}
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
      {solo && (
        <div style={{ fontSize: "var(--font-size-2, 14px)", color: "var(--gray-11, #646464)" }} id="solo-recognition" data-state={recognition}>
          {recognition === "hearing" || recognition === "listening"
            ? "Your browser's speech recognition writes down what you say."
            : "Speech recognition is not available in this browser: type what you said below."}
        </div>
      )}
      <div style={card}>
        <div style={{ fontWeight: 600, marginBottom: "0.5rem" }}>Live transcript</div>
        <div
          id="live-transcript"
          aria-live="polite"
          style={{ display: "flex", flexDirection: "column", gap: "0.4rem", maxHeight: "22rem", overflowY: "auto" }}
        >
          {shown.length === 0 && (
            <span style={{ color: "var(--gray-10, #8d8d8d)" }}>
              {solo ? "What you say appears here when your browser can transcribe it." : "The conversation appears here as you talk."}
            </span>
          )}
          {shown.map((segment) => (
            <div
              key={segment.sequence}
              className="transcript-line"
              data-speaker={segment.speaker}
              data-final={segment.is_final ? "true" : "false"}
              style={{ color: segment.is_final ? "inherit" : "var(--gray-11, #646464)", fontStyle: segment.is_final ? "normal" : "italic" }}
            >
              <strong style={{ color: segment.speaker === "ai" ? "var(--violet-11, #6550b9)" : "var(--cyan-11, #107d98)" }}>
                {segment.speaker === "ai" ? partnerName : "You"}:
              </strong>{" "}
              {segment.text}
            </div>
          ))}
        </div>
      </div>
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
