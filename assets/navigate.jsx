// A full page load to a path on SpeakPro's backend (wrapped by speakpro/components/navigation.py).
//
// Signing in and out ends on a backend HTTP response that sets or clears the HttpOnly session cookie, and the
// new page opens a new websocket that carries it. Reflex's own redirect navigates inside the single-page app
// when the backend shares the frontend's host, so this component loads the page itself. Each path is followed
// once per tab (remembered in sessionStorage): the page it leads to may still hold it in state for a moment.
import { useEffect } from "react";
import env from "$/env.json";
import { getBackendURL } from "$/utils/state";

const FOLLOWED = "speakpro.navigated";
let followedHere = "";

const alreadyFollowed = (path) => {
  try {
    return window.sessionStorage.getItem(FOLLOWED) === path;
  } catch {
    return followedHere === path;
  }
};

const remember = (path) => {
  followedHere = path;
  try {
    window.sessionStorage.setItem(FOLLOWED, path);
  } catch {
    // Storage unavailable: the module variable covers this page.
  }
};

export function FullNavigation({ path = "" }) {
  useEffect(() => {
    if (path && !alreadyFollowed(path)) {
      remember(path);
      window.location.assign(new URL(path.replace(/^\/+/, ""), getBackendURL(env.UPLOAD)).toString());
    }
  }, [path]);
  return null;
}

export default FullNavigation;
