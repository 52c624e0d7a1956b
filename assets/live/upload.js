// SpeakPro: the one recording upload of the browser, used by the recorder (assets/recorder.jsx) and the
// live practice client (assets/realtime.jsx).
//
// The recording is POSTed as the raw request body to the backend (`${uploadUrl}?purpose=...`, over HTTP,
// never Reflex's websocket). The request carries the browser's cookies (`credentials: "include"`, so an
// HttpOnly session cookie works once the backend sets one) and, while the session token is still in a
// cookie page scripts can read (`speakpro_session`), also `Authorization: Bearer <token>`.
import env from "$/env.json";
import { getBackendURL } from "$/utils/state";

export const SESSION_COOKIE = "speakpro_session";

export const readCookie = (name) => {
  if (typeof document === "undefined") {
    return "";
  }
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

// A path is resolved against Reflex's backend URL (env.json, rewritten for whatever ports the backend
// runs on, with Reflex's same-host rules applied); an absolute URL is used as it is.
export const resolveUploadUrl = (uploadUrl, purpose) => {
  const raw = uploadUrl || "/api/audio";
  const url = /^https?:\/\//i.test(raw)
    ? new URL(raw)
    : new URL(raw.replace(/^\/+/, ""), getBackendURL(env.UPLOAD));
  url.searchParams.set("purpose", purpose || "practice");
  return url.toString();
};

export const UPLOAD_MESSAGES = {
  signedOut: "You are signed out. Please sign in again to save recordings.",
  noAnswer: "The recording could not be uploaded: the server did not answer. Check your connection and try again.",
  refused: (detail) => `The recording was not saved: ${detail}`,
};

/**
 * Uploads one recording.
 *
 * @param {{blob: Blob, uploadUrl: string, purpose: string}} what
 * @returns {Promise<{ok: true, key: string, mime: string, size: number} | {ok: false, status: number,
 *   message: string}>} The stored key, or a message for the learner (status 0: no answer).
 */
export const uploadRecording = async ({ blob, uploadUrl, purpose }) => {
  const headers = { "Content-Type": (blob && blob.type) || "application/octet-stream" };
  const token = readCookie(SESSION_COOKIE);
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  let response;
  try {
    response = await fetch(resolveUploadUrl(uploadUrl, purpose), {
      method: "POST",
      credentials: "include",
      headers,
      body: blob,
    });
  } catch {
    return { ok: false, status: 0, message: UPLOAD_MESSAGES.noAnswer };
  }
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  if (response.status === 401) {
    return { ok: false, status: 401, message: UPLOAD_MESSAGES.signedOut };
  }
  if (!response.ok) {
    const detail = (body && typeof body.error === "string" && body.error) || `the server answered ${response.status}`;
    return { ok: false, status: response.status, message: UPLOAD_MESSAGES.refused(detail) };
  }
  return { ok: true, key: body.key, mime: body.mime, size: body.size };
};
