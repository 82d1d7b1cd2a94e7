"""Running a lesson: its scenarios, its text with numbers, its prediction, knobs and claims.

This is the API both front ends (TUI and Streamlit) render lessons through; it holds no
display code::

    from lessons import list_lessons, open_lesson

    for info in list_lessons():                 # number, title, slug, path: no runs yet
        print(info.number, info.title)
    lesson = open_lesson(1)                      # runs every scenario of lesson 1 (cached)
    lesson.hook                                  # the opening question (markdown)
    p = lesson.prediction                        # .question, .kind ("choice" | "number"),
    p.choices, p.min, p.max, p.step, p.unit      #   what to offer the student
    reveal = p.check(answer)                     # answer: a choice index/label or a number
    reveal.correct, reveal.text                  #   the reveal to show beside the prediction
    for step in lesson.steps:                    # StepView: title, kind, markdown (numbers
        step.markdown, step.animate              #   filled in), the run to animate, if any
    result = lesson.result(step.animate)         # models.run.RunResult, events kept: animate
    lesson.scenario(step.animate)                #   it with the shared view code (lab.view)
    for knob in lesson.knobs:                    # KnobView: label, min/max/step or values
        outcome = lesson.turn(knob.id, value)    # re-runs with Scenario.with_changes;
        outcome.text, outcome.result             #   "what changed and why" + the new run
    lesson.summary, lesson.sources               # closing text; every outside figure's source
    for claim in lesson.claims:                  # ClaimResult: status pass/fail/skipped and
        claim.status, claim.detail               #   the numbers behind it
    lesson.charts                                # ChartView rows (run, model, value) to plot

Problems in a lesson file raise ``LessonError`` naming the file, line and place. Progress
(predictions made, steps seen) is kept by ``lessons.progress``.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lessons.derived import derived_metrics
from lessons.expr import ExprError, UnknownName, evaluate, evaluate_traced, names, parse
from lessons.loader import LessonFile, find_lesson, lesson_paths, read_lesson
from lessons.providers import LIVE_PROVIDERS, PROVIDERS, Unavailable, provide
from lessons.sources import documents, facts
from lessons.spec import Decision, Knob, Lesson, RunSpec, Source, SourceVsDocs
from lessons.text import placeholders, render, without_placeholders
from models.loading import ScenarioError, describe, load_scenario, scenario_from_data
from models.run import RunResult, simulate
from models.scenario import Scenario

_CACHE: OrderedDict[tuple[str, tuple[str, ...], int], RunResult] = OrderedDict()
_CACHE_SIZE = 48


def run_scenario(scenario: Scenario, models: list[str] | None, seed: int | None) -> RunResult:
    """``simulate`` with events kept, memoised on the scenario's fingerprint."""
    chosen = tuple(models or scenario.platforms)
    run_seed = scenario.seed if seed is None else seed
    key = (scenario.fingerprint(), chosen, run_seed)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    result = simulate(scenario, list(chosen), seed=run_seed, keep_events=True)
    _CACHE[key] = result
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


class _Missing(Exception):
    """A name that needs an unavailable data table."""

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(reason)
        self.table = table
        self.reason = reason


def _walk(value: Any, path: tuple[str | int, ...], what: str) -> Any:
    for i, key in enumerate(path):
        in_dict = isinstance(value, dict) and key in value
        in_list = (
            isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value)
        )
        if in_dict or in_list:
            value = value[key]
        else:
            here = ".".join(str(k) for k in path[:i]) or what
            if isinstance(value, dict):
                known = ", ".join(str(k) for k in value) or "nothing"
                raise UnknownName(f"{what}: {here} has no {key!r} (it has: {known})")
            raise UnknownName(f"{what}: {here} is a value, it has no {key!r}")
    if isinstance(value, dict) and value.get("dist") == "constant" and "value" in value:
        return value["value"]  # a fixed duration written in the scenario
    if isinstance(value, dict):
        raise UnknownName(f"{what} is a table; name one of: {', '.join(map(str, value))}")
    return value


# --- views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonInfo:
    number: int
    title: str
    slug: str
    path: Path
    minutes: int


@dataclass(frozen=True)
class StepView:
    index: int
    title: str
    kind: str
    markdown: str
    animate: str | None = None
    models: list[str] | None = None
    available: bool = True
    unavailable_reason: str = ""


@dataclass(frozen=True)
class Reveal:
    """The answer beside the student's prediction."""

    correct: bool
    guess: Any
    answer: Any
    answer_text: str
    text: str


@dataclass
class PredictionView:
    question: str
    kind: str
    choices: list[str]
    unit: str
    min: float | None
    max: float | None
    step: float | None
    tolerance: float
    answer: Any
    """The number (kind "number") or the index of the right choice (kind "choice")."""
    answer_text: str
    reveal: str

    def check(self, guess: Any) -> Reveal:
        """Compare a prediction (choice index or label, or a number) with the run's answer."""
        if self.kind == "choice":
            if isinstance(guess, str) and not guess.isdigit():
                if guess not in self.choices:
                    raise ValueError(f"{guess!r} is not one of the choices")
                index = self.choices.index(guess)
            else:
                index = int(guess)
                if not 0 <= index < len(self.choices):
                    raise ValueError(f"choice {index} is out of range 0..{len(self.choices) - 1}")
            correct = index == self.answer
            said = self.choices[index]
            verdict = "Right" if correct else "Not quite"
            head = f"**{verdict}.** You predicted *{said}*; the lab measured *{self.answer_text}*."
            return Reveal(
                correct, index, self.answer, self.answer_text, head + "\n\n" + self.reveal
            )
        value = float(guess)
        answer = float(self.answer)
        limit = self.tolerance * abs(answer) if answer else self.tolerance
        correct = abs(value - answer) <= limit
        verdict = "Close" if correct else "Not quite"
        unit = f" {self.unit}" if self.unit else ""
        head = (
            f"**{verdict}.** You predicted {value:g}{unit}; the lab measured {self.answer_text}"
            f" (within {self.tolerance:.0%} counts)."
        )
        return Reveal(correct, value, answer, self.answer_text, head + "\n\n" + self.reveal)


@dataclass(frozen=True)
class DecisionReveal:
    """The student's choice and reason beside what the runs support."""

    agrees: bool
    choice: str
    reason: str
    supported: list[str]
    text: str


@dataclass(frozen=True)
class DecisionView:
    """One decision to make: a question about a route, options, and the numbers behind it."""

    id: str
    route: str
    question: str
    options: list[str]
    supported: list[int]
    """Indices of the options the runs support (their ``when`` is true)."""
    evidence: str

    def check(self, choice: Any, reason: str) -> DecisionReveal:
        """Compare a choice (index or label) and its reason with the runs."""
        if isinstance(choice, str) and not choice.isdigit():
            if choice not in self.options:
                raise ValueError(f"{choice!r} is not one of the options")
            index = self.options.index(choice)
        else:
            index = int(choice)
            if not 0 <= index < len(self.options):
                raise ValueError(f"option {index} is out of range 0..{len(self.options) - 1}")
        if not reason.strip():
            raise ValueError("write a reason for the choice: the numbers are checked against it")
        supported = [self.options[i] for i in self.supported]
        agrees = index in self.supported
        head = (
            "**The numbers agree.**" if agrees else "**The numbers disagree.**"
        ) + f" For {self.route} you chose *{self.options[index]}* because: “{reason.strip()}”."
        said = " or ".join(f"*{s}*" for s in supported) or "none of the options"
        text = f"{head} The runs support {said}.\n\n{self.evidence}"
        return DecisionReveal(agrees, self.options[index], reason.strip(), supported, text)


@dataclass(frozen=True)
class KnobView:
    id: str
    label: str
    run: str
    path: str
    default: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: list[Any] | None = None


@dataclass
class KnobOutcome:
    knob: KnobView
    value: Any
    scenario: Scenario
    result: RunResult
    text: str


@dataclass(frozen=True)
class SourceVsDocsView:
    """A source's statement beside the platform's documentation, and what the lab does."""

    id: str
    topic: str
    step: int
    source: Source
    says: str
    docs_page: str
    docs_url: str
    docs_date: str
    docs_read: str
    docs_says: str
    lab: str
    markdown: str
    """The whole element as markdown (both front ends show it at the end of its step)."""


@dataclass(frozen=True)
class ClaimResult:
    id: str
    text: str
    check: str
    seed: str
    source: Source | None
    status: str
    """``pass``, ``fail`` or ``skipped`` (a table it needs is unavailable)."""
    detail: str
    kind: str = "behaviour"
    """``behaviour`` (checks a run's or a fit's output), ``arithmetic`` or ``definition``."""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass
class ChartView:
    title: str
    unit: str
    rows: list[tuple[str, str, float]] = field(default_factory=list)
    """``(run title, model, value)``."""


# --- the lesson run ----------------------------------------------------------------------


def list_lessons(folder: Path | None = None) -> list[LessonInfo]:
    """Every lesson file, validated but not run (LessonError on a broken file)."""
    infos = []
    for path in lesson_paths(folder):
        lf = read_lesson(path)
        infos.append(
            LessonInfo(lf.lesson.number, lf.lesson.title, lf.slug, lf.path, lf.lesson.minutes)
        )
    return infos


def live_default() -> bool:
    """Live measurements on by default? ``SERVERLESS_LAB_LIVE_LESSONS=1`` says yes."""
    return os.environ.get("SERVERLESS_LAB_LIVE_LESSONS", "") == "1"


def open_lesson(
    ref: str | int | Path, folder: Path | None = None, live: bool | None = None
) -> LessonRun:
    """Read, run and render a lesson by number, slug or path.

    ``live=True`` also runs the lesson's live-runtime measurements (real processes, seconds);
    without it those steps say how to run them and their claims are skipped.
    """
    path = ref if isinstance(ref, Path) else find_lesson(ref, folder)
    return LessonRun(read_lesson(path), live=live_default() if live is None else live)


class LessonRun:
    """One lesson with its runs done; see the module docstring for the API."""

    def __init__(self, file: LessonFile, live: bool = False) -> None:
        self.file = file
        self.live = live
        self.lesson: Lesson = file.lesson
        self.scenarios: dict[str, Scenario] = {}
        self.results: dict[str, RunResult] = {}
        self.data: dict[str, dict[str, Any]] = {}
        self.unavailable: dict[str, str] = {}
        self._summaries: dict[tuple[int, str], dict[str, Any]] = {}
        for name, spec in self.lesson.runs.items():
            self.scenarios[name] = scenario = self._build(name, spec)
            self.results[name] = run_scenario(scenario, spec.models, spec.seed)
        for name, data in self.lesson.data.items():
            if data.provider not in PROVIDERS:
                raise file.error(
                    f"data.{name}.provider",
                    f"unknown provider {data.provider!r}; known: {', '.join(PROVIDERS)}",
                    data.provider,
                )
            if data.provider in LIVE_PROVIDERS and not live:
                self.unavailable[name] = (
                    "a live measurement with real processes; open the lesson live "
                    "(`lab lesson check --live`) to run it"
                )
                continue
            try:
                self.data[name] = provide(data.provider, data.args)
            except Unavailable as exc:
                self.unavailable[name] = str(exc)
        self._check_references()
        self.sources = [self._source(i, s) for i, s in enumerate(self.lesson.sources)]
        self.hook = self._render(self.lesson.hook, "hook")
        self.summary = self._render(self.lesson.summary, "summary")
        self.source_vs_docs = [self._versus(i, v) for i, v in enumerate(self.lesson.source_vs_docs)]
        self.steps = [self._step(i) for i in range(len(self.lesson.steps))]
        self.prediction = self._prediction()
        self.knobs = [self._knob_view(k) for k in self.lesson.knobs]
        self.decisions = [self._decision(i, d) for i, d in enumerate(self.lesson.decisions)]

    # --- building ------------------------------------------------------------------------

    @property
    def number(self) -> int:
        return self.lesson.number

    @property
    def title(self) -> str:
        return self.lesson.title

    @property
    def slug(self) -> str:
        return self.file.slug

    def _build(self, name: str, spec: RunSpec) -> Scenario:
        place = f"runs.{name}"
        try:
            if spec.scenario is not None:
                base = load_scenario(spec.scenario)
            else:
                base = scenario_from_data(dict(spec.inline or {}), f"{place}.inline")
        except ScenarioError as exc:
            raise self.file.error(
                f"{place}.scenario" if spec.scenario else f"{place}.inline",
                str(exc),
                spec.scenario,
            ) from None
        return self._changed(base, dict(spec.changes), f"{place}.changes")

    def _changed(self, base: Scenario, changes: dict[str, Any], place: str) -> Scenario:
        if not changes:
            return base
        try:
            return base.with_changes(**changes)
        except ValidationError as exc:
            raise self.file.error(place, str(describe(exc, "the changed scenario"))) from None
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise self.file.error(
                place, f"a change names no scenario field: {exc}", next(iter(changes))
            ) from None

    def _check_references(self) -> None:
        lesson, runs = self.lesson, self.lesson.runs
        for i, step in enumerate(lesson.steps):
            if step.animate is not None and step.animate not in runs:
                raise self.file.error(
                    f"steps[{i}].animate", f"no run named {step.animate!r}", step.animate
                )
            if step.needs is not None and step.needs not in lesson.data:
                raise self.file.error(
                    f"steps[{i}].needs", f"no data table named {step.needs!r}", step.needs
                )
        for i, knob in enumerate(lesson.knobs):
            if knob.run not in runs:
                raise self.file.error(f"knobs[{i}].run", f"no run named {knob.run!r}", knob.run)
        for i, chart in enumerate(lesson.charts):
            for run in chart.runs:
                if run not in runs:
                    raise self.file.error(f"charts[{i}].runs", f"no run named {run!r}", run)
        known_sources = {s.id for s in lesson.sources}
        for i, claim in enumerate(lesson.claims):
            if claim.source is not None and claim.source not in known_sources:
                raise self.file.error(
                    f"claims[{i}].source",
                    f"no source with id {claim.source!r} in [[sources]]",
                    claim.source,
                )
            try:
                parse(claim.check)
            except ExprError as exc:
                raise self.file.error(f"claims[{i}].check", str(exc), claim.check) from None
        for place, text in self._texts():
            try:
                placeholders(text)
            except ExprError as exc:
                raise self.file.error(place, str(exc), text) from None

    def _texts(self) -> list[tuple[str, str]]:
        lesson = self.lesson
        texts = [("hook", lesson.hook), ("summary", lesson.summary)]
        texts += [(f"steps[{i}].text", s.text) for i, s in enumerate(lesson.steps)]
        texts += [(f"knobs[{i}].explain", k.explain) for i, k in enumerate(lesson.knobs)]
        texts += [("prediction.reveal", lesson.prediction.reveal)]
        texts += [("prediction.question", lesson.prediction.question)]
        texts += [(f"source_vs_docs[{i}].lab", v.lab) for i, v in enumerate(lesson.source_vs_docs)]
        for i, d in enumerate(lesson.decisions):
            texts += [(f"decisions[{i}].question", d.question)]
            texts += [(f"decisions[{i}].evidence", d.evidence)]
            texts += [
                (f"decisions[{i}].options[{j}].label", o.label) for j, o in enumerate(d.options)
            ]
        return texts + self._labels()

    def _labels(self) -> list[tuple[str, str]]:
        """Short texts that may hold placeholders too: titles, labels, choices, claims."""
        lesson = self.lesson
        labels = [(f"steps[{i}].title", s.title) for i, s in enumerate(lesson.steps)]
        labels += [(f"knobs[{i}].label", k.label) for i, k in enumerate(lesson.knobs)]
        labels += [
            (f"prediction.choices[{i}].label", c.label)
            for i, c in enumerate(lesson.prediction.choices)
        ]
        labels += [(f"charts[{i}].title", c.title) for i, c in enumerate(lesson.charts)]
        labels += [(f"claims[{i}].text", c.text) for i, c in enumerate(lesson.claims)]
        return labels

    def _source(self, index: int, source: Source) -> Source:
        """The source with its document's title, URL, publisher and date; its quote checked."""
        if source.document is None:
            return source
        docs = documents()
        doc = docs.get(source.document)
        if doc is None:
            raise self.file.error(
                f"sources[{index}].document",
                f"no document {source.document!r} in lessons/sources/ (known: {', '.join(docs)})",
                source.document,
            )
        if source.quote and not doc.contains(source.quote):
            raise self.file.error(
                f"sources[{index}].quote",
                f"the quote is not in the excerpts of lessons/sources/{doc.id}.toml",
                source.quote,
            )
        kind = {"third-party": "third-party article", "project-notes": "this project's notes"}
        title = f"{doc.publisher}: “{doc.title}” ({doc.date})"
        if doc.kind in kind:
            title += f" [{kind[doc.kind]}]"
        return source.model_copy(
            update={
                "title": title,
                "url": doc.url or source.url,
                "where": f"lessons/sources/{doc.id}.toml",
            }
        )

    def _versus(self, index: int, item: SourceVsDocs) -> SourceVsDocsView:
        place = f"source_vs_docs[{index}]"
        sources = {s.id: s for s in self.sources}
        if item.source not in sources:
            raise self.file.error(f"{place}.source", f"no source {item.source!r}", item.source)
        if item.step >= len(self.lesson.steps):
            raise self.file.error(f"{place}.step", f"no step {item.step}", item.step)
        source = sources[item.source]
        doc = documents().get(source.document or "")
        if doc is None or not doc.contains(item.says):
            raise self.file.error(
                f"{place}.says",
                "the words must be a quote found in the source's document (lessons/sources/)",
                item.says,
            )
        fact = facts().get(item.fact)
        if fact is None:
            raise self.file.error(
                f"{place}.fact",
                f"no fact {item.fact!r} in assets/facts/vercel.toml (known: {', '.join(facts())})",
                item.fact,
            )
        lab = self._render(item.lab, f"{place}.lab")
        markdown = (
            f"> **{item.topic}**\n>\n"
            f"> **The source says** ({source.title}): “{item.says}”\n>\n"
            f"> **The documentation says** ({fact.publisher}, [{fact.page}]({fact.url}), "
            f"{fact.page_date}; read {fact.read}): “{fact.quote}”\n>\n"
            + (f"{fact.table_markdown('> ')}\n>\n" if fact.table else "")
            + f"> **In the lab:** {' '.join(lab.split())}"
        )
        return SourceVsDocsView(
            item.id, item.topic, item.step, source, item.says, fact.page, fact.url,
            fact.page_date, fact.read, fact.quote, lab, markdown,
        )  # fmt: skip

    # --- names ---------------------------------------------------------------------------

    def summary_of(self, run: str, model: str, result: RunResult | None = None) -> dict[str, Any]:
        """Everything a lesson can say about one model of one run."""
        result = result or self.results[run]
        key = (id(result), model)
        summary = self._summaries.get(key)
        if summary is None:
            model_result = result.models[model]
            summary = {**model_result.summary(), **derived_metrics(model_result)}
            self._summaries[key] = summary
        return summary

    def resolver(
        self,
        results: dict[str, RunResult] | None = None,
        scenarios: dict[str, Scenario] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        results = results or self.results
        scenarios = scenarios or self.scenarios

        def resolve(path: tuple[str | int, ...]) -> Any:
            root = str(path[0])
            if extra is not None and root in extra:
                value = extra[root]
                if len(path) == 1 or not callable(value):
                    return _walk(value, path[1:], root) if len(path) > 1 else value
                return value(path[1:])
            if root in results:
                if len(path) < 2:
                    raise UnknownName(f"{root} is a run; name a model or 'scenario' after it")
                second = str(path[1])
                scenario = scenarios[root]
                if second == "scenario":
                    return _walk(scenario.model_dump(mode="json"), path[2:], f"{root}.scenario")
                if second not in results[root].models:
                    raise UnknownName(
                        f"run {root!r} has no model {second!r} "
                        f"(models: {', '.join(results[root].models)}, or 'scenario')"
                    )
                if len(path) > 2 and path[2] == "platform":
                    platform = scenario.platforms[second].model_dump(mode="json")
                    return _walk(platform, path[3:], f"{root}.{second}.platform")
                summary = self.summary_of(root, second, results[root])
                return _walk(summary, path[2:], f"{root}.{second}")
            if root in self.unavailable:
                raise _Missing(root, self.unavailable[root])
            if root in self.data:
                return _walk(self.data[root], path[1:], root)
            known = [*results, *self.data, *self.unavailable, *(extra or {})]
            raise UnknownName(f"unknown name {root!r}; runs and data: {', '.join(known)}")

        return resolve

    def _render(self, text: str, place: str, resolve: Any = None, missing_ok: bool = True) -> str:
        try:
            return render(text, resolve or self.resolver())
        except _Missing as missing:
            if not missing_ok:
                raise
            return f"*Not available here: {missing.reason}.*"
        except ExprError as exc:
            raise self.file.error(place, str(exc), text) from None

    def _label(self, text: str, place: str, resolve: Any = None) -> str:
        """A title or label with its numbers; ``…`` for a number from an unavailable table."""
        try:
            return self._render(text, place, resolve, missing_ok=False)
        except _Missing:
            return without_placeholders(text)

    def value(self, expression: str, place: str = "expression") -> Any:
        """Evaluate an expression against this lesson's runs (for front ends and tests)."""
        try:
            return evaluate(expression, self.resolver())
        except ExprError as exc:
            raise self.file.error(place, str(exc), expression) from None

    # --- views ---------------------------------------------------------------------------

    def _step(self, index: int) -> StepView:
        step = self.lesson.steps[index]
        title = self._label(step.title, f"steps[{index}].title")
        if step.needs is not None and step.needs in self.unavailable:
            reason = self.unavailable[step.needs]
            return StepView(
                index, title, step.kind, f"*Not available here: {reason}.*",
                step.animate, step.models, False, reason,
            )  # fmt: skip
        try:
            markdown = self._render(step.text, f"steps[{index}].text", missing_ok=False)
        except _Missing as missing:
            return StepView(
                index, title, step.kind, f"*Not available here: {missing.reason}.*",
                step.animate, step.models, False, missing.reason,
            )  # fmt: skip
        for versus in self.source_vs_docs:
            if versus.step == index:
                markdown = f"{markdown.rstrip()}\n\n{versus.markdown}\n"
        return StepView(index, title, step.kind, markdown, step.animate, step.models)

    def _prediction(self) -> PredictionView:
        spec = self.lesson.prediction
        resolve = self.resolver()
        question = self._render(spec.question, "prediction.question")
        reveal = self._render(spec.reveal, "prediction.reveal")
        if spec.kind == "choice":
            answer: Any = None
            for i, choice in enumerate(spec.choices):
                try:
                    if evaluate(choice.when, resolve):
                        answer = i
                        break
                except ExprError as exc:
                    raise self.file.error(
                        f"prediction.choices[{i}].when", str(exc), choice.when
                    ) from None
            if answer is None:
                raise self.file.error(
                    "prediction.choices", "no choice's `when` is true for this run"
                )
            labels = [
                self._label(c.label, f"prediction.choices[{i}].label")
                for i, c in enumerate(spec.choices)
            ]
            return PredictionView(
                question, "choice", labels, spec.unit, None, None, None, spec.tolerance,
                answer, labels[answer], reveal,
            )  # fmt: skip
        try:
            number = float(evaluate(spec.answer or "", resolve))
        except ExprError as exc:
            raise self.file.error("prediction.answer", str(exc), spec.answer) from None
        unit = f" {spec.unit}" if spec.unit else ""
        shown = f"{number:.3g}" if abs(number) < 1000 else f"{number:,.0f}"
        return PredictionView(
            question, "number", [], spec.unit, spec.min, spec.max, spec.step, spec.tolerance,
            number, shown + unit, reveal,
        )  # fmt: skip

    def _decision(self, index: int, decision: Decision) -> DecisionView:
        place = f"decisions[{index}]"
        resolve = self.resolver()
        supported = []
        for i, option in enumerate(decision.options):
            try:
                if evaluate(option.when, resolve):
                    supported.append(i)
            except ExprError as exc:
                raise self.file.error(f"{place}.options[{i}].when", str(exc), option.when) from None
        labels = [
            self._label(o.label, f"{place}.options[{i}].label")
            for i, o in enumerate(decision.options)
        ]
        return DecisionView(
            decision.id,
            decision.route,
            self._render(decision.question, f"{place}.question"),
            labels,
            supported,
            self._render(decision.evidence, f"{place}.evidence"),
        )

    def _knob_view(self, knob: Knob) -> KnobView:
        index = self.lesson.knobs.index(knob)
        try:
            default = self._default(knob)
        except ExprError as exc:
            raise self.file.error(f"knobs[{index}].path", str(exc), knob.path) from None
        label = self._label(knob.label, f"knobs[{index}].label")
        return KnobView(
            knob.id, label, knob.run, knob.path, default,
            knob.min, knob.max, knob.step, knob.values,
        )  # fmt: skip

    def _default(self, knob: Knob) -> Any:
        keys: tuple[str | int, ...] = tuple(
            int(k) if k.isdigit() else k for k in knob.path.split(".")
        )
        data = self.scenarios[knob.run].model_dump(mode="json")
        return _walk(data, keys, f"{knob.run}.scenario")

    def result(self, run: str) -> RunResult:
        return self.results[run]

    def scenario(self, run: str) -> Scenario:
        return self.scenarios[run]

    def turn(self, knob_id: str, value: Any) -> KnobOutcome:
        """Re-run the knob's run with the knob at ``value``; explain what changed."""
        views = {k.id: k for k in self.knobs}
        if knob_id not in views:
            raise KeyError(f"no knob {knob_id!r}; knobs: {', '.join(views)}")
        view = views[knob_id]
        spec = self.lesson.knobs[[k.id for k in self.lesson.knobs].index(knob_id)]
        if view.values is None:
            assert view.min is not None and view.max is not None
            value = min(max(float(value), view.min), view.max)
            if view.step:
                value = view.min + round((value - view.min) / view.step) * view.step
                value = min(value, view.max)
            whole = all(float(x).is_integer() for x in (view.min, view.max, view.step or 1))
            if isinstance(view.default, int) or (whole and float(value).is_integer()):
                value = round(value)
        elif value not in view.values:
            raise ValueError(f"{value!r} is not one of {view.values}")
        index = self.lesson.knobs.index(spec)
        scenario = self._changed(
            self.scenarios[spec.run], {spec.path: value}, f"knobs[{index}].path"
        )
        run_spec = self.lesson.runs[spec.run]
        result = run_scenario(scenario, run_spec.models, run_spec.seed)
        results = {**self.results, spec.run: result}
        scenarios = {**self.scenarios, spec.run: scenario}
        base = self.resolver()
        resolve = self.resolver(
            results, scenarios, extra={"value": value, "base": lambda p: base(tuple(p))}
        )
        text = self._render(spec.explain, f"knobs[{index}].explain", resolve)
        return KnobOutcome(view, value, scenario, result, text)

    @cached_property
    def claims(self) -> list[ClaimResult]:
        out = []
        sources = {s.id: s for s in self.sources}
        resolve = self.resolver()
        for i, claim in enumerate(self.lesson.claims):
            source = sources.get(claim.source) if claim.source else None
            text = self._label(claim.text, f"claims[{i}].text", resolve)
            try:
                traced = evaluate_traced(claim.check, resolve)
            except _Missing as missing:
                out.append(
                    ClaimResult(
                        claim.id, text, claim.check, claim.seed, source,
                        "fail" if self.live and missing.table in self._live_tables() else "skipped",
                        missing.reason, claim.kind,
                    )
                )  # fmt: skip
                continue
            except ExprError as exc:
                raise self.file.error(f"claims[{i}].check", str(exc), claim.check) from None
            if not isinstance(traced.value, bool):
                raise self.file.error(
                    f"claims[{i}].check",
                    f"a claim must be true or false, this gives {traced.value!r}",
                    claim.check,
                )
            status = "pass" if traced.value else "fail"
            detail = "; ".join(traced.parts) or str(traced.value)
            out.append(
                ClaimResult(
                    claim.id, text, claim.check, claim.seed, source, status, detail, claim.kind
                )
            )
        return out

    def _live_tables(self) -> set[str]:
        """Data tables that are live measurements: opened live, their absence is a failure."""
        return {n for n, d in self.lesson.data.items() if d.provider in LIVE_PROVIDERS}

    @cached_property
    def charts(self) -> list[ChartView]:
        views = []
        for i, chart in enumerate(self.lesson.charts):
            view = ChartView(self._label(chart.title, f"charts[{i}].title"), chart.unit)
            keys: tuple[str | int, ...] = tuple(chart.metric.split("."))
            for run in chart.runs:
                title = self.lesson.runs[run].title or run
                for model in self.results[run].models:
                    try:
                        value = _walk(self.summary_of(run, model), keys, f"{run}.{model}")
                    except ExprError as exc:
                        raise self.file.error(
                            f"charts[{i}].metric", str(exc), chart.metric
                        ) from None
                    if isinstance(value, int | float) and math.isfinite(value):
                        view.rows.append((title, model, float(value) * chart.scale))
            views.append(view)
        return views

    def referenced_names(self) -> list[tuple[str | int, ...]]:
        """Every dotted name the lesson's claims use (for tooling)."""
        return [n for c in self.lesson.claims for n in names(parse(c.check))]
