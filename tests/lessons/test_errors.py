"""Broken lesson files are reported with the file and the place (and line), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.cli import app
from lessons import LessonError, open_lesson

GOOD = """
number = 42
title = "A small lesson"
hook = "What happens?"
summary = "Fluid billed {run.fluid.bill_usd.total|money}."

[runs.run]
scenario = "lesson02-gaps"
changes = { "workload.requests" = 20 }

[prediction]
kind = "choice"
question = "Which is cheaper?"
choices = [
  { label = "fluid", when = "run.fluid.bill_usd.total < run.traditional.bill_usd.total" },
  { label = "traditional", when = "true" },
]
reveal = "Fluid: {run.fluid.bill_usd.total|money}."

[[steps]]
title = "The run"
text = "Cold starts: {run.traditional.cold_starts}."
animate = "run"

[[claims]]
id = "cheaper"
text = "fluid is cheaper"
check = "run.fluid.bill_usd.total < run.traditional.bill_usd.total"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "42-broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> LessonError:
    with pytest.raises(LessonError) as caught:
        run = open_lesson(write(tmp_path, text))
        run.claims  # noqa: B018 - evaluating the claims is part of checking the lesson
    return caught.value


def test_the_good_lesson_is_fine(tmp_path: Path) -> None:
    run = open_lesson(write(tmp_path, GOOD))
    assert [c.status for c in run.claims] == ["pass"]
    assert run.steps[0].markdown.startswith("Cold starts: ")


def test_missing_scenario_names_file_line_and_place(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace('"lesson02-gaps"', '"no-such-scenario"'))
    assert error.path.name == "42-broken.toml"
    assert error.place == "runs.run.scenario"
    assert error.line == 8
    assert "no-such-scenario" in str(error) and "42-broken.toml:8" in str(error)


def test_claim_on_an_unknown_metric(tmp_path: Path) -> None:
    text = GOOD.replace(
        'check = "run.fluid.bill_usd.total',
        'check = "run.fluid.latency_ms.p98 + run.fluid.bill_usd.total',
    )
    error = error_for(tmp_path, text)
    assert error.place == "claims[0].check"
    assert "p98" in error.message and "p50" in error.message  # says what exists
    assert (
        error.line
        == text.splitlines().index(next(line for line in text.splitlines() if "p98" in line)) + 1
    )


def test_claim_on_an_unknown_model(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace('check = "run.fluid.', 'check = "run.aws.'))
    assert error.place == "claims[0].check"
    assert "aws" in error.message and "traditional" in error.message


def test_malformed_step_placeholder(tmp_path: Path) -> None:
    error = error_for(
        tmp_path, GOOD.replace("{run.traditional.cold_starts}", "{run.traditional.cold_starts")
    )
    assert error.place == "steps[0].text"
    assert "brace" in error.message


def test_step_without_a_title(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace('title = "The run"\n', ""))
    assert error.place == "steps[0].title"
    assert "missing" in error.message


def test_unknown_filter(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace('|money}."', '|dollars}."'))
    assert error.place == "summary" and "dollars" in error.message


def test_step_animating_an_unknown_run(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace('animate = "run"', 'animate = "nope"'))
    assert error.place == "steps[0].animate"


def test_claim_citing_an_unknown_source(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD + 'source = "nowhere"\n')
    assert error.place == "claims[0].source"


def test_bad_change_path(tmp_path: Path) -> None:
    error = error_for(
        tmp_path, GOOD.replace('"workload.requests" = 20', '"workload.requestz" = 20')
    )
    assert error.place == "runs.run.changes"
    assert "requestz" in error.message


def test_not_toml(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace('title = "A small lesson"', "title = "))
    assert "not valid TOML" in error.message and error.line == 3


def test_unsafe_expression_is_refused_not_run(tmp_path: Path) -> None:
    for bad in (
        "__import__('os').system('true')",
        "run.__class__",
        "[x for x in run]",
        "lambda: 1",
    ):
        error = error_for(
            tmp_path,
            GOOD.replace(
                'check = "run.fluid.bill_usd.total < run.traditional.bill_usd.total"',
                f'check = "{bad}"',
            ),
        )
        assert error.place == "claims[0].check", bad


def test_cli_reports_a_broken_lesson_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"lesson02-gaps"', '"no-such-scenario"'))
    result = CliRunner().invoke(app, ["lesson", "check", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "42-broken.toml:8" in result.output.replace("\n", "")


def test_cli_unknown_lesson_exits_2() -> None:
    result = CliRunner().invoke(app, ["lesson", "check", "99"])
    assert result.exit_code == 2
    assert "no such lesson" in result.output


def test_every_problem_of_a_broken_file_is_listed_with_its_place_and_line(tmp_path: Path) -> None:
    text = GOOD.replace('title = "The run"\n', "").replace(
        'animate = "run"', 'animate = "run"\ncolour = "red"\n\n[[steps]]\ntitle = "Two"'
    )
    error = error_for(tmp_path, text)
    assert error.place == "steps[0].title" and "missing" in error.message
    lines = text.splitlines()
    colour = lines.index('colour = "red"') + 1
    assert "and 2 more problems:" in error.message
    assert f"line {colour}: steps[0].colour: no such field" in error.message
    assert "steps[1].text: missing" in error.message
