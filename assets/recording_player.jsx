// An <audio> player for SpeakPro's recordings that always knows its duration.
//
// MediaRecorder writes WebM without a duration in its header, so a browser shows "Infinity" (or 0:00) as the
// length of such a recording until it has read the whole file. When the metadata arrives without a finite
// duration, the player asks for a far position once: the browser reads to the end, learns the duration, and
// the position goes back to the start.
import React, { useRef } from "react";

export function RecordingPlayer({ src, mime, id, preload = "metadata", style }) {
  const ref = useRef(null);
  const onLoadedMetadata = () => {
    const audio = ref.current;
    if (!audio || Number.isFinite(audio.duration)) return;
    const back = () => {
      audio.removeEventListener("durationchange", back);
      if (Number.isFinite(audio.duration)) audio.currentTime = 0;
    };
    audio.addEventListener("durationchange", back);
    audio.currentTime = Number.MAX_SAFE_INTEGER;
  };
  return (
    <audio ref={ref} id={id} controls preload={preload} style={style} onLoadedMetadata={onLoadedMetadata}>
      <source src={src} type={mime || undefined} />
    </audio>
  );
}
