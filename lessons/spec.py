"""What a lesson file may say: pydantic models for ``lessons/NN-slug.toml``.

A lesson is content plus scenario references plus checkable claims::

    number = 5
    title = "The bill: wall-clock vs active CPU"
    hook = "An AI answer streams for 20 seconds. How much of that is your code working?"

    [runs.ai]                      # a run: a built-in scenario (or `inline = {...}`) + changes
    scenario = "ai-streaming"
    changes = { "workload.requests" = 400 }

    [prediction]                   # recorded before the run; the answer comes from the run
    kind = "number"
    question = "By what percentage is the fluid bill lower?"
    answer = "saving(ai.fluid.bill_usd.total, ai.traditional.bill_usd.total) * 100"

    [[steps]]                      # text with {placeholders} filled from the run
    title = "The run"
    text = "Fluid billed {ai.fluid.usage.active_cpu_hours|dec2} CPU-hours."
    animate = "ai"

    [[claims]]                     # checked by `lab lesson check` and the test suite
    id = "ai-90-percent"
    check = "saving(ai.fluid.bill_usd.total, ai.traditional.bill_usd.total) >= 0.85"
    seed = "reducing the cost of that invocation by 90%"
    source = "fluid-90"

Names in expressions: ``RUN.MODEL.METRIC...`` (a platform model's results: everything of
``lab sim --json`` plus the derived metrics of ``lessons.derived``), ``RUN.scenario.PATH`` (a
scenario parameter), ``RUN.MODEL.platform.PATH`` (that model's knobs) and ``DATA.KEY...`` (a
computed table from ``lessons.providers``).

Placeholders work in every text a student sees: hook, summary, question, reveal, choice labels,
step titles and texts, knob labels and explanations, chart titles and claim texts. Numbers are
never typed by hand (``tests/lessons/test_text_numbers.py`` lints every lesson): a setting comes
from the scenario (``{run.scenario.workload.arrivals.rate}``), a result from the run, a seed's
figure is quoted as the seed words it ("from 873ms to 764ms") or computed from it
(``{873 - 764|ms0}``), and a claim's text states only the thresholds of its own ``check``. Run
and data titles are shown as written (no placeholders), so they hold no numbers.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED = {"scenario", "platform", "value", "guess", "data"}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Strict):
    """Where an outside figure comes from: a document kept in ``lessons/sources/`` (by id).

    The document gives the title, URL, publisher and date (``lessons.sources``); ``quote`` is
    what the lesson cites from it and must be found in the document's excerpts.
    """

    id: str = Field(min_length=1)
    document: str | None = Field(
        default=None, description="id of a file in lessons/sources/ (its name without .toml)"
    )
    title: str = Field(default="", description="filled from the document when it names one")
    url: str = ""
    where: str = Field(default="", description="the project file holding the cited passages")
    quote: str = Field(default="", description="the figure as the source words it")

    @model_validator(mode="after")
    def _named(self) -> Source:
        if not self.document and not self.title:
            raise ValueError("a source needs `document` (a file in lessons/sources/) or `title`")
        return self


class SourceVsDocs(_Strict):
    """A source's statement set beside what the platform's documentation says now.

    Shown at the end of step ``step`` (0-based) as "the source says / the documentation says",
    wherever a seed and the documentation differ (a limit, a plan, a behaviour).
    """

    id: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    step: int = Field(ge=0, description="the step (0-based) it is shown in")
    source: str = Field(min_length=1, description="id of one of the lesson's [[sources]]")
    says: str = Field(min_length=1, description="the source's words, found in its document")
    fact: str = Field(min_length=1, description="id of a fact in assets/facts/vercel.toml")
    lab: str = Field(min_length=1, description="what the lab does about it (placeholders allowed)")


class RunSpec(_Strict):
    """A scenario the lesson runs: a built-in name or an inline table, plus changes."""

    title: str = ""
    scenario: str | None = Field(default=None, description="built-in scenario name")
    inline: dict[str, Any] | None = Field(default=None, description="a whole scenario table")
    changes: dict[str, Any] = Field(
        default_factory=dict, description="dotted path -> value, via Scenario.with_changes"
    )
    models: list[str] | None = Field(default=None, description="platform models to run")
    seed: int | None = None

    @model_validator(mode="after")
    def _one_source(self) -> RunSpec:
        if (self.scenario is None) == (self.inline is None):
            raise ValueError("give exactly one of `scenario` (a built-in name) or `inline`")
        return self


class DataSpec(_Strict):
    """A computed table (a fit, a trace replay, a live measurement): ``lessons.providers``."""

    provider: str = Field(min_length=1)
    args: dict[str, Any] = Field(default_factory=dict)
    title: str = ""


class Choice(_Strict):
    label: str = Field(min_length=1)
    when: str = Field(min_length=1, description="expression: true when this is the answer")


class Prediction(_Strict):
    """The student's prediction, recorded before the run; the answer is computed from it."""

    question: str = Field(min_length=1)
    kind: Literal["choice", "number"]
    choices: list[Choice] = Field(default_factory=list)
    answer: str | None = Field(default=None, description="expression giving the number")
    unit: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    tolerance: float = Field(
        default=0.2, ge=0, description="a number within this fraction of the answer counts"
    )
    reveal: str = Field(min_length=1, description="why: shown beside the prediction")

    @model_validator(mode="after")
    def _shape(self) -> Prediction:
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError("a choice prediction needs at least two choices")
        if self.kind == "number":
            if not self.answer:
                raise ValueError("a number prediction needs `answer` (an expression)")
            if self.min is None or self.max is None or self.min >= self.max:
                raise ValueError("a number prediction needs min < max for its input")
        return self


MOMENT_KINDS = (
    "cold_start",
    "compile",
    "cache_hit",
    "overlap",
    "warm_hit",
    "queued",
    "rejected",
    "timeout",
    "failed",
    "background",
    "recycled",
    "crashed",
    "first_byte",
)
"""The moment kinds of ``lab.view.moments`` (repeated here: lessons do not import lab; a test
keeps the two equal)."""


class Show(_Strict):
    """Where a step's animation opens, so it opens on the picture its text describes: a moment
    of the run (paused on it, zoomed to fill the lanes), or a time, a zoom and a speed."""

    moment: str | None = Field(
        default=None, description=f"a moment kind: {', '.join(MOMENT_KINDS)}"
    )
    model: str | None = Field(default=None, description="the platform model the moment is on")
    at: float | None = Field(default=None, ge=0, description="scenario time, seconds")
    zoom: float | None = Field(default=None, gt=0, description="seconds across the lanes")
    speed: float | None = Field(default=None, gt=0, description="simulated seconds per second")
    play: bool = Field(default=False, description="play from there (default: paused)")

    @field_validator("moment")
    @classmethod
    def _known_moment(cls, value: str | None) -> str | None:
        if value is not None and value not in MOMENT_KINDS:
            raise ValueError(f"unknown moment {value!r}; known: {', '.join(MOMENT_KINDS)}")
        return value


class Decision(_Strict):
    """A choice the student makes for one part of the system (a route), with a reason.

    The student picks one of ``options`` and writes why; the lab then says which options the
    runs support (each option's ``when``) and shows ``evidence``, the numbers for that part, so
    the student sees where their choice and the numbers agree or disagree. The capstone uses it.
    """

    id: str = Field(min_length=1)
    route: str = Field(min_length=1, description="what is decided about, e.g. a route's path")
    question: str = Field(min_length=1)
    options: list[Choice] = Field(min_length=2)
    evidence: str = Field(min_length=1, description="the numbers that decide it (placeholders)")


class Step(_Strict):
    """One screen of the lesson: markdown text with placeholders, maybe a run to animate."""

    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    kind: Literal["hook", "predict", "run", "reveal", "explain", "knob", "summary", "live"] = (
        "explain"
    )
    animate: str | None = Field(default=None, description="the run to animate at this step")
    show: Show | None = Field(default=None, description="where the animation opens")
    models: list[str] | None = None
    needs: str | None = Field(
        default=None, description="a data table this step needs; hidden when it is unavailable"
    )


class Knob(_Strict):
    """A slider or a switch: one scenario parameter of one run, and what changes when moved."""

    id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    run: str
    path: str = Field(min_length=1, description="dotted scenario path for with_changes")
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: list[Any] | None = Field(default=None, description="choices for a switch")
    explain: str = Field(min_length=1, description="what changed and why; {value} is the knob")

    @model_validator(mode="after")
    def _range_or_values(self) -> Knob:
        if self.values is None and (self.min is None or self.max is None or self.min >= self.max):
            raise ValueError("a knob needs min < max, or a list of `values`")
        return self


class Claim(_Strict):
    """A statement about the results that the lab checks by running the scenarios."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1, description="the claim in words")
    check: str = Field(min_length=1, description="a boolean expression over the results")
    seed: str = Field(default="", description="the seed figure it reproduces, quoted")
    source: str | None = Field(default=None, description="id of a Source")
    kind: Literal["behaviour", "arithmetic", "definition"] = Field(
        default="behaviour",
        description=(
            "behaviour: checks what a run or a fit produced (it can fail if the model is wrong); "
            "arithmetic: computes from the lesson's own inputs (a bill from its prices); "
            "definition: restates a setting or a documented fact"
        ),
    )


class Chart(_Strict):
    """A bar chart of one metric across runs and models (handouts and front ends)."""

    title: str = Field(min_length=1)
    metric: str = Field(min_length=1, description="path below a model, e.g. bill_usd.total")
    runs: list[str] = Field(min_length=1)
    unit: str = ""
    scale: float = Field(default=1.0, description="multiply values by this before plotting")


class Lesson(_Strict):
    number: int = Field(ge=1, le=99)
    title: str = Field(min_length=1)
    minutes: int = Field(default=15, ge=1, le=180)
    hook: str = Field(min_length=1, description="a question with no jargon")
    runs: dict[str, RunSpec] = Field(min_length=1)
    data: dict[str, DataSpec] = Field(default_factory=dict)
    prediction: Prediction
    steps: list[Step] = Field(min_length=1)
    knobs: list[Knob] = Field(default_factory=list)
    summary: str = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    source_vs_docs: list[SourceVsDocs] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)
    check_prints: list[int] = Field(
        default_factory=list,
        description="steps (0-based) whose text `lab lesson check` prints before the claims",
    )

    @field_validator("runs", "data")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not _NAME.match(name) or name in RESERVED:
                raise ValueError(
                    f"{name!r} cannot name a run or data table: use letters, digits and _ "
                    f"(starting with a letter), not one of {sorted(RESERVED)}"
                )
        return value

    @model_validator(mode="after")
    def _references(self) -> Lesson:
        overlap = set(self.runs) & set(self.data)
        if overlap:
            raise ValueError(f"runs and data share the names {sorted(overlap)}")
        source_ids = [s.id for s in self.sources]
        if len(set(source_ids)) != len(source_ids):
            raise ValueError("expected source ids to be unique")
        claim_ids = [c.id for c in self.claims]
        if len(set(claim_ids)) != len(claim_ids):
            raise ValueError("expected claim ids to be unique")
        knob_ids = [k.id for k in self.knobs]
        if len(set(knob_ids)) != len(knob_ids):
            raise ValueError("expected knob ids to be unique")
        return self
