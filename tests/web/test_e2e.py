"""End to end: ``streamlit run lab/app.py`` in a real browser (Debian's chromium via Playwright).

One server for the module on a free loopback port, polled on ``/_stcore/health``; every step
waits for ``[data-test-script-state='notRunning']``. The test moves a slider with the keyboard
and checks the page shows the simulator's numbers for the new scenario, with no exception box.
A screenshot is kept in ``test-artifacts/``.

Chromium missing: skipped on a workstation, a failure in CI (``CI`` set), never a silent pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.format import count, money
from lab.view.whatif import with_compared_models
from lab.web.controls import headline_key
from models.loading import DEFAULT_SCENARIO, builtin_scenario
from models.run import simulate
from tests.streamlit_server import running_streamlit
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


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running_streamlit() as url:
        yield url


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
    """A page URL opened first after a restart (this module's server is fresh, and this test
    runs first) gets the router's navigation (sections, page titles), not Streamlit's old
    folder mode (file names): the pages live in lab/web/pages/."""
    page.goto(f"{server}/lessons")
    _idle(page)
    expect(page.get_by_role("heading", name="Lessons", exact=True)).to_be_visible(
        timeout=TIMEOUT_MS
    )
    nav = page.locator("[data-testid='stSidebarNav']")
    expect(nav).to_contain_text("Playground", timeout=TIMEOUT_MS)
    expect(nav).to_contain_text("Scenario editor")
    assert "playground" not in nav.inner_text()  # the folder mode lists file names
    assert "Lessons" in nav.inner_text() and "lessons" not in nav.inner_text()
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


@pytest.mark.parametrize("width", [1024, 1280, 1400])
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


PAGES = [
    ("", "Playground"),
    ("replay", "Animated replay"),
    ("bill", "Bill calculator"),
    ("sweep", "Sweeps"),
    ("editor", "Scenario editor"),
    ("live", "Live runtime"),
    ("lessons", "Lessons"),
]
SIZES = [(1400, 900), (1024, 768)]
OVERFLOW = "() => [document.scrollingElement.scrollWidth, innerWidth]"


def _settled(page: Page, heading: str) -> None:
    """The page's heading is there and its script has finished (the idle marker is also
    there before a run starts, so the heading comes first)."""
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    _idle(page)
    page.wait_for_timeout(800)  # the charts lay themselves out
    _idle(page)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_page_fits_a_projector_and_a_laptop(
    page: Page, server: str, width: int, height: int
) -> None:
    """At 1400x900 and 1024x768 with the sidebar open: every page renders with no exception
    box, nothing scrolls sideways, and no chart, legend or number is cut off."""
    page.set_viewport_size({"width": width, "height": height})
    try:
        for path, heading in PAGES:
            page.goto(f"{server}/{path}")
            _settled(page, heading)
            assert page.locator("[data-testid='stException']").count() == 0, path
            scroll, inner = page.evaluate(OVERFLOW)
            assert scroll <= inner, (path, scroll, inner)
            assert page.evaluate(CUT_OFF) == [], (path, width)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"web-{path or 'playground'}-{width}.png"))
    finally:
        page.set_viewport_size({"width": 1500, "height": VIEWPORT_HEIGHT})


def _marks(page: Page) -> list[dict[str, str]]:
    """The drawn marks of the page's charts, from their accessible labels
    (``start: 1.5; instance: instance 0; …``; Vega-Lite writes one per mark in SVG)."""
    labels = page.eval_on_selector_all(
        "[data-testid='stVegaLiteChart'] svg [aria-label]",
        "els => els.map(e => e.getAttribute('aria-label'))",
    )
    marks = []
    for label in labels:
        fields = dict(part.split(": ", 1) for part in label.split("; ") if ": " in part)
        if "activity" in fields or "t" in fields:
            marks.append(fields)
    return marks


def _click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_timeout(300)
    _idle(page)


def test_replay_at_the_peak_overlap_shows_every_request_in_flight(page: Page, server: str) -> None:
    """The meter says N requests in flight: at least N distinct requests are drawn running
    on the instance at the cursor, each on its own row."""
    page.goto(f"{server}/replay")
    _settled(page, "Animated replay")
    page.get_by_text("fluid", exact=True).first.click()
    expect(
        page.locator("[data-testid='stVegaLiteChart']").filter(has_text="fluid at")
    ).to_be_visible(timeout=TIMEOUT_MS)
    _idle(page)
    _click(page, "Peak overlap")
    expect(page.get_by_text("holds")).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    in_flight = int(
        page.locator("[data-testid='stMetric']")
        .filter(has_text="requests in flight")
        .locator("[data-testid='stMetricValue']")
        .inner_text()
    )
    assert in_flight >= 5
    marks = _marks(page)
    cursor = next(float(m["t"]) for m in marks if "t" in m and "activity" not in m)
    running = {
        (m["request"], m["slot"])
        for m in marks
        if "request" in m and int(m["slot"]) >= 0 and float(m["end"]) >= cursor - 1e-3
    }
    assert len({request for request, _slot in running}) >= in_flight
    assert len({slot for _request, slot in running}) >= in_flight


def test_lesson_one_opens_its_run_on_the_four_phases(page: Page, server: str) -> None:
    page.goto(f"{server}/lessons")
    _settled(page, "Lessons")
    expect(page.get_by_text("Your prediction.")).to_be_visible(timeout=TIMEOUT_MS)
    _click(page, "Record my prediction")  # lesson 1 asks for a number: its default will do
    expect(page.get_by_text("Paused on: cold start").first).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    drawn = {m.get("activity") for m in _marks(page)}
    assert {"provision", "runtime init", "code load: compile", "module init"} <= drawn, drawn


def test_the_editor_follows_an_upload_at_once(page: Page, server: str, tmp_path: Path) -> None:
    """Caption, description and download name describe the uploaded scenario straight away."""
    from lab.web.scenarios import scenario_text

    mine = with_compared_models(builtin_scenario(DEFAULT_SCENARIO)).with_changes(
        name="mine", title="My own route", description="Written for the browser test."
    )
    path = tmp_path / "mine.yaml"
    path.write_text(scenario_text(mine, "yaml"), encoding="utf-8")
    page.goto(f"{server}/editor")
    _settled(page, "Scenario editor")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(page.get_by_text("In use: mine", exact=False)).to_be_visible(timeout=TIMEOUT_MS)
    _idle(page)
    page.get_by_text("About this scenario").click()
    details = page.get_by_test_id("stExpanderDetails")
    expect(details.get_by_text("Written for the browser test.")).to_be_visible()
    expect(details.get_by_text("My own route")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download this text").click()
    assert download.value.suggested_filename == "mine.yaml"


def test_a_live_run_with_failures_shows_them(page: Page, server: str, tmp_path: Path) -> None:
    """Every request is cut by the platform's max duration: the page counts them as timed out,
    lists them, and reports no latency and no change (real processes on loopback)."""
    from lab.web.scenarios import scenario_text
    from tests.helpers import make_scenario

    cut = with_compared_models(
        make_scenario([{"cpu": "5ms"}, {"io": "3s"}], {"kind": "poisson", "rate": 0.5}, 3)
    ).with_changes(**{"name": "cut", "platforms.fluid.max_duration": 0.3})
    path = tmp_path / "cut.yaml"
    path.write_text(scenario_text(cut, "yaml"), encoding="utf-8")
    page.goto(f"{server}/editor")
    _settled(page, "Scenario editor")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(page.get_by_text("In use: cut", exact=False)).to_be_visible(timeout=TIMEOUT_MS)
    _idle(page)
    page.get_by_role("link", name="Live runtime").click()
    _settled(page, "Live runtime")
    page.get_by_text("fluid", exact=True).first.click()
    _idle(page)
    slider = (
        page.locator("[data-testid='stSlider']").filter(has_text="requests").get_by_role("slider")
    )
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")  # 3 requests
    _idle(page)
    _click(page, "Start a live run")
    expect(page.get_by_text("live fluid: no request completed")).to_be_visible(timeout=120_000)
    timed_out = (
        page.locator("[data-testid='stMetric']")
        .filter(has_text="timed out")
        .locator("[data-testid='stMetricValue']")
        .first
    )
    assert int(timed_out.inner_text()) >= 1
    expect(page.get_by_text("requests not answered")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
