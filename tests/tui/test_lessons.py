"""Every lesson walked in the TUI: open it, enter a prediction, see the reveal, step through
every stage to the summary and its claims, turn a knob. Progress goes to a temporary file."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input, Markdown, OptionList, Select

from lab.tui.lessons_screen import LessonsScreen, knob_values
from lessons import list_lessons
from models.loading import builtin_scenario
from tests.tui.conftest import make_app

LESSONS = list_lessons()


async def wait_for(pilot, condition, timeout: float = 60.0) -> None:
    waited = 0.0
    while not condition():
        await pilot.pause(0.05)
        waited += 0.05
        if waited > timeout:
            raise TimeoutError("the lesson did not get there")
    await pilot.pause()


def markdown(screen: LessonsScreen, selector: str) -> str:
    return screen.query_one(selector, Markdown).source


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("SERVERLESS_LAB_PROGRESS", str(path))
    return path


@pytest.mark.parametrize("info", LESSONS, ids=[i.slug for i in LESSONS])
async def test_walk_a_lesson(info, progress_file) -> None:
    app = make_app(builtin_scenario("image-resize"))
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, LessonsScreen)
        menu = screen.query_one("#lesson-list", OptionList)
        menu.highlighted = [o.id for o in menu._options].index(str(info.number))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.lesson is not None)
        lesson = screen.lesson
        assert lesson.number == info.number
        assert lesson.title in markdown(screen, "#lesson-md")
        # the prediction: the right answer, entered as a student would
        p = lesson.prediction
        if p.kind == "choice":
            choices = screen.query_one("#choices", OptionList)
            assert choices.has_focus
            choices.highlighted = p.answer
            await pilot.press("enter")
        else:
            guess = screen.query_one("#guess", Input)
            assert guess.has_focus
            await pilot.press(*f"{float(p.answer):.6g}", "enter")
        await wait_for(pilot, lambda: screen.reveal is not None)
        assert screen.reveal.correct
        assert p.answer_text in markdown(screen, "#reveal-md")
        # every step, in order, animated where the lesson says so
        for index, step in enumerate(lesson.steps, start=1):
            await pilot.press("n")
            await wait_for(pilot, lambda index=index: screen.stage == index)
            assert step.title in markdown(screen, "#lesson-md")
            assert screen.player.display == (step.animate is not None)
            if step.animate is not None:
                await wait_for(pilot, lambda: screen.player.playback is not None)
                shown = screen.player.playback
                assert shown.result is lesson.result(step.animate)
                expected = lesson.result(step.animate)
                assert set(shown.timelines) == set(expected.models)
        # the closing stage: summary, claims, knobs
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.stage == screen.last_stage)
        closing = markdown(screen, "#lesson-md")
        assert "What we learned" in closing
        for claim in lesson.claims:
            assert claim.text in closing
        if lesson.knobs:
            knob = lesson.knobs[0]
            values = knob_values(knob)
            other = next(i for i, v in enumerate(values) if v != knob.default)
            screen.query_one(f"#lesson-knob-{knob.id}", Select).value = other
            await wait_for(pilot, lambda: markdown(screen, "#knob-md") != "")
            expected = lesson.turn(knob.id, values[other])
            assert expected.text.split("\n")[0] in markdown(screen, "#knob-md")
        # back goes back; escape returns to the list
        await pilot.press("b")
        assert screen.stage == screen.last_stage - 1
        await pilot.press("escape")
        assert screen.lesson is None
    saved = json.loads(progress_file.read_text())["lessons"][info.slug]
    assert saved["correct"] is True
    assert saved["completed_at"] is not None
    assert len(saved["steps_seen"]) == len(lesson.steps)


async def test_a_wrong_number_says_not_quite(progress_file) -> None:
    app = make_app(builtin_scenario("image-resize"))
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("l")
        screen = app.screen
        await pilot.press("enter")  # lesson 1 (a number)
        await wait_for(pilot, lambda: screen.lesson is not None)
        assert screen.lesson.prediction.kind == "number"
        await pilot.press("n")  # no prediction yet: a nudge, not a move
        assert screen.stage == 0
        await pilot.press(*"1", "enter")
        await wait_for(pilot, lambda: screen.reveal is not None)
        assert not screen.reveal.correct
        assert "Not quite" in markdown(screen, "#reveal-md")
