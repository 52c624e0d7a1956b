// SpeakPro live practice: the microphone and its recording (a React hook, no JSX).
//
// `open(isWanted)` asks for the microphone once (later calls return the same stream), starts recording it
// with MediaRecorder (Opus in WebM when the browser can) and starts the page's clock (`startedAt()`, in
// performance.now() ms). `stop()` ends the recording and resolves with the Blob (null if nothing was
// recorded); `release()` stops the microphone; `discard()` does both without waiting (leaving the page).
// The microphone track follows `muted` (the partner and the recording then hear silence).
import { useEffect, useRef } from "react";

export const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];

export const MICROPHONE_MESSAGES = {
  unsupported: "This browser cannot record audio. Please try a recent Chrome, Edge, Firefox or Safari.",
  denied: "Microphone access was denied. Allow the microphone for this site and start a new session.",
  unavailable: "The microphone could not be started. Is one connected, and not used by another app?",
  noFormat: "This browser cannot record audio in a supported format; the session is not recorded.",
};

export const pickMimeType = () => {
  if (typeof MediaRecorder === "undefined" || !MediaRecorder.isTypeSupported) {
    return "";
  }
  return PREFERRED_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
};

export function useRecording({ muted = false } = {}) {
  const streamRef = useRef(null);
  const recorderRef = useRef(null);
  const chunksRef = useRef([]);
  const doneRef = useRef(null);
  const startedAtRef = useRef(0);
  const mutedRef = useRef(muted);
  mutedRef.current = muted;
  const apiRef = useRef(null);

  useEffect(() => {
    if (streamRef.current) {
      streamRef.current.getAudioTracks().forEach((track) => {
        track.enabled = !muted;
      });
    }
  }, [muted]);

  if (!apiRef.current) {
    const startRecorder = (stream) => {
      const mimeType = pickMimeType();
      let recorder;
      try {
        recorder = mimeType ? new MediaRecorder(stream, { mimeType }) : new MediaRecorder(stream);
      } catch {
        return MICROPHONE_MESSAGES.noFormat;
      }
      chunksRef.current = [];
      recorder.ondataavailable = (event) => {
        if (event.data && event.data.size > 0) {
          chunksRef.current.push(event.data);
        }
      };
      doneRef.current = new Promise((resolve) => {
        recorder.onstop = () => {
          resolve(new Blob(chunksRef.current, { type: recorder.mimeType || mimeType || "audio/webm" }));
          chunksRef.current = [];
        };
      });
      recorderRef.current = recorder;
      recorder.start(1000);
      return "";
    };

    const release = () => {
      if (streamRef.current) {
        streamRef.current.getTracks().forEach((track) => track.stop());
        streamRef.current = null;
      }
    };

    apiRef.current = {
      /**
       * The microphone, recording. `isWanted()` is asked once the browser answers: when it says no (the
       * page went away, the session ended meanwhile) the stream is stopped again.
       *
       * @returns {Promise<{stream: MediaStream, warning: string} | {error: "unsupported" | "denied" |
       *   "unavailable", message: string} | {stale: true}>}
       */
      open: async (isWanted = () => true) => {
        if (streamRef.current) {
          return { stream: streamRef.current, warning: "" };
        }
        if (
          typeof navigator === "undefined" ||
          !navigator.mediaDevices ||
          !navigator.mediaDevices.getUserMedia ||
          typeof MediaRecorder === "undefined"
        ) {
          return { error: "unsupported", message: MICROPHONE_MESSAGES.unsupported };
        }
        let stream;
        try {
          stream = await navigator.mediaDevices.getUserMedia({
            audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
          });
        } catch (error) {
          if (!isWanted()) {
            return { stale: true };
          }
          const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
          return denied
            ? { error: "denied", message: MICROPHONE_MESSAGES.denied }
            : { error: "unavailable", message: MICROPHONE_MESSAGES.unavailable };
        }
        if (!isWanted() || streamRef.current) {
          stream.getTracks().forEach((track) => track.stop());
          return streamRef.current ? { stream: streamRef.current, warning: "" } : { stale: true };
        }
        stream.getAudioTracks().forEach((track) => {
          track.enabled = !mutedRef.current;
        });
        streamRef.current = stream;
        startedAtRef.current = performance.now();
        return { stream, warning: startRecorder(stream) };
      },
      /** Ends the recording: the Blob of the whole session, or null. */
      stop: async () => {
        const recorder = recorderRef.current;
        recorderRef.current = null;
        if (!recorder) {
          return null;
        }
        if (recorder.state !== "inactive") {
          recorder.stop();
        }
        return doneRef.current;
      },
      release,
      /** Leaving the page: stop everything, keep nothing. */
      discard: () => {
        const recorder = recorderRef.current;
        recorderRef.current = null;
        if (recorder && recorder.state !== "inactive") {
          recorder.stop();
        }
        release();
        startedAtRef.current = 0;
      },
      /** When the microphone started (performance.now() ms), 0 before. */
      startedAt: () => startedAtRef.current,
    };
  }
  return apiRef.current;
}
