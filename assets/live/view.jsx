// SpeakPro live practice: what the live client shows (plain React components, no state of their own).
// Ids kept stable for the browser tests: `practice-timer`, `live-transcript` (lines `.transcript-line` with
// `data-speaker` and `data-final`), `transcript-notice`, `transcript-refused`, `practice-end-anyway`.
import React from "react";

export const formatTime = (seconds) => {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
};

const card = {
  padding: "1rem",
  borderRadius: "var(--radius-4, 8px)",
  border: "1px solid var(--gray-a5, #ddd)",
  background: "var(--color-panel-solid, white)",
  width: "100%",
  boxSizing: "border-box",
};

const note = { fontSize: "var(--font-size-2, 14px)", color: "var(--gray-11, #646464)" };

export function TargetBar({ elapsed, maxSeconds, targetMinSeconds, targetMaxSeconds }) {
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

export function TranscriptView({ lines, partnerName, solo }) {
  return (
    <div style={card}>
      <div style={{ fontWeight: 600, marginBottom: "0.5rem" }}>Live transcript</div>
      <div
        id="live-transcript"
        aria-live="polite"
        style={{ display: "flex", flexDirection: "column", gap: "0.4rem", maxHeight: "22rem", overflowY: "auto" }}
      >
        {lines.length === 0 && (
          <span style={{ color: "var(--gray-10, #8d8d8d)" }}>
            {solo ? "What you say appears here when your browser can transcribe it." : "The conversation appears here as you talk."}
          </span>
        )}
        {lines.map((segment) => (
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
  );
}

// The transcript's saving state: a calm notice while the server cannot store words (they are kept and
// sent again), the reasons of permanent refusals, and the way out when the last words cannot be saved.
export function SavingNotices({ paused, refusals, stuck, onEndAnyway }) {
  return (
    <>
      {paused && (
        <div id="transcript-notice" role="status" aria-live="polite" data-kind="paused" style={note}>
          {paused}
        </div>
      )}
      {refusals.length > 0 && (
        <div id="transcript-refused" role="alert" style={{ ...note, color: "var(--red-11, #ce2c31)" }}>
          {refusals.map((text) => (
            <div key={text}>{text}</div>
          ))}
        </div>
      )}
      {stuck && (
        <div>
          <button
            type="button"
            id="practice-end-anyway"
            onClick={onEndAnyway}
            style={{
              padding: "0 1rem",
              height: "var(--space-7, 36px)",
              borderRadius: "var(--radius-3, 6px)",
              border: "1px solid var(--red-7, #f3aeaf)",
              background: "var(--red-3, #feebec)",
              color: "var(--red-11, #ce2c31)",
              fontSize: "var(--font-size-2, 14px)",
              fontWeight: 500,
              cursor: "pointer",
            }}
          >
            End without them
          </button>
        </div>
      )}
    </>
  );
}

// The live meter (speakpro/services/analysis/live_meter.py): the last two minutes' pace, fillers and talk
// share as the server measured them from the stored transcript, and at most one nudge. Until a figure can
// be measured it says so instead of showing a number; talk share is "not applicable" without a partner.
// Ids for the browser tests: `live-meter`, `meter-pace`, `meter-fillers`, `meter-talk`, `live-nudge`.
const tile = { display: "flex", flexDirection: "column", gap: "0.15rem", minWidth: "5rem", flex: "1 1 5rem" };
const figure = { fontSize: "var(--font-size-5, 20px)", fontWeight: 600, fontVariantNumeric: "tabular-nums" };

function MeterTile({ id, label, value, hint }) {
  return (
    <div style={tile}>
      <span style={note}>{label}</span>
      <span id={id} style={value === null ? { ...figure, fontSize: "var(--font-size-2, 14px)", fontWeight: 500 } : figure}>
        {value === null ? hint : value}
      </span>
    </div>
  );
}

export function LiveMeter({ meter, solo }) {
  const reading = meter || {};
  const has = (value) => value !== null && value !== undefined;
  return (
    <div id="live-meter" style={card} data-words={reading.learner_words ?? 0}>
      <div style={{ fontWeight: 600, marginBottom: "0.5rem" }}>Last two minutes</div>
      <div style={{ display: "flex", flexWrap: "wrap", gap: "0.75rem" }}>
        <MeterTile id="meter-pace" label="Your pace" value={has(reading.pace_wpm) ? `${reading.pace_wpm} wpm` : null} hint="Not measured yet" />
        <MeterTile
          id="meter-fillers"
          label="Fillers"
          value={has(reading.filler_count) ? String(reading.filler_count) : null}
          hint={meter ? "Not measured (not English)" : "Not measured yet"}
        />
        <MeterTile
          id="meter-talk"
          label="Your talk share"
          value={has(reading.talk_share_percent) ? `${reading.talk_share_percent}%` : null}
          hint={solo ? "Not applicable (no partner)" : "Not measured yet"}
        />
      </div>
      <div id="live-nudge" role="status" aria-live="polite" data-kind={reading.nudge_kind || ""} style={{ ...note, marginTop: reading.nudge ? "0.5rem" : 0, color: "var(--amber-11, #ab6400)", fontWeight: 500 }}>
        {reading.nudge || ""}
      </div>
    </div>
  );
}
