"""Every page, for each role and signed out, at a phone's size (390x844) and a desktop's (1280x800): never wider
than the window, no critical or serious accessibility violation (axe-core, the npm package, injected into the
page), and no warning or error in the console (React's nesting checks included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import tour

AXE = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
# The violations that block someone from using a page; "moderate" and "minor" ones are reported, not failed.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "critical" || v.impact === "serious")
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}"""


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_every_page_fits_is_accessible_and_logs_nothing(page, base_url, size):
    assert AXE.exists(), "axe-core is missing: run scripts/bootstrap.sh test"
    page.set_viewport_size({"width": size[0], "height": size[1]})
    axe_source = AXE.read_text()
    logged: list[str] = []
    page.on("console", lambda m: logged.append(m.text[:300]) if m.type in ("warning", "error") else None)

    def check(path: str):
        problems = []
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > size[0]:
            problems.append(f"{width} px wide")
        page.evaluate(axe_source)  # through DevTools, which the pages' Content-Security-Policy does not govern
        problems += page.evaluate(RUN_AXE)
        # The not-found page answers 404 on purpose; the browser logs that status as an error.
        problems += [text for text in logged if not (path == "/no-such-page" and "404" in text)]
        logged.clear()
        return (path, problems) if problems else None

    found = tour(page, base_url, check)
    assert not found, "\n".join(f"{path}: {problem}" for path, problems in found for problem in problems)
