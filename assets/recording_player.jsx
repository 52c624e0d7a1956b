// An <audio> player for SpeakPro's recordings that always knows its duration, and can follow a transcript.
//
// MediaRecorder writes WebM without a duration in its header, so a browser shows "Infinity" (or 0:00) as the
// length of such a recording until it has read the whole file. When the metadata arrives without a finite
// duration, the player asks for a far position once: the browser reads to the end, learns the duration, and
// the position goes back to the start.
//
// With `follow` (a CSS selector of transcript lines carrying `data-start-ms`), the line being heard gets
// `data-playing="true"` while the recording plays, and clicking an element with `data-seek-ms` inside such
// a line plays the recording from that moment.
import React, { useEffect, useRef } from "react";

export function RecordingPlayer({ src, mime, id, preload = "metadata", style, follow }) {
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
  useEffect(() => {
    const audio = ref.current;
    if (!audio || !follow) return undefined;
    const lines = () => Array.from(document.querySelectorAll(follow));
    const mark = () => {
      const now = audio.currentTime * 1000;
      let current = null;
      for (const line of lines()) {
        const start = Number(line.dataset.startMs);
        if (Number.isFinite(start) && start <= now) current = line;
      }
      for (const line of lines()) {
        if (line === current && !audio.paused) line.dataset.playing = "true";
        else delete line.dataset.playing;
      }
    };
    const seek = (event) => {
      const target = event.target.closest("[data-seek-ms]");
      if (!target || !target.closest(follow)) return;
      const at = Number(target.dataset.seekMs);
      if (!Number.isFinite(at)) return;
      audio.currentTime = at / 1000;
      audio.play().catch(() => {});
    };
    audio.addEventListener("timeupdate", mark);
    audio.addEventListener("pause", mark);
    audio.addEventListener("seeked", mark);
    document.addEventListener("click", seek);
    return () => {
      audio.removeEventListener("timeupdate", mark);
      audio.removeEventListener("pause", mark);
      audio.removeEventListener("seeked", mark);
      document.removeEventListener("click", seek);
    };
  }, [follow]);
  return (
    <audio ref={ref} id={id} controls preload={preload} style={style} onLoadedMetadata={onLoadedMetadata}>
      <source src={src} type={mime || undefined} />
    </audio>
  );
}
