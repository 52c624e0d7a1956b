// SpeakPro live practice: the WebRTC call to the Realtime API (a React hook, no JSX).
//
// `open(secret, stream)` creates an RTCPeerConnection, sends the microphone track, plays the partner's
// audio in `audioRef`, opens the `oai-events` data channel and POSTs the SDP offer to the calls endpoint
// (`?model=`) with the short-lived secret as a Bearer token (never logged). A lost connection (the channel
// closed, the connection failed or stayed disconnected, the offer refused) is retried up to 3 times: the
// hook calls `onReconnecting(reason)` ("network dropped", or "secret expired" for a 401/403: the page mints
// a new secret and calls `open` again), and `onFailed(reason)` when the retries are used up or no new
// connection opened within 20 s. Handlers (read at call time, so the latest ones count):
//   isActive() -> bool        the session still runs (events of a finished session are ignored)
//   isReconnecting() -> bool  still waiting for a new connection (the watchdog's question)
//   onOpen()                  the data channel opened (the partner's audio clock starts now)
//   onMessage(raw)            a data channel message
//   onReconnecting(reason), onFailed(reason), onUnavailable()   (no WebRTC in this browser)
import { useEffect, useRef } from "react";

export const MAX_RECONNECTS = 3;
export const RECONNECT_WAIT_MS = 20000;
export const DISCONNECT_GRACE_MS = 4000;
export const ICE_GATHER_WAIT_MS = 2000;

export const callsEndpoint = (callsUrl, model) => {
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

export function usePeer({ audioRef, callsUrl = "", model = "", handlers }) {
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const targetRef = useRef({ callsUrl, model });
  targetRef.current = { callsUrl, model };
  const pcRef = useRef(null);
  const reconnectsRef = useRef(0);
  const watchdogRef = useRef(null);
  const disconnectTimerRef = useRef(null);
  const apiRef = useRef(null);

  if (!apiRef.current) {
    const call = (name, ...args) => {
      const handler = handlersRef.current && handlersRef.current[name];
      return typeof handler === "function" ? handler(...args) : undefined;
    };

    const close = () => {
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

    const clearWatchdog = () => clearTimeout(watchdogRef.current);

    const lost = (pc, reason) => {
      if (pc !== pcRef.current || !call("isActive")) {
        return;
      }
      close();
      if (reconnectsRef.current >= MAX_RECONNECTS) {
        call("onFailed", reason);
        return;
      }
      reconnectsRef.current += 1;
      call("onReconnecting", reason);
      clearWatchdog();
      watchdogRef.current = setTimeout(() => {
        if (call("isReconnecting")) {
          call("onFailed", reason);
        }
      }, RECONNECT_WAIT_MS);
    };

    const open = async (secret, stream) => {
      close();
      let pc;
      try {
        pc = new RTCPeerConnection();
      } catch {
        call("onUnavailable");
        return;
      }
      pcRef.current = pc;
      pc.ontrack = (event) => {
        const audio = audioRef && audioRef.current;
        if (audio) {
          audio.srcObject = (event.streams && event.streams[0]) || new MediaStream([event.track]);
          audio.play().catch(() => {});
        }
      };
      stream.getAudioTracks().forEach((track) => pc.addTrack(track, stream));
      const channel = pc.createDataChannel("oai-events");
      channel.onopen = () => {
        if (pc !== pcRef.current || !call("isActive")) {
          return;
        }
        reconnectsRef.current = 0;
        clearWatchdog();
        call("onOpen");
      };
      channel.onmessage = (event) => {
        if (pc === pcRef.current) {
          call("onMessage", event.data);
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
        const { callsUrl: target, model: chosen } = targetRef.current;
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

    apiRef.current = { open, close, clearWatchdog };
  }

  useEffect(
    () => () => {
      apiRef.current.close();
      apiRef.current.clearWatchdog();
    },
    [],
  );

  return apiRef.current;
}
