// SpeakPro live practice: the browser's speech recognition in solo mode (a React hook, no JSX).
//
// `start()` runs a continuous recognizer with interim results in the page's language; browsers stop
// listening after a pause, so while `isLive()` holds a fresh recognizer takes over (a new "run": result
// indexes restart, see transcript.js). `state` is idle | listening | hearing | off (not available, refused
// or failed: the learner types instead). Handlers, read at call time:
//   newRun() -> number            a new run of the transcript's recognition segments
//   onResult(run, event)          SpeechRecognition's onresult event
//   accepting() -> bool           results still count (the session has not ended)
//   isLive() -> bool              the session is live (restart after the browser's pause)
import { useEffect, useRef, useState } from "react";

export function useSpeechRecognition(handlers) {
  const [state, setState] = useState("idle");
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const recognizerRef = useRef(null);
  const mountedRef = useRef(true);
  const apiRef = useRef(null);

  if (!apiRef.current) {
    const call = (name, ...args) => {
      const handler = handlersRef.current && handlersRef.current[name];
      return typeof handler === "function" ? handler(...args) : undefined;
    };
    const show = (next) => {
      if (mountedRef.current) {
        setState(next);
      }
    };

    const start = () => {
      const Recognition = typeof window !== "undefined" && (window.SpeechRecognition || window.webkitSpeechRecognition);
      if (!Recognition) {
        show("off");
        return;
      }
      let recognizer;
      try {
        recognizer = new Recognition();
      } catch {
        show("off");
        return;
      }
      const run = call("newRun");
      recognizer.continuous = true;
      recognizer.interimResults = true;
      recognizer.lang = (typeof navigator !== "undefined" && navigator.language) || "en-US";
      recognizer.onresult = (event) => {
        if (!call("accepting")) {
          return;
        }
        show("hearing");
        call("onResult", run, event);
      };
      recognizer.onerror = (event) => {
        if (event && event.error === "no-speech") {
          return;
        }
        recognizerRef.current = null;
        show("off");
      };
      recognizer.onend = () => {
        if (recognizerRef.current === recognizer && call("isLive")) {
          start();
        }
      };
      recognizerRef.current = recognizer;
      try {
        recognizer.start();
        if (mountedRef.current) {
          setState((current) => (current === "hearing" ? current : "listening"));
        }
      } catch {
        recognizerRef.current = null;
        show("off");
      }
    };

    const stop = () => {
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

    apiRef.current = { start, stop };
  }

  useEffect(() => {
    mountedRef.current = true;
    return () => {
      mountedRef.current = false;
      apiRef.current.stop();
    };
  }, []);

  return { state, start: apiRef.current.start, stop: apiRef.current.stop };
}
