"""The security headers: inline-script hashes, the page policy, the backend middleware, the dev-server patch,
and the nginx lines for a static export."""

from __future__ import annotations

import base64
import hashlib

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from speakpro import security_headers as sh
from speakpro.__main__ import main


def _sha(body: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"


PAGE = """<html><head><script>window.a = 1;</script><script src="/app.js"></script>
<script type="module" async="">import "/x.js";</script><SCRIPT>window.a = 1;</SCRIPT><script></script></head></html>"""


def test_inline_scripts_are_hashed_once_each_and_external_or_empty_ones_are_not():
    assert sh.inline_script_hashes(PAGE) == [_sha("window.a = 1;"), _sha('import "/x.js";')]


def test_the_page_policy_allows_only_the_pages_own_scripts_and_no_framing():
    csp = sh.content_security_policy([_sha("x")])
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    assert directives["script-src"] == ["'self'", "'unsafe-eval'", _sha("x")]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert sh.origin(sh.settings.api_url) in directives["connect-src"]
    assert "'unsafe-inline'" not in directives["script-src"]


def test_hsts_and_upgrade_only_when_the_app_is_on_https(monkeypatch):
    assert "Strict-Transport-Security" not in sh.page_headers()
    monkeypatch.setattr(sh, "https", lambda: True)
    assert sh.page_headers()["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "upgrade-insecure-requests" in sh.content_security_policy()


def test_allowed_origins_are_the_app_and_the_backend():
    assert sh.allowed_origins() == list(dict.fromkeys([sh.origin(sh.settings.app_url), sh.origin(sh.settings.api_url)]))
    assert sh.origin("https://speakpro.example.com/path?q=1") == "https://speakpro.example.com"


def test_the_backend_middleware_adds_its_headers_without_overriding_a_routes_own():
    async def plain(_request):
        return PlainTextResponse("ok")

    async def own(_request):
        return PlainTextResponse("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    app = Starlette(
        routes=[Route("/plain", plain), Route("/own", own)], middleware=[Middleware(sh.SecurityHeadersMiddleware)]
    )
    client = TestClient(app)
    plain_headers = client.get("/plain").headers
    assert plain_headers["content-security-policy"].startswith("default-src 'none'")
    assert plain_headers["x-content-type-options"] == "nosniff"
    assert plain_headers["cross-origin-resource-policy"] == "same-site"
    assert client.get("/own").headers.get_list("x-frame-options") == ["SAMEORIGIN"]


def test_the_dev_server_patch_adds_the_middleware_once():
    config = 'import x from "y";\nexport default defineConfig(() => ({\n  plugins: [\n    reactRouter(),\n  ],\n}));'
    patched = sh.patch_vite_config(config)
    assert patched.count("speakproSecurityHeaders()") == 1
    assert patched.startswith('import speakproSecurityHeaders from "./speakpro-security-headers.js";')
    assert sh.patch_vite_config(patched) == patched
    source = sh.vite_middleware_source()
    assert "__SPEAKPRO_POLICY__" not in source
    assert sh.HASHES_PLACEHOLDER in source and "frame-ancestors 'none'" in source


def test_the_nginx_lines_hold_the_hashes_of_every_exported_page(tmp_path, capsys):
    (tmp_path / "index.html").write_text("<script>one()</script>")
    (tmp_path / "login").mkdir()
    (tmp_path / "login" / "index.html").write_text("<script>two()</script><script>one()</script>")
    assert main(["security-headers", "--frontend", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    csp_line = next(line for line in out.splitlines() if line.startswith("add_header Content-Security-Policy"))
    assert _sha("one()") in csp_line and _sha("two()") in csp_line and csp_line.endswith(" always;")
    assert 'add_header X-Frame-Options "DENY" always;' in out
    assert main(["security-headers", "--frontend", str(tmp_path / "missing")]) == 1


def test_pages_of_the_compiled_frontend_get_the_page_policy_with_their_script_hashes(tmp_path):
    # `reflex run --env prod` serves the compiled pages from the backend: the backend's "nothing runs" policy
    # would block every script of the app.
    from starlette.responses import HTMLResponse

    build = tmp_path / "client"
    (build / "login").mkdir(parents=True)
    (build / "index.html").write_text("<script>one()</script>")
    (build / "login" / "index.html").write_text("<script>two()</script>")

    async def page(_request):
        return HTMLResponse("<script>one()</script>")

    async def data(_request):
        return PlainTextResponse("ok")

    def client(frontend_dir):
        routes = [Route("/", page), Route("/data", data)]
        middleware = [Middleware(sh.SecurityHeadersMiddleware, frontend_dir=frontend_dir)]
        return TestClient(Starlette(routes=routes, middleware=middleware))

    served = client(build)
    policy = served.get("/").headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-eval'" in policy and _sha("one()") in policy and _sha("two()") in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert served.get("/").headers["x-frame-options"] == "DENY"
    assert served.get("/data").headers["content-security-policy"].startswith("default-src 'none'")
    # No compiled frontend (the dev server serves the pages): an HTML answer of the backend runs nothing.
    assert client(tmp_path / "none").get("/").headers["content-security-policy"].startswith("default-src 'none'")
