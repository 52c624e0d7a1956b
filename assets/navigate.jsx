// A full page load to a path on SpeakPro's backend (wrapped by speakpro/components/navigation.py).
//
// Signing in and out ends on a backend HTTP response that sets or clears the HttpOnly session cookie, and the
// new page opens a new websocket that carries it. Reflex's own redirect navigates inside the single-page app
// when the backend shares the frontend's host, so this component loads the page itself.
import { useEffect } from "react";
import env from "$/env.json";
import { getBackendURL } from "$/utils/state";

export function FullNavigation({ path = "" }) {
  useEffect(() => {
    if (path) {
      window.location.assign(new URL(path.replace(/^\/+/, ""), getBackendURL(env.UPLOAD)).toString());
    }
  }, [path]);
  return null;
}

export default FullNavigation;
