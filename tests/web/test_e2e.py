"""End to end: ``streamlit run lab/app.py`` in a real browser (Debian's chromium via Playwright).

One server for the module on a free loopback port, polled on ``/_stcore/health``; every step
waits for ``[data-test-script-state='notRunning']``. The test moves a slider with the keyboard
and checks the page shows the simulator's numbers for the new scenario, with no exception box.
A screenshot is kept in ``test-artifacts/``.

Chromium missing: skipped on a workstation, a failure in CI (``CI`` set), never a silent pass.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.format import count, money
from lab.view.whatif import with_compared_models
from lab.web.controls import headline_key
from models.loading import DEFAULT_SCENARIO, builtin_scenario
from models.run import simulate
from tests.web.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-test-script-state='notRunning']"
TIMEOUT_MS = 90_000
VIEWPORT_HEIGHT = 3200
"""Tall enough for the whole Playground: Streamlit scrolls inside the page, so a screenshot
keeps only what the viewport holds."""

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(
            f"{CHROMIUM} is missing: .ci/run installs Debian's chromium for this test",
            pytrace=False,
        )
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # the test extras bring playwright; CI installs them
    if os.environ.get("CI"):
        raise
    pytest.skip("playwright is not installed (pip install -e '.[test]')", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "lab/app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"streamlit did not become healthy:\n{err[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.fixture(scope="module")
def page(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1500, "height": VIEWPORT_HEIGHT},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def _metric(page: Page, model: str, label: str):
    """A headline number of one model (its block is keyed, its labels don't repeat it)."""
    block = page.locator(f".st-key-{headline_key(model)}")
    card = block.locator("[data-testid='stMetric']").filter(has_text=label)
    return card.locator("[data-testid='stMetricValue']")


def _idle(page: Page) -> None:
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)


def test_a_first_visit_straight_to_a_page_gets_the_router(page: Page, server: str) -> None:
    """A page URL opened first after a restart gets the router's navigation (sections, page
    titles), not Streamlit's old folder mode (file names): the pages live in lab/web/pages/."""
    page.goto(f"{server}/bill")
    _idle(page)
    expect(page.get_by_role("heading", name="Bill calculator")).to_be_visible(timeout=TIMEOUT_MS)
    nav = page.locator("[data-testid='stSidebarNav']")
    expect(nav).to_contain_text("Playground", timeout=TIMEOUT_MS)
    expect(nav).to_contain_text("Scenario editor")
    assert "playground" not in nav.inner_text()  # the folder mode lists file names
    assert page.locator("[data-testid='stException']").count() == 0


def test_moving_a_slider_shows_the_new_result_in_a_real_browser(page: Page, server: str) -> None:
    default = with_compared_models(builtin_scenario(DEFAULT_SCENARIO))
    page.goto(server)
    _idle(page)
    before = simulate(default, keep_events=False).models["fluid"]
    expect(_metric(page, "fluid", "bill")).to_have_text(
        money(before.bill.total), timeout=TIMEOUT_MS
    )
    expect(_metric(page, "fluid", "instances (max)")).to_have_text("1")

    slider = page.locator("[data-testid='stSlider']").filter(has_text="concurrency cap")
    thumb = slider.get_by_role("slider")
    assert thumb.get_attribute("aria-valuetext") == "30"
    thumb.focus()
    for _ in range(3):  # 30 -> 16 -> 8 -> 4 requests per instance
        page.keyboard.press("ArrowLeft")
    expect(thumb).to_have_attribute("aria-valuetext", "4")
    after = simulate(
        default.with_changes(**{"platforms.fluid.concurrency": 4}), keep_events=False
    ).models["fluid"]
    expect(_metric(page, "fluid", "bill")).to_have_text(money(after.bill.total), timeout=TIMEOUT_MS)
    expect(_metric(page, "fluid", "instances (max)")).to_have_text(
        count(after.metrics["instances"]["max"]), timeout=TIMEOUT_MS
    )
    _idle(page)
    assert after.metrics["instances"]["max"] > 1  # four per instance: the run needs more
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(1500)  # let the charts finish drawing for the screenshot
    page.screenshot(path=str(ARTIFACTS / "web-e2e-playground.png"), full_page=True)


CUT_OFF = """() => {
    const main = document.querySelector("[data-testid='stMainBlockContainer']");
    const box = main.getBoundingClientRect();
    const right = box.right - parseFloat(getComputedStyle(main).paddingRight) + 1;
    const out = [];
    for (const chart of document.querySelectorAll("[data-testid='stVegaLiteChart']")) {
        const drawn = chart.querySelector("canvas, svg") || chart;
        if (drawn.getBoundingClientRect().right > right) out.push("chart " + chart.innerText);
    }
    const parts = "[data-testid='stMetricLabel'], [data-testid='stMetricValue'], "
        + "[data-testid='stMetricDelta']";
    for (const part of document.querySelectorAll(parts)) {
        for (const el of [part, ...part.querySelectorAll("*")]) {
            if (el.scrollWidth > el.clientWidth + 1) { out.push(part.innerText); break; }
        }
    }
    return out;
}"""


@pytest.mark.parametrize("width", [1280, 1400])
def test_no_chart_legend_or_number_is_cut_off(page: Page, server: str, width: int) -> None:
    """At common laptop widths, with the sidebar open: every chart (legends included) fits
    the page, and no headline label, value or delta ends in an ellipsis."""
    page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
    try:
        for path, charts in [("", 3), ("replay", 1), ("bill", 1)]:
            page.goto(f"{server}/{path}")
            _idle(page)
            expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(
                charts, timeout=TIMEOUT_MS
            )
            expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
            _idle(page)
            page.wait_for_timeout(1000)  # the charts lay themselves out
            assert page.evaluate(CUT_OFF) == [], (path, width)
    finally:
        page.set_viewport_size({"width": 1500, "height": VIEWPORT_HEIGHT})


def test_every_page_opens_without_an_exception(page: Page, server: str) -> None:
    for path, heading in [
        ("replay", "Animated replay"),
        ("bill", "Bill calculator"),
        ("editor", "Scenario editor"),
        ("live", "Live runtime"),
    ]:
        page.goto(f"{server}/{path}")
        _idle(page)
        expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=TIMEOUT_MS)
        _idle(page)
        assert page.locator("[data-testid='stException']").count() == 0, path
