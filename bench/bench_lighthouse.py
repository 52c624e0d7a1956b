"""Lighthouse on SpeakPro's production build, every page it can reach, next to the minimal Reflex app's.

SpeakPro runs as `reflex run --env prod` (the compiled, minified frontend served as static files, the backend
in production mode) on a fresh database with the demo seed; `bench/minimal_app` (one state, a blank page) runs
the same way beside it, as the floor of what any Reflex page costs. Lighthouse (the npm package, installed into
`.tools/lighthouse` on first use) drives Debian's Chromium: each page once with Lighthouse's default mobile
settings (a mid-range phone on a slow 4G link, simulated) and the landing page also with its desktop preset.
Signed-in pages are opened with the demo learner's, manager's or admin's session cookie (minted in the
database, as a login would).

Printed per page: accessibility and performance (0-1), first and largest contentful paint, total blocking
time, and the page's JavaScript (transferred); then the landing page's performance as a ratio to the minimal
app's blank page. Targets (issue 15): accessibility >= 0.95 everywhere, performance >= 0.9 on the landing page.

Usage: .venv/bin/python bench/bench_lighthouse.py [--pages landing|all]   (about 10 minutes for all)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SPEAKPRO_DATA_DIR", tempfile.mkdtemp(prefix="speakpro-bench-"))
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))

from tests import pg  # noqa: E402
from tests.processes import VENV_BIN, Backend, free_port  # noqa: E402

# Lighthouse 13 needs Node 22; Debian's Node is 20, which Lighthouse 12 supports (same audits and scoring).
LIGHTHOUSE_VERSION = "12.8.2"
LIGHTHOUSE_DIR = ROOT / ".tools" / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
MINIMAL = ROOT / "bench" / "minimal_app"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


def ensure_lighthouse() -> None:
    installed = LIGHTHOUSE.parent.parent / "package.json"
    if installed.exists() and json.loads(installed.read_text())["version"] == LIGHTHOUSE_VERSION:
        return
    print(f"==> installing lighthouse {LIGHTHOUSE_VERSION} from the npm registry into {LIGHTHOUSE_DIR}", flush=True)
    LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--prefix", str(LIGHTHOUSE_DIR), "--no-audit", "--no-fund", "--loglevel=error",
         f"lighthouse@{LIGHTHOUSE_VERSION}"],
        check=True,
    )  # fmt: skip


def chromium() -> str:
    found = os.environ.get("SPEAKPRO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("Chromium is missing: apt-get install chromium")
    return found


class ProdApp:
    """An app under `reflex run --env prod` (the compiled frontend and the backend on one port, as Reflex
    serves production), in its own process group and work dir."""

    def __init__(self, name: str, cwd: Path, env: dict[str, str]):
        self.name, self.cwd = name, cwd
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"speakpro-lighthouse-{name}-"))
        self.log = self.workdir / "app.log"
        self.env = {
            **env,
            "APP_URL": f"http://localhost:{self.port}",
            "API_URL": f"http://localhost:{self.port}",
            "FRONTEND_PORT": str(self.port),
            "BACKEND_PORT": str(self.port),
            "REFLEX_WEB_WORKDIR": str(self.workdir / "web"),
            "REFLEX_STATES_WORKDIR": str(self.workdir / "states"),
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> ProdApp:
        command = [str(VENV_BIN / "reflex"), "run", "--env", "prod"]
        command += ["--frontend-port", str(self.port), "--backend-port", str(self.port)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait_ready(self, timeout: float = 1200) -> float:
        """Seconds until the compiled frontend and the backend both answer (the build is most of it)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            if self._answers(self.url + "/") and self._answers(self.url + "/ping"):
                return time.monotonic() - started
            time.sleep(1)
        raise RuntimeError(f"{self.name} did not start in {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - localhost only
                return answer.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        import signal

        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with __import__("contextlib").suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


class LighthouseFailed(RuntimeError):
    """Lighthouse could not measure the page (its last line of output says why)."""


def lighthouse(url: str, *, cookie: str = "", desktop: bool = False) -> dict:
    """One Lighthouse run of `url` (accessibility and performance); its report's figures."""
    with tempfile.TemporaryDirectory() as out:
        report = Path(out) / "report.json"
        command = ["node", str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}"]
        command += ["--only-categories=accessibility,performance", f"--chrome-flags={CHROME_FLAGS}"]
        if desktop:
            command.append("--preset=desktop")
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        run = subprocess.run(
            command, env={**os.environ, "CHROME_PATH": chromium()}, timeout=300, capture_output=True, text=True
        )
        if run.returncode != 0 or not report.exists():
            raise LighthouseFailed((run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"])
        data = json.loads(report.read_text())
    audits, categories = data["audits"], data["categories"]
    scripts = [item for item in audits["network-requests"]["details"]["items"] if item.get("resourceType") == "Script"]
    failed = [
        audit_id
        for ref in categories["accessibility"]["auditRefs"]
        if ref["weight"] > 0 and (audit_id := ref["id"]) and audits[audit_id].get("score") == 0
    ]
    return {
        "final_url": data.get("finalDisplayedUrl") or data.get("finalUrl", ""),
        "accessibility": categories["accessibility"]["score"],
        "performance": categories["performance"]["score"],
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "js_kib": sum(item.get("transferSize", 0) for item in scripts) / 1024,
        "failed_accessibility": failed,
        "render_blocking": [
            (item["url"].rsplit("/", 1)[-1], item.get("wastedMs", 0))
            for item in (audits.get("render-blocking-resources", {}).get("details") or {}).get("items", [])
        ],
    }


def measured(url: str, *, cookie: str = "", desktop: bool = False, tries: int = 3) -> dict:
    """`lighthouse`, again when Chromium's trace missed the navigation (NO_NAVSTART: Lighthouse asks for a
    rerun; on a busy 2-core machine about one page in five)."""
    for attempt in range(tries):
        try:
            return lighthouse(url, cookie=cookie, desktop=desktop)
        except LighthouseFailed as failed:
            if "NO_NAVSTART" not in str(failed) or attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def prepare_database(url: str) -> dict[str, str]:
    """Migrate and seed; a session token for the demo learner, manager and admin, and the ids pages need."""
    from sqlmodel import Session, col, select

    from speakpro.db import create_app_engine, set_engine
    from speakpro.models import User
    from speakpro.seed import run_seed
    from speakpro.services.accounts.sessions import create_session

    pg.migrate(url)
    engine = create_app_engine(url)
    with Session(engine) as session:
        run_seed(session)
        session.commit()
        ids = dict(session.execute(select(col(User.email), col(User.id))).all())
        tokens = {
            role: create_session(session=session, user_id=ids[f"{role}@example.com"])
            for role in ("learner", "manager", "admin")
        }
        session.commit()
    set_engine(engine)  # the page list reads the demo ids through `session_scope`
    return tokens


def pages(which: str) -> list[tuple[str, str]]:
    """(who, path) of every page the tour of the browser tests opens, or only the landing page."""
    if which == "landing":
        return [("visitor", "/")]
    from tests.e2e.browser import ADMIN_PAGES, LEARNER_PAGES, MANAGER_PAGES, SIGNED_OUT_PAGES, demo_ids

    learner_id, practice, lesson = demo_ids()
    return [
        *(("visitor", p) for p in SIGNED_OUT_PAGES if p != "/no-such-page"),
        *(("learner", p) for p in (*LEARNER_PAGES, f"/lesson/{lesson}", f"/practice/session/{practice}")),
        *(("manager", p) for p in (*MANAGER_PAGES, f"/company/northwind/learners/{learner_id}")),
        *(("admin", p) for p in ADMIN_PAGES),
    ]


def row(label: str, r: dict) -> str:
    return (
        f"{label:<48} {r['accessibility']:>5.2f} {r['performance']:>5.2f} {r['fcp_ms']:>7.0f} {r['lcp_ms']:>7.0f} "
        f"{r['tbt_ms']:>6.0f} {r['js_kib']:>7.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Lighthouse on the production build, next to the minimal Reflex app")
    parser.add_argument("--pages", choices=("landing", "all"), default="all")
    args = parser.parse_args()
    ensure_lighthouse()
    server, _ = pg.server_url()
    url = pg.create_database(server, prefix="speakpro_bench_lighthouse")
    apps: list[ProdApp] = []
    try:
        tokens = prepare_database(url)
        base_env = Backend(
            database_url=url,
            secret_key=os.environ["SECRET_KEY"],
            data_dir=Path(os.environ["SPEAKPRO_DATA_DIR"]),
            name="lighthouse",
        ).env
        base_env["PATH"] = f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{base_env['PATH']}"
        speakpro = ProdApp("speakpro", ROOT, base_env).start()
        minimal_env = {k: v for k, v in base_env.items() if not k.startswith(("DATABASE_URL", "SPEAKPRO_"))}
        minimal = ProdApp("minimal", MINIMAL, minimal_env)
        apps += [speakpro, minimal]
        print(f"==> building and starting SpeakPro (prod): ready after {speakpro.wait_ready():.0f} s", flush=True)
        minimal.start()  # one build at a time: two cores
        print(f"==> building and starting the minimal app (prod): ready after {minimal.wait_ready():.0f} s")
        header = f"{'page (mobile unless marked)':<48} {'a11y':>5} {'perf':>5} {'FCP ms':>7} {'LCP ms':>7} "
        print(header + f"{'TBT ms':>6} {'JS KiB':>7}")
        floor = measured(minimal.url + "/")
        floor_desktop = measured(minimal.url + "/", desktop=True)
        print(row("minimal app, blank page", floor))
        print(row("minimal app, blank page (desktop)", floor_desktop))
        results = {}
        for who, path in pages(args.pages):
            cookie = f"speakpro_session={tokens[who]}" if who in tokens else ""
            try:
                result = measured(speakpro.url + path, cookie=cookie)
            except LighthouseFailed as failed:
                print(f"{who} {path}"[:48], "not measured:", failed, flush=True)
                continue
            if not result["final_url"].rstrip("/").endswith(path.rstrip("/")):
                result["failed_accessibility"].append(f"landed on {result['final_url']}")
            results[(who, path)] = result
            print(row(f"{who} {path}"[:48], result), " ".join(result["failed_accessibility"]), flush=True)
        landing_desktop = measured(speakpro.url + "/", desktop=True)
        print(row("visitor / (desktop)", landing_desktop))
        landing = results[("visitor", "/")]
        blocking = ", ".join(f"{name} ({ms:.0f} ms)" for name, ms in landing["render_blocking"]) or "none"
        print(f"\nlanding, render-blocking (mobile, time it could save): {blocking}")
        worst = min(results.items(), key=lambda item: item[1]["accessibility"])
        print(
            f"\nlanding performance: {landing['performance']:.2f} mobile, {landing_desktop['performance']:.2f} "
            f"desktop; as a ratio to the minimal app's blank page: {landing['performance'] / floor['performance']:.2f} "
            f"mobile, {landing_desktop['performance'] / floor_desktop['performance']:.2f} desktop"
        )
        print(f"lowest accessibility: {worst[1]['accessibility']:.2f} ({worst[0][0]} {worst[0][1]})")
    finally:
        for app in apps:
            app.stop()
        pg.drop_database(url)


if __name__ == "__main__":
    main()
