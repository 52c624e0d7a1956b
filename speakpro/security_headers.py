"""The HTTP security headers and allowed origins of every SpeakPro response, in one place.

Pages get a Content-Security-Policy whose `script-src` lists the SHA-256 of each inline script the page was
served with (React Router's hydration context, Reflex's theme script), so an injected inline script or a
script from another origin does not run. `'unsafe-eval'` stays: Reflex runs the actions a server event sends
back (toasts, downloads, scripts) through `eval` in its own state module, so the server is the only author
of evaluated code. Styles allow inline (Radix and Emotion inject them). Everything else is `'self'`, the
backend's URL, and the Realtime endpoint the browser's WebRTC call is posted to.

Who serves the headers:
- the frontend dev server and `vite preview` (`make run`, the browser tests): `SecurityHeadersPlugin`
  patches the generated `vite.config.js` with a middleware (`security_headers.js`) that hashes the inline
  scripts of each HTML page it serves;
- the backend: `SecurityHeadersMiddleware` on every HTTP response (JSON, CSV, audio, redirects); and when the
  backend serves the compiled frontend itself (`reflex run --env prod`, one port), its HTML pages get the page
  headers, with the hashes of every inline script of the build's pages;
- a production static frontend behind nginx: `python -m speakpro security-headers --frontend DIR` prints the
  `add_header` lines, with the hashes of every inline script of the exported pages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from reflex_base.plugins.base import Plugin

from speakpro.settings import settings

# Stands for the page's script hashes in the policy handed to the dev server's middleware.
HASHES_PLACEHOLDER = "'speakpro-inline-script-hashes'"
_INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_HAS_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_VITE_CONFIG = "vite.config.js"
_VITE_MIDDLEWARE = "speakpro-security-headers.js"
_VITE_IMPORT = f'import speakproSecurityHeaders from "./{_VITE_MIDDLEWARE}";\n'


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _websocket(url_origin: str) -> str:
    return "wss" + url_origin[5:] if url_origin.startswith("https") else "ws" + url_origin[4:]


def allowed_origins() -> list[str]:
    """The origins whose pages may call the backend with credentials and open its websocket: the app's
    public URL and the backend's own (a frontend served by the backend itself)."""
    return list(dict.fromkeys([origin(settings.app_url), origin(settings.api_url)]))


def https() -> bool:
    """True when the app is published over https (then HSTS is sent and cookies are Secure)."""
    return settings.app_url.startswith("https://")


def content_security_policy(script_hashes: Iterable[str] = (HASHES_PLACEHOLDER,)) -> str:
    """The pages' policy; `script_hashes` are CSP source expressions (`'sha256-…'`)."""
    api = origin(settings.api_url)
    realtime = origin(settings.openai_realtime_calls_url)
    connect = dict.fromkeys(["'self'", api, _websocket(api), realtime])
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-eval'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", api],
        "media-src": ["'self'", "blob:", api],
        "font-src": ["'self'", "data:"],
        "connect-src": list(connect),
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    if https():
        directives["upgrade-insecure-requests"] = []
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


def _common_headers() -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "microphone=(self), camera=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https():
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def page_headers(script_hashes: Iterable[str] = (HASHES_PLACEHOLDER,)) -> dict[str, str]:
    """Headers for an HTML page whose inline scripts hash to `script_hashes`."""
    return {"Content-Security-Policy": content_security_policy(script_hashes), **_common_headers()}


def backend_headers() -> dict[str, str]:
    """Headers for the backend's own responses: they are data, never a page, so nothing may run or frame them,
    and only the app's own site may embed them (recordings)."""
    return {
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        "Cross-Origin-Resource-Policy": "same-site",
        **_common_headers(),
    }


def inline_script_hashes(html: str) -> list[str]:
    """`'sha256-…'` of every inline script of an HTML document, in order, without repeats."""
    found: dict[str, None] = {}
    for match in _INLINE_SCRIPT.finditer(html):
        attributes, body = match.group(1), match.group(2)
        if _HAS_SRC.search(attributes) or not body:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        found[f"'sha256-{digest}'"] = None
    return list(found)


def exported_page_headers(frontend_dir: Path) -> dict[str, str]:
    """Page headers for a static export: one policy holding the hashes of every inline script of its pages."""
    hashes: dict[str, None] = {}
    for page in sorted(frontend_dir.rglob("*.html")):
        hashes.update(dict.fromkeys(inline_script_hashes(page.read_text(encoding="utf-8", errors="replace"))))
    return page_headers(hashes)


def nginx_lines(headers: dict[str, str]) -> str:
    """`add_header` lines for nginx (`always`, so error pages carry them too)."""
    return "\n".join(f"add_header {name} {json.dumps(value)} always;" for name, value in headers.items())


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


def compiled_frontend_dir() -> Path:
    """Where `reflex run --env prod` puts the compiled pages the backend serves."""
    from reflex.config import get_config
    from reflex.utils import prerequisites
    from reflex_base import constants

    return prerequisites.get_web_dir() / constants.Dirs.STATIC / get_config().frontend_path.strip("/")


class SecurityHeadersMiddleware:
    """ASGI middleware: the backend's headers on every HTTP response that does not set its own; an HTML page
    of the compiled frontend (served by the backend in production mode) gets the page headers instead."""

    def __init__(self, app, frontend_dir: Path | None = None) -> None:
        self.app = app
        self.headers = _encoded(backend_headers())
        self.frontend_dir = frontend_dir
        self._page_headers: list[tuple[bytes, bytes]] | None = None

    def page_headers(self) -> list[tuple[bytes, bytes]] | None:
        """The compiled pages' headers (read once, from the build the server started with), or None when
        there is no compiled frontend (the dev server serves the pages, with its own headers)."""
        if self._page_headers is None:
            directory = self.frontend_dir or compiled_frontend_dir()
            if not directory.is_dir() or not any(directory.rglob("*.html")):
                return None
            self._page_headers = _encoded(exported_page_headers(directory))
        return self._page_headers

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                present = {name.lower(): value for name, value in headers}
                ours = self.headers
                if present.get(b"content-type", b"").startswith(b"text/html"):
                    ours = self.page_headers() or ours
                extra = [(name, value) for name, value in ours if name not in present]
                message = {**message, "headers": [*headers, *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def vite_middleware_source() -> str:
    """The dev server's middleware, with the page policy (hashes to fill in) and its headers."""
    template = (Path(__file__).with_name("security_headers.js")).read_text(encoding="utf-8")
    policy = {"headers": page_headers(), "placeholder": HASHES_PLACEHOLDER}
    return template.replace("__SPEAKPRO_POLICY__", json.dumps(policy, indent=2))


def patch_vite_config(source: str) -> str:
    """Add the middleware to Reflex's generated `vite.config.js` (idempotent)."""
    if _VITE_IMPORT in source:
        return source
    marker = "  plugins: [\n"
    if marker not in source:
        raise RuntimeError(f"{_VITE_CONFIG}: no plugin list to add SpeakPro's security headers to")
    return _VITE_IMPORT + source.replace(marker, marker + "    speakproSecurityHeaders(),\n", 1)


class SecurityHeadersPlugin(Plugin):
    """Reflex plugin: the frontend dev and preview servers send the page headers of `page_headers()`."""

    def get_static_assets(self, **context):
        return [(Path(_VITE_MIDDLEWARE), vite_middleware_source())]

    def pre_compile(self, **context) -> None:
        context["add_modify_task"](_VITE_CONFIG, patch_vite_config)
