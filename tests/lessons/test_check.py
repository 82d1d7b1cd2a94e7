"""`lab lesson check` passes for every lesson: a model change that breaks a claim fails CI."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from lab.cli import app
from lessons import list_lessons
from tests.lessons.conftest import lesson

NUMBERS = [info.number for info in list_lessons()]


def test_there_are_at_least_the_ten_lessons_of_the_issue() -> None:
    assert NUMBERS[:10] == list(range(1, 11))


@pytest.mark.parametrize("number", NUMBERS)
def test_every_claim_passes(number: int) -> None:
    claims = lesson(number).claims
    assert claims, "every lesson makes checkable claims"
    failed = [f"{c.id}: {c.detail}" for c in claims if c.status == "fail"]
    assert failed == []
    # only live-runtime measurements may be skipped here (tests/lessons/test_live.py runs them)
    skipped = [c.id for c in claims if c.status == "skipped"]
    assert all(c.id.startswith("live-") for c in claims if c.status == "skipped"), skipped


def test_lab_lesson_check_runs_every_claim_and_exits_0() -> None:
    result = CliRunner().invoke(app, ["lesson", "check"])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output
    assert "FAIL" not in result.output


def test_lab_lesson_check_one_lesson_prints_numbers() -> None:
    result = CliRunner().invoke(app, ["lesson", "check", "5"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())  # the console wraps long lines
    assert re.search(r"5\.5\d\d vs 5\.5 ", shown)  # the lab's number beside the seed's
    assert "(arithmetic)" in shown  # a claim that only restates the inputs says so


def test_lab_lesson_check_3_says_what_is_fitted_and_the_out_of_sample_misses() -> None:
    result = CliRunner().invoke(app, ["lesson", "check", "3"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    for words in ("12 figures", "6 free parameters", "in-sample error", "Chosen, not fitted"):
        assert words in shown, words
    assert "Out of sample" in shown and "held-out app" in shown
    assert "out-of-sample-misses" in shown and "ttfb-saving-misses-the-smaller-apps" in shown


def test_lab_lesson_list_shows_every_title() -> None:
    result = CliRunner().invoke(app, ["lesson", "list"])
    assert result.exit_code == 0
    for info in list_lessons():
        assert (
            info.title[:30] in result.output.replace("\n", " ") or str(info.number) in result.output
        )


def test_a_failed_claim_exits_1(tmp_path) -> None:
    source = lesson(5).file.text.replace(
        'check = "approx(ai.fluid.usage.active_cpu_hours, 0.55, rel=0.02)"',
        'check = "approx(ai.fluid.usage.active_cpu_hours, 5.5, rel=0.02)"',
    )
    path = tmp_path / "05-the-bill.toml"
    path.write_text(source, encoding="utf-8")
    result = CliRunner().invoke(app, ["lesson", "check", str(path)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "0.5556 vs 5.5" in result.output
