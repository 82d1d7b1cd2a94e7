"""Lesson text shows computed numbers only through placeholders, never typed by hand (issue 6).

Every text field of every lesson is linted: hook, summary, the prediction's question, reveal and
choice labels, step titles and texts, knob labels and explanations, chart, run and data titles,
and claim texts. Outside its ``{placeholders}`` a text may hold a digit only

* inside a quoted passage (``"..."`` or ``“...”``) that a source really says: the passage is
  found in the excerpts of a document a ``[[sources]]`` entry cites (``lessons/sources/``: the
  passages kept in the project, nothing outside it is read);
* in a claim's text or a choice's label, as a threshold its own expression states (``within 10%``
  of ``approx(..., rel=0.10)``): what is checked, not what a run measured;
* in a match of ``ALLOWED`` below: names and structure, not results.

``[[sources]]`` (citations) and claim ``seed`` fields (quotes) are not linted; expressions
(``check``, ``when``, ``answer``) are code. The source quotes and the seeds themselves are checked
against the documents they cite, so a quote in a lesson is one the source really contains.
"""

from __future__ import annotations

import ast
import math
import re

import pytest

from lessons.expr import parse
from lessons.loader import LessonFile, lesson_paths, read_lesson
from lessons.sources import SourceDocument, documents, normal
from lessons.text import without_placeholders

LESSONS = [read_lesson(path) for path in lesson_paths()]
NUMBERS = {lf.lesson.number for lf in LESSONS}

ALLOWED: list[tuple[str, re.Pattern[str]]] = [
    # percentile names: p50 is the median, p99 the 99th percentile (a name, not a measurement)
    ("percentile", re.compile(r"\b(?:p(?:50|90|95|99)|50th|90th|95th|99th)\b")),
    # a cross-reference to another lesson; checked below to name a lesson that exists
    ("lesson", re.compile(r"\b[Ll]essons? (\d+)\b")),
    # the public dataset's name: the Azure Functions trace published in 2021
    ("dataset", re.compile(r"\bAzure (?:Functions )?2021\b")),
    # the JavaScript engine's name
    ("engine", re.compile(r"\bV8\b")),
    # markdown ordered-list markers at the start of a line
    ("list item", re.compile(r"(?m)^\s*\d+\.(?= )")),
]

_QUOTED = re.compile(r"\"([^\"]*)\"|“([^”]*)”")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _normal(text: str) -> str:
    return normal(text)


def _document(lf: LessonFile, source_id: str | None) -> SourceDocument | None:
    source = next((s for s in lf.lesson.sources if s.id == source_id), None)
    return documents().get(source.document or "") if source is not None else None


def _passages(lf: LessonFile) -> list[str]:
    """What a quoted passage in this lesson may come from: its documents' excerpts."""
    found: list[str] = []
    for source in lf.lesson.sources:
        doc = _document(lf, source.id)
        if doc is not None:
            found += doc.excerpts
    return [_normal(p) for p in found]


def _fields(lf: LessonFile) -> list[tuple[str, str, str | None]]:
    """``(place, text, expressions whose constants the text may state)`` for every text field."""
    lesson = lf.lesson
    p = lesson.prediction
    choices = " ; ".join(c.when for c in p.choices)  # a label states the split between choices
    fields: list[tuple[str, str, str | None]] = [
        ("title", lesson.title, None),
        ("hook", lesson.hook, None),
        ("summary", lesson.summary, None),
        ("prediction.question", p.question, None),
        ("prediction.reveal", p.reveal, None),
    ]
    fields += [
        (f"prediction.choices[{i}].label", c.label, choices) for i, c in enumerate(p.choices)
    ]
    for i, step in enumerate(lesson.steps):
        fields += [(f"steps[{i}].title", step.title, None), (f"steps[{i}].text", step.text, None)]
    for i, knob in enumerate(lesson.knobs):
        fields += [
            (f"knobs[{i}].label", knob.label, None),
            (f"knobs[{i}].explain", knob.explain, None),
        ]
    fields += [(f"charts[{i}].title", c.title, None) for i, c in enumerate(lesson.charts)]
    fields += [(f"runs.{name}.title", r.title, None) for name, r in lesson.runs.items()]
    fields += [(f"data.{name}.title", d.title, None) for name, d in lesson.data.items()]
    fields += [(f"claims[{i}].text", c.text, c.check) for i, c in enumerate(lesson.claims)]
    fields += [
        (f"source_vs_docs[{i}].lab", v.lab, None) for i, v in enumerate(lesson.source_vs_docs)
    ]
    return fields


def _constants(expressions: str) -> list[float]:
    out: list[float] = []
    for expression in expressions.split(" ; "):
        for node in ast.walk(parse(expression)):
            if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                out.append(float(node.value))
    return out


def _states_a_threshold(number: str, constants: list[float]) -> bool:
    """``number`` as written (``10`` of ``10%``, ``3`` of ``3 s``) is one of the constants."""
    value = float(number.replace(",", ""))
    written = (value, value / 100, value * 1000, value * 60)  # as is, percent, s -> ms, min -> s
    return any(math.isclose(c, w, rel_tol=1e-9) for c in constants for w in written)


def hand_typed(lf: LessonFile) -> list[str]:
    """Every digit of the lesson's text that no rule above allows: ``place: 'context'``."""
    passages = _passages(lf)
    problems = []
    for place, text, expressions in _fields(lf):
        rest = without_placeholders(text, " ")

        def quoted(match: re.Match[str], place: str = place) -> str:
            passage = match.group(1) if match.group(1) is not None else match.group(2)
            if not re.search(r"\d", passage):
                return " "
            if any(_normal(passage) in known for known in passages):
                return " "
            problems.append(f"{place}: quote not found in the lesson's sources: {passage!r}")
            return " "

        rest = _QUOTED.sub(quoted, rest)
        for name, pattern in ALLOWED:
            for match in pattern.finditer(rest):
                if name == "lesson":
                    assert int(match.group(1)) in NUMBERS, f"{place}: no lesson {match.group(1)}"
            rest = pattern.sub(" ", rest)
        constants = _constants(expressions) if expressions else []
        for match in _NUMBER.finditer(rest):
            if constants and _states_a_threshold(match.group(), constants):
                continue
            around = rest[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
            problems.append(f"{place}: {match.group()!r} in …{around}…")
    return problems


@pytest.mark.parametrize("lf", LESSONS, ids=[lf.slug for lf in LESSONS])
def test_no_number_is_typed_by_hand(lf: LessonFile) -> None:
    assert hand_typed(lf) == []


@pytest.mark.parametrize("lf", LESSONS, ids=[lf.slug for lf in LESSONS])
def test_source_quotes_are_what_the_cited_document_says(lf: LessonFile) -> None:
    """Every source cites a document kept in the project; its quote and the seeds of the claims
    citing it are found in the document's excerpts, piece by piece (pieces split at ``...``)."""
    for source in lf.lesson.sources:
        if source.document is None:
            assert not source.where.startswith("shared"), f"{source.id}: outside the project"
            continue
        doc = _document(lf, source.id)
        assert doc is not None, f"{source.id}: no lessons/sources/{source.document}.toml"
        assert doc.contains(source.quote), f"{source.id}: quote not in {doc.id}'s excerpts"
    for claim in lf.lesson.claims:
        doc = _document(lf, claim.source)
        if doc is not None and claim.seed:
            assert doc.contains(claim.seed), f"{claim.id}: seed not in {doc.id}'s excerpts"


def test_the_lint_catches_a_typed_number_and_a_made_up_quote() -> None:
    lf = LESSONS[0]
    bad = lf.lesson.model_copy(
        update={"summary": 'It took 939 ms, "faster by 12 %".', "claims": lf.lesson.claims[:1]}
    )
    problems = hand_typed(LessonFile(bad, lf.path, lf.text))
    assert any("'939'" in p for p in problems)
    assert any("faster by 12 %" in p for p in problems)
    assert not any("claims[0]" in p for p in problems)  # its "100 ms" is the check's threshold
