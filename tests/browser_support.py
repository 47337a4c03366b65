"""Debian's Chromium driven by Playwright, and axe-core, for the browser tests of web/."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium from opening any connection of its own (updates, sync, metrics).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"


def missing_tool(message: str) -> None:
    """Skip on a developer's machine without the tool, but fail in CI, where `make test`
    installs it."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def launch_chromium() -> Iterator[Any]:
    """Yield a headless Chromium for one test module, then close it."""
    if not CHROMIUM.exists():
        missing_tool(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page and return its serious and critical violations."""
    if not AXE.exists():
        missing_tool(f"{AXE} is missing: run `make browser` (npm install axe-core)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const outcome = await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                              "best-practice"]},
        });
        return outcome.violations.map((item) => ({
            id: item.id, impact: item.impact, help: item.help,
            targets: item.nodes.map((node) => node.target.join(" ")),
        }));
    }""")
    return [item for item in result if item["impact"] in ("serious", "critical")]
