// SpeakPro's microphone recorder (wrapped by speakpro/components/recorder.py).
//
// Records with getUserMedia + MediaRecorder (Opus in WebM when the browser can), shows a timer and a level
// meter, and on stop POSTs the blob to the backend (`${uploadUrl}?purpose=...`) through the shared upload
// module (assets/live/upload.js: the browser's cookies, plus the session token as a Bearer header while it
// is in a readable cookie). Audio never goes over Reflex's websocket; only the stored key and a few numbers
// reach the state, through `onRecorded({key, mime, size, duration_seconds})`.
import React, { useCallback, useEffect, useRef, useState } from "react";
import { resolveUploadUrl, uploadRecording } from "$/public/live/upload.js";

// Kept for pages that imported it from here.
export { resolveUploadUrl };

const PREFERRED_TYPES = [
  "audio/webm;codecs=opus",
  "audio/webm",
  "audio/ogg;codecs=opus",
  "audio/mp4",
];

const formatTime = (seconds) => {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
};

const pickMimeType = () => {
  if (typeof MediaRecorder === "undefined" || !MediaRecorder.isTypeSupported) {
    return "";
  }
  return PREFERRED_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
};

const microphoneError = (error) => {
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Microphone access was denied. Allow the microphone for this site in your browser and try again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No microphone was found. Connect one and try again.";
    case "NotReadableError":
    case "AbortError":
      return "The microphone could not be started. Is another app using it?";
    default:
      return "The microphone could not be started.";
  }
};

const KEYFRAMES = "@keyframes speakpro-recorder-pulse{0%{opacity:1;transform:scale(1)}50%{opacity:.35;transform:scale(.8)}100%{opacity:1;transform:scale(1)}}";

const buttonStyle = (color) => ({
  display: "inline-flex",
  alignItems: "center",
  gap: "0.5rem",
  padding: "0 1rem",
  height: "var(--space-7, 40px)",
  borderRadius: "var(--radius-3, 6px)",
  border: "none",
  background: `var(--${color}-9, ${color === "red" ? "#e5484d" : "#3e63dd"})`,
  color: "white",
  fontSize: "var(--font-size-2, 14px)",
  fontWeight: 500,
  cursor: "pointer",
});

export function AudioRecorder({
  uploadUrl = "/api/audio",
  purpose = "practice",
  maxSeconds = 300,
  onRecorded,
  id = "recorder",
  className,
  style,
  ref,
}) {
  // idle | starting | recording | uploading | saved | error
  const [phase, setPhase] = useState("idle");
  const [elapsed, setElapsed] = useState(0);
  const [level, setLevel] = useState(0);
  const [message, setMessage] = useState("");

  const recorderRef = useRef(null);
  const streamRef = useRef(null);
  const chunksRef = useRef([]);
  const startedAtRef = useRef(0);
  const timerRef = useRef(null);
  const audioContextRef = useRef(null);
  const frameRef = useRef(null);
  const discardRef = useRef(false);
  const mountedRef = useRef(true);
  // The latest props, read when an asynchronous upload finishes.
  const propsRef = useRef({ uploadUrl, purpose, onRecorded });
  propsRef.current = { uploadUrl, purpose, onRecorded };

  const releaseDevices = useCallback(() => {
    clearInterval(timerRef.current);
    timerRef.current = null;
    cancelAnimationFrame(frameRef.current);
    frameRef.current = null;
    if (streamRef.current) {
      streamRef.current.getTracks().forEach((track) => track.stop());
      streamRef.current = null;
    }
    if (audioContextRef.current) {
      audioContextRef.current.close().catch(() => {});
      audioContextRef.current = null;
    }
  }, []);

  useEffect(() => {
    mountedRef.current = true;
    return () => {
      // Leaving the page mid-take: stop the microphone and drop the recording.
      mountedRef.current = false;
      discardRef.current = true;
      const recorder = recorderRef.current;
      if (recorder && recorder.state !== "inactive") {
        recorder.stop();
      }
      releaseDevices();
    };
  }, [releaseDevices]);

  const fail = (text) => {
    if (mountedRef.current) {
      setPhase("error");
      setMessage(text);
    }
  };

  const upload = async (blob, durationSeconds) => {
    const { uploadUrl: target, purpose: why, onRecorded: callback } = propsRef.current;
    setPhase("uploading");
    setMessage("Uploading...");
    const answer = await uploadRecording({ blob, uploadUrl: target, purpose: why });
    if (!answer.ok) {
      fail(answer.message);
      return;
    }
    if (!mountedRef.current) {
      return;
    }
    setPhase("saved");
    setMessage(`Recording saved (${formatTime(durationSeconds)})`);
    if (typeof callback === "function") {
      callback({
        key: answer.key,
        mime: answer.mime,
        size: answer.size,
        duration_seconds: durationSeconds,
      });
    }
  };

  const watchLevel = (stream) => {
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) {
      return;
    }
    try {
      const context = new AudioContextClass();
      const analyser = context.createAnalyser();
      analyser.fftSize = 512;
      context.createMediaStreamSource(stream).connect(analyser);
      audioContextRef.current = context;
      const samples = new Uint8Array(analyser.fftSize);
      const tick = () => {
        analyser.getByteTimeDomainData(samples);
        let sum = 0;
        for (const sample of samples) {
          const centred = (sample - 128) / 128;
          sum += centred * centred;
        }
        // RMS scaled so that normal speech fills most of the bar.
        setLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
        frameRef.current = requestAnimationFrame(tick);
      };
      tick();
    } catch {
      // No meter: the pulsing dot still shows that recording is on.
    }
  };

  const stop = useCallback(() => {
    const recorder = recorderRef.current;
    if (recorder && recorder.state !== "inactive") {
      recorder.stop();
    }
  }, []);

  const start = async () => {
    if (phase === "starting" || phase === "recording" || phase === "uploading") {
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") {
      fail("This browser cannot record audio. Please try a recent Chrome, Edge, Firefox or Safari.");
      return;
    }
    setPhase("starting");
    setMessage("Waiting for the microphone...");
    setElapsed(0);
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
      });
    } catch (error) {
      fail(microphoneError(error));
      return;
    }
    if (!mountedRef.current) {
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    streamRef.current = stream;
    const mimeType = pickMimeType();
    let recorder;
    try {
      recorder = mimeType ? new MediaRecorder(stream, { mimeType }) : new MediaRecorder(stream);
    } catch {
      releaseDevices();
      fail("This browser cannot record audio in a supported format.");
      return;
    }
    chunksRef.current = [];
    discardRef.current = false;
    recorder.ondataavailable = (event) => {
      if (event.data && event.data.size > 0) {
        chunksRef.current.push(event.data);
      }
    };
    recorder.onerror = () => {
      discardRef.current = true;
      releaseDevices();
      fail("Recording stopped because of a microphone error. Please try again.");
    };
    recorder.onstop = () => {
      const durationSeconds = Math.round(((performance.now() - startedAtRef.current) / 1000) * 10) / 10;
      releaseDevices();
      recorderRef.current = null;
      if (discardRef.current) {
        return;
      }
      const blob = new Blob(chunksRef.current, { type: recorder.mimeType || mimeType || "audio/webm" });
      chunksRef.current = [];
      if (blob.size === 0) {
        fail("Nothing was recorded. Check your microphone and try again.");
        return;
      }
      upload(blob, durationSeconds);
    };
    recorderRef.current = recorder;
    startedAtRef.current = performance.now();
    recorder.start(1000);
    setPhase("recording");
    setMessage("Recording...");
    watchLevel(stream);
    const limit = Math.max(1, Number(maxSeconds) || 300);
    timerRef.current = setInterval(() => {
      const seconds = (performance.now() - startedAtRef.current) / 1000;
      setElapsed(seconds);
      if (seconds >= limit) {
        stop();
      }
    }, 250);
  };

  const recording = phase === "recording";
  const busy = phase === "starting" || phase === "uploading";
  const statusColor =
    phase === "error" ? "var(--red-11, #ce2c31)" : phase === "saved" ? "var(--green-11, #218358)" : "var(--gray-11, #646464)";

  return (
    <div
      id={id}
      ref={ref}
      className={className}
      data-phase={phase}
      style={{ display: "flex", flexDirection: "column", gap: "0.5rem", ...(style || {}) }}
    >
      <style>{KEYFRAMES}</style>
      <div style={{ display: "flex", alignItems: "center", gap: "0.75rem", flexWrap: "wrap" }}>
        {recording ? (
          <button type="button" id="recorder-stop" onClick={stop} style={buttonStyle("red")}>
            <span style={{ width: 10, height: 10, background: "white", borderRadius: 2 }} />
            Stop
          </button>
        ) : (
          <button
            type="button"
            id="recorder-start"
            onClick={start}
            disabled={busy}
            style={{ ...buttonStyle("accent"), opacity: busy ? 0.6 : 1, cursor: busy ? "default" : "pointer" }}
          >
            <span style={{ width: 10, height: 10, background: "var(--red-9, #e5484d)", borderRadius: "50%" }} />
            {phase === "saved" || phase === "error" ? "Record again" : "Record"}
          </button>
        )}
        {recording && (
          <span
            aria-hidden="true"
            style={{
              width: 12,
              height: 12,
              borderRadius: "50%",
              background: "var(--red-9, #e5484d)",
              animation: "speakpro-recorder-pulse 1.2s ease-in-out infinite",
            }}
          />
        )}
        <span
          id="recorder-timer"
          style={{ fontVariantNumeric: "tabular-nums", fontSize: "var(--font-size-3, 16px)", minWidth: "3.5em" }}
        >
          {formatTime(elapsed)} / {formatTime(maxSeconds)}
        </span>
        <div
          role="meter"
          aria-label="Microphone level"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(level * 100)}
          style={{
            flex: "1 1 120px",
            maxWidth: 220,
            height: 8,
            borderRadius: 4,
            background: "var(--gray-4, #e8e8e8)",
            overflow: "hidden",
          }}
        >
          <div
            style={{
              width: `${recording ? Math.round(level * 100) : 0}%`,
              height: "100%",
              background: "var(--green-9, #30a46c)",
              transition: "width 80ms linear",
            }}
          />
        </div>
      </div>
      <div id="recorder-status" role="status" aria-live="polite" style={{ fontSize: "var(--font-size-2, 14px)", color: statusColor, minHeight: "1.4em" }}>
        {message}
      </div>
    </div>
  );
}

export default AudioRecorder;
