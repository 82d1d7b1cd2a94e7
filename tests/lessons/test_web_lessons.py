"""The Streamlit lessons page (AppTest): every lesson can be walked from the prediction to the
summary, and what it shows comes from the lesson API (no lesson text in the page)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lessons import list_lessons
from tests.lessons.conftest import lesson
from tests.web.conftest import APP, TIMEOUT

NUMBERS = [info.number for info in list_lessons()]


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def walk(number: int, right: bool = True) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("web/pages/lessons.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="lessons.number").set_value(number).run()
    assert not at.exception, at.exception
    run = lesson(number)
    p = run.prediction
    assert p.question.split("\n")[0][:40] in texts(at)
    key = f"lessons.{number}.guess"
    if p.kind == "choice":
        index = p.answer if right else (p.answer + 1) % len(p.choices)
        at.radio(key=f"{key}.input").set_value(p.choices[index]).run()
    else:
        at.number_input(key=f"{key}.input").set_value(p.answer if right else p.min).run()
    at.button(key=f"{key}.record").click().run()
    assert not at.exception, at.exception
    for _ in run.steps[1:]:
        at.button(key=f"lessons.{number}.next").click().run()
        assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("number", NUMBERS)
def test_every_lesson_can_be_walked_with_a_prediction(number: int) -> None:
    at = walk(number)
    shown = texts(at)
    run = lesson(number)
    for step in run.steps:
        assert step.markdown.split("\n")[0][:50] in shown, step.title
    assert "Right" in shown or "Close" in shown  # the reveal beside the prediction
    assert run.summary.split("\n")[0][:50] in shown
    assert [s.value for s in at.success] == [f"Lesson {number} done."]


def test_a_wrong_prediction_is_revealed_as_such_and_progress_is_kept(tmp_path, monkeypatch) -> None:
    """Progress is kept for this browser session (its state), never in a file that every
    visitor of a shared server would see."""
    monkeypatch.setenv("SERVERLESS_LAB_PROGRESS", str(tmp_path / "progress.json"))
    at = walk(1, right=False)
    assert "Not quite" in texts(at)
    assert not (tmp_path / "progress.json").exists()
    entry = at.session_state["lessons.progress"].of(lesson(1).slug)
    assert (
        entry.done
        and entry.correct is False
        and entry.steps_seen == list(range(len(lesson(1).steps)))
    )


def test_a_knob_shows_what_changed() -> None:
    at = walk(4)
    at.slider(key="lessons.4.knob.concurrency").set_value(1).run()
    assert not at.exception, at.exception
    assert lesson(4).turn("concurrency", 1).text.split("\n")[0] in texts(at)


def test_the_animated_run_plays() -> None:
    at = walk(1)
    at.button(key="lessons.1.0.play").click().run()
    assert at.session_state["lessons.1.0.playing"]
    at.run()
    assert not at.exception, at.exception


def test_the_capstone_page_checks_each_route_choice_and_its_reason() -> None:
    at = walk(10)
    run = lesson(10)
    resize = run.decisions[-1]
    key = f"lessons.10.decision.{resize.id}"
    at.radio(key=f"{key}.choice").set_value(resize.options[0]).run()
    at.text_input(key=f"{key}.reason").input("one function is cheapest").run()
    at.button(key=f"{key}.check").click().run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "The numbers disagree" in shown and "one function is cheapest" in shown
    assert resize.options[resize.supported[0]] in shown


def _kinds_drawn(at: AppTest, index: int) -> set[str]:
    from tests.web.conftest import chart_datasets

    return {
        r["activity"]
        for rows in chart_datasets(at, index).values()
        for r in rows
        if "activity" in r
    }


def test_lesson_steps_open_paused_on_their_moment() -> None:
    """Lesson 1's first animated step opens on a cold start with its four phases in view (not
    at the end of the run); lesson 4's on five requests at once on one fluid instance."""
    from lab.view.legend import LEGEND

    at = walk(1)
    assert not at.session_state["lessons.1.0.playing"]
    assert (
        at.session_state["lessons.1.0.cursor"]
        < lesson(1).result("typical").models["traditional"].end_time / 100
    )
    phases = {LEGEND[k].label for k in ("provision", "runtime_init", "compile", "module_init")}
    assert phases <= _kinds_drawn(at, 0)
    assert any("Paused on: cold start" in c.value for c in at.caption)
    at = walk(4)
    at.radio(key="lessons.4.0.model").set_value("fluid").run()
    assert not at.exception, at.exception
    assert any("5 requests" in c.value or "overlap" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
