"""The display-neutral lesson API the TUI and the web app render through."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from lessons import list_lessons
from lessons.expr import ExprError, evaluate, evaluate_traced
from lessons.fit import SEED, scenario_numbers
from lessons.handout import handout_html
from lessons.progress import Progress, progress_path
from models.run import RunResult
from tests.lessons.conftest import lesson

NUMBERS = [info.number for info in list_lessons()]


@pytest.mark.parametrize("number", NUMBERS)
def test_every_lesson_has_the_shape_of_the_issue(number: int) -> None:
    run = lesson(number)
    assert run.hook and run.summary and run.prediction.question and run.prediction.reveal
    assert run.knobs, "one or two knobs to play with"
    assert run.sources, "sources for every outside figure"
    assert any(step.animate for step in run.steps), "an animated run"
    for step in run.steps:  # every placeholder was filled
        assert not re.search(r"\{[^}]*\}", step.markdown), (step.title, step.markdown)
    for name in run.results:
        assert isinstance(run.result(name), RunResult)
        assert all(m.events for m in run.result(name).models.values())  # events to animate
    sources = {s.id for s in run.sources}
    assert all(c.source.id in sources for c in run.claims if c.source)


@pytest.mark.parametrize("number", NUMBERS)
def test_every_prediction_can_be_entered_and_revealed(number: int) -> None:
    p = lesson(number).prediction
    if p.kind == "choice":
        right = p.check(p.answer)
        wrong = p.check((p.answer + 1) % len(p.choices))
        assert right.correct and not wrong.correct
        assert p.check(p.choices[p.answer]).correct  # by label too
    else:
        assert p.min is not None and p.max is not None and p.min <= p.answer <= p.max
        assert p.check(p.answer).correct
        assert not p.check(p.answer * 3 + 10).correct
    assert p.answer_text in p.check(p.answer).text


@pytest.mark.parametrize("number", NUMBERS)
def test_every_knob_reruns_and_explains(number: int) -> None:
    run = lesson(number)
    for knob in run.knobs:
        value = knob.values[0] if knob.values else (knob.min + knob.max) / 2
        outcome = run.turn(knob.id, value)
        assert outcome.text and "{" not in outcome.text
        assert outcome.scenario != run.scenario(knob.run) or value == knob.default


def test_knob_changes_the_numbers() -> None:
    run = lesson(4)
    one = run.turn("concurrency", 1)
    assert one.result.models["fluid"].metrics["instances"]["started"] > 10
    assert run.result("steady").models["fluid"].metrics["instances"]["started"] == 1


def test_numbers_in_text_come_from_the_run() -> None:
    run = lesson(5)
    hours = run.result("ai").models["traditional"].metrics["usage"]["wall_clock_hours"]
    assert f"{hours:.2f} h" in run.steps[1].markdown


def test_fitted_scenarios_hold_the_fit() -> None:
    folder = resources.files("assets").joinpath("scenarios")
    for size in SEED:
        data = tomllib.loads(folder.joinpath(f"lesson03-app-{size}kb.toml").read_text())
        want = scenario_numbers(size)
        fn = data["function"]
        assert fn["code_load"]["compile_ms_per_kb"] == want["compile_ms_per_kb"]
        assert fn["code_load"]["load_ms_per_kb"] == want["load_ms_per_kb"]
        assert fn["provision"] == f"{want['provision_ms']}ms"
        assert fn["runtime_init"] == f"{want['runtime_init_ms']:g}ms"
        assert float(fn["module_init"].removesuffix("ms")) == want["module_init_ms"]
        assert [c["size_kb"] for c in fn["bundle"]] == [want["framework_kb"], want["page_kb"]]


def test_expressions_are_evaluated_safely() -> None:
    names = {("a", "b"): 3.0, ("c",): 4.0}

    def resolve(path):
        return names[tuple(path)]

    assert evaluate("ratio(a.b, c) <= 0.75", resolve) is True
    assert evaluate("saving(a.b, c)", resolve) == pytest.approx(0.25)
    traced = evaluate_traced("approx(a.b, 3.2, rel=0.10) and c > 1", resolve)
    assert traced.value is True and "3 vs 3.2" in traced.parts[0] and "4 > 1" in traced.parts[1]
    for bad in ("open('x')", "a.__class__", "(lambda: 1)()", "[c for c in a]", "a.b if c"):
        with pytest.raises(ExprError):
            evaluate(bad, resolve)


def test_progress_is_kept_in_the_file_the_env_var_names(tmp_path, monkeypatch) -> None:
    path = tmp_path / "p.json"
    monkeypatch.setenv("SERVERLESS_LAB_PROGRESS", str(path))
    assert progress_path() == path
    progress = Progress.load()
    progress.record_prediction("01-cold-start-anatomy", 900.0, correct=True)
    progress.mark_step("01-cold-start-anatomy", 2)
    progress.mark_step("01-cold-start-anatomy", 0)
    progress.complete("01-cold-start-anatomy")
    progress.save()
    again = Progress.load()
    entry = again.of("01-cold-start-anatomy")
    assert entry.prediction == 900.0 and entry.correct and entry.done and entry.steps_seen == [0, 2]
    path.write_text("{not json", encoding="utf-8")
    assert Progress.load().lessons == {}  # a damaged file is set aside, not fatal
    assert (tmp_path / "p.json.bad").exists()


def test_handout_is_self_contained_with_charts_questions_and_answers(tmp_path) -> None:
    from typer.testing import CliRunner

    from lab.cli import app

    out = tmp_path / "lesson3.html"
    result = CliRunner().invoke(app, ["lesson", "export", "3", "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/svg+xml;base64,") == len(lesson(3).charts) >= 1
    assert "Your prediction" in page and "the 800 kB app" in page
    assert "Answer sheet" in page and "ttfb-250-before" not in page  # claims by text, not id
    assert "873" in page and "<script" not in page and "http://" not in page
    assert handout_html(lesson(1), answers=False).count("Answer sheet") == 0


@pytest.mark.parametrize("number", NUMBERS)
def test_the_student_part_of_a_handout_does_not_give_the_answer_away(number: int) -> None:
    run = lesson(number)
    student = handout_html(run, answers=False)
    whole = handout_html(run)
    assert run.prediction.reveal.split("\n")[0][:40] not in student
    summary = run.summary.split("\n")[0][:40]
    assert summary not in student and summary in whole  # the summary recaps the results
    for step in run.steps:
        if step.kind == "reveal":
            assert step.markdown.split("\n")[0][:40] not in student
    if run.prediction.kind == "number":  # lesson 1 printed "+939 ms" in its summary
        shown = f"{round(run.prediction.answer):,}"
        text = re.sub(r"<[^>]+>|data:[^\"]+", " ", student)
        assert not re.search(rf"(?<![\d.,]){re.escape(shown)}(?![\d]|[.,]\d)", text), shown


def test_a_handout_says_the_live_part_is_run_in_class() -> None:
    page = handout_html(lesson(3), answers=False)
    assert "Measured live, in class" in page and "lab lesson check 3 --live" in page
    assert "lab lesson export 3 --html FILE --live" in page


def test_no_chart_in_the_student_part_plots_the_runs_the_prediction_compares() -> None:
    """Lesson 3 asks which app's TTFB gains most; its billed-duration chart of the same apps
    shows the same saving, so both charts belong to the answer sheet (issue 14)."""
    run = lesson(3)
    student = handout_html(run, answers=False)
    whole = handout_html(run)
    for chart in run.charts:
        assert f'alt="{chart.title}"' not in student
        assert f'alt="{chart.title}"' in whole


def test_the_capstone_records_a_choice_per_route_with_a_reason_and_checks_it(tmp_path) -> None:
    from lessons.progress import Progress

    run = lesson(10)
    routes = [d.route for d in run.decisions]
    assert routes == ["/ (pages)", "/api/chat", "/api/orders", "/api/resize"]
    resize = run.decisions[-1]
    assert resize.supported and 0 not in resize.supported  # not packed with everything
    wrong = resize.check(0, "it is cheapest")
    assert not wrong.agrees and "The numbers disagree" in wrong.text
    assert "it is cheapest" in wrong.text and "p99" in wrong.text
    right = resize.check(resize.supported[0], "it needs a core of its own")
    assert right.agrees and "The numbers agree" in right.text
    with pytest.raises(ValueError, match="reason"):
        resize.check(0, "  ")
    progress = Progress(tmp_path / "progress.json")
    progress.record_decision(run.slug, resize.id, right.choice, right.reason, right.agrees)
    progress.save()
    again = Progress.load(tmp_path / "progress.json").of(run.slug).decisions[resize.id]
    assert again["choice"] == right.choice and again["reason"] == "it needs a core of its own"
    assert again["agrees"] is True
