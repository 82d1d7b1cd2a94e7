"""A class in a real browser: ``streamlit run lab/app.py`` on a free loopback port, Debian's
chromium via Playwright, one teacher and two student contexts (separate sessions).

The teacher opens a class; the students open the link with the code, join with a name and
predict; the teacher's chart counts them; the reveal reaches both students' screens. The class
database is a SQLite file in the test's tmp dir (``LAB_DB_URL``). Screenshots of both pages at
1400x900 and 1024x768 are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.classroom.service import Classroom
from tests.streamlit_server import running_streamlit

ROOT = Path(__file__).parents[2]
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
SIZES = ((1400, 900), (1024, 768))
LOAD = 60

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("playwright is not installed (pip install -e '.[test]')", allow_module_level=True)


@pytest.fixture(scope="module")
def db_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('class-db') / 'classes.db'}"


@pytest.fixture(scope="module")
def server(db_file: str) -> Iterator[str]:
    with running_streamlit({"LAB_DB_URL": db_file}) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Browser) -> Page:
    """A new browser context: its own cookies, so its own Streamlit session."""
    width, height = SIZES[0]
    return browser.new_context(viewport={"width": width, "height": height}).new_page()


def _idle(page: Page) -> None:
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)


def _metric(page: Page, label: str):  # type: ignore[no-untyped-def]
    card = page.locator("[data-testid='stMetric']").filter(has_text=label)
    return card.locator("[data-testid='stMetricValue']")


def _shots(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / f"class-{name}-{width}x{height}.png"))
    page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})


def test_students_join_predict_and_the_reveal_reaches_them(
    browser: Browser, server: str, db_file: str
) -> None:
    teacher = _page(browser)
    teacher.goto(f"{server}/teach")
    _idle(teacher)
    expect(teacher.get_by_label("Class title")).to_be_visible(timeout=TIMEOUT_MS)
    _shots(teacher, "teacher-open")
    teacher.get_by_label("Class title").fill("Cold starts, week 3")
    teacher.get_by_role("button", name="Open the class").click()
    expect(_metric(teacher, "Join code")).to_have_text(re.compile(r"^\w{6}$"), timeout=TIMEOUT_MS)
    code = _metric(teacher, "Join code").inner_text()
    expect(_metric(teacher, "Predictions")).to_have_text("0 of 0", timeout=TIMEOUT_MS)

    students = []
    for name, guess in (("Ann", "150"), ("Bob", "900")):
        student = _page(browser)
        student.goto(f"{server}/class?code={code}")
        _idle(student)
        expect(student.get_by_label("Join code")).to_have_value(code, timeout=TIMEOUT_MS)
        if not students:
            _shots(student, "student-join")
        student.get_by_label("Your display name").fill(name)
        student.get_by_role("button", name="Join").click()
        number = student.locator("[data-testid='stNumberInput'] input")
        expect(number).to_be_visible(timeout=TIMEOUT_MS)
        number.fill(guess)
        number.press("Enter")
        expect(number).to_have_value(f"{float(guess):.2f}", timeout=TIMEOUT_MS)  # committed
        _idle(student)
        student.get_by_role("button", name="Send my prediction").click()
        expect(student.get_by_text("Waiting for the teacher's reveal")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        students.append(student)

    expect(_metric(teacher, "Predictions")).to_have_text("2 of 2", timeout=TIMEOUT_MS)
    _shots(teacher, "teacher-before")
    _shots(students[0], "student-before")

    # 60 more students at once, from another process than the server (this test's threads),
    # while the teacher's page polls the same SQLite file: none lost, the count exact.
    room = Classroom(db_file)
    passes = [room.join(code, f"load {i:02d}") for i in range(LOAD)]
    start = threading.Barrier(LOAD)
    errors: list[BaseException] = []

    def submit(i: int) -> None:
        try:
            start.wait()
            room.predict(code, passes[i].token, 1, 0, float(100 + 20 * i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(LOAD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total = LOAD + 2
    expect(_metric(teacher, "Predictions")).to_have_text(f"{total} of {total}", timeout=TIMEOUT_MS)
    _shots(teacher, "teacher-class")

    teacher.get_by_role("button", name="Reveal the answer").click()
    expect(teacher.get_by_text("Revealed:")).to_be_visible(timeout=TIMEOUT_MS)
    for student in students:  # nobody clicks anything: their fragment polls the class
        expect(student.get_by_text("the lab measured")).to_be_visible(timeout=TIMEOUT_MS)
        assert student.get_by_role("button", name="Send my prediction").count() == 0
    _shots(teacher, "teacher-revealed")
    _shots(students[0], "student-revealed")

    for page in (teacher, *students):
        assert page.locator("[data-testid='stException']").count() == 0
    info = next(c for c in Classroom(db_file).classes() if c.code == code)
    assert (info.students, info.predictions) == (total, total)
