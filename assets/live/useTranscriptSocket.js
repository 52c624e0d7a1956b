// SpeakPro: the live page's transcript socket (speakpro/live_socket.py), a websocket of its own next to
// Reflex's. Batches go out as JSON text; every answer {batch_id, stored, refused, retry} comes back as one.
//
// The socket opens when the page has a session id and reconnects by itself while the page is mounted
// (250 ms, doubling up to 5 s). `send(batch)` returns false while it is not open: the outbox keeps the batch
// and sends it again (at once on `onOpen`, which the page answers by sending everything unacknowledged).
// The browser sends the session cookie with the handshake: no token is handled here.
import { useEffect, useRef, useState } from "react";
import env from "$/env.json";
import { getBackendURL } from "$/utils/state";

const MAX_BACKOFF_MS = 5000;

// `${path}/${sessionId}` on Reflex's backend (env.json, with Reflex's same-host rules), as a ws(s) URL.
export const transcriptSocketUrl = (path, sessionId) => {
  const url = new URL(getBackendURL(env.EVENT));
  url.pathname = `${String(path || "/api/live").replace(/\/+$/, "")}/${encodeURIComponent(sessionId)}`;
  url.search = "";
  return url.toString();
};

export function useTranscriptSocket({ path, sessionId, onAnswer, onOpen, onDown }) {
  const socketRef = useRef(null);
  const handlersRef = useRef({});
  handlersRef.current = { onAnswer, onOpen, onDown };
  // connecting | open | closed
  const [state, setState] = useState("closed");

  useEffect(() => {
    if (!sessionId || typeof WebSocket === "undefined") {
      return undefined;
    }
    let stopped = false;
    let attempt = 0;
    let timer = null;
    const open = () => {
      setState("connecting");
      let ws;
      try {
        ws = new WebSocket(transcriptSocketUrl(path, sessionId));
      } catch {
        retry();
        return;
      }
      socketRef.current = ws;
      ws.onopen = () => {
        attempt = 0;
        setState("open");
        handlersRef.current.onOpen?.();
      };
      ws.onmessage = (event) => {
        let answer;
        try {
          answer = JSON.parse(event.data);
        } catch {
          return;
        }
        handlersRef.current.onAnswer?.(answer);
      };
      ws.onclose = () => {
        if (socketRef.current === ws) {
          socketRef.current = null;
        }
        if (!stopped) {
          setState("closed");
          handlersRef.current.onDown?.();
          retry();
        }
      };
    };
    const retry = () => {
      attempt = Math.min(attempt + 1, 8);
      timer = setTimeout(open, Math.min(MAX_BACKOFF_MS, 250 * 2 ** (attempt - 1)));
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      const ws = socketRef.current;
      // Closed after this tick: what the page sends while it unmounts still goes out first.
      if (ws) {
        setTimeout(() => {
          if (socketRef.current === ws) {
            socketRef.current = null;
          }
          ws.close();
        }, 0);
      }
    };
  }, [path, sessionId]);

  const send = (batch) => {
    const ws = socketRef.current;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    ws.send(JSON.stringify(batch));
    return true;
  };

  return { send, state };
}
