"""Claims about behaviour, not inputs (issue 14).

A claim whose expression names no run output (only scenario settings, platform knobs, documented
facts and constants) cannot be failed by the model: it echoes an input. Every such claim must
say so (``kind = "arithmetic"`` or ``"definition"``); a ``behaviour`` claim must name at least
one output: a metric of a run, or a computed table (a fit, a trace replay, a live measurement).
"""

from __future__ import annotations

import pytest

from lessons.expr import names, parse
from lessons.loader import LessonFile, lesson_paths, read_lesson
from lessons.providers import INPUT_PROVIDERS
from lessons.spec import Claim, Lesson

LESSONS = [read_lesson(path) for path in lesson_paths()]


def _is_output(lesson: Lesson, name: tuple[str | int, ...]) -> bool:
    root = str(name[0])
    if root in lesson.runs:
        return len(name) > 2 and name[1] != "scenario" and name[2] != "platform"
    if root in lesson.data:
        return lesson.data[root].provider not in INPUT_PROVIDERS
    return False


def echoes(lesson: Lesson, claim: Claim) -> bool:
    """Does the claim's check name no output at all?"""
    return not any(_is_output(lesson, n) for n in names(parse(claim.check)))


def unmarked_echoes(lf: LessonFile) -> list[str]:
    return [
        f"{lf.slug}: {c.id}"
        for c in lf.lesson.claims
        if echoes(lf.lesson, c) and c.kind == "behaviour"
    ]


def test_every_input_echo_is_marked_as_arithmetic_or_definition() -> None:
    problems = [p for lf in LESSONS for p in unmarked_echoes(lf)]
    assert problems == []


@pytest.mark.parametrize("lf", LESSONS, ids=[lf.slug for lf in LESSONS])
def test_a_lesson_makes_claims_about_behaviour(lf: LessonFile) -> None:
    assert any(c.kind == "behaviour" and not echoes(lf.lesson, c) for c in lf.lesson.claims)


def test_the_check_catches_an_unmarked_echo() -> None:
    lf = next(lf for lf in LESSONS if lf.lesson.number == 9)
    run = next(iter(lf.lesson.runs))
    echo = Claim(id="echo", text="an input", check=f"{run}.traditional.platform.max_duration > 0")
    bad = lf.lesson.model_copy(update={"claims": [*lf.lesson.claims, echo]})
    assert unmarked_echoes(LessonFile(bad, lf.path, lf.text)) == [f"{lf.slug}: echo"]
    marked = echo.model_copy(update={"kind": "definition"})
    good = lf.lesson.model_copy(update={"claims": [*lf.lesson.claims, marked]})
    assert unmarked_echoes(LessonFile(good, lf.path, lf.text)) == []
