"""Guided lessons as data: text, the scenarios they run and the claims they make.

One TOML file per lesson (``lessons/NN-slug.toml``, format in ``lessons.spec``). Front ends
render lessons through ``lessons.runner`` (read its docstring: ``open_lesson``, ``LessonRun``
with ``.steps``, ``.prediction.check()``, ``.knobs``/``.turn()``, ``.claims``, ``.charts`` and
the ``RunResult`` of each run to animate); progress is kept by ``lessons.progress``.
Arrows: lessons -> models only.
"""

from lessons.loader import LessonError
from lessons.runner import (
    ChartView,
    ClaimResult,
    DecisionReveal,
    DecisionView,
    KnobOutcome,
    KnobView,
    LessonInfo,
    LessonRun,
    PredictionView,
    Reveal,
    SourceVsDocsView,
    StepView,
    list_lessons,
    open_lesson,
)

__all__ = [
    "ChartView",
    "ClaimResult",
    "DecisionReveal",
    "DecisionView",
    "KnobOutcome",
    "KnobView",
    "LessonError",
    "LessonInfo",
    "LessonRun",
    "PredictionView",
    "Reveal",
    "SourceVsDocsView",
    "StepView",
    "list_lessons",
    "open_lesson",
]
