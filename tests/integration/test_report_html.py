"""`govbot report --html` as a user runs it, the page checked in a real headless Chromium: it
renders the charts and the findings, and fetches nothing from the network."""

import json
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import REGIONS, estate_process, run_govbot

# As a locked-down machine runs it: no sandbox (root), no GPU, nothing in the background.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    pytest.skip("no Chromium here (`make test` installs Debian's chromium package)")


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    """The estate swept, two fixes approved and applied, and the report written: once for the
    tests here, which only read the page."""
    with estate_process() as (at, _):
        assert run_govbot("init", env=at).returncode == 0
        swept = json.loads(run_govbot("sweep", "--regions", REGIONS, "-f", "json", env=at).stdout)
        endpoints = [f["finding_id"] for f in swept["findings"] if f["detector"] == "idle-endpoint"]
        applied = run_govbot("approve", *endpoints[:2], "--apply", "--by", "ana", env=at)
        assert applied.returncode == 0, applied.stderr
        page = tmp_path_factory.mktemp("report") / "report.html"
        written = run_govbot("report", "--html", str(page), env=at)
        assert written.returncode == 0, written.stderr
        assert f"wrote {page}" in written.stderr
        yield page, swept


def test_the_page_fetches_nothing(report) -> None:
    page, _ = report
    html = page.read_text()
    assert "Content-Security-Policy" in html
    assert "default-src 'none'" in html
    # No external source of any kind: scripts, styles, images, fonts, frames.
    assert not re.search(r"""\b(src|href)\s*=""", html)
    assert "url(" not in html
    assert "@import" not in html


def test_chromium_renders_the_charts_findings_and_savings(report, tmp_path) -> None:
    page, swept = report
    dom = browse(page, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = dom.stdout
    for title in ("Waste by detector", "Waste by team", "Waste by region", "Saved by detector"):
        assert title in rendered
    assert rendered.count('class="bar"') >= 6  # bars for detectors, teams, regions, savings
    assert "<polyline" in rendered  # savings over time
    # The two endpoints fixed are saved, not standing waste; the costliest finding is listed.
    costliest = max(swept["findings"], key=lambda f: f["monthly_cost_usd"] or 0)
    assert costliest["finding_id"] in rendered
    assert "Saved by fixes in force" in rendered

    shot = tmp_path / "report.png"
    taken = browse(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,1500")
    assert taken.returncode == 0, taken.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 1500)
    assert len(png) > 50_000  # a page of charts and text, not a blank one
